r"""Symbolic step verification: every equals sign in a derivation is checked.

A :class:`Derivation` is a chain of claimed equalities ``lhs = step_1 = step_2 = ...``, each
written once as a generic sympy expression in the site's notation (:mod:`gradproof.derive.notation`:
symbolic dimension ``n``, index symbols ``i, j, k``, ``Sum``, unevaluated ``Derivative``,
``KroneckerDelta``). :meth:`Derivation.verify` checks each step against the previous one: for
every ``n`` where it can prove it, otherwise for every concrete dimension in ``ns`` and every
assignment of the free indices, exactly (rational-function cancellation) or, failing that, by a
rigorous comparison at seeded points of each entry's domain. The LaTeX a page shows (:func:`latex`,
:meth:`Derivation.to_latex`) is printed from the same expressions, so the displayed equation is
the checked one.

How a step is checked
---------------------
Each line is compared with the line before it, and each step gets a *scope*
(:attr:`StepResult.scope`, the label a page shows by its mark):

``every n`` (status ``"proved for all n"``)
    Either the two lines are one expression once names such as ``q(i)`` are written out, with
    ``n`` symbolic (``proof="expansion"``); or, for every class of free-index values (for free
    ``i, j``: ``i = j`` and ``i != j``), their difference cancels exactly with each sum over
    the classes no free index picks kept as a symbol, and also at the smallest ``n`` where the
    class exists (``proof="symbolic sums"``; the lemma and its proof are in
    :mod:`gradproof.derive._generic`). Either way the step holds for every ``n`` (and ``D``).
``n = 2…5`` (``"exact"``)
    Otherwise, for each ``n`` in ``ns`` (and ``D`` in ``Ds`` when the weights appear) and each
    value of the free indices (``where=Ne(i, j)`` skips some), sums are expanded, names
    replaced by their definitions and derivatives taken, and the difference cancels as a
    rational function once every :math:`e^{u}` is a positive symbol and logarithms are
    expanded where the signs allow it (no unbounded ``simplify``). An identity for those sizes
    only.
``n = 2…5, numeric`` (``"numeric"``)
    Where cancellation does not settle it, both lines are compared at ``n_points`` seeded
    points of each entry's domain (z, g, x, W real, p nonnegative, qv positive; logits of large
    magnitude at every second point): exactly when both are rational, else with interval
    arithmetic, and they must agree to at least 30 digits relative to their largest term.
    The report says how many digits agreed at how many points of which domain: evidence, not
    a proof.
``"false"``
    A disagreement at some point (certified by exact or interval arithmetic where it can be),
    which is the counterexample: the setting, the point, and both values to as many digits as
    show the difference.

Every entry is checked on its domain: a rewrite such as :math:`\log(z^2) = 2 \log z` is made
only for a positive :math:`z`. ``L`` is any loss of ``q``: its value and derivatives at the
point are free numbers (``g`` its gradient), so a line about ``L`` holds only if it holds for
every loss. A float literal stands for the decimal it prints as (``0.1`` is :math:`1/10`).
Every index must range over the axis it indexes (``W[d, i]`` with ``d`` an input index is an
error, even when ``n = D``). A ``where`` that excludes every checked setting, an assumption
that no point of the domain satisfies, and sizes too large to check are errors, never "verified".

Settings of the sweep that differ only by a renumbering of the classes (for free ``i, j``:
``i = j`` and ``i != j``, whatever n) are one check, made at the class's first setting in
sweep order, since a permutation of 1..n maps the lines of one onto the other and so
identities and counterexamples onto each other; this needs lines that name classes only
through index symbols (no ``z[1]``, no sum to ``n - 1``; otherwise, or when ``where`` tells a
class apart, every setting is checked on its own), and a number an assumption singles out
(``p_n``, solved for) is kept apart. A subexpression is made concrete once per size and reused
across lines, classes and derivations, and a difference that is a renaming of one already
shown to cancel counts as cancelled. With a linear layer the cancellation is first tried with
the logits ``z_k`` as symbols, then with ``w_k . x`` substituted (an identity in free ``z``
holds for every ``W x``).

``assume=Eq(Sum(p[k], (k, 1, n)), 1)`` is solved in each setting for its last entry (``p_n``),
which is substituted everywhere; points are drawn so that ``p_n`` stays nonnegative too (the
targets lie on the simplex). For the proof for every ``n`` it is solved for the symbolic sum
of the other classes' targets instead. ``linear_layer=True`` reads the logits as
``z_k = sum_d W[k, d] x[d]``. To display a thread's line exactly as written
(``0 - e^{z_i} e^{z_i}``), build it with ``evaluate=False``; checking evaluates it anyway. No
part of checking imports NumPy (only :func:`evaluate`, which returns arrays, does).

The package
-----------
``notation``
    The symbols and named quantities derivations are written in (public; its names are also
    importable from here).
``_derivation``, ``_verify``
    :class:`Step` and :class:`Derivation`; the check of a chain, which wires the modules below.
``_indices``
    Index types: each index against the axis it indexes; ``where`` and size checks.
``_generic``
    The proof for every ``n``: sums over the classes no free index picks, kept symbolic.
``_settings``, ``_concrete``
    The settings to check (up to renumbering); a line made concrete for one of them.
``_zero``, ``_sampling``, ``_numeric``
    The exact zero test; seeded points on each entry's domain; the rigorous comparison there.
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
  = q[i]*Sum(p[k], (k, 1, n)) - p[i]   ✓ every n   chain rule
  = q[i] - p[i]   ✓ every n   targets sum to 1
Every step holds for every n (with the sums over the other classes kept symbolic); at every i;
assuming Sum(p[k], (k, 1, n)) = 1.
>>> [s.proof for s in d.verify().steps]
['symbolic sums', 'symbolic sums']
>>> wrong = Derivation(Derivative(J, z[i]), [Step(-p[i] + p[i] * q(i), "drops the sum")])
>>> wrong.verify().assert_first_false(1)
>>> wrong.verify().first_false, wrong.verify().counterexample["setting"]
(1, {n: 2, i: 1})
"""

# The notation (declared in gradproof.derive.notation) and the numeric tolerances are imported
# here too, so that `from gradproof.derive import J, q, z` and `derive.DPS` keep working; and
# the words for how a step was proved, which gradproof.latex's scopes share.
from gradproof.derive._derivation import Derivation, Step
from gradproof.derive._evaluate import evaluate
from gradproof.derive._numeric import DPS, MIN_DIGITS, RTOL  # noqa: F401
from gradproof.derive._printing import latex
from gradproof.derive._report import PROVED_HOW, DerivationReport, StepResult  # noqa: F401
from gradproof.derive.notation import (  # noqa: F401
    DOMAINS,
    SUM_P_IS_1,
    D,
    J,
    L,
    Restriction,
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
