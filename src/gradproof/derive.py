r"""Symbolic step verification: every equals sign in a derivation is checked.

A :class:`Derivation` is a chain of claimed equalities ``lhs = step_1 = step_2 = ...``, each
written once as a generic sympy expression (symbolic dimension ``n``, index symbols ``i, j, k``,
``Sum``, unevaluated ``Derivative``, ``KroneckerDelta``).  :meth:`Derivation.verify` checks each
step against the previous one for every concrete dimension in ``ns`` and every assignment of the
free indices: first exactly (rational-function cancellation after replacing each :math:`e^{z_k}`
by a positive symbol), else by 50-digit evaluation at seeded random points.  The LaTeX a page
shows is printed from the same expressions, so the displayed equation is the checked one.

Vocabulary (all exported)
-------------------------
``n``, ``D``
    Dimensions: number of classes, and input size of the linear layer.
``i, j, k, m``
    Indices over ``1..n``; ``d`` is an index over ``1..D``.
``z, p, g, x, W``
    ``IndexedBase`` objects: logits, targets, upstream gradient ``∂L/∂q`` (vector-Jacobian page),
    layer input, weights ``W[k, d]``.
``qv``
    The probabilities as independent positive variables (prints as :math:`q_i`), for
    derivatives with respect to ``q`` itself, e.g. ``Derivative(-Sum(p[j] * log(qv[j]), (j, 1,
    n)), qv[i])``. Any ``IndexedBase(..., positive=True)`` is sampled in (0.1, 1).
``q(a)``
    Softmax entry; prints as :math:`q_a`, checked as :math:`e^{z_a} / \sum_k e^{z_k}`.
``s(a)``
    :math:`s_a = g_a q_a` (the vector-Jacobian page).
``J``, ``L``
    Cross-entropy :math:`-\sum_j p_j \log q_j`; and a loss with :math:`\partial L/\partial q = g`
    (checked as :math:`\sum_j g_j q_j`: a vector-Jacobian product depends on ``L`` only through
    ``g``, so this stand-in is exact for every ``L``).
``sum_ne(f, k, i)``, ``sum_eq(f, k, i)``
    :math:`\sum_{k \ne i} f` and :math:`\sum_{k = i} f`.

How a step is checked
---------------------
For each ``n`` in ``ns`` (and ``D`` in ``Ds`` when the weights appear) and each value of the free
indices (index symbols not bound by a ``Sum``, found automatically; ``where=Ne(i, j)`` skips some),
sums are expanded, names such as ``q(i)`` replaced by their definitions and derivatives taken.
Each line is compared with the line before it: ``"exact"`` if the difference cancels to 0 as a
rational function once every :math:`e^{u}` is a positive symbol and logs are expanded (sound; no
unbounded ``simplify``), else ``"numeric"`` if it is below ``RTOL`` = 1e-30 relative at
``n_points`` seeded points with 50 digits (z ~ U(-3, 3), p ~ U(0, 1), others ~ N(0, 1), rounded to
two decimals so counterexamples read well), else ``"false"`` with that point as the counterexample.
A step whose difference expands to 0 before any dimension is fixed is ``"proved for all n"``.

Every setting is covered, but work is shared. Settings that differ only by a renumbering of the
classes (for free ``i, j``: ``i = j`` and ``i != j``, whatever n) are one check, made at the
class's first setting in sweep order, since a permutation of 1..n maps the lines of one onto the
other and so identities and counterexamples onto each other; this needs lines that name classes
only through index symbols (no ``z[1]``, no sum to ``n - 1``; otherwise, or when ``where`` tells
a class apart, every setting is checked on its own), and a number an assumption singles out
(``p_n``, solved for) is kept apart. A subexpression is made concrete once per dimension and
reused across lines and classes, and a difference that is a renaming of one already shown to
cancel counts as cancelled. With a linear layer
the cancellation is first tried with the logits ``z_k`` as symbols, then with ``w_k . x``
substituted (an identity in free ``z`` holds for every ``W x``).

``assume=Eq(Sum(p[k], (k, 1, n)), 1)`` is solved in each setting for its last entry (``p_n``),
which is substituted everywhere, so every point satisfies it. ``linear_layer=True`` reads the
logits as ``z_k = sum_d W[k, d] x[d]``. To display a thread's line exactly as written (``0 - e^{z_i}
e^{z_i}``), build it with ``evaluate=False``; checking evaluates it anyway.

Examples
--------
>>> from sympy import Derivative, Eq, Sum
>>> from gradproof.derive import Derivation, Step, J, i, j, k, n, p, q, z
>>> d = Derivation(
...     Derivative(J, z[i]),
...     [Step(Sum(p[k], (k, 1, n)) * q(i) - p[i], "chain rule"),
...      Step(q(i) - p[i], "targets sum to 1")],
...     assume=Eq(Sum(p[k], (k, 1, n)), 1))
>>> d.verify().ok
True
>>> print(d)  # doctest: +NORMALIZE_WHITESPACE
d(J)/d(z[i])
  = q[i]*Sum(p[k], (k, 1, n)) - p[i]   [exact]  chain rule
  = q[i] - p[i]   [exact]  targets sum to 1
checked exactly for n = 2, 3, 4, 5 at every i; assuming Sum(p[k], (k, 1, n)) = 1
>>> wrong = Derivation(Derivative(J, z[i]), [Step(-p[i] + p[i] * q(i), "drops the sum")])
>>> wrong.verify().assert_first_false(1)
>>> wrong.verify().first_false, wrong.verify().counterexample["setting"]
(1, {n: 2, i: 1})
"""

from __future__ import annotations

import functools
import itertools
import re
import time
import zlib
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import mpmath
import numpy as np
import sympy as sp
from sympy.printing.latex import LatexPrinter
from sympy.printing.str import StrPrinter

from gradproof._validation import as_int

__all__ = [
    "D",
    "Derivation",
    "DerivationReport",
    "J",
    "L",
    "Step",
    "StepResult",
    "W",
    "cross_entropy_expr",
    "d",
    "evaluate",
    "g",
    "i",
    "j",
    "k",
    "latex",
    "m",
    "n",
    "p",
    "q",
    "qv",
    "s",
    "softmax_expr",
    "sum_eq",
    "sum_ne",
    "x",
    "z",
]

#: Decimal digits for the numeric fallback; a wrong identity differs at O(1) relative size.
DPS = 50
#: Relative tolerance of the numeric fallback: |a - b| <= RTOL * max(1, |a|, |b|).
RTOL = 1e-30

n, D = sp.symbols("n D", integer=True, positive=True)
_N = n  # parameters called n (the concrete size) shadow the symbol inside functions
i, j, k, m, d = sp.symbols("i j k m d", integer=True, positive=True)
z, p, g, x, W = (sp.IndexedBase(name) for name in ("z", "p", "g", "x", "W"))
# The probabilities as free positive variables, for derivatives in q itself (prints as q_i).
qv = sp.IndexedBase("q", positive=True)

# Index symbols range over 1..n unless listed here.
_INDEX_DIM: dict[sp.Symbol, sp.Symbol] = {d: D}
_DIMS = (n, D)
# The dimension of each axis of a base; bases not listed have one axis over 1..n.
_BASE_AXES: dict[str, tuple[sp.Symbol, ...]] = {"x": (D,), "W": (n, D)}

# How random points are drawn per base (name -> sampler(rng)); anything else is N(0, 1).
_SAMPLERS: dict[str, Callable[[np.random.Generator], float]] = {
    "z": lambda rng: rng.uniform(-3.0, 3.0),
    "p": lambda rng: rng.uniform(0.0, 1.0),
}
_OTHER_SYMBOL_RANGE = (0.5, 2.0)
# Entries of a positive IndexedBase (such as qv): bounded away from 0 so 1/q stays moderate.
_POSITIVE_RANGE = (0.1, 1.0)


# --------------------------------------------------------------------------------------------
# Display objects: print as a short name, expand to their definition for checking.
# --------------------------------------------------------------------------------------------


class _Display(sp.Function):
    """A named quantity that prints as ``name_{args}`` and is checked through its definition."""

    _gp_tex = "?"

    @classmethod
    def eval(cls, *_args: sp.Basic) -> None:
        return None  # never auto-evaluate: the name is what the reader sees

    def definition(self) -> sp.Expr:
        """The expression this name stands for (symbolic ``n``)."""
        raise NotImplementedError


