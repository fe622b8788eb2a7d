r"""Numerical derivatives with error bounds: the kernels behind :mod:`gradproof.check`.

Everything here differentiates ``f`` along one direction ``d`` at a time: a coordinate (an
``int``, the flat index into ``x``) or a whole array (a probe or check direction). A Jacobian is
one such derivative per coordinate. Each derivative comes with an estimate of its own error, so
that the checker can say how finely it compared (see :mod:`gradproof._passrule`):

* :func:`~gradproof._noise.noise_level` (in its own module) measures the rounding noise of
  ``f``'s values near ``x`` (Moré and Wild's ECnoise). A central difference
  :math:`D(h) = (f(x + hd) - f(x - hd))/2h` cannot be more accurate than that noise over ``h``,
  and it can be far above :math:`\epsilon |f|` when ``f`` is computed from terms larger than
  itself.
* :func:`central_and_size` takes one central difference and the second difference beside it;
  :func:`~gradproof._extrapolation.extrapolate` (in its own module) builds a Richardson tableau
  from them with an error bound per entry, chooses the steps by the point, and says where
  ``f`` has no derivative at ``x``. :func:`derivative` differences at one fixed step.
* :func:`complex_derivative` is ``Im f(x + i h d) / h``; whether it can be trusted is decided in
  :mod:`gradproof._numeric`.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from gradproof._validation import as_array

__all__ = [
    "COMPLEX_STEP",
    "DIRECTION_SMALLEST_STEP",
    "EPS64",
    "METHODS",
    "UNDERFLOW",
    "ComplexStepUnsafeError",
    "Counter",
    "central_and_size",
    "complex_derivative",
    "derivative",
    "gaussian_miss_factor",
    "probe_direction",
    "probe_smallest_step",
    "unit_direction",
]

METHODS = ("auto", "complex", "central", "richardson", "forward")
EPS64 = float(np.finfo(np.float64).eps)
COMPLEX_STEP = 1e-20

UNDERFLOW = 2.0**-960
"""About 1e-289. An imaginary part of f below this leaves the ones inside f, which can be
smaller still, within reach of the subnormal range (below 2.2e-308), where digits are lost."""

DIRECTION_SMALLEST_STEP = 2.0**-24
"""Smallest step along a whole direction; :func:`probe_direction` makes every power-of-two step
down to this one exact for ``|x|`` up to about 1e6."""

Direction = int | np.ndarray


class ComplexStepUnsafeError(Exception):
    """``f`` cannot be trusted on complex input; the message says why."""


def _eps_of(dtype: np.dtype) -> float:
    """Precision of a result's dtype: float32/complex64 results carry float32 rounding."""
    if dtype.kind in "fc":
        return float(np.finfo(dtype).eps)
    return EPS64


@dataclass
class Counter:
    """Wraps ``f`` to count its evaluations and to validate what it returns.

    ``eps`` is the coarsest precision among ``f``'s results so far (float32 results raise it to
    about 1.2e-7), ``dtypes`` the result dtypes seen. ``f`` gets a copy of every point;
    ``mutated`` records that it wrote into one. ``x``, once set, is the point of the check (for
    saying where ``f`` was not finite). With `edge_ok` (the checks set it), a value that is not
    finite at a point other than ``x`` comes back as NaN instead of raising: a step crossed the
    edge of ``f``'s domain, and the numeric side takes smaller ones or says it could not.
    """

    f: Callable[[np.ndarray], object]
    out_shape: tuple[int, ...] | None = None
    n_evals: int = 0
    eps: float = EPS64
    dtypes: set[str] = field(default_factory=set)
    x: np.ndarray | None = None
    mutated: bool = False
    edge_ok: bool = False

    def real(self, point: np.ndarray) -> np.ndarray:
        """Evaluate at a real point; the result must be real, finite and keep its shape."""
        self.n_evals += 1
        if self.edge_ok:
            # Past a domain edge numpy warns (log of a negative number) and returns NaN; the
            # NaN is handled below, so the warning would only alarm about a step not taken.
            with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
                out = np.asarray(self._call(point))
        else:
            out = np.asarray(self._call(point))
        if out.dtype.kind == "c":
            msg = f"f must return a real value for real input, got dtype {out.dtype}"
            raise TypeError(msg)
        self._note(out.dtype)
        if out.dtype.kind in "fc" and not np.all(np.isfinite(out)):
            if not (self.edge_ok and self.x is not None):
                raise ValueError(self._not_finite(point, out))
            self._check_shape(out)
            return np.where(np.isfinite(out), out, np.nan)
        out = as_array(out.reshape(out.shape or (1,)), "f(x)").reshape(out.shape)
        self._check_shape(out)
        return out

    def _call(self, point: np.ndarray) -> object:
        # f gets its own copy: one that writes into its argument (v /= 2) must not move x, the
        # caller's array or the points still to come. That it tried is reported.
        given = point.copy()
        out = self.f(given)
        if not self.mutated and not np.array_equal(given, point):
            self.mutated = True
        return out

    def _not_finite(self, point: np.ndarray, out: np.ndarray) -> str:
        where = (
            "" if out.ndim == 0 else f" (output entry {tuple(np.argwhere(~np.isfinite(out))[0])})"
        )
        if self.x is None:
            return f"f(x) must be finite: f returned NaN or infinity at x{where}"
        distance = float(np.max(np.abs(point - self.x)))
        return (
            f"f returned NaN or infinity{where} at a point {distance:.2g} from x, where the numeric "
            "derivative evaluates it (f(x) itself is finite): x is that close to a singularity or "
            "to the edge of f's domain (a log or sqrt of a negative number?); move x further "
            "from it"
        )

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
                out = np.asarray(self._call(point))
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
        self._note(out.dtype)
        self._check_shape(out)
        return out

    def _note(self, dtype: np.dtype) -> None:
        self.dtypes.add(str(dtype))
        self.eps = max(self.eps, _eps_of(dtype))

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


