r"""Richardson extrapolation of central differences, with error bounds and a test for kinks.

:func:`extrapolate` builds a Richardson tableau from :math:`D(h), D(h/2), D(h/4), \ldots`, the
central differences of :mod:`gradproof._numdiff`, estimates the error of each entry from its
neighbours (Ridders' rule), adds the rounding floor (the noise measured by
:func:`~gradproof._noise.noise_level`), and picks the entry with the smallest bound. It shrinks
the step while that helps and stops once rounding would dominate; when the levels stall (a kink
within the step, or ``f`` varying on a scale below the step) it restarts at a step sixteen times
smaller. The step is chosen by the point, not fixed.

The same evaluations give the second differences ``f(x + h) + f(x - h) - 2 f(x)``: where they
decay like ``h`` rather than ``h**2``, or where the one-sided slopes, extrapolated to step 0,
differ by more than their own error, ``f`` has a kink at ``x`` (:attr:`Extrapolated.kink`), and
a kink seen clearly is looked at again at smaller steps, to tell one at ``x`` from one near it.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from gradproof._numdiff import DIRECTION_SMALLEST_STEP, Counter, Direction, central_and_size

__all__ = ["Extrapolated", "extrapolate"]

_TINIEST = float(np.finfo(np.float64).smallest_subnormal)
"""The spacing of floats below 2.2e-308: there rounding is absolute, not relative."""

_LEVELS_BEFORE_RESTART = 3
_KINK_FACTOR = 10.0
"""A difference of the one-sided slopes is a kink when it is this many times its own bound."""
_RESTART_FACTOR = 16.0
_CLOSER_FACTOR = 2.0 * _KINK_FACTOR
"""A kink seen this many times clear of its bound is looked at again at 16 times smaller steps
(twice the declaring factor, so that a kink barely declared costs no descent)."""
_CLEAN_FACTOR = 3.0
"""A kink is gone at finer steps where the slopes' difference plus this many of its bounds is
below half the difference seen before. A kink at x keeps its difference at every step, so it
is never gone; what a kink near x leaves is within the allowance the pass rule keeps for a kink
too small to declare (``Extrapolated.half_jump``)."""
_KINK_EVALS = 120
"""Evaluations one call may have spent before it looks closer at a kink; each closer look is
a call of its own, and steps stop at the smallest allowed, so the chain is finite."""
_SMALLEST_STEP = 2.0**-40
"""Below about 1e-12 a difference quotient of a float64 f is rounding noise, whatever f is."""


@dataclass
class Extrapolated:
    """An extrapolated derivative along one direction, with its error bound.

    Attributes
    ----------
    value, bound : numpy.ndarray
        Shape of ``f(x)``. `bound` is the estimated error: the tableau's own estimate plus the
        rounding floor at the finest step of the chosen entry (not yet multiplied by any
        safety factor).
    steps : tuple of float
        The largest and smallest step evaluated.
    restarted_below : float or None
        If the first levels disagreed grossly and the tableau restarted at smaller steps, the
        largest step at which that happened (a kink or fast variation within that distance).
    kink : numpy.ndarray of bool
        Components where ``f`` has a kink at ``x`` along the direction, or closer to it than
        the smallest step (differences cannot tell the two apart): the one-sided slopes
        ``(f(x+h) - f(x))/h`` and ``(f(x) - f(x-h))/h`` differ by an amount that does not
        shrink like a smooth function's ``h f''``. `value` is then the mean of
        the two slopes and `bound` its error as a mean; :meth:`half_jump` covers the slopes.
    slope_jump, slope_jump_bound : numpy.ndarray
        The right slope minus the left one, extrapolated to step 0 (``_slope_jump``), and its
        error bound (inf with fewer than three levels). For smooth ``f`` it is 0 within the
        bound; a kink is declared where it is ``_KINK_FACTOR`` times the bound.
    n_evals : int
        Evaluations of ``f`` used.
    size : numpy.ndarray
        The largest ``|f|`` among the points evaluated (shape of ``f(x)``).
    outside : float or None
        The largest step at which ``f`` was not finite at ``x ± h d`` (a domain edge or a
        singularity within it); the tableau then started again at smaller steps. Where no step
        down to the smallest allowed stays in ``f``'s domain, `value` is NaN and `bound` inf.
    """

    value: np.ndarray
    bound: np.ndarray
    steps: tuple[float, float]
    restarted_below: float | None
    kink: np.ndarray
    slope_jump: np.ndarray
    slope_jump_bound: np.ndarray
    n_evals: int
    size: np.ndarray
    outside: float | None
    _choose: Callable[[np.ndarray], tuple[np.ndarray, np.ndarray]] = field(repr=False)
    _raw_jump: np.ndarray = field(repr=False, default_factory=lambda: np.zeros(()))

    def half_jump(self, safety: float) -> np.ndarray:
        """Half the distance between the one-sided slopes, as far as the differences can rule
        it out: ``value ± half_jump`` (widened by `bound`) holds both slopes.

        - At a declared kink: ``(|J| + safety * bound_J) / 2``.
        - Elsewhere, ``(|J| + bound_J) / 2``: a kink too small to declare still moves the
          central differences by half its jump, which the tableau's own estimate does not see,
          and ``|J| + bound_J`` is what the extrapolated ``J`` cannot rule out. Where ``J`` is
          0 within its bound and that half is within ``safety * bound``, which the check adds
          anyway, it is 0 (in the rounding range ``bound_J``, taken at the third level, is
          about 16 bounds). The pass rule lets a value pass only within the tolerance less
          this (``NumericSide.room``), so that a pass is within tolerance of both slopes.
        - Where ``J`` is not resolved (a kink seen only by the ratio test, or too few levels):
          half of ``|s| + |s - s'|`` plus their rounding, ``s`` and ``s'`` the slopes'
          differences at the finest step ``h`` and at ``2h``. ``s = J + h f''`` and
          ``s - s' = -h f''`` to leading order, so this is at least ``|J| / 2`` whatever the
          sign of ``f''``; 0 without a kink.
        """
        jump, jump_bound = np.abs(self.slope_jump), self.slope_jump_bound
        resolved = np.isfinite(jump_bound)
        factor = np.where(self.kink, safety, 1.0)
        seen = (jump + factor * jump_bound) / 2.0
        covered = ~self.kink & (jump <= jump_bound) & (seen <= safety * self.bound)
        seen = np.where(covered, 0.0, seen)
        return np.where(resolved, seen, np.where(self.kink, self._raw_jump, 0.0))

    def reselect(self, noise: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Choose again among the same tableau entries, with a larger `noise` figure.

        Returns ``(value, bound)``: for a second opinion that found more noise than the first.
        """
        return self._choose(noise)


