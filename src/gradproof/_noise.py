r"""Rounding noise of ``f`` near a point, measured from its values (Moré and Wild's ECnoise).

Finite differences cannot be more accurate than the noise of ``f``'s values divided by the step,
and that noise can be far above :math:`\epsilon |f|` when ``f`` is computed from terms larger
than itself. :func:`noise_level` measures it from seven values along a direction;
:func:`qualified_noise` takes a second look at a wider spacing. Both are used by
:mod:`gradproof._extrapolation` (the rounding floor of an extrapolation) and
:mod:`gradproof._numeric`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from gradproof._numdiff import Counter

__all__ = ["noise_level", "qualified_noise"]

_CLOSER_LOOKS = 3
"""Closer noise tables at most (6 evaluations each, spacings down to 1.5e-5 / 256**3, 1e-12)."""

_GAMMA = [1.0]
for _j in range(1, 7):
    _GAMMA.append(_GAMMA[-1] * 0.5 * _j / (2 * _j - 1))  # (j!)^2 / (2j)!


def noise_level(
    count: Counter, x: np.ndarray, d: np.ndarray, f0: np.ndarray, delta: float
) -> tuple[np.ndarray, float]:
    r"""The rounding noise of ``f``'s values near `x`, measured (Moré and Wild's ECnoise).

    ``f`` is evaluated at ``x + t delta d`` for ``t = -3 ... 3``. Its ``j``-th differences
    over that table are the smooth part, of order :math:`\delta^j f^{(j)}`, plus noise, whose
    variance they multiply by :math:`\binom{2j}{j}`; so
    :math:`\sigma_j = (\overline{(\Delta^j)^2}\,(j!)^2/(2j)!)^{1/2}` estimates the noise
    once the smooth part has died out. The estimate is :math:`\sigma_j` at the first order
    where three consecutive estimates agree within a factor 4 and :math:`\Delta^j` changes sign
    (noise does, a smooth function's high differences do not). Where no order qualifies, the
    largest of :math:`\sigma_3 \ldots \sigma_6` is used, which can only overstate the noise.

    `delta` adapts, at most twice, by a factor 256: larger when the seven values are all equal
    (the rounding is coarser than the change, so nothing can be measured), smaller when they
    spread by more than 10 % or when no order shows noise (the smooth part still dominates).
    Where the values stay all equal, the noise is reported as infinite: ``f``'s rounding hides
    its variation at every step a difference could use. A kink within the table also looks
    like noise; real noise does not depend on the spacing, so a figure far above ``eps |f|`` is
    measured again at a 256 times smaller spacing and the smaller one kept, up to
    ``_CLOSER_LOOKS`` times while it keeps falling fourfold.

    Moré, J. J. and Wild, S. M., "Estimating computational noise", SIAM J. Sci. Comput. 33
    (2011). Returns the noise per component of ``f(x)`` and the last `delta`. Noise that is
    coarse but regular (``f``'s values on a grid far coarser than their own spacing) can line up
    with a table of equal steps and hide; :mod:`gradproof._numeric` therefore extrapolates
    again at other steps before it blames a difference on anything.
    """
    for attempt in range(3):
        sigma, found, flat, table = _measure(count, x, d, f0, delta)
        outside = not np.all(np.isfinite(table))
        if attempt == 2:
            break
        wide = np.any(np.ptp(table, axis=0) > 0.1 * np.max(np.abs(table), axis=0))
        if outside:  # a point beyond f's domain (log near 0): closer to x
            delta /= 256.0
        elif flat.all():
            delta *= 256.0
        elif wide or not np.all(found | flat):
            delta /= 256.0
        else:
            break
    if outside:
        msg = (
            f"f returned NaN or infinity at a point {3 * delta:.2g} from x, where its rounding "
            "noise is measured (f(x) itself is finite): x is that close to a singularity or to "
            "the edge of f's domain; move x further from it"
        )
        raise ValueError(msg)
    sigma = np.where(flat, np.inf, sigma)
    # A kink or a fast variation inside the table also looks like noise. Real noise does not
    # depend on the spacing; anything else shrinks with it: so a noise far above eps |f| is
    # measured again 256 times closer to x, and the smaller figure kept; again while it keeps
    # falling fourfold (a kink 1e-7 from x is still inside the first closer table).
    loud = np.isfinite(sigma) & (sigma > 64.0 * count.eps * np.max(np.abs(table), axis=0))
    spacing = delta
    for _ in range(_CLOSER_LOOKS):
        if not loud.any():
            break
        spacing /= 256.0
        closer, _, flat_closer, _ = _measure(count, x, d, f0, spacing)
        falling = loud & ~flat_closer & (4.0 * closer < sigma)
        sigma = np.where(loud & ~flat_closer, np.minimum(sigma, closer), sigma)
        loud = falling & (sigma > 64.0 * count.eps * np.max(np.abs(table), axis=0))
    return sigma, delta


def qualified_noise(
    count: Counter, x: np.ndarray, d: np.ndarray, f0: np.ndarray, delta: float
) -> np.ndarray:
    """ECnoise with one table at spacing `delta`, counting only estimates that qualify (else 0).

    For a second look at a wider spacing: rounding on a coarse grid that a narrow table did not
    see move (part of ``f`` rounded away entirely) moves here; where a smooth part dominates the
    table instead, nothing qualifies and nothing is added.
    """
    sigma, found, flat, _ = _measure(count, x, d, f0, delta)
    return np.where(found & ~flat, sigma, 0.0)


def _measure(count: Counter, x: np.ndarray, d: np.ndarray, f0: np.ndarray, delta: float):
    """ECnoise on ``f(x + t delta d)``, ``t = -3 ... 3``: (noise, qualified, flat, table)."""
    points = [count.real(x + t * delta * d) for t in (-3, -2, -1)]
    points += [f0] + [count.real(x + t * delta * d) for t in (1, 2, 3)]
    table = np.stack(points)
    flat = np.all(table == table[3], axis=0)
    sigma, found = _noise_table(table)
    return sigma, found, flat, table


def _noise_table(table: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """ECnoise's estimate from a table of 7 equally spaced values; and where it qualified."""
    # In units of the largest value, so that squares neither overflow (|f| ~ 1e170) nor underflow.
    # A power of two, so that the scaled values stay exact (an exact quadratic stays exact).
    largest = np.max(np.abs(table), axis=0)
    unit = np.ldexp(1.0, np.frexp(np.where(largest > 0, largest, 1.0))[1])
    table = table / unit
    sigmas, changes = [], []
    for j in range(1, 7):
        table = np.diff(table, axis=0)
        sigmas.append(np.sqrt(_GAMMA[j] * np.mean(table**2, axis=0)))
        changes.append(np.min(table, axis=0) * np.max(table, axis=0) < 0)
    sigma = np.stack(sigmas)  # orders 1..6
    estimate = np.full(sigma.shape[1:], np.nan)
    for k in range(4):  # orders k+1 .. k+3
        window = sigma[k : k + 3]
        agree = (4.0 * np.min(window, axis=0) >= np.max(window, axis=0)) & changes[k]
        estimate = np.where(np.isnan(estimate) & agree, sigma[k], estimate)
    # Third differences of exactly 0: f is a polynomial of degree 2 or less computed without
    # rounding here (a linear or quadratic f on exactly representable steps); its noise is 0.
    exact = np.isnan(estimate) & np.all(sigma[2:] == 0, axis=0)
    estimate = np.where(exact, 0.0, estimate)
    found = ~np.isnan(estimate)
    return unit * np.where(found, estimate, np.max(sigma[2:], axis=0)), found
