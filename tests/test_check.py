"""gradproof.check: right gradients pass, the forum's wrong ones are caught, with honest hints.

Expected derivatives come from sympy or from closed forms written here, never from the checker.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest
import sympy as sp
from hypothesis import assume, example, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from gradproof.check import (
    GradCheckResult,
    GradientCheckError,
    check_directional,
    check_gradient,
    check_jacobian,
    check_vjp,
    numerical_gradient,
    step_sweep,
)
from gradproof.functions import cross_entropy, softmax
from gradproof.gradients import softmax_jacobian, softmax_vjp, softmax_weight_jacobian

METHODS = ("complex", "central", "richardson")
EPS = np.finfo(np.float64).eps
Z_EX = np.array([1.0, 2.0, 3.0])
P_EX = np.array([0.2, 0.3, 0.5])


def _q(z):
    """Softmax written out here, shifted by hand, so the tests do not lean on the library."""
    e = np.exp(z - np.max(z))
    return e / e.sum()


def _loss(p):
    return lambda z: cross_entropy(z, p)


def _right(p):
    """(sum p) q - p, written as (sum_{j != i} p_j) q_i - p_i sum_{j != i} q_j with each sum
    over j != i added up directly: the same gradient, without the cancellation of 1 - q_i when
    q_i is near 1 (which costs the plain formula its digits at saturated logits, as the
    checker then rightly reports), and without sum(p) - p_i, which cancels the same way."""

    def others(v):
        # sum_{j != i} v_j as the sum before i plus the sum after i: non-negative terms only
        before = np.concatenate(([0.0], np.cumsum(v)[:-1]))
        after = np.concatenate((np.cumsum(v[::-1])[::-1][1:], [0.0]))
        return before + after

    def grad(z):
        q = _q(z)
        return others(p) * q - p * others(q)

    return grad


def _moves(f, z):
    """Whether f's float values differ anywhere within 0.01 of z (along two seeded directions)."""
    rng = np.random.default_rng(7)
    steps = [0.01 * rng.standard_normal(z.shape) for _ in range(2)]
    return any(f(z + s) != f(z) or f(z - s) != f(z) for s in steps)


def _resolution(p, z):
    """The smallest gradient every method is required to resolve: 1e-8 sqrt(n) times the size
    of the loss's terms, sum(p) (1 + max|z|) (rounding inside cross-entropy is relative to its
    logits and its normaliser; finite differences, which verify even the complex step, cannot
    see changes below it), and never below 1e-300, where floats approach underflow. A
    documented contract, computed here, not by the checker."""
    return max(1e-8 * np.sqrt(z.size) * p.sum() * (1.0 + np.max(np.abs(z))), 1e-300)


def _right_gradient_is_not_rejected(result, p, z):
    """A right gradient passes; "cannot tell" only where the gradient is below the resolution.

    Below it nothing is required: there the float loss itself has lost the gradient (at
    z = (0, -85), log q_1 rounds to log 1 = 0, so every method differentiates a loss whose
    first entry's slope p_0 q_1 is gone), and a checker comparing with that loss's own
    derivative may report the accurate analytic side as failed, which no numerical method
    can avoid."""
    exact = _right(p)(z)
    if np.max(np.abs(exact)) <= _resolution(p, z):
        return
    assert result.verdict != "failed", result.report()
    if result.verdict == "cannot tell":
        # Only entries below the resolution may be the ones not compared: every entry above it
        # was resolved to 1 % of itself.
        above = np.abs(exact) > _resolution(p, z)
        assert np.all(result.tolerance[above] < 0.01 * np.abs(exact[above])), result.report()


@st.composite
def problems(draw, max_logit=1000.0, min_n=1):
    n = draw(st.integers(min_n, 50))
    finite = {"allow_nan": False, "allow_infinity": False}
    z = draw(arrays(np.float64, n, elements=st.floats(-max_logit, max_logit, **finite)))
    # Targets 0 or at least 1e-100: below about 1e-270 the complex step's imaginary part
    # underflows, which tests/test_soundness.py covers on its own.
    target = st.one_of(st.just(0.0), st.floats(1e-100, 1.0, **finite))
    p = draw(arrays(np.float64, n, elements=target))
    return z, p


FAST = settings(max_examples=25, deadline=None)


# ----------------------------------------------------------------------------- exactness


