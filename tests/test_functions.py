"""Stable functions: agreement with exact sympy values, stability at extreme logits."""

from __future__ import annotations

import numpy as np
import pytest
import sympy as sp
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from gradproof.functions import cross_entropy, log_softmax, logsumexp, softmax

# float64 round-off over n <= 50 terms stays far below this; a formula error is O(1).
RTOL = 1e-12

logits = arrays(
    np.float64,
    st.integers(1, 50),
    elements=st.floats(-1000, 1000, allow_nan=False, allow_infinity=False),
)


def _exact_softmax(z: list[int]) -> np.ndarray:
    """Softmax from sympy's exact exponentials, evaluated to 30 digits."""
    exps = [sp.exp(sp.Integer(v)) for v in z]
    total = sum(exps)
    return np.array([float(sp.N(e / total, 30)) for e in exps])


@pytest.mark.parametrize("z", [[1, 2, 3], [0, 0], [-5, 7, 2, 2], [40, -40, 0, 1, 3]])
def test_softmax_matches_exact_values(z):
    np.testing.assert_allclose(softmax(z), _exact_softmax(z), rtol=RTOL, atol=0)


@pytest.mark.parametrize("z", [[1, 2, 3], [-5, 7, 2, 2]])
def test_logsumexp_and_log_softmax_match_exact_values(z):
    exact_lse = float(sp.N(sp.log(sum(sp.exp(sp.Integer(v)) for v in z)), 30))
    assert logsumexp(z) == pytest.approx(exact_lse, rel=RTOL)
    np.testing.assert_allclose(log_softmax(z), np.array(z) - exact_lse, rtol=RTOL)


def test_running_example_loss_by_hand():
    # J = logsumexp(z) - sum(p z) when sum(p) = 1; sum(p z) = 0.2 + 0.6 + 1.5.
    exact = float(sp.N(sp.log(sp.exp(1) + sp.exp(2) + sp.exp(3)), 30)) - 2.3
    assert cross_entropy([1.0, 2.0, 3.0], [0.2, 0.3, 0.5]) == pytest.approx(exact, rel=RTOL)


def test_no_overflow_at_large_logits():
    np.testing.assert_array_equal(softmax([0.0, 1000.0]), [0.0, 1.0])
    assert cross_entropy([0.0, 800.0], [1.0, 0.0]) == 800.0
    assert logsumexp([1000.0, 1000.0]) == pytest.approx(1000.0 + np.log(2.0), rel=RTOL)
    assert np.isfinite(log_softmax([-1000.0, 1000.0])).all()


def test_zero_targets_contribute_nothing():
    # q_1 underflows to 0 in float64; a naive p*log(q) would give 0 * -inf = nan.
    assert cross_entropy([-1000.0, 1000.0], [0.0, 1.0]) == 0.0


def test_batch_loss_is_mean_of_rows():
    z = np.array([[1.0, 2.0, 3.0], [0.0, -1.0, 4.0]])
    p = np.array([[0.2, 0.3, 0.5], [1.0, 0.0, 0.0]])
    rows = [cross_entropy(z[0], p[0]), cross_entropy(z[1], p[1])]
    assert cross_entropy(z, p) == pytest.approx(np.mean(rows), rel=RTOL)


def test_axis_argument():
    z = np.array([[1.0, 2.0], [3.0, 5.0]])
    np.testing.assert_allclose(softmax(z, axis=0), softmax(z.T).T, rtol=RTOL)


def test_complex_logits_give_the_complex_step_derivative():
    # Im f(z + i h e_k) / h is df/dz_k for analytic f; compare with the hand closed form q - p.
    z, p = np.array([1.0, 2.0, 3.0]), np.array([0.2, 0.3, 0.5])
    h = 1e-20
    numeric = [cross_entropy(z + 1j * h * np.eye(3)[k], p).imag / h for k in range(3)]
    np.testing.assert_allclose(numeric, _exact_softmax([1, 2, 3]) - p, rtol=1e-13)


@settings(max_examples=200, deadline=None)
@given(logits)
def test_softmax_is_a_distribution(z):
    q = softmax(z)
    assert np.all(q >= 0)
    assert np.sum(q) == pytest.approx(1.0, rel=1e-12)


@settings(max_examples=200, deadline=None)
@given(logits, st.floats(-500, 500))
def test_shift_invariance_and_equivariance(z, c):
    np.testing.assert_allclose(softmax(z + c), softmax(z), rtol=1e-9, atol=1e-300)
    # logsumexp moves with the shift; its value can be ~1e3, so compare absolutely at 1e3 * eps.
    assert logsumexp(z + c) == pytest.approx(logsumexp(z) + c, abs=1e-9)