def extrapolate(
    count: Counter,
    x: np.ndarray,
    d: Direction,
    h0: float,
    *,
    f0: np.ndarray,
    noise: np.ndarray | float = 0.0,
    rtol_target: float = 0.0,
    max_evals: int = 40,
    smallest_step: float | None = None,
) -> Extrapolated:
    r"""Richardson tableau of central differences along `d`, starting at step `h0`.

    Level ``k`` adds :math:`D(h_k)`, :math:`h_k = h_0 / 2^k`, and row ``k`` of the tableau the
    extrapolations :math:`T_{k,m} = T_{k,m-1} + (T_{k,m-1} - T_{k-1,m-1})/(4^m - 1)`. The error
    of an entry is estimated as its largest difference from the entries it was built from and
    the entry of the same order one level up (Ridders' rule), plus the rounding floor
    ``2 (eps_f S + 2 noise) / h_k``: ``S`` is the size of ``f``'s values and `noise` the measured
    rounding noise of ``f`` near ``x`` (:func:`~gradproof._noise.noise_level`), which can be far
    larger than ``eps_f S`` when ``f`` is computed from terms larger than itself. The entry with the
    smallest estimate wins, separately for each component of ``f(x)``.

    A component whose values stop moving at all (``f(x ± h) == f(x)``) after they moved at a
    larger step is settled at the level before: its rounding hides the change from there on.
    A component is also settled, after at least three levels, when its bound is below
    ``rtol_target * |value|`` or below the floor, or when the newest diagonal entry is worse
    than the best bound by a factor 2 while that bound is below 1e-5 of the derivative's size
    (Ridders' stopping rule: the steps have reached the rounding range, and further levels
    only add noise). The tableau stops when every component is settled.

    It restarts at ``h_k / 16`` when some component's bound is above 1e-5 of the derivative's
    size and ten times its floor, and has not fallen fourfold at the last level. In the
    asymptotic range each level cuts the leading error at least fourfold (it is of order
    ``h**2`` or higher), and rounding noise that large would need terms inside ``f`` some 1e8
    times the derivative: such a stall means the steps are too large for this point (a kink
    within the step, a function varying on a smaller scale).

    Where ``f`` is not finite at ``x ± h d`` (``log`` near 0, the edge of ``f``'s domain within
    the step), that level is discarded and the tableau starts again at ``h / 16``, as often as
    the smallest step allows.

    Steps along a coordinate stay at least 16 float spacings of ``x_d`` (the first at least four
    times that); along a direction they stay at least `smallest_step`.
    """
    if isinstance(d, int):
        # Steps of at least 16 float spacings of x_d, so that x + h never rounds to x (at
        # |x| = 1e13 a step of 2**-40 would divide 0 by 0).
        moving = 2.0 ** math.ceil(math.log2(16.0 * float(np.spacing(abs(x.flat[d])))))
        smallest_allowed = max(_SMALLEST_STEP, moving)
        h0 = max(h0, 4.0 * smallest_allowed)
    else:
        smallest_allowed = DIRECTION_SMALLEST_STEP if smallest_step is None else smallest_step
    shape = np.shape(f0)
    rows: list[list[np.ndarray]] = []
    history: list[np.ndarray] = []
    seconds: list[tuple[float, np.ndarray]] = []
    tableau = _Candidates(shape)
    size, scale = np.abs(f0), np.zeros(shape)
    moved = np.zeros(shape, dtype=bool)
    h, largest, smallest, level = h0, None, h0, 0
    restarted_below = outside = None
    used = count.n_evals
    while True:
        diff, magnitude, second = central_and_size(count, x, d, h, f0)
        if not np.all(np.isfinite(magnitude)):
            # f is not finite at x + h d or x - h d: the step reaches past a domain edge or a
            # singularity. Its difference means nothing; start again at steps that stay inside.
            outside = h if outside is None else outside
            rows, history, seconds = [], [], []
            if h / _RESTART_FACTOR < smallest_allowed or count.n_evals - used + 2 > max_evals:
                break
            h /= _RESTART_FACTOR
            continue
        largest = h if largest is None else largest
        # Values identical to f(x) at a step after they had moved at a larger one: f's rounding
        # now hides its change, and this level and finer ones carry no information.
        still = (diff == 0) & (second == 0)
        tableau.settle(moved & still, level - 1)
        moved |= ~still
        seconds.append((h, second))
        size, scale = np.maximum(size, magnitude), np.maximum(scale, np.abs(diff))
        unit = np.maximum(count.eps * size, _TINIEST)
        rounding = 2.0 * (unit + 2.0 * noise)
        smallest, floor = h, rounding / h
        row = [diff]
        for m in range(1, len(rows) + 1):
            prev = rows[-1]
            entry = row[m - 1] + (row[m - 1] - prev[m - 1]) / (4.0**m - 1.0)
            err = np.maximum(np.abs(entry - row[m - 1]), np.abs(entry - prev[m - 1]))
            if m < len(prev):
                err = np.maximum(err, np.abs(entry - prev[m]))
            row.append(entry)
            tableau.add(entry, err, h, level)
        rows.append(row)
        level += 1
        spent = count.n_evals - used
        if len(rows) < 2:
            h /= 2.0
            continue
        best, best_bound = tableau.best(rounding)
        history.append(best_bound)
        if len(rows) >= _LEVELS_BEFORE_RESTART:
            near = best_bound <= 1e-5 * scale
            worse = np.abs(row[-1] - rows[-2][-1]) >= 2.0 * best_bound
            done = (
                (best_bound <= rtol_target * np.abs(best)) | (best_bound < floor) | (near & worse)
            )
            tableau.settle(done, level)
            if tableau.settled_all():
                break
            stalled = ~tableau.is_settled() & ~near & (best_bound > 10.0 * floor)
            stalled &= best_bound * 4.0 > history[-2]
            if stalled.any() and h / _RESTART_FACTOR >= smallest_allowed:
                restarted_below = h if restarted_below is None else restarted_below
                # The stall is the evidence against the entries made so far: the components
                # that stalled choose only among those of the smaller steps.
                tableau.forget(stalled)
                rows, history, seconds, h = [], [], [], h / _RESTART_FACTOR
                if spent + 2 * _LEVELS_BEFORE_RESTART > max_evals:
                    break
                continue
        if spent + 2 > max_evals or h / 2.0 < smallest_allowed:
            break
        h /= 2.0
    unit = np.maximum(count.eps * size, _TINIEST)  # subnormal values are rounded absolutely
    enough = len(seconds) >= 2
    rounding = 2.0 * (unit + 2.0 * noise)
    kink = _kinks(seconds, smallest, scale, rounding) if enough else np.zeros(shape, bool)
    slopes, slopes_bound = _slope_jump(seconds, rounding)
    # A kink at x whose jump is small next to h f'' at every step taken: the extrapolated
    # difference of the one-sided slopes stands clear of its own error (for smooth f it is 0).
    kink |= np.abs(slopes) > _KINK_FACTOR * slopes_bound
    raw = np.zeros(shape)
    if enough:
        (_, before), (h_last, last) = seconds[-2], seconds[-1]
        # s = second / h at the finest step and s' at twice it: half of |s| + |s - s'|, with
        # the rounding of both (see Extrapolated.half_jump).
        raw = (2.0 * np.abs(last) + np.abs(2.0 * last - before) + 6.0 * rounding) / (4.0 * h_last)

    def reselect(louder: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        if tableau.empty():  # max_evals too small for two levels, or no step inside f's domain
            return (rows[-1][0] if rows else np.full(shape, np.nan)), np.full(shape, np.inf)
        return tableau.best(2.0 * (unit + 2.0 * louder))

    best, best_bound = reselect(noise)
    fit = Extrapolated(
        best,
        best_bound,
        (h0 if largest is None else largest, smallest),
        restarted_below,
        kink,
        slopes,
        slopes_bound,
        count.n_evals - used,
        size,
        outside,
        reselect,
        raw,
    )
    closer = kink & (np.abs(slopes) > _CLOSER_FACTOR * slopes_bound)
    finest = smallest / _RESTART_FACTOR
    if closer.any() and finest >= smallest_allowed and count.n_evals - used < _KINK_EVALS:
        finer = extrapolate(
            count, x, d, finest, f0=f0, noise=noise, rtol_target=rtol_target,
            max_evals=max_evals, smallest_step=smallest_step,
        )  # fmt: skip
        # Taken where the kink is still there (a closer bound on where it is) or cleanly gone:
        # the slopes' difference, three bounds up, below half the one seen at larger steps. In
        # between, at steps comparable to the kink's distance, J (1 - delta/h) is neither, and
        # a bound grown with the finer steps must not pass for a kink gone.
        gone = np.abs(finer.slope_jump) + _CLEAN_FACTOR * finer.slope_jump_bound
        clean = gone < np.abs(slopes) / 2.0
        fit = _closer(fit, finer, closer & np.isfinite(finer.value) & (finer.kink | clean))
    return fit


def _closer(coarse: Extrapolated, fine: Extrapolated, mask: np.ndarray) -> Extrapolated:
    """`coarse`, with the components in `mask` taken from `fine`, a tableau at smaller steps.

    A kink at ``x`` shows at every step; one at a distance ``delta`` from ``x`` looks the same
    at steps much larger than ``delta`` (the slopes' difference there is ``J (1 - delta/h)``)
    and is gone at steps below it. The components whose kink the coarse tableau saw clearly
    enough to see it again at sixteen times smaller steps (``_CLOSER_FACTOR``) are looked at
    again there: if the kink is gone, it was near ``x``, not at it, and the finer steps give
    the derivative; if not, the finer look is the closer bound on where the kink is.
    """

    def pick(a, b):
        return np.where(mask, b, a)

    def reselect(louder: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        (v1, b1), (v2, b2) = coarse.reselect(louder), fine.reselect(louder)
        return pick(v1, v2), pick(b1, b2)

    return Extrapolated(
        pick(coarse.value, fine.value),
        pick(coarse.bound, fine.bound),
        (coarse.steps[0], fine.steps[1]),
        coarse.restarted_below or coarse.steps[1],
        pick(coarse.kink, fine.kink),
        pick(coarse.slope_jump, fine.slope_jump),
        pick(coarse.slope_jump_bound, fine.slope_jump_bound),
        coarse.n_evals + fine.n_evals,
        np.maximum(coarse.size, fine.size),
        coarse.outside or fine.outside,
        reselect,
        pick(coarse._raw_jump, fine._raw_jump),
    )


class _Candidates:
    """The tableau's entries with their error estimates, for choosing the best one.

    The bound of an entry is its estimate plus the rounding floor at its finest step; the floor
    is applied when choosing, so that noise discovered later raises the bounds of entries made
    earlier. A component that has settled at some level only chooses among entries up to it.
    """

    def __init__(self, shape: tuple[int, ...]) -> None:
        self.values: list[np.ndarray] = []
        self.errors: list[np.ndarray] = []
        self.steps: list[float] = []
        self.levels: list[int] = []
        self.settled_at = np.full(shape, np.inf)

    def add(self, value: np.ndarray, error: np.ndarray, h: float, level: int) -> None:
        self.values.append(value)
        self.errors.append(error)
        self.steps.append(h)
        self.levels.append(level)

    def empty(self) -> bool:
        return not self.values

    def forget(self, mask: np.ndarray) -> None:
        """Drop the entries made so far for the components in `mask`."""
        self.errors = [np.where(mask, np.inf, e) for e in self.errors]

    def best(self, rounding: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        values, errors = np.stack(self.values), np.stack(self.errors)
        extra = (1,) * (values.ndim - 1)
        steps = np.reshape(self.steps, (-1, *extra))
        levels = np.reshape(self.levels, (-1, *extra))
        bounds = np.where(levels <= self.settled_at, errors + rounding / steps, np.inf)
        pick = np.argmin(bounds, axis=0)[None, ...]
        return np.take_along_axis(values, pick, 0)[0], np.take_along_axis(bounds, pick, 0)[0]

    def settle(self, done: np.ndarray, level: int) -> None:
        self.settled_at = np.where(done & np.isinf(self.settled_at), level, self.settled_at)

    def is_settled(self) -> np.ndarray:
        return np.isfinite(self.settled_at)

    def settled_all(self) -> bool:
        return bool(np.all(self.is_settled()))


def _kinks(
    seconds: list[tuple[float, np.ndarray]], h: float, scale: np.ndarray, noise: np.ndarray
) -> np.ndarray:
    """Where the second differences of the last two levels decay like ``h``, not ``h**2``.

    ``f(x+h) + f(x-h) - 2 f(x)`` is ``h^2 f''(x) + O(h^4)`` for smooth ``f``: halving the step
    divides it by 4. Across a kink it is ``h`` times the jump in slope (halved with the step),
    across a jump it stays put. A ratio between the last two levels within 0.1 of 1/2 (a kink)
    or above 0.9 (a jump) is therefore no smooth function, and no ``|x|^p`` either, whose ratio
    is ``2^-p`` (``|x|^1.5`` at 0 is differentiable, with ratio 0.354), provided the second difference is a hundred times the rounding of ``f``'s
    values (`noise`) and the implied jump in slope, ``|second| / h``, more than 1e-6 of the
    derivative's size: rounding noise, whose second differences also stay put, is below both.
    """
    (_, before), (_, last) = seconds[-2], seconds[-1]
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.abs(last) / np.abs(before)
    above_rounding = np.abs(last) > 100.0 * noise
    shaped = (np.abs(ratio - 0.5) <= 0.1) | (ratio > 0.9)
    return above_rounding & (np.abs(last) / h > 1e-6 * scale) & shaped


def _slope_jump(
    seconds: list[tuple[float, np.ndarray]], rounding: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    r"""The right slope minus the left one at x, extrapolated to step 0, and its error bound.

    ``s(h) = (f(x+h) + f(x-h) - 2 f(x)) / h`` is the forward minus the backward difference.
    For smooth ``f`` it is :math:`h f^{(2)} + h^3 f^{(4)}/12 + \ldots`, odd in ``h``; a kink at
    x adds the slopes' difference ``J`` as a constant term. Eliminating the ``h``, ``h^3`` and
    ``h^5`` terms across halving steps (Richardson, factors 1, 7 and 31) leaves ``J`` plus higher-order
    terms, however small ``J`` is next to ``h f''``: the ratio test of :func:`_kinks` sees a
    kink only once it dominates. Each entry's error is estimated as in the derivative's
    tableau (its distance from the entries it came from) plus its rounding, at most
    ``8 rounding / h``: ``s`` carries ``2 rounding / h``, the first two eliminations at most
    multiply that by 2.5 and the third by 1.1. Returns ``(J, bound)``; the bound is inf with fewer than three
    levels. The entries use no evaluation beyond the central differences' own.
    """
    shape = np.shape(seconds[0][1]) if seconds else ()
    best, best_bound = np.zeros(shape), np.full(shape, np.inf)
    rows: list[list[np.ndarray]] = []
    for h, second in seconds:
        row = [second / h]
        if rows:
            prev = rows[-1]
            for m, power in enumerate((1, 3, 5)[: len(prev)], start=1):
                entry = row[m - 1] + (row[m - 1] - prev[m - 1]) / (2.0**power - 1.0)
                err = np.maximum(np.abs(entry - row[m - 1]), np.abs(entry - prev[m - 1]))
                if m < len(prev):
                    err = np.maximum(err, np.abs(entry - prev[m]))
                row.append(entry)
                if m == 1 and len(prev) < 2:
                    continue  # no entry one level up to estimate its error against
                bound = err + 8.0 * rounding / h
                finer = bound < best_bound
                best, best_bound = np.where(finer, entry, best), np.where(finer, bound, best_bound)
        rows.append(row)
    return best, best_bound
