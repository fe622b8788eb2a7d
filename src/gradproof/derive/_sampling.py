r"""Where the numeric comparison looks: seeded points on each leaf's domain, assumptions kept.

Every leaf is drawn from its domain (``domain_of``), as an exact rational
:math:`a / q` whose denominator :math:`q` is a prime between 1000 and 10000 drawn with it. So
the points lie on no common grid: a claim true only on one (:math:`\sin(100 \pi z) = 0` on
the multiples of 0.01, :math:`\sin(997 \pi p) = 0` on those of 1/997) is caught, since
:math:`\sin(m \pi a / q) = 0` needs :math:`q` to divide :math:`m a`:

=================  ========================================================================
domain             drawn from
=================  ========================================================================
real               :math:`[-3, 3]`; every second point :math:`[-30, 30]`
nonnegative        :math:`[0, 2]`; every second point :math:`[0, 20]` (targets ``p``: general,
                   not only a distribution)
positive           :math:`[0.05, 2]`; every second point :math:`[0.05, 20]`
=================  ========================================================================

Every second point is drawn ten times further out (``FAR``), for every domain: a rewrite
that holds only near 0 (:math:`\sqrt{(p_i - 3)^2} = 3 - p_i` for :math:`p_i \le 3`) is caught
there; the logits then saturate the softmax and the exponentials span 26 decades.

Upstream gradients ``g`` and the jet of ``L`` are real, so they take both signs.

An assumption is solved for one entry (``p_n = 1 - p_1 - ... - p_{n-1}`` for
:math:`\sum_k p_k = 1`), which then follows from the others. A point is kept only if every
solved entry lies in its own domain too (``p_n \ge 0``): the entries its rule reads are drawn
again, scaled down by a factor of two every second try, until it does. So every point
satisfies the assumptions *and* the domains (for :math:`\sum_k p_k = 1`: targets on the
simplex). If no try succeeds the assumption is reported as having no point in the domain.

Random numbers come from the standard library's ``random.Random``, seeded per entry from a
SHA-256 hash of the derivation's seed, the setting, the point's number and the entry's name, so
each value is reproducible on every platform, with no NumPy (the verifier also runs under
Pyodide).

>>> import sympy as sp
>>> z1, p1 = sp.Symbol("z_1", real=True), sp.Symbol("p_1", nonnegative=True)
>>> [[str(v) for v in pt.values()] for pt in sample_points({}, [z1, p1], {}, 2, seed=0)]
[['3733/3001', '2437/1009'], ['174074/9973', '61203/8009']]
"""

from __future__ import annotations

import hashlib
import math
import random
from collections.abc import Iterable, Mapping

import sympy as sp

__all__ = [
    "DENOMINATORS",
    "FAR",
    "MAX_TRIES",
    "RANGES",
    "NoPointError",
    "describe_domains",
    "leaf_domain",
    "sample_points",
]

#: The interval each domain is drawn from (scaled down under an assumption, see above).
RANGES: dict[str, tuple[float, float]] = {
    "real": (-3.0, 3.0),
    "nonnegative": (0.0, 2.0),
    "positive": (0.05, 2.0),
}
#: How much further out every second point is drawn, for every domain.
FAR = 10.0
#: Tries per point to satisfy the assumptions and the domains together.
MAX_TRIES = 24
#: Denominators of the coordinates: primes in 1000..10000, one drawn per coordinate.
DENOMINATORS = (1009, 1999, 3001, 4001, 5003, 6007, 7001, 8009, 9001, 9973)

Point = dict[sp.Symbol, sp.Expr]


class NoPointError(ValueError):
    """No point satisfies an assumption within the domains of the entries it involves."""


def leaf_domain(leaf: sp.Symbol) -> str:
    """A leaf's domain from its sympy assumptions: ``"positive"``, ``"nonnegative"`` or ``"real"``."""
    if leaf.is_positive:
        return "positive"
    return "nonnegative" if leaf.is_nonnegative else "real"


def _base(leaf: sp.Symbol) -> str:
    return leaf.name.split("_")[0]


def _interval(leaf: sp.Symbol, t: int) -> tuple[float, float]:
    return _far(*RANGES[leaf_domain(leaf)]) if t % 2 == 1 else RANGES[leaf_domain(leaf)]


