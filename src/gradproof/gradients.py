r"""Closed-form derivatives of softmax and cross-entropy, each derived in its docstring.

Notation (used across the site): logits :math:`z \in \mathbb{R}^n`, probabilities
:math:`q = \operatorname{softmax}(z)`, nonnegative targets :math:`p` (not necessarily summing to
one), loss :math:`J = -\sum_i p_i \log q_i`. For the linear layer of the weight-matrix page,
:math:`z = W x` with :math:`W` of shape (K, D) and row :math:`w_k`.

All of these are checked against finite differences and complex steps in the test suite and on the
site; none forms an :math:`n \times n` matrix unless the matrix is what it returns.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from gradproof._validation import as_array, as_targets
from gradproof.functions import softmax

__all__ = [
    "cross_entropy_grad",
    "cross_entropy_weight_grad",
    "softmax_jacobian",
    "softmax_vjp",
    "softmax_weight_jacobian",
]


def cross_entropy_grad(z: ArrayLike, p: ArrayLike) -> np.ndarray:
    r"""Gradient of :func:`gradproof.functions.cross_entropy` with respect to the logits.

    Parameters
    ----------
    z : array_like, shape (n,) or (N, n)
        Logits; ``-inf`` masks a class out.
    p : array_like, same shape as `z`
        Nonnegative targets, 0 on masked classes.

    Returns
    -------
    numpy.ndarray
        :math:`(\textstyle\sum_k p_k)\, q - p` per row; for a batch, divided by N because the
        batch loss is the mean of the rows' losses. A masked class gets exactly 0.

    Notes
    -----
    Write :math:`\log q_j = z_j - \log \sum_k e^{z_k}`, so

    .. math::

        J = -\sum_j p_j z_j + \Big(\sum_j p_j\Big) \log \sum_k e^{z_k},
        \qquad
        \frac{\partial J}{\partial z_i} = -p_i + \Big(\sum_j p_j\Big) q_i .

    The familiar :math:`q - p` is the special case :math:`\sum_j p_j = 1`. The components sum to
    :math:`(\sum p)(\sum q) - \sum p = 0`: moving every logit together changes nothing.

    Examples
    --------
    >>> import numpy as np
    >>> z, p = [1.0, 2.0, 3.0], [0.2, 0.3, 0.5]
    >>> print(np.round(cross_entropy_grad(z, p), 4))
    [-0.11   -0.0553  0.1652]
    >>> print(np.round(cross_entropy_grad(z, [0.0, 0.0, 2.0]), 4))
    [ 0.1801  0.4895 -0.6695]
    """
    arr = as_array(z, "z", ndim=(1, 2), allow_neginf=True)
    targets = as_targets(p, arr)
    grad = np.sum(targets, axis=-1, keepdims=True) * softmax(arr, axis=-1) - targets
    return grad if arr.ndim == 1 else grad / arr.shape[0]


def softmax_jacobian(z: ArrayLike) -> np.ndarray:
    r"""Jacobian of the softmax, :math:`\partial q_i / \partial z_j = q_i(\delta_{ij} - q_j)`.

    Parameters
    ----------
    z : array_like, shape (n,) or (..., n)
        Logits; leading axes are a batch.

    Returns
    -------
    numpy.ndarray, shape (n, n) or (..., n, n)
        :math:`\operatorname{diag}(q) - q q^\top`: symmetric, positive semidefinite, with the
        all-ones vector in its null space.

    Notes
    -----
    From :math:`q_i = e^{z_i}/S` with :math:`S = \sum_k e^{z_k}` and :math:`\partial S/\partial
    z_j = e^{z_j}`, the quotient rule gives :math:`(\delta_{ij} e^{z_i} S - e^{z_i}
    e^{z_j})/S^2 = q_i \delta_{ij} - q_i q_j`.

    Examples
    --------
    >>> import numpy as np
    >>> jac = softmax_jacobian([0.0, 0.0])
    >>> print(jac)
    [[ 0.25 -0.25]
     [-0.25  0.25]]
    >>> print(np.allclose(jac @ np.ones(2), 0.0))
    True
    """
    q = softmax(z, axis=-1)
    return q[..., :, None] * np.eye(q.shape[-1]) - q[..., :, None] * q[..., None, :]


def softmax_vjp(z: ArrayLike, g: ArrayLike) -> np.ndarray:
    r"""Vector-Jacobian product :math:`g^\top \partial q/\partial z` in O(n) memory and time.

    Parameters
    ----------
    z : array_like, shape (n,) or (..., n)
        Logits.
    g : array_like, same shape as `z`
        Upstream gradient :math:`\partial L/\partial q`.

    Returns
    -------
    numpy.ndarray
        :math:`\partial L/\partial z = s - (\mathbf{1}^\top s)\, q` with :math:`s = q \odot g`.

    Notes
    -----
    :math:`\sum_j g_j\, q_j(\delta_{ji} - q_i) = q_i g_i - q_i \sum_j q_j g_j`. The sum multiplies
    :math:`q_i`; subtracting the bare scalar :math:`\sum_j s_j` from every component (a reading
    that broadcasting makes easy to type) is a different, wrong vector.

    Examples
    --------
    >>> import numpy as np
    >>> z, g = np.array([1.0, 2.0, 3.0]), np.array([1.0, -1.0, 0.5])
    >>> print(np.allclose(softmax_vjp(z, g), g @ softmax_jacobian(z)))
    True
    """
    q = softmax(z, axis=-1)
    upstream = as_array(g, "g")
    if upstream.shape != q.shape:
        msg = f"g must have the same shape as z {q.shape}, got {upstream.shape}"
        raise ValueError(msg)
    s = q * upstream
    return s - np.sum(s, axis=-1, keepdims=True) * q


def _weight_and_input(W: ArrayLike, x: ArrayLike, x_name: str) -> tuple[np.ndarray, np.ndarray]:
    weights = as_array(W, "W", ndim=(2,))
    data = as_array(x, x_name, ndim=(1, 2))
    if data.shape[-1] != weights.shape[1]:
        msg = (
            f"{x_name} must have {weights.shape[1]} features (the columns of W, shape "
            f"{weights.shape}), got shape {data.shape}"
        )
        raise ValueError(msg)
    return weights, data


def softmax_weight_jacobian(W: ArrayLike, x: ArrayLike) -> np.ndarray:
    r"""Derivative of :math:`q = \operatorname{softmax}(W x)` with respect to the weights.

    Parameters
    ----------
    W : array_like, shape (K, D)
        Weight matrix; row :math:`w_k` produces logit :math:`z_k = w_k^\top x`.
    x : array_like, shape (D,)
        One input.

    Returns
    -------
    numpy.ndarray, shape (K, K, D)
        Entry ``[j, i, d]`` is :math:`\partial q_j / \partial W_{id} = q_j(\delta_{ij} - q_i)\,
        x_d`.

    Notes
    -----
    :math:`W_{id}` enters only :math:`z_i`, with :math:`\partial z_i/\partial W_{id} = x_d`, so
    the chain rule leaves one term of the sum over logits:
    :math:`\partial q_j/\partial W_{id} = (\partial q_j/\partial z_i)\, x_d`. The derivative is a
    (K, K, D) array, not a single matrix: treating all rows :math:`w_d` as one variable computes
    :math:`\sum_i \partial q_j/\partial w_i = q_j (1 - \sum_i q_i) x = 0` instead.

    Examples
    --------
    >>> import numpy as np
    >>> jac = softmax_weight_jacobian(np.zeros((2, 3)), [1.0, 2.0, 3.0])
    >>> jac.shape
    (2, 2, 3)
    >>> print(jac[0, 0])
    [0.25 0.5  0.75]
    >>> print(np.allclose(jac.sum(axis=1), 0.0))
    True
    """
    weights, data = _weight_and_input(W, x, "x")
    if data.ndim != 1:
        msg = f"x must be 1-D (one input), got shape {data.shape}"
        raise ValueError(msg)
    return softmax_jacobian(weights @ data)[:, :, None] * data


def cross_entropy_weight_grad(W: ArrayLike, X: ArrayLike, P: ArrayLike) -> np.ndarray:
    r"""Gradient of the mean cross-entropy of ``softmax(X @ W.T)`` against `P`, in `W`.

    Parameters
    ----------
    W : array_like, shape (K, D)
        Weight matrix.
    X : array_like, shape (N, D) or (D,)
        Inputs, one row each.
    P : array_like, shape (N, K) or (K,)
        Nonnegative targets matching the rows of `X`.

    Returns
    -------
    numpy.ndarray, shape (K, D)
        :math:`G^\top X` where :math:`G` is :func:`cross_entropy_grad` of the logits
        :math:`Z = X W^\top`; for distributions :math:`P` this is :math:`(Q - P)^\top X / N`.

    Notes
    -----
    By the chain rule through :math:`z_{nk} = \sum_d W_{kd} X_{nd}`,
    :math:`\partial J/\partial W_{kd} = \sum_n (\partial J/\partial z_{nk}) X_{nd}`.

    Examples
    --------
    >>> import numpy as np
    >>> W = np.zeros((3, 2))
    >>> grad = cross_entropy_weight_grad(W, [[1.0, 2.0]], [[1.0, 0.0, 0.0]])
    >>> print(np.round(grad, 4))
    [[-0.6667 -1.3333]
     [ 0.3333  0.6667]
     [ 0.3333  0.6667]]
    """
    weights, data = _weight_and_input(W, X, "X")
    logits = data @ weights.T
    targets = as_targets(P, logits, "P")
    grad_logits = cross_entropy_grad(logits, targets)
    if data.ndim == 1:
        return np.outer(grad_logits, data)
    return grad_logits.T @ data