def _define(name: str, body: Callable[..., sp.Expr], nargs: int, tex: str | None = None) -> type:
    def definition(self: _Display) -> sp.Expr:
        return body(*self.args)

    return type(
        name,
        (_Display,),
        {"nargs": nargs, "_gp_tex": tex or name, "definition": definition, "__module__": __name__},
    )


def softmax_expr(a: sp.Expr) -> sp.Expr:
    r"""The softmax entry :math:`e^{z_a} / \sum_{k=1}^{n} e^{z_k}` written out.

    >>> print(softmax_expr(i))
    exp(z[i])/Sum(exp(z[k]), (k, 1, n))
    """
    kk = k if a != k else m
    return sp.exp(z[a]) / sp.Sum(sp.exp(z[kk]), (kk, 1, n))


def cross_entropy_expr() -> sp.Expr:
    r"""The loss :math:`J = -\sum_{j=1}^{n} p_j \log q_j` written out (``q`` kept as a name).

    >>> print(latex(cross_entropy_expr()))
    - \sum_{j=1}^{n} p_{j} \log q_{j}
    """
    return -sp.Sum(p[j] * sp.log(q(j)), (j, 1, n))


q = _define("q", softmax_expr, 1)
s = _define("s", lambda a: g[a] * q(a), 1)
J = _define("J", cross_entropy_expr, 0)()
L = _define("L", lambda: sp.Sum(g[j] * q(j), (j, 1, n)), 0)()


class _SumWhere(sp.Sum):
    """A sum over ``k`` restricted by a Kronecker factor, printed as its restriction."""

    _gp_relation = ""


class _SumNe(_SumWhere):
    _gp_relation = r"\ne"


class _SumEq(_SumWhere):
    _gp_relation = "="


def _index_dim(idx: sp.Symbol) -> sp.Symbol:
    return _INDEX_DIM.get(idx, n)


def sum_ne(f: sp.Expr, idx: sp.Symbol, other: sp.Expr) -> sp.Expr:
    r"""The sum of ``f`` over ``idx`` with ``idx != other``, printed as :math:`\sum_{k \ne i}`.

    It is the full sum times :math:`1 - \delta_{k i}`, so checking needs no special case.

    >>> latex(sum_ne(p[k], k, i))
    '\\sum_{k \\ne i} p_{k}'
    """
    _require_index(idx, "idx")
    body = sp.Mul(f, 1 - sp.KroneckerDelta(idx, other), evaluate=False)  # keeps f as written
    return _SumNe(body, (idx, 1, _index_dim(idx)))


def sum_eq(f: sp.Expr, idx: sp.Symbol, other: sp.Expr) -> sp.Expr:
    r"""The single term ``idx = other`` of a sum, printed as :math:`\sum_{k = i}` (seed 002).

    >>> latex(sum_eq(p[k], k, i))
    '\\sum_{k = i} p_{k}'
    """
    _require_index(idx, "idx")
    body = sp.Mul(f, sp.KroneckerDelta(idx, other), evaluate=False)
    return _SumEq(body, (idx, 1, _index_dim(idx)))


def _require_index(idx: object, name: str) -> None:
    if not (isinstance(idx, sp.Symbol) and idx.is_integer):
        msg = f"{name} must be an integer sympy Symbol such as i, j, k; got {idx!r}"
        raise TypeError(msg)


# --------------------------------------------------------------------------------------------
# Printing
# --------------------------------------------------------------------------------------------


def _split_restriction(expr: _SumWhere) -> tuple[sp.Expr, sp.Expr]:
    """Return (summand without the Kronecker factor, the other index)."""
    idx = expr.limits[0][0]
    body = expr.function
    for factor in sp.Mul.make_args(body):
        delta = factor if isinstance(factor, sp.KroneckerDelta) else -(factor - 1)
        if isinstance(delta, sp.KroneckerDelta) and idx in delta.args:
            other = delta.args[1] if delta.args[0] == idx else delta.args[0]
            rest = [f for f in sp.Mul.make_args(body) if f is not factor]
            return (rest[0] if len(rest) == 1 else sp.Mul(*rest, evaluate=False)), other
    return body, sp.nan  # pragma: no cover - only reachable by hand-built objects


def _factor_rank(f: sp.Basic) -> int:
    if f.is_Number:
        return 0
    if isinstance(f, sp.Sum):
        return 1  # "(sum_j p_j) q_i", as the site writes (Σp) q
    if isinstance(f, sp.Indexed) and str(f.base.label) == "x":
        return 6  # the input vector goes last, as in q_j (δ_ij - q_i) x
    if isinstance(f, sp.Symbol | sp.Indexed | _Display):
        return 2
    if isinstance(f, sp.KroneckerDelta):
        return 3
    if isinstance(f, sp.Pow) and f.exp.is_negative:
        return 7
    if isinstance(f, sp.Derivative):
        return 5
    return 4


class _Latex(LatexPrinter):
    """z_{i} not {z}_{i}; q_{i}; partial derivatives; sums restricted as written."""

    def _print_Indexed(self, expr: sp.Indexed) -> str:
        sub = " ".join(self._print(a) for a in expr.indices)
        return f"{self._print(expr.base.label)}_{{{sub}}}"

    def _print__Display(self, expr: _Display) -> str:
        if not expr.args:
            return expr._gp_tex
        sub = " ".join(self._print(a) for a in expr.args)
        return f"{expr._gp_tex}_{{{sub}}}"

    def _print_Function(self, expr: sp.Basic, exp: str | None = None) -> str:
        if isinstance(expr, _Display):
            out = self._print__Display(expr)
            return f"{out}^{{{exp}}}" if exp else out
        return super()._print_Function(expr, exp)

    def _print_KroneckerDelta(self, expr: sp.KroneckerDelta, exp: str | None = None) -> str:
        out = rf"\delta_{{{self._print(expr.args[0])} {self._print(expr.args[1])}}}"
        return f"{out}^{{{exp}}}" if exp else out

    def _print_Derivative(self, expr: sp.Derivative) -> str:
        den = " ".join(
            rf"\partial {self._print(v)}" + (f"^{{{c}}}" if c != 1 else "")
            for v, c in expr.variable_count
        )
        order = sum(c for _, c in expr.variable_count)
        top = r"\partial" + (f"^{{{order}}}" if order != 1 else "")
        inner = expr.expr
        if isinstance(inner, sp.Symbol | sp.Indexed | _Display) or (
            isinstance(inner, sp.log) and isinstance(inner.args[0], sp.Indexed | _Display)
        ):
            return rf"\frac{{{top} {self._print(inner)}}}{{{den}}}"
        return rf"\frac{{{top}}}{{{den}}} \left({self._print(inner)}\right)"

    def _print_Sum(self, expr: sp.Sum) -> str:
        if isinstance(expr, _SumWhere):
            body, other = _split_restriction(expr)
            idx = self._print(expr.limits[0][0])
            head = rf"\sum_{{{idx} {expr._gp_relation} {self._print(other)}}}"
            return f"{head} {self._print_summand(body)}"
        return super()._print_Sum(expr)

    def _print_summand(self, body: sp.Expr) -> str:
        if isinstance(body, sp.Add) or _negative(body):
            return rf"\left({self._print(body)}\right)"
        return self._print(body)

    def _print_Mul(self, expr: sp.Mul) -> str:
        if not isinstance(expr, sp.Mul):
            # sympy's _print_Pow hands a reciprocal like 1/(a + b) to _print_Mul; its args are
            # (base, -1), which must not be mistaken for a product written with evaluate=False.
            return super()._print_Mul(expr)
        if sp.Mul(*expr.args) != expr:
            return self._print_written_mul(expr)
        factors = sorted(sp.Mul.make_args(expr), key=_factor_rank)
        if any(isinstance(f, sp.Pow) and f.exp.is_negative for f in factors):
            return super()._print_Mul(expr)
        coeff, rest = (factors[0], factors[1:]) if factors[0].is_Number else (sp.S.One, factors)
        parts = [
            rf"\left({self._print(f)}\right)"
            if isinstance(f, sp.Add) or (isinstance(f, sp.Sum) and f is not rest[-1])
            else self._print(f)
            for f in rest
        ]
        body = " ".join(parts)
        if coeff == -1:
            return f"- {body}"
        if coeff == 1:
            return body
        return f"{self._print(coeff)} {body}"

    def _print_written_mul(self, expr: sp.Mul) -> str:
        """A product built with evaluate=False (a thread's line): factors in the written order."""
        args = list(expr.args)
        sign = ""
        if len(args) > 1 and args[0] == -1:  # -1 (a + b) reads as -(a + b)
            sign, args = "- ", args[1:]
        parts: list[str] = []
        for f in args:
            if isinstance(f, sp.Pow) and f.exp == -1:
                parts.append(rf"\frac{{1}}{{{self._print(f.base)}}}")
            elif isinstance(f, sp.Add) or (_negative(f) and parts):
                parts.append(rf"\left({self._print(f)}\right)")
            else:
                parts.append(self._print(f))
        return sign + " ".join(parts)

    def _print_Add(self, expr: sp.Add, order: str | None = None) -> str:
        if sp.Add(*expr.args) != expr:  # built with evaluate=False: keep the written order
            terms = list(expr.args)
        else:
            terms = list(self._as_ordered_terms(expr, order=order))
            # Positive terms first, so "q_i - p_i" is not printed as "- p_i + q_i".
            terms = [t for t in terms if not _negative(t)] + [t for t in terms if _negative(t)]
        out = ""
        for term in terms:
            shown = -term if _negative(term) else term
            if _negative(term):
                out += " - " if out else "- "
            elif out:
                out += " + "
            text = self._print(shown)
            out += rf"\left({text}\right)" if self._needs_add_brackets(shown) else text
        return out

    def _print_log(self, expr: sp.log, exp: str | None = None) -> str:
        arg = expr.args[0]
        simple = isinstance(arg, sp.Symbol | sp.Indexed | _Display)
        inner = self._print(arg) if simple else rf"\left({self._print(arg)}\right)"
        head = r"\log" + (f"^{{{exp}}}" if exp else "")
        return f"{head} {inner}"


