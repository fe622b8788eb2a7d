"""Private finite-difference and complex-step kernels behind :mod:`gradproof.check`.

Everything here differentiates ``f`` along one direction ``d`` at a time: either a coordinate
(an ``int``, the flat index into ``x``) or a whole array (the random direction of the cheap
checks). A Jacobian is one such derivative per coordinate, so every method costs a fixed number
of evaluations per coordinate: complex 1, forward 1 (plus one shared ``f(x)``), central 2,
Richardson 4.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from gradproof._validation import as_array

__all__ = [
    "METHODS",
    "ComplexStepUnsafeError",
    "Counter",
    "complex_derivative",
    "derivative",
    "numerical_jacobian",
    "probe_complex_step",
    "unit_direction",
]

METHODS = ("auto", "complex", "central", "richardson", "forward")

Direction = int | np.ndarray


class ComplexStepUnsafeError(Exception):
    """``f`` cannot be trusted on complex input; the message says why."""


@dataclass
class Counter:
    """Wraps ``f`` to count its evaluations and to validate what it returns."""

    f: Callable[[np.ndarray], object]
    out_shape: tuple[int, ...] | None = None
    n_evals: int = 0

    def real(self, point: np.ndarray) -> np.ndarray:
        """Evaluate at a real point; the result must be real, finite and keep its shape."""
        self.n_evals += 1
        out = np.asarray(self.f(point))
        if out.dtype.kind == "c":
            msg = f"f must return a real value for real input, got dtype {out.dtype}"
            raise TypeError(msg)
        out = as_array(out.reshape(out.shape or (1,)), "f(x)").reshape(out.shape)
        self._check_shape(out)
        return out

    def complex(self, point: np.ndarray) -> np.ndarray:
        """Evaluate at a complex point; raise :class:`ComplexStepUnsafeError` if that is unsafe.

        Warnings are recorded rather than raised or printed: a ``ComplexWarning`` (a complex value
        written into a float buffer) or an overflow that happens only on the complex path both
        mean the imaginary part cannot be trusted.
        """
        self.n_evals += 1
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                out = np.asarray(self.f(point))
            except Exception as exc:  # any failure on complex input is a reason
                reason = f"f raised {type(exc).__name__} on complex input ({exc})"
                raise ComplexStepUnsafeError(reason) from exc
        if out.dtype.kind not in "iufc":
            reason = f"f returned dtype {out.dtype} on complex input"
            raise ComplexStepUnsafeError(reason)
        if not np.all(np.isfinite(out)):
            reason = "f returned NaN or infinity on complex input"
            raise ComplexStepUnsafeError(reason)
        if caught:
            first = caught[0]
            reason = (
                f"f emitted {first.category.__name__} on complex input ({first.message}); "
                "the imaginary part may have been discarded"
            )
            raise ComplexStepUnsafeError(reason)
        if out.dtype.kind != "c":
            reason = (
                "f returned a real result for complex input, so the imaginary part was "
                "dropped somewhere (abs, .real, float(), a float64 buffer?)"
            )
            raise ComplexStepUnsafeError(reason)
        self._check_shape(out)
        return out

    def _check_shape(self, out: np.ndarray) -> None:
        if self.out_shape is None:
            self.out_shape = out.shape
        elif out.shape != self.out_shape:
            msg = f"f returned shape {out.shape} near x but shape {self.out_shape} at x"
            raise ValueError(msg)


def unit_direction(shape: tuple[int, ...], seed: int) -> np.ndarray:
    """A seeded, uniformly random direction of unit Euclidean norm."""
    v = np.random.default_rng(seed).standard_normal(shape)
    return v / np.linalg.norm(v)


def _shifted(x: np.ndarray, d: Direction, t: complex) -> np.ndarray:
    if isinstance(d, int):
        point = x.astype(np.result_type(x, t))  # a copy, of complex dtype when t is complex
        point.flat[d] += t
        return point
    return x + t * d


def _step_taken(x: np.ndarray, point: np.ndarray, d: Direction, t: float) -> float:
    # Along a coordinate, x + h is rounded; dividing by the step actually taken removes that
    # rounding from the quotient (at |x| = 1000 it would otherwise cost ~1e-8 relative).
    if isinstance(d, int):
        return float(point.flat[d] - x.flat[d])
    return t


def _central(count: Counter, x: np.ndarray, d: Direction, h: float) -> np.ndarray:
    plus, minus = _shifted(x, d, h), _shifted(x, d, -h)
    width = _step_taken(x, plus, d, h) - _step_taken(x, minus, d, -h)
    return (count.real(plus) - count.real(minus)) / width


def complex_derivative(count: Counter, x: np.ndarray, d: Direction, h: float) -> np.ndarray:
    """``Im f(x + i h d) / h``; no subtraction, so no cancellation, whatever the size of h."""
    return np.imag(count.complex(_shifted(x, d, 1j * h))) / h


def derivative(
    count: Counter,
    x: np.ndarray,
    d: Direction,
    method: str,
    h: float,
    f0: np.ndarray | None = None,
) -> np.ndarray:
    """The derivative of ``f`` at `x` along `d` by `method` with step `h`."""
    if method == "complex":
        return complex_derivative(count, x, d, h)
    if method == "central":
        return _central(count, x, d, h)
    if method == "richardson":
        # D(h) = f' + c h^2 + O(h^4): (4 D(h/2) - D(h)) / 3 cancels the h^2 term.
        return (4.0 * _central(count, x, d, h / 2) - _central(count, x, d, h)) / 3.0
    if method == "forward":
        plus = _shifted(x, d, h)
        base = count.real(x) if f0 is None else f0
        return (count.real(plus) - base) / _step_taken(x, plus, d, h)
    msg = f"unknown method {method!r}"  # callers validate; this guards internal misuse
    raise AssertionError(msg)


def numerical_jacobian(count: Counter, x: np.ndarray, method: str, h: float) -> np.ndarray:
    """All partial derivatives, shape ``f(x).shape + x.shape`` (one direction per coordinate)."""
    f0 = count.real(x) if method == "forward" else None
    columns = [derivative(count, x, j, method, h, f0) for j in range(x.size)]
    stacked = np.stack(columns, axis=-1)
    return stacked.reshape(stacked.shape[:-1] + x.shape)


def probe_complex_step(
    count: Counter, x: np.ndarray, v: np.ndarray, h: float, central_step: float, rtol: float
) -> tuple[np.ndarray, np.ndarray]:
    """Compare the complex-step and central derivatives along `v`; return both.

    Raises :class:`ComplexStepUnsafeError` when they disagree by more than
    ``rtol * max(|cs|, |cd|)`` plus a floor for the central difference's rounding error,
    ``1e3 * eps * max|f| / central_step``. That is the silent failure: ``f`` returned a complex
    number whose imaginary part lost some terms (``abs``, ``np.vdot``'s conjugation, ...).
    """
    cs = complex_derivative(count, x, v, h)
    plus, minus = count.real(x + central_step * v), count.real(x - central_step * v)
    cd = (plus - minus) / (2.0 * central_step)
    scale = max(float(np.max(np.abs(plus))), float(np.max(np.abs(minus))), 1.0)
    floor = 1e3 * np.finfo(np.float64).eps * scale / central_step
    gap = np.abs(cs - cd)
    allowed = rtol * np.maximum(np.abs(cs), np.abs(cd)) + floor
    if np.any(gap > allowed):
        worst = int(np.argmax(gap - allowed))
        reason = (
            f"complex step gave directional derivative {cs.flat[worst]:.6g} but central "
            f"difference gave {cd.flat[worst]:.6g} along a seeded random direction; "
            "f is not complex-step safe (abs, conjugation such as np.vdot, or a complex "
            "comparison inside?)"
        )
        raise ComplexStepUnsafeError(reason)
    return cs, cd
