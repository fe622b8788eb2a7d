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
    Symbolic verification of each step of a derivation (a package; the notation derivations
    are written in is ``gradproof.derive.notation``).
display
    What the pages show of the checks: derivations with their marks, tables, figures and
    "what was checked" summaries.
examples
    The running example that every page computes with: z = (1, 2, 3), p = (0.2, 0.3, 0.5).
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