def probe_direction(
    x: np.ndarray, v: np.ndarray, reach: float, smallest: float = DIRECTION_SMALLEST_STEP
) -> np.ndarray:
    """`v` (unit norm) rounded so that ``x ± h v`` is exact for every step ``h`` used.

    The steps are powers of two from `reach` down to `smallest` (see :func:`probe_smallest_step`).
    A component of ``h v`` that is a multiple of the float spacing at ``x`` is added without
    rounding, so the displacement is exactly ``h v`` and a difference quotient along ``v`` has no
    error from the step itself (at ``|x| = 1000`` that error would otherwise be ~1e-11 of the
    gradient's size). The rounding moves each component by at most half a quantum, the spacing
    at ``x`` over `smallest`; the rounded vector, not `v`, is the direction used on both sides.
    """
    if smallest > reach:  # |x| too large for any exact step (the probe is then refused)
        return v
    quantum = np.spacing(np.abs(x) + reach) / smallest
    rounded = np.round(v / quantum) * quantum
    if not rounded.any():
        return v
    return rounded


def probe_smallest_step(x: np.ndarray, reach: float, distortion: float) -> float:
    """The smallest power-of-two step (at least :data:`DIRECTION_SMALLEST_STEP`) at which
    :func:`probe_direction` moves no component by more than `distortion`.

    A direction rounded more coarsely would no longer be the random one the probe's argument
    is about: at ``|x| = 1e9`` the quantum at step ``2**-24`` is 2, and every component rounds to
    0 there. Large ``|x|`` therefore costs the probe its smallest steps, not its direction.
    """
    spacing = float(np.max(np.spacing(np.abs(x) + reach)))
    needed = 2.0 ** math.ceil(math.log2(2.0 * spacing / distortion))
    return max(DIRECTION_SMALLEST_STEP, needed)


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


def central_and_size(
    count: Counter, x: np.ndarray, d: Direction, h: float, f0: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """The central difference at step `h`, the size of the values it subtracts, and (given
    ``f0 = f(x)``) the second difference ``f(x + h) + f(x - h) - 2 f(x)``."""
    plus, minus = _shifted(x, d, h), _shifted(x, d, -h)
    width = _step_taken(x, plus, d, h) - _step_taken(x, minus, d, -h)
    f_plus, f_minus = count.real(plus), count.real(minus)
    size = np.maximum(np.abs(f_plus), np.abs(f_minus))
    second = None if f0 is None else (f_plus - f0) + (f_minus - f0)
    if width == 0:  # x + h rounded to x: there is no quotient (NaN, reported as such upstream)
        return np.full(np.shape(f_plus), np.nan), size, second
    return (f_plus - f_minus) / width, size, second


def _central(count: Counter, x: np.ndarray, d: Direction, h: float) -> np.ndarray:
    return central_and_size(count, x, d, h)[0]


def complex_derivative(
    count: Counter, x: np.ndarray, d: Direction, h: float, *, whole: bool = False
) -> np.ndarray:
    """``Im f(x + i h d) / h``; no subtraction, so no cancellation, whatever the size of h.

    With `whole` (a direction that mixes every coordinate, as the probe's does), raises
    :class:`ComplexStepUnsafeError` when every imaginary part is within a few hundred binades
    of underflow (``f`` scaled by 1e-300, say): the intermediate imaginary parts inside ``f``,
    some smaller than the result, then lose digits to gradual underflow.
    """
    imag = np.imag(count.complex(_shifted(x, d, 1j * h)))
    largest = float(np.max(np.abs(imag))) if imag.size else 0.0
    if whole and 0.0 < largest < UNDERFLOW:
        reason = (
            f"the complex step's imaginary parts are at most {largest:.1e}, close enough to "
            "underflow that intermediate results inside f lose digits: f is too small in scale "
            f"for a step of {h:.0e}"
        )
        raise ComplexStepUnsafeError(reason)
    return imag / h


def derivative(
    count: Counter,
    x: np.ndarray,
    d: Direction,
    method: str,
    h: float,
    f0: np.ndarray | None = None,
) -> np.ndarray:
    """The derivative of ``f`` at `x` along `d` by `method` at the fixed step `h`."""
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
        width = _step_taken(x, plus, d, h)
        if width == 0:
            return np.full(np.shape(base), np.nan)
        return (count.real(plus) - base) / width
    msg = f"unknown method {method!r}"  # callers validate; this guards internal misuse
    raise AssertionError(msg)


def gaussian_miss_factor(n: int) -> float:
    r""":math:`\sqrt{2n/\pi}`: for ``u`` uniform on the unit sphere of :math:`\mathbb{R}^n` and
    any vector :math:`\delta`, :math:`P(|u \cdot \delta| < t \|\delta\|) \le t \sqrt{2n/\pi}`.

    The density of one coordinate of ``u`` is largest at 0, where it is
    :math:`\Gamma(n/2) / (\sqrt{\pi}\, \Gamma((n-1)/2)) \le \sqrt{n / 2\pi}`; integrating over
    :math:`(-t, t)` gives the bound (for ``n = 1``, ``u = ±1`` and the probability is 0).
    """
    return math.sqrt(2.0 * n / math.pi)
