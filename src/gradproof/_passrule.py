r"""The pass rule of :mod:`gradproof.check`: per-entry tolerances and the three verdicts.

An entry (component of a gradient, entry of a Jacobian, a VJP or a directional derivative) with
analytic value ``a`` and numeric value ``b`` is within tolerance when

.. math:: |a - b| \le \tau = \mathrm{rtol}\,|b| + \mathrm{atol},

where ``atol`` is never smaller than what the two sides can resolve at this point:

.. math:: \mathrm{atol} \ge e_b + 8\epsilon_f G + 8\epsilon_a \max(G, \|a\|_\infty) + 10^{-320},

with :math:`e_b` the numeric side's error bound for the entry (:mod:`gradproof._numeric`),
:math:`G = \|b\|_\infty` the size of the numeric derivative, and :math:`\epsilon_f`,
:math:`\epsilon_a` the precisions ``f`` and the analytic derivative are returned in (float32 is
recognised). Every term scales with ``f``: multiplying ``f`` by ``s`` multiplies ``a``, ``b`` and
``τ`` by ``s``, so the verdict does not depend on the scale. A user's ``atol`` below this floor
is raised to it, with a note: a check may not claim more resolution than its numbers have.

Verdicts:

``"failed"``
    Some entry is outside its tolerance: the analytic derivative is wrong there by more than
    the numeric side's error could explain.
``"cannot tell"``
    No entry fails, but some entry's tolerance is at least the size of the whole derivative
    (:math:`\tau \ge G`). There a zero (or any other small) derivative would pass too, so the
    comparison proved nothing: ``f`` does not change to first order (a stationary point, a
    direction along an invariance), or the numeric side is too coarse at this point, or the
    given ``atol`` is as large as the derivative. The reason is reported; this is never "ok".
``"passed"``
    Every entry is within tolerance and compared at a tolerance below the derivative's size.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from gradproof._numdiff import EPS64

__all__ = ["TINY", "Verdict", "judge"]

TINY = 1e-320
"""Absolute floor of a few thousand subnormal quanta; below it doubles have almost no digits."""


@dataclass
class Verdict:
    """Outcome of the pass rule; `tolerance` and `atol` have the shape of the entries."""

    status: str
    tolerance: np.ndarray
    atol: np.ndarray
    failing: np.ndarray
    unresolved: np.ndarray
    notes: list[str]


def judge(
    a: np.ndarray,
    b: np.ndarray,
    bound: np.ndarray,
    *,
    rtol: float,
    atol: float | None,
    eps_f: float,
    eps_a: float,
) -> Verdict:
    """Apply the pass rule to analytic `a` and numeric `b` with the numeric error `bound`."""
    size = float(np.max(np.abs(b))) if b.size else 0.0
    finite_a = np.abs(a[np.isfinite(a)])
    size_a = max(size, float(np.max(finite_a)) if finite_a.size else 0.0)
    noise = 8.0 * eps_f * size + 8.0 * eps_a * size_a + TINY
    floor = bound + noise
    notes = []
    if atol is None:
        applied = floor
    else:
        applied = np.maximum(floor, atol)
        if np.any(floor > atol):
            notes.append(
                f"atol {atol:.3g} was raised to {float(np.max(floor)):.3g} where the numeric "
                "side cannot resolve finer (its error bound at this point)"
            )
    tolerance = applied + rtol * np.abs(b)
    failing = ~(np.abs(a - b) <= tolerance)  # NaN compares False, so NaN fails
    unresolved = tolerance >= size
    if failing.any():
        status = "failed"
    elif unresolved.any():
        status = "cannot tell"
        notes.append(_why_unresolved(size, bound, rtol, atol, unresolved))
    else:
        status = "passed"
    if eps_a > EPS64:
        notes.append(
            f"the analytic derivative is single precision (eps {eps_a:.1e}): compared to "
            f"{8 * eps_a:.1e} of its size"
        )
    return Verdict(status, tolerance, applied, failing, unresolved, notes)


def _why_unresolved(
    size: float, bound: np.ndarray, rtol: float, atol: float | None, unresolved: np.ndarray
) -> str:
    count = int(unresolved.sum())
    head = (
        f"{count} of {unresolved.size} entries cannot be compared: their tolerance is at least "
        f"the size of the numeric derivative ({size:.2g}), so a zero derivative would pass too"
    )
    if atol is not None and atol >= size:
        return f"{head}; atol = {atol:.3g} is that large: give a smaller one"
    if rtol >= 1.0:
        return f"{head}; rtol = {rtol:.3g} accepts any value between 0 and twice the numeric one"
    worst = float(np.max(np.where(unresolved, bound, 0.0)))
    return (
        f"{head}. The numeric derivative is no larger than its own error bound (±{worst:.2g}): "
        "f does not change to first order here (a stationary point, or a direction along which "
        "f is invariant), or the numeric side cannot resolve its change at this point (the notes "
        "say why: f's values too large for their variation, a kink, low precision); check at "
        "another point or along another direction"
    )
