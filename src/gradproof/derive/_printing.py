r"""Printing of expressions: LaTeX in the site's notation, and plain text for reports.

:func:`latex` is what a page shows of a line of a derivation: ``z_{i}`` rather than ``{z}_{i}``,
named quantities as their names (``q_{i}``, ``J``), partial derivatives as fractions, a
restricted sum as its restriction (``\sum_{k \ne i}``), and a line built with
``evaluate=False`` in the order the thread wrote it. :func:`sstr` is the plain-text
counterpart used by ``str(derivation)`` and by the reports.
"""

from __future__ import annotations

from collections.abc import Sequence

import sympy as sp
from sympy.printing.latex import LatexPrinter
from sympy.printing.str import StrPrinter

from gradproof.derive.notation import Restriction, _Display, _SumNe, _SumWhere, qv

__all__ = ["latex", "plain_relation", "sstr"]


def _split_restriction(expr: _SumWhere) -> tuple[sp.Expr, sp.Expr]:
    """Return (summand without its :class:`Restriction` factor, the other index).

    The restriction is a factor of its own (stored by ``sum_ne``/``sum_eq``), so a summand's
    own Kronecker deltas (``sum_ne(δ_kj, k, i)``) are never mistaken for it.
    """
    restriction = expr.restriction
    rest = [f for f in sp.Mul.make_args(expr.function) if f is not restriction]
    body = rest[0] if len(rest) == 1 else sp.Mul(*rest, evaluate=False)
    return body, restriction.other


def _factor_rank(f: sp.Basic) -> int:
    if f.is_Number:
        return 0
    if isinstance(f, sp.Sum):
        return 1  # "(sum_j p_j) q_i", as the site writes (Σp) q
    if isinstance(f, sp.Indexed) and str(f.base.label) == "x":
        return 6  # the input vector goes last, as in q_j (δ_ij - q_i) x
    if isinstance(f, sp.Symbol | sp.Indexed | _Display):
        return 2
    if isinstance(f, sp.KroneckerDelta):
        return 3
    if isinstance(f, sp.Pow) and f.exp.is_negative:
        return 7
    if isinstance(f, sp.Derivative):
        return 5
    return 4