def test_running_example_against_sympy():
    z = sp.symbols("z1:4", real=True)
    exps = [sp.exp(v) for v in z]
    loss = -sum(pk * sp.log(e / sum(exps)) for pk, e in zip((0.2, 0.3, 0.5), exps, strict=True))
    point = dict(zip(z, (1, 2, 3), strict=True))
    exact = np.array([float(sp.N(sp.diff(loss, v).subs(point), 30)) for v in z])
    bounds = {"complex": 1e-15, "richardson": 1e-11, "central": 1e-9, "forward": 1e-6}
    for method, bound in bounds.items():
        got = numerical_gradient(_loss(P_EX), Z_EX, method=method)
        assert np.linalg.norm(got - exact) / np.linalg.norm(exact) < bound, method


# Found by hypothesis: a gradient of 1e-37 that the float loss has lost (see above).
SATURATED = (np.array([0.0, -85.0]), np.array([1.0, 1.02915949e-51]))
# Found by hypothesis: log q_1 = 37 - lse rounds at the spacing of 37, so f's values do not show
# the gradient of ~1e-16 that the complex step sees; method="complex" called f unsafe (ValueError).
QUANTISED = (np.array([0.0, 37.0, 0.0]), np.array([1.17549435e-38, 1.0, 0.0]))


@FAST
@given(problems())
@example(SATURATED)
def test_complex_step_passes_right_gradient_with_default_tolerance(problem):
    z, p = problem
    result = check_gradient(_loss(p), _right(p), z, method="complex", raise_on_fail=False)
    _right_gradient_is_not_rejected(result, p, z)
    assert result.method == "complex"


@FAST
@given(problems(max_logit=10.0), st.sampled_from(METHODS))
def test_every_method_passes_right_gradient_at_unit_scale(problem, method):
    z, p = problem
    result = check_gradient(_loss(p), _right(p), z, method=method, raise_on_fail=False)
    _right_gradient_is_not_rejected(result, p, z)


@FAST
@given(problems(), st.sampled_from(METHODS))
@example(SATURATED, "complex")
@example(QUANTISED, "complex")
# Entry 2 (-4.9e-12) moves f (about 25) by less than its rounding at every step allowed: it is
# not compared, and only it; the others pass.
@example((np.array([993.0, 0.0, 968.0]), np.array([0.0, 1.0, 0.0])), "richardson")
def test_every_method_passes_right_gradient_at_large_logits(problem, method):
    # No atol given: each method's own error bound scales with the logits.
    z, p = problem
    result = check_gradient(_loss(p), _right(p), z, method=method, raise_on_fail=False)
    _right_gradient_is_not_rejected(result, p, z)


# ----------------------------------------------------------------------------- wrong formulas

WRONG = {
    # seed 000: -p + p*q, the sum over i dropped
    "000": lambda p: lambda z: -p + p * _q(z),
    # seed 001: (sum_i p_i q_i) - p_i, the index of q summed away
    "001": lambda p: lambda z: np.sum(p * _q(z)) - p,
    "sign": lambda p: lambda z: p - p.sum() * _q(z),
    # q - p is right only when sum(p) == 1
    "missing_sum_p": lambda p: lambda z: _q(z) - p,
}


@FAST
@given(problems(), st.sampled_from(METHODS), st.sampled_from(sorted(WRONG)))
def test_every_method_catches_wrong_gradients(problem, method, name):
    z, p = problem
    wrong = WRONG[name](p)
    # Keep points where the wrong formula is actually wrong, by a margin above every tolerance,
    # and where the loss's float values change at all near z (n = 1, all targets 0, or a loss
    # log(1 + e^-41) that rounds to 0: then they are identical at every step, no number can
    # refute any gradient, and the check cannot tell).
    assume(np.max(np.abs(wrong(z) - _right(p)(z))) > 1e-3)
    assume(_moves(_loss(p), z))
    with pytest.raises(GradientCheckError) as info:
        check_gradient(_loss(p), wrong, z, method=method)
    assert info.value.result.verdict == "failed"
    assert info.value.result.n_failing >= 1


