r"""Concretising: a generic line becomes, for one setting, an expression in ``z_1, p_2, ...``.

For a concrete dimension (``n = 3``; ``D`` too with a linear layer) and values of the free
indices, ``Concretizer`` expands sums, replaces names such as ``q(i)`` by their definitions,
takes derivatives, and turns every entry ``z[k]`` into a leaf symbol ``z_k`` whose sympy
assumptions state its domain (``domain_of``: ``z_k`` real,
``p_k`` nonnegative, ``qv`` positive), so that sympy rewrites only what is true there.

The loss ``L`` is an unknown function of ``q = softmax(z)``. It becomes its *jet* at the
point: a leaf ``L`` for its value, the leaves ``g_k`` for :math:`\partial L/\partial q_k`,
``∂²L_k_l`` for its Hessian and so on, each a free number. Differentiating a jet leaf in ``z``
follows the chain rule one order up (:math:`\partial g_k/\partial z_a = \sum_l
\partial^2 L/\partial q_k \partial q_l \; \partial q_l/\partial z_a`), so every use of ``L``,
second derivatives included, is exact for every loss.

A float literal stands for the decimal it prints as (``0.1`` is :math:`1/10`): it is replaced by
that rational before anything is compared. A plain symbol without a sign (``Symbol("c")``) is
read as a real number.

Assumptions such as ``Eq(Sum(p[k], (k, 1, n)), 1)`` are solved for their last entry in
``gradproof.derive._assumptions``. ``free_indices`` finds the index symbols a chain leaves
free. The subclass in :mod:`gradproof.derive._generic` keeps ``n`` symbolic; the hooks it overrides are
``Concretizer._sum_range`` and ``Concretizer._special_derivatives``.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import sympy as sp
from sympy.core.function import AppliedUndef

from gradproof.derive._printing import sstr
from gradproof.derive.notation import (
    _DIMS,
    D,
    Restriction,
    W,
    _Display,
    _index_dim,
    _Loss,
    base_axes,
    domain_of,
    g,
    n,
    qv,
    sum_exp,
    x,
    z,
)

__all__ = [
    "Concrete",
    "Concretizer",
    "Env",
    "clear_caches",
    "decimal",
    "free_indices",
    "index_symbols",
    "leaf_symbol",
    "real_symbol",
    "shared_concretizer",
]

_ASSUMPTIONS = {"real": {"real": True}, "nonnegative": {"nonnegative": True}}
_ASSUMPTIONS["positive"] = {"positive": True}
# Names of the jet leaves of L beyond the gradient g: ∂²L_1_2 is d^2 L / dq_1 dq_2.
_JET_VALUE = "L"
_JET_NAMES = {2: "∂²L", 3: "∂³L"}


@dataclass(frozen=True)
class Env:
    """One concrete setting: dimension values and free-index values."""

    dims: tuple[tuple[sp.Symbol, int], ...]
    free: tuple[tuple[sp.Symbol, int], ...]


@functools.lru_cache(maxsize=65536)
def index_symbols(e: sp.Basic) -> tuple[sp.Symbol, ...]:
    """Index symbols free in ``e`` (not bound by a sum), derivative variables included, sorted."""
    if isinstance(e, sp.Symbol):
        return (e,) if e.is_integer and e not in _DIMS else ()
    found: set[sp.Symbol] = set()
    if isinstance(e, sp.Sum):
        bound: set[sp.Symbol] = set()
        for idx, lo, hi in e.limits:
            found.update(s_ for s_ in (*index_symbols(lo), *index_symbols(hi)) if s_ not in bound)
            bound.add(idx)
        found.update(s_ for s_ in index_symbols(e.function) if s_ not in bound)
    else:
        for a in e.args:
            found.update(index_symbols(a))
    return tuple(sorted(found, key=lambda s_: s_.name))


def _sign_assumptions(domain: str) -> dict[str, bool]:
    return dict(_ASSUMPTIONS[domain])


def leaf_symbol(
    base: sp.IndexedBase | str, idx: tuple[Any, ...], domain: str | None = None
) -> sp.Symbol:
    """The concrete entry ``base[idx]`` as a plain symbol carrying its domain: ``z_2``, ``W_1_2``.

    >>> from gradproof.derive.notation import p
    >>> leaf_symbol(W, (1, 2)), leaf_symbol(z, (2,)).is_real, leaf_symbol(p, (2,)).is_nonnegative
    (W_1_2, True, True)
    """
    label = str(getattr(base, "label", base))
    name = f"{label}_{'_'.join(str(c) for c in idx)}" if idx else label
    dom = domain or (domain_of(base) if not isinstance(base, str) else "real")
    return sp.Symbol(name, **_sign_assumptions(dom))


@functools.lru_cache(maxsize=1024)
def real_symbol(sym: sp.Symbol) -> sp.Symbol:
    """`sym` itself if sympy knows it is real; otherwise a real symbol of the same name."""
    if sym.is_real:
        return sym
    return sp.Symbol(sym.name, real=True)


def decimal(e: sp.Basic) -> sp.Basic:
    """`e` with every float literal replaced by the decimal it prints as (``0.1`` -> ``1/10``).

    >>> decimal(3 * sp.Float(0.1)) == sp.Rational(3, 10)
    True
    """
    if not e.has(sp.Float):
        return e
    return e.replace(lambda a: isinstance(a, sp.Float), lambda f: sp.Rational(str(f)))


def is_index_value(v: sp.Basic) -> bool:
    """A concrete class or input number, or a generic one (:mod:`gradproof.derive._generic`)."""
    return bool(v.is_Integer) or getattr(v, "_gp_generic", False)


class Concretizer:
    """Turns a generic expression into a plain expression in leaf symbols z_1, p_2, ...

    Index values live in an explicit environment, so a sum's bound index shadows a free index of
    the same name (seed 001 writes ``(sum_i p_i y_i) - y_i``) and derivative variables such as
    ``z[i]`` inside a sum get the right value; sympy's ``subs`` does neither reliably.
    """

    def __init__(self, dims: Mapping[sp.Symbol, Any], linear_layer: bool) -> None:
        self.dims = {s_: sp.sympify(v) for s_, v in dims.items()}
        self.linear_layer = linear_layer
        #: leaf symbol -> (base label, index values)
        self.leaves: dict[sp.Symbol, tuple[str, tuple[Any, ...]]] = {}
        #: jet leaf of L -> its multi-index (() for the value, (k,) for g_k, (k, l) ...)
        self.jets: dict[sp.Symbol, tuple[Any, ...]] = {}
        #: plain symbols (a temperature T, a shift c) as they appear in concrete lines
        self.params: set[sp.Symbol] = set()
        # A subexpression's concrete form depends only on the values of its own free indices, so
        # it is computed once per dimension and reused across steps and index settings (the same
        # sum or derivative recurs in every line of a chain and at every value of i, j, ...).
        self._cache: dict[tuple[sp.Basic, tuple[Any, ...]], sp.Basic] = {}
        self._logits: dict[Any, sp.Expr] = {}
        self.bases: dict[str, sp.IndexedBase] = {}

    def __call__(
        self, expr: sp.Expr, free: Mapping[sp.Symbol, Any] | None = None, *, logits: bool = True
    ) -> sp.Expr:
        """The concrete expression; with ``logits=False`` the z_k of a linear layer stay symbols."""
        env = dict(self.dims) | {s_: sp.sympify(v) for s_, v in (free or {}).items()}
        out = self._conc(expr, env)
        return self.substitute_logits(out) if logits else out

    # ---- leaves ----------------------------------------------------------------------------

    def substitute_logits(self, expr: sp.Expr) -> sp.Expr:
        """Replace each z_k by w_k . x (linear layer only)."""
        return expr.xreplace(self._logit_map(expr)) if self.linear_layer else expr

    def _logit_map(self, expr: sp.Expr) -> dict[sp.Symbol, sp.Expr]:
        return {
            leaf: self._logit(self.leaves[leaf][1][0])
            for leaf in expr.free_symbols
            if leaf in self.leaves and self.leaves[leaf][0] == "z"
        }

    def _logit(self, c: Any) -> sp.Expr:
        if c not in self._logits:
            n_in = self.dims[D]
            if not n_in.is_Integer:
                msg = "the logits of a linear layer are written out only for a concrete D"
                raise ValueError(msg)
            self._logits[c] = sp.Add(
                *[self._leaf(W, (c, dd)) * self._leaf(x, (dd,)) for dd in range(1, int(n_in) + 1)]
            )
        return self._logits[c]

    def _leaf(self, base: sp.IndexedBase, idx: tuple[Any, ...]) -> sp.Symbol:
        out = leaf_symbol(base, idx)
        self.leaves[out] = (str(base.label), idx)
        self.bases[str(base.label)] = base
        if base == g:  # g is the gradient of L: a jet leaf of order 1
            self.jets[out] = idx
        return out

    def _jet(self, alpha: tuple[Any, ...]) -> sp.Symbol:
        """The leaf for the derivative of L of multi-index `alpha` at the point."""
        alpha = tuple(_plain(a) for a in alpha)
        if len(alpha) == 1:
            return self._leaf(g, alpha)
        order = tuple(sorted(alpha, key=_value_key))
        label = _JET_VALUE if not alpha else _JET_NAMES.get(len(alpha), f"∂{len(alpha)}L")
        out = leaf_symbol(label, order, "real")
        self.leaves[out] = (label, order)
        self.jets[out] = order
        return out

    def _param(self, sym: sp.Symbol) -> sp.Symbol:
        out = real_symbol(sym)
        self.params.add(out)
        return out

    def relabel(self, expr: sp.Expr, env: Env) -> sp.Expr:
        """``expr`` with classes (and inputs) renumbered so the free indices take values 1, 2, ...

        A bijective renaming of variables, so it maps identities to identities: settings that
        differ only by which classes the free indices pick share one exact check.
        """
        perms: dict[sp.Symbol, dict[int, int]] = {}
        for dim, size in env.dims:
            first: list[int] = []
            for f, v in env.free:
                if _index_dim(f) == dim and v not in first:
                    first.append(v)
            order = first + [c for c in range(1, size + 1) if c not in first]
            perms[dim] = {old: new for new, old in enumerate(order, 1) if old != new}
        if not any(perms.values()):
            return expr
        mapping = {}
        for leaf in expr.free_symbols:
            if leaf not in self.leaves:
                continue
            label, idx = self.leaves[leaf]
            if label in self.bases:
                axes = base_axes(label, len(idx))
                new = tuple(perms.get(ax, {}).get(c, c) for ax, c in zip(axes, idx, strict=False))
                if new != idx:
                    mapping[leaf] = self._leaf(self.bases[label], new)
            elif idx:  # a jet of L beyond g: every index is a class
                new = tuple(perms.get(n, {}).get(c, c) for c in idx)
                if new != idx:
                    mapping[leaf] = self._jet(new)
        return expr.xreplace(mapping)

    # ---- the walk --------------------------------------------------------------------------

    def _cache_key(self, e: sp.Basic, env: dict[sp.Symbol, Any]) -> tuple[Any, ...]:
        """What `e`'s concrete form depends on: itself and the values of its free indices."""
        return (e, tuple(env.get(s_) for s_ in index_symbols(e)))

    def _conc(self, e: sp.Basic, env: dict[sp.Symbol, Any]) -> sp.Basic:
        if not e.args:
            return self._conc_node(e, env)
        key = self._cache_key(e, env)
        out = self._cache.get(key)
        if out is None:
            out = self._conc_node(e, env)
            self._cache[key] = out
        return out

    def _conc_node(self, e: sp.Basic, env: dict[sp.Symbol, Any]) -> sp.Basic:
        if isinstance(e, sp.Sum):
            return self._sum(e, env)
        if isinstance(e, _Loss):
            return self._jet(())
        if isinstance(e, _Display):
            return self._conc(e.definition(), env)
        if isinstance(e, sp.Derivative):
            return self._derivative(e, env)
        if isinstance(e, sp.Indexed):
            return self._indexed(e, env)
        if isinstance(e, sp.KroneckerDelta):
            return self._delta(e, env)
        if isinstance(e, sp.Symbol) and e.is_integer:
            if e in _DIMS and e not in env:
                msg = f"the size {e} has no value here: give it ({e}=... or {e}s=...)"
                raise ValueError(msg)
            if e not in env:
                msg = f"index {e} has no value: give it a range with Sum(..., ({e}, 1, n))"
                raise ValueError(msg)
            return env[e]
        if isinstance(e, sp.Symbol):
            return self._param(e)
        if isinstance(e, sp.Float):
            return sp.Rational(str(e))
        if not e.args:
            return e
        if isinstance(e, sp.Lambda | sp.Product | sp.Integral):
            msg = f"{type(e).__name__} is not supported in a derivation; use Sum and Derivative"
            raise TypeError(msg)
        if isinstance(e, AppliedUndef):
            msg = (
                f"{e} uses the undefined function {e.func}: a line may use the notation's names "
                "(q, s, J, L) and sympy's functions, whose values can be checked"
            )
            raise TypeError(msg)
        return e.func(*[self._conc(a, env) for a in e.args])

    def _sum(self, e: sp.Sum, env: dict[sp.Symbol, Any]) -> sp.Expr:
        (idx, lo, hi), rest = e.limits[0], e.limits[1:]
        lo_c, hi_c = self._conc(lo, env), self._conc(hi, env)
        inner = sp.Sum(e.function, *rest) if rest else e.function
        return self._sum_range(
            (idx, lo_c, hi_c), lambda c: self._conc(inner, env | {idx: c}), env, (lo, hi)
        )

    def _sum_range(
        self,
        limits: tuple[sp.Symbol, sp.Expr, sp.Expr],
        term: Callable[[Any], sp.Expr],
        env: dict[sp.Symbol, Any],  # noqa: ARG002  (the generic subclass needs it)
        written: tuple[sp.Expr, sp.Expr],
    ) -> sp.Expr:
        """The sum of ``term(c)`` for ``c`` from `lo` to `hi` (concrete limits ``(idx, lo, hi)``)."""
        idx, lo, hi = limits
        if not (lo.is_Integer and hi.is_Integer):
            msg = (
                f"sum limits {written[0]}..{written[1]} for {idx} are not concrete; "
                "use n, D or numbers"
            )
            raise ValueError(msg)
        return sp.Add(*[term(sp.Integer(c)) for c in range(int(lo), int(hi) + 1)])

    def _sum_over(
        self, dim: sp.Symbol, term: Callable[[Any], sp.Expr], env: dict[sp.Symbol, Any]
    ) -> sp.Expr:
        """The sum of ``term(c)`` over every class (or input) ``c`` of dimension `dim`."""
        limits = (sp.Dummy("c"), sp.Integer(1), self.dims[dim])
        return self._sum_range(limits, term, env, (sp.Integer(1), dim))

    def _indexed(self, e: sp.Indexed, env: dict[sp.Symbol, Any]) -> sp.Symbol:
        idx = []
        for a in e.indices:
            c = self._conc(a, env)
            if not is_index_value(c):
                msg = f"index {a} of {e} is not an integer once indices have values"
                raise ValueError(msg)
            idx.append(_plain(c))
        self._check_range(e, idx)
        return self._leaf(e.base, tuple(idx))

    def _check_range(self, e: sp.Indexed, idx: list[Any]) -> None:
        axes = base_axes(e.base, len(idx))
        for c, h in zip(idx, (self.dims.get(ax) for ax in axes), strict=False):
            if isinstance(c, int) and h is not None and h.is_Integer and not 1 <= c <= int(h):
                msg = f"{e} is outside 1..{h}"
                raise ValueError(msg)

    def _delta(self, e: sp.KroneckerDelta, env: dict[sp.Symbol, Any]) -> sp.Expr:
        a, b = (self._conc(v, env) for v in e.args)
        if a == b:
            return sp.S.One
        if is_index_value(a) and is_index_value(b):
            return sp.S.Zero
        msg = f"{e} compares {a} and {b}, which are not class or input numbers"
        raise ValueError(msg)

    # ---- derivatives -----------------------------------------------------------------------

    def _derivative(self, e: sp.Derivative, env: dict[sp.Symbol, Any]) -> sp.Expr:
        out = self._conc(e.expr, env)
        for var, count in e.variable_count:
            leaf = self._conc(var, env)
            if not isinstance(leaf, sp.Symbol) or leaf not in self.leaves:
                msg = f"can only differentiate with respect to an entry like z[i]; got {var}"
                raise TypeError(msg)
            if leaf in self.jets:
                msg = (
                    f"cannot differentiate with respect to {var}: g and L are the gradient and "
                    "value of the loss at q(z), not variables; differentiate in z instead"
                )
                raise TypeError(msg)
            self._check_variable(e.expr, var, leaf)
            for _ in range(int(count)):
                out = self._diff(out, leaf, env)
        return out

    def _check_variable(self, expr: sp.Expr, var: sp.Basic, leaf: sp.Symbol) -> None:
        """Refuse a derivative whose value would be 0 only by a reading the notation hides.

        ``q``, ``s``, ``J``, ``L`` and ``g`` are functions of the logits (through
        ``q = softmax(z)``). In the free probabilities ``qv`` (printed as q̃) they would be
        constants, though a reader takes ∂L/∂q̃ for g; in ``W`` or ``x`` they are constants
        unless the logits are a linear layer's.
        """
        label = self.leaves[leaf][0]
        free_q = self.bases.get(label) is qv
        layer = label in ("W", "x") and not self.linear_layer
        if not (free_q or layer) or not _through_logits(expr, with_z=layer):
            return
        if free_q:
            msg = (
                f"cannot differentiate {sstr(expr)} with respect to {var}: q~ (qv) are free "
                "probabilities, independent of z, while q, s, J, L and g are functions of z "
                "through q = softmax(z); write the function in qv (-Sum(p[j]*log(qv[j]), ...)) "
                "or differentiate in z"
            )
        else:
            msg = (
                f"cannot differentiate {sstr(expr)} with respect to {var} without "
                "linear_layer=True: only a linear layer (z = W x) makes the logits depend on "
                "W and x"
            )
        raise TypeError(msg)

    def _diff(self, expr: sp.Expr, leaf: sp.Symbol, env: dict[sp.Symbol, Any]) -> sp.Expr:
        """The derivative of `expr` in `leaf`, with the leaves that depend on it chained in.

        Logits of a linear layer depend on ``W`` and ``x``; jet leaves of ``L`` depend on
        ``z`` (through ``q``); the generic subclass adds its symbolic sums.
        """
        specials = self._special_derivatives(expr, leaf, env)
        placeholders = {obj: sp.Dummy("u") for obj in specials}
        body = expr.xreplace(placeholders) if placeholders else expr
        out = sp.diff(body, leaf)
        for u in body.free_symbols:
            if u == leaf or u not in self.leaves:
                continue
            du = self._leaf_derivative(u, leaf, env)
            if du != 0:
                out += sp.diff(body, u) * du
        for obj, ph in placeholders.items():
            if specials[obj] != 0:
                out += sp.diff(body, ph) * specials[obj]
        if placeholders:
            out = out.xreplace({ph: obj for obj, ph in placeholders.items()})
        return out

    def _special_derivatives(
        self,
        expr: sp.Expr,  # noqa: ARG002  (the generic subclass uses them)
        leaf: sp.Symbol,  # noqa: ARG002
        env: dict[sp.Symbol, Any],  # noqa: ARG002
    ) -> dict[sp.Basic, sp.Expr]:
        """Objects in `expr` that are not leaves but depend on them: {object: its derivative}."""
        return {}

    def _moves_logits(self, leaf: sp.Symbol) -> bool:
        label = self.leaves.get(leaf, ("",))[0]
        return label == "z" or (self.linear_layer and label in ("W", "x"))

    def _leaf_derivative(self, u: sp.Symbol, leaf: sp.Symbol, env: dict[sp.Symbol, Any]) -> sp.Expr:
        """How much the leaf `u` moves with `leaf` (other than being it)."""
        label, idx = self.leaves[u]
        target, tidx = self.leaves[leaf]
        if label == "z" and self.linear_layer and target in ("W", "x"):
            if target == "W":  # z_c = sum_d W_cd x_d
                return self._leaf(x, (tidx[1],)) if idx[0] == tidx[0] else sp.S.Zero
            return self._leaf(W, (idx[0], tidx[0]))
        if u in self.jets and self._moves_logits(leaf):
            alpha = self.jets[u]

            def term(c: Any) -> sp.Expr:
                return self._jet((*alpha, c)) * self._diff(self._softmax(c, env), leaf, env)

            return self._sum_over(n, term, env)
        return sp.S.Zero

    def _softmax(self, c: Any, env: dict[sp.Symbol, Any]) -> sp.Expr:
        """The concrete q_c = e^{z_c} / sum_k e^{z_k}."""
        return sp.exp(self._leaf(z, (_plain(c),))) / self._conc(sum_exp, env)


