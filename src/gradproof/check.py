r"""Numerical gradient checking: complex step, central difference and Richardson extrapolation.

A check compares an *analytic* derivative (the formula under test) with a *numeric* one computed
from ``f`` alone, entry by entry, and ends in one of three verdicts
(:attr:`GradCheckResult.verdict`):

``"passed"`` (``result.ok``)
    Every entry satisfies :math:`|a - b| \le \mathrm{rtol}\,|b| + \mathrm{atol}` (``a``
    analytic, ``b`` numeric), and every entry was *resolved*: the numeric side's error bound
    there is below 1 % of the entry's own size, or, for an entry below 1e-4 of the largest, the
    entry was checked as a zero to within its tolerance (the report says how many). A value 1 %
    away, a zero derivative or a sign flip would have failed.
``"failed"``
    Some entry is outside its tolerance; :class:`GradientCheckError` is raised (unless
    ``raise_on_fail=False``) with a side-by-side table and, where the numbers establish one, a
    hint (sign flip, constant factor, constant offset, index swap, single precision).
``"cannot tell"``
    Nothing failed, but some entry was not resolved, so the comparison did not prove it: a
    stationary point or a direction along an invariance, a numeric side too coarse at this point
    (noise, low precision, a kink, a step that cannot move ``x``), or an ``atol``/``rtol`` so
    large that a zero gradient would pass. Never ``ok``; raised like a failure, with the reason.

``atol`` is scale-aware: per entry it is at least the numeric side's own error bound at this
point plus :math:`8\epsilon` times the size of the derivative (:mod:`gradproof._passrule`), so
multiplying ``f`` by any factor leaves the verdict unchanged. A given ``atol`` is a floor,
raised with a note where the numbers cannot resolve it.

Methods (``method=``). Their defaults are module constants, importable but not in ``__all__``:
``COMPLEX_STEP`` (1e-20), ``RICHARDSON_STEP`` (:math:`2^{-8}`, the first step), ``CENTRAL_STEP``
(:math:`2^{-15}`), ``FORWARD_STEP`` (:math:`2^{-27}`), and ``COMPLEX_RTOL`` (1e-10), ``RICHARDSON_RTOL`` (1e-8),
``CENTRAL_RTOL`` (1e-6), ``FORWARD_RTOL`` (1e-4).

``"complex"``
    :math:`\operatorname{Im} f(x + ih)/h`: no subtraction, no cancellation, but right only if
    ``f`` is real-analytic *as written* (no ``abs``, ``.real``, conjugation, complex comparisons
    or float buffers). It is trusted only as far as a **probe** confirms it: the complex-step
    derivative along a seeded random unit direction against extrapolated central differences
    along it, which carry their own error bound. A disagreement beyond that bound means ``f``
    is not complex-step safe (``method="complex"`` then raises ``ValueError``). An agreement
    bounds the complex step along the direction, and each Jacobian entry is trusted to
    :math:`100\sqrt{2n/\pi}` times that: what one random direction needs in order to see, except
    with probability below 1 %, an error in any single entry that the check could count
    (:mod:`gradproof._numeric` gives the argument). The direction is seeded, so for one ``f``
    the 1 % is not a fresh draw per run: an error along a coordinate the seeded direction nearly
    misses is missed every time (another `seed` is another draw). Where that bound cannot
    resolve a nonzero entry to 1 % of its own size, ``"auto"`` differences that coordinate
    by Richardson too and keeps the finer bound; an explicit ``step`` is bounded by its distance
    from the confirmed one.
``"richardson"``
    A Richardson tableau of central differences per coordinate with an error estimate per
    entry; its steps shrink where ``f`` is not smooth on their scale (a kink within the step, a
    low temperature, a kink near ``x``, where they look closer), entries at a kink at ``x`` (or
    closer to it than the smallest step) cannot tell rather than blame the derivative, and a
    failing entry is extrapolated again at other steps first.
``"central"``, ``"forward"``
    Fixed steps, for comparison and step sweeps; only their rounding is bounded.
``"auto"`` (default)
    The complex step when the probe confirms it finely enough to resolve some entry, with the
    coordinates it cannot resolve differenced as well; otherwise Richardson, with the reason in
    :attr:`GradCheckResult.fallback_reason`.

The rounding noise of ``f`` near ``x`` is measured first, and float32 results of ``f`` or of the
analytic side are recognised: bounds and tolerances use the precision they find.

Evaluations of ``f`` for ``x`` with ``n`` entries: 1 at ``x`` and 6 to measure the noise (12 or
18 when ``f`` is rough or flat there); ``"complex"`` and ``"auto"`` add the probe (one complex
step and 6 to 10 real evaluations, more where the steps must shrink) and ``n`` complex steps;
Richardson adds 6 to 8 per coordinate where ``f`` is smooth, central ``2n``, forward ``n``.
:func:`check_directional` costs 15 to 25 evaluations whatever ``n`` is (up to about 60 where
the steps must shrink a long way): the check for large inputs. Before this design the probe
cost 3 evaluations and had no error bound of its own; the rest is what an honest bound costs.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import ArrayLike

from gradproof._compare import (
    compare,
    report_lines,
    sweep_errors,
)
from gradproof._numdiff import COMPLEX_STEP, METHODS, Counter
from gradproof._numeric import numeric_side
from gradproof._validation import (
    as_array,
    as_callable,
    as_choice,
    as_derivative,
    as_flag,
    as_int,
    as_scalar,
    as_step,
    as_steps,
)
from gradproof._vector_products import Cotangent, UnitDirection

__all__ = [
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

CENTRAL_STEP = 2.0**-15
r"""Central-difference step, about 3.05e-5: where truncation :math:`h^2 |f'''|/6` and rounding
:math:`\epsilon S / h` balance for unit-scale ``f`` (measured best power of two on random
cross-entropy problems). A power of two, so ``x + h`` is exact for :math:`|x| < 2^{37}`."""

RICHARDSON_STEP = 2.0**-8
"""First step of Richardson extrapolation, about 3.9e-3 (and the step of the two-level formula
that :func:`step_sweep` and an explicit ``step`` use): extrapolation removes the :math:`h^2`
term, so the best step is larger than central's."""

