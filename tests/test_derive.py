"""Tests for gradproof.derive: right chains verify, the forum's wrong lines are caught where they are.

Expected numbers are computed here with numpy from hand-derived closed forms, never copied from
the module's output. The notation and its printing are tested in test_derive_notation.py, the
renumbering classes in test_derive_settings.py, the rendering in test_display.py.
"""

from __future__ import annotations

import numpy as np
import pytest
import sympy as sp
from sympy import Derivative, Eq, KroneckerDelta, Mul, Ne, Sum, exp, log

from gradproof.derive import (
    SUM_P_IS_1,
    Derivation,
    DerivationReport,
    J,
    L,
    Step,
    W,
    d,
    evaluate,
    g,
    i,
    j,
    k,
    latex,
    n,
    p,
    q,
    qv,
    s,
    sum_eq,
    sum_ne,
    total,
    x,
    z,
)


def softmax_np(v):
    e = np.exp(np.asarray(v, dtype=float) - np.max(v))
    return e / e.sum()


def point_of(report):
    """The counterexample as numpy arrays, plus the free-index values (1-based)."""
    cx = report.counterexample
    assert cx is not None
    pt = {b: np.asarray(v, dtype=float) for b, v in cx["point"].items()}
    setting = {str(sym): val for sym, val in cx["setting"].items()}
    return pt, setting


# ------------------------------------------------------------------------------------------
# Right derivations verify
# ------------------------------------------------------------------------------------------


def general_gradient_steps():
    return [
        Step(-total(p[j] * Derivative(log(q(j)), z[i]), j), "linearity"),
        Step(-total(p[j] * (KroneckerDelta(i, j) - q(i)), j), "derivative of log-softmax"),
        Step(total(p[j], j) * q(i) - p[i], "sum the Kronecker delta"),
    ]


def test_general_gradient_verifies_every_step():
    report = Derivation(Derivative(J, z[i]), general_gradient_steps()).verify()
    assert report.ok
    assert report.first_false is None
    # Each step cancels with the sums over the classes i does not pick kept symbolic.
    assert [r.status for r in report.steps] == ["proved for all n"] * 3
    assert [r.proof for r in report.steps] == ["symbolic sums"] * 3
    assert [r.scope for r in report.steps] == ["every n"] * 3
    assert report.free == ("i",)
    assert report.ns == (2, 3, 4, 5)
    report.assert_verified()


def test_sum_p_is_1_needs_the_assumption():
    steps = [*general_gradient_steps(), Step(q(i) - p[i], "targets sum to 1")]
    without = Derivation(Derivative(J, z[i]), steps).verify()
    without.assert_first_false(4)
    pt, setting = point_of(without)
    qv, ii = softmax_np(pt["z"]), setting["i"] - 1
    # previous line (Σp) q_i - p_i, this line q_i - p_i: they differ because Σp != 1 there
    assert not np.isclose(pt["p"].sum(), 1.0)
    assert without.lhs_value == pytest.approx(pt["p"].sum() * qv[ii] - pt["p"][ii], rel=1e-12)
    assert without.rhs_value == pytest.approx(qv[ii] - pt["p"][ii], rel=1e-12)

    with_assumption = Derivation(Derivative(J, z[i]), steps, assume=SUM_P_IS_1).verify()
    with_assumption.assert_verified()


def test_assumption_points_satisfy_it():
    # Under Σp = 1 a wrong step's counterexample must still have Σp = 1.
    report = Derivation(Derivative(J, z[i]), [Step(q(i))], assume=SUM_P_IS_1).verify()
    report.assert_first_false(1)
    pt, _ = point_of(report)
    assert pt["p"].sum() == pytest.approx(1.0, abs=1e-12)


def test_seed000_first_answer_uses_sum_p_is_1():
    chain = [
        Step(-total(p[j] * z[j], j) + total(p[j] * log(total(exp(z[k]), k)), j)),
        Step(-total(p[j] * z[j], j) + log(total(exp(z[k]), k)), "Σp = 1"),
    ]
    Derivation(J, chain, assume=SUM_P_IS_1).verify().assert_verified()
    Derivation(J, chain).verify().assert_first_false(2)


