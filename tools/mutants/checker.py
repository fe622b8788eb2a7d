"""Checker mutants: ``gradproof.check``'s numerical differentiation, pass rule and probe.

A slip here makes "ok" lie about a gradient (a wrong one passes) or raise a false alarm (a right
one fails). Most are killed by the soundness catalogue (``tests/test_soundness.py``), whose
cases state the verdict the mathematics demands.
"""

from __future__ import annotations

from mutants.checks import SOUNDNESS, UNIT_CHECK
from mutants.harness import Mutant

NUMDIFF = "src/gradproof/_numdiff.py"
EXTRAPOLATION = "src/gradproof/_extrapolation.py"
NUMERIC = "src/gradproof/_numeric.py"
PASSRULE = "src/gradproof/_passrule.py"
NOISE = "src/gradproof/_noise.py"
COMPARE = "src/gradproof/_compare.py"
_TOLERANCE = "tolerance = applied + rtol * magnitude"
_PROBE_SLACK = "slack = 8.0 * count.eps * np.abs(cs)"
_PROBE_DIRECTION = "u = probe_direction(x, unit_direction(x.shape, seed), _LARGEST_STEP, smallest)"

MUTANTS: tuple[Mutant, ...] = (
    Mutant(
        "central-difference-width-h",
        NUMDIFF,
        "width = _step_taken(x, plus, d, h) - _step_taken(x, minus, d, -h)",
        "width = _step_taken(x, plus, d, h)",
        "(f(x+h) - f(x-h)) / h, twice the derivative, so right gradients would fail",
        UNIT_CHECK,
    ),
    Mutant(
        "probe-blind",
        NUMERIC,
        "gap, bound = np.abs(cs - fit.value), fit.bound",
        "gap, bound = 0.0 * np.abs(cs - fit.value), fit.bound",
        "a probe that never sees the complex step disagree, so abs or .real inside f "
        "would drop a term unnoticed (the old probe's looseness, taken to the limit)",
        SOUNDNESS,
    ),
    Mutant(
        "old-absolute-atol",
        PASSRULE,
        "floor = np.where(known, bound, np.inf) + noise",
        "floor = np.where(known, bound, np.inf) + noise + 1e-12",
        "the old fixed atol of 1e-12, under which a zero gradient of 1e-14 J passed",
        SOUNDNESS,
    ),
    Mutant(
        "never-cannot-tell",
        PASSRULE,
        "unresolved = ~resolved | (tolerance >= size_row) | kink",
        "unresolved = (tolerance < 0) | kink",
        "ok where nothing was compared (a stationary point, a direction along an "
        "invariance, an atol as large as the gradient)",
        SOUNDNESS,
    ),
    Mutant(
        "probe-trusted-per-entry",
        NUMERIC,
        "factor = 1.0 if x.size == 1 else MISS_ODDS * gaussian_miss_factor(x.size)",
        "factor = 1.0",
        "each entry trusted to what the probe confirmed along one direction, though a "
        "random direction sees an entry's error only about 1/sqrt(n) of its size",
        UNIT_CHECK,
    ),
    Mutant(
        "noise-unmeasured",
        NOISE,
        "    return sigma, delta",
        "    return np.where(np.isinf(sigma), sigma, 0.0), delta",
        "finite differences assumed as accurate as eps |f|, which a loss near 0 computed "
        "from terms near 1 is not: a right gradient would be blamed for the differences' noise",
        SOUNDNESS,
    ),
    Mutant(
        "rtol-scaled-by-size",
        PASSRULE,
        _TOLERANCE,
        "tolerance = applied + rtol * size",
        "the relative tolerance taken of the largest entry: a small entry may then be wrong by "
        "rtol times the largest one, many times its own size",
        SOUNDNESS,
    ),
    Mutant(
        "absolute-term-dropped",
        PASSRULE,
        _TOLERANCE,
        "tolerance = rtol * magnitude",
        "a purely relative tolerance: an entry whose numeric value is 0 must match to the bit, "
        "so a right gradient fails for the differences' rounding",
        SOUNDNESS,
    ),
    Mutant(
        "numeric-bound-dropped",
        PASSRULE,
        "floor = np.where(known, bound, np.inf) + noise",
        "floor = np.where(known, 0.0, np.inf) + noise",
        "the numeric side's own error bound left out of the tolerance: a right gradient is "
        "blamed for the finite differences' truncation and rounding",
        SOUNDNESS,
    ),
    Mutant(
        "resolution-loosened",
        PASSRULE,
        "\nRESOLUTION = 0.01\n",
        "\nRESOLUTION = 1.0\n",
        "an entry called resolved when the numeric side cannot tell it from a value 100 % away "
        "(half or twice it): ok for a gradient the differences never pinned down",
        SOUNDNESS,
    ),
    Mutant(
        "probe-old-1e-5",
        NUMERIC,
        _PROBE_SLACK,
        "slack = 8.0 * count.eps * np.abs(cs) + 1e-5 * np.abs(cs)",
        "the probe's old tolerance, 1e-5 relative: the complex step is trusted though it may "
        "drop a term 1e5 times larger than the check resolves",
        SOUNDNESS,
    ),
    Mutant(
        "probe-along-ones",
        NUMERIC,
        _PROBE_DIRECTION,
        "u = probe_direction(x, np.ones(x.shape) / np.sqrt(x.size), _LARGEST_STEP, smallest)",
        "a fixed probe direction, all ones: an error orthogonal to it (a dropped |z_0 - z_1|) "
        "is never seen, and a shift-invariant loss is flat along it",
        SOUNDNESS,
    ),
    Mutant(
        "direction-not-normalised",
        COMPARE,
        "return v / norm, norm",
        "return v, norm",
        "a direction used at the size it was given: along 1e-15 e_0 both sides are ~1e-15 and "
        "a gradient 1000 times wrong passes",
        SOUNDNESS,
    ),
    Mutant(
        "kinked-entry-resolved",
        PASSRULE,
        "unresolved = ~resolved | (tolerance >= size_row) | kink",
        "unresolved = ~resolved | (tolerance >= size_row)",
        "an entry at a kink judged like any other: its bound reaches both one-sided slopes, so "
        "their mean, or either slope, passes for a derivative f does not have",
        SOUNDNESS,
    ),
    Mutant(
        "kink-width-times-kappa",
        NUMERIC,
        "return KAPPA * bound + fit.half_jump(KAPPA)",
        "return KAPPA * (bound + fit.half_jump(1.0))",
        "the safety factor applied to the slopes' difference itself, not only to its error: a "
        "value beyond both one-sided slopes cannot tell instead of failing",
        SOUNDNESS,
    ),
    Mutant(
        "noise-one-closer-look",
        NOISE,
        "\n_CLOSER_LOOKS = 3\n",
        "\n_CLOSER_LOOKS = 1\n",
        "the noise measured once closer only: a kink 1e-7 from x is still inside that table, "
        "passes for noise of 4e-9, and the right gradient cannot tell with a kink blamed at x",
        SOUNDNESS,
    ),
    Mutant(
        "kink-never-looked-closer",
        EXTRAPOLATION,
        "closer = kink & (np.abs(slopes) > _CLOSER_FACTOR * slopes_bound)",
        "closer = kink & False",
        "a kink seen at the first steps taken for one at x: a kink 3e-6 away, whose distance "
        "the steps never went below, makes the right gradient cannot tell",
        SOUNDNESS,
    ),
    Mutant(
        "one-scale-for-all-rows",
        COMPARE,
        "rows = int(np.size(f0)) if along is None else 1",
        "rows = 1",
        "a Jacobian judged at the scale of its largest row: with rows 1e15 apart the small "
        "row's entries are 'checked as zeros' to 0.3, and a zero row passes for softmax's",
        SOUNDNESS,
    ),
    Mutant(
        "stalled-entries-kept",
        EXTRAPOLATION,
        "tableau.forget(stalled)",
        "tableau.forget(stalled & False)",
        "after a restart the tableau may still choose an entry from the steps that stalled: "
        "a smooth |x| of width 1e-8 fails its right gradient (2.99e-6 for 0.447)",
        SOUNDNESS,
    ),
    Mutant(
        "kink-ratio-old-threshold",
        EXTRAPOLATION,
        "shaped = (np.abs(ratio - 0.5) <= 0.1) | (ratio > 0.9)",
        "shaped = ratio > 0.35",
        "second differences falling by 2^-1.5 = 0.354 taken for a kink: |x|^1.5, "
        "differentiable, is reported with made-up one-sided slopes",
        SOUNDNESS,
    ),
    Mutant(
        "room-ignored",
        PASSRULE,
        "loose = ~failing & ~(np.abs(a - b) <= tolerance - room)",
        "loose = ~failing & False",
        "a value within the tolerance of the slopes' mean passes, though a kink too small to "
        "declare puts the other slope outside it",
        SOUNDNESS,
    ),
    Mutant(
        "probe-kink-ignored",
        NUMERIC,
        "    if np.any(fit.kink):\n",
        "    if False:\n",
        "the probe confirms the complex step across a kink it has found: where the complex "
        "step averages the kink (sign, abs) the slopes' mean passes. Listed as equivalent at "
        "stop 20, when the probe's coarse confirmation fell back anyway; the kink catalogue "
        "now kills it",
        SOUNDNESS,
    ),
    Mutant(
        "float32-taken-for-float64",
        NUMDIFF,
        "self.eps = max(self.eps, _eps_of(dtype))",
        "self.eps = EPS64",
        "f's single-precision results compared as if double: a right float32 loss fails",
        SOUNDNESS,
    ),
)