class _Latex(LatexPrinter):
    """z_{i} not {z}_{i}; q_{i}; partial derivatives; sums restricted as written."""

    def _print_Indexed(self, expr: sp.Indexed) -> str:
        sub = " ".join(self._print(a) for a in expr.indices)
        if expr.base == qv:  # free probabilities: q̃, so they never read as the softmax q(z)
            return rf"\tilde{{q}}_{{{sub}}}"
        return f"{self._print(expr.base.label)}_{{{sub}}}"

    def _print__Display(self, expr: _Display) -> str:
        if not expr.args:
            return expr._gp_tex
        sub = " ".join(self._print(a) for a in expr.args)
        return f"{expr._gp_tex}_{{{sub}}}"

    def _print_Function(self, expr: sp.Basic, exp: str | None = None) -> str:
        if isinstance(expr, Restriction):
            return self._print_Restriction(expr, exp)
        if isinstance(expr, _Display):
            out = self._print__Display(expr)
            return f"{out}^{{{exp}}}" if exp else out
        return super()._print_Function(expr, exp)

    def _print_Restriction(self, expr: Restriction, exp: str | None = None) -> str:
        rel = r"\ne" if expr.unequal else "="
        out = rf"[{self._print(expr.index)} {rel} {self._print(expr.other)}]"
        return f"{out}^{{{exp}}}" if exp else out

    def _print_KroneckerDelta(self, expr: sp.KroneckerDelta, exp: str | None = None) -> str:
        out = rf"\delta_{{{self._print(expr.args[0])} {self._print(expr.args[1])}}}"
        return f"{out}^{{{exp}}}" if exp else out

    def _print_Derivative(self, expr: sp.Derivative) -> str:
        den = " ".join(
            rf"\partial {self._print(v)}" + (f"^{{{c}}}" if c != 1 else "")
            for v, c in expr.variable_count
        )
        order = sum(c for _, c in expr.variable_count)
        top = r"\partial" + (f"^{{{order}}}" if order != 1 else "")
        inner = expr.expr
        if isinstance(inner, sp.Symbol | sp.Indexed | _Display) or (
            isinstance(inner, sp.log) and isinstance(inner.args[0], sp.Indexed | _Display)
        ):
            return rf"\frac{{{top} {self._print(inner)}}}{{{den}}}"
        return rf"\frac{{{top}}}{{{den}}} \left({self._print(inner)}\right)"

    def _print_Sum(self, expr: sp.Sum) -> str:
        if isinstance(expr, _SumWhere):
            body, other = _split_restriction(expr)
            idx = self._print(expr.limits[0][0])
            head = rf"\sum_{{{idx} {expr._gp_relation} {self._print(other)}}}"
            return f"{head} {self._print_summand(body)}"
        if len(expr.limits) > 1:  # nested sums, outermost first, rather than \substack
            inner = sp.Sum(expr.function, *expr.limits[:-1])
            idx, lo, hi = expr.limits[-1]
            head = rf"\sum_{{{self._print(idx)}={self._print(lo)}}}^{{{self._print(hi)}}}"
            return f"{head} {self._print_summand(inner)}"
        return super()._print_Sum(expr)

    def _print_summand(self, body: sp.Expr) -> str:
        if isinstance(body, sp.Add) or _negative(body):
            return rf"\left({self._print(body)}\right)"
        return self._print(body)

    def _print_Mul(self, expr: sp.Mul) -> str:
        if not isinstance(expr, sp.Mul):
            # sympy's _print_Pow hands a reciprocal like 1/(a + b) to _print_Mul; its args are
            # (base, -1), which must not be mistaken for a product written with evaluate=False.
            return super()._print_Mul(expr)
        if sp.Mul(*expr.args) != expr:
            return self._print_written_mul(expr)
        factors = sorted(sp.Mul.make_args(expr), key=_factor_rank)
        if any(isinstance(f, sp.Pow) and f.exp.is_negative for f in factors):
            return self._print_fraction(expr)
        coeff, rest = (factors[0], factors[1:]) if factors[0].is_Number else (sp.S.One, factors)
        body = " ".join(self._factor_texts(rest))
        if coeff == -1:
            return f"- {body}"
        if coeff == 1:
            return body
        # 2 e - 3 would show 2e-3, a number the reader refuses to guess at: 2 \cdot e - 3
        joint = r" \cdot " if body == "e" else " "
        return f"{self._print(coeff)}{joint}{body}"

    def _print_fraction(self, expr: sp.Mul) -> str:
        """A product with negative powers as one \\frac, each side printed as a product here."""
        sign = ""
        if _negative(expr):
            sign, expr = "- ", -expr
        nums: list[sp.Expr] = []
        dens: list[sp.Expr] = []
        for f in sp.Mul.make_args(expr):
            if f.is_Rational:
                nums.append(sp.Integer(f.p))
                dens.append(sp.Integer(f.q))
            elif isinstance(f, sp.Pow) and f.exp.is_negative:
                dens.append(f.base ** (-f.exp))
            else:
                nums.append(f)
        num, den = sp.Mul(*nums), sp.Mul(*dens)
        return rf"{sign}\frac{{{self._print(num)}}}{{{self._print(den)}}}"

    def _print_written_mul(self, expr: sp.Mul) -> str:
        """A product built with evaluate=False (a thread's line): factors in the written order."""
        args = list(expr.args)
        sign = ""
        if len(args) > 1 and args[0] == -1:  # -1 (a + b) reads as -(a + b)
            sign, args = "- ", args[1:]
        return sign + " ".join(self._factor_texts(args, written=True))

    def _factor_texts(self, factors: Sequence[sp.Expr], *, written: bool = False) -> list[str]:
        """Each factor's LaTeX, bracketed where the reader would otherwise misread the product.

        A sum or a derivative operator takes the rest of its product, and a function followed
        by another factor has two readings (gradproof.latex refuses both), so: a sum that is not
        last, or whose index is free in another factor, is bracketed; so is a derivative
        printed as an operator that is not last; a logarithm (or a power of one) that is not last
        brackets its argument.
        """
        parts: list[str] = []
        for t, f in enumerate(factors):
            last = t == len(factors) - 1
            others = [g for u, g in enumerate(factors) if u != t]
            if written and isinstance(f, sp.Pow) and f.exp == -1:
                parts.append(rf"\frac{{1}}{{{self._print(f.base)}}}")
            elif isinstance(f, sp.log) and not last:
                parts.append(rf"\log \left({self._print(f.args[0])}\right)")
            elif isinstance(f, sp.Pow) and isinstance(f.base, sp.log) and not last:
                # \log^{2} q_j e^{z_i} has two readings too: bracket the argument
                power = self._print(f.exp)
                parts.append(rf"\log^{{{power}}} \left({self._print(f.base.args[0])}\right)")
            elif (
                isinstance(f, sp.Add)
                or (written and _negative(f) and parts)
                or (isinstance(f, sp.Sum) and (not last or _binds_free(f, others)))
                or (isinstance(f, sp.Derivative) and not last and self._operator_form(f))
            ):
                parts.append(rf"\left({self._print(f)}\right)")
            else:
                parts.append(self._print(f))
        return parts

    @staticmethod
    def _operator_form(expr: sp.Derivative) -> bool:
        inner = expr.expr
        return not (
            isinstance(inner, sp.Symbol | sp.Indexed | _Display)
            or (isinstance(inner, sp.log) and isinstance(inner.args[0], sp.Indexed | _Display))
        )

    def _print_Add(self, expr: sp.Add, order: str | None = None) -> str:
        if sp.Add(*expr.args) != expr:  # built with evaluate=False: keep the written order
            terms = list(expr.args)
        else:
            terms = list(self._as_ordered_terms(expr, order=order))
            # Positive terms first, so "q_i - p_i" is not printed as "- p_i + q_i".
            terms = [t for t in terms if not _negative(t)] + [t for t in terms if _negative(t)]
        out = ""
        for t, term in enumerate(terms):
            shown = -term if _negative(term) else term
            if _negative(term):
                out += " - " if out else "- "
            elif out:
                out += " + "
            text = self._print(shown)
            # A sum's index free in another term: brackets show where the sum ends.
            clash = _binds_free(shown, [u for s, u in enumerate(terms) if s != t])
            out += rf"\left({text}\right)" if self._needs_add_brackets(shown) or clash else text
        return out

    def _print_Pow(self, expr: sp.Pow) -> str:
        if isinstance(expr.base, _SumWhere) and expr.exp != -1:
            # sympy brackets a plain Sum's power itself, not a restricted one's
            return rf"\left({self._print(expr.base)}\right)^{{{self._print(expr.exp)}}}"
        return super()._print_Pow(expr)

    def _print_log(self, expr: sp.log, exp: str | None = None) -> str:
        arg = expr.args[0]
        simple = isinstance(arg, sp.Symbol | sp.Indexed | _Display)
        inner = self._print(arg) if simple else rf"\left({self._print(arg)}\right)"
        head = r"\log" + (f"^{{{exp}}}" if exp else "")
        return f"{head} {inner}"