def test_seed001_answer_verifies_with_sum_y_is_1():
    chain = [
        Step(-total(p[k] * Derivative(log(q(k)), z[i]), k)),
        Step(-p[i] * (1 - q(i)) - sum_ne(Mul(p[k], 1 / q(k), -q(k) * q(i), evaluate=False), k, i)),
        Step(-p[i] * (1 - q(i)) + sum_ne(p[k] * q(i), k, i)),
        Step(q(i) * total(p[k], k) - p[i]),
        Step(q(i) - p[i]),
    ]
    Derivation(Derivative(J, z[i]), chain, assume=SUM_P_IS_1).verify().assert_verified()


def test_seed003_boxed_result_and_the_all_rows_direction():
    boxed = Derivation(
        Derivative(q(j), W[i, d]),
        [
            Step(total(Derivative(q(j), z[k]) * Derivative(z[k], W[i, d]), k), "chain rule"),
            Step(q(j) * (KroneckerDelta(i, j) - q(i)) * x[d]),
        ],
        linear_layer=True,
        ns=(2, 3),
    ).verify()
    boxed.assert_verified()
    assert boxed.free == ("d", "i", "j")
    # The asker's quotient rule moves every row w_k together: that derivative really is 0 ...
    quotient = (
        x[d] * exp(z[j]) * total(exp(z[k]), k) - exp(z[j]) * total(x[d] * exp(z[k]), k)
    ) / total(exp(z[k]), k) ** 2
    along_all_rows = Derivation(
        total(Derivative(q(j), W[k, d]), k),
        [Step(quotient, "quotient rule, all rows at once"), Step(0)],
        linear_layer=True,
        ns=(2, 3),
    )
    along_all_rows.verify().assert_verified()
    # ... but the derivative with respect to one row is not.
    one_row = Derivation(Derivative(q(j), W[i, d]), [Step(0)], linear_layer=True, ns=(2, 3))
    report = one_row.verify()
    report.assert_first_false(1)
    pt, setting = point_of(report)
    logits = pt["W"] @ pt["x"]
    qv = softmax_np(logits)
    jj, ii, dd = setting["j"] - 1, setting["i"] - 1, setting["d"] - 1
    truth = qv[jj] * ((ii == jj) - qv[ii]) * pt["x"][dd]
    assert report.lhs_value == pytest.approx(truth, rel=1e-12)
    assert report.rhs_value == 0


def vjp_chain():
    return [
        Step(total(g[j] * Derivative(q(j), z[i]), j), "chain rule"),
        Step(total(g[j] * q(j) * (KroneckerDelta(i, j) - q(i)), j), "softmax Jacobian"),
        Step(s(i) - total(s(j), j) * q(i), "s_j = g_j q_j"),
    ]


def test_seed004_asker_result_verifies_and_slide_is_false():
    Derivation(Derivative(L, z[i]), vjp_chain()).verify().assert_verified()
    slide = Derivation(Derivative(L, z[i]), [Step(s(i) - total(s(j), j))]).verify()
    slide.assert_first_false(1)
    pt, setting = point_of(slide)
    qv, gv, ii = softmax_np(pt["z"]), pt["g"], setting["i"] - 1
    sv = gv * qv
    assert slide.lhs_value == pytest.approx(sv[ii] - sv.sum() * qv[ii], rel=1e-12)
    assert slide.rhs_value == pytest.approx(sv[ii] - sv.sum(), rel=1e-12)


# ------------------------------------------------------------------------------------------
# The forum's wrong lines are caught at the right step
# ------------------------------------------------------------------------------------------


def test_seed000_second_answer_drops_the_sum():
    sum_exp = total(exp(z[k]), k)
    chain = [
        Step(Derivative(-p[i] * log(q(i)), z[i]), "drops the sum over j"),
        Step(Derivative(-p[i] * log(exp(z[i]) / sum_exp), z[i])),
        Step(Derivative(-p[i] * z[i], z[i]) + Derivative(p[i] * log(sum_exp), z[i])),
        Step(-p[i] + p[i] * exp(z[i]) / sum_exp),
        Step(-p[i] + p[i] * q(i)),
    ]
    report = Derivation(Derivative(J, z[i]), chain).verify()
    report.assert_first_false(1)
    assert [r.ok for r in report.steps] == [False, True, True, True, True]
    assert not any(r.equals_lhs for r in report.steps)
    pt, setting = point_of(report)
    qv, pv, ii = softmax_np(pt["z"]), pt["p"], setting["i"] - 1
    assert report.lhs_value == pytest.approx(pv.sum() * qv[ii] - pv[ii], rel=1e-12)
    assert report.rhs_value == pytest.approx(-pv[ii] + pv[ii] * qv[ii], rel=1e-12)