_POOL: dict[tuple[Any, ...], Concretizer] = {}
_POOL_SIZE = 64


def shared_concretizer(
    dims: Mapping[sp.Symbol, Any], linear_layer: bool, make: Callable[[], Concretizer] | None = None
) -> Concretizer:
    """One concretiser per (sizes, linear layer), shared by every derivation checked there.

    A subexpression's concrete form depends only on itself, its index values, the sizes and
    the linear layer, so a page whose chains repeat lines makes each concrete once. The pool
    keeps the last ``_POOL_SIZE`` concretisers.
    """
    key = (tuple(sorted((str(k_), str(v)) for k_, v in dims.items())), linear_layer, make is None)
    if key not in _POOL:
        if len(_POOL) >= _POOL_SIZE:
            _POOL.pop(next(iter(_POOL)))
        _POOL[key] = make() if make is not None else Concretizer(dims, linear_layer)
    return _POOL[key]


def clear_caches() -> None:
    """Forget every shared concretiser and cached expansion (benchmarks start cold with it)."""
    from gradproof.derive.notation import _expand_names  # noqa: PLC0415

    _POOL.clear()
    index_symbols.cache_clear()
    real_symbol.cache_clear()
    _expand_names.cache_clear()


def _through_logits(expr: sp.Basic, *, with_z: bool) -> bool:
    """Whether `expr` names a function of the logits: q, s, J, L, an entry of g (or of z)."""
    bases = (g, z) if with_z else (g,)
    return any(not isinstance(a, Restriction) for a in expr.atoms(_Display)) or any(
        a.base in bases for a in expr.atoms(sp.Indexed)
    )


def _plain(v: Any) -> Any:
    """An index value as stored in a leaf: a Python int, or a generic class as it is."""
    return int(v) if sp.sympify(v).is_Integer else v


def _value_key(v: Any) -> tuple[int, str]:
    """Order of index values in a jet's name: numbers first, then generic classes by name."""
    return (0, f"{int(v):09d}") if sp.sympify(v).is_Integer else (1, str(v))


def free_indices(exprs: Iterable[sp.Basic]) -> tuple[sp.Symbol, ...]:
    """Integer symbols not bound by a sum, including those in derivative variables like z[j]."""
    found = set().union(*(index_symbols(e) for e in exprs))
    return tuple(sorted(found, key=lambda s_: s_.name))


@dataclass
class Concrete:
    """One dimension setting's concretiser (with its cache) and its solved assumptions."""

    conc: Concretizer
    fixes: dict[sp.Symbol, sp.Expr]
