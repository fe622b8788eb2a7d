r"""Numerically stable softmax, log-softmax, log-sum-exp and cross-entropy.

Every function here shifts by the maximum before exponentiating, so no intermediate value
overflows: :math:`\operatorname{softmax}` and :math:`\log\operatorname{softmax}` are unchanged by
adding a constant to every logit, and :math:`\operatorname{logsumexp}(z + c) =
\operatorname{logsumexp}(z) + c` lets the shift be added back exactly.

Logits may be ``-inf``, the usual way to mask a class out: its probability is exactly 0, its
log-probability ``-inf``, and with a target of 0 it adds nothing to the loss (a positive target
on a masked class is an error, and so is a slice with every logit masked). NaN and ``+inf`` are
refused.

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


def _logits(z: ArrayLike, axis: int, ndim: tuple[int, ...] | None = None) -> tuple[np.ndarray, int]:
    """Validated logits (``-inf`` allowed) and the axis as a nonnegative int."""
    arr = as_array(z, "z", ndim=ndim, allow_neginf=True)
    return arr, check_axis(axis, arr.ndim)


def _shift(z: np.ndarray, axis: int, *, empty_ok: bool = False) -> np.ndarray:
    """The per-slice maximum of the real part, kept as a broadcastable array.

    A slice whose logits are all ``-inf`` has no maximum to shift by: an error unless
    `empty_ok` (log-sum-exp of nothing is exactly ``-inf``), when it is shifted by 0.
    """
    m = np.max(z.real, axis=axis, keepdims=True)
    masked = m == -np.inf
    if masked.any():
        if not empty_ok:
            where = "every logit is -inf"
            if z.ndim > 1:
                bad = tuple(int(v) for v in np.argwhere(np.squeeze(masked, axis=axis))[0])
                where = f"the slice at {bad} (along axis {axis}) is all -inf"
            msg = f"z must have a logit above -inf in every slice: {where}, so its probabilities are 0/0"
            raise ValueError(msg)
        m = np.where(masked, 0.0, m)
    return m


def _minus(z: np.ndarray, m: np.ndarray) -> np.ndarray:
    """``z - m`` where a difference below the most negative float stays finite for finite z.

    Logits 1e308 apart differ by more than the largest float; the difference would overflow to
    ``-inf``, the value reserved for a masked logit (probability exactly 0).
    """
    with np.errstate(over="ignore"):
        out = z - m
    clipped = np.isneginf(out.real) & np.isfinite(z.real)
    if clipped.any():
        lowest = np.finfo(np.float64).min
        out = np.where(clipped, lowest + 1j * out.imag if np.iscomplexobj(out) else lowest, out)
    return out


def logsumexp(z: ArrayLike, axis: int = -1) -> np.ndarray | float:
    r"""Log of the sum of exponentials along `axis`, without overflow.

    Parameters
    ----------
    z : array_like
        Logits, real or complex, at least 1-D, finite or ``-inf``.
    axis : int
        The axis summed over.

    Returns
    -------
    float or numpy.ndarray
        :math:`\log \sum_k e^{z_k}`; a scalar for 1-D input; ``-inf`` for a slice whose logits
        are all ``-inf`` (the log of an empty sum).

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
    arr, ax = _logits(z, axis)
    m = _shift(arr, ax, empty_ok=True)
    with np.errstate(divide="ignore"):  # log 0 = -inf for an all-masked slice, exactly
        out = np.squeeze(m, axis=ax) + np.log(np.sum(np.exp(_minus(arr, m)), axis=ax))
    return out[()] if out.ndim == 0 else out


def log_softmax(z: ArrayLike, axis: int = -1) -> np.ndarray:
    r"""Logarithm of the softmax along `axis`: :math:`z_i - \operatorname{logsumexp}(z)`.

    Parameters
    ----------
    z : array_like
        Logits, real or complex, at least 1-D, finite or ``-inf``.
    axis : int
        The axis the probabilities are normalised over.

    Returns
    -------
    numpy.ndarray
        Same shape as `z`; at most 0 for real input. The entry of a finite logit is finite,
        even where the softmax itself underflows to 0; where the exact value lies below the
        most negative float (logits more than about 1.8e308 apart) it is that float,
        -1.797e308. The entry of a ``-inf`` logit is ``-inf``.

    Examples
    --------
    >>> import numpy as np
    >>> print(log_softmax([0.0, 800.0]))
    [-800.    0.]
    >>> print(log_softmax([0.0, -np.inf]))
    [  0. -inf]
    """
    arr, ax = _logits(z, axis)
    shifted = _minus(arr, _shift(arr, ax))
    return shifted - np.log(np.sum(np.exp(shifted), axis=ax, keepdims=True))


def softmax(z: ArrayLike, axis: int = -1) -> np.ndarray:
    r"""Softmax along `axis`: :math:`q_i = e^{z_i} / \sum_k e^{z_k}`.

    Parameters
    ----------
    z : array_like
        Logits, real or complex, at least 1-D, finite or ``-inf`` (probability exactly 0).
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
    >>> print(softmax([0.0, 0.0, -np.inf]))
    [0.5 0.5 0. ]
    """
    arr, ax = _logits(z, axis)
    e = np.exp(_minus(arr, _shift(arr, ax)))
    return e / np.sum(e, axis=ax, keepdims=True)


def cross_entropy(z: ArrayLike, p: ArrayLike) -> float | complex:
    r"""Cross-entropy of targets `p` against ``softmax(z)`` over the last axis.

    Parameters
    ----------
    z : array_like, shape (n,) or (N, n)
        Logits (real or complex), one row per example; ``-inf`` masks a class out.
    p : array_like, same shape as `z`
        Nonnegative targets. They need not sum to 1; zeros are allowed and contribute nothing.
        A masked class (logit ``-inf``) must have target 0.

    Returns
    -------
    float
        :math:`J = -\sum_i p_i \log \operatorname{softmax}(z)_i`; for a batch, the mean of the
        rows' losses. Complex when `z` is complex.

    Notes
    -----
    Uses :func:`log_softmax`, so :math:`\log q_i` is finite even where :math:`q_i` underflows,
    and only the terms with a positive target are summed: a target of 0 contributes exactly 0,
    never ``0 * inf = nan`` (a masked class, or logits too far apart for their difference to be
    a float).

    Examples
    --------
    >>> print(round(cross_entropy([1.0, 2.0, 3.0], [0.2, 0.3, 0.5]), 6))
    1.107606
    >>> print(cross_entropy([0.0, 800.0], [1.0, 0.0]))
    800.0
    >>> print(cross_entropy([1e308, -1e308], [1.0, 0.0]))
    0.0
    """
    arr = as_array(z, "z", ndim=(1, 2), allow_neginf=True)
    targets = as_targets(p, arr)
    # Select before multiplying: 0 * (-inf) would be NaN (and a warning) even if discarded.
    terms = targets * np.where(targets > 0, log_softmax(arr, axis=-1), 0.0)
    per_row = 0.0 - np.sum(terms, axis=-1)  # a loss of exactly 0 prints as 0.0, not -0.0
    out = per_row if arr.ndim == 1 else np.mean(per_row)
    return out[()]