def _negative(term: sp.Expr) -> bool:
    return term.could_extract_minus_sign()


def latex(expr: sp.Expr) -> str:
    r"""LaTeX of ``expr`` in the site's notation (``z_{i}``, ``q_{i}``, ``\sum_{k=1}^{n}``).

    >>> latex(softmax_expr(i))
    '\\frac{e^{z_{i}}}{\\sum_{k=1}^{n} e^{z_{k}}}'
    >>> latex(sp.Derivative(J, z[i]))
    '\\frac{\\partial J}{\\partial z_{i}}'
    """
    return _Latex().doprint(expr)


class _Str(StrPrinter):
    def _print__Display(self, expr: _Display) -> str:
        if not expr.args:
            return expr._gp_tex
        return f"{expr._gp_tex}[{', '.join(self._print(a) for a in expr.args)}]"

    def _print_Function(self, expr: sp.Basic) -> str:
        if isinstance(expr, _Display):
            return self._print__Display(expr)
        return super()._print_Function(expr)

    def _print_Derivative(self, expr: sp.Derivative) -> str:
        den = "".join(f"d({self._print(v)})" for v, c in expr.variable_count for _ in range(c))
        return f"d({self._print(expr.expr)})/{den}"

    def _print_Sum(self, expr: sp.Sum) -> str:
        if isinstance(expr, _SumWhere):
            body, other = _split_restriction(expr)
            rel = "!=" if isinstance(expr, _SumNe) else "=="
            idx = self._print(expr.limits[0][0])
            return f"Sum_{{{idx}{rel}{self._print(other)}}}({self._print(body)})"
        return super()._print_Sum(expr)


def _sstr(expr: sp.Basic) -> str:
    return _Str().doprint(expr)


# --------------------------------------------------------------------------------------------
# Concretisation: symbolic n -> concrete n, free indices -> numbers, sums and derivatives done.
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Env:
    """One concrete setting: dimension values and free-index values."""

    dims: tuple[tuple[sp.Symbol, int], ...]
    free: tuple[tuple[sp.Symbol, int], ...]

    def subs(self) -> dict[sp.Symbol, sp.Integer]:
        return {s_: sp.Integer(v) for s_, v in (*self.dims, *self.free)}

    def describe(self) -> str:
        return ", ".join(f"{s_} = {v}" for s_, v in (*self.dims, *self.free))


@functools.lru_cache(maxsize=65536)
def _index_symbols(e: sp.Basic) -> tuple[sp.Symbol, ...]:
    """Index symbols free in ``e`` (not bound by a sum), derivative variables included, sorted."""
    if isinstance(e, sp.Symbol):
        return (e,) if e.is_integer and e not in _DIMS else ()
    found: set[sp.Symbol] = set()
    if isinstance(e, sp.Sum):
        bound: set[sp.Symbol] = set()
        for idx, lo, hi in e.limits:
            found.update(s_ for s_ in (*_index_symbols(lo), *_index_symbols(hi)) if s_ not in bound)
            bound.add(idx)
        found.update(s_ for s_ in _index_symbols(e.function) if s_ not in bound)
    else:
        for a in e.args:
            found.update(_index_symbols(a))
    return tuple(sorted(found, key=lambda s_: s_.name))


def _leaf(base: sp.IndexedBase, idx: tuple[int, ...]) -> sp.Symbol:
    name = f"{base.label}_{'_'.join(str(c) for c in idx)}"
    return sp.Symbol(name, positive=True) if base.is_positive else sp.Symbol(name, real=True)


