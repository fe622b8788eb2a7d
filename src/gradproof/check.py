r"""Numerical gradient checking: complex step, central difference and Richardson extrapolation.

A check compares an *analytic* derivative (the formula under test) with a *numeric* one computed
from ``f`` alone, component by component, with one documented pass rule:

.. math:: |a - b| \le \mathrm{atol} + \mathrm{rtol}\,|b|,

where ``a`` is the analytic and ``b`` the numeric value. The tolerances are never scaled by the
number of components. Every check reports the absolute error, the norm-wise relative error
:math:`\|a - b\| / \|b\|`, the worst component and the number of evaluations of ``f``; a failure
raises :class:`GradientCheckError` with a side-by-side table and, where the pattern is
recognisable, a hint (a constant factor, a sign flip, transposed indices, a constant offset).

Methods (``method=``):

``"complex"``
    Complex step, :math:`f'(x) \approx \operatorname{Im} f(x + ih)/h` with :math:`h = 10^{-20}`.
    There is no subtraction, hence no cancellation: the error is a few units of roundoff. Needs
    ``f`` to be real-analytic *as written* (no ``abs``, conjugation, complex comparisons or float
    buffers).
``"central"``
    :math:`(f(x + h) - f(x - h)) / 2h` with :math:`h = 2^{-15}`.
``"richardson"``
    Central differences at :math:`h` and :math:`h/2` combined to cancel the :math:`h^2` error
    term, :math:`h = 2^{-8}`.
``"forward"``
    :math:`(f(x + h) - f(x)) / h` with :math:`h = 2^{-27} \approx \sqrt{\epsilon}`; only for
    comparison (it is what :func:`scipy.optimize.check_grad` does).
``"auto"`` (default)
    Complex step after a cheap safety probe; falls back to Richardson, stating the reason in
    :attr:`GradCheckResult.fallback_reason`, when ``f`` raises on complex input, returns a real,
    non-finite or warned-about result, or when its complex-step derivative along one seeded
    random direction disagrees with a central difference (the silent failure of ``abs`` or
    ``np.vdot`` inside ``f``).

Costs in evaluations of ``f`` for ``x`` with ``n`` components: complex ``n``, central ``2n``,
Richardson ``4n``, forward ``n + 1``; plus one evaluation at ``x`` (for the output shape) and three
for the probe of ``"complex"`` / ``"auto"``. :func:`check_directional` costs O(1) evaluations for
any ``n`` and is the check to use for large inputs.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import ArrayLike

from gradproof._numdiff import (
    METHODS,
    ComplexStepUnsafeError,
    Counter,
    derivative,
    numerical_jacobian,
    probe_complex_step,
    unit_direction,
)
from gradproof._validation import as_array, as_int

__all__ = [
    "CENTRAL_ATOL",
    "CENTRAL_RTOL",
    "CENTRAL_STEP",
    "COMPLEX_ATOL",
    "COMPLEX_RTOL",
    "COMPLEX_STEP",
    "FORWARD_ATOL",
    "FORWARD_RTOL",
    "FORWARD_STEP",
    "RICHARDSON_ATOL",
    "RICHARDSON_RTOL",
    "RICHARDSON_STEP",
    "GradCheckResult",
    "GradientCheckError",
    "StepSweep",
    "check_directional",
    "check_gradient",
    "check_jacobian",
    "check_vjp",
    "numerical_gradient",
    "step_sweep",
]

COMPLEX_STEP = 1e-20
"""Complex step. Any h <= 1e-8 gives the same result (measured), since nothing is subtracted;
1e-20 keeps the neglected :math:`h^2 f'''` term below 1e-40 for any reasonable ``f``."""

CENTRAL_STEP = 2.0**-15
r"""Central-difference step, about 3.05e-5. Truncation error :math:`h^2 |f'''|/6` and rounding
error :math:`\epsilon S / h` (``S`` the size of the terms summed inside ``f``) balance near
:math:`h = \sqrt[3]{3\epsilon} \approx 9\times10^{-6}` for unit-scale ``f``; measured on random
cross-entropy problems, :math:`2^{-15}` is the best power of two (median relative error 7e-11;
:math:`2^{-14}` and :math:`2^{-16}` both give 1.2e-10). The step is absolute, not scaled by ``|x|``: cross-entropy is invariant
to shifting the logits, so its curvature does not grow with ``|z|``. A power of two, so ``x + h``
is exact for ``|x| < 2**37``; elsewhere the quotient divides by the step actually taken."""

RICHARDSON_STEP = 2.0**-8
"""Richardson step, about 3.9e-3 (the second level uses half of it). Extrapolation removes the
:math:`h^2` term and leaves :math:`O(h^4)`, so the best step is larger than central's: measured
median relative error 1.4e-12 at :math:`2^{-8}`, against 2.7e-12 at :math:`2^{-9}` and 2.2e-11 at
:math:`2^{-6}`."""

FORWARD_STEP = 2.0**-27
r"""Forward-difference step, about 7.5e-9, i.e. :math:`\sqrt{\epsilon}`: where the
:math:`h |f''|/2` truncation error meets the :math:`\epsilon |f| / h` rounding error."""

COMPLEX_RTOL = 1e-10
"""Measured complex-step error on cross-entropy (n up to 50, logits up to ±1000, targets up to
10): median 1.7e-16, worst 1.2e-14 norm-wise. 1e-10 leaves four orders of magnitude for less
well-conditioned ``f`` while still catching any formula error above a part in 1e10."""

COMPLEX_ATOL = 1e-12
"""Floor for components that are (nearly) zero, e.g. a target 0 where the softmax underflows,
where no relative tolerance can pass. Both sides then carry rounding of about ``eps * sum(p)``;
the worst measured absolute error was 5.7e-14 (targets up to 10, n = 50): covered 17-fold."""

RICHARDSON_RTOL = 1e-8
"""Richardson errors measured at the default step are 1.4e-12 (median) and 3e-12 (worst),
norm-wise, on unit-scale problems. 1e-8 leaves a wide margin for ``f`` with larger higher derivatives."""

RICHARDSON_ATOL = 1e-8
r"""Rounding floor of Richardson, measured at about :math:`3\epsilon S / h` where ``S`` is the
size of the terms summed inside ``f`` (for cross-entropy :math:`S \approx \sum p \cdot \max|z|`):
worst absolute error 1.9e-10 with logits in ±10 and targets in [0, 1]. 1e-8 covers that 50-fold.
For larger ``S`` (logits of ±1000, big targets) pass ``atol`` of about ``30 * eps * S / step``,
or use the complex step, whose error does not grow with ``S``."""

CENTRAL_RTOL = 1e-6
"""Central-difference errors measured at the default step are 7e-11 (median) and 1.5e-10
(worst), norm-wise, on unit-scale problems. 1e-6 is the conventional figure and leaves room for ``f``
with larger third derivatives."""

CENTRAL_ATOL = 1e-7
r"""Rounding floor of central differences, measured at about :math:`1.4\epsilon S / h` (``S`` as
in :data:`RICHARDSON_ATOL`): worst absolute error 2.5e-9 with logits in ±10 and targets in
[0, 1]. 1e-7 covers that 40-fold; for larger ``S`` pass ``atol`` of about ``30 * eps * S / step``."""

FORWARD_RTOL = 1e-4
"""Forward differences are first order, with measured errors of 2e-6 (median) and 1.3e-4
(worst), norm-wise. They are
offered for comparison (the error-vs-step plot), not as a check of record."""

FORWARD_ATOL = 1e-4
r"""Forward's truncation error :math:`h |f''| / 2` plus rounding :math:`\epsilon S / h`, measured
up to 1.6e-5 absolute on unit-scale problems; 1e-4 covers it."""

_DEFAULTS = {
    "complex": (COMPLEX_STEP, COMPLEX_RTOL, COMPLEX_ATOL),
    "central": (CENTRAL_STEP, CENTRAL_RTOL, CENTRAL_ATOL),
    "richardson": (RICHARDSON_STEP, RICHARDSON_RTOL, RICHARDSON_ATOL),
    "forward": (FORWARD_STEP, FORWARD_RTOL, FORWARD_ATOL),
}

_PROBE_RTOL = 1e-5
"""Agreement demanded of complex step and central difference along the probe direction: far
looser than either's error (1e-16 and ~1e-10), far tighter than what ``abs`` or ``np.vdot``
inside ``f`` do to the complex step (errors of order 1)."""

_HINT_SLACK = 10.0
"""A hint's pattern must hold within ten times the check's own tolerance."""

_TABLE_ROWS = 8


class GradientCheckError(AssertionError):
    """An analytic derivative disagrees with the numeric one.

    The message is the failing :meth:`GradCheckResult.report`; the result itself is kept in
    the exception's ``result`` attribute.
    """

    def __init__(self, result: GradCheckResult) -> None:
        super().__init__(result.report())
        self.result = result


@dataclass(frozen=True)
class GradCheckResult:
    """Outcome of one check.

    Attributes
    ----------
    ok : bool
        Every component satisfies ``|a - b| <= atol + rtol * |b|`` (a analytic, b numeric).
    kind : str
        ``"gradient"``, ``"jacobian"``, ``"vjp"`` or ``"directional"``.
    method : str
        The method actually used (``"auto"`` resolves to ``"complex"`` or ``"richardson"``).
    step : float
        The step of that method.
    rtol, atol : float
        The tolerances applied.
    max_abs_err : float
        ``max |a - b|``.
    max_rel_err : float
        Norm-wise ``||a - b|| / ||b||`` (0 when both are 0, inf when only ``b`` is).
    worst_index : tuple of int
        Index (into the gradient, Jacobian or VJP) of the component furthest outside its
        tolerance, relative to that tolerance; ``()`` for a directional check.
    analytic_at_worst, numeric_at_worst : float
        The two values there.
    n_failing, n_checked : int
        Components outside the tolerance, and components compared.
    n_evals : int
        Evaluations of ``f``, including the probe and the one at ``x``.
    seed : int
        Seed of the random probe direction, VJP cotangent or check direction.
    fallback_reason : str or None
        Why ``method="auto"`` did not use the complex step.
    hints : tuple of str
        Recognised patterns in a failure (empty when ``ok``).
    analytic, numeric : numpy.ndarray
        The compared arrays.
    """

    ok: bool
    kind: str
    method: str
    step: float
    rtol: float
    atol: float
    max_abs_err: float
    max_rel_err: float
    worst_index: tuple[int, ...]
    analytic_at_worst: float
    numeric_at_worst: float
    n_failing: int
    n_checked: int
    n_evals: int
    seed: int
    fallback_reason: str | None = None
    hints: tuple[str, ...] = ()
    analytic: np.ndarray = field(default_factory=lambda: np.empty(0), repr=False, compare=False)
    numeric: np.ndarray = field(default_factory=lambda: np.empty(0), repr=False, compare=False)

    def report(self) -> str:
        """A readable summary; for a failure, a diff-like table and hints."""
        if self.ok:
            head = f"{self.kind} check passed: all {self.n_checked} component(s) within tolerance"
        else:
            head = (
                f"{self.kind} check FAILED: {self.n_failing} of {self.n_checked} component(s) "
                "outside tolerance"
            )
        lines = [
            head,
            (
                "  pass rule |analytic - numeric| <= atol + rtol*|numeric| with "
                f"rtol {self.rtol:.3g}, atol {self.atol:.3g}"
            ),
            (
                f"  method {self.method}, step {self.step:.3g}, seed {self.seed}, "
                f"{self.n_evals} evaluations of f"
            ),
        ]
        if self.fallback_reason:
            lines.append(f"  fell back from complex step: {self.fallback_reason}")
        lines += [
            f"  max abs err {self.max_abs_err:.2e}, max rel err {self.max_rel_err:.2e} (norm-wise)",
            (
                f"  worst index {self.worst_index}: analytic {self.analytic_at_worst:.10g}, "
                f"numeric {self.numeric_at_worst:.10g}"
            ),
        ]
        if not self.ok:
            lines += _table(self)
            lines += [f"  hint: {hint}" for hint in self.hints]
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.report()


@dataclass(frozen=True)
class StepSweep:
    """Errors of one method over a range of steps (the error-vs-step "V" curve).

    Attributes
    ----------
    method : str
    steps, max_abs_err, max_rel_err : numpy.ndarray
        One entry per step; the relative error is norm-wise, as in :class:`GradCheckResult`.
    """

    method: str
    steps: np.ndarray
    max_abs_err: np.ndarray
    max_rel_err: np.ndarray

    @property
    def best_step(self) -> float:
        """The step with the smallest relative error (steps too small to move x count as inf)."""
        return float(self.steps[int(np.argmin(self.max_rel_err))])


# --------------------------------------------------------------------------- validation


def _callable(obj: object, name: str) -> None:
    if not callable(obj):
        msg = f"{name} must be callable, got {type(obj).__name__}"
        raise TypeError(msg)


def _nonnegative(value: object, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float | np.integer | np.floating):
        msg = f"{name} must be a real number, got {type(value).__name__}"
        raise TypeError(msg)
    if not math.isfinite(value) or value < 0:
        msg = f"{name} must be finite and >= 0, got {value}"
        raise ValueError(msg)
    return float(value)


def _method(method: object) -> str:
    if method not in METHODS:
        msg = f"method must be one of {', '.join(map(repr, METHODS))}; got {method!r}"
        raise ValueError(msg)
    return str(method)


def _step(step: object, method: str) -> float | None:
    if step is None:
        return None
    if method == "auto":
        msg = "step cannot be combined with method='auto' (which step?); choose a method"
        raise ValueError(msg)
    value = _nonnegative(step, "step")
    if value == 0:
        msg = "step must be > 0, got 0"
        raise ValueError(msg)
    return value


def _seed(seed: object) -> int:
    return as_int(seed, "seed", minimum=0)


def _analytic(value: object, name: str, shape: tuple[int, ...]) -> np.ndarray:
    out = np.asarray(value)
    if out.dtype.kind not in "iuf":
        msg = f"{name} must return a real numeric array, got dtype {out.dtype}"
        raise TypeError(msg)
    if out.shape != shape:
        msg = f"{name} returned shape {out.shape}, expected {shape}"
        raise ValueError(msg)
    return out.astype(np.float64, copy=False)


# --------------------------------------------------------------------------- numerics


def _numeric(
    count: Counter,
    x: np.ndarray,
    method: str,
    step: float | None,
    seed: int,
    along: np.ndarray | None = None,
) -> tuple[np.ndarray, str, float, str | None]:
    """Numeric Jacobian (``along is None``) or directional derivative along `along`."""
    reason = None
    if method in ("auto", "complex"):
        h = COMPLEX_STEP if step is None else step
        probe = unit_direction(x.shape, seed) if along is None else along
        try:
            # The probe is a safety test, so it always uses the default step: a user's large
            # complex step (as in a step sweep) has truncation error, not a safety problem.
            cs, _ = probe_complex_step(count, x, probe, COMPLEX_STEP, CENTRAL_STEP, _PROBE_RTOL)
            if along is None:
                return numerical_jacobian(count, x, "complex", h), "complex", h, None
            if h != COMPLEX_STEP:
                cs = derivative(count, x, along, "complex", h)
            return cs, "complex", h, None
        except ComplexStepUnsafeError as exc:
            if method == "complex":
                msg = f"method='complex' cannot differentiate f: {exc}; use 'richardson'"
                raise ValueError(msg) from exc
            reason = str(exc)
        method, step = "richardson", None
    h = _DEFAULTS[method][0] if step is None else step
    if along is not None:
        return derivative(count, x, along, method, h), method, h, reason
    return numerical_jacobian(count, x, method, h), method, h, reason


def _rel_err(a: np.ndarray, b: np.ndarray) -> float:
    num, den = float(np.linalg.norm(a - b)), float(np.linalg.norm(b))
    if den > 0:
        return num / den
    return 0.0 if num == 0 else math.inf


def _allclose(a: np.ndarray, b: np.ndarray, rtol: float, atol: float) -> bool:
    return bool(np.all(np.abs(a - b) <= _HINT_SLACK * (atol + rtol * np.abs(b))))


def _hints(a: np.ndarray, b: np.ndarray, kind: str, rtol: float, atol: float) -> tuple[str, ...]:
    """Patterns that explain a failure, each tested, none guessed."""
    bad = ~np.isfinite(a)
    if bad.any():
        return (f"the analytic side has NaN or infinity in {int(bad.sum())} component(s)",)
    hints = []
    bb = float(np.sum(b * b))
    if bb > 0 and not np.any(a):
        # Not "a constant factor 0": nothing of the derivative survived.
        hints.append(
            "analytic is identically 0: a derivative lost entirely, e.g. differentiating along "
            "a direction that does not change f"
        )
    elif a.size >= 2 and bb > 0:
        c = float(np.sum(a * b)) / bb
        if _allclose(a, -b, rtol, atol):
            hints.append("analytic = -numeric: a sign flip (e.g. p - q written for q - p)")
        elif _allclose(a, c * b, rtol, atol) and not _allclose(c * b, b, rtol, atol):
            hints.append(
                f"analytic = {c:.6g} x numeric in every component: a missing or extra constant "
                "factor (such as sum(p) or 1/N)"
            )
    d = a - b
    offset = float(np.mean(d))
    if a.size >= 2 and _allclose(a, b + offset, rtol, atol):
        hints.append(
            f"analytic - numeric = {offset:.6g} in every component: offset by a constant "
            "(a scalar subtracted from a vector?)"
        )
    for perm in itertools.permutations(range(a.ndim)):
        swapped = np.transpose(b, perm)
        if (
            perm != tuple(range(a.ndim))
            and swapped.shape == a.shape
            and _allclose(a, swapped, rtol, atol)
        ):
            name = "transposed" if a.ndim == 2 else f"axes permuted as {perm}"
            hints.append(f"analytic equals numeric with {name}: an index swap")
            break
    if kind in ("gradient", "vjp") and a.size >= 2:
        total_a, total_b = float(np.sum(a)), float(np.sum(b))
        scale = float(np.sum(np.abs(a)) + np.sum(np.abs(b)))
        if abs(total_b) <= 1e-6 * scale + atol and abs(total_a) > 1e-3 * scale:
            hints.append(
                f"numeric sums to ~0 (f is shift-invariant?) but analytic sums to "
                f"{total_a:.6g}: a lost factor such as sum(p)?"
            )
    return tuple(hints)


def _compare(
    kind: str,
    a: np.ndarray,
    b: np.ndarray,
    *,
    method: str,
    step: float,
    rtol: float,
    atol: float,
    n_evals: int,
    seed: int,
    reason: str | None,
) -> GradCheckResult:
    diff = np.abs(a - b)
    allowed = atol + rtol * np.abs(b)
    failing = ~(diff <= allowed)  # NaN compares False, so NaN fails
    with np.errstate(divide="ignore", invalid="ignore"):
        excess = np.where(allowed > 0, diff / allowed, np.where(diff > 0, np.inf, 0.0))
    excess = np.where(np.isnan(excess), np.inf, excess)
    worst = np.unravel_index(int(np.argmax(excess)), a.shape) if a.ndim else ()
    worst = tuple(int(i) for i in worst)
    ok = not failing.any()
    return GradCheckResult(
        ok=ok,
        kind=kind,
        method=method,
        step=step,
        rtol=rtol,
        atol=atol,
        max_abs_err=float(np.max(diff)),
        max_rel_err=_rel_err(a, b),
        worst_index=worst,
        analytic_at_worst=float(a[worst]),
        numeric_at_worst=float(b[worst]),
        n_failing=int(failing.sum()),
        n_checked=int(a.size),
        n_evals=n_evals,
        seed=seed,
        fallback_reason=reason,
        hints=() if ok else _hints(a, b, kind, rtol, atol),
        analytic=a,
        numeric=b,
    )


def _table(result: GradCheckResult) -> list[str]:
    a, b = np.atleast_1d(result.analytic), np.atleast_1d(result.numeric)
    diff = np.abs(a - b)
    tol = result.atol + result.rtol * np.abs(b)
    flat = np.argsort(-np.where(np.isfinite(diff), diff, np.inf), axis=None, kind="stable")
    shown = sorted(flat[:_TABLE_ROWS]) if a.size > _TABLE_ROWS else range(a.size)
    rows = [f"  {'index':<12} {'analytic':>16} {'numeric':>16} {'abs err':>9}"]
    for k in shown:
        idx = (
            tuple(int(i) for i in np.unravel_index(int(k), a.shape)) if result.analytic.ndim else ()
        )
        mark = "" if diff.flat[k] <= tol.flat[k] else "  <-"
        rows.append(
            f"  {idx!s:<12} {a.flat[k]:>16.9g} {b.flat[k]:>16.9g} {diff.flat[k]:>9.2e}{mark}"
        )
    if a.size > _TABLE_ROWS:
        rows.append(f"  ({_TABLE_ROWS} largest of {a.size} errors shown)")
    return rows


def _run(
    kind: str,
    name: str,
    f: Callable,
    analytic_fn: Callable[[np.ndarray, tuple[int, ...]], object],
    x: ArrayLike,
    *,
    method: str,
    step: float | None,
    rtol: float | None,
    atol: float | None,
    seed: int,
    raise_on_fail: bool,
    scalar: bool,
    numeric_fn: Callable | None = None,
) -> GradCheckResult:
    """Shared body of the checks: validate, differentiate, compare, maybe raise."""
    _callable(f, "f")
    _callable(analytic_fn, name)
    meth = _method(method)
    h = _step(step, meth)
    rt = None if rtol is None else _nonnegative(rtol, "rtol")
    at = None if atol is None else _nonnegative(atol, "atol")
    sd = _seed(seed)
    arr = as_array(x, "x", allow_complex=False)
    count = Counter(f)
    f0 = count.real(arr)
    if scalar and f0.shape != ():
        msg = f"f must return a scalar for check_{kind}, got shape {f0.shape}"
        raise ValueError(msg)
    if numeric_fn is None:
        numeric, used, used_step, reason = _numeric(count, arr, meth, h, sd)
        expected = numeric.shape
    else:
        numeric, used, used_step, reason, expected = numeric_fn(count, arr, meth, h, sd)
    analytic = _analytic(analytic_fn(arr), name, expected)
    default_rtol, default_atol = _DEFAULTS[used][1:]
    result = _compare(
        kind,
        analytic,
        np.asarray(numeric, dtype=np.float64),
        method=used,
        step=used_step,
        rtol=default_rtol if rt is None else rt,
        atol=default_atol if at is None else at,
        n_evals=count.n_evals,
        seed=sd,
        reason=reason,
    )
    if raise_on_fail and not result.ok:
        raise GradientCheckError(result)
    return result


# --------------------------------------------------------------------------- public API


def check_gradient(
    f: Callable[[np.ndarray], float],
    grad: Callable[[np.ndarray], ArrayLike],
    x: ArrayLike,
    *,
    method: str = "auto",
    step: float | None = None,
    rtol: float | None = None,
    atol: float | None = None,
    seed: int = 0,
    raise_on_fail: bool = True,
) -> GradCheckResult:
    r"""Check ``grad(x)`` against the numeric gradient of the scalar function ``f`` at `x`.

    Parameters
    ----------
    f : callable
        ``f(x) -> float`` for real `x`. For ``"complex"``/``"auto"`` it is also called on
        complex arrays and should then return a complex scalar.
    grad : callable
        ``grad(x) -> array`` of the same shape as `x`: the formula under test.
    x : array_like
        The point, at least 1-D, finite, real.
    method : {"auto", "complex", "central", "richardson", "forward"}
        See the module docstring. ``"auto"`` uses the complex step when it is safe.
    step : float, optional
        Step of the chosen method (default: ``COMPLEX_STEP`` 1e-20, ``CENTRAL_STEP``
        :math:`2^{-15}`, ``RICHARDSON_STEP`` :math:`2^{-8}`, ``FORWARD_STEP`` :math:`2^{-27}`).
        Not allowed with ``"auto"``.
    rtol, atol : float, optional
        Tolerances of the pass rule ``|a - b| <= atol + rtol * |b|`` per component (``a``
        analytic, ``b`` numeric); defaults are the method's ``*_RTOL`` / ``*_ATOL`` constants.
    seed : int
        Seed of the random probe direction (complex-step safety check).
    raise_on_fail : bool
        Raise :class:`GradientCheckError` on failure (default) instead of returning.

    Returns
    -------
    GradCheckResult

    Raises
    ------
    GradientCheckError
        If a component fails and `raise_on_fail` is true.
    TypeError, ValueError
        For bad arguments; the message names the argument.

    Examples
    --------
    >>> import numpy as np
    >>> from gradproof.functions import cross_entropy, softmax
    >>> z, p = np.array([1.0, 2.0, 3.0]), np.array([0.2, 0.3, 0.5])
    >>> result = check_gradient(lambda z: cross_entropy(z, p), lambda z: softmax(z) - p, z)
    >>> result.ok, result.method, result.n_evals, bool(result.max_rel_err < 1e-14)
    (True, 'complex', 7, True)

    The forum's ``-p + p*q`` (seed 000) is caught:

    >>> check_gradient(lambda z: cross_entropy(z, p), lambda z: -p + p * softmax(z), z)
    Traceback (most recent call last):
    ...
    gradproof.check.GradientCheckError: gradient check FAILED: 3 of 3 component(s) outside tolerance
      pass rule |analytic - numeric| <= atol + rtol*|numeric| with rtol 1e-10, atol 1e-12
      method complex, step 1e-20, seed 0, 7 evaluations of f
      max abs err 3.33e-01, max rel err 1.85e+00 (norm-wise)
      worst index (1,): analytic -0.2265814587, numeric -0.05527152895
      index                analytic          numeric   abs err
      (0,)             -0.181993885     -0.109969427  7.20e-02  <-
      (1,)             -0.226581459    -0.0552715289  1.71e-01  <-
      (2,)             -0.167379522      0.165240956  3.33e-01  <-
      hint: numeric sums to ~0 (f is shift-invariant?) but analytic sums to -0.575955: a lost factor such as sum(p)?
    """
    return _run(
        "gradient",
        "grad",
        f,
        grad,
        x,
        method=method,
        step=step,
        rtol=rtol,
        atol=atol,
        seed=seed,
        raise_on_fail=raise_on_fail,
        scalar=True,
    )


def check_jacobian(
    f: Callable[[np.ndarray], ArrayLike],
    jac: Callable[[np.ndarray], ArrayLike],
    x: ArrayLike,
    *,
    method: str = "auto",
    step: float | None = None,
    rtol: float | None = None,
    atol: float | None = None,
    seed: int = 0,
    raise_on_fail: bool = True,
) -> GradCheckResult:
    r"""Check ``jac(x)`` against the numeric Jacobian of ``f`` at `x`.

    Shape rule: ``jac(x).shape == f(x).shape + x.shape``, entry ``[i..., j...]`` being
    :math:`\partial f_{i\ldots} / \partial x_{j\ldots}`. For ``f: R^n -> R^m`` that is the usual
    (m, n) matrix; for the softmax of ``W @ x`` in the weights ``W`` of shape (K, D) it is
    (K, K, D). Parameters, return value and pass rule are those of :func:`check_gradient`.

    Examples
    --------
    >>> import numpy as np
    >>> from gradproof.functions import softmax
    >>> z = np.array([1.0, 2.0, 3.0])
    >>> def jac(z):
    ...     q = softmax(z)
    ...     return np.diag(q) - np.outer(q, q)
    >>> check_jacobian(softmax, jac, z).ok
    True
    >>> def jac_elementwise(z):  # diag(q) - q**2: the off-diagonal terms are missing
    ...     q = softmax(z)
    ...     return np.diag(q) - np.diag(q**2)
    >>> check_jacobian(softmax, jac_elementwise, z, raise_on_fail=False).n_failing
    6
    """
    return _run(
        "jacobian",
        "jac",
        f,
        jac,
        x,
        method=method,
        step=step,
        rtol=rtol,
        atol=atol,
        seed=seed,
        raise_on_fail=raise_on_fail,
        scalar=False,
    )


def check_vjp(
    f: Callable[[np.ndarray], ArrayLike],
    vjp: Callable[[np.ndarray, np.ndarray], ArrayLike],
    x: ArrayLike,
    g: ArrayLike | None = None,
    *,
    method: str = "auto",
    step: float | None = None,
    rtol: float | None = None,
    atol: float | None = None,
    seed: int = 0,
    raise_on_fail: bool = True,
) -> GradCheckResult:
    r"""Check ``vjp(x, g)`` against :math:`g^\top J`, ``J`` the numeric Jacobian of ``f``.

    The numeric side is the gradient of the scalar :math:`x \mapsto \sum g \odot f(x)`, which
    equals :math:`g^\top J` and costs what one gradient costs. `g` has the shape of ``f(x)``;
    if omitted it is drawn from a standard normal with `seed`. ``vjp(x, g)`` must have the shape
    of `x`. Other parameters and the pass rule are those of :func:`check_gradient`.

    Examples
    --------
    >>> import numpy as np
    >>> from gradproof.functions import softmax
    >>> z = np.array([1.0, 2.0, 3.0])
    >>> def right(z, g):
    ...     s = softmax(z) * g
    ...     return s - s.sum() * softmax(z)
    >>> def wrong(z, g):  # seed 004: the scalar sum(s) subtracted from every component
    ...     s = softmax(z) * g
    ...     return s - s.sum()
    >>> check_vjp(softmax, right, z).ok, check_vjp(softmax, wrong, z, raise_on_fail=False).ok
    (True, False)
    """
    cotangent = None if g is None else as_array(g, "g", allow_complex=False)
    _callable(vjp, "vjp")

    def numeric(count: Counter, x: np.ndarray, meth: str, h: float | None, seed: int) -> tuple:
        nonlocal cotangent
        if cotangent is None:
            cotangent = np.random.default_rng(seed).standard_normal(count.out_shape)
        elif cotangent.shape != count.out_shape:
            msg = f"g must have the shape of f(x) {count.out_shape}, got {cotangent.shape}"
            raise ValueError(msg)
        weights, inner = cotangent, count.f
        # Same counter, new function: the evaluations of sum(g * f) are evaluations of f.
        count.f, count.out_shape = (lambda y: np.sum(weights * np.asarray(inner(y)))), ()
        return (*_numeric(count, x, meth, h, seed), x.shape)

    return _run(
        "vjp",
        "vjp",
        f,
        lambda x: vjp(x, cotangent),
        x,
        method=method,
        step=step,
        rtol=rtol,
        atol=atol,
        seed=seed,
        raise_on_fail=raise_on_fail,
        scalar=False,
        numeric_fn=numeric,
    )


def check_directional(
    f: Callable[[np.ndarray], float],
    grad: Callable[[np.ndarray], ArrayLike],
    x: ArrayLike,
    *,
    direction: ArrayLike | None = None,
    method: str = "auto",
    step: float | None = None,
    rtol: float | None = None,
    atol: float | None = None,
    seed: int = 0,
    raise_on_fail: bool = True,
) -> GradCheckResult:
    r"""Check ``grad(x) @ v`` against the numeric derivative of ``f`` along one direction ``v``.

    One seeded random direction (unit norm) catches any wrong gradient except with probability 0,
    in O(1) evaluations of ``f`` whatever the size of `x` (JAX's ``check_grads`` uses the same
    idea): 4 with ``"auto"``/``"complex"`` (1 at `x`, 3 for the probe, whose complex step is the
    answer), 3 with ``"central"``, 5 with ``"richardson"``. Use it when ``n`` is too large for
    :func:`check_gradient`'s ``n`` evaluations.

    The other parameters, the return value and the pass rule (applied to the one scalar) are
    those of :func:`check_gradient`; `worst_index` is ``()``.

    Parameters
    ----------
    direction : array_like, optional
        ``v``, shape of `x`, finite and nonzero; default a unit vector drawn with `seed`.

    Examples
    --------
    >>> import numpy as np
    >>> from gradproof.functions import cross_entropy, softmax
    >>> rng = np.random.default_rng(1)
    >>> z, p = rng.normal(size=100_000), rng.random(100_000)
    >>> def f(z):
    ...     return cross_entropy(z, p)
    >>> result = check_directional(f, lambda z: p.sum() * softmax(z) - p, z)
    >>> result.ok, result.n_evals
    (True, 4)
    >>> check_directional(f, lambda z: softmax(z) - p, z, raise_on_fail=False).ok
    False
    """
    v = None if direction is None else as_array(direction, "direction", allow_complex=False)
    if v is not None and not v.any():
        # grad(x) @ 0 = 0 = any numeric derivative along 0: such a check passes every gradient.
        msg = "direction must be nonzero: along the zero vector every gradient passes"
        raise ValueError(msg)

    def numeric(count: Counter, x: np.ndarray, meth: str, h: float | None, seed: int) -> tuple:
        nonlocal v
        if v is None:
            v = unit_direction(x.shape, seed)
        elif v.shape != x.shape:
            msg = f"direction must have the shape of x {x.shape}, got {v.shape}"
            raise ValueError(msg)
        return (*_numeric(count, x, meth, h, seed, along=v), ())

    def analytic(x: np.ndarray) -> np.ndarray:
        return np.asarray(np.sum(_analytic(grad(x), "grad", x.shape) * v))

    _callable(grad, "grad")
    return _run(
        "directional",
        "grad",
        f,
        analytic,
        x,
        method=method,
        step=step,
        rtol=rtol,
        atol=atol,
        seed=seed,
        raise_on_fail=raise_on_fail,
        scalar=True,
        numeric_fn=numeric,
    )


def numerical_gradient(
    f: Callable[[np.ndarray], float],
    x: ArrayLike,
    *,
    method: str = "auto",
    step: float | None = None,
    seed: int = 0,
) -> np.ndarray:
    """The numeric gradient of the scalar function ``f`` at `x`, shape of `x`.

    Parameters are those of :func:`check_gradient`.

    Examples
    --------
    >>> import numpy as np
    >>> from gradproof.functions import cross_entropy
    >>> p = np.array([0.2, 0.3, 0.5])
    >>> print(np.round(numerical_gradient(lambda z: cross_entropy(z, p), [1.0, 2.0, 3.0]), 4))
    [-0.11   -0.0553  0.1652]
    """
    _callable(f, "f")
    meth = _method(method)
    h = _step(step, meth)
    arr = as_array(x, "x", allow_complex=False)
    count = Counter(f)
    if count.real(arr).shape != ():
        msg = f"f must return a scalar for numerical_gradient, got shape {count.out_shape}"
        raise ValueError(msg)
    return _numeric(count, arr, meth, h, _seed(seed))[0]


def step_sweep(
    f: Callable[[np.ndarray], float],
    grad: Callable[[np.ndarray], ArrayLike],
    x: ArrayLike,
    steps: Sequence[float] | np.ndarray,
    *,
    method: str = "central",
) -> StepSweep:
    """Errors of ``method`` against ``grad(x)`` for each step in `steps`.

    Plotting ``max_rel_err`` against ``steps`` on log axes shows the "V": truncation error
    falling with the step, rounding error rising as it shrinks. ``grad`` should be a trusted
    closed form here; the errors are those of the numeric method.

    Examples
    --------
    >>> import numpy as np
    >>> from gradproof.functions import cross_entropy, softmax
    >>> p = np.array([0.2, 0.3, 0.5])
    >>> sweep = step_sweep(lambda z: cross_entropy(z, p), lambda z: softmax(z) - p,
    ...                    [1.0, 2.0, 3.0], np.logspace(-1, -9, 9))
    >>> print(f"{sweep.best_step:.0e}")
    1e-05
    """
    _callable(f, "f")
    _callable(grad, "grad")
    meth = _method(method)
    if meth == "auto":
        msg = "step_sweep needs a concrete method, not 'auto'"
        raise ValueError(msg)
    arr = as_array(x, "x", allow_complex=False)
    grid = as_array(steps, "steps", ndim=(1,), allow_complex=False)
    if np.any(grid <= 0):
        msg = "steps must all be > 0"
        raise ValueError(msg)
    count = Counter(f)
    if count.real(arr).shape != ():
        msg = f"f must return a scalar for step_sweep, got shape {count.out_shape}"
        raise ValueError(msg)
    exact = _analytic(grad(arr), "grad", arr.shape)
    abs_err, rel_err = [], []
    for h in grid:
        if meth != "complex" and np.any((arr + h) - arr == 0):
            # The step is below the spacing of floats at x: no difference quotient exists, so
            # report an infinite error instead of dividing 0 by 0.
            abs_err.append(np.inf)
            rel_err.append(np.inf)
            continue
        numeric = _numeric(count, arr, meth, float(h), 0)[0]
        abs_err.append(float(np.max(np.abs(numeric - exact))))
        rel_err.append(_rel_err(numeric, exact))
    return StepSweep(meth, grid, np.array(abs_err), np.array(rel_err))