def _binds_free(expr: sp.Expr, others: Sequence[sp.Expr]) -> bool:
    """Whether a sum in `expr` (itself, or a factor of it) binds an index free in `others`."""
    sums = [
        f
        for f in (expr, *sp.Mul.make_args(-expr if _negative(expr) else expr))
        if isinstance(f, sp.Sum)
    ]
    bound = {lim[0] for s in sums for lim in s.limits}
    return any(bound & o.free_symbols for o in others)


def _negative(term: sp.Expr) -> bool:
    return term.could_extract_minus_sign()


def latex(expr: sp.Expr) -> str:
    r"""LaTeX of ``expr`` in the site's notation (``z_{i}``, ``q_{i}``, ``\sum_{k=1}^{n}``).

    >>> from gradproof.derive.notation import J, i, softmax_expr, z
    >>> latex(softmax_expr(i))
    '\\frac{e^{z_{i}}}{\\sum_{k=1}^{n} e^{z_{k}}}'
    >>> latex(sp.Derivative(J, z[i]))
    '\\frac{\\partial J}{\\partial z_{i}}'
    """
    return _Latex().doprint(unclash(expr))


# Typeable indices a renamed sum index may take, in order (none of them a letter of the site).
_SPARE_INDICES = ("m", "l", "r", "u")


