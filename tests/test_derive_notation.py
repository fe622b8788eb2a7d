"""gradproof.derive.notation: the symbols and helpers of a derivation, and how they print."""

from __future__ import annotations

import numpy as np
import pytest
import sympy as sp
from sympy import Derivative, Eq, KroneckerDelta, Mul, Sum, exp

import gradproof.derive
from gradproof.derive import (
    SUM_P_IS_1,
    D,
    Derivation,
    J,
    Step,
    W,
    d,
    delta,
    evaluate,
    i,
    j,
    k,
    latex,
    n,
    notation,
    p,
    point,
    q,
    sum_eq,
    sum_exp,
    sum_ne,
    total,
    x,
    z,
)


def test_dimension_symbols_are_exported():
    # D is the input size of the linear layer; n the number of classes.
    assert D.is_integer
    assert n.is_positive


def test_latex_notation():
    assert latex(z[i]) == "z_{i}"
    assert latex(W[i, d]) == "W_{i d}"
    assert latex(q(i)) == "q_{i}"
    assert latex(Derivative(J, z[i])) == r"\frac{\partial J}{\partial z_{i}}"
    assert latex(sum_ne(p[k], k, i)) == r"\sum_{k \ne i} p_{k}"
    assert latex(q(i) - p[i]) == "q_{i} - p_{i}"
    assert latex(total(exp(z[k]), k)) == r"\sum_{k=1}^{n} e^{z_{k}}"


def test_written_form_is_displayed_and_still_checked():
    # evaluate=False keeps a thread's line as written: 1/q_i is not cancelled in the display,
    # and the term order is the written one; the check evaluates it anyway.
    written = sp.Add(
        -sum_ne(Mul(p[i], 1 / q(i), -q(i) * q(j), evaluate=False), i, j),
        -sum_eq(Mul(p[i], 1 / q(i), q(i) * (1 - q(i)), evaluate=False), i, j),
        evaluate=False,
    )
    tex = latex(written)
    assert tex == (
        r"- \sum_{i \ne j} p_{i} \frac{1}{q_{i}} \left(- q_{i} q_{j}\right)"
        r" - \sum_{i = j} p_{i} \frac{1}{q_{i}} q_{i} \left(1 - q_{i}\right)"
    )
    Derivation(Derivative(J, z[j]), [Step(written)]).verify().assert_verified()


def test_reciprocal_of_a_sum_prints_as_a_fraction():
    # sympy routes 1/(a + b) through _print_Mul with args (a + b, -1); it once printed "(a+b)(-1)".
    u = sp.Symbol("u")
    assert latex(1 / (1 + sp.exp(-u))) == r"\frac{1}{1 + e^{- u}}"
    assert latex(1 / (2 + z[1])) == r"\frac{1}{z_{1} + 2}"


def test_leading_minus_one_of_a_written_product_prints_as_a_sign():
    inner = sp.Add(p[i] * (1 - q(i)), sum_ne(-q(k) * p[k], k, i), evaluate=False)
    tex = latex(Mul(-1, inner, evaluate=False))
    assert tex.startswith(r"- \left(p_{i} \left(1 - q_{i}\right)")
    assert "-1" not in tex
    # A -1 that is not the first written factor is left alone.
    assert latex(Mul(p[i], -1, evaluate=False)).startswith("p_{i}")


def test_total_sums_over_the_whole_range_of_its_index():
    assert total(p[k], k) == Sum(p[k], (k, 1, n))
    assert total(q(j), j) == Sum(q(j), (j, 1, n))
    # d is the input index of the linear layer: it runs to D, not n.
    assert total(W[k, d] * x[d], d) == Sum(W[k, d] * x[d], (d, 1, D))
    with pytest.raises(TypeError, match="idx must be an integer sympy Symbol"):
        total(p[k], 2)


def test_sum_exp_and_sum_p_is_1_are_what_the_pages_write():
    assert sum_exp == Sum(exp(z[k]), (k, 1, n))
    assert Eq(Sum(p[k], (k, 1, n)), 1) == SUM_P_IS_1
    assert latex(sum_exp) == r"\sum_{k=1}^{n} e^{z_{k}}"
    Derivation(q(i), [Step(exp(z[i]) / sum_exp)]).verify().assert_verified()
    # The assumption is what makes q - p the gradient: without it the same step is false.
    grad = Derivation(Derivative(J, z[i]), [Step(q(i) - p[i])], ns=(2, 3))
    grad.replace(assume=SUM_P_IS_1).verify().assert_verified()
    grad.verify().assert_first_false(1)


def test_delta_keeps_the_written_order_and_the_value():
    assert delta(j, i).args == (j, i)
    assert KroneckerDelta(j, i).args == (i, j)  # sympy's own order, which the helper avoids
    assert latex(delta(j, i)) == r"\delta_{j i}"
    Derivation(delta(j, i), [Step(KroneckerDelta(i, j))]).verify().assert_verified()
    Derivation(delta(j, i), [Step(1 - KroneckerDelta(i, j))]).verify().assert_first_false(1)


def test_point_gives_evaluate_the_logits_and_the_targets():
    zv, pv = np.array([1.0, 2.0, 3.0]), np.array([0.2, 0.3, 0.5])
    values = point(zv, pv)
    assert set(values) == {z, p}
    assert values[z] is zv
    assert values[p] is pv
    assert set(point(zv)) == {z}
    e = np.exp(zv - zv.max())
    np.testing.assert_allclose(evaluate(q(i) - p[i], 3, point(zv, pv)), e / e.sum() - pv)


def test_the_declared_surface_is_small_and_the_notation_still_imports_from_derive():
    assert sorted(gradproof.derive.__all__) == [
        "Derivation",
        "DerivationReport",
        "Step",
        "StepResult",
        "evaluate",
        "latex",
    ]
    assert "z" in notation.__all__
    assert "Derivation" not in notation.__all__
    for name in notation.__all__:
        assert getattr(gradproof.derive, name) is getattr(notation, name), name