def test_seed001_asker_swaps_the_index():
    chain = [
        Step(-total(p[k] * Derivative(log(q(k)), z[i]), k)),
        Step(-total(p[k] * Mul(1 / q(k), Derivative(q(k), z[i]), evaluate=False), k)),
        Step(-p[i] * (1 - q(i)) - sum_ne(Mul(p[k], 1 / q(k), -q(k) * q(i), evaluate=False), k, i)),
        Step(-p[i] * (1 - q(i)) + sum_ne(q(k) * p[k], k, i), "p_i replaced by p_k"),
        Step(q(i) * p[i] - p[i] + sum_ne(q(k) * p[k], k, i)),
        Step(Sum(q(i) * p[i], (i, 1, n)) - p[i], "bound i reused as the free i"),
    ]
    report = Derivation(Derivative(J, z[i]), chain).verify()
    report.assert_first_false(4)
    later = report.steps[4:]
    assert all(r.ok and not r.equals_lhs for r in later)
    pt, setting = point_of(report)
    qv, pv, ii = softmax_np(pt["z"]), pt["p"], setting["i"] - 1
    others = np.arange(len(qv)) != ii
    assert report.lhs_value == pytest.approx(-pv[ii] * (1 - qv[ii]) + qv[ii] * pv[others].sum())
    assert report.rhs_value == pytest.approx(-pv[ii] * (1 - qv[ii]) + (qv * pv)[others].sum())


def test_seed002_eq5_repeats_the_index():
    sum_exp = total(exp(z[k]), k)
    wrong = sp.Add(0, -Mul(exp(z[i]), exp(z[i]), evaluate=False), evaluate=False) / sum_exp**2
    report = Derivation(Derivative(q(i), z[j]), [Step(wrong)], where=Ne(i, j)).verify()
    report.assert_first_false(1)
    pt, setting = point_of(report)
    qv, ii, jj = softmax_np(pt["z"]), setting["i"] - 1, setting["j"] - 1
    assert ii != jj
    assert report.lhs_value == pytest.approx(-qv[ii] * qv[jj], rel=1e-12)
    assert report.rhs_value == pytest.approx(-(qv[ii] ** 2), rel=1e-12)
    # the display keeps the thread's product as written
    assert "e^{z_{i}} e^{z_{i}}" in latex(wrong)

    right = Derivation(
        Derivative(q(i), z[j]),
        [Step(-exp(z[i]) * exp(z[j]) / sum_exp**2), Step(-q(i) * q(j))],
        where=Ne(i, j),
    )
    right.verify().assert_verified()


def test_where_restricts_free_indices():
    # -q_i q_j is the off-diagonal entry only: without the restriction it fails on the diagonal.
    report = Derivation(Derivative(q(i), z[j]), [Step(-q(i) * q(j))]).verify()
    report.assert_first_false(1)
    _, setting = point_of(report)
    assert setting["i"] == setting["j"]


def test_seed002_eq8_sign_and_the_asserted_answer():
    chain = [
        Step(
            -sum_ne(Mul(p[i], 1 / q(i), -q(i) * q(j), evaluate=False), i, j)
            - sum_eq(Mul(p[i], 1 / q(i), q(i) * (1 - q(i)), evaluate=False), i, j)
        ),
        Step(-sum_ne(p[i] * q(j), i, j) + sum_eq(p[i] * q(i), i, j) - p[j], "sign error"),
        Step(q(j) - p[j], "Σy = 1"),
    ]
    report = Derivation(Derivative(J, z[j]), chain, assume=SUM_P_IS_1).verify()
    report.assert_first_false(2)
    # The last line is the right answer but does not follow from the line before it.
    assert report.steps[2].status == "false"
    assert report.steps[2].equals_lhs
    pt, setting = point_of(report)
    qv, pv, jj = softmax_np(pt["z"]), pt["p"], setting["j"] - 1
    others = np.arange(len(qv)) != jj
    assert report.lhs_value == pytest.approx(qv[jj] * pv[others].sum() - pv[jj] + pv[jj] * qv[jj])
    assert report.rhs_value == pytest.approx(-qv[jj] * pv[others].sum() + pv[jj] * qv[jj] - pv[jj])


