"""The input contract, table-driven: every public array function rejects bad input by name.

Each row is (call, bad argument name, expected exception). A row passes only when the exception
type matches *and* the message names the argument, so a bare numpy error or a NaN result fails.
"""

from __future__ import annotations

import inspect
import tracemalloc
from collections.abc import Callable

import numpy as np
import pytest
from sympy import Derivative, Eq, Gt, Integral, Ne, Sum, Symbol

from gradproof import (
    cross_entropy,
    cross_entropy_grad,
    cross_entropy_weight_grad,
    derive,
    log_softmax,
    logsumexp,
    softmax,
    softmax_jacobian,
    softmax_vjp,
    softmax_weight_jacobian,
)
from gradproof.check import (
    check_directional,
    check_gradient,
    check_jacobian,
    check_vjp,
    numerical_gradient,
    step_sweep,
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
    ([1.0, complex(-np.inf, np.inf), 3.0], ValueError, "finite"),
    (np.ma.masked_array([1.0, 2.0, 3.0], mask=[0, 1, 0]), TypeError, "masked"),
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


@pytest.mark.parametrize("name", sorted(LOGIT_FUNCTIONS))
def test_lists_ints_and_float32_are_upcast_to_float64(name):
    func = LOGIT_FUNCTIONS[name]
    reference = np.asarray(func(np.array(Z, dtype=np.float64)))
    for variant in ([1, 2, 3], np.array(Z, dtype=np.float32), tuple(Z)):
        out = np.asarray(func(variant))
        assert out.dtype == np.float64
        np.testing.assert_array_equal(out, reference)


# ----------------------------------------------------------------------------- masked classes
# -inf is how a class is left out: probability exactly 0, log-probability -inf, and with a
# target of 0 no contribution to the loss or its gradient. Expected values are written out here.

MASKED = [0.0, np.log(3.0), -np.inf]  # the two live classes have probabilities 1/4 and 3/4


def test_minus_inf_logits_get_probability_zero():
    np.testing.assert_allclose(softmax(MASKED), [0.25, 0.75, 0.0], rtol=1e-15)
    assert log_softmax(MASKED)[2] == -np.inf
    np.testing.assert_allclose(log_softmax(MASKED)[:2], np.log([0.25, 0.75]), rtol=1e-15)
    assert logsumexp(MASKED) == pytest.approx(np.log(4.0), rel=1e-15)
    np.testing.assert_allclose(softmax_jacobian(MASKED)[2], 0.0)
    np.testing.assert_allclose(softmax_vjp(MASKED, [1.0, 2.0, 3.0])[2], 0.0)


def test_masked_class_with_zero_target_adds_nothing():
    p = [0.5, 0.5, 0.0]
    live = cross_entropy(MASKED[:2], p[:2])
    assert cross_entropy(MASKED, p) == live
    grad = cross_entropy_grad(MASKED, p)
    assert grad[2] == 0.0
    np.testing.assert_array_equal(grad[:2], cross_entropy_grad(MASKED[:2], p[:2]))
    # A batch whose rows mask different classes.
    batch = cross_entropy_grad([MASKED, MASKED[::-1]], [p, p[::-1]])
    assert batch[0, 2] == batch[1, 0] == 0.0


@pytest.mark.parametrize("call", [cross_entropy, cross_entropy_grad], ids=["loss", "grad"])
def test_positive_target_on_a_masked_class_is_refused(call):
    with pytest.raises(ValueError, match=r"^p\b") as info:
        call(MASKED, [0.2, 0.3, 0.5])
    assert "-inf" in str(info.value)
    assert "(2,)" in str(info.value)


@pytest.mark.parametrize("name", sorted(set(LOGIT_FUNCTIONS) - {"logsumexp"}))
def test_a_slice_with_every_class_masked_is_refused(name):
    # Zero targets, so that the loss functions reach the logits (a positive target on a masked
    # class is refused first, by the test above).
    zero_targets = {"cross_entropy": cross_entropy, "cross_entropy_grad": cross_entropy_grad}
    func = LOGIT_FUNCTIONS[name]
    if name in zero_targets:
        func = lambda z, g=zero_targets[name]: g(z, np.zeros(3))
    with pytest.raises(ValueError, match=r"^z\b") as info:
        func([-np.inf, -np.inf, -np.inf])
    assert "-inf" in str(info.value)


def test_logsumexp_of_every_class_masked_is_minus_inf():
    # log of an empty sum, exactly; no warning, no NaN.
    assert logsumexp([-np.inf, -np.inf]) == -np.inf
    np.testing.assert_array_equal(logsumexp([[0.0, -np.inf], [-np.inf, -np.inf]]), [0.0, -np.inf])


def test_logits_further_apart_than_the_float_range():
    # 1e308 - (-1e308) overflows; the loss of the certain class is still exactly 0, and every
    # log-probability of a finite logit stays finite (the lowest float where the true value is
    # below it), so a zero target never meets -inf.
    assert cross_entropy([1e308, -1e308], [1.0, 0.0]) == 0.0
    log_q = log_softmax([1e308, -1e308])
    assert log_q[0] == 0.0
    assert log_q[1] == np.finfo(np.float64).min
    np.testing.assert_array_equal(softmax([1e308, -1e308]), [1.0, 0.0])
    np.testing.assert_array_equal(cross_entropy_grad([1e308, -1e308], [1.0, 0.0]), [0.0, 0.0])


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


# ----------------------------------------------------------------------------- batches
# Each row of a batch is its own problem: the batch path must agree with the 1-D path row by
# row, even when the rows' logits sit 2000 apart (a shift taken over the whole batch instead of
# per row underflows whole rows to 0/0, and a VJP whose sum runs over the whole batch mixes rows;
# both survive every other test, see tools/mutants/library.py).

ROWS = np.array([[1000.0, 999.0, 998.0], [-1000.0, -1001.0, -999.0], [1e3, -1e3, 0.0]])
ROW_TARGETS = np.array([[0.2, 0.3, 0.5], [1.0, 0.0, 0.0], [0.0, 0.5, 1.5]])
ROW_UPSTREAM = np.array([[1.0, -1.0, 0.5], [0.3, 2.0, -4.0], [1.0, 1.0, 1.0]])

BATCH_FUNCTIONS: dict[str, Callable[[np.ndarray, int | slice], object]] = {
    "softmax": lambda z, _r: softmax(z),
    "log_softmax": lambda z, _r: log_softmax(z),
    "logsumexp": lambda z, _r: logsumexp(z),
    "softmax_jacobian": lambda z, _r: softmax_jacobian(z),
    "softmax_vjp": lambda z, r: softmax_vjp(z, ROW_UPSTREAM[r]),
    # The batch gradient is that of the mean loss: N times it is the per-row gradient.
    "cross_entropy_grad": lambda z, r: (
        cross_entropy_grad(z, ROW_TARGETS[r]) * (len(z) if z.ndim == 2 else 1)
    ),
}


@pytest.mark.parametrize("name", sorted(BATCH_FUNCTIONS))
def test_batch_rows_are_independent_problems(name):
    func = BATCH_FUNCTIONS[name]
    batch = np.asarray(func(ROWS, slice(None)))
    assert np.isfinite(batch).all()
    for r in range(len(ROWS)):
        np.testing.assert_allclose(batch[r], func(ROWS[r], r), rtol=1e-12, atol=1e-300)


def test_batch_loss_is_finite_when_rows_are_far_apart():
    per_row = [cross_entropy(ROWS[r], ROW_TARGETS[r]) for r in range(len(ROWS))]
    assert cross_entropy(ROWS, ROW_TARGETS) == pytest.approx(np.mean(per_row), rel=1e-12)


# ----------------------------------------------------------------------------- edge cases


def _loss(p):
    return lambda z: cross_entropy(z, p)


def _grad(p):
    return lambda z: cross_entropy_grad(z, p)


EDGE_POINTS = {
    "n = 1": ([5.0], [1.0]),
    "logits +1000": ([1000.0, 999.0, 1001.0], [0.2, 0.3, 0.5]),
    "logits -1000": ([-1000.0, -999.0, -1001.0], [0.2, 0.3, 0.5]),
    "mixed 1e3 / -1e3": ([1e3, -1e3, 0.0], [0.1, 0.2, 0.7]),
    # q underflows to exactly 0 where p is 0 (and where p is 1: the loss is 2000).
    "one-hot, zero probabilities": ([-1000.0, 1000.0, 0.0], [1.0, 0.0, 0.0]),
    "unnormalised targets": ([1.0, 2.0, 3.0], [0.0, 0.0, 2.0]),
}


def _zero_here(closed_form):
    """Whether a derivative's float64 value is exactly 0 at the point (n = 1, or a softmax
    saturated to one-hot): then no check can tell a right formula from a wrong one."""
    return not np.any(closed_form)


@pytest.mark.parametrize("case", sorted(EDGE_POINTS))
def test_edge_cases_pass_the_gradient_check_or_say_why_not(case):
    z, p = EDGE_POINTS[case]
    assert np.isfinite(cross_entropy(z, p))
    q = softmax(z)
    checks = [
        (check_gradient(_loss(p), _grad(p), z, raise_on_fail=False), _grad(p)(z)),
        (check_directional(_loss(p), _grad(p), z, raise_on_fail=False), _grad(p)(z)),
        (check_vjp(softmax, softmax_vjp, z, raise_on_fail=False), np.diag(q) - np.outer(q, q)),
        (
            check_jacobian(softmax, softmax_jacobian, z, raise_on_fail=False),
            np.diag(q) - np.outer(q, q),
        ),
    ]
    for result, closed_form in checks:
        if _zero_here(closed_form):
            assert result.verdict == "cannot tell", result.report()
            assert any("cannot be compared" in note for note in result.notes)
        else:
            assert result.ok, result.report()


def test_one_hot_gradient_by_hand():
    # After the max shift the other logits are -2000 and -1000: their exponentials underflow to
    # exactly 0, so q = (0, 1, 0) and (sum p) q - p = (0, 1, 0) - (1, 0, 0); J = -log q_1 = 2000.
    z, p = [-1000.0, 1000.0, 0.0], [1.0, 0.0, 0.0]
    np.testing.assert_array_equal(cross_entropy_grad(z, p), [-1.0, 1.0, 0.0])
    assert cross_entropy(z, p) == 2000.0


def test_n_equals_one_softmax_is_one_and_gradient_zero():
    assert softmax([[-3.0], [1e3]]).tolist() == [[1.0], [1.0]]
    assert cross_entropy_grad([[-3.0], [1e3]], [[0.5], [2.0]]).tolist() == [[0.0], [0.0]]
    assert softmax_vjp([7.0], [3.0]).tolist() == [0.0]


def test_million_logits_need_memory_linear_in_n():
    # n = 10**6: one float64 vector is 8 MB, an n x n matrix 8 TB. The peak traced allocation of
    # the VJP, the gradient and a directional check must stay within a few dozen vectors.
    n = 10**6
    rng = np.random.default_rng(6)
    z, g, p = rng.normal(size=n), rng.normal(size=n), rng.random(n)
    tracemalloc.start()
    try:
        vjp = softmax_vjp(z, g)
        grad = cross_entropy_grad(z, p)
        result = check_directional(_loss(p), _grad(p), z)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert vjp.shape == grad.shape == (n,)
    assert result.ok
    assert peak < 40 * 8 * n, f"peak {peak / 1e6:.0f} MB for n = {n}"
    # The gradient of a shift-invariant loss sums to 0 (sum(q) = 1 times sum(p), minus sum(p)).
    assert abs(grad.sum()) < 1e-8 * p.sum()


# ----------------------------------------------------------------------------- gradproof.check
# tests/test_check.py covers check_gradient's bad arguments; these rows hold every other entry
# point to the same contract.


def _entry(name: str, **kw):
    f = kw.pop("f", None)
    x = kw.pop("x", Z)
    if name == "check_jacobian":
        return check_jacobian(f or softmax, kw.pop("d", softmax_jacobian), x, **kw)
    if name == "check_vjp":
        return check_vjp(f or softmax, kw.pop("d", softmax_vjp), x, **kw)
    if name == "check_directional":
        return check_directional(f or _loss(P), kw.pop("d", _grad(P)), x, **kw)
    if name == "numerical_gradient":
        return numerical_gradient(f or _loss(P), x, **kw)
    return step_sweep(f or _loss(P), kw.pop("d", _grad(P)), x, kw.pop("steps", [1e-4]), **kw)


ENTRY_POINTS = [
    "check_jacobian",
    "check_vjp",
    "check_directional",
    "numerical_gradient",
    "step_sweep",
]
TOLERANT = {"check_jacobian", "check_vjp", "check_directional"}  # take rtol/atol/step/seed
STEPPED = TOLERANT | {"numerical_gradient"}

CHECK_ROWS = [
    ("x NaN", set(ENTRY_POINTS), {"x": [1.0, np.nan, 3.0]}, ValueError, "x", "finite"),
    ("x inf", set(ENTRY_POINTS), {"x": [1.0, -np.inf, 3.0]}, ValueError, "x", "finite"),
    ("x empty", set(ENTRY_POINTS), {"x": []}, ValueError, "x", "empty"),
    ("x complex", set(ENTRY_POINTS), {"x": [1j, 0.0, 0.0]}, TypeError, "x", "real"),
    ("f not callable", set(ENTRY_POINTS), {"f": 3.0}, TypeError, "f", "callable"),
    ("method unknown", set(ENTRY_POINTS), {"method": "secant"}, ValueError, "method", "one of"),
    ("method None", set(ENTRY_POINTS), {"method": None}, ValueError, "method", "one of"),
    ("step NaN", STEPPED, {"method": "central", "step": np.nan}, ValueError, "step", "finite"),
    ("step inf", STEPPED, {"method": "central", "step": np.inf}, ValueError, "step", "finite"),
    ("step 0", STEPPED, {"method": "central", "step": 0.0}, ValueError, "step", "> 0"),
    ("step < 0", STEPPED, {"method": "central", "step": -1e-3}, ValueError, "step", "> 0"),
    ("step text", STEPPED, {"method": "central", "step": "1e-3"}, TypeError, "step", "real"),
    ("rtol < 0", TOLERANT, {"rtol": -1e-6}, ValueError, "rtol", ">= 0"),
    ("rtol inf", TOLERANT, {"rtol": np.inf}, ValueError, "rtol", "finite"),
    ("atol NaN", TOLERANT, {"atol": np.nan}, ValueError, "atol", "finite"),
    ("atol text", TOLERANT, {"atol": "0"}, TypeError, "atol", "real"),
    ("seed < 0", STEPPED, {"seed": -1}, ValueError, "seed", "nonnegative"),
    ("rtol 10**400", TOLERANT, {"rtol": 10**400}, ValueError, "rtol", "401 digits"),
    ("atol 10**400", TOLERANT, {"atol": -(10**400)}, ValueError, "atol", "401 digits"),
    (
        "raise_on_fail text",
        TOLERANT,
        {"raise_on_fail": "no"},
        TypeError,
        "raise_on_fail",
        "True or False",
    ),
    (
        "raise_on_fail 0",
        TOLERANT,
        {"raise_on_fail": 0},
        TypeError,
        "raise_on_fail",
        "True or False",
    ),
    (
        "x masked",
        set(ENTRY_POINTS),
        {"x": np.ma.masked_array(Z, mask=[0, 1, 0])},
        TypeError,
        "x",
        "masked",
    ),
]


@pytest.mark.parametrize(
    ("entry", "kwargs", "exc", "arg", "words"),
    [(entry, *row[2:]) for row in CHECK_ROWS for entry in ENTRY_POINTS if entry in row[1]],
    ids=[f"{entry}: {row[0]}" for row in CHECK_ROWS for entry in ENTRY_POINTS if entry in row[1]],
)
def test_checkers_reject_bad_arguments_by_name(entry, kwargs, exc, arg, words):
    with pytest.raises(exc, match=rf"^{arg}\b") as info:
        _entry(entry, **kwargs)
    assert words in str(info.value)


CHECK_OTHER_ROWS = [
    ("vjp g NaN", lambda: check_vjp(softmax, softmax_vjp, Z, g=[1.0, np.nan, 0.0]), "g", "finite"),
    (
        "direction inf",
        lambda: check_directional(_loss(P), _grad(P), Z, direction=[np.inf, 0.0, 0.0]),
        "direction",
        "finite",
    ),
    ("jac not callable", lambda: _entry("check_jacobian", d=None), "jac", "callable"),
    ("grad not callable", lambda: _entry("check_directional", d=1.0), "grad", "callable"),
    ("sweep steps NaN", lambda: _entry("step_sweep", steps=[1e-3, np.nan]), "steps", "finite"),
    ("sweep steps empty", lambda: _entry("step_sweep", steps=[]), "steps", "empty"),
    ("sweep steps 2-D", lambda: _entry("step_sweep", steps=[[1e-3]]), "steps", "1-D"),
]


@pytest.mark.parametrize(
    ("call", "arg", "words"),
    [row[1:] for row in CHECK_OTHER_ROWS],
    ids=[row[0] for row in CHECK_OTHER_ROWS],
)
def test_checker_arguments_rejected_by_name(call, arg, words):
    with pytest.raises((TypeError, ValueError), match=rf"^{arg}\b") as info:
        call()
    assert words in str(info.value)


@pytest.mark.parametrize("check", [check_jacobian, check_vjp, check_directional])
def test_checkers_declare_the_options_of_check_gradient(check):
    # Each check spells its keyword-only options out (so that help() and the API page show
    # every default) instead of sharing them through **options; this keeps the copies equal.
    def options(fn):
        params = inspect.signature(fn).parameters
        return [
            (name, params[name].kind, params[name].default, params[name].annotation)
            for name in ("method", "step", "rtol", "atol", "seed", "raise_on_fail")
        ]

    assert options(check) == options(check_gradient)


@pytest.mark.parametrize("entry", ["check_jacobian", "check_vjp", "check_directional"])
def test_checkers_upcast_lists_ints_and_float32(entry):
    for x in ([1, 2, 3], np.array(Z, dtype=np.float32), tuple(Z)):
        assert _entry(entry, x=x).ok


def test_zero_direction_is_rejected():
    # Along 0 both sides of the check are 0, so even this sign-flipped gradient would pass.
    with pytest.raises(ValueError, match=r"^direction\b") as info:
        check_directional(_loss(P), lambda z: -_grad(P)(z), Z, direction=[0.0, 0.0, 0.0])
    assert "nonzero" in str(info.value)
    # The smallest nonzero direction is still a real check: the same wrong gradient fails.
    result = check_directional(
        _loss(P), lambda z: -_grad(P)(z), Z, direction=[0.0, 0.0, 1e-3], raise_on_fail=False
    )
    assert not result.ok


# ----------------------------------------------------------------------------- gradproof.derive
# tests/test_derive.py covers Step/Derivation type errors, ns=(0, 2), missing values and NaN.

GOOD_LHS = Derivative(derive.J, derive.z[derive.i])
GOOD_STEP = derive.Step(derive.q(derive.i) - derive.p[derive.i])
VALUES = {derive.z: (1.0, 2.0, 3.0), derive.p: (0.2, 0.3, 0.5)}


def _derivation(**kw):
    return derive.Derivation(GOOD_LHS, [GOOD_STEP], **kw)


def _verify(lhs, step, **kw):
    return derive.Derivation(lhs, [derive.Step(step)], **kw).verify()


DERIVE_ROWS = [
    ("ns empty", lambda: _derivation(ns=()), ValueError, "ns", "positive ints"),
    ("ns fractional", lambda: _derivation(ns=(2.5,)), ValueError, "ns", "positive ints"),
    ("ns negative", lambda: _derivation(ns=(-3,)), ValueError, "ns", "positive ints"),
    ("ns text", lambda: _derivation(ns="3"), ValueError, "ns", "positive ints"),
    ("Ds zero", lambda: _derivation(Ds=(0,)), ValueError, "Ds", "positive ints"),
    ("n_points 0", lambda: _derivation(n_points=0), ValueError, "n_points", "positive int"),
    ("lhs text", lambda: derive.Derivation("J", [GOOD_STEP]), TypeError, "lhs", "sympy"),
    (
        "Integral",
        lambda: _verify(derive.z[derive.i], Integral(derive.z[derive.i], (derive.i, 1, derive.n))),
        TypeError,
        "Integral",
        "not supported",
    ),
    (
        "derivative in n",
        lambda: _verify(Derivative(derive.J, derive.n), derive.J),
        TypeError,
        "can only differentiate",
        "entry like z[i]",
    ),
    (
        "sum limit not a dimension",
        lambda: _verify(Sum(derive.p[derive.k], (derive.k, 1, Symbol("N"))), derive.p[1]),
        ValueError,
        "sum limits",
        "not concrete",
    ),
    (
        "index outside 1..n",
        lambda: _verify(derive.z[7], derive.z[1], ns=(2,)),
        ValueError,
        "z\\[7\\]",
        "outside 1..2",
    ),
    (
        "values not a mapping",
        lambda: derive.evaluate(derive.q(derive.i), 3, [1.0, 2.0, 3.0]),
        TypeError,
        "values",
        "mapping",
    ),
    (
        "values key text",
        lambda: derive.evaluate(derive.q(derive.i), 3, {"z": (1.0, 2.0, 3.0)}),
        TypeError,
        "values keys",
        "IndexedBase",
    ),
    (
        "values inf",
        lambda: derive.evaluate(derive.q(derive.i), 3, {derive.z: (1.0, np.inf, 3.0)}),
        ValueError,
        "values\\[z\\]",
        "finite",
    ),
    (
        "order not the swept indices",
        lambda: derive.evaluate(derive.q(derive.i), 3, VALUES, order=(derive.j,)),
        ValueError,
        "order",
        "swept indices",
    ),
]


# Found by this table: each once slipped through as a bare numpy/Python error (or, for n = 0, a
# silent empty array; for complex values a dropped imaginary part).
DERIVE_FOUND_ROWS = [
    ("ns a bare int", lambda: _derivation(ns=3), TypeError, "ns", "sequence of positive ints"),
    ("ns None", lambda: _derivation(ns=None), TypeError, "ns", "sequence of positive ints"),
    ("ns booleans", lambda: _derivation(ns=(True,)), ValueError, "ns", "positive ints"),
    ("seed negative", lambda: _derivation(seed=-1).verify(), ValueError, "seed", "nonnegative"),
    ("seed text", lambda: _derivation(seed="0"), TypeError, "seed", "nonnegative int"),
    (
        "evaluate n = 0",
        lambda: derive.evaluate(derive.q(derive.i), 0, VALUES),
        ValueError,
        "n",
        "positive int",
    ),
    (
        "evaluate n fractional",
        lambda: derive.evaluate(derive.q(derive.i), 2.5, VALUES),
        TypeError,
        "n",
        "positive int",
    ),
    (
        "evaluate D = 0",
        lambda: derive.evaluate(derive.q(derive.i), 3, VALUES, D=0),
        ValueError,
        "D",
        "positive int",
    ),
    ("evaluate expr text", lambda: derive.evaluate("q_i", 3, VALUES), TypeError, "expr", "sympy"),
    (
        "evaluate complex values",
        lambda: derive.evaluate(derive.q(derive.i), 3, {derive.z: (1j, 2.0, 3.0)}),
        TypeError,
        "values",
        "values[z] must be real",
    ),
    (
        "evaluate text values",
        lambda: derive.evaluate(derive.q(derive.i), 3, {derive.z: ("1", "2", "3")}),
        TypeError,
        "values",
        "values[z] must be numeric",
    ),
    # Issue 14, item 12 (derive half): each once crashed from deep inside or passed silently.
    (
        "steps a bare int",
        lambda: derive.Derivation(derive.J, 5),
        TypeError,
        "steps",
        "got int",
    ),
    (
        "where a string",
        lambda: _derivation(where="i != j"),
        TypeError,
        "where",
        "got the string 'i != j'",
    ),
    (
        "where names a bound index",
        lambda: _derivation(where=Ne(derive.j, derive.i)),
        ValueError,
        "where",
        "j, which is not a free index",
    ),
    (
        "where excludes every setting",
        lambda: _derivation(where=Gt(derive.i, 5)).verify(),
        ValueError,
        "where",
        "excludes every setting",
    ),
    (
        "assume outside the domain",
        lambda: _derivation(
            assume=Eq(Sum(derive.p[derive.k], (derive.k, 1, derive.n)), -1)
        ).verify(),
        ValueError,
        "assume",
        "no point",
    ),
    (
        "ns too large for memory",
        lambda: _derivation(ns=(10**6,)),
        ValueError,
        "ns",
        "at most 64",
    ),
    (
        "settings too many",
        lambda: derive.Derivation(
            derive.q(derive.i) * derive.q(derive.j) * derive.q(derive.k) * derive.q(derive.m),
            [
                derive.Step(
                    derive.q(derive.i)
                    * derive.q(derive.j)
                    * derive.q(derive.k)
                    * derive.q(derive.m)
                )
            ],
            ns=tuple(range(2, 20)),
        ),
        ValueError,
        "ns",
        "the limit is 20000",
    ),
    (
        "linear_layer not a bool",
        lambda: _derivation(linear_layer="yes"),
        TypeError,
        "linear_layer",
        "bool",
    ),
    (
        "evaluate index value fractional",
        lambda: derive.evaluate(derive.q(derive.i), 3, VALUES, free={derive.i: 1.5}),
        TypeError,
        "free",
        "free[i] must be an int",
    ),
    (
        "evaluate index value out of range",
        lambda: derive.evaluate(derive.q(derive.i), 3, VALUES, free={derive.i: 4}),
        ValueError,
        "free",
        "free[i] must be in 1..3; got 4",
    ),
    (
        "evaluate index key a string",
        lambda: derive.evaluate(derive.q(derive.i), 3, VALUES, free={"i": 1}),
        TypeError,
        "free",
        "index symbols",
    ),
    (
        "evaluate index not free",
        lambda: derive.evaluate(derive.q(derive.i), 3, VALUES, free={derive.j: 1}),
        ValueError,
        "free",
        "not a free index",
    ),
    (
        "evaluate too many values",
        lambda: derive.evaluate(derive.q(derive.i), 3, {derive.z: (1.0, 2.0, 3.0, 4.0)}),
        ValueError,
        "values",
        "values[z] must have shape (3,)",
    ),
    (
        "sum_ne given the dimension as its index",
        lambda: derive.sum_ne(derive.p[derive.k], derive.n, derive.i),
        ValueError,
        "idx",
        "not the dimension n",
    ),
    (
        "sum_ne compared with the dimension",
        lambda: derive.sum_ne(derive.p[derive.k], derive.k, derive.n),
        ValueError,
        "other",
        "not the dimension n",
    ),
    (
        "index on an axis of another dimension",
        lambda: _verify(
            derive.W[derive.d, derive.i], derive.W[derive.d, derive.i], linear_layer=True
        ),
        ValueError,
        "index d",
        "axis 1 of W, which ranges over 1..n",
    ),
]


# Every table of bad arguments but the logits' and the checkers' (which take their own
# parameters): the error names the argument first, and says what was expected. An argument
# is a regular expression (values\[z\]): (?!\w) ends its name where \b could not, after "]".
BY_NAME_ROWS = OTHER_ROWS + DERIVE_ROWS + DERIVE_FOUND_ROWS


@pytest.mark.parametrize(
    ("call", "exc", "arg", "words"),
    [row[1:] for row in BY_NAME_ROWS],
    ids=[row[0] for row in BY_NAME_ROWS],
)
def test_bad_arguments_are_rejected_by_name(call, exc, arg, words):
    with pytest.raises(exc, match=rf"^{arg}(?!\w)") as info:
        call()
    assert words in str(info.value)