def unclash(expr: sp.Expr) -> sp.Expr:
    r"""`expr` with each sum index renamed where its LaTeX would mislead; the value is unchanged.

    A bound index is renamed when it prints like a symbol free in the expression (the sum's
    ``d`` next to a free ``x_d``: two readings), or cannot be typed (the reader's ``k'``, the
    index of a loss's definition), to the first spare letter the expression does not use.

    >>> from gradproof.derive.notation import d, p, x
    >>> latex(x[d] * sp.Sum(p[d], (d, 1, 3)))
    '\\left(\\sum_{m=1}^{3} p_{m}\\right) x_{d}'
    """
    used = {a.name for a in expr.atoms(sp.Symbol)}
    free = {a.name for a in expr.free_symbols}
    spare = (name for name in _SPARE_INDICES if name not in used)

    def clashes(a: sp.Basic) -> bool:
        if type(a) is not sp.Sum or len(a.limits) != 1:  # restricted sums keep their letters
            return False
        name = a.limits[0][0].name
        return "'" in name or name in free

    def rename(a: sp.Sum) -> sp.Sum:
        index, lo, hi = a.limits[0]
        new = sp.Symbol(next(spare), integer=True, positive=True)  # as every class index
        return sp.Sum(a.function.xreplace({index: new}), (new, lo, hi))

    return expr.replace(clashes, rename)


class _Str(StrPrinter):
    def _print_Restriction(self, expr: Restriction) -> str:
        rel = "!=" if expr.unequal else "=="
        return f"[{self._print(expr.index)}{rel}{self._print(expr.other)}]"

    def _print__Display(self, expr: _Display) -> str:
        if not expr.args:
            return expr._gp_tex
        return f"{expr._gp_tex}[{', '.join(self._print(a) for a in expr.args)}]"

    def _print_Function(self, expr: sp.Basic) -> str:
        if isinstance(expr, Restriction):
            return self._print_Restriction(expr)
        if isinstance(expr, _Display):
            return self._print__Display(expr)
        return super()._print_Function(expr)

    def _print_Derivative(self, expr: sp.Derivative) -> str:
        den = "".join(f"d({self._print(v)})" for v, c in expr.variable_count for _ in range(c))
        return f"d({self._print(expr.expr)})/{den}"

    def _print_Sum(self, expr: sp.Sum) -> str:
        if isinstance(expr, _SumWhere):
            body, other = _split_restriction(expr)
            rel = "!=" if isinstance(expr, _SumNe) else "=="
            idx = self._print(expr.limits[0][0])
            return f"Sum_{{{idx}{rel}{self._print(other)}}}({self._print(body)})"
        return super()._print_Sum(expr)


def sstr(expr: sp.Basic) -> str:
    """Plain text of ``expr``: ``q[i]``, ``d(J)/d(z[i])``, ``Sum_{k!=i}(p[k])``.

    >>> from gradproof.derive.notation import J, i, k, p, sum_ne, z
    >>> sstr(sp.Derivative(J, z[i])), sstr(sum_ne(p[k], k, i))
    ('d(J)/d(z[i])', 'Sum_{k!=i}(p[k])')
    """
    return _Str().doprint(expr)


_REL_TEXT = {"!=": "≠", "==": "=", "<": "<", "<=": "≤", ">": ">", ">=": "≥"}


def plain_relation(rel: sp.Basic) -> str:
    """A relation such as ``Ne(i, j)`` as plain text: ``i ≠ j``."""
    return f"{sstr(rel.lhs)} {_REL_TEXT.get(rel.rel_op, rel.rel_op)} {sstr(rel.rhs)}"
