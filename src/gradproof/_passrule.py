r"""The pass rule of :mod:`gradproof.check`: per-entry tolerances and the three verdicts.

An entry (component of a gradient, entry of a Jacobian, a VJP or a directional derivative) with
analytic value ``a`` and numeric value ``b`` is within tolerance when

.. math:: |a - b| \le \tau = \mathrm{rtol}\,|b| + \mathrm{atol},

where ``atol`` is never smaller than what the two sides can resolve at this point:

.. math:: \mathrm{atol} \ge e_b + 8\epsilon_f G + 8\epsilon_a \max(G, \|a\|_\infty) + 10^{-320},

with :math:`e_b` the numeric side's error bound for the entry (:mod:`gradproof._numeric`),
:math:`G = \|b\|_\infty` the size of the numeric derivative in the entry's row (for a
Jacobian, of the same output of ``f``: each output is its own function, and a row 1e15 times
larger may not loosen the others; a row exactly 0 takes the largest row's size), and
:math:`\epsilon_f`, :math:`\epsilon_a` the precisions ``f`` and the analytic derivative are
returned in (float32 is recognised). The :math:`G` terms stand for rounding at the row's scale:
an analytic entry computed from terms as large as the row's largest (``q_j - p_j`` with both near
1/2) is only known to that, so an entry below about 1e-15 of its row is checked as a zero to
within it, and the report says so. Every term scales with ``f``: multiplying ``f`` by ``s`` multiplies ``a``, ``b`` and
``τ`` by ``s``, so the verdict does not depend on the scale. A user's ``atol`` below this floor
is raised to it, with a note: a check may not claim more resolution than its numbers have.

An entry is *resolved* when the numeric side can tell it from a value 1 % away: its floor
(the right-hand side above, before a user's ``atol``) is below ``RESOLUTION = 0.01`` times the
entry's own size :math:`|b|`, or, for an entry too small to be measured against itself, below
``ZERO_RESOLUTION`` times :math:`G` (1e-4, or 64 eps in float16): such an entry is
checked as a zero to within its tolerance. A user's ``rtol`` and ``atol`` are the user's claim;
they only make an entry unresolved when they are as large as the derivative (:math:`\tau \ge G`),
so that a zero gradient would pass. An entry with no numeric value (a step too small to move
``x``) is unresolved too, and so is an entry where ``f`` has a kink at ``x`` (its one-sided
slopes differ, so it has no derivative there): its numeric value is the slopes' mean and its
bound reaches both slopes, so it fails only when the analytic value lies beyond both.

Verdicts:

``"failed"``
    Some entry is outside its tolerance: the analytic derivative is wrong there
    by more than the numeric side's error could explain.
``"cannot tell"``
    No entry fails, but some entry is unresolved: a value 1 % away from the numeric one (or for
    a tolerance as large as the derivative, a zero) would have passed too, so the comparison did
    not prove the value. ``f`` does not change to first order there (a stationary point, a
    direction along an invariance), or the numeric side is too coarse at this point (noise,
    precision, a kink), or the given ``atol``/``rtol`` is as large as the derivative. The reason
    is reported; this is never "ok".
``"passed"``
    Every entry is within tolerance and resolved.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from gradproof._numdiff import EPS64

__all__ = ["RESOLUTION", "TINY", "ZERO_RESOLUTION", "Verdict", "judge", "zero_resolution"]

TINY = 1e-320
"""Absolute floor of a few thousand subnormal quanta; below it doubles have almost no digits."""
RESOLUTION = 0.01
"""An entry is resolved when the numeric side's floor is below this fraction of its size."""
ZERO_RESOLUTION = 1e-4
"""An entry below this fraction of the largest is checked as a zero (64 eps in float16)."""