@FAST
@given(problems(max_logit=30.0, min_n=2))
def test_vjp_right_passes_and_broadcast_sum_is_caught(problem):
    z, g = problem
    g = g - 0.5  # an upstream gradient of both signs
    # A zero cotangent is refused with a ValueError (test_soundness holds that case).
    assume(np.any(g))

    def right(z, g):
        s = _q(z) * g
        return s - s.sum() * _q(z)

    def broadcast(z, g):  # seed 004: the scalar sum(s) subtracted from every component
        s = _q(z) * g
        return s - s.sum()

    exact = right(z, g)
    for vjp in (right, softmax_vjp):
        result = check_vjp(softmax, vjp, z, g, raise_on_fail=False)
        assert result.verdict != "failed", result.report()
        # Cannot tell only where g^T J is below the resolution: g constant (the left null space
        # of the softmax Jacobian) or a saturated softmax.
        tiny = np.max(np.abs(exact)) <= _resolution(np.abs(g), z)
        assert result.ok or tiny, result.report()
    assume(np.max(np.abs(right(z, g) - broadcast(z, g))) > 1e-3)
    result = check_vjp(softmax, broadcast, z, g, raise_on_fail=False)
    assert not result.ok


def test_vjp_default_cotangent_is_seeded_and_catches_broadcast():
    def broadcast(z, g):
        s = _q(z) * g
        return s - s.sum()

    first = check_vjp(softmax, broadcast, Z_EX, raise_on_fail=False)
    again = check_vjp(softmax, broadcast, Z_EX, raise_on_fail=False)
    assert not first.ok
    np.testing.assert_array_equal(first.analytic, again.analytic)
    # s - sum(s) differs from s - sum(s) q by sum(s) (1 - q): no constant, factor or swap, so
    # no hint (tests/test_soundness.py holds the table of hints and their causes).
    assert first.hints == ()


def test_jacobian_right_passes_and_elementwise_form_is_caught():
    def right(z):
        q = _q(z)
        return np.diag(q) - np.outer(q, q)

    def elementwise(z):  # diag(q) - q**2: the off-diagonal -q_i q_j terms are lost
        q = _q(z)
        return np.diag(q - q**2)

    for method in METHODS:
        assert check_jacobian(softmax, right, Z_EX, method=method).ok
        assert check_jacobian(softmax, softmax_jacobian, Z_EX, method=method).ok
        result = check_jacobian(softmax, elementwise, Z_EX, method=method, raise_on_fail=False)
        assert result.n_failing == 6  # exactly the off-diagonal entries
        row, col = result.worst_index
        assert row != col


def test_weight_jacobian_shape_rule_and_transposed_is_caught():
    rng = np.random.default_rng(3)
    weights, x = rng.normal(size=(3, 3)), rng.normal(size=3)  # K = D, so a swap keeps the shape

    def f(w):
        return softmax(w @ x)

    def by_hand(w):  # [j, i, d] = q_j (delta_ij - q_i) x_d
        q = _q(w @ x)
        return (np.diag(q) - np.outer(q, q))[:, :, None] * x

    result = check_jacobian(f, by_hand, weights)
    assert result.ok
    assert result.analytic.shape == f(weights).shape + weights.shape == (3, 3, 3)
    assert check_jacobian(f, lambda w: softmax_weight_jacobian(w, x), weights).ok
    # Swapping j and i is harmless: dq_j/dz_i is symmetric. Swapping i and d (reading W as
    # (D, K)) is an error, and is named.
    assert check_jacobian(f, lambda w: np.swapaxes(softmax_weight_jacobian(w, x), 0, 1), weights).ok
    swapped = check_jacobian(
        f, lambda w: np.swapaxes(softmax_weight_jacobian(w, x), 1, 2), weights, raise_on_fail=False
    )
    assert not swapped.ok
    assert any("(0, 2, 1)" in h and "index swap" in h for h in swapped.hints)


def test_weight_jacobian_of_wrong_shape_names_both_shapes():
    weights, x = np.ones((2, 3)), np.arange(3.0)
    with pytest.raises(ValueError, match=r"jac returned shape \(2, 3, 2\), expected \(2, 2, 3\)"):
        check_jacobian(
            lambda w: softmax(w @ x),
            lambda w: np.moveaxis(softmax_weight_jacobian(w, x), 1, 2),
            weights,
        )


def test_transposed_matrix_jacobian_gets_index_swap_hint():
    rng = np.random.default_rng(4)
    a = rng.normal(size=(3, 3))

    def f(x):
        return softmax(a @ x)

    def right(x):
        q = _q(a @ x)
        return (np.diag(q) - np.outer(q, q)) @ a

    assert check_jacobian(f, right, np.ones(3)).ok
    result = check_jacobian(f, lambda x: right(x).T, np.ones(3), raise_on_fail=False)
    assert not result.ok
    assert any("transposed" in h and "index swap" in h for h in result.hints)


