r"""Symbolic step verification: every equals sign in a derivation is checked.

A :class:`Derivation` is a chain of claimed equalities ``lhs = step_1 = step_2 = ...``, each
written once as a generic sympy expression in the site's notation (:mod:`gradproof.derive.notation`:
symbolic dimension ``n``, index symbols ``i, j, k``, ``Sum``, unevaluated ``Derivative``,
``KroneckerDelta``). :meth:`Derivation.verify` checks each step against the previous one for
every concrete dimension in ``ns`` and every assignment of the free indices: first exactly
(rational-function cancellation after replacing each :math:`e^{z_k}` by a positive symbol), else
by 50-digit evaluation at seeded random points. The LaTeX a page shows (:func:`latex`,
:meth:`Derivation.to_latex`) is printed from the same expressions, so the displayed equation is
the checked one.

How a step is checked
---------------------
For each ``n`` in ``ns`` (and ``D`` in ``Ds`` when the weights appear) and each value of the free
indices (index symbols not bound by a ``Sum``, found automatically; ``where=Ne(i, j)`` skips some),
sums are expanded, names such as ``q(i)`` replaced by their definitions and derivatives taken.
Each line is compared with the line before it: ``"exact"`` if the difference cancels to 0 as a
rational function once every :math:`e^{u}` is a positive symbol and logs are expanded (sound; no
unbounded ``simplify``), else ``"numeric"`` if it is below ``RTOL`` = 1e-30 relative at
``n_points`` seeded points with 50 digits (z ~ U(-3, 3), p ~ U(0, 1), others ~ N(0, 1), rounded to
two decimals so counterexamples read well), else ``"false"`` with that point as the counterexample.
A step whose difference expands to 0 before any dimension is fixed is ``"proved for all n"``.

Every setting is covered, but work is shared. Settings that differ only by a renumbering of the
classes (for free ``i, j``: ``i = j`` and ``i != j``, whatever n) are one check, made at the
class's first setting in sweep order, since a permutation of 1..n maps the lines of one onto the
other and so identities and counterexamples onto each other; this needs lines that name classes
only through index symbols (no ``z[1]``, no sum to ``n - 1``; otherwise, or when ``where`` tells
a class apart, every setting is checked on its own), and a number an assumption singles out
(``p_n``, solved for) is kept apart. A subexpression is made concrete once per dimension and
reused across lines and classes, and a difference that is a renaming of one already shown to
cancel counts as cancelled. With a linear layer
the cancellation is first tried with the logits ``z_k`` as symbols, then with ``w_k . x``
substituted (an identity in free ``z`` holds for every ``W x``).

``assume=Eq(Sum(p[k], (k, 1, n)), 1)`` is solved in each setting for its last entry (``p_n``),
which is substituted everywhere, so every point satisfies it. ``linear_layer=True`` reads the
logits as ``z_k = sum_d W[k, d] x[d]``. To display a thread's line exactly as written (``0 - e^{z_i}
e^{z_i}``), build it with ``evaluate=False``; checking evaluates it anyway.

The package
-----------
``notation``
    The symbols and named quantities derivations are written in (public; its names are also
    importable from here).
``_derivation``, ``_verify``
    :class:`Step` and :class:`Derivation`; the check of a chain, which wires the modules below.
``_settings``, ``_concrete``
    The settings to check (up to renumbering); a line made concrete for one of them.
``_zero``, ``_numeric``
    The exact zero test; the 50-digit comparison at seeded points.
``_report``, ``_printing``, ``_evaluate``
    :class:`DerivationReport`; :func:`latex` and plain text; :func:`evaluate`.

Examples
--------
>>> from sympy import Derivative, Eq, Sum
>>> from gradproof.derive import Derivation, Step, J, i, j, k, n, p, q, z
>>> d = Derivation(
...     Derivative(J, z[i]),
...     [Step(Sum(p[k], (k, 1, n)) * q(i) - p[i], "chain rule"),
...      Step(q(i) - p[i], "targets sum to 1")],
...     assume=Eq(Sum(p[k], (k, 1, n)), 1))
>>> d.verify().ok
True
>>> print(d)  # doctest: +NORMALIZE_WHITESPACE
d(J)/d(z[i])
  = q[i]*Sum(p[k], (k, 1, n)) - p[i]   ✓ n = 2…5   chain rule
  = q[i] - p[i]   ✓ n = 2…5   targets sum to 1
Checked exactly for n = 2, 3, 4, 5 at every i; assuming Sum(p[k], (k, 1, n)) = 1.
>>> wrong = Derivation(Derivative(J, z[i]), [Step(-p[i] + p[i] * q(i), "drops the sum")])
>>> wrong.verify().assert_first_false(1)
>>> wrong.verify().first_false, wrong.verify().counterexample["setting"]
(1, {n: 2, i: 1})
"""

# The notation (declared in gradproof.derive.notation) and the numeric tolerances are imported
# here too, so that `from gradproof.derive import J, q, z` and `derive.DPS` keep working.
from gradproof.derive._derivation import Derivation, Step
from gradproof.derive._evaluate import evaluate
from gradproof.derive._numeric import DPS, RTOL  # noqa: F401
from gradproof.derive._printing import latex
from gradproof.derive._report import DerivationReport, StepResult
from gradproof.derive.notation import (  # noqa: F401
    SUM_P_IS_1,
    D,
    J,
    L,
    W,
    cross_entropy_expr,
    d,
    delta,
    g,
    i,
    j,
    k,
    m,
    n,
    p,
    point,
    q,
    qv,
    s,
    softmax_expr,
    sum_eq,
    sum_exp,
    sum_ne,
    total,
    x,
    z,
)

__all__ = ["Derivation", "DerivationReport", "Step", "StepResult", "evaluate", "latex"]
