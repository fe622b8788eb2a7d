"""Closed-form gradients against sympy's own differentiation and against their defining properties."""

from __future__ import annotations

import numpy as np
import pytest
import sympy as sp
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from gradproof.gradients import (
    cross_entropy_grad,
    cross_entropy_weight_grad,
    softmax_jacobian,
    softmax_vjp,
    softmax_weight_jacobian,
)

# The closed forms are a handful of float64 operations on values of order 1: a few ulps of error.
RTOL = 1e-12
ATOL = 1e-14


def _sympy_softmax(z):
    exps = [sp.exp(v) for v in z]
    return [e / sum(exps) for e in exps]


def _subs_eval(expr, values):
    return float(sp.N(expr.subs(values), 30))


@pytest.mark.parametrize("n", [1, 2, 3, 5])
def test_cross_entropy_grad_matches_sympy_diff(n):
    rng = np.random.default_rng(n)
    z = sp.symbols(f"z1:{n + 1}", real=True)
    p = sp.symbols(f"p1:{n + 1}", nonnegative=True)
    q = _sympy_softmax(z)
    loss = -sum(pk * sp.log(qk) for pk, qk in zip(p, q, strict=True))
    z_val, p_val = rng.normal(size=n) * 3, rng.uniform(0, 2, size=n)  # p need not sum to 1
    values = dict(zip(z + p, [*z_val, *p_val], strict=True))
    expected = [_subs_eval(sp.diff(loss, zk), values) for zk in z]
    np.testing.assert_allclose(cross_entropy_grad(z_val, p_val), expected, rtol=RTOL, atol=ATOL)


@pytest.mark.parametrize("n", [2, 3, 4])
def test_softmax_jacobian_matches_sympy_jacobian(n):
    z = sp.symbols(f"z1:{n + 1}", real=True)
    jac = sp.Matrix(_sympy_softmax(z)).jacobian(sp.Matrix(z))
    z_val = np.linspace(-1.5, 2.0, n)
    expected = np.array(jac.subs(dict(zip(z, z_val, strict=True))).evalf(30), dtype=float)
    np.testing.assert_allclose(softmax_jacobian(z_val), expected, rtol=RTOL, atol=ATOL)


def test_weight_jacobian_and_loss_grad_match_explicit_entry_sympy():
    # Explicit-entry Matrix: MatrixSymbol derivatives can silently drop terms (FACTS.md).
    K, D = 3, 2
    W = sp.Matrix(K, D, lambda a, b: sp.Symbol(f"W{a}{b}", real=True))
    x = sp.Matrix(sp.symbols(f"x0:{D}", real=True))
    p = sp.symbols(f"p0:{K}", nonnegative=True)
    q = _sympy_softmax(list(W * x))
    loss = -sum(pk * sp.log(qk) for pk, qk in zip(p, q, strict=True))
    rng = np.random.default_rng(3)
    W_val, x_val, p_val = rng.normal(size=(K, D)), rng.normal(size=D), rng.uniform(0, 1, size=K)
    values = {W[a, b]: W_val[a, b] for a in range(K) for b in range(D)}
    values |= dict(zip(list(x) + list(p), [*x_val, *p_val], strict=True))
    expected_jac = np.array(
        [
            [[_subs_eval(sp.diff(q[j], W[i, d]), values) for d in range(D)] for i in range(K)]
            for j in range(K)
        ]
    )
    np.testing.assert_allclose(
        softmax_weight_jacobian(W_val, x_val), expected_jac, rtol=RTOL, atol=ATOL
    )
    expected_grad = np.array(
        [[_subs_eval(sp.diff(loss, W[a, b]), values) for b in range(D)] for a in range(K)]
    )
    np.testing.assert_allclose(
        cross_entropy_weight_grad(W_val, x_val, p_val), expected_grad, rtol=RTOL, atol=ATOL
    )


def test_weight_grad_batch_is_mean_of_single_examples():
    rng = np.random.default_rng(7)
    W, X = rng.normal(size=(4, 3)), rng.normal(size=(5, 3))
    P = rng.dirichlet(np.ones(4), size=5)
    singles = np.mean([cross_entropy_weight_grad(W, X[r], P[r]) for r in range(5)], axis=0)
    np.testing.assert_allclose(cross_entropy_weight_grad(W, X, P), singles, rtol=RTOL, atol=ATOL)


logits = arrays(np.float64, st.integers(1, 40), elements=st.floats(-1000, 1000))


@settings(max_examples=150, deadline=None)
@given(logits, st.data())
def test_gradient_sums_to_zero_for_distributions(z, data):
    p = data.draw(arrays(np.float64, z.shape, elements=st.floats(0.01, 1.0)))
    p /= p.sum()
    # Each component is a difference of numbers <= 1; the sum's round-off is at most n * eps.
    assert abs(np.sum(cross_entropy_grad(z, p))) <= 1e-13


@settings(max_examples=150, deadline=None)
@given(logits)
def test_jacobian_symmetric_psd_with_null_vector_ones(z):
    jac = softmax_jacobian(z)
    np.testing.assert_allclose(jac, jac.T, rtol=0, atol=0)
    np.testing.assert_allclose(jac @ np.ones(z.size), 0.0, atol=1e-15)
    assert np.linalg.eigvalsh(jac).min() >= -1e-15


@settings(max_examples=150, deadline=None)
@given(logits, st.data())
def test_vjp_equals_jacobian_transpose_times_g(z, data):
    g = data.draw(arrays(np.float64, z.shape, elements=st.floats(-10, 10)))
    np.testing.assert_allclose(softmax_vjp(z, g), softmax_jacobian(z).T @ g, rtol=1e-10, atol=1e-13)


def test_broadcast_vjp_from_the_slide_is_not_the_gradient():
    # Seed 004's slide subtracts the scalar sum(s) from every component; the truth scales it by q.
    z, g = np.array([1.0, 2.0, 3.0]), np.array([1.0, -1.0, 0.5])
    q = np.exp(z) / np.exp(z).sum()
    s = q * g
    assert not np.allclose(s - s.sum(), softmax_vjp(z, g))
    np.testing.assert_allclose(softmax_vjp(z, g), s - s.sum() * q, rtol=RTOL)


def test_large_n_vjp_and_gradient_stay_linear():
    # n = 10**6: an n x n intermediate would need 8 TB, so success shows none is formed.
    n = 10**6
    rng = np.random.default_rng(0)
    z, g = rng.normal(size=n), rng.normal(size=n)
    p = np.zeros(n)
    p[0] = 1.0
    assert softmax_vjp(z, g).shape == (n,)
    assert abs(cross_entropy_grad(z, p).sum()) < 1e-12