FORWARD_STEP = 2.0**-27
r"""Forward-difference step, about 7.5e-9, i.e. :math:`\sqrt{\epsilon}`."""

COMPLEX_RTOL = 1e-10
"""Relative part of the complex step's tolerance. The absolute part is set by the probe."""

RICHARDSON_RTOL = 1e-8
"""Relative part of Richardson's tolerance; the absolute part is its error estimate."""

CENTRAL_RTOL = 1e-6
"""Relative part of central differences' tolerance; it also covers their truncation error."""

FORWARD_RTOL = 1e-4
"""Forward differences are first order; offered for comparison, not as a check of record."""


def _defaults() -> dict[str, dict[str, float]]:
    """The default steps and rtols, read when a check runs (so the constants can be changed)."""
    return {
        "steps": {
            "complex": COMPLEX_STEP,
            "central": CENTRAL_STEP,
            "richardson": RICHARDSON_STEP,
            "forward": FORWARD_STEP,
        },
        "rtols": {
            "complex": COMPLEX_RTOL,
            "central": CENTRAL_RTOL,
            "richardson": RICHARDSON_RTOL,
            "forward": FORWARD_RTOL,
        },
    }


class GradientCheckError(AssertionError):
    """A check failed, or could not tell (see :attr:`GradCheckResult.verdict`).

    The message is the :meth:`GradCheckResult.report`; the result is kept in ``result``.
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
        The verdict is ``"passed"``.
    verdict : str
        ``"passed"``, ``"failed"`` or ``"cannot tell"`` (see the module docstring).
    kind : str
        ``"gradient"``, ``"jacobian"``, ``"vjp"`` or ``"directional"``.
    method : str
        The method actually used (``"auto"`` resolves to ``"complex"`` or ``"richardson"``).
    step : float
        The (first) step of that method.
    rtol : float
        The relative tolerance applied.
    atol : float
        The largest absolute tolerance applied to an entry (each entry has its own, see
        `tolerance`).
    max_abs_err : float
        ``max |a - b|``.
    max_rel_err : float
        Norm-wise ``||a - b|| / ||b||`` (0 when both are 0, inf when only ``b`` is).
    worst_index : tuple of int
        Index of the entry furthest outside (or closest to) its tolerance, relative to it;
        ``()`` for a directional check.
    analytic_at_worst, numeric_at_worst : float
        The two values there.
    n_failing, n_unresolved, n_checked : int
        Entries outside their tolerance; entries whose tolerance is at least the derivative's
        size (nothing could fail there); entries compared.
    n_evals : int
        Evaluations of ``f``, including the probe and the one at ``x``.
    seed : int
        Seed of the random probe direction, VJP cotangent or check direction.
    fallback_reason : str or None
        Why ``method="auto"`` did not use the complex step.
    hints : tuple of str
        Patterns the numbers establish in a failure (empty unless failed).
    notes : tuple of str
        What the numeric side noticed: the probe's resolution, kinks, precision, a raised
        ``atol``, why the check cannot tell.
    analytic, numeric, tolerance : numpy.ndarray
        The compared arrays and each entry's tolerance.
    """

    ok: bool
    verdict: str
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
    n_unresolved: int
    n_checked: int
    n_evals: int
    seed: int
    fallback_reason: str | None = None
    hints: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    analytic: np.ndarray = field(default_factory=lambda: np.empty(0), repr=False, compare=False)
    numeric: np.ndarray = field(default_factory=lambda: np.empty(0), repr=False, compare=False)
    tolerance: np.ndarray = field(default_factory=lambda: np.empty(0), repr=False, compare=False)

    def report(self) -> str:
        """A readable summary; for a failure, a diff-like table and hints."""
        return "\n".join(report_lines(self))

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