def zero_resolution(eps_f: float, eps_a: float) -> float:
    """The fraction of the largest entry below which an entry is checked as a zero."""
    return max(ZERO_RESOLUTION, 64.0 * max(eps_f, eps_a))


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
    kinked: np.ndarray | None = None,
    rows: int = 1,
    room: np.ndarray | None = None,
) -> Verdict:
    """Apply the pass rule to analytic `a` and numeric `b` with the numeric error `bound`;
    `kinked` marks entries where ``f`` has no derivative (unresolved whatever their bound).

    `rows` is the number of ``f``'s outputs (a Jacobian's rows): each is its own function, so
    ``G`` is taken per row, and a row 1e15 times larger does not loosen the others. A row that
    is exactly 0 throughout takes the largest row's ``G``. `room` is the part of `bound` that
    stands for a kink the differences cannot rule out (``NumericSide.room``): an entry within
    its tolerance but not within the tolerance less `room` is unresolved, for it is then not
    within tolerance of both one-sided slopes such a kink would have."""
    known = np.isfinite(b) & np.isfinite(bound)
    magnitude = np.where(known, np.abs(b), 0.0)
    size = float(np.max(magnitude)) if b.size else 0.0
    finite_a = np.where(np.isfinite(a), np.abs(a), 0.0)
    size_row = _per_row(magnitude, rows)
    size_row = np.where(size_row > 0, size_row, size)
    size_a = np.maximum(size_row, _per_row(finite_a, rows))
    noise = 8.0 * eps_f * size_row + 8.0 * eps_a * size_a + TINY
    floor = np.where(known, bound, np.inf) + noise
    notes = []
    if atol is None:
        applied = floor
    else:
        applied = np.maximum(floor, atol)
        if np.any(known & (floor > atol)):
            notes.append(
                f"atol {atol:.3g} was raised to {float(np.max(floor[known])):.3g} where the "
                "numeric side cannot resolve finer (its error bound at this point)"
            )
    tolerance = applied + rtol * magnitude
    # An entry without a numeric value cannot fail; NaN in the analytic side always does.
    failing = ~(np.abs(a - b) <= tolerance) & (known | ~np.isfinite(a))
    resolved = (floor < RESOLUTION * magnitude) | (floor < zero_resolution(eps_f, eps_a) * size_row)
    kink = np.zeros(b.shape, bool) if kinked is None else np.broadcast_to(kinked, b.shape)
    loose = np.zeros(b.shape, bool)
    if room is not None:
        loose = ~failing & ~(np.abs(a - b) <= tolerance - room)
    unresolved = ~resolved | (tolerance >= size_row) | kink | loose
    if failing.any():
        status = "failed"
    elif unresolved.any():
        status = "cannot tell"
        other = unresolved & ~kink & ~loose
        if other.any():
            notes.append(_why_unresolved(size, floor, rtol, atol, other, known))
        if kink.any():
            notes.append(
                "the entries at the kink cannot be compared: a value between f's one-sided "
                "slopes there is a subgradient, not a gradient; check at a point off the kink"
            )
        if np.any(loose & ~kink):
            notes.append(
                f"{int(np.sum(loose & ~kink))} entries are within tolerance of the numeric "
                "value but not of both one-sided slopes a kink at x could have, one too small "
                "for the differences to rule out (its half-width is part of the tolerance)"
            )
    else:
        status = "passed"
    as_zero = known & ~unresolved & ~(floor < RESOLUTION * magnitude)
    if status != "failed" and as_zero.any():
        notes.append(
            f"{int(as_zero.sum())} of {b.size} entries are too small to be measured against "
            f"their own size (below {zero_resolution(eps_f, eps_a):.0e} of the largest in their "
            f"{'row' if rows > 1 else 'derivative'}): they "
            f"were checked as zeros, to within ±{float(np.max(tolerance[as_zero])):.2g}"
        )
    if eps_a > EPS64:
        notes.append(
            f"the analytic derivative is single precision (eps {eps_a:.1e}): compared to "
            f"{8 * eps_a:.1e} of its size"
        )
    return Verdict(status, tolerance, applied, failing, unresolved, notes)


def _per_row(values: np.ndarray, rows: int) -> np.ndarray:
    """The largest of `values` in each of `rows` rows, broadcast back to their shape."""
    if not values.size:
        return values
    flat = values.reshape(rows, -1)
    return np.broadcast_to(flat.max(axis=1, keepdims=True), flat.shape).reshape(values.shape)


def _why_unresolved(
    size: float,
    floor: np.ndarray,
    rtol: float,
    atol: float | None,
    unresolved: np.ndarray,
    known: np.ndarray,
) -> str:
    count = int(unresolved.sum())
    head = f"{count} of {unresolved.size} entries cannot be compared"
    if atol is not None and atol >= size:
        return (
            f"{head}: atol = {atol:.3g} is at least the size of the numeric derivative "
            f"({size:.2g}), so a zero derivative would pass too: give a smaller one"
        )
    if rtol >= 1.0:
        return f"{head}: rtol = {rtol:.3g} accepts any value between 0 and twice the numeric one"
    missing = int((unresolved & ~known).sum())
    if missing:
        head += (
            f" ({missing} have no numeric value: no step the numeric side may take moves x "
            "there, or f is not finite within that step)"
        )
    shown = floor[unresolved & known]
    if not shown.size:
        return head
    worst = float(np.max(shown))
    return (
        f"{head}: the numeric side resolves them only to ±{worst:.2g} (largest entry "
        f"{size:.2g}), not to {RESOLUTION:.0%} of their own size, so a value that far off would "
        "pass too. f does not change to first order here (a stationary point, or a direction "
        "along which f is invariant), or the numeric side cannot resolve its change at this "
        "point (the notes say why: f's values too large or too noisy for their variation, a "
        "kink, low precision); check at another point or along another direction"
    )