def test_weight_jacobian_with_axes_swapped_gets_permutation_hint():
    rng = np.random.default_rng(5)
    x = rng.normal(size=2)
    weights = rng.normal(size=(3, 2))

    def by_hand(w):
        q = _q(w @ x)
        return (np.diag(q) - np.outer(q, q))[:, :, None] * x

    # softmax's Jacobian is symmetric, so swapping j and i of this one alone is harmless; with a
    # per-output scale it is not, and the swap must be recognised.
    scale = np.array([1.0, 2.0, 3.0])[:, None, None]
    result = check_jacobian(
        lambda w: scale[:, 0, 0] * softmax(w @ x),
        lambda w: np.swapaxes(scale * by_hand(w), 0, 1),
        weights,
        raise_on_fail=False,
    )
    assert not result.ok
    assert any("(1, 0, 2)" in h for h in result.hints)


# ----------------------------------------------------------------------------- hints


def _fail(grad, p=P_EX, z=Z_EX):
    return check_gradient(_loss(p), grad, z, raise_on_fail=False)


def test_sign_flip_hint():
    result = _fail(lambda z: P_EX - _q(z))
    assert any("sign flip" in h for h in result.hints)


def test_constant_factor_hint_names_the_factor():
    p = 2.5 * P_EX  # sum(p) = 2.5; forgetting to multiply by it is a constant factor 1/2.5
    result = _fail(lambda z: _q(z) - p / p.sum(), p=p)
    assert any("0.4 x numeric" in h and "constant factor" in h for h in result.hints)


def test_missing_sum_p_with_unnormalised_targets_gets_no_hint():
    # (q - p) - (sum(p) q - p) = (1 - sum(p)) q: proportional to q, neither to the gradient
    # nor to (1, ..., 1), so no relation the hints know explains the difference.
    p = np.array([0.5, 0.1, 0.9])
    result = _fail(lambda z: _q(z) - p, p=p)
    assert result.verdict == "failed"
    assert result.hints == ()


def test_identically_zero_analytic_gets_its_own_hint():
    # Seed 003's asker: a weight derivative of 0, where the softmax does depend on the weights.
    w = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
    x = np.array([1.0, 2.0])
    result = check_jacobian(
        lambda v: softmax(v @ x), lambda v: np.zeros((3, *v.shape)), w, raise_on_fail=False
    )
    assert not result.ok
    assert any("identically 0" in h and "lost entirely" in h for h in result.hints)
    assert not any("constant factor" in h for h in result.hints)
    # A directional check along a direction that moves f, with a zero gradient, says the same.
    directional = check_directional(_loss(P_EX), np.zeros_like, Z_EX, raise_on_fail=False)
    assert any("identically 0" in h for h in directional.hints)
    # A gradient that is merely small is not called zero.
    small = _fail(lambda z: 1e-3 * (_q(z) - P_EX))
    assert not any("identically 0" in h for h in small.hints)
    assert any("constant factor" in h for h in small.hints)


def test_constant_offset_hint():
    result = _fail(lambda z: _q(z) - P_EX - 0.3)
    assert any("constant added to each" in h and "-0.3" in h for h in result.hints)


def test_no_hint_for_an_unstructured_error():
    result = _fail(lambda z: _q(z) - P_EX + np.array([0.1, 0.0, -0.3]) * _q(z) ** 2)
    assert not result.ok
    assert not any("constant" in h or "swap" in h or "sign" in h for h in result.hints)


def test_failure_message_is_a_diff_table():
    with pytest.raises(GradientCheckError) as info:
        check_gradient(_loss(P_EX), WRONG["001"](P_EX), Z_EX)
    message = str(info.value)
    assert isinstance(info.value, AssertionError)
    for piece in ("FAILED", "index", "analytic", "numeric", "abs err", "worst index", "<-"):
        assert piece in message
    assert message.count("\n  (") == 3  # one table row per component
    assert "atol + rtol*|numeric|" in message


# ----------------------------------------------------------------------------- pass rule


