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
latex
    Derivations written in LaTeX, read into :mod:`gradproof.derive` and checked.
display
    What the pages show of the checks: derivations with their marks, tables, figures and
    "what was checked" summaries.
examples
    The running example that every page computes with: z = (1, 2, 3), p = (0.2, 0.3, 0.5).

The names below are imported on first use (PEP 562), so ``import gradproof.latex`` does not
import NumPy through this package: the reader must run where NumPy is not installed.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "cross_entropy": "gradproof.functions",
    "log_softmax": "gradproof.functions",
    "logsumexp": "gradproof.functions",
    "softmax": "gradproof.functions",
    "cross_entropy_grad": "gradproof.gradients",
    "cross_entropy_weight_grad": "gradproof.gradients",
    "softmax_jacobian": "gradproof.gradients",
    "softmax_vjp": "gradproof.gradients",
    "softmax_weight_jacobian": "gradproof.gradients",
}

__all__ = [  # noqa: RUF022  (the order of _EXPORTS: by module)
    "cross_entropy",
    "log_softmax",
    "logsumexp",
    "softmax",
    "cross_entropy_grad",
    "cross_entropy_weight_grad",
    "softmax_jacobian",
    "softmax_vjp",
    "softmax_weight_jacobian",
]
__version__ = "0.1.0"


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        msg = f"module 'gradproof' has no attribute {name!r}"
        raise AttributeError(msg)
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value  # later look-ups skip this function
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_EXPORTS])
