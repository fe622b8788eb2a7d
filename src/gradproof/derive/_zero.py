r"""The exact zero test: does the difference of two concrete lines cancel identically?

Each :math:`e^{u}` with a real exponent becomes a positive symbol (one per monomial of its
exponent, so that :math:`e^{2z} = (e^{z})^2` and :math:`e^{-z} = 1/e^{z}` are seen),
logarithms are expanded where the signs allow it, and the difference is put over one
denominator; it is zero exactly when that numerator expands to 0. A True answer is a proof for
these concrete values of ``n``; a False one proves nothing (the numeric comparison of
:mod:`gradproof.derive._numeric` then decides).

Every rewrite uses only what the leaves' assumptions say (:mod:`gradproof.derive._concrete`
gives each its domain): :math:`\log(ab) = \log a + \log b` needs :math:`a, b \ge 0`, and
:math:`\log(u^2) = 2 \log u` needs :math:`u > 0`, so for a logit :math:`z`, which may be
negative, it is not made.

>>> import sympy as sp
>>> a, b = sp.symbols("a b", real=True)
>>> exact_zero(sp.exp(a) / (sp.exp(a) + sp.exp(b)) - 1 / (1 + sp.exp(b - a)))
True
>>> exact_zero(sp.sin(a) ** 2 + sp.cos(a) ** 2 - 1)  # true, but not by cancellation
False
>>> exact_zero(sp.log(a**2) - 2 * sp.log(a))  # false for a < 0: not made exact
False
>>> u = sp.Symbol("u", positive=True)
>>> exact_zero(sp.log(u**2) - 2 * sp.log(u))
True
"""

from __future__ import annotations

import sympy as sp

__all__ = ["exact_zero", "name_exponentials"]


def name_exponentials(e: sp.Expr) -> sp.Expr:
    """Replace exp(c1*m1 + c2*m2 + ...) by E1**c1 * E2**c2 ..., one positive symbol per monomial.

    Rational powers of one symbol per monomial let cancellation see exp(2 z) = exp(z)**2 and
    exp(-z) = 1/exp(z); other exponents keep their exp as an opaque generator.
    """
    names: dict[sp.Expr, sp.Symbol] = {}

    def rename(ex: sp.exp) -> sp.Expr:
        out = []
        for term in sp.Add.make_args(sp.expand(ex.args[0])):
            coeff, mono = term.as_coeff_Mul()
            # exp(c m) = (exp m)^c holds for a real m; for a complex one only up to a branch
            if not coeff.is_Rational or mono == 1 or not mono.is_real:
                out.append(sp.exp(term))
                continue
            if mono not in names:
                names[mono] = sp.Symbol(f"_E{len(names)}", positive=True)
            out.append(names[mono] ** coeff)
        return sp.Mul(*out)

    return e.replace(lambda a: isinstance(a, sp.exp), rename)


def exact_zero(diff: sp.Expr) -> bool:
    """Bounded exact test: expand logs, name each exponential, cancel as a rational function.

    Sound: if the result is 0 with exponentials and logarithms treated as independent symbols,
    the difference is 0 for all values in the leaves' domains (logarithms are expanded without
    ``force``, so only where the signs sympy knows allow it). A False answer proves nothing.

    A rational function is zero exactly when the numerator of any one fraction it can be
    written as expands to zero, so no gcd is needed (``cancel`` computes one). Logarithms are
    expanded where they are, not by walking the whole tree. Both choices halve the cost of
    verifying the site's pages (4.5 s -> 2.1 s over the 410 differences they check) with the
    same answer for each.
    """
    if diff == 0:
        return True
    if diff.has(sp.log):
        diff = diff.replace(lambda a: isinstance(a, sp.log), sp.expand_log)
    try:
        numerator, _ = sp.together(name_exponentials(diff)).as_numer_denom()
        return sp.expand(numerator) == 0
    except sp.PolynomialError:
        return False
