"""The body every check of :mod:`gradproof.check` shares: validate, differentiate, compare.

:func:`compare` validates the arguments (in :mod:`gradproof._validation`), evaluates ``f`` once
at ``x``, gets the numeric side with its error bounds (:mod:`gradproof._numeric`), calls the
analytic side, applies the pass rule (:mod:`gradproof._passrule`) and collects hints
(:mod:`gradproof._hints`) and notes. It returns the fields of a
:class:`gradproof.check.GradCheckResult`.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from gradproof._hints import hints
from gradproof._numdiff import EPS64, METHODS, Counter, derivative
from gradproof._numeric import numeric_side
from gradproof._passrule import judge
from gradproof._validation import (
    as_array,
    as_callable,
    as_choice,
    as_derivative,
    as_int,
    as_scalar,
    as_step,
    as_tolerance,
)

__all__ = [
    "compare",
    "rel_err",
    "report_lines",
    "sweep_errors",
    "table_lines",
    "unit_vector",
]

TABLE_ROWS = 8
_REMEASURED = 8
"""At most this many failing coordinates are extrapolated a second time before the verdict."""


def _norm(v: np.ndarray) -> float:
    """Euclidean norm without overflow or underflow (entries of 1e170 or 1e-200)."""
    big = float(np.max(np.abs(v))) if np.size(v) else 0.0
    if not big or not np.isfinite(big):
        return big
    return big * float(np.linalg.norm(v / big))


def rel_err(a: np.ndarray, b: np.ndarray) -> float:
    """Norm-wise ``||a - b|| / ||b||``: 0 when both are 0, inf when only ``b`` is; over the
    entries where ``b`` has a value (NaN marks one the numeric side could not compute)."""
    known = np.isfinite(b)
    num, den = _norm((a - b)[known]), _norm(b[known])
    if den > 0:
        return num / den
    return 0.0 if num == 0 else np.inf


def unit_vector(v: np.ndarray) -> tuple[np.ndarray, float]:
    """`v` scaled to unit length (without overflow), and its norm.

    Not rounded for exact steps: a direction along which ``f`` is invariant must stay exactly
    so (the rounding of ``x + h v`` is part of the noise the numeric side measures).
    """
    big = float(np.max(np.abs(v)))
    norm = big * float(np.linalg.norm(v / big))
    return v / norm, norm


def compare(
    kind: str,
    name: str,
    f: Callable,
    analytic_fn: Callable[[np.ndarray], object],
    x: object,
    *,
    method: object,
    step: object,
    rtol: object,
    atol: object,
    seed: object,
    scalar: bool,
    steps: dict[str, float],
    rtols: dict[str, float],
    prepare: Callable | None = None,
) -> dict:
    """Run one check; return the fields of a GradCheckResult.

    `prepare(count, x, f0)`, if given, may change the function the counter differentiates (a
    VJP's weighted sum) and returns ``(along, scale, f0, notes)``: the unit direction of a
    directional check (or None), the factor the numeric side is multiplied by, the value at
    `x` of the function now differentiated, and notes for the report.
    """
    as_callable(f, "f")
    as_callable(analytic_fn, name)
    meth = as_choice(method, "method", METHODS)
    h = as_step(step, meth)
    rt = None if rtol is None else as_tolerance(rtol, "rtol")
    at = None if atol is None else as_tolerance(atol, "atol")
    sd = as_int(seed, "seed", minimum=0)
    arr = as_array(x, "x", allow_complex=False).copy()  # f and the analytic side get copies too
    count = Counter(f)
    f0 = count.real(arr)
    count.x = arr
    count.edge_ok = True  # a step beyond f's domain is then the numeric side's to handle
    if scalar:
        as_scalar(f0, f"f for check_{kind}")
    along, scale, notes = None, 1.0, []
    if prepare is not None:
        along, scale, f0, notes = prepare(count, arr, f0)
    used = rtols if rt is None else dict.fromkeys(rtols, rt)
    side = numeric_side(count, arr, f0, meth, h, sd, steps, used, along=along)
    b, bound = scale * np.asarray(side.values, np.float64), scale * side.bound
    room = None if side.room is None else scale * side.room
    given = arr.copy()
    a, eps_a = as_derivative(analytic_fn(given), name, b.shape)
    for who, changed in (("f", count.mutated), (name, not np.array_equal(given, arr))):
        if changed:
            notes.append(
                f"{who} wrote into its argument; the check gave it a copy, so x stayed as given "
                f"(a {who} that changes its input in place changes the caller's array too)"
            )
    rtol_used = used[side.method]
    # A Jacobian's rows are f's outputs, each judged at its own scale; a directional check or
    # a VJP compares one derivative per output (or one in all), judged together.
    rows = int(np.size(f0)) if along is None else 1

    def judged(bound: np.ndarray):
        return judge(a, b, bound, rtol=rtol_used, atol=at, eps_f=count.eps, eps_a=eps_a,
                     kinked=side.kinked, rows=rows, room=room)  # fmt: skip

    verdict = judged(bound)
    notes += side.notes
    if verdict.failing.any() and side.remeasure is not None:
        bound = _remeasured(side, verdict, scale, bound, arr.size, notes)
        verdict = judged(bound)
    if count.eps > EPS64:
        notes.append(
            f"f returns {', '.join(sorted(count.dtypes))}: its values carry rounding of "
            f"{count.eps:.1e}, and the numeric side's bounds use that precision"
        )
    diff = np.abs(a - b)
    with np.errstate(divide="ignore", invalid="ignore"):
        excess = np.where(verdict.tolerance > 0, diff / verdict.tolerance, np.inf)
    excess = np.where(np.isnan(excess), np.inf, excess)
    # An entry without a numeric value is no worse than the others, unless the analytic is NaN.
    excess = np.where(np.isfinite(b) | ~np.isfinite(a), excess, -np.inf)
    worst = (
        tuple(int(i) for i in np.unravel_index(int(np.argmax(excess)), a.shape)) if a.ndim else ()
    )
    failed = verdict.status == "failed"
    return {
        "ok": verdict.status == "passed",
        "verdict": verdict.status,
        "kind": kind,
        "method": side.method,
        "step": side.step,
        "rtol": rtol_used,
        "atol": float(np.max(verdict.atol)),
        "max_abs_err": float(np.max(diff[np.isfinite(b)], initial=0.0)),
        "max_rel_err": rel_err(a, b),
        "worst_index": worst,
        "analytic_at_worst": float(a[worst]),
        "numeric_at_worst": float(b[worst]),
        "n_failing": int(verdict.failing.sum()),
        "n_unresolved": int(verdict.unresolved.sum()),
        "n_checked": int(a.size),
        "n_evals": count.n_evals,
        "seed": sd,
        "fallback_reason": side.reason,
        "hints": hints(a, b, verdict.tolerance, eps_a) if failed else (),
        "notes": (*notes, *verdict.notes),
        "analytic": a,
        "numeric": b,
        "tolerance": verdict.tolerance,
    }


def _remeasured(side, verdict, scale: float, bound: np.ndarray, n: int, notes: list) -> np.ndarray:
    """`bound` widened where a second extrapolation of a failing coordinate disagrees.

    Before an entry is blamed on the analytic side, its coordinate is extrapolated again at
    steps in an irrational ratio to the first (:mod:`gradproof._numeric`); rounding that lined up
    with the first steps does not line up with these. At most ``_REMEASURED`` coordinates, the
    worst first.
    """
    excess = (
        np.abs(verdict.failing * 1.0).reshape(-1, n)
        if bound.ndim
        else verdict.failing.reshape(1, 1)
    )
    order = np.argsort(-excess.sum(axis=0), kind="stable")
    chosen = [int(j) for j in order if excess[:, j].any()][:_REMEASURED]
    columns = bound.reshape(-1, n).copy() if bound.ndim else bound.reshape(1, 1).copy()
    for j in chosen:
        _, wider = side.remeasure(j)
        columns[:, j] = np.maximum(columns[:, j], scale * np.ravel(wider))
    notes.append(
        f"{len(chosen)} failing coordinate(s) extrapolated again at a second set of steps before "
        "being judged"
    )
    return columns.reshape(bound.shape)


def table_lines(analytic: np.ndarray, numeric: np.ndarray, tolerance: np.ndarray) -> list[str]:
    """A side-by-side table of the largest errors, ``<-`` marking entries out of tolerance."""
    a, b = np.atleast_1d(analytic), np.atleast_1d(numeric)
    diff = np.abs(a - b)
    tol = np.atleast_1d(tolerance)
    flat = np.argsort(-np.where(np.isfinite(diff), diff, np.inf), axis=None, kind="stable")
    shown = sorted(flat[:TABLE_ROWS]) if a.size > TABLE_ROWS else range(a.size)
    rows = [f"  {'index':<12} {'analytic':>16} {'numeric':>16} {'abs err':>9}"]
    for k in shown:
        idx = tuple(int(i) for i in np.unravel_index(int(k), a.shape)) if analytic.ndim else ()
        mark = "" if diff.flat[k] <= tol.flat[k] else "  <-"
        rows.append(
            f"  {idx!s:<12} {a.flat[k]:>16.9g} {b.flat[k]:>16.9g} {diff.flat[k]:>9.2e}{mark}"
        )
    if a.size > TABLE_ROWS:
        rows.append(f"  ({TABLE_ROWS} largest of {a.size} errors shown)")
    return rows


def report_lines(r) -> list[str]:
    """The lines of :meth:`gradproof.check.GradCheckResult.report` for the result `r`."""
    if r.verdict == "passed":
        head = f"{r.kind} check passed: all {r.n_checked} entries within tolerance"
    elif r.verdict == "failed":
        head = f"{r.kind} check FAILED: {r.n_failing} of {r.n_checked} entries outside tolerance"
    else:
        head = (
            f"{r.kind} check CANNOT TELL: {r.n_unresolved} of {r.n_checked} entries could not "
            "be compared"
        )
    lines = [
        head,
        (
            "  pass rule |analytic - numeric| <= atol + rtol*|numeric| with "
            f"rtol {r.rtol:.3g}, atol up to {r.atol:.3g}"
        ),
        f"  method {r.method}, step {r.step:.3g}, seed {r.seed}, {r.n_evals} evaluations of f",
    ]
    if r.fallback_reason:
        lines.append(f"  fell back from complex step: {r.fallback_reason}")
    lines += [
        f"  max abs err {r.max_abs_err:.2e}, max rel err {r.max_rel_err:.2e} (norm-wise)",
        (
            f"  worst index {r.worst_index}: analytic {r.analytic_at_worst:.10g}, "
            f"numeric {r.numeric_at_worst:.10g}"
        ),
    ]
    lines += [f"  note: {note}" for note in r.notes]
    if r.verdict == "failed":
        lines += table_lines(r.analytic, r.numeric, r.tolerance)
        lines += [f"  hint: {hint}" for hint in r.hints]
    return lines


def sweep_errors(count: Counter, x, f0, exact, grid, method: str) -> tuple[np.ndarray, np.ndarray]:
    """Largest absolute and norm-wise relative error of `method` at each fixed step of `grid`."""
    abs_errs, rel_errs = [], []
    for h in grid:
        if method != "complex" and np.any((x + h) - x == 0):
            # The step is below the spacing of floats at x: no difference quotient exists, so
            # report an infinite error instead of dividing 0 by 0.
            abs_errs.append(np.inf)
            rel_errs.append(np.inf)
            continue
        columns = [derivative(count, x, j, method, float(h), f0) for j in range(x.size)]
        numeric = np.reshape(np.stack(columns), x.shape)
        abs_errs.append(float(np.max(np.abs(numeric - exact))))
        rel_errs.append(rel_err(numeric, exact))
    return np.array(abs_errs), np.array(rel_errs)
