"""Checker mutants: ``gradproof.check``'s numerical differentiation, pass rule and probe.

A slip here makes "ok" lie about a gradient (a wrong one passes) or raise a false alarm (a right
one fails). Most are killed by the soundness catalogue (``tests/test_soundness.py``), whose
cases state the verdict the mathematics demands.
"""

from __future__ import annotations

from mutants.checks import SOUNDNESS, UNIT_CHECK
from mutants.harness import Mutant

NUMDIFF = "src/gradproof/_numdiff.py"
NUMERIC = "src/gradproof/_numeric.py"
PASSRULE = "src/gradproof/_passrule.py"
NOISE = "src/gradproof/_noise.py"

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
        "unresolved = ~resolved | (tolerance >= size)",
        "unresolved = tolerance < 0",
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
)

# `|a - b| <= tau` and `|a - b| < tau` differ only when the two are equal to the last bit, and
# tau is never 0 (it includes 1e-320): no check can tell them apart, nor should one.
EQUIVALENT_STRICT_PASS = Mutant(
    "equivalent-strict-pass-rule",
    PASSRULE,
    "failing = ~(np.abs(a - b) <= tolerance)",
    "failing = ~(np.abs(a - b) < tolerance)",
    "not a bug: an error exactly equal to a tolerance that is never 0",
    UNIT_CHECK,
)
