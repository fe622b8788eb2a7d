"""Index types: every use of an index must range over the axis it indexes.

An index has a range: a free index its symbol's (``i``, ``j``, ``k``, ``m`` over ``1..n``,
``d`` over ``1..D``), a sum's index the sum's limits. An axis has a dimension
(``base_axes``: ``z`` over ``n``, ``W`` over ``n`` then ``D``,
``x`` over ``D``; the argument of ``q(a)`` and ``s(a)`` is a class). Using an index on an axis
of another dimension is an error that names the index, the axis and both ranges: with
``n = D`` such a line would otherwise be checked as if it made sense (``W[d, i]``, the
transpose, or ``z[d]`` with ``d`` an input). A Kronecker delta, a restriction or a ``where``
relation compares two indices of one dimension.

``check_sizes`` refuses, before anything is built, a sweep of settings too large to check, and
``check_symbols`` a plain symbol named like an entry (``Symbol("z_1")`` is not ``z[1]``), and
``check_bases`` a base named like the notation's that is not it (``IndexedBase("z",
positive=True)`` is not ``z``).

>>> from sympy import Derivative
>>> from gradproof.derive.notation import W, d, i, x, z
>>> check_indices([Derivative(z[i], x[d]), W[d, i]])
Traceback (most recent call last):
...
ValueError: index d ranges over 1..D but is used on axis 1 of W, which ranges over 1..n (in W[d, i])
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import sympy as sp

from gradproof.derive.notation import (
    _DIMS,
    Restriction,
    W,
    _Display,
    _index_dim,
    _Loss,
    base_axes,
    g,
    p,
    qv,
    x,
    z,
)

__all__ = [
    "MAX_DIMENSION",
    "MAX_SETTINGS",
    "check_bases",
    "check_indices",
    "check_sizes",
    "check_symbols",
    "check_where",
]

#: Largest n (or D) checked concretely: a line at n = 64 already expands to thousands of terms.
MAX_DIMENSION = 64
#: Most (dimension, free-index) settings one derivation may ask for.
MAX_SETTINGS = 20_000

_Range = tuple[sp.Expr, sp.Expr, sp.Symbol | None]


def _dim_of(expr: sp.Expr) -> sp.Symbol | None:
    """The dimension a limit is written in (``n - 1`` is in ``n``), None for a number."""
    found = [dm for dm in _DIMS if expr.has(dm)]
    return found[0] if len(found) == 1 else None


def _is_index(a: sp.Basic) -> bool:
    return isinstance(a, sp.Symbol) and bool(a.is_integer) and a not in _DIMS


def _range_text(r: _Range) -> str:
    return f"{r[0]}..{r[1]}"


class _Checker:
    def __init__(self) -> None:
        self.ranges: dict[sp.Symbol, _Range] = {}

    def range_of(self, idx: sp.Symbol) -> _Range:
        if idx in self.ranges:
            return self.ranges[idx]
        dim = _index_dim(idx)
        return (sp.S.One, dim, dim)

    def use(self, a: sp.Basic, dim: sp.Symbol, where: str, context: sp.Basic) -> None:
        """Index expression `a` used where values range over 1..`dim`."""
        for s_ in sorted(a.free_symbols, key=str) if not _is_index(a) else [a]:
            if not _is_index(s_):
                continue
            r = self.range_of(s_)
            if r[2] is not None and r[2] != dim:
                msg = (
                    f"index {s_} ranges over {_range_text(r)} but is used on {where}, "
                    f"which ranges over 1..{dim} (in {context})"
                )
                raise ValueError(msg)

    def same(self, a: sp.Basic, b: sp.Basic, context: sp.Basic) -> None:
        """Two indices compared (a delta, a restriction): one dimension."""
        if _is_index(a) and _is_index(b):
            ra, rb = self.range_of(a), self.range_of(b)
            if ra[2] is not None and rb[2] is not None and ra[2] != rb[2]:
                msg = (
                    f"{context} compares index {a} over {_range_text(ra)} with index {b} over "
                    f"{_range_text(rb)}: they range over different dimensions"
                )
                raise ValueError(msg)

    def walk(self, e: sp.Basic) -> None:
        if isinstance(e, sp.Sum):
            self._sum(e)
        elif isinstance(e, sp.Indexed):
            axes = base_axes(e.base, len(e.indices))
            if len(e.indices) != len(axes):
                msg = f"{e} has {len(e.indices)} indices; {e.base} takes {len(axes)}"
                raise ValueError(msg)
            for pos, (a, dim) in enumerate(zip(e.indices, axes, strict=True), 1):
                self.use(a, dim, f"axis {pos} of {e.base}", e)
                self.walk(a)
        elif isinstance(e, sp.KroneckerDelta):
            self.same(*e.args, e)
            for a in e.args:
                self.walk(a)
        elif isinstance(e, Restriction):
            self.same(e.index, e.other, e)
        elif isinstance(e, _Display) and not isinstance(e, _Loss):
            for a in e.args:  # q(a), s(a): the argument is a class
                self.use(a, _DIMS[0], f"the class argument of {type(e).__name__}", e)
            self.walk(e.definition())
        else:
            for a in e.args:
                self.walk(a)

    def _sum(self, e: sp.Sum) -> None:
        saved = dict(self.ranges)
        for idx, lo, hi in e.limits:
            if not _is_index(idx):
                msg = f"the index of a sum must be an index symbol such as k; got {idx} in {e}"
                raise ValueError(msg)
            self.walk(lo)
            self.walk(hi)
            dim = _dim_of(hi) or _dim_of(lo)
            self.ranges[idx] = (lo, hi, dim)
        self.walk(e.function)
        self.ranges = saved


def check_indices(exprs: Sequence[sp.Basic]) -> None:
    """Raise ValueError if some index is used on an axis of another dimension."""
    for e in exprs:
        _Checker().walk(e)


def check_where(where: Sequence[sp.Basic], free: Sequence[sp.Symbol]) -> None:
    """Each restriction names only free indices, and compares indices of one dimension."""
    for w in where:
        named = sorted((s_ for s_ in w.free_symbols if _is_index(s_)), key=str)
        if not named:
            msg = f"where must restrict the free indices; {w} names none"
            raise ValueError(msg)
        for s_ in named:
            if s_ not in free:
                have = ", ".join(map(str, free)) or "none"
                msg = f"where names {s_}, which is not a free index of the chain (free: {have})"
                raise ValueError(msg)
        if isinstance(w, sp.Eq | sp.Ne):
            for side in (w.lhs, w.rhs):
                if not (_is_index(side) or side.is_Integer):
                    msg = (
                        f"where compares {w.lhs} and {w.rhs}: a restriction compares a free "
                        f"index with another (i ≠ j) or with a class number (i = 1), not "
                        f"with {side}"
                    )
                    raise ValueError(msg)
            _Checker().same(w.lhs, w.rhs, w)


def check_sizes(
    ns: Sequence[int], Ds: Sequence[int], free: Sequence[sp.Symbol], uses_D: bool
) -> None:
    """Refuse up front a dimension or a sweep of settings too large to check."""
    sizes = {"ns": ns, "Ds": Ds if uses_D else ()}
    for name, values in sizes.items():
        big = [v for v in values if v > MAX_DIMENSION]
        if big:
            msg = (
                f"{name} must be at most {MAX_DIMENSION} (the limit of a concrete check); "
                f"got {big[0]}"
            )
            raise ValueError(msg)
    per: Mapping[sp.Symbol, Sequence[int]] = {_DIMS[0]: ns, _DIMS[1]: Ds if uses_D else (1,)}
    total = 0
    for nn in per[_DIMS[0]]:
        for dd in per[_DIMS[1]]:
            size = {_DIMS[0]: nn, _DIMS[1]: dd}
            total += math.prod(size[_index_dim(f)] for f in free)
    if total > MAX_SETTINGS:
        msg = (
            f"ns (and Ds) would make {total} settings of the free indices "
            f"{', '.join(map(str, free))}; the limit is {MAX_SETTINGS}"
        )
        raise ValueError(msg)


def check_symbols(exprs: Sequence[sp.Basic]) -> None:
    """Refuse a plain symbol named like an entry (``z_1``, ``g_max``) or like the loss (``L``).

    A concrete entry ``z[1]`` is checked as the symbol ``z_1``, and the loss's value as ``L``: a
    plain ``Symbol("z_1")`` would be that same symbol, then moved with the entry when the
    classes are renumbered, and it prints as the entry does. A constant needs a name of its own.

    >>> check_symbols([sp.exp(sp.Symbol("z_1"))])
    Traceback (most recent call last):
    ...
    ValueError: the plain symbol z_1 is named like an entry of z (z_1, z_2, ...): write z[1] for the entry, or give a constant another name
    """
    labels = {str(b.label) for b in (z, p, g, x, W, qv)}
    for e in exprs:
        labels.update(str(b.label) for b in e.atoms(sp.IndexedBase))
        check_bases(e)
    for e in exprs:
        for s_ in sorted(e.atoms(sp.Symbol), key=str):
            if s_.is_integer or s_ in _DIMS or isinstance(s_, sp.Dummy):
                continue
            name = s_.name
            if name == "L" or name.startswith("∂"):
                msg = (
                    f"the plain symbol {name} is named like the loss L or its derivatives: "
                    "use L from gradproof.derive, or give a constant another name"
                )
                raise ValueError(msg)
            base = name.split("_", 1)[0]
            if "_" in name and base in labels:
                msg = (
                    f"the plain symbol {name} is named like an entry of {base} ({base}_1, "
                    f"{base}_2, ...): write {base}[1] for the entry, or give a constant "
                    "another name"
                )
                raise ValueError(msg)


#: The notation's bases, by the name they print with; and the named quantities' letters, which
#: a base must not take either (``IndexedBase("s")[i]`` prints as ``s_i`` = g_i q_i does).
_NOTATION_BASES = {str(b.label): b for b in (z, p, g, x, W)}
_NAMED_LETTERS = ("q", "s", "J", "L", "n", "D")


def check_bases(expr: sp.Basic) -> None:
    """Refuse a base named like one of the notation's that is not that very base.

    An entry is checked as a symbol named by its base and indices (``z_1``) that carries the
    base's domain: ``IndexedBase("z", positive=True)[1]`` prints as ``z_1`` but is another
    symbol than the logit ``z[1]``, so a derivative in it would leave the softmax alone and a
    line would mix two readings of one printed letter. The letters of ``q``, ``s``, ``J``,
    ``L``, ``n`` and ``D`` are taken by the named quantities (``qv``, the free probabilities,
    is the one base named ``q``).

    >>> check_bases(sp.IndexedBase("z", positive=True)[1])
    Traceback (most recent call last):
    ...
    ValueError: the base z is not the notation's z (it was declared with other assumptions or a shape), though it prints alike: use z from gradproof.derive, or give the base another name
    """
    for base in sorted(expr.atoms(sp.IndexedBase), key=str):
        name = str(base.label)
        own = _NOTATION_BASES.get(name)
        if own is not None and base != own:
            msg = (
                f"the base {name} is not the notation's {name} (it was declared with other "
                f"assumptions or a shape), though it prints alike: use {name} from "
                "gradproof.derive, or give the base another name"
            )
            raise ValueError(msg)
        if name in _NAMED_LETTERS and base != qv:
            what = (
                "the softmax q(i) (the free probabilities are qv)"
                if name == "q"
                else "a named quantity of the notation"
            )
            msg = (
                f"the base {name} prints like the notation's {name}, which is {what}: give the "
                "base another name"
            )
            raise ValueError(msg)
