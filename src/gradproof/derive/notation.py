r"""The site's notation as sympy objects: dimensions, indices, arrays, named quantities, sums.

Every derivation on the site is written with these names, and :func:`~gradproof.derive.latex`
prints them the way the pages write them (``z_{i}``, ``q_{i}``, ``\sum_{k \ne i}``).

``n``, ``D``
    Dimensions: number of classes, and input size of the linear layer.
``i, j, k, m``
    Indices over ``1..n``; ``d`` is an index over ``1..D``.
``z, p, g, x, W``
    ``IndexedBase`` objects: logits, targets, upstream gradient ``∂L/∂q`` (vector-Jacobian page),
    layer input, weights ``W[k, d]``. Their entries are checked on their domains (:data:`DOMAINS`):
    ``z``, ``g``, ``x``, ``W`` any real number, ``p`` any nonnegative number (targets need not
    sum to 1 unless a derivation assumes it).
``qv``
    The probabilities as independent positive variables (prints as :math:`\tilde q_i`, apart
    from the softmax :math:`q_i`), for
    derivatives with respect to ``q`` itself, e.g. ``Derivative(-Sum(p[j] * log(qv[j]), (j, 1,
    n)), qv[i])``. Any ``IndexedBase(..., positive=True)`` has positive entries.
``q(a)``
    Softmax entry; prints as :math:`q_a`, checked as :math:`e^{z_a} / \sum_k e^{z_k}`.
``s(a)``
    :math:`s_a = g_a q_a` (the vector-Jacobian page).
``J``, ``L``
    Cross-entropy :math:`-\sum_j p_j \log q_j`; and any smooth loss of the probabilities,
    :math:`L(q_1, \dots, q_n)` with :math:`q = \operatorname{softmax}(z)`. ``L`` is checked as
    what it is, an unknown function: its value, its gradient :math:`\partial L/\partial q_k =
    g_k` and its higher derivatives at the point are free numbers (the entries of ``g`` are the
    gradient, so they change with ``z`` through the Hessian of ``L``), so a line holds for ``L``
    only if it holds for every loss.
``sum_ne(f, k, i)``, ``sum_eq(f, k, i)``
    :math:`\sum_{k \ne i} f` and :math:`\sum_{k = i} f`; the restriction is stored as a factor
    of its own (:class:`Restriction`), so it is printed as given, never guessed from the summand.
``total(f, k)``, ``sum_exp``, ``SUM_P_IS_1``
    :math:`\sum_{k=1}^{n} f`; the softmax denominator :math:`\sum_{k=1}^{n} e^{z_k}`; the
    assumption :math:`\sum_{k=1}^{n} p_k = 1`.
``delta(a, b)``
    :math:`\delta_{a b}` with its indices in the written order.
``point(logits, targets)``
    Values of ``z`` (and ``p``) for :func:`~gradproof.derive.evaluate`.

Examples
--------
>>> from gradproof.derive import latex
>>> latex(total(p[k], k) * q(i) - p[i])
'\\left(\\sum_{k=1}^{n} p_{k}\\right) q_{i} - p_{i}'
>>> print(SUM_P_IS_1)
Eq(Sum(p[k], (k, 1, n)), 1)
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import sympy as sp

from gradproof._validation import require_index

if TYPE_CHECKING:  # NumPy is not needed to build or check a derivation (Pyodide has none)
    from numpy.typing import ArrayLike

__all__ = [
    "DOMAINS",
    "SUM_P_IS_1",
    "D",
    "J",
    "L",
    "Restriction",
    "W",
    "cross_entropy_expr",
    "d",
    "delta",
    "g",
    "i",
    "j",
    "k",
    "m",
    "n",
    "p",
    "point",
    "q",
    "qv",
    "s",
    "softmax_expr",
    "sum_eq",
    "sum_exp",
    "sum_ne",
    "total",
    "x",
    "z",
]

n, D = sp.symbols("n D", integer=True, positive=True)
i, j, k, m, d = sp.symbols("i j k m d", integer=True, positive=True)
z, p, g, x, W = (sp.IndexedBase(name) for name in ("z", "p", "g", "x", "W"))
# The probabilities as free positive variables, for derivatives in q itself (prints as q̃_i).
qv = sp.IndexedBase("q", positive=True)

# Index symbols range over 1..n unless listed here.
_INDEX_DIM: dict[sp.Symbol, sp.Symbol] = {d: D}
_DIMS = (n, D)
# The dimension of each axis of a base; bases not listed have one axis over 1..n.
_BASE_AXES: dict[str, tuple[sp.Symbol, ...]] = {"x": (D,), "W": (n, D)}

#: Each base's domain by name (what a rewrite may assume of its entries, and where the numeric
#: comparison samples them). A base not listed is ``"positive"`` if it was declared
#: ``positive=True`` (as ``qv`` is), ``"nonnegative"`` if declared so, and ``"real"`` otherwise;
#: a plain symbol (a temperature ``T``, a shift ``c``) likewise by its own assumptions.
DOMAINS: dict[str, str] = {"z": "real", "g": "real", "x": "real", "W": "real", "p": "nonnegative"}


def _index_dim(idx: sp.Symbol) -> sp.Symbol:
    return _INDEX_DIM.get(idx, n)


def base_axes(base: sp.IndexedBase | str, rank: int = 1) -> tuple[sp.Symbol, ...]:
    """The dimension of each axis of `base`: ``W`` is ``(n, D)``, ``x`` is ``(D,)``; a base not
    listed has `rank` axes over the classes (``V[i, j]`` is an n-by-n matrix)."""
    return _BASE_AXES.get(str(getattr(base, "label", base)), (n,) * rank)


def domain_of(item: sp.IndexedBase | sp.Symbol) -> str:
    """``"real"``, ``"nonnegative"`` or ``"positive"``: the domain of a base's entries or a symbol.

    >>> domain_of(z), domain_of(p), domain_of(qv), domain_of(sp.Symbol("T", positive=True))
    ('real', 'nonnegative', 'positive', 'positive')
    """
    if item.is_positive:
        return "positive"
    label = str(getattr(item, "label", ""))
    if label in DOMAINS:
        return DOMAINS[label]
    return "nonnegative" if item.is_nonnegative else "real"


# --------------------------------------------------------------------------------------------
# Named quantities: print as a short name, expand to their definition for checking.
# --------------------------------------------------------------------------------------------


class _Display(sp.Function):
    """A named quantity that prints as ``name_{args}`` and is checked through its definition."""

    _gp_tex = "?"
    #: An opaque name has no definition in other names (``L``): it stays as it is.
    _gp_opaque = False

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


@functools.lru_cache(maxsize=4096)
def _expand_names(e: sp.Expr) -> sp.Expr:
    """``e`` with every named quantity (``q(i)``, ``J``, ...) replaced by its definition."""
    return e.replace(
        lambda a: isinstance(a, _Display) and not a._gp_opaque,
        lambda a: _expand_names(a.definition()),
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

    >>> from gradproof.derive import latex
    >>> print(latex(cross_entropy_expr()))
    - \sum_{j=1}^{n} p_{j} \log q_{j}
    """
    return -sp.Sum(p[j] * sp.log(q(j)), (j, 1, n))


