r"""The numeric comparison: two concrete lines evaluated with 50 digits at seeded points.

Where cancellation does not settle a step, both lines are evaluated at ``n_points`` points per
setting; they agree when :math:`|a - b| \le` ``RTOL`` :math:`\cdot \max(1, |a|, |b|)` at every
point. A wrong identity differs at O(1) relative size, far above ``RTOL`` = 1e-30 at ``DPS`` =
50 digits. The first point where they differ is the step's counterexample.

Points are drawn per entry from a generator seeded with the derivation's seed and a hash of the
setting, the point's number and the entry's name, so each value is reproducible on its own:
:math:`z \sim U(-3, 3)`, :math:`p \sim U(0, 1)`, entries of a positive base (``qv``)
:math:`\sim U(0.1, 1)`, other entries :math:`\sim N(0, 1)`, other symbols :math:`\sim U(0.5, 2)`,
each rounded to two decimals so that a counterexample reads well and is an exact rational.

>>> import sympy as sp
>>> z1, p1 = sp.symbols("z_1 p_1", real=True)
>>> [[float(v) for v in pt.values.values()] for pt in sample_points({}, [z1, p1], 3, seed=0)]
[[0.06, -0.01], [0.51, -1.07], [0.14, -2.41]]
"""

from __future__ import annotations

import zlib
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import mpmath
import numpy as np
import sympy as sp

__all__ = ["DPS", "RTOL", "Point", "by_base", "numeric_mismatch", "sample_points", "value"]

#: Decimal digits for the numeric fallback; a wrong identity differs at O(1) relative size.
DPS = 50
#: Relative tolerance of the numeric fallback: |a - b| <= RTOL * max(1, |a|, |b|).
RTOL = 1e-30

# How random points are drawn per base (name -> sampler(rng)); anything else is N(0, 1).
_SAMPLERS: dict[str, Callable[[np.random.Generator], float]] = {
    "z": lambda rng: rng.uniform(-3.0, 3.0),
    "p": lambda rng: rng.uniform(0.0, 1.0),
}
_OTHER_SYMBOL_RANGE = (0.5, 2.0)
# Entries of a positive IndexedBase (such as qv): bounded away from 0 so 1/q stays moderate.
_POSITIVE_RANGE = (0.1, 1.0)


@dataclass
class Point:
    """Values of the leaf symbols of one setting."""

    values: dict[sp.Symbol, mpmath.mpf]


def sample_points(
    dims: Mapping[sp.Symbol, int], leaves: Iterable[sp.Symbol], n_points: int, seed: int
) -> list[Point]:
    """``n_points`` seeded points for the `leaves` of the setting with dimensions `dims`."""
    key = "/".join(f"{s_}={v}" for s_, v in dims.items())
    points = []
    for t in range(n_points):
        values = {}
        for leaf in sorted(leaves, key=lambda s_: s_.name):
            salt = zlib.crc32(f"{seed}|{key}|{t}|{leaf.name}".encode())
            rng = np.random.default_rng([seed, salt])
            base = leaf.name.split("_")[0]
            if leaf.is_positive and base not in _SAMPLERS:
                raw = rng.uniform(*_POSITIVE_RANGE)
            elif base in _SAMPLERS or "_" in leaf.name:
                raw = _SAMPLERS.get(base, lambda r: r.normal())(rng)
            else:
                raw = rng.uniform(*_OTHER_SYMBOL_RANGE)
            # Two decimals keep counterexamples readable; they are exact rationals.
            values[leaf] = mpmath.mpf(f"{raw:.2f}")
        points.append(Point(values))
    return points


def value(expr: sp.Expr, point: Mapping[sp.Symbol, mpmath.mpf]) -> mpmath.mpf:
    """``expr`` at `point` to ``DPS`` digits; ValueError if a symbol has no value or it is complex."""
    with mpmath.workdps(DPS):
        v = sp.N(expr.xreplace({s_: sp.Float(str(val), DPS) for s_, val in point.items()}), DPS)
        if v.free_symbols:
            msg = f"cannot evaluate: no value for {sorted(map(str, v.free_symbols))}"
            raise ValueError(msg)
        if not v.is_real:
            msg = f"value is not real: {v}"
            raise ValueError(msg)
        return mpmath.mpf(str(v))


def numeric_mismatch(
    a: sp.Expr, b: sp.Expr, points: Sequence[Point], fixes: Mapping[sp.Symbol, sp.Expr]
) -> tuple[dict[sp.Symbol, mpmath.mpf], float, float] | None:
    """The first point where `a` and `b` differ (with the solved entries `fixes`), or None.

    Returns the full point (solved entries included) and the two values there.
    """
    for pt in points:
        vals = {s_: v for s_, v in pt.values.items() if s_ not in fixes}
        full = dict(vals)
        with mpmath.workdps(DPS):
            for s_, rule in fixes.items():
                full[s_] = value(rule, vals)
            va, vb = value(a, vals), value(b, vals)
            scale = max(mpmath.mpf(1), abs(va), abs(vb))
            if abs(va - vb) > RTOL * scale:
                return full, float(va), float(vb)
    return None


def by_base(
    point: Mapping[sp.Symbol, mpmath.mpf], leaves: Mapping[sp.Symbol, tuple[str, tuple[int, ...]]]
) -> dict[str, list[Any]]:
    """Group a point's values by base in index order: {'z': [...], 'W': [[...], [...]]}.

    `leaves` maps each leaf symbol to its base and index (``Concretizer.leaves``).
    """
    out: dict[str, list[tuple[tuple[int, ...], float]]] = {}
    for leaf, val in point.items():
        base, idx = leaves.get(leaf, (leaf.name, ()))
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