class _Concretizer:
    """Turns a generic expression into a plain expression in leaf symbols z_1, p_2, ...

    Index values live in an explicit environment, so a sum's bound index shadows a free index of
    the same name (seed 001 writes ``(sum_i p_i y_i) - y_i``) and derivative variables such as
    ``z[i]`` inside a sum get the right value; sympy's ``subs`` does neither reliably.
    """

    def __init__(self, dims: Mapping[sp.Symbol, int], linear_layer: bool) -> None:
        self.dims = {s_: sp.Integer(v) for s_, v in dims.items()}
        self.linear_layer = linear_layer
        self.leaves: dict[sp.Symbol, tuple[str, tuple[int, ...]]] = {}
        # A subexpression's concrete form depends only on the values of its own free indices, so
        # it is computed once per dimension and reused across steps and index settings (the same
        # sum or derivative recurs in every line of a chain and at every value of i, j, ...).
        self._cache: dict[tuple[sp.Basic, tuple[sp.Integer | None, ...]], sp.Basic] = {}
        self._logits: dict[int, sp.Expr] = {}
        self.bases: dict[str, sp.IndexedBase] = {}

    def __call__(
        self, expr: sp.Expr, free: Mapping[sp.Symbol, int] | None = None, *, logits: bool = True
    ) -> sp.Expr:
        """The concrete expression; with ``logits=False`` the z_k of a linear layer stay symbols."""
        env = dict(self.dims) | {s_: sp.Integer(v) for s_, v in (free or {}).items()}
        out = self._conc(expr, env)
        return self.substitute_logits(out) if logits else out

    def substitute_logits(self, expr: sp.Expr) -> sp.Expr:
        """Replace each z_k by w_k . x (linear layer only)."""
        return expr.xreplace(self._logit_map(expr)) if self.linear_layer else expr

    def _logit_map(self, expr: sp.Expr) -> dict[sp.Symbol, sp.Expr]:
        return {
            leaf: self._logit(self.leaves[leaf][1][0])
            for leaf in expr.free_symbols
            if leaf in self.leaves and self.leaves[leaf][0] == "z"
        }

    def _logit(self, c: int) -> sp.Expr:
        if c not in self._logits:
            n_in = int(self.dims[D])
            self._logits[c] = sp.Add(
                *[self._leaf(W, (c, dd)) * self._leaf(x, (dd,)) for dd in range(1, n_in + 1)]
            )
        return self._logits[c]

    def _leaf(self, base: sp.IndexedBase, idx: tuple[int, ...]) -> sp.Symbol:
        leaf = _leaf(base, idx)
        self.leaves[leaf] = (str(base.label), idx)
        self.bases[str(base.label)] = base
        return leaf

    def relabel(self, expr: sp.Expr, env: _Env) -> sp.Expr:
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
            axes = _BASE_AXES.get(label, (n,))
            new = tuple(perms.get(ax, {}).get(c, c) for ax, c in zip(axes, idx, strict=False))
            if new != idx:
                mapping[leaf] = self._leaf(self.bases[label], new)
        return expr.xreplace(mapping)

    def _conc(self, e: sp.Basic, env: dict[sp.Symbol, sp.Integer]) -> sp.Basic:
        if not e.args:
            return self._conc_node(e, env)
        key = (e, tuple(env.get(s_) for s_ in _index_symbols(e)))
        out = self._cache.get(key)
        if out is None:
            out = self._conc_node(e, env)
            self._cache[key] = out
        return out

    def _conc_node(self, e: sp.Basic, env: dict[sp.Symbol, sp.Integer]) -> sp.Basic:
        if isinstance(e, sp.Sum):
            return self._sum(e, env)
        if isinstance(e, _Display):
            return self._conc(e.definition(), env)
        if isinstance(e, sp.Derivative):
            return self._derivative(e, env)
        if isinstance(e, sp.Indexed):
            return self._indexed(e, env)
        if isinstance(e, sp.Symbol) and e.is_integer:
            if e not in env:
                msg = f"index {e} has no value: give it a range with Sum(..., ({e}, 1, n))"
                raise ValueError(msg)
            return env[e]
        if not e.args:
            return e
        if isinstance(e, sp.Lambda | sp.Product | sp.Integral):
            msg = f"{type(e).__name__} is not supported in a derivation; use Sum and Derivative"
            raise TypeError(msg)
        return e.func(*[self._conc(a, env) for a in e.args])

    def _sum(self, e: sp.Sum, env: dict[sp.Symbol, sp.Integer]) -> sp.Expr:
        (idx, lo, hi), rest = e.limits[0], e.limits[1:]
        lo_c, hi_c = self._conc(lo, env), self._conc(hi, env)
        if not (lo_c.is_Integer and hi_c.is_Integer):
            msg = f"sum limits {lo}..{hi} for {idx} are not concrete; use n, D or numbers"
            raise ValueError(msg)
        inner = sp.Sum(e.function, *rest) if rest else e.function
        return sp.Add(
            *[
                self._conc(inner, env | {idx: sp.Integer(c)})
                for c in range(int(lo_c), int(hi_c) + 1)
            ]
        )

    def _indexed(self, e: sp.Indexed, env: dict[sp.Symbol, sp.Integer]) -> sp.Symbol:
        idx = []
        for a in e.indices:
            c = self._conc(a, env)
            if not c.is_Integer:
                msg = f"index {a} of {e} is not an integer once indices have values"
                raise ValueError(msg)
            idx.append(int(c))
        self._check_range(e, idx)
        return self._leaf(e.base, tuple(idx))

    def _check_range(self, e: sp.Indexed, idx: list[int]) -> None:
        axes = _BASE_AXES.get(str(e.base.label), (n,))
        for c, h in zip(idx, (self.dims.get(ax) for ax in axes), strict=False):
            if h is not None and not 1 <= c <= int(h):
                msg = f"{e} is outside 1..{h}"
                raise ValueError(msg)

    def _derivative(self, e: sp.Derivative, env: dict[sp.Symbol, sp.Integer]) -> sp.Expr:
        out = self._conc(e.expr, env)
        for var, count in e.variable_count:
            leaf = self._conc(var, env)
            if not isinstance(leaf, sp.Symbol):
                msg = f"can only differentiate with respect to an entry like z[i]; got {var}"
                raise TypeError(msg)
            for _ in range(int(count)):
                out = self._diff(out, leaf)
        return out

    def _diff(self, expr: sp.Expr, leaf: sp.Symbol) -> sp.Expr:
        direct = sp.diff(expr, leaf)
        if not self.linear_layer or self.leaves[leaf][0] not in ("W", "x"):
            return direct
        # z_c stays a symbol until the end, so derivatives in W or x go through the chain rule;
        # only the logits that contain the leaf contribute (W[c, d] sits in z_c alone).
        base, idx = self.leaves[leaf]
        zs = [s_ for s_ in expr.free_symbols if s_ in self.leaves and self.leaves[s_][0] == "z"]
        if base == "W":
            zs = [zc for zc in zs if self.leaves[zc][1][0] == idx[0]]
        return direct + sp.Add(
            *[sp.diff(expr, zc) * sp.diff(self._logit(self.leaves[zc][1][0]), leaf) for zc in zs]
        )


# --------------------------------------------------------------------------------------------
# Comparison of two concrete expressions
# --------------------------------------------------------------------------------------------


def _name_exponentials(e: sp.Expr) -> sp.Expr:
    """Replace exp(c1*m1 + c2*m2 + ...) by E1**c1 * E2**c2 ..., one positive symbol per monomial.

    Rational powers of one symbol per monomial let cancellation see exp(2 z) = exp(z)**2 and
    exp(-z) = 1/exp(z); other exponents keep their exp as an opaque generator.
    """
    names: dict[sp.Expr, sp.Symbol] = {}

    def rename(ex: sp.exp) -> sp.Expr:
        out = []
        for term in sp.Add.make_args(sp.expand(ex.args[0])):
            coeff, mono = term.as_coeff_Mul()
            if not coeff.is_Rational or mono == 1:
                out.append(sp.exp(term))
                continue
            if mono not in names:
                names[mono] = sp.Symbol(f"_E{len(names)}", positive=True)
            out.append(names[mono] ** coeff)
        return sp.Mul(*out)

    return e.replace(lambda a: isinstance(a, sp.exp), rename)


def _exact_zero(diff: sp.Expr) -> bool:
    """Bounded exact test: expand logs, name each exponential, cancel as a rational function.

    Sound: if the result is 0 with exponentials and logarithms treated as independent symbols,
    the difference is 0 for all values. A False answer proves nothing (numeric check follows).

    A rational function is zero exactly when the numerator of any one fraction it can be
    written as expands to zero, so no gcd is needed (``cancel`` computes one). Logarithms are
    expanded where they are, not by walking the whole tree. Both choices halve the cost of
    verifying the site's pages (4.5 s -> 2.1 s over the 410 differences they check) with the
    same answer for each.
    """
    if diff == 0:
        return True
    if diff.has(sp.log):
        diff = diff.replace(lambda a: isinstance(a, sp.log), lambda a: sp.expand_log(a, force=True))
    try:
        numerator, _ = sp.together(_name_exponentials(diff)).as_numer_denom()
        return sp.expand(numerator) == 0
    except sp.PolynomialError:
        return False


@dataclass
class _Point:
    values: dict[sp.Symbol, mpmath.mpf]


@dataclass
class StepResult:
    """Outcome of one step, compared with the line before it.

    Attributes
    ----------
    status : str
        ``"proved for all n"`` (identical after expanding names, no dimension needed),
        ``"exact"`` (zero difference by cancellation in every setting), ``"numeric"`` (some
        setting needed the 50-digit evaluation), or ``"false"``.
    exact_settings, numeric_settings : int
        How many (dimension, index) settings were settled each way; a renumbering class counts
        all its settings, settled by the check of one of them.
    equals_lhs : bool
        Whether this line equals the left-hand side (at the points checked).
    """

    number: int
    status: str
    exact_settings: int = 0
    numeric_settings: int = 0
    equals_lhs: bool = True

    @property
    def ok(self) -> bool:
        return self.status != "false"