def _far(lo: float, hi: float) -> tuple[float, float]:
    """The domain's interval `FAR` times further out, where it is unbounded (its 0 kept)."""
    return (lo * FAR if lo < 0 else lo), hi * FAR


def _draw(leaf: sp.Symbol, salt: str, t: int, scale: float) -> sp.Rational:
    digest = hashlib.sha256(f"{salt}|{leaf.name}".encode()).digest()
    rng = random.Random(int.from_bytes(digest[:8], "big"))
    lo, hi = _interval(leaf, t)
    den = rng.choice(DENOMINATORS)
    num_lo, num_hi = math.ceil(lo * scale * den), math.floor(hi * scale * den)
    if leaf.is_positive:
        num_lo = max(num_lo, 1)
        num_hi = max(num_hi, num_lo)
    return sp.Rational(rng.randint(num_lo, num_hi), den)


def _in_domain(value: sp.Expr, leaf: sp.Symbol) -> bool:
    if not value.is_number or value.has(sp.zoo, sp.nan, sp.oo, -sp.oo):
        return False
    v = value if value.is_Rational else sp.N(value, 30)
    if not v.is_real:
        return False
    if leaf.is_positive:
        return bool(v > 0)
    return bool(v >= 0) if leaf.is_nonnegative else True


def sample_points(
    dims: Mapping[sp.Symbol, int],
    leaves: Iterable[sp.Symbol],
    fixes: Mapping[sp.Symbol, sp.Expr],
    n_points: int,
    seed: int,
) -> list[Point]:
    """``n_points`` seeded points: exact values for `leaves`, the solved entries `fixes` included.

    Raises
    ------
    NoPointError
        If some point cannot be made to satisfy the assumptions within the domains.
    """
    key = "/".join(f"{s_}={v}" for s_, v in dims.items())
    free = sorted((s_ for s_ in set(leaves) if s_ not in fixes), key=lambda s_: s_.name)
    # Entries a solved rule reads: these are scaled down when the solved entry leaves its domain.
    ruled = set().union(*(rule.free_symbols for rule in fixes.values())) if fixes else set()
    points = []
    for t in range(n_points):
        for attempt in range(MAX_TRIES):
            scale = 0.5 ** (attempt // 2)
            salt = f"{seed}|{key}|{t}" + (f"|try{attempt}" if attempt else "")
            values: Point = {s_: _draw(s_, salt, t, scale if s_ in ruled else 1.0) for s_ in free}
            solved = {s_: rule.xreplace(values) for s_, rule in fixes.items()}
            if all(_in_domain(v, s_) for s_, v in solved.items()):
                points.append(values | solved)
                break
        else:
            rules = ", ".join(f"{s_} = {rule}" for s_, rule in fixes.items())
            msg = (
                f"no point satisfies the assumptions within the domains at {key or 'this size'}: "
                f"{rules} stays outside its domain in {MAX_TRIES} tries"
            )
            raise NoPointError(msg)
    return points


def describe_domains(leaves: Iterable[sp.Symbol], fixes: Mapping[sp.Symbol, sp.Expr]) -> str:
    """Which domain was sampled, per base: ``z real in [-3, 3] and [-30, 30]; p ≥ 0 in ...``.

    >>> z1, p1 = sp.Symbol("z_1", real=True), sp.Symbol("p_1", nonnegative=True)
    >>> describe_domains([z1, p1], {})
    'z real in [-3, 3] and [-30, 30]; p ≥ 0 in [0, 2] and [0, 20]'
    """
    seen: dict[str, str] = {}
    ruled = {_base(s_) for s_ in fixes}
    for leaf in sorted(leaves, key=lambda s_: s_.name):
        base = _base(leaf)
        if base in seen:
            continue
        dom = leaf_domain(leaf)
        lo, hi = RANGES[dom]
        word = {"real": "real", "nonnegative": "≥ 0", "positive": "> 0"}[dom]
        far_lo, far_hi = _far(lo, hi)
        text = f"{base} {word} in [{lo:g}, {hi:g}] and [{far_lo:g}, {far_hi:g}]"
        if base in ruled:
            text += " (scaled toward 0 until the solved entry is in its domain)"
        seen[base] = text
    order = {b: r for r, b in enumerate(("z", "p", "g", "x", "W", "q", "L"))}
    return "; ".join(seen[b] for b in sorted(seen, key=lambda b: (order.get(b, len(order)), b)))