@pytest.mark.parametrize(("factor", "ok"), [(0.9, True), (1.1, False)])
def test_pass_rule_is_per_entry_with_the_reported_tolerance(factor, ok):
    c = np.array([1.0, -2.0, 0.0, 4.0])
    # A linear f: every method's numeric gradient is c up to a few ulps.
    exact = check_gradient(lambda x: np.sum(c * x), lambda _: c, np.ones(4), method="complex")
    tau = exact.tolerance[3]
    assert tau == exact.rtol * abs(exact.numeric[3]) + exact.atol  # one atol for all entries here
    off = c.copy()
    off[3] += factor * tau
    result = check_gradient(
        lambda x: np.sum(c * x), lambda _: off, np.ones(4), method="complex", raise_on_fail=False
    )
    assert result.ok is ok
    assert result.n_failing == (0 if ok else 1)


def test_one_wrong_entry_among_a_thousand_is_found():
    n = 1000
    c = np.linspace(-1, 1, n)
    exact = check_gradient(lambda x: np.sum(c * x), lambda _: c, np.zeros(n), method="complex")
    off = c.copy()
    off[7] += 1.1 * exact.tolerance[7]
    result = check_gradient(
        lambda x: np.sum(c * x), lambda _: off, np.zeros(n), method="complex", raise_on_fail=False
    )
    assert result.n_failing == 1
    assert result.worst_index == (7,)
    # The complex step is trusted per entry to 100 sqrt(2n/pi) times what the probe confirmed
    # along its direction (gradproof._numeric): still below a millionth of the gradient here.
    assert exact.atol < 1e-6 * np.max(np.abs(c))


def test_result_fields_match_an_independent_computation():
    wrong = WRONG["000"](P_EX)
    result = _fail(wrong)
    right = P_EX.sum() * _q(Z_EX) - P_EX
    diff = wrong(Z_EX) - right
    assert math.isclose(result.max_abs_err, np.max(np.abs(diff)), rel_tol=1e-9)
    assert math.isclose(
        result.max_rel_err, np.linalg.norm(diff) / np.linalg.norm(right), rel_tol=1e-9
    )
    i = result.worst_index
    assert result.analytic_at_worst == wrong(Z_EX)[i]
    assert math.isclose(result.numeric_at_worst, right[i], rel_tol=1e-12)
    assert (result.method, result.seed, result.fallback_reason) == ("complex", 0, None)
    assert result.n_checked == 3
    assert result.step == 1e-20
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.ok = True  # type: ignore[misc]
    assert isinstance(result, GradCheckResult)
    assert "FAILED" in str(result)


@pytest.mark.parametrize("n", [2, 10, 50])
def test_complex_step_entries_are_trusted_to_what_one_direction_can_see(n):
    # The probe confirms the complex step along one random unit direction to rho (stated in
    # the report); an error in one entry shows there only about 1/sqrt(n) of its size, so each
    # entry is trusted to 100 sqrt(2n/pi) rho: P(|u . delta| < t |delta|) <= t sqrt(2n/pi).
    z, p = np.linspace(-1, 1, n), np.linspace(1, 2, n)
    result = check_gradient(_loss(p), _right(p), z, method="complex")
    note = next(note for note in result.notes if "confirmed" in note)
    rho = float(note.split("to ±")[1].split(" ")[0])
    factor = float(note.split("trusted to ")[1].split(" ")[0])
    assert factor == round(100 * math.sqrt(2 * n / math.pi))
    assert result.atol >= 0.95 * factor * rho  # rho is printed to two digits


@pytest.mark.parametrize(
    ("method", "per_coordinate", "extra"),
    [("complex", 1, 14), ("central", 2, 7), ("richardson", 6, 7)],
)
def test_evaluation_counts(method, per_coordinate, extra):
    # A quadratic f away from its minimum: central differences are exact up to rounding, so
    # every extrapolation settles after its minimum of three levels (six evaluations). Every
    # method: one evaluation at x and six for the noise measurement (seven points, one of them
    # x). Complex: the probe's complex step and its six-evaluation extrapolation, then one complex
    # step per coordinate. Richardson: six per coordinate. Central: two per coordinate.
    for n in (1, 7):
        c = np.linspace(1, 2, n)
        result = check_gradient(
            lambda x, c=c: np.sum(c * x * x),
            lambda x, c=c: 2 * c * x,
            np.linspace(1, 2, n),
            method=method,
        )
        assert result.n_evals == per_coordinate * n + extra


# ----------------------------------------------------------------------------- auto fallback