@dataclass
class DerivationReport:
    """What :meth:`Derivation.verify` found.

    ``first_false`` is the 1-based number of the first step that differs from the line before
    it; ``counterexample`` holds the setting (``n``, index values) and the point (values per
    base) where it differs, ``lhs_value``/``rhs_value`` the previous line's and this line's value
    there.
    """

    ok: bool
    steps: list[StepResult]
    first_false: int | None
    counterexample: dict[str, Any] | None
    lhs_value: float | None
    rhs_value: float | None
    ns: tuple[int, ...]
    Ds: tuple[int, ...]
    free: tuple[str, ...]
    n_points: int
    seed: int
    elapsed: float
    summary: str = field(default="")
    #: Restrictions on the free indices (``where=``); settings violating them were skipped.
    where: tuple[sp.Basic, ...] = ()
    #: Conditions granted (``assume=``), solved for one entry in every setting.
    assume: tuple[sp.Basic, ...] = ()
    linear_layer: bool = False
    title: str = ""

    def __post_init__(self) -> None:
        if not self.summary:
            self.summary = self.describe()

    @property
    def statuses(self) -> tuple[str, ...]:
        """The status of each step, in order."""
        return tuple(r.status for r in self.steps)

    def checked(self, *, markdown: bool = False) -> str:
        """What ran: sizes, free indices and their restrictions, exact or numeric, assumptions.

        With ``markdown=True`` relations are ``$...$`` LaTeX instead of plain text.
        """

        def show(rel: sp.Basic) -> str:
            return f"${latex(rel)}$" if markdown else _plain_relation(rel)

        statuses = {r.status for r in self.steps if r.status != "false"}
        if statuses == {"proved for all n"}:
            return "proved for all n by expansion"
        numeric = [r.number for r in self.steps if r.status == "numeric"]
        how = "exactly"
        if numeric:
            how += (
                f", or where cancellation did not settle {_step_list(numeric)}, numerically "
                f"({DPS} digits at {self.n_points} seeded points)"
            )
        dims = f"n = {', '.join(map(str, self.ns))}"
        if self.Ds:
            dims += f" and D = {', '.join(map(str, self.Ds))}"
        text = f"checked {how} for {dims}"
        if self.free:
            text += f" at every {', '.join(self.free)}"
        if self.where:
            text += " with " + ", ".join(show(w) for w in self.where)
        if self.linear_layer:
            text += "; logits " + show(sp.Eq(z[k], sp.Sum(W[k, d] * x[d], (d, 1, D))))
        if self.assume:
            text += "; assuming " + ", ".join(show(a) for a in self.assume)
        proved = [r.number for r in self.steps if r.status == "proved for all n"]
        if proved:
            text += f"; {_step_list(proved)} proved for all n by expansion"
        return text

    def describe(self, *, markdown: bool = False) -> str:
        """:meth:`checked`, then the first false step and its counterexample, if any."""
        text = self.checked(markdown=markdown)
        cx = self.counterexample
        if self.first_false is None or cx is None:
            return text
        setting = ", ".join(f"{s_} = {v}" for s_, v in cx["setting"].items())
        point = ", ".join(f"{b} = {_fmt_values(vs)}" for b, vs in cx["point"].items())
        return (
            f"{text}; step {self.first_false} is false: at {setting}, {point}: "
            f"previous line = {_fmt(self.lhs_value)}, this line = {_fmt(self.rhs_value)}"
        )

    def assert_verified(self) -> None:
        """Raise AssertionError naming the first false step and its counterexample."""
        if self.first_false is not None:
            raise AssertionError(self.summary)

    def assert_first_false(self, number: int) -> None:
        """Raise AssertionError unless step ``number`` (1-based) is the first false step."""
        if self.first_false == number:
            return
        if self.first_false is None:
            msg = f"expected step {number} to be false, but every step verified: {self.summary}"
        else:
            msg = f"expected step {number} to be the first false step; {self.summary}"
        raise AssertionError(msg)


@dataclass(frozen=True)
class Step:
    """One claimed equality: ``expr`` equals the line before it, for the reason ``why``."""

    expr: sp.Expr
    why: str = ""

    def __post_init__(self) -> None:
        if isinstance(self.expr, int | float) and not isinstance(self.expr, bool):
            object.__setattr__(self, "expr", sp.sympify(self.expr))
        if not isinstance(self.expr, sp.Basic):
            msg = f"Step expr must be a sympy expression; got {type(self.expr).__name__}"
            raise TypeError(msg)
        if not isinstance(self.why, str):
            msg = f"Step why must be a str; got {type(self.why).__name__}"
            raise TypeError(msg)


def _free_indices(exprs: Iterable[sp.Basic]) -> tuple[sp.Symbol, ...]:
    """Integer symbols not bound by a sum, including those in derivative variables like z[j]."""
    found = set().union(*(_index_symbols(e) for e in exprs))
    return tuple(sorted(found, key=lambda s_: s_.name))


def _step_list(numbers: Sequence[int]) -> str:
    """``step 2``, ``steps 2 and 3``, ``steps 2, 3 and 5``."""
    if len(numbers) == 1:
        return f"step {numbers[0]}"
    return f"steps {', '.join(map(str, numbers[:-1]))} and {numbers[-1]}"


def _fmt(v: float) -> str:
    return f"{v:.6g}"


def _fmt_values(vs: list[Any]) -> str:
    return "(" + ", ".join(_fmt_values(v) if isinstance(v, list) else _fmt(v) for v in vs) + ")"


_REL_TEXT = {"!=": "≠", "==": "=", "<": "<", "<=": "≤", ">": ">", ">=": "≥"}


def _plain_relation(rel: sp.Basic) -> str:
    return f"{_sstr(rel.lhs)} {_REL_TEXT.get(rel.rel_op, rel.rel_op)} {_sstr(rel.rhs)}"


