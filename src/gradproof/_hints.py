"""Failure hints: patterns in a failed check that the numbers themselves establish.

Each hint names a relation between the analytic array ``a`` and the numeric array ``b`` and is
printed only when that relation holds within ten times the check's own tolerance in *every*
entry, so that it explains the whole difference, not part of it. No hint guesses a cause the
numbers do not show: when none of the relations holds, none is printed.

* ``a`` not finite: the analytic side has NaN or infinity;
* ``a = 0`` where ``b`` is not: the analytic derivative is identically 0;
* ``a = -b``: a sign flip;
* ``a = c b`` with ``c`` not ±1: a constant factor ``c`` (a lost ``sum(p)`` shows as
  ``1/sum(p)``);
* ``a = b + c``: a constant added to every entry; when ``b`` sums to ~0 (``f`` unchanged by
  moving every ``x`` together) the hint adds that ``a`` sums to ``n c``, breaking that
  invariance;
* ``a`` equal to ``b`` with its axes permuted: an index swap;
* ``a`` and ``b`` apart by single-precision rounding in most entries, though ``a`` is float64:
  part of the analytic derivative computed in float32.

The failing formulas of the threads (a dropped sum, ``q_i`` for ``q_k``, a sign inside a
product, a scalar for a vector) fit none of these, and get no hint:
``tests/test_soundness.py`` holds the table of causes and the hints each one fires.
"""

from __future__ import annotations

import itertools

import numpy as np

__all__ = ["SLACK", "hints"]

SLACK = 10.0
"""A hint's relation must hold within ten times the check's own tolerance, entry by entry."""

_EPS32 = float(np.finfo(np.float32).eps)
_EPS64 = float(np.finfo(np.float64).eps)


def _holds(a: np.ndarray, b: np.ndarray, tolerance: np.ndarray) -> bool:
    return bool(np.all(np.abs(a - b) <= SLACK * tolerance))


def hints(a: np.ndarray, b: np.ndarray, tolerance: np.ndarray, eps_a: float) -> tuple[str, ...]:
    """The relations of the table above that hold between `a` and `b`, as sentences."""
    bad = ~np.isfinite(a)
    if bad.any():
        return (f"the analytic side has NaN or infinity in {int(bad.sum())} entry(ies)",)
    found = []
    scale = float(np.max(np.abs(b)))
    if scale > 0 and not np.any(a):
        # Not "a constant factor 0": nothing of the derivative survived.
        found.append(
            "the analytic derivative is identically 0: a derivative lost entirely (e.g. a "
            "variable treated as a constant)"
        )
    elif a.size >= 2 and scale > 0:
        c = float(np.sum(a * b)) / float(np.sum(b * b))
        if _holds(a, -b, tolerance):
            found.append("analytic = -numeric in every entry: a sign flip (e.g. p - q for q - p)")
        elif _holds(a, c * b, tolerance) and not _holds(c * b, b, tolerance):
            found.append(
                f"analytic = {c:.6g} x numeric in every entry: a missing or extra constant "
                "factor (a lost sum(p) shows as 1/sum(p), a lost 1/N as N)"
            )
    offset = float(np.mean(a - b))
    if a.size >= 2 and not _holds(a, b, tolerance) and _holds(a, b + offset, tolerance):
        text = f"analytic - numeric = {offset:.6g} in every entry: a constant added to each"
        if abs(float(np.sum(b))) <= SLACK * float(np.sum(tolerance)):
            text += (
                f" (numeric sums to ~0, as for an f unchanged when every x moves together; "
                f"analytic sums to {float(np.sum(a)):.6g}): a scalar where a vector was meant?"
            )
        found.append(text)
    for perm in itertools.permutations(range(a.ndim)):
        swapped = np.transpose(b, perm)
        if (
            perm != tuple(range(a.ndim))
            and swapped.shape == a.shape
            and _holds(a, swapped, tolerance)
        ):
            name = "transposed" if a.ndim == 2 else f"axes permuted as {perm}"
            found.append(f"analytic equals numeric with {name}: an index swap")
            break
    # Rounding touches nearly every entry; one wrong entry of the same size is no rounding.
    beyond_double = np.mean(np.abs(a - b) > 64.0 * _EPS64 * (np.abs(b) + scale)) >= 0.5
    single = _holds(a, b, 16.0 * _EPS32 * (np.abs(b) + scale) / SLACK)
    if not found and eps_a < _EPS32 and beyond_double and single:
        found.append(
            "analytic and numeric agree to single precision (about 1e-6 relative) but not "
            "beyond: is part of the analytic derivative computed in float32?"
        )
    return tuple(found)