def _unsafe_functions():
    p = P_EX

    def abs_inside(z):  # abs of a positive quantity: fine for real z, drops Im for complex z
        return cross_entropy(z, p) + np.sum(np.abs(z))

    def abs_outside(z):
        return np.abs(cross_entropy(z, p))

    def vdot(z):  # np.vdot conjugates its first argument
        return cross_entropy(z, p) + 0.5 * np.vdot(z, z)

    def float_buffer(z):
        buf = np.empty(z.shape)
        buf[:] = z  # ComplexWarning, imaginary part discarded
        return cross_entropy(buf, p)

    def math_exp(z):  # .item() gives a Python complex, which math.exp refuses
        return cross_entropy(z, p) + math.exp(z[0].item())

    def nonfinite(z):
        return cross_entropy(z, p) * (np.inf if np.iscomplexobj(z) else 1.0)

    q_ex = _q(Z_EX)
    return {
        "central difference": (abs_inside, q_ex - p + 1.0),
        "real result": (abs_outside, q_ex - p),
        "central difference (vdot)": (vdot, q_ex - p + Z_EX),
        "ComplexWarning": (float_buffer, q_ex - p),
        "TypeError": (math_exp, q_ex - p + np.array([math.exp(1.0), 0, 0])),
        "NaN or infinity": (nonfinite, q_ex - p),
    }


@pytest.mark.parametrize("reason", list(_unsafe_functions()))
def test_auto_falls_back_with_reason_and_still_checks(reason):
    f, gradient = _unsafe_functions()[reason]
    result = check_gradient(f, lambda _: gradient, Z_EX)
    assert result.ok
    assert result.method == "richardson"
    assert reason.split(" (")[0] in result.fallback_reason
    assert "fell back" in str(result)
    with pytest.raises(GradientCheckError):
        check_gradient(f, lambda _: gradient + 0.01, Z_EX)


@pytest.mark.parametrize("reason", list(_unsafe_functions()))
def test_explicit_complex_method_refuses_unsafe_f(reason):
    f, gradient = _unsafe_functions()[reason]
    with pytest.raises(ValueError, match="method='complex' cannot differentiate f"):
        check_gradient(f, lambda _: gradient, Z_EX, method="complex")


# ----------------------------------------------------------------------------- directional


def test_directional_is_constant_cost_and_catches_wrong_gradient_at_large_n():
    n = 1_000_000
    rng = np.random.default_rng(0)
    z, p = rng.normal(size=n), rng.random(n)
    result = check_directional(_loss(p), _right(p), z)
    assert result.ok
    assert result.n_evals < 25  # one at x, the probe; nothing grows with n
    assert result.worst_index == ()
    wrong = check_directional(_loss(p), lambda z: _q(z) - p, z, raise_on_fail=False)
    assert not wrong.ok


@pytest.mark.parametrize("method", METHODS)
def test_directional_methods_and_given_direction(method):
    v = np.array([1.0, -1.0, 0.5])
    result = check_directional(_loss(P_EX), _right(P_EX), Z_EX, direction=v, method=method)
    # The direction is scaled to unit length.
    expected = float(np.dot(_q(Z_EX) - P_EX, v)) / np.linalg.norm(v)
    assert math.isclose(result.analytic_at_worst, expected, rel_tol=1e-14)
    if method == "central":
        assert result.n_evals == 1 + 6 + 2  # at x, the noise measurement, one difference
    with pytest.raises(GradientCheckError):
        check_directional(_loss(P_EX), WRONG["sign"](P_EX), Z_EX, direction=v, method=method)


def test_directional_falls_back_for_unsafe_f():
    f, gradient = _unsafe_functions()["central difference"]
    result = check_directional(f, lambda _: gradient, Z_EX)
    assert result.ok
    assert result.method == "richardson"
    assert result.fallback_reason


# ----------------------------------------------------------------------------- step sweep


def test_step_sweep_traces_the_v_curve():
    steps = np.logspace(-1, -11, 11)
    sweep = step_sweep(_loss(P_EX), _right(P_EX), Z_EX, steps)
    # Truncation dominates at 1e-1, rounding at 1e-11; the middle beats both ends.
    best = np.min(sweep.max_rel_err)
    assert best < sweep.max_rel_err[0] / 100
    assert best < sweep.max_rel_err[-1] / 100
    assert 1e-7 <= sweep.best_step <= 1e-3
    assert sweep.steps.shape == sweep.max_abs_err.shape == (11,)
    # The complex step has the truncation arm (h**2) but no rounding arm: tiny steps stay exact.
    tiny = np.array([1e-8, 1e-12, 1e-20, 1e-100])
    flat = step_sweep(_loss(P_EX), _right(P_EX), Z_EX, tiny, method="complex")
    assert np.all(flat.max_rel_err < 1e-14)
    assert sweep.max_rel_err[-1] > 1e-8  # central at 1e-11 for contrast