class Derivation:
    r"""A chain ``lhs = step_1 = step_2 = ...`` that checks and renders itself.

    Parameters
    ----------
    lhs : sympy expression
        The starting expression, e.g. ``Derivative(J, z[i])``.
    steps : sequence of Step (or bare sympy expressions)
        The claimed equal expressions, in order.
    title : str
        Optional heading for the rendered block.
    ns : sequence of int
        Concrete dimensions ``n`` to check (default 2, 3, 4, 5).
    Ds : sequence of int
        Concrete input sizes ``D`` (used only when ``D`` or ``d`` appears or ``linear_layer``).
    n_points : int
        Random points per setting for the numeric fallback and for counterexamples.
    seed : int
        Seed of the points.
    where : sympy relation or sequence of them
        Restricts the free indices, e.g. ``Ne(i, j)`` for an off-diagonal entry; settings that
        violate it are skipped.
    assume : sympy Eq or sequence of Eq
        Conditions the steps may use, e.g. ``Eq(Sum(p[k], (k, 1, n)), 1)``. In each concrete
        setting each condition is solved for its last leaf (``p_n`` here), which is then
        replaced everywhere, so points always satisfy it.
    linear_layer : bool
        Logits of a linear layer: ``z_k = sum_d W[k, d] x[d]``. Derivatives in ``W`` and ``x``
        then pass through ``z`` by the chain rule.
    """

    def __init__(
        self,
        lhs: sp.Expr,
        steps: Sequence[Step | sp.Expr],
        *,
        title: str = "",
        ns: Sequence[int] = (2, 3, 4, 5),
        Ds: Sequence[int] = (2, 3),
        n_points: int = 3,
        seed: int = 0,
        assume: sp.Eq | Sequence[sp.Eq] = (),
        where: sp.Basic | Sequence[sp.Basic] = (),
        linear_layer: bool = False,
    ) -> None:
        if not isinstance(lhs, sp.Basic):
            msg = f"lhs must be a sympy expression; got {type(lhs).__name__}"
            raise TypeError(msg)
        if isinstance(steps, Step | sp.Basic) or not len(steps):
            msg = "steps must be a non-empty list of Step objects or sympy expressions"
            raise ValueError(msg)
        self.lhs = lhs
        self.steps = [st if isinstance(st, Step) else Step(st) for st in steps]
        self.title = title
        self.ns = _positive_ints(ns, "ns")
        self.Ds = _positive_ints(Ds, "Ds")
        self.n_points = as_int(n_points, "n_points", minimum=1)
        self.seed = as_int(seed, "seed", minimum=0)
        assume_list = [assume] if isinstance(assume, sp.Basic) else list(assume)
        for a in assume_list:
            if not isinstance(a, sp.Equality):
                msg = (
                    f"assume must be sympy Eq objects, e.g. Eq(Sum(p[k], (k, 1, n)), 1); got {a!r}"
                )
                raise TypeError(msg)
        self.assume = tuple(assume_list)
        where_list = [where] if isinstance(where, sp.Basic) else list(where)
        for w in where_list:
            if not isinstance(w, sp.Rel):
                msg = f"where must be sympy relations between indices, e.g. Ne(i, j); got {w!r}"
                raise TypeError(msg)
        self.where = tuple(where_list)
        self.linear_layer = linear_layer
        self.exprs = [lhs, *(st.expr for st in self.steps)]
        self.free = _free_indices(self.exprs)
        self._report: DerivationReport | None = None
        # Private: False checks every setting on its own (tests compare the two paths).
        self._group_settings = True
        self._per_dims: dict[tuple[tuple[sp.Symbol, int], ...], _Conc] = {}

    # ---- settings -------------------------------------------------------------------------

    @cached_property
    def _uses_D(self) -> bool:
        return self.linear_layer or any(e.has(D) or e.has(d) or e.has(x) for e in self.exprs)

    def _settings(self) -> Iterable[tuple[dict[sp.Symbol, int], list[tuple[_Env, bool]]]]:
        """Per dimension setting: every assignment of the free indices, and whether it is kept."""
        Ds = self.Ds if self._uses_D else (None,)
        for nn, DD in itertools.product(self.ns, Ds):
            dims = {n: nn} if DD is None else {n: nn, D: DD}
            ranges = [range(1, dims.get(_index_dim(f), nn) + 1) for f in self.free]
            envs = []
            for values in itertools.product(*ranges):
                assign = {f: sp.Integer(v) for f, v in zip(self.free, values, strict=True)}
                kept = all(bool(w.xreplace(assign)) for w in self.where)
                envs.append(
                    (_Env(tuple(dims.items()), tuple(zip(self.free, values, strict=True))), kept)
                )
            yield dims, envs

    def _setting_classes(self) -> Iterable[tuple[dict[sp.Symbol, int], _Env, int]]:
        """The settings to check, each with how many settings its result stands for.

        Settings that differ by a renumbering of the classes (and of the inputs) are one check
        when the lines treat all classes alike (:func:`_renumbering_invariant`): a permutation of
        1..n maps the concrete lines of one setting onto those of the other, so an identity, a
        cancellation and a counterexample carry over. The representative is the class's first
        setting in the order of the full sweep, so a counterexample is the one the full sweep
        would report. Class numbers that an assumption singles out (``p_n``, solved for) stay
        fixed: only the other numbers are permuted.
        """
        for dims, envs in self._settings():
            if not (self._group_settings and self._renumbering_invariant):
                yield from ((dims, env, 1) for env, kept in envs if kept)
                continue
            pinned = self._pinned(dims)
            classes: dict[tuple[Any, ...], list[tuple[_Env, bool]]] = {}
            for env, kept in envs:
                classes.setdefault(_class_key(env, pinned), []).append((env, kept))
            if any(len({kept for _, kept in members}) > 1 for members in classes.values()):
                # `where` tells members of a class apart (e.g. Ne(i, 1)): check one by one.
                yield from ((dims, env, 1) for env, kept in envs if kept)
                continue
            for members in classes.values():  # dicts keep first-seen order: the sweep's order
                if members[0][1]:
                    yield dims, members[0][0], len(members)

    @cached_property
    def _renumbering_invariant(self) -> bool:
        """Whether no line or assumption singles out a class or input by its number."""
        exprs = [*self.exprs, *(a.lhs - a.rhs for a in self.assume)]
        return all(_renumbering_invariant(_expand_names(e)) for e in exprs)

    def _pinned(self, dims: dict[sp.Symbol, int]) -> dict[sp.Symbol, set[int]]:
        """Numbers per dimension that an assumption's solved-for leaves carry (e.g. n for p_n)."""
        shared = self._shared(dims)
        pinned: dict[sp.Symbol, set[int]] = {}
        for leaf in shared.fixes:
            label, idx = shared.conc.leaves[leaf]
            for axis, c in zip(_BASE_AXES.get(label, (n,)), idx, strict=False):
                pinned.setdefault(axis, set()).add(c)
        return pinned

    # ---- per-setting machinery -------------------------------------------------------------

    def _concrete(
        self, dims: dict[sp.Symbol, int], env: _Env, *, logits: bool = True
    ) -> tuple[list[sp.Expr], _Conc]:
        shared = self._shared(dims)
        free = dict(env.free)
        exprs = [shared.conc(e, free, logits=logits) for e in self.exprs]
        if shared.fixes:
            exprs = [e.xreplace(shared.fixes) for e in exprs]
        return exprs, shared

    def _shared(self, dims: dict[sp.Symbol, int]) -> _Conc:
        """One concretiser (and its cache) and one solved assumption per dimension setting."""
        key = tuple(dims.items())
        if key not in self._per_dims:
            conc = _Concretizer(dims, self.linear_layer)
            self._per_dims[key] = _Conc(conc, self._assumption_map(conc, dims))
        return self._per_dims[key]

    def _assumption_map(
        self, conc: _Concretizer, dims: dict[sp.Symbol, int]
    ) -> dict[sp.Symbol, sp.Expr]:
        fixes: dict[sp.Symbol, sp.Expr] = {}
        for eq in self.assume:
            rel = conc(eq.lhs - eq.rhs).xreplace(fixes)
            leaves = sorted(
                (s_ for s_ in rel.free_symbols if s_ in conc.leaves),
                key=lambda s_: conc.leaves[s_][1],
            )
            solved = None
            for leaf in reversed(leaves):
                sol = sp.solve(rel, leaf, dict=True)
                if len(sol) == 1:
                    solved = (leaf, sol[0][leaf])
                    break
            if solved is None:
                msg = f"cannot use assumption {eq} at {dims}: it is not solvable for one entry"
                raise ValueError(msg)
            fixes = {a: b.xreplace({solved[0]: solved[1]}) for a, b in fixes.items()}
            fixes[solved[0]] = solved[1]
        return fixes

    def _points(self, dims: dict[sp.Symbol, int], leaves: Iterable[sp.Symbol]) -> list[_Point]:
        key = "/".join(f"{s_}={v}" for s_, v in dims.items())
        points = []
        for t in range(self.n_points):
            values = {}
            for leaf in sorted(leaves, key=lambda s_: s_.name):
                salt = zlib.crc32(f"{self.seed}|{key}|{t}|{leaf.name}".encode())
                rng = np.random.default_rng([self.seed, salt])
                base = leaf.name.split("_")[0]
                if leaf.is_positive and base not in _SAMPLERS:
                    raw = rng.uniform(*_POSITIVE_RANGE)
                elif base in _SAMPLERS or "_" in leaf.name:
                    raw = _SAMPLERS.get(base, lambda r: r.normal())(rng)
                else:
                    raw = rng.uniform(*_OTHER_SYMBOL_RANGE)
                # Two decimals keep counterexamples readable; they are exact rationals.
                values[leaf] = mpmath.mpf(f"{raw:.2f}")
            points.append(_Point(values))
        return points

    # ---- verification ----------------------------------------------------------------------

    def verify(self) -> DerivationReport:
        """Check every step against the line before it (cached; see the class docstring)."""
        if self._report is None:
            self._report = self._verify()
        return self._report

    def _structural(self, a: sp.Expr, b: sp.Expr) -> bool:
        expanded = [_expand_names(e) for e in (a, b)]
        if self.assume:
            return False  # the assumption might be what makes them equal; check concretely
        try:
            return sp.expand(expanded[0] - expanded[1]) == 0
        except (TypeError, ValueError):
            return False

    def _verify(self) -> DerivationReport:
        start = time.perf_counter()
        nsteps = len(self.steps)
        results = [StepResult(number=t + 1, status="exact") for t in range(nsteps)]
        proved = [self._structural(self.exprs[t], self.exprs[t + 1]) for t in range(nsteps)]
        for t in range(nsteps):
            if proved[t]:
                results[t].status = "proved for all n"
        first: tuple[int, dict[str, Any], float, float] | None = None
        cancelled: set[sp.Expr] = set()  # differences (renumbered) already shown to cancel
        # A difference that cancels with the logits z_k as free symbols also cancels once
        # z_k = w_k . x is substituted, so the cheaper form is tried first (not under assumptions,
        # which are solved with the logits substituted).
        z_first = self.linear_layer and not self.assume
        for dims, env, size in self._setting_classes():
            exprs, conc = self._concrete(dims, env, logits=not z_first)
            full: list[sp.Expr] | None = None if z_first else exprs
            points: list[_Point] | None = None
            for t in range(nsteps):
                res = results[t]
                if proved[t] or res.status == "false":
                    continue
                key = conc.conc.relabel(exprs[t] - exprs[t + 1], env)
                if key in cancelled or _exact_zero(key):
                    cancelled.add(key)
                    res.exact_settings += size
                    continue
                if z_first:
                    if full is None:
                        full = [conc.conc.substitute_logits(e) for e in exprs]
                    key = conc.conc.relabel(full[t] - full[t + 1], env)
                    if key in cancelled or _exact_zero(key):
                        cancelled.add(key)
                        res.exact_settings += size
                        continue
                lines = exprs if full is None else full  # full is set whenever z_first
                a, b = lines[t], lines[t + 1]
                if points is None:
                    leaves = set().union(*(e.free_symbols for e in lines), conc.fixes)
                    points = self._points(dims, leaves)
                bad = _numeric_mismatch(a, b, points, conc.fixes)
                if bad is None:
                    res.numeric_settings += size
                    res.status = "numeric"
                    continue
                res.status = "false"
                point, va, vb = bad
                if first is None or t < first[0]:
                    cx = {"setting": dict(env.dims + env.free), "point": _by_base(point, conc)}
                    first = (t, cx, va, vb)
        self._mark_lhs_mismatch(results, first)
        self._per_dims.clear()  # the caches are only needed while verifying
        elapsed = time.perf_counter() - start
        first_false = None if first is None else first[0] + 1
        return DerivationReport(
            ok=first is None,
            steps=results,
            first_false=first_false,
            counterexample=None if first is None else first[1],
            lhs_value=None if first is None else first[2],
            rhs_value=None if first is None else first[3],
            ns=self.ns,
            Ds=self.Ds if self._uses_D else (),
            free=tuple(f.name for f in self.free),
            n_points=self.n_points,
            seed=self.seed,
            elapsed=elapsed,
            where=self.where,
            assume=self.assume,
            linear_layer=self.linear_layer,
            title=self.title,
        )

    def _mark_lhs_mismatch(
        self, results: list[StepResult], first: tuple[int, dict[str, Any], float, float] | None
    ) -> None:
        """After a false step, later lines may follow from it and still differ from the lhs."""
        if first is None:
            return
        setting = first[1]["setting"]
        dims = {s_: setting[s_] for s_ in _DIMS if s_ in setting}
        env = _Env(tuple(dims.items()), tuple((f, setting[f]) for f in self.free if f in setting))
        exprs, conc = self._concrete(dims, env)
        leaves = set().union(*(e.free_symbols for e in exprs)) | set(conc.fixes)
        points = self._points(dims, leaves)
        for t in range(first[0], len(results)):
            mism = _numeric_mismatch(exprs[0], exprs[t + 1], points, conc.fixes)
            results[t].equals_lhs = mism is None

    # ---- text ------------------------------------------------------------------------------

    def __str__(self) -> str:
        report = self.verify()
        lines = [_sstr(self.lhs)]
        for st, res in zip(self.steps, report.steps, strict=True):
            tag = res.status if res.status != "proved for all n" else "proved for all n"
            note = f"  {st.why}" if st.why else ""
            lines.append(f"  = {_sstr(st.expr)}   [{tag}]{note}")
        lines.append(report.summary)
        return "\n".join(lines)

    def __repr__(self) -> str:
        return f"<Derivation {self.title or _sstr(self.lhs)}: {len(self.steps)} steps>"

    def to_latex(self) -> str:
        r"""The chain as ``\begin{aligned}...\end{aligned}`` with a ✓/✗ per step."""
        report = self.verify()
        rows = []
        for t, (st, res) in enumerate(zip(self.steps, report.steps, strict=True)):
            left = latex(self.lhs) if t == 0 else ""
            # \class (MathJax's html extension) lets the site's CSS colour the marks.
            mark = r"\class{gp-ok}{\checkmark}" if res.ok else r"\class{gp-false}{\times}"
            why = rf"\quad {_why_tex(st.why)}" if st.why else ""
            rows.append(rf"{left} &= {latex(st.expr)} && {mark}{why}")
        return "\\begin{aligned}\n" + " \\\\\n".join(rows) + "\n\\end{aligned}"

    def _repr_markdown_(self) -> str:
        report = self.verify()
        head = f"**{self.title}**\n\n" if self.title else ""
        extra = ""
        if report.first_false is not None:
            later = [
                r.number for r in report.steps[report.first_false :] if r.ok and not r.equals_lhs
            ]
            if later:
                verb = "follows" if len(later) == 1 else "follow"
                extra = (
                    f" {_step_list(later).capitalize()} {verb} from the line before but not from "
                    "the left-hand side."
                )
        summary = report.describe(markdown=True)
        text = summary[0].upper() + summary[1:] + "." + extra
        return f"{head}$$\n{self.to_latex()}\n$$\n\n{text}\n"

    def replace(self, **changes: Any) -> Derivation:
        """A new, unverified Derivation with the same chain and options, except `changes`.

        Examples
        --------
        >>> from sympy import Derivative
        >>> d = Derivation(Derivative(J, z[i]), [q(i) - p[i]], ns=(2, 3))
        >>> d.replace(ns=(4,)).ns
        (4,)
        """
        options = {
            "title": self.title,
            "ns": self.ns,
            "Ds": self.Ds,
            "n_points": self.n_points,
            "seed": self.seed,
            "assume": self.assume,
            "where": self.where,
            "linear_layer": self.linear_layer,
        }
        unknown = sorted(set(changes) - {"lhs", "steps", *options})
        if unknown:
            msg = f"replace got unknown options {unknown}; it takes lhs, steps, {sorted(options)}"
            raise TypeError(msg)
        options |= changes
        return Derivation(options.pop("lhs", self.lhs), options.pop("steps", self.steps), **options)

    # ---- evaluation ------------------------------------------------------------------------

    def evaluate(
        self,
        step: int,
        n: int,
        values: Mapping[sp.IndexedBase, Any],
        free: Mapping[sp.Symbol, int] | None = None,
        *,
        order: Sequence[sp.Symbol] | None = None,
        **dims: int,
    ) -> float | np.ndarray:
        """Evaluate line ``step`` (0 = lhs) with :func:`evaluate` (same arguments)."""
        if not 0 <= step <= len(self.steps):
            msg = f"step must be between 0 (the lhs) and {len(self.steps)}; got {step}"
            raise ValueError(msg)
        return evaluate(
            self.exprs[step], n, values, free, order=order, linear_layer=self.linear_layer, **dims
        )


