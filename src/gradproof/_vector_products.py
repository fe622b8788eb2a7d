r"""A Jacobian contracted with one vector, checked as a single derivative.

:func:`gradproof.check.check_vjp` and :func:`gradproof.check.check_directional` compare one
product of the Jacobian ``J`` of ``f`` with a vector, not ``J`` itself; each class here turns
that product into one derivative that ``gradproof._compare.compare`` differentiates and
judges like a gradient, through its ``prepare(count, x, f0)`` hook and an analytic side:

* :class:`Cotangent`: :math:`g^\top J` is :math:`\|g\|` times the gradient of the scalar
  :math:`x \mapsto \sum \hat g \odot f(x)`, :math:`\hat g = g / \|g\|`: differentiated at unit
  scale whatever the size of ``g``, for the cost of one gradient.
* :class:`UnitDirection`: :math:`\nabla f \cdot v` for a unit vector ``v`` is the derivative
  of ``f`` along ``v``; the analytic side is ``grad(x) @ v``.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from numpy.typing import ArrayLike

from gradproof._compare import unit_vector
from gradproof._numdiff import Counter, unit_direction
from gradproof._validation import as_array, as_derivative, as_direction

__all__ = ["Cotangent", "UnitDirection"]


class Cotangent:
    """The ``g`` of a VJP check, and the weighted sum ``sum(g/|g| * f)`` it differentiates.

    A `g` given is validated at once as a real finite array (0-d allowed, for an ``f`` with
    scalar values); without one, ``g`` is drawn from a standard normal with `seed` once the
    shape of ``f(x)`` is known.
    """

    def __init__(self, g: ArrayLike | None, seed: object) -> None:
        self.g = None if g is None else _real_array(g)
        self.seed = seed

    def prepare(self, count: Counter, _x: np.ndarray, f0: np.ndarray) -> tuple:
        """Make `count` evaluate ``sum(g/|g| * f)``; return ``(None, |g|, its value, [])``."""
        if self.g is None:
            self.g = np.random.default_rng(self.seed).standard_normal(f0.shape)
        as_direction(self.g, "g", f0.shape, "f(x)")
        unit, norm = unit_vector(self.g)
        inner = count.f

        def weighted(y: np.ndarray) -> np.ndarray:
            # Returned in f's own dtype, so that the precision noted (and reported) is f's,
            # not that of the float64 weights; the sum itself is taken in float64.
            values = np.asarray(inner(y))
            total = np.sum(unit * values)
            return total.astype(values.dtype) if values.dtype.kind in "fc" else total

        # Same counter, new function: the evaluations of sum(g * f) are evaluations of f.
        count.f, count.out_shape = weighted, ()
        return None, norm, np.sum(unit * f0), []

    def analytic(self, vjp: Callable) -> Callable[[np.ndarray], object]:
        """``x -> vjp(x, g)``, with the ``g`` that :meth:`prepare` settled."""
        return lambda x: vjp(x, self.g)


def _real_array(g: ArrayLike) -> np.ndarray:
    """`g` validated as a real finite array; 0-d allowed, for an ``f`` with scalar values."""
    shape = np.shape(g)
    return as_array(np.reshape(g, shape or (1,)) if shape == () else g, "g",
                    allow_complex=False).reshape(shape)  # fmt: skip


class UnitDirection:
    """The direction ``v`` of a directional check, scaled to unit length.

    A `direction` given is validated at once as a real finite array (its shape against ``x``
    in :meth:`prepare`); without one, ``v`` is drawn with `seed`.
    """

    def __init__(self, direction: ArrayLike | None, seed: object) -> None:
        self.given = (
            None if direction is None else as_array(direction, "direction", allow_complex=False)
        )
        self.seed = seed
        self.v: np.ndarray | None = None

    def prepare(self, _count: Counter, x: np.ndarray, f0: np.ndarray) -> tuple:
        """Settle ``v``; return ``(v, 1, f0, notes)``, noting a `direction` that was rescaled."""
        if self.given is not None:
            as_direction(self.given, "direction", x.shape, "x")
        raw = unit_direction(x.shape, self.seed) if self.given is None else self.given
        self.v, norm = unit_vector(raw)
        notes = []
        if self.given is not None and abs(norm - 1.0) > 1e-12:
            notes.append(f"direction scaled to unit length (its norm was {norm:.3g})")
        return self.v, 1.0, f0, notes

    def analytic(self, grad: Callable) -> Callable[[np.ndarray], np.ndarray]:
        """``x -> grad(x) @ v``, in the gradient's own precision."""

        def along(x: np.ndarray) -> np.ndarray:
            gradient = np.asarray(grad(x))
            checked, _ = as_derivative(gradient, "grad", x.shape)
            # float32 stays float32 (it is compared at that precision); integers are not
            # truncated.
            precision = gradient.dtype if gradient.dtype.kind == "f" else np.float64
            return np.asarray(np.sum(checked * self.v), dtype=precision)

        return along
