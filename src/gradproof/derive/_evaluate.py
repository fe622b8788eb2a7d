"""Numbers from a generic line: :func:`evaluate` at a concrete ``n`` and point, 50 digits.

This is the one part of :mod:`gradproof.derive` that returns NumPy arrays, so it imports NumPy
when called: checking a derivation never needs it.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import mpmath
import sympy as sp

from gradproof._validation import as_int, as_point_values, is_int, require_sympy
from gradproof.derive._concrete import Concretizer, free_indices, leaf_symbol
from gradproof.derive._indices import check_bases, check_symbols
from gradproof.derive._numeric import DPS
from gradproof.derive._settings import uses_D
from gradproof.derive.notation import _DIMS, D, W, _index_dim, base_axes, domain_of, x, z
from gradproof.derive.notation import n as _N  # parameters called n (a size) shadow the symbol

if TYPE_CHECKING:
    import numpy as np

__all__ = ["evaluate"]


def evaluate(
    expr: sp.Expr,
    n: int,
    values: Mapping[sp.IndexedBase, Any],
    free: Mapping[sp.Symbol, int] | None = None,
    *,
    order: Sequence[sp.Symbol] | None = None,
    linear_layer: bool = False,
    _chain_free: Sequence[sp.Symbol] | None = None,
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
        Arrays per base, e.g. ``{z: (1, 2, 3), p: (0.2, 0.3, 0.5)}`` (``W`` as a 2-D array),
        each shaped as its axes at this size (``n`` entries for ``z``, ``(n, D)`` for ``W``).
    free : mapping, optional
        Values of free indices, each an int in the range of its index (``1..n``, ``1..D`` for
        ``d``). Free indices not given are swept over their range, and the result is an array
        with one axis per such index, in alphabetical order of their names unless ``order``
        says otherwise.
    order : sequence of index symbols, optional
        Axis order for the swept indices, e.g. ``(j, i, d)`` for the (K, K, D) weight Jacobian.
    linear_layer : bool
        Read ``z`` as ``W x`` (pass ``D=...`` too).

    Examples
    --------
    >>> import numpy as np
    >>> from gradproof.derive import evaluate, i, p, q, z
    >>> v = evaluate(q(i) - p[i], 3, {z: (1, 2, 3), p: (0.2, 0.3, 0.5)})
    >>> print(np.round(v, 4))
    [-0.11   -0.0553  0.1652]
    """
    import numpy as np  # noqa: PLC0415  (only evaluation returns arrays)

    require_sympy(expr, "expr", " such as q(i) - p[i]")
    check_symbols([expr])  # Symbol("z_1") or IndexedBase("z", positive=True) is not z[1]
    dim_map = {_N: as_int(n, "n", minimum=1)}
    if "D" in dims:
        dim_map[D] = as_int(dims.pop("D"), "D", minimum=1)
    if dims:
        msg = f"unknown keyword arguments {sorted(dims)}; only D= is accepted"
        raise TypeError(msg)
    arrays = as_point_values(values)
    _check_values(arrays, linear_layer)
    if D not in dim_map:
        _input_size(expr, arrays, linear_layer, dim_map)
    indices = free_indices([expr])
    free = _free_values(free, _chain_free or indices, dim_map)
    free = {f: v for f, v in free.items() if f in indices}  # a chain's index this line lacks
    point = point_from_values(arrays, dim_map)
    sweep = [f for f in indices if f not in free]
    if order is not None:
        if sorted(map(str, order)) != sorted(map(str, sweep)):
            msg = f"order must list the swept indices {[str(f) for f in sweep]}; got {order!r}"
            raise ValueError(msg)
        sweep = list(order)
    ranges = [range(1, dim_map[_index_dim(f)] + 1) for f in sweep]
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


def _check_values(arrays: Mapping[sp.IndexedBase, Any], linear_layer: bool) -> None:
    """Each base is the notation's own, its values lie in its domain, and none is ignored."""
    for base, a in arrays.items():
        check_bases(base)
        domain = domain_of(base)
        outside = (a < 0) if domain == "nonnegative" else (a <= 0) if domain == "positive" else None
        if outside is not None and outside.any():
            msg = (
                f"values[{base}] must be {domain} (the domain of its entries); "
                f"got {float(a[outside].flat[0])}"
            )
            raise ValueError(msg)
    if linear_layer and z in arrays:
        msg = (
            "values gives z, but with linear_layer=True the logits are z = W x: give W and x "
            "and leave z out"
        )
        raise ValueError(msg)