def test_unrelated_false_claim_is_caught():
    report = Derivation(Derivative(J, z[i]), [Step(q(i))]).verify()
    report.assert_first_false(1)
    with pytest.raises(AssertionError, match="step 1 is false"):
        report.assert_verified()


def test_assert_first_false_fails_when_the_wrong_line_is_right():
    fixed = Derivation(Derivative(J, z[i]), [Step(total(p[j], j) * q(i) - p[i])]).verify()
    with pytest.raises(AssertionError, match="every step verified"):
        fixed.assert_first_false(1)


def test_assert_first_false_fails_when_an_earlier_step_is_false():
    report = Derivation(Derivative(J, z[i]), [Step(q(i)), Step(q(i) - p[i])]).verify()
    report.assert_first_false(1)
    with pytest.raises(AssertionError, match="expected step 2"):
        report.assert_first_false(2)


def test_numeric_fallback_is_reported():
    # Cancellation cannot see sin^2 + cos^2 = 1; the 50-digit evaluation can.
    report = Derivation(q(i), [Step(q(i) * (sp.sin(z[i]) ** 2 + sp.cos(z[i]) ** 2))]).verify()
    assert report.ok
    assert report.steps[0].status == "numeric"
    wrong = Derivation(q(i), [Step(q(i) * (sp.sin(z[i]) ** 2 + sp.cos(z[i])))]).verify()
    wrong.assert_first_false(1)


def test_proved_for_all_n_when_identical_after_expansion():
    report = Derivation(q(i), [Step(exp(z[i]) / total(exp(z[k]), k))]).verify()
    assert report.steps[0].status == "proved for all n"


# ------------------------------------------------------------------------------------------
# Plain text
# ------------------------------------------------------------------------------------------


def test_plain_text():
    text = str(Derivation(Derivative(J, z[i]), [Step(q(i) - p[i], "claim")]))
    assert "d(J)/d(z[i])" in text
    assert "= q[i] - p[i]   ✗   claim" in text


# ------------------------------------------------------------------------------------------
# evaluate and bad input
# ------------------------------------------------------------------------------------------


def test_evaluate_matches_numpy_at_the_running_example():
    zv, pv = np.array([1.0, 2.0, 3.0]), np.array([0.2, 0.3, 0.5])
    qv = softmax_np(zv)
    got = evaluate(q(i) - p[i], 3, {z: zv, p: pv})
    np.testing.assert_allclose(got, qv - pv, rtol=1e-14)
    assert evaluate(q(i) - p[i], 3, {z: zv, p: pv}, free={i: 2}) == pytest.approx(qv[1] - pv[1])
    jac = evaluate(Derivative(q(i), z[j]), 3, {z: zv})
    np.testing.assert_allclose(jac, np.diag(qv) - np.outer(qv, qv), rtol=1e-13, atol=1e-15)
    loss = evaluate(J, 3, {z: zv, p: pv})
    assert loss == pytest.approx(-(pv * np.log(qv)).sum(), rel=1e-14)


def test_derivation_evaluate_uses_its_lines():
    dv = Derivation(Derivative(J, z[i]), [Step(-p[i] + p[i] * q(i))])
    zv, pv = np.array([1.0, 2.0, 3.0]), np.array([0.2, 0.3, 0.5])
    qv = softmax_np(zv)
    np.testing.assert_allclose(dv.evaluate(0, 3, {z: zv, p: pv}), qv - pv, rtol=1e-13)
    np.testing.assert_allclose(dv.evaluate(1, 3, {z: zv, p: pv}), pv * qv - pv, rtol=1e-13)
    with pytest.raises(ValueError, match="step must be between"):
        dv.evaluate(2, 3, {z: zv, p: pv})


