"""How well the checker's finite-difference error bounds hold: the measurement behind ``KAPPA``.

For random problems of seven kinds, the rounding noise of ``f`` is measured and a derivative
along a seeded random unit direction is extrapolated exactly as the probe of
:mod:`gradproof._numeric` does it; its actual error (against 50-digit mpmath for the
cross-entropy kinds, the complex step for the others, which are complex-step safe and have no
cancellation to speak of) is divided by its estimated bound. A ratio above 1 is an estimate that
was too small; the checker multiplies every estimate by ``KAPPA = 10`` and, before it blames
anything on a discrepancy, extrapolates again at other steps.

Every problem is smooth, so the extrapolated difference of the one-sided slopes (the kink test)
should be 0 within its bound: its largest ratio to the bound, and the share of problems above
3 and above 10 (where a kink is declared), measure the kink test's margin and false alarms.

Run ``python -m benchmarks.bounds`` (about a minute for 3500 problems).
"""

from __future__ import annotations

import argparse
from collections import defaultdict
from collections.abc import Callable, Iterator

import mpmath
import numpy as np

from gradproof._extrapolation import extrapolate
from gradproof._noise import noise_level
from gradproof._numdiff import Counter, probe_direction, unit_direction
from gradproof._numeric import NOISE_STEP, PROBE_STEP
from gradproof.functions import cross_entropy

KINDS = ("ce", "ls", "sin", "logit", "offset", "ce_sat", "ce_cold")
"""Cross-entropy; least squares; sums of sines (terms larger than their sum); logistic loss;
cubics on offsets up to 1e7; cross-entropy saturated at margins 5 to 30 (a loss near 0 from
terms near 1); cross-entropy at temperatures 0.1 to 0.001."""


def _ce_exact(z: np.ndarray, p: np.ndarray, u: np.ndarray, scale: float = 1.0) -> float:
    """d/dt J(z + t u) at t = 0, J the cross-entropy, in 50 digits."""
    with mpmath.workdps(50):
        zz = [mpmath.mpf(v) * scale for v in z]
        m = max(zz)
        e = [mpmath.exp(v - m) for v in zz]
        total = sum(e)
        grad = [(sum(p) * ei / total - pi) * scale for ei, pi in zip(e, p, strict=True)]
        return float(sum(g * mpmath.mpf(ui) for g, ui in zip(grad, u, strict=True)))


Problem = tuple[str, Callable[[np.ndarray], object], np.ndarray, Callable | None]


def problems(n_problems: int, seed: int = 2026) -> Iterator[Problem]:
    """(kind, f, x, exact derivative along a direction or None) for each problem."""
    rng = np.random.default_rng(seed)
    for t in range(n_problems):
        kind, n = KINDS[t % len(KINDS)], int(rng.integers(2, 30))
        if kind == "ce":
            z, p = rng.normal(scale=rng.choice([1, 3, 10, 100]), size=n), rng.random(n)
            yield (
                kind,
                lambda v, p=p: cross_entropy(v, p),
                z,
                lambda u, z=z, p=p: _ce_exact(z, p, u),
            )
        elif kind == "ls":
            a, b, w = rng.normal(size=(n + 3, n)), rng.normal(size=n + 3), rng.normal(size=n)
            yield kind, lambda v, a=a, b=b: 0.5 * np.sum((a @ v - b) ** 2), w, None
        elif kind == "sin":
            c, x = rng.normal(size=n), 2 * rng.normal(size=n)
            yield kind, lambda v, c=c: np.sum(np.sin(c * v)) + np.prod(np.cos(v / 3)), x, None
        elif kind == "logit":
            xs, y, w = rng.normal(size=(10, n)), rng.integers(0, 2, size=10), rng.normal(size=n)
            yield (
                kind,
                lambda v, xs=xs, y=y: np.sum(np.log1p(np.exp(xs @ v)) - y * (xs @ v)),
                w,
                None,
            )
        elif kind == "offset":
            c, x, off = rng.normal(size=n), rng.normal(size=n), 10.0 ** rng.integers(0, 8)
            yield kind, lambda v, c=c, off=off: off + np.sum(c * v**3), x, None
        elif kind == "ce_sat":
            z, k, p = rng.normal(size=n), int(rng.integers(n)), np.zeros(n)
            z[k] += rng.uniform(5, 30)
            p[k] = 1.0
            yield (
                kind,
                lambda v, p=p: cross_entropy(v, p),
                z,
                lambda u, z=z, p=p: _ce_exact(z, p, u),
            )
        else:
            temp = 10.0 ** -int(rng.integers(1, 4))
            z, p = 3 * temp * rng.normal(size=n), rng.random(n)
            yield (
                kind,
                lambda v, p=p, temp=temp: cross_entropy(v / temp, p),
                z,
                lambda u, z=z, p=p, temp=temp: _ce_exact(z, p, u, 1.0 / temp),
            )


def measure(n_problems: int = 3500, seed: int = 2026) -> list[dict]:
    """One row per kind: how the actual error compares with the estimated bound."""
    ratios, relative, evals = defaultdict(list), defaultdict(list), defaultdict(list)
    jumps = defaultdict(list)
    rng = np.random.default_rng(seed + 1)
    for kind, f, x, exact in problems(n_problems, seed):
        u = probe_direction(x, unit_direction(x.shape, int(rng.integers(2**31))), 0.25)
        truth = exact(u) if exact else float(np.imag(f(x + 1e-20j * u)) / 1e-20)
        count = Counter(f)
        f0 = count.real(x)
        noise, _ = noise_level(count, x, u, f0, NOISE_STEP)
        fit = extrapolate(count, x, u, PROBE_STEP, f0=f0, noise=noise)
        ratios[kind].append(abs(float(fit.value) - truth) / float(fit.bound))
        relative[kind].append(float(fit.bound) / max(abs(truth), 1e-300))
        evals[kind].append(count.n_evals - 1)
        jumps[kind].append(abs(float(fit.slope_jump)) / float(fit.slope_jump_bound))
    rows = []
    for kind in KINDS:
        r, j = np.array(ratios[kind]), np.array(jumps[kind])
        rows.append(
            {
                "kind": kind,
                "problems": int(r.size),
                "max_ratio": float(r.max()),
                "fraction_above_1": float(np.mean(r > 1)),
                "fraction_above_10": float(np.mean(r > 10)),
                "median_bound_relative": float(np.median(relative[kind])),
                "median_evals": float(np.median(evals[kind])),
                "max_jump_ratio": float(j.max()),
                "jump_above_probe": float(np.mean(j > 3.0)),
                "jump_above_kink": float(np.mean(j > 10.0)),
            }
        )
    return rows


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--problems", type=int, default=3500)
    args = parser.parse_args(argv)
    print(
        f"{'kind':<8} {'max actual/bound':>17} {'> 1':>7} {'> 10':>7} {'bound/|d|':>10} evals"
        f" {'max |J|/bound_J':>16} {'> 3':>7} {'> 10':>7}"
    )
    for r in measure(args.problems):
        print(
            f"{r['kind']:<8} {r['max_ratio']:>17.2g} {r['fraction_above_1']:>7.2%} "
            f"{r['fraction_above_10']:>7.2%} {r['median_bound_relative']:>10.1e} "
            f"{r['median_evals']:>5.0f} {r['max_jump_ratio']:>16.2g} "
            f"{r['jump_above_probe']:>7.2%} {r['jump_above_kink']:>7.2%}"
        )


if __name__ == "__main__":
    main()
