"""The input contract, table-driven: every public array function rejects bad input by name.

Each row is (call, bad argument name, expected exception). A row passes only when the exception
type matches *and* the message names the argument, so a bare numpy error or a NaN result fails.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest

from gradproof import (
    cross_entropy,
    cross_entropy_grad,
    cross_entropy_weight_grad,
    log_softmax,
    logsumexp,
    softmax,
    softmax_jacobian,
    softmax_vjp,
    softmax_weight_jacobian,
)

Z = [1.0, 2.0, 3.0]
P = [0.2, 0.3, 0.5]
W = np.zeros((3, 2))
X = [1.0, 2.0]

LOGIT_FUNCTIONS: dict[str, Callable[[object], object]] = {
    "softmax": softmax,
    "log_softmax": log_softmax,
    "logsumexp": logsumexp,
    "softmax_jacobian": softmax_jacobian,
    "cross_entropy": lambda z: cross_entropy(z, P),
    "cross_entropy_grad": lambda z: cross_entropy_grad(z, P),
    "softmax_vjp": lambda z: softmax_vjp(z, P),
}

BAD_LOGITS = [
    ([1.0, np.nan, 3.0], ValueError, "finite"),
    ([1.0, np.inf, 3.0], ValueError, "finite"),
    ([1.0, -np.inf, 3.0], ValueError, "finite"),
    ([], ValueError, "empty"),
    (np.zeros((0, 3)), ValueError, "empty"),
    (["a", "b", "c"], TypeError, "numeric"),
    ("123", TypeError, "numeric"),
    (None, TypeError, "numeric"),
    ([True, False, True], TypeError, "numeric"),
    ([[1.0, 2.0], [3.0]], ValueError, "uniform"),
    (2.0, ValueError, "shape ()"),
]


@pytest.mark.parametrize("name", sorted(LOGIT_FUNCTIONS))
@pytest.mark.parametrize(("bad", "exc", "words"), BAD_LOGITS)
def test_bad_logits_are_rejected_by_name(name, bad, exc, words):
    with pytest.raises(exc, match=r"\bz\b") as info:
        LOGIT_FUNCTIONS[name](bad)
    assert words in str(info.value)


OTHER_ROWS = [
    (
        "targets negative",
        lambda: cross_entropy(Z, [0.5, -0.1, 0.6]),
        ValueError,
        "p",
        "nonnegative",
    ),
    ("targets NaN", lambda: cross_entropy_grad(Z, [0.5, np.nan, 0.5]), ValueError, "p", "finite"),
    ("targets shape", lambda: cross_entropy(Z, [0.5, 0.5]), ValueError, "p", "same shape"),
    ("targets complex", lambda: cross_entropy(Z, [1j, 0, 0]), TypeError, "p", "real"),
    (
        "loss on 3-D",
        lambda: cross_entropy(np.zeros((1, 1, 3)), np.zeros((1, 1, 3))),
        ValueError,
        "z",
        "1-D or 2-D",
    ),
    ("axis out of range", lambda: softmax(Z, axis=1), ValueError, "axis", "[-1, 0]"),
    ("axis not int", lambda: logsumexp(Z, axis=0.5), TypeError, "axis", "integer"),
    ("vjp g shape", lambda: softmax_vjp(Z, [1.0, 2.0]), ValueError, "g", "same shape"),
    ("vjp g inf", lambda: softmax_vjp(Z, [1.0, np.inf, 0.0]), ValueError, "g", "finite"),
    ("W rank", lambda: softmax_weight_jacobian(np.zeros(3), X), ValueError, "W", "2-D"),
    (
        "x features",
        lambda: softmax_weight_jacobian(W, [1.0, 2.0, 3.0]),
        ValueError,
        "x",
        "2 features",
    ),
    ("x batch for jacobian", lambda: softmax_weight_jacobian(W, [X, X]), ValueError, "x", "1-D"),
    ("X NaN", lambda: cross_entropy_weight_grad(W, [np.nan, 1.0], P), ValueError, "X", "finite"),
    ("P shape", lambda: cross_entropy_weight_grad(W, [X], P), ValueError, "P", "same shape"),
    (
        "P negative",
        lambda: cross_entropy_weight_grad(W, X, [1.0, -1.0, 1.0]),
        ValueError,
        "P",
        "nonnegative",
    ),
]


@pytest.mark.parametrize(
    ("call", "exc", "arg", "words"),
    [row[1:] for row in OTHER_ROWS],
    ids=[row[0] for row in OTHER_ROWS],
)
def test_other_bad_arguments_are_rejected_by_name(call, exc, arg, words):
    with pytest.raises(exc, match=rf"^{arg}\b") as info:
        call()
    assert words in str(info.value)


@pytest.mark.parametrize("name", sorted(LOGIT_FUNCTIONS))
def test_lists_ints_and_float32_are_upcast_to_float64(name):
    func = LOGIT_FUNCTIONS[name]
    reference = np.asarray(func(np.array(Z, dtype=np.float64)))
    for variant in ([1, 2, 3], np.array(Z, dtype=np.float32), tuple(Z)):
        out = np.asarray(func(variant))
        assert out.dtype == np.float64
        np.testing.assert_array_equal(out, reference)


def test_n_equals_one():
    assert softmax([5.0]).tolist() == [1.0]
    assert cross_entropy_grad([5.0], [1.0]).tolist() == [0.0]
    assert softmax_jacobian([5.0]).tolist() == [[0.0]]


@pytest.mark.parametrize("z", [[1000.0, -1000.0, 0.0], [-1000.0, -1000.0], [1e3, 1e3 - 1e-9]])
def test_extreme_logits_give_finite_results(z):
    p = np.zeros(len(z))
    p[-1] = 1.0
    for value in (softmax(z), log_softmax(z), cross_entropy_grad(z, p), softmax_jacobian(z)):
        assert np.isfinite(value).all()
    assert np.isfinite(cross_entropy(z, p))
