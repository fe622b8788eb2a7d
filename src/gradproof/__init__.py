"""gradproof: checked derivations of the softmax and cross-entropy gradients.

Modules
-------
functions
    Stable softmax, log-softmax, log-sum-exp and cross-entropy.
gradients
    Closed-form gradients, Jacobians and vector-Jacobian products.
check
    Numerical gradient checking (complex step, central difference, Richardson).
derive
    Symbolic verification of each step of a derivation.
display
    Tables and "what was checked" summaries that the pages render from the check objects.
"""

from gradproof.functions import cross_entropy, log_softmax, logsumexp, softmax
from gradproof.gradients import (
    cross_entropy_grad,
    cross_entropy_weight_grad,
    softmax_jacobian,
    softmax_vjp,
    softmax_weight_jacobian,
)

__all__ = [
    "cross_entropy",
    "cross_entropy_grad",
    "cross_entropy_weight_grad",
    "log_softmax",
    "logsumexp",
    "softmax",
    "softmax_jacobian",
    "softmax_vjp",
    "softmax_weight_jacobian",
]
__version__ = "0.1.0"
