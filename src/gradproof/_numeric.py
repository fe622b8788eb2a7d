r"""The numeric side of a check: a derivative of ``f`` and how far it can be trusted.

:func:`numeric_side` returns the numeric Jacobian (or one directional derivative) with an
absolute error bound for every entry, safety factors included. The pass rule
(:mod:`gradproof._passrule`) never compares more finely than these bounds allow.

First the rounding noise of ``f`` near ``x`` is measured (:func:`gradproof._noise.noise_level`,
six evaluations): finite differences cannot be more accurate than that noise divided by the
step, and ``f``'s noise can be far above ``eps |f|`` (a loss near 0 computed from terms near 1).
Then, by method:

complex step, checked by a probe
    The complex step has no cancellation, but it is only right when ``f`` carries the imaginary
    part through unchanged; ``abs``, ``.real``, ``np.vdot``'s conjugation or a complex comparison
    drop or flip part of the derivative *silently*. So before it is trusted, its derivative
    along a seeded random unit direction ``u`` is compared with extrapolated central differences
    along ``u`` (:func:`gradproof._extrapolation.extrapolate`, error bound ``e``). A gap larger than
    ``KAPPA * e`` (after a second extrapolation at other steps, which widens ``e`` if the two
    disagree) means ``f`` is not complex-step safe, unless that gap times the widest step
    exceeds every ``|f|`` seen: then either ``f``'s values are off by more than their own size
    (a term rounded away whole inside ``f``, which no noise measurement sees) or the complex
    step drops a term, and neither side can refute the other. The complex step is then kept,
    bounded by the gap, and the differences neither refine nor replace it. Otherwise the complex
    step is certified along ``u`` to :math:`\rho = |\mathrm{cs} - \mathrm{fd}| + \kappa e`.

    Along ``u`` that bound is deterministic, and it is the bound of a directional check. For a
    full Jacobian, let :math:`\delta` be the complex step's error in one output row. The probe
    sees :math:`u \cdot \delta`, and for ``u`` uniform on the sphere
    :math:`P(|u \cdot \delta| < t \|\delta\|) \le t\sqrt{2n/\pi}`. Every entry is therefore
    given the bound :math:`\rho \cdot K \sqrt{2n/\pi}` with ``K = MISS_ODDS = 100``: an error
    above that in any entry, so :math:`\|\delta\|` above it too, would have shown in the probe
    except with probability below 1/K = 1 % (0.1 % for an error ten times larger). The check
    never counts on the complex step beyond what the probe could have seen, in that sense: the
    direction is seeded, so for a given ``f`` the same coordinates are nearly missed on every
    run (at ``n = 1000`` about ten have ``|u_j|`` below the threshold); ``seed`` draws another.
    The direction is rounded so that its steps are exact, by at most 1 % of that threshold
    (:func:`gradproof._numdiff.probe_smallest_step`; at large ``|x|`` the probe gives up its
    smallest steps, not its direction). Where ``rho K sqrt(2n/pi)`` does not resolve a nonzero
    entry to ``RESOLUTION`` (1 %) of its size, ``auto`` extrapolates that coordinate too and
    keeps the finer bound. (For ``n = 1`` the direction is the coordinate and the factor is 1.)
Richardson
    :func:`gradproof._extrapolation.extrapolate` per coordinate, with its estimated bound times
    ``KAPPA``; the steps adapt to the point. An entry that disagrees with the analytic side is
    extrapolated again at other steps before it is blamed (``NumericSide.remeasure``).
central, forward
    Fixed steps; their bound is the rounding floor (noise and ``eps_f |f|`` over the step) times
    ``KAPPA``. Their truncation error is not estimated: their larger default ``rtol`` covers it
    for smooth ``f`` at unit scale; they are there for comparison and step sweeps.

``KAPPA = 10``, from ``python -m benchmarks.bounds``: over 3500 random problems of seven kinds
(cross-entropy, least squares, sums of sines, logistic loss, cubics on offsets up to 1e7,
saturated and low-temperature cross-entropy) the extrapolation's actual error stayed below 0.75
of its estimate for the first five kinds. Saturated cross-entropy exceeded it in 1.6 % of the
problems (its values sit on a rounding grid that can line up with every step of a table) and one
low-temperature problem in 500 by 19 times: so before anything is blamed on a disagreement, the
derivative is extrapolated again at steps in an irrational ratio to the first, and a failing
entry's noise is measured again at wider spacings.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from gradproof._extrapolation import Extrapolated, extrapolate
from gradproof._noise import noise_level, qualified_noise
from gradproof._numdiff import (
    COMPLEX_STEP,
    EPS64,
    UNDERFLOW,
    ComplexStepUnsafeError,
    Counter,
    complex_derivative,
    derivative,
    gaussian_miss_factor,
    probe_direction,
    probe_smallest_step,
    unit_direction,
)
from gradproof._passrule import RESOLUTION

__all__ = [
    "KAPPA",
    "MISS_ODDS",
    "NOISE_STEP",
    "PROBE_STEP",
    "NumericSide",
    "numeric_side",
]

KAPPA = 10.0
MISS_ODDS = 100.0
PROBE_STEP = 2.0**-6
"""First step of the probe's extrapolation. It settled in a median of 8 evaluations on the
measured problems, with a median bound of 1e-11 of the derivative."""
NOISE_STEP = 2.0**-16
"""Spacing of the seven points of the noise measurement (about 1.5e-5). At it the smooth part
of a unit-scale ``f`` falls below float64 rounding by the fourth differences."""
WIDE_NOISE_STEPS = (2.0**-8 * (1.0 + math.sqrt(5.0)) / 2.0, 2.0**-3 * (1.0 + math.sqrt(5.0)) / 2)
"""Spacings of the second noise measurements made before anything is blamed (about 6.3e-3 and
0.2): a term of ``f`` so small that it moves by less than one cell of ``f``'s rounding grid
over the narrow table, or over every step of the extrapolation, moves at one of these."""
_GOLDEN = (1.0 + math.sqrt(5.0)) / 2.0
"""Ratio of a second opinion's steps to the first's: irrational, so the two sets of steps do
not line up with the same rounding grid."""
_LARGEST_STEP = 2.0**-2


@dataclass
class NumericSide:
    """A numeric derivative with an absolute error bound per entry and what was noticed.

    `remeasure(j)`, where available, extrapolates coordinate ``j`` again at other steps and
    returns that column's new value and bound (safety factor included). `kinked` marks the
    entries where ``f`` has a kink at ``x`` or closer to it than the smallest step (its
    one-sided slopes differ): there
    `values` is the slopes' mean and `bound` reaches both slopes; no value passes there.
    """

    values: np.ndarray
    bound: np.ndarray
    method: str
    step: float
    reason: str | None = None
    notes: list[str] = field(default_factory=list)
    remeasure: Callable[[int], tuple[np.ndarray, np.ndarray]] | None = None
    kinked: np.ndarray | None = None
    room: np.ndarray | None = None
    """Part of `bound` that stands for one-sided slopes the differences cannot rule out (half
    a kink's jump, declared or too small to declare): a value passes only within `bound` minus
    this of `values`, so that it is within `bound` of both slopes."""


def _first_step(base: float, eps: float) -> float:
    """`base`, enlarged for a coarser precision: the best step grows like eps**(1/5)."""
    factor = 2.0 ** round(math.log2((eps / EPS64) ** 0.2))
    return min(base * factor, _LARGEST_STEP)


def _second_opinion(
    count: Counter, x, d, h0: float, f0, noise, fit: Extrapolated, *, wide: bool
) -> np.ndarray:
    """A bound for `fit` that also covers a second extrapolation at steps 1.618 times the first
    (rounding that lined up with one set of steps does not line up with the other) and, with
    `wide`, the noise measured again at wider spacings (part of ``f`` rounded on a grid too
    coarse to move within the narrow table), where the two wide spacings measure it alike. Wider bounds are the cautious side before an entry
    is blamed on the analytic derivative, but not before the complex step is trusted: there a
    kink far from ``x`` that a wide table straddles would pass for noise, and let a dropped term
    through. So the probe takes its second look without `wide`."""
    louder = noise
    if wide:
        direction = d if not isinstance(d, int) else np.eye(1, x.size, d).reshape(x.shape)
        looks = [qualified_noise(count, x, direction, f0, s) for s in WIDE_NOISE_STEPS]
        # Rounding noise does not depend on the spacing; smooth variation (sin(5x) over ±0.6)
        # or a kink the wide table straddles grows with it. Only what both spacings measure
        # alike, within a factor 4, counts as noise.
        low, high = np.minimum(*looks), np.maximum(*looks)
        louder = np.maximum(louder, np.where((low > 0) & (high <= 4.0 * low), low, 0.0))
    value, bound = fit.reselect(louder)
    other = extrapolate(count, x, d, h0 * _GOLDEN, f0=f0, noise=louder)
    spread = np.maximum(np.abs(value - other.value), np.abs(fit.value - other.value))
    return np.maximum(np.maximum(bound, other.bound), np.maximum(spread, np.abs(fit.value - value)))


def _fixed(count: Counter, x: np.ndarray, d, method: str, h: float, f0, noise) -> tuple:
    """A fixed-step derivative and its bound: the rounding floor, and for Richardson the
    difference between its two central differences (an estimate of the h**2 term it removed,
    larger than what remains)."""
    if method == "richardson":
        coarse = derivative(count, x, d, "central", h)
        fine = derivative(count, x, d, "central", h / 2)
        value, spread, h_min = (4.0 * fine - coarse) / 3.0, np.abs(fine - coarse), h / 2
    else:
        value = derivative(count, x, d, method, h, f0)
        spread, h_min = np.zeros_like(value), h
    floor = 2.0 * (count.eps * np.abs(f0) + 2.0 * noise) / h_min
    # A step that does not move x leaves no quotient (NaN): no bound either.
    return value, np.where(np.isfinite(value), KAPPA * (spread + floor), np.inf)


def _columns(parts: list[np.ndarray], x: np.ndarray) -> np.ndarray:
    stacked = np.stack(parts, axis=-1)
    return stacked.reshape(stacked.shape[:-1] + x.shape)


def _listed(labels: list[str]) -> str:
    return ", ".join(labels[:4]) + (" ..." if len(labels) > 4 else "")


def _extrapolation_notes(fits: list[Extrapolated], labels: list[str]) -> list[str]:
    notes = []
    restarted = [(lab, e.restarted_below) for lab, e in zip(labels, fits, strict=True)]
    restarted = [(lab, h) for lab, h in restarted if h]
    if restarted:
        notes.append(
            f"finite differences along {_listed([lab for lab, _ in restarted])} did not settle "
            f"at steps down to {max(h for _, h in restarted):.2g} (f varies faster than that "
            "near x, or has a kink within that distance); smaller steps were used there"
        )
    edge = [(lab, e) for lab, e in zip(labels, fits, strict=True) if e.outside]
    if edge:
        lost = [lab for lab, e in edge if not np.all(np.isfinite(e.value))]
        notes.append(
            f"f is not finite at steps of {max(e.outside for _, e in edge):.2g} from x along "
            f"{_listed([lab for lab, _ in edge])} (a singularity or the edge of its domain): "
            "smaller steps were used there"
            + (
                f"; along {_listed(lost)} no step down to the smallest allowed stays in f's "
                "domain, and those entries are not checked"
                if lost
                else ""
            )
        )
    kinked = [(lab, e) for lab, e in zip(labels, fits, strict=True) if np.any(e.kink)]
    if kinked:
        lab, e = kinked[0]
        k = int(np.argmax(np.where(e.kink, e.half_jump(KAPPA), -np.inf)))
        mean, jump = float(np.ravel(e.value)[k]), float(np.ravel(e.slope_jump)[k])
        slopes = (
            f"one-sided slopes {mean - jump / 2:.6g} (left) and {mean + jump / 2:.6g} (right)"
            if np.isfinite(np.ravel(e.slope_jump_bound)[k])
            else f"one-sided slopes apart by up to {2 * float(np.ravel(e.half_jump(KAPPA))[k]):.2g}"
        )
        within = max(e.steps[1] for _, e in kinked)
        notes.append(
            f"f has a kink at x, or within {within:.2g} of it, along "
            f"{_listed([lab for lab, _ in kinked])}: its one-sided slopes differ by an amount "
            f"that does not shrink with the step down to steps of {within:.2g} (along {lab}, "
            f"{slopes}). Differences cannot tell a kink at x, where f has no derivative, from "
            "one that close: those entries cannot tell, and fail only beyond both slopes"
        )
    return notes


def _richardson(count: Counter, x: np.ndarray, f0, noise, base: float, rtol: float, along):
    h0 = _first_step(base, count.eps)
    target = rtol / KAPPA  # then KAPPA * bound adds at most rtol |value| to the tolerance
    if along is not None:
        fit = extrapolate(count, x, along, h0, f0=f0, noise=noise, rtol_target=target)
        side = NumericSide(fit.value, _widened(fit, fit.bound), "richardson", h0)
        side.kinked, side.room = np.asarray(fit.kink), fit.half_jump(KAPPA)
        side.notes += _extrapolation_notes([fit], ["the direction"])
        side.remeasure = lambda _j: (
            fit.value,
            _widened(fit, _second_opinion(count, x, along, h0, f0, noise, fit, wide=True)),
        )
        return side
    fits = [
        extrapolate(count, x, j, h0, f0=f0, noise=noise, rtol_target=target) for j in range(x.size)
    ]
    labels = [_label(x, j) for j in range(x.size)]
    side = NumericSide(
        _columns([e.value for e in fits], x),
        _columns([_widened(e, e.bound) for e in fits], x),
        "richardson",
        h0,
    )
    side.kinked = _columns([e.kink for e in fits], x)
    side.room = _columns([e.half_jump(KAPPA) for e in fits], x)
    side.notes += _extrapolation_notes(fits, labels)
    side.remeasure = lambda j: (
        fits[j].value,
        _widened(fits[j], _second_opinion(count, x, j, h0, f0, noise, fits[j], wide=True)),
    )
    return side


def _widened(fit: Extrapolated, bound: np.ndarray) -> np.ndarray:
    """`bound` with the safety factor, and where `fit` found a kink, widened to both one-sided
    slopes. Half the slopes' difference is not multiplied by KAPPA (only its error is): a value
    beyond both slopes by more than the bounds is no subgradient, and fails."""
    return KAPPA * bound + fit.half_jump(KAPPA)


def _probe_distortion(n: int) -> float:
    """How far rounding may move the probe direction (in norm, at most sqrt(n) times this per
    component): a hundredth of the smallest ``|u . delta| / ||delta||`` the miss bound counts
    on, so the rounded direction misses an error with at most 1.01 times the odds of a uniform
    one."""
    t = 1.0 / (MISS_ODDS * gaussian_miss_factor(n))
    return 0.01 * t / math.sqrt(n)


def _probe(
    count: Counter, x: np.ndarray, f0, noise, u: np.ndarray, smallest: float | None = None
) -> tuple:
    """Certify the complex step along `u`; return (cs, rho, summary) or raise if unsafe."""
    start = count.n_evals
    cs = complex_derivative(count, x, u, COMPLEX_STEP, whole=True)
    h0 = _first_step(PROBE_STEP, count.eps)
    if smallest is not None and smallest > h0 / 4.0:
        reason = (
            f"x has entries as large as {float(np.max(np.abs(x))):.3g}: a probe direction "
            f"rounded to exact steps there would need steps of at least {smallest:.2g}, too "
            "coarse for extrapolation; each coordinate is differenced instead"
        )
        raise ComplexStepUnsafeError(reason)
    fit = extrapolate(count, x, u, h0, f0=f0, noise=noise, smallest_step=smallest)
    if not np.all(np.isfinite(fit.value)):
        reason = (
            f"f is not finite within {fit.steps[1]:.2g} of x along the probe's direction (a "
            "singularity or the edge of its domain), so the complex step cannot be confirmed; "
            "each coordinate is differenced instead"
        )
        raise ComplexStepUnsafeError(reason)
    if np.any(fit.kink):
        k = int(np.argmax(np.where(fit.kink, np.abs(fit.slope_jump), -np.inf)))
        reason = (
            "along the probe's direction the one-sided slopes of f differ by "
            f"{float(np.ravel(fit.slope_jump)[k]):.2g}, an amount that does not shrink with the "
            f"step (down to {fit.steps[1]:.2g}: a kink at x or that close to it, unless the "
            "coordinates show otherwise), so the complex step cannot be confirmed; each "
            "coordinate is differenced instead"
        )
        raise ComplexStepUnsafeError(reason)
    gap, bound = np.abs(cs - fit.value), fit.bound
    slack = 8.0 * count.eps * np.abs(cs)
    if np.any(gap > KAPPA * bound + slack):
        bound = _second_opinion(count, x, u, h0, f0, noise, fit, wide=False)
    apart = gap > KAPPA * bound + slack
    caveat = None
    if np.any(apart):
        k = int(np.argmax(np.where(apart, gap - KAPPA * bound, -np.inf)))
        if np.max(np.abs(fit.value)) * COMPLEX_STEP < UNDERFLOW:
            reason = (
                f"the derivative along the probe's direction is about {fit.value.flat[k]:.1e}, "
                f"so the complex step's imaginary part ({COMPLEX_STEP:.0e} times that) falls "
                "into the underflow range, where it loses its digits"
            )
            raise ComplexStepUnsafeError(reason)
        # The differences' bound holds for f's values as they are rounded at their own size
        # (and as noisy as measured). A gap that stands for a change of f, over the widest
        # step, larger than every |f| seen cannot be refuted by them: for the complex step to
        # be right, f's values would be off by more than their own size, which is what a term
        # rounded away whole against larger ones inside f does (a loss near 0 computed from
        # logits near 37), and no measurement of f's values sees that rounding.
        hidden = apart & (gap * fit.steps[0] > fit.size)
        refuted = apart & ~hidden
        if refuted.any():
            k = int(np.argmax(np.where(refuted, gap - KAPPA * bound, -np.inf)))
            raise ComplexStepUnsafeError(_disagreement(cs, fit, bound, gap, k))
        caveat = _undecided(cs, fit, bound, gap, k)
    rho = gap + KAPPA * bound
    summary = (
        f"complex step confirmed by extrapolated central differences along a seeded random "
        f"direction to ±{float(np.max(rho[np.isfinite(rho)], initial=0.0)):.1e} "
        f"({count.n_evals - start} evaluations, steps "
        f"{fit.steps[0]:.2g} to {fit.steps[1]:.2g})"
    )
    if caveat:
        summary = summary.replace("confirmed by", "bounded, not confirmed, by", 1)
    return cs, rho, summary, caveat


def _disagreement(cs, fit: Extrapolated, bound, gap, k: int) -> str:
    return (
        f"along a seeded random direction the complex step gave {cs.flat[k]:.10g} and "
        f"extrapolated central differences {fit.value.flat[k]:.10g} ± {bound.flat[k]:.1e} "
        f"(confirmed at a second set of steps): a gap of {gap.flat[k]:.2e}, more than "
        f"{KAPPA:g} times the differences' own error bound: part of the derivative is lost "
        "or flipped on the complex path (abs, .real, conjugation such as np.vdot, a complex "
        "comparison?), unless f's rounding hides part of its variation from the differences"
    )


def _undecided(cs, fit: Extrapolated, bound, gap, k: int) -> str:
    h = fit.steps[0]
    return (
        f"along a seeded random direction the complex step gave {cs.flat[k]:.4g} and "
        f"extrapolated central differences {fit.value.flat[k]:.4g} ± {bound.flat[k]:.1e}; "
        f"the gap stands for a change of f of {gap.flat[k] * h:.1e} over the step {h:.2g}, "
        f"more than any value of |f| there (at most {fit.size.flat[k]:.1e}). For the complex "
        "step to be right, f's values would be off by more than their own size, as when f is "
        "computed by cancelling larger terms inside it (a loss near 0 from large logits), whose "
        "rounding f's values do not show; for the differences to be right, part of the "
        "derivative is lost on the complex path (abs, .real). The differences can neither "
        "confirm nor refute the complex step here, so it is trusted only to the width of the "
        "gap, and entries within that cannot be told"
    )


def _noise_note(noise: np.ndarray, delta: float, spent: int, constant: np.ndarray) -> str:
    hidden = np.isinf(noise) & ~constant
    if hidden.any():
        return (
            f"f's values are identical at 7 points within ±{3 * delta:.1g} of x: its rounding "
            "hides its variation there, so no finite difference can resolve its derivative"
        )
    measured = float(np.max(noise[~constant], initial=0.0))
    text = f"rounding noise of f near x measured at {measured:.1e} ({spent} evaluations)"
    if constant.any():
        text += (
            f"; {int(constant.sum())} component(s) of f are constant near x (identical values, "
            "and complex steps exactly 0 along the probe and every coordinate): their "
            "derivative is 0"
        )
    return text


def _constant(count: Counter, x, noise: np.ndarray, cs, values: np.ndarray) -> np.ndarray:
    """Components of ``f`` constant near x (a masked class): values that never moved at any
    spacing, and complex steps exactly 0 along the probe and along every coordinate, at step
    1e-20 and at step 1. Flat values alone may be rounding that hides a change (log(1 + e^-41));
    the complex step of such a component moves along some coordinate. A step of 1e-20 times a
    derivative below 5e-304 underflows to 0; at step 1 it does not. The n complex evaluations
    at step 1 are made only when some component is otherwise constant."""
    flat = np.isinf(noise)
    if not flat.any():
        return flat
    rows = values.reshape(np.size(noise), -1)
    still = np.all(rows == 0, axis=1).reshape(np.shape(noise))
    if not (flat & (cs == 0) & still).any():
        return flat & False
    try:
        wide = [complex_derivative(count, x, j, 1.0) for j in range(x.size)]
    except ComplexStepUnsafeError:
        return flat & False
    rows = _columns(wide, x).reshape(np.size(noise), -1)
    still &= np.all(rows == 0, axis=1).reshape(np.shape(noise))
    return flat & (cs == 0) & still


def _coarse_columns(values: np.ndarray, bound: np.ndarray, x: np.ndarray) -> list[int]:
    """Coordinates with an entry that is nonzero but not bounded to RESOLUTION of its size.

    The probe's bound is one number per output; an entry much smaller than the largest can be
    below it. An exact zero is left to the probe: the complex step's imaginary part does not move
    with that coordinate at all, and where that is because f drops it, the probe sees it.
    """
    n = x.size
    flat_values, flat_bound = values.reshape(-1, n), bound.reshape(-1, n)
    coarse = (flat_values != 0) & ~(flat_bound < RESOLUTION * np.abs(flat_values))
    return [int(j) for j in np.flatnonzero(coarse.any(axis=0))]


def _refine(side: NumericSide, count, x, f0, noise, base: float, rtols, columns) -> None:
    """Difference `columns` by Richardson too, keeping per entry whichever bound is smaller."""
    h0 = _first_step(base, count.eps)
    target = rtols["richardson"] / KAPPA
    n = x.size
    values, bound = side.values.reshape(-1, n).copy(), side.bound.reshape(-1, n).copy()
    fits = {}
    kinked = np.zeros(values.shape, dtype=bool)
    room = np.zeros(values.shape)
    for j in columns:
        fit = fits[j] = extrapolate(count, x, j, h0, f0=f0, noise=noise, rtol_target=target)
        # A kink along a coordinate is a fact about f, whichever bound is finer: there the
        # slopes' mean and the bound that reaches both slopes are taken.
        kinked[:, j] = np.ravel(fit.kink)
        finer = (np.ravel(_widened(fit, fit.bound)) < bound[:, j]) | kinked[:, j]
        values[:, j] = np.where(finer, np.ravel(fit.value), values[:, j])
        bound[:, j] = np.where(finer, np.ravel(_widened(fit, fit.bound)), bound[:, j])
        room[:, j] = np.where(finer, np.ravel(fit.half_jump(KAPPA)), 0.0)
    side.values, side.bound = values.reshape(side.values.shape), bound.reshape(side.bound.shape)
    side.kinked, side.room = kinked.reshape(side.values.shape), room.reshape(side.values.shape)
    labels = [_label(x, j) for j in columns]
    side.notes.append(
        f"{len(columns)} coordinate(s) ({_listed(labels)}) have entries smaller than the probe "
        f"could vouch for to {RESOLUTION:.0%}: differenced by Richardson as well, and the finer "
        "bound kept"
    )
    side.notes += _extrapolation_notes([fits[j] for j in columns], labels)


def _label(x: np.ndarray, j: int) -> str:
    return f"x{tuple(int(i) for i in np.unravel_index(j, x.shape))}"


def numeric_side(
    count: Counter,
    x: np.ndarray,
    f0: np.ndarray,
    method: str,
    step: float | None,
    seed: int,
    steps: dict[str, float],
    rtols: dict[str, float],
    along: np.ndarray | None = None,
) -> NumericSide:
    """The numeric Jacobian of ``f`` at `x` (or its derivative along the unit vector `along`).

    `steps` and `rtols` map each method to its default step and to the rtol the check will use
    (which sets how far Richardson refines); `step` overrides the chosen method's step.
    """
    reason = None
    smallest = None
    if along is None:
        smallest = probe_smallest_step(x, _LARGEST_STEP, _probe_distortion(x.size))
        u = probe_direction(x, unit_direction(x.shape, seed), _LARGEST_STEP, smallest)
    else:
        u = along
    start = count.n_evals
    noise, delta = noise_level(count, x, u, f0, _first_step(NOISE_STEP, count.eps))
    spent = count.n_evals - start
    note = _noise_note(noise, delta, spent, np.zeros(np.shape(noise), bool))
    if method in ("auto", "complex"):
        try:
            cs, rho, summary, caveat = _probe(count, x, f0, noise, u, smallest)
        except ComplexStepUnsafeError as exc:
            if method == "complex":
                msg = f"method='complex' cannot differentiate f: {exc}; use 'richardson'"
                raise ValueError(msg) from exc
            reason = str(exc)
        else:
            h = steps["complex"] if step is None else step
            if along is not None:
                value = cs if h == COMPLEX_STEP else complex_derivative(count, x, along, h)
                bound = rho if h == COMPLEX_STEP else rho + np.abs(value - cs)
                notes = [note, summary] + ([caveat] if caveat else [])
                return NumericSide(value, bound, "complex", h, notes=notes)
            values = _columns([complex_derivative(count, x, j, h) for j in range(x.size)], x)
            factor = 1.0 if x.size == 1 else MISS_ODDS * gaussian_miss_factor(x.size)
            bound = (factor * rho).reshape(rho.shape + (1,) * x.ndim) + np.zeros(values.shape)
            trust = (
                f"{summary}; each entry trusted to {factor:.0f} times that, so that an "
                "error the check could count would have shown in the probe (missed with "
                f"probability below {1 / MISS_ODDS:.0%})"
            )
            if h != COMPLEX_STEP:
                # An explicit step is not the one the probe confirmed: its own error (truncation
                # for a large step, lost digits for a subnormal one) is its distance from that.
                certified = _columns(
                    [complex_derivative(count, x, j, COMPLEX_STEP) for j in range(x.size)], x
                )
                bound = bound + np.abs(values - certified)
                trust += (
                    f"; the step {h:.3g} is bounded by its distance from step {COMPLEX_STEP:.0e}"
                )
            constant = _constant(count, x, noise, cs, values)
            if constant.any():
                # Exactly 0 on both paths: the complex step of a constant is exact.
                rows = bound.reshape(constant.size, -1)
                rows[constant.ravel()] = 0.0
                bound = rows.reshape(bound.shape)
                note = _noise_note(noise, delta, spent, constant)
            if method == "complex" or caveat:
                # Where the differences cannot decide, they cannot refine or replace it either.
                notes = [note, trust] + ([caveat] if caveat else [])
                return NumericSide(values, bound, "complex", h, notes=notes)
            coarse = _coarse_columns(values, bound, x)
            if len(coarse) < x.size:
                side = NumericSide(values, bound, "complex", h, notes=[note, trust])
                if coarse:
                    _refine(side, count, x, f0, noise, steps["richardson"], rtols, coarse)
                return side
            # One probe direction cannot vouch for any entry as finely as it needs: choose the
            # method the point allows, and say why.
            reason = (
                f"{summary}, so each of the {x.size} entries could be trusted only to "
                f"±{float(np.max(bound)):.1e}, not to {RESOLUTION:.0%} of its own size; each "
                "coordinate is differenced instead"
            )
        method, step = "richardson", None
    if method == "richardson" and step is None:
        side = _richardson(count, x, f0, noise, steps["richardson"], rtols["richardson"], along)
        side.reason = reason
        side.notes.insert(0, note)
        return side
    h = float(step) if step is not None else steps[method]
    if along is not None:
        value, bound = _fixed(count, x, along, method, h, f0, noise)
        return NumericSide(value, bound, method, h, notes=[note])
    parts = [_fixed(count, x, j, method, h, f0, noise) for j in range(x.size)]
    side = NumericSide(
        _columns([v for v, _ in parts], x), _columns([b for _, b in parts], x), method, h
    )
    side.notes.append(note)
    if method in ("central", "forward"):
        side.notes.append(
            f"{method} differences at a fixed step: rounding is bounded, truncation is not "
            "estimated (rtol covers it for smooth f at unit scale)"
        )
    return side
