"""Numbers from a generic line: :func:`evaluate` at a concrete ``n`` and point, 50 digits."""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from typing import Any

import mpmath
import numpy as np
import sympy as sp

from gradproof._validation import as_int, as_point_values, require_sympy
from gradproof.derive._concrete import Concretizer, free_indices, leaf_symbol
from gradproof.derive._numeric import value
from gradproof.derive.notation import D, _index_dim
from gradproof.derive.notation import n as _N  # parameters called n (a size) shadow the symbol

__all__ = ["evaluate"]


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
    require_sympy(expr, "expr", " such as q(i) - p[i]")
    free = dict(free or {})
    dim_map = {_N: as_int(n, "n", minimum=1)}
    if "D" in dims:
        dim_map[D] = as_int(dims.pop("D"), "D", minimum=1)
    if dims:
        msg = f"unknown keyword arguments {sorted(dims)}; only D= is accepted"
        raise TypeError(msg)
    point = point_from_values(values)
    sweep = [f for f in free_indices([expr]) if f not in free]
    if order is not None:
        if sorted(map(str, order)) != sorted(map(str, sweep)):
            msg = f"order must list the swept indices {[str(f) for f in sweep]}; got {order!r}"
            raise ValueError(msg)
        sweep = list(order)
    ranges = [range(1, (dim_map.get(_index_dim(f), n)) + 1) for f in sweep]
    out = np.empty([len(r) for r in ranges], dtype=float)
    for combo in itertools.product(*ranges):
        assign = {**free, **dict(zip(sweep, combo, strict=True))}
        conc = Concretizer(dim_map, linear_layer)
        e = conc(expr, assign)
        missing = sorted(s_.name for s_ in e.free_symbols if s_ not in point)
        if missing:
            msg = f"values has no entry for {missing}"
            raise ValueError(msg)
        out[tuple(c - 1 for c in combo)] = float(value(e, point))
    return float(out) if not sweep else out


def point_from_values(values: Mapping[sp.IndexedBase, Any]) -> dict[sp.Symbol, mpmath.mpf]:
    """The leaf symbols' values: ``{z: (1, 2, 3)}`` gives ``{z_1: 1, z_2: 2, z_3: 3}``."""
    point = {}
    for base, a in as_point_values(values).items():
        for idx in np.ndindex(a.shape):
            point[leaf_symbol(base, tuple(c + 1 for c in idx))] = mpmath.mpf(repr(float(a[idx])))
    return point
