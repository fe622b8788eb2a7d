r"""Proof for every ``n``: the classes no free index picks, summed symbolically.

Fix a *class* of free-index values: which free indices are equal (for free ``i, j``: ``i = j``
or ``i != j``). Renumbering the classes (a permutation of ``1..n``) maps a setting onto any
other of its class, so the free indices may be taken to pick the numbers ``1..r`` (``r`` the
number of distinct values). Every other class number is *generic*: the lines treat all of them
alike. So a sum over the full range splits into its ``r`` distinguished terms and the sum over
the others,

.. math:: \sum_{k=1}^{n} f(k) = \sum_{c=1}^{r} f(c) + \sum_{\omega = r+1}^{n} f(\omega),

and the sum over the others, written as a linear combination :math:`\sum_t c_t\, a_t(\omega)`
of *atoms* (products of the entries of class :math:`\omega`, such as :math:`p_\omega
e^{z_\omega}`) with coefficients that do not depend on :math:`\omega`, is
:math:`\sum_t c_t\, T[a_t]` with one symbol :math:`T[a] = \sum_{\omega > r} a(\omega)` per
atom (``OtherSum``), which carries only the sign every term is known to have (positive,
nonnegative, real; nothing for a term that may be complex, such as :math:`\log z_\omega`). Kronecker deltas between a distinguished and a generic class are 0; the
derivative of :math:`T[a]` in a distinguished entry is :math:`T[\partial a]`, in the entry of a
generic class :math:`\omega` it is :math:`\partial a(\omega)` (the derivative of a sum is the sum
of the derivatives). Inside a sum over :math:`\omega`, a nested sum over the others excludes
:math:`\omega` and is written :math:`T[a] - a(\omega)`. Every one of these rewrites holds for
every :math:`n \ge r + 1`.

**Lemma.** If the difference of two lines, written this way, cancels as an expression in
independent symbols :math:`T[a]` (each with only its terms' known sign) and ``n``, then the
two lines are equal for every :math:`n \ge r + 1`, at every point of the domain and every
setting of the class.
*Proof.* For a given :math:`n \ge r + 1` and point, the concrete difference equals the written
one evaluated at the actual values of the sums :math:`T[a]` and of ``n`` (each rewrite above is
an identity for that ``n``). Each actual sum has the sign its symbol carries (it has at least
one term, and every term has that sign), and an expression that is identically zero in
symbols of those signs is zero at any of their values. ∎

The case :math:`n = r` (no other class) is checked as it is, exactly ("closed" below); so a
step that cancels for every class in both cases holds for every :math:`n \ge 1`. The input size
``D`` of a linear layer is handled the same way when a line sums over inputs. An assumption
such as :math:`\sum_k p_k = 1` becomes :math:`p_1 + \dots + p_r + T[p] = 1` and is solved for
:math:`T[p]`: every point that satisfies it has that value, so cancelling after the substitution
proves the step wherever the assumption holds. It is solved only for a symbol it is linear in
with a coefficient that is nonzero on the whole domain (``solve_for``): :math:`c \, T[p] = c`
says nothing about :math:`T[p]` where :math:`c = 0`.

What cannot be written this way makes the step fall back to its checked dimensions (and says
so): a term whose factor mixes a generic class with another generic one or with a sum
(:math:`1/(e^{z_\omega} + \sum_k e^{z_k})` inside a sum), a second derivative of ``L`` inside a
sum, a line that names a class by its number (``z[1]``), a sum that does not run over the full
range, a restriction other than ``Eq``/``Ne`` between free indices.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

import sympy as sp

from gradproof.derive._assumptions import solve_for
from gradproof.derive._concrete import Concretizer, decimal, shared_concretizer
from gradproof.derive._settings import chain_invariant
from gradproof.derive._zero import exact_zero
from gradproof.derive.notation import _DIMS, D, _Display, _expand_names, _index_dim, n

__all__ = ["GenericClass", "GenericConcretizer", "OtherSum", "Unsupported", "classes", "prove"]


class Unsupported(Exception):
    """The line cannot be written with symbolic sums; the step keeps its checked dimensions."""


class GenericClass(sp.Symbol):
    """A class (or input) number that no free index picks: ``ω1``, ``ω2`` (``⋆`` in an atom)."""

    _gp_generic = True

    @property
    def dim(self) -> sp.Symbol:
        """The dimension this number ranges over."""
        return D if self.name.endswith("·D") else n


def generic(dim: sp.Symbol, depth: int) -> GenericClass:
    """The generic class bound at nesting `depth` (0 is the canonical ``⋆`` of an atom)."""
    label = "⋆" if depth == 0 else f"ω{depth}"
    return GenericClass(f"{label}·{dim}", integer=True, positive=True)


class OtherSum(sp.Function):
    r"""``OtherSum(dim, a)``: :math:`\sum_\omega a(\omega)` over the classes no free index picks.

    The atom ``a`` is written in the entries of the canonical generic class ``⋆``. There is
    at least one such class (the *open* case), so a sum of positive atoms is positive.
    """

    nargs = 2

    @classmethod
    def eval(cls, dim: sp.Basic, atom: sp.Basic) -> sp.Expr | None:  # noqa: ARG003
        if atom == 0:
            return sp.S.Zero
        return None

    def _eval_is_positive(self) -> bool | None:
        return self.args[1].is_positive

    def _eval_is_nonnegative(self) -> bool | None:
        return self.args[1].is_nonnegative

    def _eval_is_real(self) -> bool | None:
        return self.args[1].is_real

    def _eval_is_extended_real(self) -> bool | None:
        return self.args[1].is_extended_real


def _generics_in(leaf_idx: tuple[Any, ...]) -> list[GenericClass]:
    return [v for v in leaf_idx if isinstance(v, GenericClass)]


class GenericConcretizer(Concretizer):
    """A concretiser whose open dimensions keep their other classes as ``OtherSum`` symbols.

    `sizes` gives, per dimension, the number ``r`` of distinguished values; a dimension in
    `open_dims` has further, generic classes (``n`` stays a symbol), the others are exactly
    ``r`` long.
    """

    def __init__(
        self, sizes: Mapping[sp.Symbol, int], open_dims: set[sp.Symbol], linear_layer: bool
    ) -> None:
        dims = {dim: (dim if dim in open_dims else sizes[dim]) for dim in sizes}
        super().__init__(dims, linear_layer)
        self.sizes = dict(sizes)
        self.open_dims = set(open_dims)

    # ---- caching: a sum's expansion depends on which generic classes are bound -------------

    def _cache_key(self, e: sp.Basic, env: dict[sp.Symbol, Any]) -> tuple[Any, ...]:
        bound = tuple(sorted({v for v in env.values() if isinstance(v, GenericClass)}, key=str))
        return (*super()._cache_key(e, env), bound)

    # ---- sums ------------------------------------------------------------------------------

    def _sum_range(
        self,
        limits: tuple[sp.Symbol, sp.Expr, sp.Expr],
        term: Callable[[Any], sp.Expr],
        env: dict[sp.Symbol, Any],
        written: tuple[sp.Expr, sp.Expr],
    ) -> sp.Expr:
        idx, lo, hi = limits
        if hi in self.open_dims and lo == 1:
            return self._sum_classes(hi, term, env)
        if lo.is_Integer and hi.is_Integer:
            return super()._sum_range(limits, term, env, written)
        msg = f"sum over {idx} from {written[0]} to {written[1]}"
        raise Unsupported(msg)

    def _sum_classes(
        self, dim: sp.Symbol, term: Callable[[Any], sp.Expr], env: dict[sp.Symbol, Any]
    ) -> sp.Expr:
        bound = sorted(
            {v for v in env.values() if isinstance(v, GenericClass) and v.dim == dim}, key=str
        )
        parts = [term(sp.Integer(c)) for c in range(1, self.sizes[dim] + 1)]
        parts += [term(w) for w in bound]
        fresh = _fresh(dim, bound)
        parts.append(self.others(dim, term(fresh), fresh, bound))
        return sp.Add(*parts)

    def others(
        self, dim: sp.Symbol, value: sp.Expr, fresh: GenericClass, excluded: Sequence[GenericClass]
    ) -> sp.Expr:
        """The sum of `value` (written at the generic class `fresh`) over the other classes,
        `excluded` (classes bound by enclosing sums) left out."""
        mine = {s_ for s_ in value.free_symbols if fresh in self._leaf_generics(s_)}
        total = sp.S.Zero
        for term in sp.Add.make_args(_expand(value)):
            coeff, atom = term.as_independent(*mine, as_Add=False) if mine else (term, sp.S.One)
            if atom == 1:
                total += coeff * (dim - self.sizes[dim])
                continue
            self._check_atom(atom, fresh)
            total += coeff * OtherSum(dim, self._rename(atom, fresh, generic(dim, 0)))
        for w in excluded:  # sum over the others but w: the full sum minus the term at w
            total -= self._rename(value, fresh, w)
        return total

    def _check_atom(self, atom: sp.Expr, fresh: GenericClass) -> None:
        if atom.has(OtherSum):
            msg = f"a factor mixes a generic class with a sum: {atom}"
            raise Unsupported(msg)
        for s_ in atom.free_symbols:
            if isinstance(s_, GenericClass):
                msg = f"a class number is used as a number: {atom}"
                raise Unsupported(msg)
            if any(w != fresh for w in self._leaf_generics(s_)):
                msg = f"a factor mixes two generic classes: {atom}"
                raise Unsupported(msg)

    def _leaf_generics(self, leaf: sp.Symbol) -> list[GenericClass]:
        return _generics_in(self.leaves[leaf][1]) if leaf in self.leaves else []

    def _rename(self, e: sp.Expr, old: GenericClass, new: GenericClass) -> sp.Expr:
        """`e` with every entry of class `old` replaced by the entry of class `new`."""
        mapping = {}
        for s_ in e.free_symbols:
            if s_ not in self.leaves or old not in self.leaves[s_][1]:
                continue
            label, idx = self.leaves[s_]
            new_idx = tuple(new if v == old else v for v in idx)
            mapping[s_] = (
                self._leaf(self.bases[label], new_idx)
                if label in self.bases
                else self._jet(new_idx)
            )
        return e.xreplace(mapping) if mapping else e

    # ---- derivatives of the symbolic sums --------------------------------------------------

    def _derivative(self, e: sp.Derivative, env: dict[sp.Symbol, Any]) -> sp.Expr:
        # The derivative of a sum is the sum of the derivatives: taken inside, a summand such as
        # p_j log q_j is differentiated before it must be split into atoms (the logarithm of a
        # quotient with a temperature of unknown sign cannot be split, its derivative can).
        inside = _into_sums(e)
        return self._conc(inside, env) if inside is not None else super()._derivative(e, env)

    def _special_derivatives(
        self, expr: sp.Expr, leaf: sp.Symbol, env: dict[sp.Symbol, Any]
    ) -> dict[sp.Basic, sp.Expr]:
        out = {}
        for obj in expr.atoms(OtherSum):
            dim, atom = obj.args
            star = generic(dim, 0)
            if any(s_ in self.jets for s_ in atom.free_symbols) and self._moves_logits(leaf):
                msg = "a derivative of the gradient of L inside a sum (a second derivative of L)"
                raise Unsupported(msg)
            mine = [w for w in self._leaf_generics(leaf) if w.dim == dim]
            if mine:  # the entry of one generic class: only that term of the sum moves
                out[obj] = self._diff(self._rename(atom, star, mine[0]), leaf, env)
                continue
            bound = [v for v in env.values() if isinstance(v, GenericClass) and v.dim == dim]
            fresh = _fresh(dim, bound)
            at_fresh = self._rename(atom, star, fresh)
            out[obj] = self.others(dim, self._diff(at_fresh, leaf, env), fresh, ())
        return out


def _into_sums(e: sp.Derivative) -> sp.Expr | None:
    """``e`` with the derivative moved into the sums of its expression, or None if none can be.

    Through sums and constant factors only, and into a sum only when its index does not occur in
    the variables (``d/dz_k sum_k`` would capture the variable's ``k``).
    """
    expr, variables = e.expr, e.variable_count
    in_variables = set().union(*(v.free_symbols for v, _ in variables))

    def inside(f: sp.Expr) -> sp.Expr | None:
        if isinstance(f, _Display) and not f._gp_opaque:  # J, q(i): through the definition
            return inside(f.definition())
        if isinstance(f, sp.Sum) and not any(
            idx in in_variables or (lo.free_symbols | hi.free_symbols) & in_variables
            for idx, lo, hi in f.limits
        ):
            return sp.Sum(sp.Derivative(f.function, *variables), *f.limits)
        if isinstance(f, sp.Mul):
            coeff, rest = f.as_coeff_Mul()
            if coeff != 1 and (moved := inside(rest)) is not None:
                return coeff * moved
        if isinstance(f, sp.Add):
            parts = [inside(t) for t in f.args]
            if any(part is not None for part in parts):
                return sp.Add(
                    *[
                        part if part is not None else sp.Derivative(t, *variables)
                        for part, t in zip(parts, f.args, strict=True)
                    ]
                )
        return None

    return inside(expr)


def _fresh(dim: sp.Symbol, bound: Sequence[GenericClass]) -> GenericClass:
    """A generic class distinct from every one bound by an enclosing sum."""
    depth = 1
    while generic(dim, depth) in bound:
        depth += 1
    return generic(dim, depth)


def _expand(e: sp.Expr) -> sp.Expr:
    """Terms to separate: products and powers multiplied out, logarithms split where valid."""
    return sp.expand(sp.expand_log(e), power_exp=True, log=False)


# --------------------------------------------------------------------------------------------
# The classes of free-index values, and the proof of one step
# --------------------------------------------------------------------------------------------


def _partitions(items: Sequence[sp.Symbol]) -> Iterator[list[list[sp.Symbol]]]:
    """Every set partition of `items` (blocks in order of first element)."""
    if not items:
        yield []
        return
    first, rest = items[0], items[1:]
    for part in _partitions(rest):
        yield [[first], *part]
        for b in range(len(part)):
            yield [*part[:b], [first, *part[b]], *part[b + 1 :]]


def classes(free: Sequence[sp.Symbol], where: Sequence[sp.Basic]) -> list[dict[sp.Symbol, int]]:
    """Each class of free-index values as its representative (values 1, 2, ... per dimension).

    Only equalities and inequalities between free indices can restrict a class (`where`);
    any other restriction raises ``Unsupported``.
    """
    for w in where:
        if not (isinstance(w, sp.Eq | sp.Ne) and all(a in free for a in (w.lhs, w.rhs))):
            msg = f"restriction {w} is not an equality between free indices"
            raise Unsupported(msg)
    out = []
    by_dim: dict[sp.Symbol, list[sp.Symbol]] = {}
    for f in free:
        by_dim.setdefault(_index_dim(f), []).append(f)
    dims = sorted(by_dim, key=str)
    for combo in itertools.product(*(list(_partitions(by_dim[dm])) for dm in dims)):
        assign: dict[sp.Symbol, int] = {}
        for part in combo:
            for value, block in enumerate(sorted(part, key=lambda b: free.index(b[0])), 1):
                for f in block:
                    assign[f] = value
        if all(bool(w.xreplace({f: sp.Integer(v) for f, v in assign.items()})) for w in where):
            out.append(assign)
    return out


def _sizes(assign: Mapping[sp.Symbol, int], dims: Sequence[sp.Symbol]) -> dict[sp.Symbol, int]:
    sizes = dict.fromkeys(dims, 0)
    for f, v in assign.items():
        dim = _index_dim(f)
        sizes[dim] = max(sizes.get(dim, 0), v)
    return sizes


def _used_dims(exprs: Sequence[sp.Basic]) -> set[sp.Symbol]:
    """Dimensions a line sums over or names (the ones whose size can matter)."""
    used = set()
    for e in exprs:
        for s_ in e.atoms(sp.Sum):
            used.update(hi for _, _, hi in s_.limits if hi in _DIMS)
        used.update(dm for dm in _DIMS if e.has(dm))
    return used


class Prover:
    """Proves steps of one chain for every ``n`` (and ``D``), or says it cannot."""

    def __init__(
        self,
        exprs: Sequence[sp.Expr],
        free: Sequence[sp.Symbol],
        where: Sequence[sp.Basic],
        assume: Sequence[sp.Eq],
        linear_layer: bool,
    ) -> None:
        self.exprs = [decimal(e) for e in exprs]
        self.assume = [decimal(a.lhs - a.rhs) for a in assume]
        self.linear_layer = linear_layer
        expanded = [_expand_names(e) for e in (*self.exprs, *self.assume)]
        dims = [n, *([D] if linear_layer or any(e.has(D) for e in expanded) else [])]
        used = _used_dims(expanded) | {n}  # L's derivatives sum over the classes unseen
        self.setups: list[tuple[dict[sp.Symbol, int], GenericConcretizer]] = []
        self.error: str | None = None
        if not chain_invariant(self.exprs, assume):
            self.error = "a line names a class or input by its number, or sums over part of a range"
            return
        try:
            for assign in classes(free, where):
                sizes = _sizes(assign, dims)
                for closed in _closed_choices(sizes, used):
                    opened = set(dims) - closed
                    conc = shared_concretizer(
                        {**sizes, **{dm: f"{sizes[dm]}+" for dm in opened}},
                        linear_layer,
                        lambda sizes=sizes, opened=opened: GenericConcretizer(
                            sizes, opened, linear_layer
                        ),
                    )
                    self.setups.append((assign, conc))
        except Unsupported as exc:
            self.error = str(exc)
        self._fixes: dict[int, dict[sp.Basic, sp.Expr] | str] = {}
        self._lines: dict[tuple[int, int], sp.Expr | str] = {}

    def line(self, number: int, t: int) -> sp.Expr | str:
        """Line `t` written in setup `number`, assumptions solved, or why it cannot be."""
        if (number, t) not in self._lines:
            assign, conc = self.setups[number]
            if number not in self._fixes:
                try:
                    rels = [conc(a, assign, logits=False) for a in self.assume]
                    self._fixes[number] = _solve(conc, rels)
                except Unsupported as exc:
                    self._fixes[number] = str(exc)
            fixes = self._fixes[number]
            if isinstance(fixes, str):
                self._lines[number, t] = fixes
            else:
                try:
                    out = conc(self.exprs[t], assign, logits=False)
                    self._lines[number, t] = out.xreplace(fixes) if fixes else out
                except Unsupported as exc:
                    self._lines[number, t] = str(exc)
        return self._lines[number, t]

    def prove(self, t: int) -> tuple[bool, str]:
        """Whether step `t` (0-based: line t against line t + 1) holds for every n, and why not."""
        if self.error is not None:
            return False, self.error
        for number in range(len(self.setups)):
            a, b = self.line(number, t), self.line(number, t + 1)
            for side in (a, b):
                if isinstance(side, str):
                    return False, side
            if not _cancels(a - b):
                return False, "the difference does not cancel with the sums kept symbolic"
        return True, ""


def _closed_choices(sizes: Mapping[sp.Symbol, int], used: set[sp.Symbol]) -> list[set[sp.Symbol]]:
    """Which dimensions to check with no other class: each used one with r >= 1, or not."""
    can_close = [dm for dm in sizes if dm in used and sizes[dm] >= 1]
    return [set(c) for r in range(len(can_close) + 1) for c in itertools.combinations(can_close, r)]


def _solve(conc: GenericConcretizer, relations: Sequence[sp.Expr]) -> dict[sp.Basic, sp.Expr]:
    """Solve each assumption for a symbolic sum (or, with none, for its last entry)."""
    fixes: dict[sp.Basic, sp.Expr] = {}
    for written in relations:
        rel = written.xreplace(fixes)
        sums = sorted(rel.atoms(OtherSum), key=str)
        leaves = sorted((s_ for s_ in rel.free_symbols if s_ in conc.leaves), key=str)
        for target in [*sums, *reversed(leaves)]:
            value = solve_for(rel, target)
            if value is not None:
                fixes = {a: b.xreplace({target: value}) for a, b in fixes.items()}
                fixes[target] = value
                break
        else:
            msg = "an assumption is not solvable for one symbolic sum or entry"
            raise Unsupported(msg)
    return fixes


def _sum_assumptions(atom: sp.Expr) -> dict[str, bool]:
    """What a sum of `atom` over at least one class is known to be: only what each term is.

    A term that may be complex (``log z``, ``sqrt z`` of a real ``z``) gives a sum with no
    assumption at all: declared real, sympy would rewrite ``im(T)`` to 0, ``|exp T|`` to
    ``exp T`` and ``log(exp T)`` to ``T``, all false for such a sum.
    """
    if atom.is_positive:
        return {"positive": True}
    if atom.is_nonnegative:
        return {"nonnegative": True}
    if atom.is_real:
        return {"real": True}
    return {}


def _cancels(diff: sp.Expr) -> bool:
    """The exact zero test with each symbolic sum an independent symbol of its known sign."""
    if any(isinstance(s_, GenericClass) for s_ in diff.free_symbols):
        return False
    names = {obj: sp.Dummy("T", **_sum_assumptions(obj.args[1])) for obj in diff.atoms(OtherSum)}
    return exact_zero(diff.xreplace(names) if names else diff)


def prove(
    exprs: Sequence[sp.Expr],
    free: Sequence[sp.Symbol],
    where: Sequence[sp.Basic] = (),
    assume: Sequence[sp.Eq] = (),
    linear_layer: bool = False,
) -> list[tuple[bool, str]]:
    """For each step of the chain `exprs`: (proved for every n, reason if not).

    >>> from gradproof.derive.notation import J, i, k, p, q, total, z
    >>> from sympy import Derivative
    >>> prove([Derivative(J, z[i]), total(p[k], k) * q(i) - p[i], q(i) - p[i]], [i])
    [(True, ''), (False, 'the difference does not cancel with the sums kept symbolic')]
    """
    prover = Prover(exprs, free, where, assume, linear_layer)
    return [prover.prove(t) for t in range(len(exprs) - 1)]