@dataclass
class _Conc:
    conc: _Concretizer
    fixes: dict[sp.Symbol, sp.Expr]


def _is_int(v: object) -> bool:
    # bool is an int subclass, but True as a dimension or seed is a slip, not a 1.
    return isinstance(v, int | np.integer) and not isinstance(v, bool | np.bool_)


def _is_index(a: sp.Basic) -> bool:
    return isinstance(a, sp.Symbol) and bool(a.is_integer) and a not in _DIMS


def _renumbering_invariant(e: sp.Basic) -> bool:
    """Whether ``e`` (names expanded) names classes and inputs only through index symbols.

    True when every index symbol appears only as an index of an entry (``z[i]``, ``W[k, d]``), in
    a Kronecker delta or as a sum's variable, and every sum runs over the full range (1 to n or D):
    then renumbering the classes permutes the concrete leaves and nothing else. A literal such
    as ``z[1]``, ``KroneckerDelta(i, 2)``, ``z[i + 1]``, a sum to ``n - 1`` or an index used as
    a number (``i * p[i]``) makes it False.
    """
    if isinstance(e, sp.Indexed):
        return all(_is_index(a) for a in e.indices)
    if isinstance(e, sp.KroneckerDelta):
        return all(_is_index(a) for a in e.args)
    if isinstance(e, sp.Sum):
        full = all(lo == 1 and hi == _index_dim(idx) for idx, lo, hi in e.limits)
        return full and _renumbering_invariant(e.function)
    if isinstance(e, sp.Symbol):
        return not _is_index(e)
    return all(_renumbering_invariant(a) for a in e.args)


def _class_key(env: _Env, pinned: Mapping[sp.Symbol, set[int]]) -> tuple[Any, ...]:
    """The free-index values up to renumbering: pinned numbers kept, others by first use."""
    seen: dict[tuple[sp.Symbol, int], int] = {}
    key: list[Any] = []
    for f, v in env.free:
        dim = _index_dim(f)
        if v in pinned.get(dim, ()):
            key.append(("pinned", v))
        else:
            key.append(seen.setdefault((dim, v), len(seen)))
    return tuple(key)


