"""Verifier mutants: ``gradproof.derive`` calling a false step ✓, or more than was proved.

A slip in the zero test, the numeric comparison, the settings a step is checked in (which
indices may be renumbered, which axis an index may stand on), the proof for every n or the
domain a symbol is sampled on makes a ✓ claim what is not true. Most are killed by the
soundness catalogue (``tests/test_soundness.py``), whose cases state the verdict and scope the
mathematics demands.
"""

from __future__ import annotations

from mutants.checks import DERIVE, DERIVE_SETTINGS, SOUNDNESS
from mutants.harness import Mutant

ZERO = "src/gradproof/derive/_zero.py"
NUMERIC = "src/gradproof/derive/_numeric.py"
SETTINGS = "src/gradproof/derive/_settings.py"
INDICES = "src/gradproof/derive/_indices.py"
GENERIC = "src/gradproof/derive/_generic.py"
SAMPLING = "src/gradproof/derive/_sampling.py"
NOTATION = "src/gradproof/derive/notation.py"
VERIFY = "src/gradproof/derive/_verify.py"

MUTANTS: tuple[Mutant, ...] = (
    # ---- the exact zero test
    Mutant(
        "log-expanded-by-force",
        ZERO,
        "diff = diff.replace(lambda a: isinstance(a, sp.log), sp.expand_log)",
        "diff = diff.replace(lambda a: isinstance(a, sp.log), "
        "lambda a: sp.expand_log(a, force=True))",
        "log(z_i^2) = 2 log z_i taken as exact, though a logit may be negative",
        SOUNDNESS,
    ),
    # ---- the numeric comparison
    Mutant(
        "agreement-within-1e-30",
        NUMERIC,
        "if va == vb:  # the same number, written the same way",
        "if va == vb or abs(sp.N(va - vb, 60)) < 1e-30:",
        "the old absolute floor: p_i and p_i + e^{-80} agree, whatever the size of the terms",
        SOUNDNESS,
    ),
    Mutant(
        "imaginary-part-ignored",
        NUMERIC,
        "parts = [(sp.re(va), sp.re(vb)), (sp.im(va), sp.im(vb))]",
        "parts = [(sp.re(va), sp.re(vb))]",
        "complex values compared by their real parts: 2 log z_i at a negative z_i differs from "
        "log z_i^2 by 2 pi i, which is then no certified disagreement",
        SOUNDNESS,
    ),
    Mutant(
        "undefined-counts-as-agreement",
        NUMERIC,
        "if _undefined(va) or _undefined(vb):\n        return Comparison(agree=None)",
        "if _undefined(va) or _undefined(vb):\n        return Comparison(agree=True)",
        "a point where a line divides by zero taken as agreement, not as saying nothing",
        SOUNDNESS,
    ),
    # ---- settings: renumbering classes and index types
    Mutant(
        "index-on-wrong-axis-allowed",
        INDICES,
        "if r[2] is not None and r[2] != dim:",
        "if False:",
        "an input index on a class axis accepted: with n = D, dz_i/dx_d = W_{d i} (transposed) "
        "is checked as if it made sense",
        SOUNDNESS,
    ),
    Mutant(
        "literal-index-renumbered",
        SETTINGS,
        "return all(_is_index(a) for a in e.indices)",
        "return True",
        "z_1 renumbered like z_i: the settings i = 1 and i = 2 grouped though the line singles "
        "out class 1",
        DERIVE,
    ),
    Mutant(
        "pinned-class-renumbered",
        SETTINGS,
        "if v in pinned.get(dim, ()):",
        "if False:",
        "the class an assumption is solved for (p_n) renumbered with the others",
        DERIVE_SETTINGS,
    ),
    Mutant(
        "empty-where-verified",
        VERIFY,
        "if dv.where and kept == 0:",
        "if False:",
        "a restriction no checked setting satisfies (i > 5 at n = 2…5) reported as ✓ for the "
        "settings it never checked",
        SOUNDNESS,
    ),
    # ---- the proof for every n
    Mutant(
        "for-every-n-from-r-plus-1",
        GENERIC,
        "can_close = [dm for dm in sizes if dm in used and sizes[dm] >= 1]",
        "can_close = [dm for dm in sizes if dm in used and sizes[dm] >= 2]",
        "off by one: with one free index the case n = 1 (no other class) is never checked, so "
        "a step true only when another class exists is called true for every n",
        SOUNDNESS,
    ),
    # ---- the sampled domain
    Mutant(
        "p-only-in-0-1",
        SAMPLING,
        '"nonnegative": (0.0, 2.0),',
        '"nonnegative": (0.01, 0.99),',
        "targets sampled as probabilities only, though a step about general targets must hold "
        "for p > 1 too: sqrt((1 - p_i)^2) = 1 - p_i passes",
        SOUNDNESS,
    ),
    Mutant(
        "g-only-positive",
        NOTATION,
        '"g": "real"',
        '"g": "positive"',
        "upstream gradients taken positive: |g_i| = g_i is exact",
        SOUNDNESS,
    ),
    Mutant(
        "near-points-only",
        SAMPLING,
        "if t % 2 == 1 else",
        "if False else",
        "every entry drawn near 0 only (logits in [-3, 3], targets in [0, 2]): "
        "min(|z_i|, 10) = |z_i| and sqrt((p_i - 3)^2) = 3 - p_i pass, and softmax never "
        "saturates",
        SOUNDNESS,
    ),
)

# Naming each exponential was meant to let cancellation see e^{2z} = (e^z)^2 and e^{-z} = 1/e^z,
# but sympy's expand already writes e^{a+b} as e^a e^b and combines powers of one exponential:
# without the naming no verdict and no proof changes (the catalogue, the share of the site's
# steps proved for every n, tests/test_derive*.py, the CLI and display tests all pass).
EQUIVALENT_UNNAMED_EXPONENTIALS = Mutant(
    "equivalent-exponentials-not-named",
    ZERO,
    "numerator, _ = sp.together(name_exponentials(diff)).as_numer_denom()",
    "numerator, _ = sp.together(diff).as_numer_denom()",
    "not a bug with this sympy: expand already treats e^{a+b} and (e^a)^2 consistently",
    SOUNDNESS,
)