def test_evaluate_linear_layer():
    rng = np.random.default_rng(1)
    wv, xv = rng.normal(size=(3, 2)), rng.normal(size=2)
    qv = softmax_np(wv @ xv)
    got = evaluate(
        Derivative(q(j), W[i, d]), 3, {W: wv, x: xv}, order=(j, i, d), linear_layer=True, D=2
    )
    want = (np.diag(qv) - np.outer(qv, qv))[:, :, None] * xv[None, None, :]
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-15)


def test_bad_input():
    with pytest.raises(TypeError, match="Step expr"):
        Step("q_i - p_i")
    with pytest.raises(ValueError, match="steps must be"):
        Derivation(J, [])
    with pytest.raises(TypeError, match="assume must be"):
        Derivation(J, [Step(J)], assume="sum p = 1")
    with pytest.raises(TypeError, match="where must be"):
        Derivation(J, [Step(J)], where="i != j")
    with pytest.raises(ValueError, match="ns must be"):
        Derivation(J, [Step(J)], ns=(0, 2))
    with pytest.raises(ValueError, match="no entry for"):
        evaluate(q(i) - p[i], 3, {z: (1, 2, 3)})
    with pytest.raises(ValueError, match="finite"):
        evaluate(q(i), 3, {z: (1, np.nan, 3)})
    with pytest.raises(TypeError, match="idx must be"):
        sum_ne(p[k], 2, i)
    with pytest.raises(TypeError, match="only D="):
        evaluate(q(i), 3, {z: (1, 2, 3)}, K=2)


def test_step_true_for_one_class_only_is_still_caught():
    # Settings share exact checks after renumbering the classes; a line that names class 1
    # explicitly is true at i = 1 only and must still be false at i = 2 (and at larger n).
    report = Derivation(p[i] * z[1], [Step(p[i] * z[i], "claimed for every i")]).verify()
    report.assert_first_false(1)
    _, setting = point_of(report)
    assert setting["i"] != 1
    linear = Derivation(
        Derivative(q(j), W[i, d]), [Step(Derivative(q(j), W[i, 1]))], linear_layer=True, ns=(2,)
    ).verify()
    linear.assert_first_false(1)
    _, setting = point_of(linear)
    assert setting["d"] != 1


def test_report_carries_and_states_the_restrictions():
    dv = Derivation(Derivative(q(i), z[j]), [Step(-q(i) * q(j))], where=Ne(i, j))
    report = dv.verify()
    assert isinstance(report, DerivationReport)
    assert report.where == (Ne(i, j),)
    assert "at every i, j with i ≠ j" in report.summary
    assert r"at every i, j with $i \neq j$" in report.checked(markdown=True)
    assumed = Derivation(Derivative(J, z[i]), [Step(q(i) - p[i])], assume=SUM_P_IS_1).verify()
    assert assumed.assume == (SUM_P_IS_1,)
    assert "assuming Sum(p[k], (k, 1, n)) = 1" in assumed.summary


def test_numeric_summary_says_how_many_points_digits_and_domain():
    report = Derivation(q(i), [Step(q(i) * (sp.sin(z[i]) ** 2 + sp.cos(z[i]) ** 2))]).verify()
    step = report.steps[0]
    # 14 settings of (n, i), one renumbering class per n: 4 checks of 3 points each
    assert (step.status, step.settings, step.points) == ("numeric", 14, 4 * 3)
    assert step.digits >= 30
    assert step.scope == "n = 2…5, numeric"
    assert "z real in [-3, 3] and [-30, 30]" in step.scope_text
    assert (
        f"numerically: at least {int(step.digits)} digits agreed at 12 points "
        "(z real in [-3, 3] and [-30, 30]), evidence rather than proof"
    ) in report.summary
    chain = [Step(exp(z[i]) / total(exp(z[k]), k)), Step(exp(z[i]) / total(exp(z[j]), j))]
    proved = Derivation(q(i), chain).verify()
    assert proved.statuses == ("proved for all n", "proved for all n")
    assert [r.proof for r in proved.steps] == ["expansion", "symbolic sums"]
    assert proved.summary.startswith(
        "every step holds for every n (by expansion and with the sums over the other classes "
        "kept symbolic)"
    )


