r"""Numerically stable softmax, log-softmax, log-sum-exp and cross-entropy.

Every function here shifts by the maximum before exponentiating, so no intermediate value
overflows: :math:`\operatorname{softmax}` and :math:`\log\operatorname{softmax}` are unchanged by
adding a constant to every logit, and :math:`\operatorname{logsumexp}(z + c) =
\operatorname{logsumexp}(z) + c` lets the shift be added back exactly.

Logits may be complex. That is not for modelling; it lets the complex-step method of
:mod:`gradproof.check` differentiate these functions to machine precision. For complex input the
shift is the maximum of the *real* parts (comparing complex numbers is not defined, and a real
shift keeps every step analytic). See :mod:`gradproof._validation` for the input contract.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from gradproof._validation import as_array, as_targets, check_axis

__all__ = ["cross_entropy", "log_softmax", "logsumexp", "softmax"]


def _shift(z: np.ndarray, axis: int) -> np.ndarray:
    """The per-slice maximum of the real part, kept as a broadcastable array."""
    return np.max(z.real, axis=axis, keepdims=True)


def logsumexp(z: ArrayLike, axis: int = -1) -> np.ndarray | float:
    r"""Log of the sum of exponentials along `axis`, without overflow.

    Parameters
    ----------
    z : array_like
        Logits, real or complex, at least 1-D, finite.
    axis : int
        The axis summed over.

    Returns
    -------
    float or numpy.ndarray
        :math:`\log \sum_k e^{z_k}`; a scalar for 1-D input.

    Notes
    -----
    With :math:`m = \max_k \operatorname{Re} z_k`,

    .. math:: \operatorname{logsumexp}(z) = m + \log \sum_k e^{z_k - m},

    where every exponent has real part at most 0 and the largest term is 1, so the sum lies in
    :math:`[1, n]` and neither overflows nor underflows to zero (Blanchard, Higham and Higham,
    "Accurately computing the log-sum-exp and softmax functions", IMA J. Numer. Anal. 41, 2021).

    Examples
    --------
    The naive formula overflows where the shifted one does not:

    >>> import numpy as np
    >>> with np.errstate(over="ignore"):
    ...     print(np.log(np.sum(np.exp([1000.0, 1.0]))))
    inf
    >>> print(logsumexp([1000.0, 1.0]))
    1000.0
    >>> print(round(logsumexp([1.0, 2.0, 3.0]), 12))
    3.407605964444
    """
    arr = as_array(z, "z")
    ax = check_axis(axis, arr.ndim)
    m = _shift(arr, ax)
    out = np.squeeze(m, axis=ax) + np.log(np.sum(np.exp(arr - m), axis=ax))
    return out[()] if out.ndim == 0 else out


def log_softmax(z: ArrayLike, axis: int = -1) -> np.ndarray:
    r"""Logarithm of the softmax along `axis`: :math:`z_i - \operatorname{logsumexp}(z)`.

    Parameters
    ----------
    z : array_like
        Logits, real or complex, at least 1-D, finite.
    axis : int
        The axis the probabilities are normalised over.

    Returns
    -------
    numpy.ndarray
        Same shape as `z`; every entry is finite (at most 0 for real input), even where the
        softmax itself underflows to 0.

    Examples
    --------
    >>> print(log_softmax([0.0, 800.0]))
    [-800.    0.]
    """
    arr = as_array(z, "z")
    ax = check_axis(axis, arr.ndim)
    m = _shift(arr, ax)
    shifted = arr - m
    return shifted - np.log(np.sum(np.exp(shifted), axis=ax, keepdims=True))


def softmax(z: ArrayLike, axis: int = -1) -> np.ndarray:
    r"""Softmax along `axis`: :math:`q_i = e^{z_i} / \sum_k e^{z_k}`.

    Parameters
    ----------
    z : array_like
        Logits, real or complex, at least 1-D, finite.
    axis : int
        The axis the probabilities are normalised over.

    Returns
    -------
    numpy.ndarray
        Same shape as `z`; for real input, nonnegative entries summing to 1 along `axis`.

    Notes
    -----
    Computed as :math:`e^{z_i - m} / \sum_k e^{z_k - m}` with :math:`m = \max_k z_k`; the shift
    cancels between numerator and denominator, and the denominator is at least 1.

    Examples
    --------
    >>> import numpy as np
    >>> print(np.round(softmax([1.0, 2.0, 3.0]), 4))
    [0.09   0.2447 0.6652]
    >>> print(softmax([0.0, 1000.0]))
    [0. 1.]
    """
    arr = as_array(z, "z")
    ax = check_axis(axis, arr.ndim)
    e = np.exp(arr - _shift(arr, ax))
    return e / np.sum(e, axis=ax, keepdims=True)


def cross_entropy(z: ArrayLike, p: ArrayLike) -> float | complex:
    r"""Cross-entropy of targets `p` against ``softmax(z)`` over the last axis.

    Parameters
    ----------
    z : array_like, shape (n,) or (N, n)
        Logits (real or complex), one row per example.
    p : array_like, same shape as `z`
        Nonnegative targets. They need not sum to 1; zeros are allowed and contribute nothing.

    Returns
    -------
    float
        :math:`J = -\sum_i p_i \log \operatorname{softmax}(z)_i`; for a batch, the mean of the
        rows' losses. Complex when `z` is complex.

    Notes
    -----
    Uses :func:`log_softmax`, so :math:`\log q_i` is finite even where :math:`q_i` underflows:
    a target of 0 meets a finite logarithm and contributes exactly 0, never ``0 * inf = nan``.

    Examples
    --------
    >>> print(round(cross_entropy([1.0, 2.0, 3.0], [0.2, 0.3, 0.5]), 6))
    1.107606
    >>> print(cross_entropy([0.0, 800.0], [1.0, 0.0]))
    800.0
    """
    arr = as_array(z, "z", ndim=(1, 2))
    targets = as_targets(p, arr)
    per_row = -np.sum(targets * log_softmax(arr, axis=-1), axis=-1)
    out = per_row if arr.ndim == 1 else np.mean(per_row)
    return out[()]