def _input_size(
    expr: sp.Expr,
    arrays: Mapping[sp.IndexedBase, Any],
    linear_layer: bool,
    dim_map: dict[sp.Symbol, int],
) -> None:
    """Set ``D`` from the shapes of ``x`` and ``W`` when it is not given; refuse if it is needed."""
    sizes = {}
    if x in arrays and arrays[x].ndim == 1:
        sizes["x"] = arrays[x].shape[0]
    if W in arrays and arrays[W].ndim == 2:
        sizes["W"] = arrays[W].shape[1]
    if len(set(sizes.values())) > 1:
        msg = f"values[x] has {sizes['x']} entries but values[W] has {sizes['W']} columns"
        raise ValueError(msg)
    if sizes:
        dim_map[D] = next(iter(sizes.values()))
    elif uses_D([expr], linear_layer) or expr.has(W):
        msg = (
            "expr ranges over the inputs 1..D: pass D=... (or give values for x or W, whose "
            "shape says it)"
        )
        raise ValueError(msg)


def _free_values(
    free: object, indices: Sequence[sp.Symbol], dim_map: Mapping[sp.Symbol, int]
) -> dict[sp.Symbol, int]:
    """`free` checked: index symbols of the expression, each an int within its range."""
    if free is None:
        return {}
    if not isinstance(free, Mapping):
        msg = f"free must be a mapping such as {{i: 2}}; got {type(free).__name__}"
        raise TypeError(msg)
    out = {}
    for key, val in free.items():
        if not (isinstance(key, sp.Symbol) and key.is_integer) or key in _DIMS:
            msg = f"free keys must be index symbols such as i; got {key!r}"
            raise TypeError(msg)
        if key not in indices:
            have = ", ".join(map(str, indices)) or "none"
            msg = f"free gives {key}, which is not a free index here (free indices: {have})"
            raise ValueError(msg)
        if not is_int(val):
            msg = f"free[{key}] must be an int; got {type(val).__name__} {val!r}"
            raise TypeError(msg)
        size = dim_map.get(_index_dim(key))
        if size is None:
            msg = f"free[{key}] ranges over 1..{_index_dim(key)}: pass {_index_dim(key)}=..."
            raise ValueError(msg)
        if not 1 <= val <= size:
            msg = f"free[{key}] must be in 1..{size}; got {val}"
            raise ValueError(msg)
        out[key] = int(val)
    return out


def point_from_values(
    values: Mapping[sp.IndexedBase, Any], dims: Mapping[sp.Symbol, int] | None = None
) -> dict[sp.Symbol, mpmath.mpf]:
    """The leaf symbols' values: ``{z: (1, 2, 3)}`` gives ``{z_1: 1, z_2: 2, z_3: 3}``.

    With `dims`, each array must have the shape its axes have at those sizes.
    """
    import numpy as np  # noqa: PLC0415  (arrays in, so NumPy is there)

    point = {}
    for base, a in as_point_values(values).items():
        if dims is not None:
            axes = base_axes(base, a.ndim)
            want = tuple(dims.get(ax) for ax in axes)
            if len(a.shape) != len(axes) or any(
                w is not None and s_ != w for s_, w in zip(a.shape, want, strict=False)
            ):
                shown = tuple(
                    w if w is not None else str(ax) for w, ax in zip(want, axes, strict=True)
                )
                msg = f"values[{base}] must have shape {shown} at these sizes; got {a.shape}"
                raise ValueError(msg)
        for idx in np.ndindex(a.shape):
            leaf = leaf_symbol(base, tuple(c + 1 for c in idx))
            point[leaf] = mpmath.mpf(repr(float(a[idx])))
    return point


def value(expr: sp.Expr, point: Mapping[sp.Symbol, mpmath.mpf]) -> mpmath.mpf:
    """``expr`` at `point` to ``DPS`` digits; ValueError if a symbol has no value or it is complex."""
    by_name = {s_.name: v for s_, v in point.items()}
    with mpmath.workdps(DPS):
        subs = {
            s_: sp.Float(str(by_name[s_.name]), DPS)
            for s_ in expr.free_symbols
            if s_.name in by_name
        }
        v = sp.N(expr.xreplace(subs), DPS)
        if v.free_symbols:
            msg = f"cannot evaluate: no value for {sorted(map(str, v.free_symbols))}"
            raise ValueError(msg)
        if not v.is_real:
            msg = f"value is not real: {v}"
            raise ValueError(msg)
        return mpmath.mpf(str(v))