def test_derivative_in_a_free_positive_base():
    # Seed 002, eq. (7): dJ/dq_i with q free is -p_i / q_i, not the sum of all p_k / q_k.
    loss = -total(p[j] * log(qv[j]), j)
    right = Derivation(Derivative(loss, qv[i]), [Step(-p[i] / qv[i])]).verify()
    right.assert_verified()
    wrong = Derivation(Derivative(loss, qv[i]), [Step(-total(p[k] / qv[k], k))]).verify()
    wrong.assert_first_false(1)
    pt, setting = point_of(wrong)
    ii = setting["i"] - 1
    assert np.all(pt["q"] > 0)
    assert wrong.lhs_value == pytest.approx(-pt["p"][ii] / pt["q"][ii], rel=1e-12)
    assert wrong.rhs_value == pytest.approx(-(pt["p"] / pt["q"]).sum(), rel=1e-12)
    # Printed apart from the softmax q_i, which depends on z: the reader reads each back as itself.
    assert latex(qv[i]) == r"\tilde{q}_{i}"
    assert latex(q(i)) == "q_{i}"


def test_replace_keeps_every_option_but_the_changed_ones():
    base = Derivation(
        Derivative(J, z[i]),
        [Step(q(i) - p[i], "targets sum to 1")],
        title="t",
        ns=(2, 3),
        n_points=2,
        seed=7,
        assume=Eq(Sum(p[k], (k, 1, n)), 1),
    )
    copy = base.replace(ns=(4,))
    assert copy.ns == (4,)
    assert (copy.title, copy.n_points, copy.seed, copy.assume) == ("t", 2, 7, base.assume)
    assert copy.verify().ok  # the assumption came along: without it this step is false
    with pytest.raises(TypeError, match="unknown options"):
        base.replace(nss=(4,))


# ------------------------------------------------------------------------------------------
# No NumPy on the verification path (the verifier also runs under Pyodide, which has none)
# ------------------------------------------------------------------------------------------

_WITHOUT_NUMPY = r"""
import sys
sys.modules["numpy"] = None  # `import numpy` now raises ImportError, as under Pyodide
from sympy import Derivative, sin, cos
from gradproof.derive import Derivation, Step, SUM_P_IS_1, J, L, g, i, j, k, latex, p, q, s, total, z
ok = Derivation(Derivative(J, z[i]), [Step(total(p[k], k) * q(i) - p[i]), Step(q(i) - p[i])],
                assume=SUM_P_IS_1).verify()
assert ok.ok and ok.steps[0].scope == "every n", ok.summary
vjp = Derivation(Derivative(L, z[i]), [Step(s(i) - total(s(j), j) * q(i))]).verify()
assert vjp.ok, vjp.summary
numeric = Derivation(q(i), [Step(q(i) * (sin(z[i]) ** 2 + cos(z[i]) ** 2))], ns=(2,)).verify()
assert numeric.statuses == ("numeric",), numeric.summary
wrong = Derivation(Derivative(J, z[i]), [Step(q(i) - 2 * p[i])], assume=SUM_P_IS_1).verify()
wrong.assert_first_false(1)
assert latex(Derivative(L, z[i])) == r"\frac{\partial L}{\partial z_{i}}"
assert sys.modules["numpy"] is None  # nothing imported it behind our back
print(wrong.summary)
"""


@pytest.mark.slow
def test_verification_runs_without_numpy():
    import subprocess  # noqa: PLC0415
    import sys  # noqa: PLC0415

    out = subprocess.run(
        [sys.executable, "-c", _WITHOUT_NUMPY], capture_output=True, text=True, check=False
    )
    assert out.returncode == 0, out.stderr
    assert "step 1 is false" in out.stdout


def test_a_restricted_sum_is_a_number_that_commutes():
    # Restriction's boolean argument had made it, and every sum_ne/sum_eq holding it,
    # non-commutative: D S and S D were two products, and D S - S D did not vanish.
    ne, eq = sum_ne(z[k], k, j), sum_eq(z[k], k, j)
    for restricted in (ne, eq):
        rate = Derivative(restricted, z[j])
        assert restricted.is_commutative
        assert rate * restricted - restricted * rate == 0
