r"""The numeric comparison: two concrete lines at exact points, judged rigorously where possible.

Where cancellation does not settle a step, both lines are evaluated at the seeded points of
:mod:`gradproof.derive._sampling`, whose coordinates are exact rationals. At each point:

1. both lines are evaluated exactly; if both are rational numbers (no exponential or logarithm
   left), their difference is exact, and any nonzero difference is a **certified** disagreement
   (:math:`10^{40} p_i` and :math:`10^{40} p_i + 1` differ by exactly 1);
2. otherwise the difference is enclosed with interval arithmetic (``mpmath.iv``) at ``DPS``
   digits, then twice and four times as many if needed: both as the two lines' enclosures
   subtracted and as the one expression ``a - b``, in which sympy has dropped the terms the
   lines share. An enclosure that excludes 0 is a **certified** disagreement, however small:
   :math:`p_i` and :math:`p_i + e^{-80}` differ by :math:`1.8 \times 10^{-35}` and
   :math:`p_i + e^{-120}` by :math:`7.7 \times 10^{-53}`, below the ``DPS`` digits of the
   lines, and the enclosure of the difference shows both. An enclosure that contains 0 and is
   at most :math:`10^{-\mathrm{MIN\_DIGITS}}` times the size of the largest term of either
   line is agreement, never judged against an absolute floor. The digits reported are the
   ones that enclosure proves (``digits``, about ``DPS``): that is the real threshold, since a
   difference hidden inside a function (:math:`e^{z + \varepsilon}` against :math:`e^{z}`)
   and smaller than that cannot be seen;
3. a construct interval arithmetic does not know, or a line that is not real there (a logarithm
   of a negative number), is evaluated with ordinary (complex) multiprecision arithmetic
   instead, and a disagreement found that way is reported as not certified.

A point where either line is undefined (a division by zero) says nothing and is left out; a
step with no point left at all is reported as such, never as agreement.

>>> import sympy as sp
>>> p1 = sp.Symbol("p_1", nonnegative=True)
>>> out = compare(p1, p1 + sp.exp(-80), {p1: sp.Rational(1, 2)})
>>> out.agree, out.certified, out.difference
(False, True, '-1.80485138785e-35')
>>> compare(p1, p1 + sp.exp(-120), {p1: sp.Rational(1, 2)}).difference
'-7.66764807372e-53'
>>> compare(sp.Rational(3, 10), 3 * sp.Rational(1, 10), {}).agree
True
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Mapping
from dataclasses import dataclass

import mpmath
import sympy as sp
from mpmath import iv

__all__ = ["DPS", "MIN_DIGITS", "Comparison", "compare", "show_pair"]

#: Digits of the first interval evaluation (doubled twice if the enclosure is too wide).
DPS = 50
#: Agreement needs the enclosure of the difference within 10**-MIN_DIGITS of the largest term.
MIN_DIGITS = 30
#: Kept for the pages that print it: the relative size of a difference still counted as agreement.
RTOL = 10.0**-MIN_DIGITS


@dataclass(frozen=True)
class Comparison:
    """The outcome of comparing two lines at one point.

    ``agree`` is None when either line is undefined there. ``digits`` is how many significant
    digits (relative to the largest term) the two agree to, ``math.inf`` when exactly equal.
    ``certified`` is True when a disagreement is proved (exact or interval arithmetic).
    """

    agree: bool | None
    digits: float = math.inf
    certified: bool = True
    previous: str = ""
    this: str = ""
    difference: str = ""
    previous_value: float = math.nan
    this_value: float = math.nan


class _NotInterval(Exception):
    """A construct interval arithmetic cannot enclose (or a non-real value)."""


def _undefined(v: sp.Expr) -> bool:
    return bool(v.has(sp.zoo, sp.nan, sp.oo, -sp.oo, sp.S.ComplexInfinity))


def compare(a: sp.Expr, b: sp.Expr, point: Mapping[sp.Symbol, sp.Expr]) -> Comparison:
    """Compare lines `a` (the previous) and `b` (this one) at the exact `point`."""
    va, vb = (e.xreplace(dict(point)) for e in (a, b))
    missing = sorted(s_.name for s_ in (va.free_symbols | vb.free_symbols))
    if missing:
        msg = f"cannot evaluate: no value for {missing}"
        raise ValueError(msg)
    if _undefined(va) or _undefined(vb):
        return Comparison(agree=None)
    if va == vb:  # the same number, written the same way
        return Comparison(agree=True)
    if va.is_Rational and vb.is_Rational:
        with mpmath.workdps(2 * DPS):
            return _disagree(_mpq(va), _mpq(vb), True, _mpq(va - vb))
    terms = [*sp.Add.make_args(va), *sp.Add.make_args(vb)]
    if va.has(sp.I) or vb.has(sp.I):  # a logarithm of a negative number: compare both parts
        return _compare_parts(va, vb, terms)
    # The difference as one expression: sympy drops the terms the lines share, so a difference
    # that is a term of its own (p + e^-120 against p) is enclosed relative to its own size,
    # however far below the terms it lies; the lines enclosed apart cancel to only DPS digits.
    gap = va - vb
    for dps in (DPS, 2 * DPS, 4 * DPS):
        try:
            ia, ib = _iv(va, dps), _iv(vb, dps)
        except _NotInterval:
            return _complex(va, vb, terms)
        enclosures = [ia - ib]
        with contextlib.suppress(_NotInterval):
            enclosures.append(_iv(gap, dps))
        width = mpmath.inf
        for d in enclosures:
            lo, hi = _bounds(d)
            if lo > 0 or hi < 0:
                return _disagree(_mid(ia), _mid(ib), True, _mid(d))
            width = min(width, max(abs(lo), abs(hi)))
        if width == 0:
            return Comparison(agree=True)
        if mpmath.isinf(width):
            continue
        try:  # the size of the terms, which the agreement is relative to
            scale = max(_mag(_iv(t, dps)) for t in terms)
        except _NotInterval:
            return _complex(va, vb, terms)
        digits = float(-mpmath.log10(width / scale)) if scale else 0.0
        if digits >= MIN_DIGITS:
            return Comparison(agree=True, digits=digits, certified=False)
    return _complex(va, vb, terms)


def _mpq(v: sp.Rational) -> mpmath.mpf:
    return mpmath.mpf(int(v.p)) / int(v.q)


def _compare_parts(va: sp.Expr, vb: sp.Expr, terms: list[sp.Expr]) -> Comparison:
    """Complex values: a disagreement in the real or the imaginary part, enclosed, is certified."""
    try:
        parts = [(sp.re(va), sp.re(vb)), (sp.im(va), sp.im(vb))]
        for pa, pb in parts:
            lo, hi = _bounds(_iv(pa, DPS) - _iv(pb, DPS))
            if lo > 0 or hi < 0:
                with mpmath.workdps(2 * DPS):
                    ca = mpmath.mpc(_mid(_iv(sp.re(va), DPS)), _mid(_iv(sp.im(va), DPS)))
                    cb = mpmath.mpc(_mid(_iv(sp.re(vb), DPS)), _mid(_iv(sp.im(vb), DPS)))
                return _disagree(ca, cb, True)
    except _NotInterval:
        pass
    return _complex(va, vb, terms)


def _complex(va: sp.Expr, vb: sp.Expr, terms: list[sp.Expr]) -> Comparison:
    """Plain multiprecision (complex) evaluation at ``2 * DPS`` digits, for what intervals cannot
    enclose: agreement needs ``DPS`` digits relative to the largest term (not certified)."""
    with mpmath.workdps(2 * DPS):
        ca, cb = (mpmath.mpmathify(sp.N(v, 2 * DPS)) for v in (va, vb))
        if not (mpmath.isfinite(ca) and mpmath.isfinite(cb)):
            return Comparison(agree=None)
        scale = max(abs(mpmath.mpmathify(sp.N(t, 2 * DPS))) for t in terms)
        gap = abs(ca - cb)
        if gap == 0:
            return Comparison(agree=True, digits=2.0 * DPS, certified=False)
        digits = 0.0 if scale == 0 else float(-mpmath.log10(gap / scale))
        if digits >= DPS:
            return Comparison(agree=True, digits=digits, certified=False)
        return _disagree(ca, cb, False)


def _disagree(
    a: mpmath.mpf, b: mpmath.mpf, certified: bool, exact_diff: mpmath.mpf | None = None
) -> Comparison:
    shown_a, shown_b = show_pair(a, b)
    with mpmath.workdps(2 * DPS):
        diff = _nstr(a - b if exact_diff is None else exact_diff, 12)
    return Comparison(
        agree=False,
        digits=0.0,
        certified=certified,
        previous=shown_a,
        this=shown_b,
        difference=diff,
        previous_value=_float(a),
        this_value=_float(b),
    )


def _float(v: mpmath.mpf | mpmath.mpc) -> float:
    if isinstance(v, mpmath.mpc):
        return float(v.real) if v.imag == 0 else math.nan
    return float(v)


def show_pair(a: mpmath.mpf, b: mpmath.mpf) -> tuple[str, str]:
    """Both values with as few significant digits (at least 6) as show that they differ.

    >>> show_pair(mpmath.mpf("0.3"), mpmath.mpf("0.30000001"))
    ('0.3', '0.30000001')
    >>> show_pair(mpmath.mpf(1), mpmath.mpf(2))
    ('1.0', '2.0')
    """
    with mpmath.workdps(2 * DPS):
        for digits in (6, 10, 15, 20, 30, 40, 60):
            sa, sb = _nstr(a, digits), _nstr(b, digits)
            if sa != sb:
                return sa, sb
        return _nstr(a, 6), _nstr(b, 6)


def _nstr(v: mpmath.mpf | mpmath.mpc, digits: int) -> str:
    """A number as text; a complex one as ``a + bi`` (just ``a`` when its imaginary part is 0)."""
    if isinstance(v, mpmath.mpc):
        if v.imag == 0:
            return mpmath.nstr(v.real, digits)
        sign = "-" if v.imag < 0 else "+"
        return f"{mpmath.nstr(v.real, digits)} {sign} {mpmath.nstr(abs(v.imag), digits)}i"
    return mpmath.nstr(v, digits)


def _bounds(x: iv.mpf) -> tuple[mpmath.mpf, mpmath.mpf]:
    lo, hi = x._mpi_
    return mpmath.mp.make_mpf(lo), mpmath.mp.make_mpf(hi)


def _mid(x: iv.mpf) -> mpmath.mpf:
    lo, hi = _bounds(x)
    with mpmath.workdps(2 * DPS):
        return (lo + hi) / 2


def _mag(x: iv.mpf) -> mpmath.mpf:
    lo, hi = _bounds(x)
    return max(abs(lo), abs(hi))


def _iv(e: sp.Expr, dps: int) -> iv.mpf:
    """An interval enclosing the number `e` at `dps` digits (outward rounding throughout)."""
    saved = iv.dps
    iv.dps = dps
    try:
        return _iv_walk(e)
    finally:
        iv.dps = saved


def _iv_walk(e: sp.Expr) -> iv.mpf:
    if e.is_Integer:
        return iv.mpf(int(e))
    if e.is_Rational:
        return iv.mpf(int(e.p)) / iv.mpf(int(e.q))
    if isinstance(e, sp.Float):
        return iv.mpf(str(e))
    if e is sp.pi:  # constants are evaluated lazily: fix them at this precision
        return iv.mpf(1) * iv.pi
    if e is sp.E:
        return iv.mpf(1) * iv.e
    if isinstance(e, sp.Add):
        out = iv.mpf(0)
        for a in e.args:
            out += _iv_walk(a)
        return out
    if isinstance(e, sp.Mul):
        out = iv.mpf(1)
        for a in e.args:
            out *= _iv_walk(a)
        return out
    if isinstance(e, sp.Pow):
        return _iv_pow(e)
    if isinstance(e, sp.exp):
        return iv.exp(_iv_walk(e.args[0]))
    if isinstance(e, sp.log):
        arg = _iv_walk(e.args[0])
        if not _bounds(arg)[0] > 0:
            raise _NotInterval
        return iv.log(arg)
    if isinstance(e, sp.Abs):
        return abs(_iv_walk(e.args[0]))
    funcs = {sp.sin: iv.sin, sp.cos: iv.cos, sp.tan: iv.tan}
    if type(e) in funcs:
        return funcs[type(e)](_iv_walk(e.args[0]))
    raise _NotInterval


def _iv_pow(e: sp.Pow) -> iv.mpf:
    base, ex = e.args
    b = _iv_walk(base)
    if ex.is_Integer:
        k = int(ex)
        if k < 0:
            lo, hi = _bounds(b)
            if lo <= 0 <= hi:
                raise _NotInterval
            return iv.mpf(1) / b ** (-k)
        return b**k
    if not _bounds(b)[0] > 0:
        raise _NotInterval
    return iv.exp(_iv_walk(ex) * iv.log(b))