class _Loss(_Display):
    """A loss of the probabilities, :math:`L(q)`: opaque, checked through its derivatives."""

    nargs = 0
    _gp_tex = "L"
    _gp_opaque = True

    def definition(self) -> sp.Expr:
        msg = "L is any loss of q: it has no definition to expand"
        raise TypeError(msg)


q = _define("q", softmax_expr, 1)
s = _define("s", lambda a: g[a] * q(a), 1)
J = _define("J", cross_entropy_expr, 0)()
L = _Loss()


# --------------------------------------------------------------------------------------------
# Sums
# --------------------------------------------------------------------------------------------


class Restriction(_Display):
    r"""The factor :math:`[k \ne i]` (or :math:`[k = i]`) that restricts a sum, kept as written.

    ``Restriction(k, i, True)`` is 1 where ``k != i`` and 0 elsewhere (checked as
    :math:`1 - \delta_{k i}`); ``Restriction(k, i, False)`` is :math:`\delta_{k i}`. The printer
    reads the restriction of :func:`sum_ne` and :func:`sum_eq` from this factor, never from the
    summand, whose own Kronecker deltas it leaves alone.
    """

    nargs = 3
    # A number, 0 or 1. Without this its boolean argument (not commutative in sympy's sense)
    # made the factor and every sum holding it non-commutative: S D and D S were two products.
    is_commutative = True

    def definition(self) -> sp.Expr:
        a, b, unequal = self.args
        delta_ab = sp.KroneckerDelta(a, b)
        return 1 - delta_ab if unequal == sp.true else delta_ab

    @property
    def index(self) -> sp.Expr:
        """The summation index, ``k``."""
        return self.args[0]

    @property
    def other(self) -> sp.Expr:
        """The index it is compared with, ``i``."""
        return self.args[1]

    @property
    def unequal(self) -> bool:
        """True when the sum leaves out ``k = i``, False when it keeps that term alone."""
        return self.args[2] == sp.true


class _SumWhere(sp.Sum):
    """A sum over ``k`` with a :class:`Restriction` factor, printed as its restriction."""

    _gp_relation = ""

    @property
    def restriction(self) -> Restriction:
        """The :class:`Restriction` factor on the summation index (stored by construction)."""
        idx = self.limits[0][0]
        for factor in sp.Mul.make_args(self.function):
            if isinstance(factor, Restriction) and factor.index == idx:
                return factor
        msg = f"{type(self).__name__} has lost its restriction factor: {self.function}"
        raise ValueError(msg)