# `|a - b| <= tau` and `|a - b| < tau` differ only when the two are equal to the last bit, and
# tau is never 0 (it includes 1e-320): no check can tell them apart, nor should one.
EQUIVALENT_STRICT_PASS = Mutant(
    "equivalent-strict-pass-rule",
    PASSRULE,
    "failing = ~(np.abs(a - b) <= tolerance) & (known | ~np.isfinite(a))",
    "failing = ~(np.abs(a - b) < tolerance) & (known | ~np.isfinite(a))",
    "not a bug: an error exactly equal to a tolerance that is never 0",
    UNIT_CHECK,
)

# A probe shortcut that main's checker of 76920ce made redundant for the verdict, as far as
# tried. The wide second look counts only noise that both wide spacings measure alike, which a
# straddled kink is not: with a term dropped by .real and its kink 0.1 away the check fails
# either way (tests/test_soundness.py keeps both cases).
EQUIVALENT_PROBE_WIDE = Mutant(
    "equivalent-probe-second-look-wide",
    NUMERIC,
    "bound = _second_opinion(count, x, u, h0, f0, noise, fit, wide=False)",
    "bound = _second_opinion(count, x, u, h0, f0, noise, fit, wide=True)",
    "redundant as far as tried: wide noise counts only where both wide spacings agree",
    SOUNDNESS,
)