# ----------------------------------------------------------------------------- bad input


def _good():
    return _loss(P_EX), _right(P_EX), Z_EX


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"f": 3.0}, TypeError, "f must be callable"),
        ({"grad": "q - p"}, TypeError, "grad must be callable"),
        ({"x": [1.0, np.nan, 2.0]}, ValueError, "x must be finite"),
        ({"x": [1.0, np.inf, 2.0]}, ValueError, "x must be finite"),
        ({"x": []}, ValueError, "x must not be empty"),
        ({"x": ["a", "b"]}, TypeError, "x must be a numeric"),
        ({"x": [1 + 2j, 0, 0]}, TypeError, "x must be real"),
        ({"method": "central", "step": 0.0}, ValueError, "step must be > 0"),
        ({"method": "central", "step": -1e-3}, ValueError, "step must be a finite real number > 0"),
        ({"method": "central", "step": np.nan}, ValueError, "step must be a finite real number"),
        ({"method": "central", "step": np.inf}, ValueError, "step must be a finite real number"),
        ({"step": 1e-5}, ValueError, "step cannot be combined with method='auto'"),
        ({"method": "secant"}, ValueError, "'auto', 'complex', 'central', 'richardson'"),
        ({"rtol": -1e-6}, ValueError, "rtol must be a finite real number >= 0"),
        ({"atol": -1.0}, ValueError, "atol must be a finite real number >= 0"),
        ({"rtol": 10**400}, ValueError, "rtol must be a finite real number >= 0"),
        ({"raise_on_fail": "no"}, TypeError, "raise_on_fail must be True or False"),
        ({"seed": 1.5}, TypeError, "seed must be a nonnegative integer"),
        (
            {"grad": lambda _: np.zeros(4)},
            ValueError,
            r"grad returned shape \(4,\), expected \(3,\)",
        ),
        ({"f": softmax}, ValueError, "f must return a scalar"),
        ({"f": lambda z: np.nan * z.sum()}, ValueError, "f.x. must be finite"),
    ],
)
def test_check_gradient_rejects_bad_input(kwargs, error, match):
    f, grad, x = _good()
    args = {"f": f, "grad": grad, "x": x} | kwargs
    with pytest.raises(error, match=match):
        check_gradient(args.pop("f"), args.pop("grad"), args.pop("x"), **args)


def test_other_entry_points_reject_bad_input():
    with pytest.raises(ValueError, match=r"jac returned shape \(3,\), expected \(3, 3\)"):
        check_jacobian(softmax, lambda _: np.zeros(3), Z_EX)
    with pytest.raises(ValueError, match=r"g must have the shape of f\(x\)"):
        check_vjp(softmax, softmax_vjp, Z_EX, g=np.ones(4))
    with pytest.raises(TypeError, match="vjp must be callable"):
        check_vjp(softmax, None, Z_EX)
    with pytest.raises(ValueError, match="direction must have the shape of x"):
        check_directional(_loss(P_EX), _right(P_EX), Z_EX, direction=np.ones(2))
    with pytest.raises(ValueError, match="f must return a scalar"):
        numerical_gradient(softmax, Z_EX)
    with pytest.raises(ValueError, match="steps must all be > 0"):
        step_sweep(_loss(P_EX), _right(P_EX), Z_EX, [1e-3, 0.0])
    with pytest.raises(ValueError, match=r"method must be one of 'complex'"):
        step_sweep(_loss(P_EX), _right(P_EX), Z_EX, [1e-3], method="auto")


def test_step_sweep_reports_steps_below_float_spacing_as_infinite():
    # At x = 3, 1e-16 is below half the float spacing: x + h == x, so no quotient exists.
    p = np.array([0.2, 0.3, 0.5])
    x = np.array([1.0, 2.0, 3.0])
    sweep = step_sweep(
        lambda z: cross_entropy(z, p), lambda z: softmax(z) - p, x, [1e-16, 1e-5], method="central"
    )
    assert np.isinf(sweep.max_rel_err[0])
    assert np.isfinite(sweep.max_rel_err[1])
    assert sweep.best_step == 1e-5