class _SumNe(_SumWhere):
    _gp_relation = r"\ne"


class _SumEq(_SumWhere):
    _gp_relation = "="


def _restricted(f: sp.Expr, idx: sp.Symbol, other: sp.Expr, unequal: bool) -> sp.Expr:
    require_index(idx, "idx")
    if idx in _DIMS:
        msg = f"idx must be a summation index such as k, not the dimension {idx}"
        raise ValueError(msg)
    other = sp.sympify(other)
    if not (other.is_Integer or (isinstance(other, sp.Symbol) and other.is_integer)):
        msg = f"other must be an index such as i or an integer; got {other!r}"
        raise TypeError(msg)
    if other in _DIMS:
        msg = f"other must be an index such as i, not the dimension {other}"
        raise ValueError(msg)
    if other == idx:
        msg = f"other must differ from the summation index {idx}"
        raise ValueError(msg)
    body = sp.Mul(f, Restriction(idx, other, sp.true if unequal else sp.false), evaluate=False)
    cls = _SumNe if unequal else _SumEq
    return cls(body, (idx, 1, _index_dim(idx)))


def sum_ne(f: sp.Expr, idx: sp.Symbol, other: sp.Expr) -> sp.Expr:
    r"""The sum of ``f`` over ``idx`` with ``idx != other``, printed as :math:`\sum_{k \ne i}`.

    It is the full sum times the :class:`Restriction` :math:`[k \ne i]` (checked as
    :math:`1 - \delta_{k i}`), so checking needs no special case.

    >>> from gradproof.derive import latex
    >>> latex(sum_ne(p[k], k, i))
    '\\sum_{k \\ne i} p_{k}'
    """
    return _restricted(f, idx, other, True)


def sum_eq(f: sp.Expr, idx: sp.Symbol, other: sp.Expr) -> sp.Expr:
    r"""The single term ``idx = other`` of a sum, printed as :math:`\sum_{k = i}` (seed 002).

    >>> from gradproof.derive import latex
    >>> latex(sum_eq(p[k], k, i))
    '\\sum_{k = i} p_{k}'
    """
    return _restricted(f, idx, other, False)


def total(f: sp.Expr, idx: sp.Symbol) -> sp.Expr:
    r"""The sum of ``f`` over the range of ``idx``: :math:`\sum_{k=1}^{n} f` (to ``D`` for ``d``).

    The index is always named: the pages sum over ``j``, ``k`` and ``m``, often in one line.

    >>> from gradproof.derive import latex
    >>> latex(total(p[k] * q(k), k))
    '\\sum_{k=1}^{n} p_{k} q_{k}'
    >>> total(W[k, d] * x[d], d).limits
    ((d, 1, D),)
    """
    require_index(idx, "idx")
    return sp.Sum(f, (idx, 1, _index_dim(idx)))


#: The softmax denominator :math:`\sum_{k=1}^{n} e^{z_k}`.
sum_exp = sp.Sum(sp.exp(z[k]), (k, 1, n))

#: The assumption :math:`\sum_{k=1}^{n} p_k = 1` (targets that are a distribution), for
#: ``Derivation(..., assume=SUM_P_IS_1)``.
SUM_P_IS_1 = sp.Eq(sp.Sum(p[k], (k, 1, n)), 1)


def delta(a: sp.Expr, b: sp.Expr) -> sp.Expr:
    r"""The Kronecker delta :math:`\delta_{a b}` with its indices kept in the written order.

    sympy sorts the indices of ``KroneckerDelta(j, i)`` into :math:`\delta_{i j}`; a thread's
    :math:`\delta_{j i}` stays as written here (the value is the same).

    >>> from gradproof.derive import latex
    >>> latex(delta(j, i)), latex(sp.KroneckerDelta(j, i))
    ('\\delta_{j i}', '\\delta_{i j}')
    """
    return sp.KroneckerDelta(a, b, evaluate=False)


def point(logits: ArrayLike, targets: ArrayLike | None = None) -> dict[sp.IndexedBase, Any]:
    """Values of the logits ``z`` (and the targets ``p``) for :func:`~gradproof.derive.evaluate`.

    >>> from gradproof.derive import evaluate
    >>> from gradproof.examples import p_run, z_run
    >>> sorted(map(str, point(z_run, p_run)))
    ['p', 'z']
    >>> print(evaluate(q(i) - p[i], 3, point(z_run, p_run)).round(4))
    [-0.11   -0.0553  0.1652]
    """
    values = {z: logits}
    if targets is not None:
        values[p] = targets
    return values
