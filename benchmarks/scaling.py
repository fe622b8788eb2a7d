"""How the checks and the VJP scale with n.

``directional``
    :func:`gradproof.check.check_directional` on the cross-entropy gradient at n = 10**3 ...
    10**6: wall time (best of a few runs), evaluations of ``f``, and the time as a multiple of
    one real evaluation of ``f`` at the same n, measured in the same run. For contrast,
    :func:`gradproof.check.check_gradient` (n + 4 evaluations) at the smaller sizes.
``vjp_vs_jacobian``
    :func:`gradproof.gradients.softmax_vjp` against forming
    :func:`gradproof.gradients.softmax_jacobian` and multiplying: time and peak traced memory
    (``tracemalloc``, which NumPy reports its buffers to). The Jacobian is capped at a size
    whose n**2 float64 entries fit comfortably on a shared machine; beyond it the memory is
    extrapolated as 8 n**2 bytes times the measured peak-per-entry, and labelled so.
"""

from __future__ import annotations

import time
import tracemalloc
from collections.abc import Callable

import numpy as np

from gradproof.check import check_directional, check_gradient
from gradproof.functions import cross_entropy
from gradproof.gradients import cross_entropy_grad, softmax_jacobian, softmax_vjp

DIRECTIONAL_SIZES = (10**3, 10**4, 10**5, 10**6)
FULL_GRADIENT_SIZES = (10**3, 10**4)
VJP_SIZES = (10, 100, 1000, 3000, 5000)
JACOBIAN_CAP = 5000
"""Largest n whose Jacobian is formed: 3 arrays of n**2 float64 at the peak, 600 MB."""
EXTRAPOLATE_TO = (10**4, 10**5, 10**6)
REPEATS = 3


def best_time(fn: Callable[[], object], repeats: int = REPEATS) -> float:
    """Smallest wall time of `repeats` calls (the least disturbed by other processes)."""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def peak_memory(fn: Callable[[], object]) -> int:
    """Peak bytes traced by ``tracemalloc`` while `fn` runs (its result included)."""
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        fn()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def _cross_entropy_point(n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng([seed, n])
    return rng.normal(scale=2.0, size=n), rng.uniform(size=n)


def directional(
    sizes: tuple[int, ...] = DIRECTIONAL_SIZES,
    full_sizes: tuple[int, ...] = FULL_GRADIENT_SIZES,
    repeats: int = REPEATS,
) -> list[dict]:
    """One row per (check, n): seconds, evaluations of f, and seconds per evaluation of f."""
    rows = []
    for check, grid in (("check_directional", sizes), ("check_gradient", full_sizes)):
        run = check_directional if check == "check_directional" else check_gradient
        for n in grid:
            z, p = _cross_entropy_point(n)

            def f(v: np.ndarray, p: np.ndarray = p) -> object:
                return cross_entropy(v, p)

            def grad(v: np.ndarray, p: np.ndarray = p) -> np.ndarray:
                return cross_entropy_grad(v, p)

            result = run(f, grad, z)
            seconds = best_time(lambda run=run, f=f, grad=grad, z=z: run(f, grad, z), repeats)
            f_seconds = best_time(lambda f=f, z=z: f(z), max(repeats, 5))
            rows.append(
                {
                    "check": check,
                    "n": n,
                    "seconds": seconds,
                    "n_evals": result.n_evals,
                    "ok": bool(result.ok),
                    "method": result.method,
                    "f_seconds": f_seconds,
                    "in_f_evaluations": seconds / f_seconds,
                }
            )
    return rows


def vjp_vs_jacobian(
    sizes: tuple[int, ...] = VJP_SIZES,
    cap: int = JACOBIAN_CAP,
    extrapolate_to: tuple[int, ...] = EXTRAPOLATE_TO,
    repeats: int = REPEATS,
) -> list[dict]:
    """One row per n: VJP and Jacobian-then-product time and peak memory.

    Rows with ``"extrapolated": True`` carry only the Jacobian memory, computed as
    ``8 n**2`` bytes times the peak-per-entry ratio measured at the largest formed size.
    """
    rows, per_entry = [], None
    for n in sizes:
        if n > cap:
            continue
        rng = np.random.default_rng([1, n])
        z, g = rng.normal(size=n), rng.normal(size=n)

        def vjp(z: np.ndarray = z, g: np.ndarray = g) -> np.ndarray:
            return softmax_vjp(z, g)

        def via_jacobian(z: np.ndarray = z, g: np.ndarray = g) -> np.ndarray:
            return g @ softmax_jacobian(z)

        if not np.allclose(vjp(), via_jacobian(), rtol=1e-12, atol=1e-15):
            msg = f"softmax_vjp and g @ softmax_jacobian disagree at n = {n}"
            raise AssertionError(msg)
        row = {
            "n": n,
            "extrapolated": False,
            "vjp_seconds": best_time(vjp, repeats),
            "jacobian_seconds": best_time(via_jacobian, repeats),
            "vjp_peak_bytes": peak_memory(vjp),
            "jacobian_peak_bytes": peak_memory(via_jacobian),
        }
        row["time_ratio"] = row["jacobian_seconds"] / row["vjp_seconds"]
        row["memory_ratio"] = row["jacobian_peak_bytes"] / row["vjp_peak_bytes"]
        per_entry = row["jacobian_peak_bytes"] / (8 * n * n)
        rows.append(row)
    if per_entry is not None:
        for n in extrapolate_to:
            if n > max(r["n"] for r in rows):
                rows.append(
                    {
                        "n": n,
                        "extrapolated": True,
                        "jacobian_peak_bytes": per_entry * 8 * n * n,
                        "peak_per_entry_from_n": max(r["n"] for r in rows if not r["extrapolated"]),
                    }
                )
    return rows


DIRECTIONAL_EVALS = 30
"""The most evaluations of f a directional check may take at any n: f(x), the noise measurement
and the probe's extrapolation, whose steps adapt to the point (so the count varies a little)."""


def targets(directional_rows: list[dict]) -> dict[str, dict]:
    """check_directional: under 1 s at the largest n, and a bounded number of evaluations."""
    rows = [r for r in directional_rows if r["check"] == "check_directional"]
    largest = max(rows, key=lambda r: r["n"])
    evals = sorted({r["n_evals"] for r in rows})
    return {
        "directional_under_1s_at_largest_n": {
            "measured": f"{largest['seconds']:.3f} s at n = {largest['n']:.0e}",
            "met": bool(largest["seconds"] < 1.0),
        },
        "directional_bounded_evaluations": {
            "measured": f"evaluations {evals} for n = {rows[0]['n']:.0e} ... {largest['n']:.0e}",
            "met": max(evals) <= DIRECTIONAL_EVALS,
        },
    }
