"""Library mutants: wrong formulas in ``gradproof.functions`` and ``gradproof.gradients``.

The threads' own mistakes (seeds 000-004) and the classic slips of a softmax implementation,
each killed by the unit tests, the doctests or the input contract.
"""

from __future__ import annotations

from mutants.checks import (
    CONTRACT,
    DOCTEST_GRADIENTS,
    PAGE_STABLE_DOCTESTS,
    UNIT_FUNCTIONS,
    UNIT_GRADIENTS,
)
from mutants.harness import Mutant

GRADIENTS = "src/gradproof/gradients.py"
FUNCTIONS = "src/gradproof/functions.py"
_GRAD_LINE = "grad = np.sum(targets, axis=-1, keepdims=True) * softmax(arr, axis=-1) - targets"
_VJP_LINE = "return s - np.sum(s, axis=-1, keepdims=True) * q"
_WEIGHT_JAC = "return softmax_jacobian(weights @ data)[:, :, None] * data"

MUTANTS: tuple[Mutant, ...] = (
    Mutant(
        "000-minus-p-plus-pq",
        GRADIENTS,
        _GRAD_LINE,
        "grad = -targets + targets * softmax(arr, axis=-1)",
        "seed 000: -p + p*q, the chain rule applied only to the i-th term",
        UNIT_GRADIENTS,
    ),
    Mutant(
        "001-sum-pq-minus-p",
        GRADIENTS,
        _GRAD_LINE,
        "grad = np.sum(targets * softmax(arr, axis=-1), axis=-1, keepdims=True) - targets",
        "seed 001: (sum p*q) - p, the index of q summed away",
        UNIT_GRADIENTS,
    ),
    Mutant(
        "sign-flip",
        GRADIENTS,
        _GRAD_LINE,
        "grad = targets - np.sum(targets, axis=-1, keepdims=True) * softmax(arr, axis=-1)",
        "p - q: the gradient of the log-likelihood, not of the loss",
        UNIT_GRADIENTS,
    ),
    Mutant(
        "dropped-sum-p",
        GRADIENTS,
        _GRAD_LINE,
        "grad = softmax(arr, axis=-1) - targets",
        "q - p for targets that do not sum to 1 (the factor sum(p) dropped)",
        DOCTEST_GRADIENTS,
    ),
    Mutant(
        "batch-not-divided-by-N",
        GRADIENTS,
        "return grad if arr.ndim == 1 else grad / arr.shape[0]",
        "return grad",
        "batch gradient of a mean loss without the 1/N",
        UNIT_GRADIENTS,
    ),
    Mutant(
        "weight-jacobian-x-side",
        GRADIENTS,
        _WEIGHT_JAC,
        "return softmax_jacobian(weights @ data)[:, :, None] * weights",
        "dz_i/dW_id taken as W_id (the x-side derivative) instead of x_d; swapping j and i "
        "would be no mutant at all, since dq/dz is symmetric",
        UNIT_GRADIENTS,
    ),
    Mutant(
        "weight-jacobian-rows-summed",
        GRADIENTS,
        _WEIGHT_JAC,
        "return softmax_jacobian(weights @ data).sum(axis=1, keepdims=True) * data",
        "seed 003: all rows w_i treated as one variable, which sums the Jacobian to 0",
        UNIT_GRADIENTS,
    ),
    Mutant(
        "004-vjp-broadcast",
        GRADIENTS,
        _VJP_LINE,
        "return s - np.sum(s, axis=-1, keepdims=True)",
        "seed 004: s - sum(s), the scalar broadcast instead of scaling q (VJP missing q)",
        UNIT_GRADIENTS,
    ),
    Mutant(
        "vjp-s-missing-q",
        GRADIENTS,
        "s = q * upstream",
        "s = upstream",
        "s = g instead of q*g: the diagonal term of the Jacobian loses its q",
        UNIT_GRADIENTS,
    ),
    Mutant(
        "jacobian-elementwise",
        GRADIENTS,
        "- q[..., :, None] * q[..., None, :]",
        "- q[..., :, None] ** 2 * np.eye(q.shape[-1])",
        "diag(q) - q**2 elementwise: the off-diagonal -q_i q_j dropped",
        DOCTEST_GRADIENTS,
    ),
    Mutant(
        "no-max-shift",
        FUNCTIONS,
        "e = np.exp(_minus(arr, _shift(arr, ax)))",
        "e = np.exp(arr)",
        "softmax without the max shift: exp(1000) overflows",
        PAGE_STABLE_DOCTESTS,
    ),
    Mutant(
        "log-softmax-sign",
        FUNCTIONS,
        "return shifted - np.log(np.sum(np.exp(shifted), axis=ax, keepdims=True))",
        "return shifted + np.log(np.sum(np.exp(shifted), axis=ax, keepdims=True))",
        "log q = z + logsumexp(z): the normaliser's sign",
        UNIT_FUNCTIONS,
    ),
    Mutant(
        "logsumexp-shift-not-added-back",
        FUNCTIONS,
        "out = np.squeeze(m, axis=ax) + np.log(np.sum(np.exp(_minus(arr, m)), axis=ax))",
        "out = np.log(np.sum(np.exp(_minus(arr, m)), axis=ax))",
        "log-sum-exp of the shifted logits, the max never added back",
        UNIT_FUNCTIONS,
    ),
    Mutant(
        "batch-loss-sum-not-mean",
        FUNCTIONS,
        "out = per_row if arr.ndim == 1 else np.mean(per_row)",
        "out = per_row if arr.ndim == 1 else np.sum(per_row)",
        "batch loss summed while its gradient is the mean's",
        UNIT_FUNCTIONS,
    ),
    Mutant(
        "vjp-sum-over-batch",
        GRADIENTS,
        _VJP_LINE,
        "return s - np.sum(s) * q",
        "batch VJP whose sum runs over every row, not within each row",
        CONTRACT,
    ),
    Mutant(
        "shift-by-batch-max",
        FUNCTIONS,
        "np.max(z.real, axis=axis, keepdims=True)",
        "np.max(z.real, keepdims=True)",
        "one max over the whole batch: rows 2000 below it underflow to 0/0",
        CONTRACT,
    ),
)

# Swapping j and i in the weight Jacobian changes nothing (dq/dz is symmetric): a correct
# harness must report this one as a survivor. tests/test_mutants.py uses it.
EQUIVALENT = Mutant(
    "equivalent-j-i-swap",
    GRADIENTS,
    _WEIGHT_JAC,
    "return softmax_jacobian(weights @ data).swapaxes(0, 1)[:, :, None] * data",
    "not a bug: the softmax Jacobian is symmetric",
    UNIT_GRADIENTS,
)
