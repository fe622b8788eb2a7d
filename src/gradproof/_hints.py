"""Failure hints: patterns in a failed check that the numbers themselves establish.

Each hint names a relation between the analytic array ``a`` and the numeric array ``b`` and is
printed only when that relation holds within ten times the check's own tolerance in *every*
entry, and within a quarter of the difference it explains (or one tolerance), and at least two
entries differ: so that it explains the whole difference, not part of it, and a single wrong
entry is not read as a pattern in all of them. No hint guesses a cause the
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
* ``a`` and ``b`` apart by single-precision rounding (a few float32 units of each entry) in
  more than half the entries and at least two, though ``a`` is float64: part of the analytic
  derivative computed in float32.

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


def _explains(a: np.ndarray, model: np.ndarray, b: np.ndarray, tolerance: np.ndarray) -> bool:
    """`model` explains the difference between `a` and `b`: within SLACK tolerances everywhere,
    and within a quarter of the difference it explains (or one tolerance) in every entry, so
    that a single wrong entry spread over n is not read as a pattern in all of them."""
    residual = np.abs(a - model)
    return _holds(a, model, tolerance) and bool(
        np.all(residual <= np.maximum(tolerance, 0.25 * np.abs(a - b)))
    )


def hints(a: np.ndarray, b: np.ndarray, tolerance: np.ndarray, eps_a: float) -> tuple[str, ...]:
    """The relations of the table above that hold between `a` and `b`, as sentences."""
    bad = ~np.isfinite(a)
    if bad.any():
        return (f"the analytic side has NaN or infinity in {int(bad.sum())} entry(ies)",)
    found = []
    scale = float(np.max(np.abs(b)))
    # A relation "in every entry" needs at least two entries that differ to show it.
    pattern = int(np.sum(np.abs(a - b) > tolerance)) >= 2
    if scale > 0 and not np.any(a):
        # Not "a constant factor 0": nothing of the derivative survived.
        found.append(
            "the analytic derivative is identically 0: a derivative lost entirely (e.g. a "
            "variable treated as a constant)"
        )
    elif pattern and scale > 0:
        # In units of the largest entry: sum(b * b) underflows to 0 for |b| below 1e-162.
        c = float(np.sum((a / scale) * (b / scale))) / float(np.sum((b / scale) ** 2))
        if _explains(a, -b, b, tolerance):
            found.append("analytic = -numeric in every entry: a sign flip (e.g. p - q for q - p)")
        elif _explains(a, c * b, b, tolerance) and not _holds(c * b, b, tolerance):
            found.append(
                f"analytic = {_factor(c)} x numeric in every entry: a missing or extra "
                "constant factor (a lost sum(p) shows as 1/sum(p), a lost 1/N as N)"
            )
    offset = float(np.mean(a - b))
    if pattern and _explains(a, b + offset, b, tolerance):
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
            and pattern
            and _explains(a, swapped, b, tolerance)
        ):
            name = "transposed" if a.ndim == 2 else f"axes permuted as {perm}"
            found.append(f"analytic equals numeric with {name}: an index swap")
            break
    # Rounding touches nearly every entry, by at most a few float32 units of the entry itself;
    # one wrong entry (of two), or an error that does not shrink with the entry, is no rounding.
    beyond = np.abs(a - b) > 64.0 * _EPS64 * (np.abs(b) + scale)
    beyond_double = int(beyond.sum()) >= 2 and float(np.mean(beyond)) > 0.5
    single = bool(np.all(np.abs(a - b) <= 4.0 * _EPS32 * np.abs(b) + tolerance))
    if not found and eps_a < _EPS32 and beyond_double and single:
        found.append(
            "analytic and numeric agree to single precision (about 1e-6 relative) but not "
            "beyond: is part of the analytic derivative computed in float32?"
        )
    return tuple(found)


def _factor(c: float) -> str:
    """`c` with digits enough to tell it from 1: a factor 1 + 3e-6 is not "1"."""
    if c != 1.0 and f"{c:.6g}" in ("1", "-1"):
        return f"(1 {'+' if c > 1 else '-'} {abs(c - 1.0):.2g})" if c > 0 else f"-{_factor(-c)}"
    return f"{c:.6g}"