def _options(method, step, rtol, atol, seed, raise_on_fail) -> dict:
    return {"method": method, "step": step, "rtol": rtol, "atol": atol, "seed": seed,
            "raise_on_fail": raise_on_fail}  # fmt: skip


def _run(kind: str, name: str, f, analytic_fn, x, scalar: bool, options: dict, prepare=None):
    """Compare (see :func:`gradproof._compare.compare`), build the result, maybe raise."""
    raising = as_flag(options.pop("raise_on_fail"), "raise_on_fail")
    fields = compare(kind, name, f, analytic_fn, x, scalar=scalar, prepare=prepare, **options,
                     **_defaults())  # fmt: skip
    result = GradCheckResult(**fields)
    if raising and not result.ok:
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
        See the module docstring. ``"auto"`` uses the complex step when the probe confirms it.
    step : float, optional
        Step of the chosen method, fixed (defaults: ``COMPLEX_STEP`` 1e-20, ``CENTRAL_STEP``
        :math:`2^{-15}`, ``FORWARD_STEP`` :math:`2^{-27}`; Richardson without a step chooses its
        steps from ``RICHARDSON_STEP`` :math:`2^{-8}` down). Not allowed with ``"auto"``.
    rtol : float, optional
        Relative tolerance; default the method's ``*_RTOL``.
    atol : float, optional
        Absolute tolerance, a floor: each entry's is at least the numeric side's error bound
        plus ``8 eps`` times the derivative's size (raised with a note where needed).
    seed : int
        Seed of the random probe direction.
    raise_on_fail : bool
        Raise :class:`GradientCheckError` when the verdict is not ``"passed"`` (default).

    Returns
    -------
    GradCheckResult

    Raises
    ------
    GradientCheckError
        If the check failed or cannot tell, and `raise_on_fail` is true.
    TypeError, ValueError
        For bad arguments; the message names the argument.

    Examples
    --------
    >>> import numpy as np
    >>> from gradproof.functions import cross_entropy, softmax
    >>> z, p = np.array([1.0, 2.0, 3.0]), np.array([0.2, 0.3, 0.5])
    >>> result = check_gradient(lambda z: cross_entropy(z, p), lambda z: softmax(z) - p, z)
    >>> result.ok, result.method, bool(result.atol < 1e-8 * np.abs(result.numeric).max())
    (True, 'complex', True)

    The forum's ``-p + p*q`` (seed 000) is caught:

    >>> bad = check_gradient(lambda z: cross_entropy(z, p), lambda z: -p + p * softmax(z), z,
    ...                      raise_on_fail=False)
    >>> bad.verdict, bad.n_failing, bad.hints
    ('failed', 3, ())

    At a stationary point no gradient check can tell a right formula from a wrong one that
    also vanishes there, and it says so:

    >>> q = softmax(z)
    >>> check_gradient(lambda z: cross_entropy(z, q), lambda z: softmax(z) - q, z,
    ...                raise_on_fail=False).verdict
    'cannot tell'
    """
    options = _options(method, step, rtol, atol, seed, raise_on_fail)
    return _run("gradient", "grad", f, grad, x, True, options)


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
    (K, K, D). Parameters, return value and verdicts are those of :func:`check_gradient`; the
    probe bounds each output separately.

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
    options = _options(method, step, rtol, atol, seed, raise_on_fail)
    return _run("jacobian", "jac", f, jac, x, False, options)


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

    The numeric side is :math:`\|g\|` times the gradient of the scalar
    :math:`x \mapsto \sum \hat g \odot f(x)` with the unit vector :math:`\hat g = g/\|g\|`: the
    same :math:`g^\top J`, differentiated at unit scale whatever the size of `g`, for the cost
    of one gradient. `g` has the shape of ``f(x)``; if omitted it is drawn from a standard
    normal with `seed`. ``vjp(x, g)`` must have the shape of `x`. A `g` in the left null space
    of ``J`` (all ones for the softmax, whose outputs sum to 1) makes :math:`g^\top J = 0`: the
    check then cannot tell. Other parameters and the verdicts are those of
    :func:`check_gradient`.

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
    cotangent = Cotangent(g, seed)
    as_callable(vjp, "vjp")
    options = _options(method, step, rtol, atol, seed, raise_on_fail)
    analytic = cotangent.analytic(vjp)
    return _run("vjp", "vjp", f, analytic, x, False, options, prepare=cotangent.prepare)


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
    r"""Check ``grad(x) @ v`` against the numeric derivative of ``f`` along one unit direction.

    One seeded random direction catches a wrong gradient unless the error happens to be
    orthogonal to it, in a dozen evaluations of ``f`` whatever the size of `x` (JAX's
    ``check_grads`` uses the same idea); use it when ``n`` is too large for
    :func:`check_gradient`. A given `direction` is scaled to unit length first, so its size
    does not matter. Along a direction in which ``f`` does not
    change to first order (all ones for a shift-invariant loss) both sides are ~0: the check
    then cannot tell, whatever the gradient.

    The other parameters, the return value and the verdicts are those of
    :func:`check_gradient`; `worst_index` is ``()``. Along one direction the probe's bound needs
    no factor: it is the check's error bound itself.

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
    >>> result.ok, result.n_evals < 20
    (True, True)
    >>> check_directional(f, lambda z: softmax(z) - p, z, raise_on_fail=False).ok
    False
    """
    along = UnitDirection(direction, seed)
    as_callable(grad, "grad")
    options = _options(method, step, rtol, atol, seed, raise_on_fail)
    analytic = along.analytic(grad)
    return _run("directional", "grad", f, analytic, x, True, options, prepare=along.prepare)


def numerical_gradient(
    f: Callable[[np.ndarray], float],
    x: ArrayLike,
    *,
    method: str = "auto",
    step: float | None = None,
    seed: int = 0,
) -> np.ndarray:
    """The numeric gradient of the scalar function ``f`` at `x`, shape of `x`.

    Parameters are those of :func:`check_gradient`; the error bounds are not returned (run a
    check for those).

    Examples
    --------
    >>> import numpy as np
    >>> from gradproof.functions import cross_entropy
    >>> p = np.array([0.2, 0.3, 0.5])
    >>> print(np.round(numerical_gradient(lambda z: cross_entropy(z, p), [1.0, 2.0, 3.0]), 4))
    [-0.11   -0.0553  0.1652]
    """
    as_callable(f, "f")
    meth = as_choice(method, "method", METHODS)
    h = as_step(step, meth)
    sd = as_int(seed, "seed", minimum=0)
    arr = as_array(x, "x", allow_complex=False).copy()
    count = Counter(f)
    f0 = as_scalar(count.real(arr), "f for numerical_gradient")
    count.x = arr
    count.edge_ok = True  # steps past a domain edge are retried smaller where the method can
    side = numeric_side(count, arr, f0, meth, h, sd, **_defaults())
    if not np.all(np.isfinite(side.values)):
        msg = (
            "f is not finite at every step the numeric gradient would take from x (a "
            "singularity or the edge of f's domain that close): move x further from it"
        )
        raise ValueError(msg)
    return side.values


def step_sweep(
    f: Callable[[np.ndarray], float],
    grad: Callable[[np.ndarray], ArrayLike],
    x: ArrayLike,
    steps: Sequence[float] | np.ndarray,
    *,
    method: str = "central",
) -> StepSweep:
    """Errors of ``method`` at each fixed step in `steps`, against ``grad(x)``.

    Plotting ``max_rel_err`` against ``steps`` on log axes shows the "V": truncation error
    falling with the step, rounding error rising as it shrinks. ``grad`` should be a trusted
    closed form here; the errors are those of the numeric method. Richardson is the two-level
    formula at each step (no adaptive steps, no probe for the complex step).

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
    as_callable(f, "f")
    as_callable(grad, "grad")
    meth = as_choice(method, "method", METHODS[1:])  # a concrete method: no 'auto' here
    arr = as_array(x, "x", allow_complex=False).copy()
    grid = as_steps(steps)
    count = Counter(f)
    f0 = as_scalar(count.real(arr), "f for step_sweep")
    count.x = arr
    exact, _ = as_derivative(grad(arr), "grad", arr.shape)
    return StepSweep(meth, grid, *sweep_errors(count, arr, f0, exact, grid, meth))