def _positive_ints(values: Sequence[int], name: str) -> tuple[int, ...]:
    if not isinstance(values, Iterable):
        msg = f"{name} must be a non-empty sequence of positive ints such as (2, 3); got {values!r}"
        raise TypeError(msg)
    out = tuple(values)
    if not out or not all(_is_int(v) and v >= 1 for v in out):
        msg = f"{name} must be a non-empty sequence of positive ints; got {values!r}"
        raise ValueError(msg)
    return tuple(int(v) for v in out)


def _expand_names(e: sp.Expr) -> sp.Expr:
    return e.replace(lambda a: isinstance(a, _Display), lambda a: _expand_names(a.definition()))


def _value(expr: sp.Expr, point: Mapping[sp.Symbol, mpmath.mpf]) -> mpmath.mpf:
    with mpmath.workdps(DPS):
        v = sp.N(expr.xreplace({s_: sp.Float(str(val), DPS) for s_, val in point.items()}), DPS)
        if v.free_symbols:
            msg = f"cannot evaluate: no value for {sorted(map(str, v.free_symbols))}"
            raise ValueError(msg)
        if not v.is_real:
            msg = f"value is not real: {v}"
            raise ValueError(msg)
        return mpmath.mpf(str(v))


def _numeric_mismatch(
    a: sp.Expr, b: sp.Expr, points: Sequence[_Point], fixes: Mapping[sp.Symbol, sp.Expr]
) -> tuple[dict[sp.Symbol, mpmath.mpf], float, float] | None:
    for pt in points:
        vals = {s_: v for s_, v in pt.values.items() if s_ not in fixes}
        full = dict(vals)
        with mpmath.workdps(DPS):
            for s_, rule in fixes.items():
                full[s_] = _value(rule, vals)
            va, vb = _value(a, vals), _value(b, vals)
            scale = max(mpmath.mpf(1), abs(va), abs(vb))
            if abs(va - vb) > RTOL * scale:
                return full, float(va), float(vb)
    return None


def _by_base(point: Mapping[sp.Symbol, mpmath.mpf], conc: _Conc) -> dict[str, list[Any]]:
    """Group a point's values by base in index order: {'z': [...], 'W': [[...], [...]]}."""
    info = conc.conc.leaves
    out: dict[str, list[tuple[tuple[int, ...], float]]] = {}
    for leaf, val in point.items():
        base, idx = info.get(leaf, (leaf.name, ()))
        out.setdefault(base, []).append((idx, float(val)))
    order = {b: r for r, b in enumerate(("z", "p", "g", "x", "W"))}
    grouped: dict[str, list[Any]] = {}
    for b in sorted(out, key=lambda b: (order.get(b, len(order)), b)):
        entries = sorted(out[b])
        if entries and len(entries[0][0]) == 2:
            rows: dict[int, list[float]] = {}
            for (r, _), v in entries:
                rows.setdefault(r, []).append(v)
            grouped[b] = [rows[r] for r in sorted(rows)]
        else:
            grouped[b] = [v for _, v in entries]
    return grouped


def _tex_text(text: str) -> str:
    repl = {"\\": r"\backslash ", "{": r"\{", "}": r"\}", "%": r"\%", "$": r"\$", "#": r"\#"}
    repl |= {"&": r"\&", "_": r"\_", "^": r"\^{}"}
    return "".join(repl.get(c, c) for c in text)


def _why_tex(why: str) -> str:
    r"""A step's reason as LaTeX: ``$...$`` passes through as math, the rest is ``\text``.

    An unmatched ``$`` (or ``\$``) is shown as a dollar sign.

    >>> _why_tex("sum over $j \\ne i$ of p_j")
    '\\text{sum over }j \\ne i\\text{ of p\\_j}'
    """
    parts = re.split(r"(?<!\\)\$", why)
    if len(parts) % 2 == 0:  # unmatched: no math at all
        parts = [why]
    out = []
    for t, part in enumerate(parts):
        if t % 2:
            out.append(part)
        elif part:
            literal = part.replace("\\$", "$")
            out.append(rf"\text{{{_tex_text(literal)}}}")
    return "".join(out)


def evaluate(
    expr: sp.Expr,
    n: int,
    values: Mapping[sp.IndexedBase, Any],
    free: Mapping[sp.Symbol, int] | None = None,
    *,
    order: Sequence[sp.Symbol] | None = None,
    linear_layer: bool = False,
    **dims: int,
) -> float | np.ndarray:
    """Evaluate a generic expression at a concrete ``n`` and point (50 digits, returned as float).

    Parameters
    ----------
    expr : sympy expression
        Any line of a derivation.
    n : int
        The dimension.
    values : mapping
        Arrays per base, e.g. ``{z: (1, 2, 3), p: (0.2, 0.3, 0.5)}`` (``W`` as a 2-D array).
    free : mapping, optional
        Values of free indices. Free indices not given are swept over their range, and the result
        is an array with one axis per such index, in alphabetical order of their names unless
        ``order`` says otherwise.
    order : sequence of index symbols, optional
        Axis order for the swept indices, e.g. ``(j, i, d)`` for the (K, K, D) weight Jacobian.
    linear_layer : bool
        Read ``z`` as ``W x`` (pass ``D=...`` too).

    Examples
    --------
    >>> from gradproof.derive import evaluate, i, p, q, z
    >>> v = evaluate(q(i) - p[i], 3, {z: (1, 2, 3), p: (0.2, 0.3, 0.5)})
    >>> print(np.round(v, 4))
    [-0.11   -0.0553  0.1652]
    """
    if not isinstance(expr, sp.Basic):
        msg = f"expr must be a sympy expression such as q(i) - p[i]; got {type(expr).__name__}"
        raise TypeError(msg)
    free = dict(free or {})
    dim_map = {_N: as_int(n, "n", minimum=1)}
    if "D" in dims:
        dim_map[D] = as_int(dims.pop("D"), "D", minimum=1)
    if dims:
        msg = f"unknown keyword arguments {sorted(dims)}; only D= is accepted"
        raise TypeError(msg)
    point = _point_from_values(values, n, dim_map.get(D))
    sweep = [f for f in _free_indices([expr]) if f not in free]
    if order is not None:
        if sorted(map(str, order)) != sorted(map(str, sweep)):
            msg = f"order must list the swept indices {[str(f) for f in sweep]}; got {order!r}"
            raise ValueError(msg)
        sweep = list(order)
    ranges = [range(1, (dim_map.get(_index_dim(f), n)) + 1) for f in sweep]
    out = np.empty([len(r) for r in ranges], dtype=float)
    for combo in itertools.product(*ranges):
        assign = {**free, **dict(zip(sweep, combo, strict=True))}
        conc = _Concretizer(dim_map, linear_layer)
        e = conc(expr, assign)
        missing = sorted(s_.name for s_ in e.free_symbols if s_ not in point)
        if missing:
            msg = f"values has no entry for {missing}"
            raise ValueError(msg)
        out[tuple(c - 1 for c in combo)] = float(_value(e, point))
    return float(out) if not sweep else out


def _point_from_values(
    values: Mapping[sp.IndexedBase, Any], n_val: int, d_val: int | None
) -> dict[sp.Symbol, mpmath.mpf]:
    if not isinstance(values, Mapping):
        msg = "values must be a mapping such as {z: (1, 2, 3), p: (0.2, 0.3, 0.5)}"
        raise TypeError(msg)
    point = {}
    for base, arr in values.items():
        if not isinstance(base, sp.IndexedBase):
            msg = f"values keys must be IndexedBase objects such as z, p; got {base!r}"
            raise TypeError(msg)
        a = np.asarray(arr)
        if a.dtype.kind not in "iuf":
            what = "real" if a.dtype.kind == "c" else "numeric"
            msg = f"values[{base}] must be {what} numbers; got dtype {a.dtype}"
            raise TypeError(msg)
        a = a.astype(float)
        if not np.all(np.isfinite(a)):
            msg = f"values[{base}] must be finite"
            raise ValueError(msg)
        for idx in np.ndindex(a.shape):
            point[_leaf(base, tuple(c + 1 for c in idx))] = mpmath.mpf(repr(float(a[idx])))
    del n_val, d_val
    return point
