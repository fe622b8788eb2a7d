"""A catalogue of adversarial cases: claims that must not be passed or ✓, true ones that must be.

Each case is named, says in one line why its verdict is the right one, and is run as its own
test. Expected values come from the mathematics (a term the complex step drops, a gradient that
is 0 at a stationary point), never from the code under test.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gradproof.check import (
    GradientCheckError,
    check_directional,
    check_gradient,
    check_jacobian,
    check_vjp,
)
from gradproof.functions import cross_entropy, log_softmax, logsumexp, softmax
from gradproof.gradients import cross_entropy_grad, softmax_vjp

# =========================================================================== gradproof.check,
# =========================================================================== gradproof.functions
# Issue 14, items 7-12: what may be called ok. Every case runs a check with
# raise_on_fail=False and states the verdict it must reach: "failed" (the claim is wrong and the
# numbers show it), "cannot tell" (no comparison at this point could show it either way: never
# ok), or "passed" (a true claim that must not be rejected for reasons not its own).

Z = np.array([1.0, 2.0, 3.0])
P = np.array([0.2, 0.3, 0.5])


def _q(z):
    """Softmax written out here, so the expected values do not lean on the library."""
    e = np.exp(z - np.max(z))
    return e / e.sum()


def _ce(p, scale=1.0, offset=0.0):
    return lambda z: scale * cross_entropy(z, p) + offset


def _grad(p, scale=1.0):
    return lambda z: scale * (p.sum() * _q(z) - p)


@dataclass(frozen=True)
class Case:
    """One claim: run it, expect a verdict, and (optionally) words in the report."""

    name: str
    why: str
    run: Callable[[bool], object]  # called with raise_on_fail
    verdict: str
    says: str = ""


# Least squares with an L1 penalty, at a scale where the old probe (1e-5 relative plus a floor
# growing with |f|) let the complex step through: it drops the derivative of |w| entirely.
_RNG = np.random.default_rng(0)
_A, _B = 10 * _RNG.normal(size=(20, 5)), 10 * _RNG.normal(size=20)
_W = _RNG.normal(size=5)


def _ls_l1(w):
    r = _A @ w - _B
    return 0.5 * np.sum(r * r) + 1e-3 * np.sum(np.abs(w))


def _ls_grad(w):
    return _A.T @ (_A @ w - _B)


def _l1_at_threshold(raising):
    # An abs term ten times the check's own stated resolution, found by the probe: the check
    # cannot count a difference that the probe could not have seen.
    right = check_gradient(_ce(P), _grad(P), Z)
    eta = 10 * right.atol

    def f(z):
        return cross_entropy(z, P) + eta * np.sum(np.abs(z))

    return check_gradient(f, _grad(P), Z, raise_on_fail=raising)


def _float32_f(z):
    if np.iscomplexobj(z):
        return cross_entropy(z.astype(np.complex64), P).astype(np.complex64)
    return np.float32(cross_entropy(z.astype(np.float32), P))


def _kink_f(x):
    return np.sum(np.maximum(x, 0.0))


def _kink_grad(x):
    return (x > 0).astype(float)


def _vdot_f(z):
    return cross_entropy(z, P) + 1e-6 * np.vdot(z, z) / 2  # vdot conjugates its first argument


def _real_f(z):
    return cross_entropy(z, P) + 1e-4 * np.sum(np.real(Z * z))  # .real drops Im on the complex path


def _stationary(raising):
    q = _q(Z)  # targets equal to the softmax: the gradient (sum p) q - p is 0
    return check_gradient(_ce(q), _grad(q), Z, raise_on_fail=raising)


def _saturated(raising):
    z, p = np.array([0.0, -41.0, -45.0]), np.array([1.0, 0.0, 0.0])
    return check_gradient(_ce(p), _grad(p), z, raise_on_fail=raising)


def _certain(z, method, raising):
    """The right gradient for a target (1, 0) at logits z, by `method`."""
    p = np.array([1.0, 0.0])
    return check_gradient(_ce(p), _grad(p), np.array(z), method=method, raise_on_fail=raising)


def _cold(z):
    return cross_entropy(1000 * z, P)


CHECK_CASES = [
    # ---- 14.7 the probe sees what the check counts
    Case(
        "ls+l1: gradient without the L1 term",
        "the complex step drops d|w|/dw; the probe must see the 1e-3 gap and fall back",
        lambda r: check_gradient(_ls_l1, _ls_grad, _W, raise_on_fail=r),
        "failed",
    ),
    Case(
        "ls+l1: the right gradient",
        "abs makes f complex-step unsafe; finite differences check it instead",
        lambda r: check_gradient(
            _ls_l1, lambda w: _ls_grad(w) + 1e-3 * np.sign(w), _W, raise_on_fail=r
        ),
        "passed",
        "lost or flipped",
    ),
    Case(
        "abs term at ten times the stated resolution",
        "the check's resolving power may not exceed its probe's",
        _l1_at_threshold,
        "failed",
    ),
    Case(
        "one |z_0| term of 1e-4",
        "a term in a single entry is diluted along a random probe direction, not hidden",
        lambda r: check_gradient(
            lambda z: cross_entropy(z, P) + 1e-4 * abs(z[0]), _grad(P), Z, raise_on_fail=r
        ),
        "failed",
    ),
    Case(
        "np.vdot conjugation of a 1e-6 term",
        "the complex step flips that term's sign; the claim that matches the flip is wrong",
        lambda r: check_gradient(_vdot_f, lambda z: _grad(P)(z) - 1e-6 * z, Z, raise_on_fail=r),
        "failed",
    ),
    Case(
        ".real drops a 1e-4 term",
        "the complex step returns the gradient without it; that gradient is wrong",
        lambda r: check_gradient(_real_f, _grad(P), Z, raise_on_fail=r),
        "failed",
    ),
    Case(
        "a loss offset by 1e6, right gradient",
        "complex-step safe; the probe's differences still resolve it through the offset",
        lambda r: check_gradient(_ce(P, offset=1e6), _grad(P), Z, raise_on_fail=r),
        "passed",
    ),
    # ---- 14.8 scale
    Case(
        "1e-14 J with a zero gradient",
        "the gradient is ~1e-15: a zero one was ok under the old absolute atol of 1e-12",
        lambda r: check_gradient(_ce(P, 1e-14), np.zeros_like, Z, raise_on_fail=r),
        "failed",
    ),
    Case(
        "1e-14 J with the right gradient",
        "scale-aware tolerances: the same verdict as for J",
        lambda r: check_gradient(_ce(P, 1e-14), _grad(P, 1e-14), Z, raise_on_fail=r),
        "passed",
    ),
    Case(
        "1e-14 J with the gradient 0.1 % too large",
        "a relative error of 1e-3 is an error at every scale",
        lambda r: check_gradient(_ce(P, 1e-14), _grad(P, 1.001e-14), Z, raise_on_fail=r),
        "failed",
    ),
    Case(
        "1e14 J with one entry off by a millionth",
        "large scales do not loosen the rule either",
        lambda r: check_gradient(
            _ce(P, 1e14),
            lambda z: _grad(P, 1e14)(z) * np.array([1.0, 1.0 + 1e-6, 1.0]),
            Z,
            raise_on_fail=r,
        ),
        "failed",
    ),
    Case(
        "atol as large as the gradient",
        "with atol = 1 a zero gradient passes too, so nothing was compared",
        lambda r: check_gradient(_ce(P), np.zeros_like, Z, raise_on_fail=r, atol=1.0),
        "cannot tell",
        "atol",
    ),
    Case(
        "rtol = 1",
        "|a - b| <= |b| accepts a zero gradient",
        lambda r: check_gradient(_ce(P), _grad(P), Z, raise_on_fail=r, rtol=1.0),
        "cannot tell",
    ),
    Case(
        "a loss offset by 1e12",
        "rounding of f's values (~1e-4) hides its variation from every finite difference",
        lambda r: check_gradient(_ce(P, offset=1e12), _grad(P), Z, raise_on_fail=r),
        "cannot tell",
    ),
    Case(
        "stationary point, targets equal to the softmax",
        "the gradient is 0: every formula that vanishes there passes, so it cannot tell",
        _stationary,
        "cannot tell",
        "a stationary point",
    ),
    Case(
        "stationary point, a gradient of 0.1",
        "nonzero where the gradient is 0: refuted",
        lambda r: check_gradient(_ce(_q(Z)), lambda _z: np.full(3, 0.1), Z, raise_on_fail=r),
        "failed",
    ),
    Case(
        "saturated softmax, margin 39, differences only",
        "q_2 = 1.6e-17 sits below the rounding of log(1 + q_2): the measured noise says so, "
        "rather than blaming the gradient for the differences' error",
        lambda r: _certain([33.65, -5.05], "richardson", r),
        "cannot tell",
    ),
    Case(
        "saturated softmax, margin 41",
        "log(1 + e^-41) rounds to 0, so f's values never change: no difference can see it",
        _saturated,
        "cannot tell",
    ),
    Case(
        "loss scaled by 1e-300",
        "the complex step's imaginary part underflows; differences check it instead",
        lambda r: check_gradient(_ce(P, 1e-300), _grad(P, 1e-300), Z, raise_on_fail=r),
        "passed",
        "underflow",
    ),
    # ---- 14.9 directions
    Case(
        "direction (1e-15, 0, 0), gradient -1000 times wrong",
        "the direction is normalised: the check is along e_0, where the error is huge",
        lambda r: check_directional(
            _ce(P), _grad(P, -1000.0), Z, raise_on_fail=r, direction=[1e-15, 0.0, 0.0]
        ),
        "failed",
    ),
    Case(
        "direction (1e-15, 0, 0), right gradient",
        "a tiny direction is still a direction",
        lambda r: check_directional(
            _ce(P), _grad(P), Z, raise_on_fail=r, direction=[1e-15, 0.0, 0.0]
        ),
        "passed",
    ),
    Case(
        "direction (1e15, -1e15, 0), right gradient",
        "and so is a huge one",
        lambda r: check_directional(
            _ce(P), _grad(P), Z, raise_on_fail=r, direction=[1e15, -1e15, 0.0]
        ),
        "passed",
    ),
    Case(
        "direction (1, 1, 1), sign-flipped gradient",
        "the loss is shift invariant: both sides are 0 along (1, 1, 1) whatever the gradient",
        lambda r: check_directional(
            _ce(P), _grad(P, -1.0), Z, raise_on_fail=r, direction=np.ones(3)
        ),
        "cannot tell",
    ),
    Case(
        "direction (1, 1, 1), right gradient",
        "no better: a right gradient proves nothing there either",
        lambda r: check_directional(_ce(P), _grad(P), Z, raise_on_fail=r, direction=np.ones(3)),
        "cannot tell",
    ),
    Case(
        "VJP with g = 1e-15 e_0, VJP -1000 times wrong",
        "the cotangent's size does not matter",
        lambda r: check_vjp(
            softmax,
            lambda z, g: -1000 * softmax_vjp(z, g),
            Z,
            np.array([1e-15, 0.0, 0.0]),
            raise_on_fail=r,
        ),
        "failed",
    ),
    Case(
        "VJP with g = (1, 1, 1), sign-flipped VJP",
        "(1, 1, 1) is in the softmax Jacobian's left null space: g^T J = 0 for any formula",
        lambda r: check_vjp(
            softmax, lambda z, g: -softmax_vjp(z, g), Z, np.ones(3), raise_on_fail=r
        ),
        "cannot tell",
    ),
    # ---- 14.10 false alarms
    Case(
        "low temperature (logits x 1000), right gradient",
        "the probe's steps shrink to the scale the point allows",
        lambda r: check_gradient(
            _cold,
            lambda z: 1000 * _grad(P)(1000 * z),
            Z / 1000,
            raise_on_fail=r,
        ),
        "passed",
    ),
    Case(
        "low temperature, the factor 1000 dropped",
        "and a wrong gradient there still fails",
        lambda r: check_gradient(
            _cold,
            lambda z: _grad(P)(1000 * z),
            Z / 1000,
            raise_on_fail=r,
        ),
        "failed",
    ),
    Case(
        "a loss near 0 from terms near 1, complex step",
        "log(1 + e^-10) rounds at 1e-16 absolute: finite differences are that noisy, not the "
        "complex step, which must not be refused for it",
        lambda r: _certain([10.0, 0.0], "complex", r),
        "passed",
    ),
    Case(
        "kink 3e-6 away, Richardson",
        "max(x, 0) at x = 3e-6: the steps shrink below the kink's distance",
        lambda r: check_gradient(
            _kink_f, _kink_grad, np.array([3e-6, 1.0]), raise_on_fail=r, method="richardson"
        ),
        "passed",
        "did not settle",
    ),
    Case(
        "kink 3e-6 away, auto",
        "the probe's steps shrink too; the complex step is right there",
        lambda r: check_gradient(_kink_f, _kink_grad, np.array([3e-6, 1.0]), raise_on_fail=r),
        "passed",
    ),
    Case(
        "kink at x",
        "max(x, 0) at x = 0 has no derivative: reported, not blamed on the gradient",
        lambda r: check_gradient(_kink_f, _kink_grad, np.array([0.0, 1.0]), raise_on_fail=r),
        "cannot tell",
        "not differentiable",
    ),
    Case(
        "float32 loss and float32 gradient",
        "right to single precision: compared at single precision, and the report says so",
        lambda r: check_gradient(
            _float32_f, lambda z: _grad(P)(z).astype(np.float32), Z, raise_on_fail=r
        ),
        "passed",
        "float32",
    ),
    Case(
        "float32 loss, the seed-000 gradient -p + p q",
        "precision is no excuse for a wrong formula",
        lambda r: check_gradient(_float32_f, lambda z: -P + P * _q(z), Z, raise_on_fail=r),
        "failed",
    ),
    Case(
        "a float64 gradient rounded through float32",
        "off by ~1e-8 in every entry: a real discrepancy, named as single precision",
        lambda r: check_gradient(
            _ce(P), lambda z: _grad(P)(z).astype(np.float32).astype(np.float64), Z, raise_on_fail=r
        ),
        "failed",
        "single precision",
    ),
]


@pytest.mark.parametrize("case", CHECK_CASES, ids=[c.name for c in CHECK_CASES])
def test_check_case(case):
    result = case.run(False)
    assert result.verdict == case.verdict, f"{case.why}\n{result.report()}"
    assert result.ok is (case.verdict == "passed")
    if case.says:
        text = result.report()
        assert case.says in text, f"{case.why}: {case.says!r} not in\n{text}"
    if not result.ok:
        # With the default raise_on_fail=True, a check that is not ok never returns quietly.
        with pytest.raises(GradientCheckError):
            case.run(True)


FUNCTION_CASES = [
    Case(
        "cross_entropy at logits 1e308 and -1e308",
        "the certain class has loss 0 (it was nan: 0 * -inf)",
        lambda _: bool(cross_entropy([1e308, -1e308], [1.0, 0.0]) == 0.0),
        "true",
    ),
    Case(
        "log_softmax at logits 1e308 and -1e308",
        "finite for finite logits, though the exact value is below the float range",
        lambda _: bool(np.all(np.isfinite(log_softmax([1e308, -1e308])))),
        "true",
    ),
    Case(
        "-inf logit with target 0",
        "a masked class: probability 0 and gradient exactly 0",
        lambda _: bool(
            softmax([0.0, -np.inf])[1] == 0.0
            and cross_entropy_grad([0.0, -np.inf], [1.0, 0.0])[1] == 0.0
        ),
        "true",
    ),
    Case(
        "logsumexp of a row masked entirely",
        "the log of an empty sum is -inf exactly",
        lambda _: bool(logsumexp([-np.inf, -np.inf]) == -np.inf),
        "true",
    ),
]


@pytest.mark.parametrize("case", FUNCTION_CASES, ids=[c.name for c in FUNCTION_CASES])
def test_function_case(case):
    assert case.run(False) is True, case.why


REFUSED = [
    ("masked array", lambda: softmax(np.ma.masked_array(Z, mask=[0, 1, 0])), TypeError, "z"),
    (
        "positive target on a -inf logit",
        lambda: cross_entropy([0.0, -np.inf], [0.5, 0.5]),
        ValueError,
        "p",
    ),
    ("every logit -inf", lambda: softmax([-np.inf, -np.inf]), ValueError, "z"),
    ("NaN logit", lambda: log_softmax([0.0, np.nan]), ValueError, "z"),
    ("+inf logit", lambda: cross_entropy([0.0, np.inf], [1.0, 0.0]), ValueError, "z"),
    (
        "rtol = 10**400",
        lambda: check_gradient(_ce(P), _grad(P), Z, rtol=10**400),
        ValueError,
        "rtol",
    ),
    (
        "raise_on_fail = 'no'",
        lambda: check_gradient(_ce(P), _grad(P), Z, raise_on_fail="no"),
        TypeError,
        "raise_on_fail",
    ),
]


@pytest.mark.parametrize(
    ("call", "error", "arg"), [r[1:] for r in REFUSED], ids=[r[0] for r in REFUSED]
)
def test_bad_input_is_refused_by_name(call, error, arg):
    with pytest.raises(error, match=rf"^{arg}\b"):
        call()


# ---- hints: a table of causes x hints. Each hint must fire for its cause and for no other.

HINT_WORDS = {
    "nonfinite": "NaN or infinity",
    "zero": "identically 0",
    "sign": "sign flip",
    "factor": "constant factor",
    "offset": "constant added",
    "swap": "index swap",
    "single": "single precision",
}


def _hint_keys(result):
    return {key for key, words in HINT_WORDS.items() if any(words in h for h in result.hints)}


def _gradient_hints(grad, p=P):
    return _hint_keys(check_gradient(_ce(p), grad, Z, raise_on_fail=False))


def _jacobian_hints(jac):
    a = np.random.default_rng(4).normal(size=(3, 3))

    def f(x):
        return softmax(a @ x)

    return _hint_keys(check_jacobian(f, lambda x: jac(a, x), np.ones(3), raise_on_fail=False))


def _right_jacobian(a, x):
    q = _q(a @ x)
    return (np.diag(q) - np.outer(q, q)) @ a


HINT_CAUSES = [
    (
        "NaN in the analytic side",
        lambda: _gradient_hints(lambda z: _grad(P)(z) * np.nan),
        {"nonfinite"},
    ),
    ("a derivative lost entirely", lambda: _gradient_hints(np.zeros_like), {"zero"}),
    ("p - q for q - p", lambda: _gradient_hints(_grad(P, -1.0)), {"sign"}),
    (
        "the gradient divided by sum(p) = 2.5",
        lambda: _gradient_hints(lambda z: _q(z) - P, p=2.5 * P),
        {"factor"},
    ),
    (
        "a constant subtracted from every entry",
        lambda: _gradient_hints(lambda z: _grad(P)(z) - 0.3),
        {"offset"},
    ),
    (
        "a transposed Jacobian",
        lambda: _jacobian_hints(lambda a, x: _right_jacobian(a, x).T),
        {"swap"},
    ),
    (
        "a gradient rounded through float32",
        lambda: _gradient_hints(lambda z: _grad(P)(z).astype(np.float32).astype(np.float64)),
        {"single"},
    ),
    (
        "an unstructured error",
        lambda: _gradient_hints(lambda z: _grad(P)(z) + np.array([0.1, 0.0, -0.3]) * _q(z) ** 2),
        set(),
    ),
    ("seed 000: -p + p q, a dropped sum", lambda: _gradient_hints(lambda z: -P + P * _q(z)), set()),
    (
        "seed 001: sum(p q) - p, q_i for q_k",
        lambda: _gradient_hints(lambda z: np.sum(P * _q(z)) - P),
        set(),
    ),
    (
        "seed 002: -q + 2 p q - p, a sign in eq. (8)",
        lambda: _gradient_hints(lambda z: -_q(z) + 2 * P * _q(z) - P),
        set(),
    ),
    (
        "seed 004: s - sum(s), a scalar for a vector",
        lambda: _hint_keys(
            check_vjp(
                softmax,
                lambda z, g: _q(z) * g - np.sum(_q(z) * g),
                Z,
                -P / _q(Z),
                raise_on_fail=False,
            )
        ),
        set(),
    ),
]


@pytest.mark.parametrize(
    ("make", "expected"), [r[1:] for r in HINT_CAUSES], ids=[r[0] for r in HINT_CAUSES]
)
def test_each_hint_fires_for_its_cause_and_no_other(make, expected):
    assert make() == expected


# ---- generated cases: a smooth f with a known gradient, at random scales


@st.composite
def smooth_problems(draw):
    n = draw(st.integers(2, 8))
    seed = draw(st.integers(0, 2**32 - 1))
    scale = 10.0 ** draw(st.integers(-100, 100))
    rng = np.random.default_rng(seed)
    a, b, c = rng.normal(size=n), rng.uniform(0.5, 2.0, size=n), rng.normal(size=(n, n))
    x = rng.normal(size=n)

    def f(v):
        # sum a_i sin(b_i v_i) + (c v) . (c v) / 2, times scale: gradient known in closed form.
        return scale * (np.sum(a * np.sin(b * v)) + 0.5 * np.sum((c @ v) ** 2))

    def grad(v):
        return scale * (a * b * np.cos(b * v) + c.T @ (c @ v))

    k = draw(st.integers(0, n - 1))
    return f, grad, x, k


GENERATED = settings(max_examples=30, deadline=None)


@GENERATED
@given(smooth_problems(), st.sampled_from(["auto", "richardson"]))
def test_a_right_gradient_passes_at_any_scale(problem, method):
    f, grad, x, _ = problem
    result = check_gradient(f, grad, x, method=method, raise_on_fail=False)
    assert result.ok, result.report()
    # The resolution the check claims: a millionth of the gradient's size, or finer.
    assert result.atol <= 1e-6 * np.max(np.abs(result.numeric))


@GENERATED
@given(smooth_problems(), st.sampled_from(["auto", "richardson"]), st.floats(1e-6, 1.0))
def test_a_perturbed_gradient_fails_at_the_perturbations_scale(problem, method, size):
    f, grad, x, k = problem

    def perturbed(v):
        g = grad(v)
        out = g.copy()
        out[k] += size * np.max(np.abs(g))
        return out

    result = check_gradient(f, perturbed, x, method=method, raise_on_fail=False)
    assert result.verdict == "failed", result.report()
    assert result.worst_index == (k,)
