"""What is shown is what is checked: every printed line reads back as the expression checked.

The site's derivations are collected by running the pages' cells and reading their
``{derivation}`` blocks (as the verification benchmark does); each line's LaTeX, printed by
:func:`gradproof.derive.latex`, is read back by :func:`gradproof.latex.parse_expr`. The comparison is exact up to one documented normalisation,
:func:`normal`: every node is rebuilt with SymPy's default evaluation (a thread's line built with
``evaluate=False`` keeps its written order, which is not part of its value), and a constant is
compared by name (a page may declare ``T`` positive; the reader makes constants real); and a sum
index the printer renames to keep its LaTeX unambiguous (:func:`gradproof.derive._printing.unclash`:
a bound ``d`` beside a free ``x_d``, or the reader's untypeable ``k'``) is compared renamed.
"""

from __future__ import annotations

import pytest
import sympy as sp
from hypothesis import example, given, settings
from hypothesis import strategies as st
from sympy import Derivative, KroneckerDelta, Sum, exp, log

from gradproof.derive import J, L, g, i, j, k, latex, n, p, q, qv, s, sum_eq, sum_ne, z
from gradproof.derive._printing import unclash
from gradproof.latex import parse_expr

# The theory pages' own quantities: a temperature, smoothing weights, a shift, a vector.
PAGE_NOTATION = {"constants": r"T \epsilon \varepsilon c", "vectors": "v"}


def normal(e: sp.Basic) -> sp.Basic:
    """`e` rebuilt with default evaluation, constants compared by name (see module docstring)."""
    if isinstance(e, sp.Symbol) and not e.is_integer:
        return sp.Symbol(e.name)
    if not isinstance(e, sp.Basic) or not e.args:
        return e
    return e.func(*[normal(a) for a in e.args])


@pytest.mark.slow
def test_every_line_on_the_site_reads_back_as_checked(page_derivations) -> None:
    seen: dict[sp.Basic, str] = {}
    for page, derivation in page_derivations:
        for expr in derivation.exprs:
            seen.setdefault(expr, page)
    lines = [(page, expr) for expr, page in seen.items()]
    assert len(lines) > 100  # every page's derivations, not a handful
    for page, expr in lines:
        text = latex(expr)
        back = parse_expr(text, **PAGE_NOTATION)
        shown = unclash(expr)  # the same value: only bound indices renamed
        assert normal(back) == normal(shown), f"{page}: {text} read as {back}, checked {expr}"


def test_the_normalisation_keeps_values_apart() -> None:
    # It forgets only the written order and a constant's assumptions, never a value.
    written = sp.Mul(p[i], q(i), evaluate=False)
    assert normal(written) == normal(q(i) * p[i])
    assert normal(q(i) * p[i]) != normal(q(j) * p[i])
    assert normal(sp.Symbol("T", positive=True)) == normal(sp.Symbol("T", real=True))
    assert normal(qv[i]) != normal(q(i))


# ---------------------------------------------------------------------- generated expressions

INDICES = st.sampled_from([i, j])
LEAVES = st.one_of(
    st.builds(lambda a: z[a], INDICES),
    st.builds(lambda a: p[a], INDICES),
    st.builds(lambda a: g[a], INDICES),
    st.builds(q, INDICES),
    st.builds(s, INDICES),
    st.builds(qv.__getitem__, INDICES),
    st.builds(KroneckerDelta, INDICES, INDICES),
    st.sampled_from([J, L, n, sp.Integer(2), sp.Rational(1, 2)]),
)


def _sum(body: sp.Expr, kind: int) -> sp.Expr:
    # A sum over k of the body with one of its free indices renamed to k.
    body = body.xreplace({i: k}) if body.has(i) else body * p[k]
    if kind == 0:
        return Sum(body, (k, 1, n))
    if kind == 1:
        return sum_ne(body, k, j)
    return sum_eq(body, k, j)


def _extend(children: st.SearchStrategy) -> st.SearchStrategy:
    return st.one_of(
        st.builds(lambda a, b: a + b, children, children),
        st.builds(lambda a, b: a - b, children, children),
        st.builds(lambda a, b: a * b, children, children),
        st.builds(lambda a, b: a / b, children, st.one_of(LEAVES.filter(lambda e: e != 0))),
        st.builds(lambda a: a**2, children),
        st.builds(exp, children),
        st.builds(lambda a: log(q(i) * a) if a.has(q) else log(q(j)), children),
        st.builds(_sum, children, st.integers(0, 2)),
        st.builds(Derivative, children, st.just(z[j])),
    )


EXPRESSIONS = st.recursive(LEAVES, _extend, max_leaves=6)


@settings(max_examples=300, deadline=None)
@given(EXPRESSIONS)
@example(2 * (z[i] + z[j]) / z[i])  # found by hypothesis: printed distributed
@example(2 * sp.E)  # found by hypothesis: "2 e" was refused as if it were 2e-3
@example(2 * sp.E - 3)  # "2 e - 3" shows 2e-3; printed 2 \cdot e - 3
@example(Derivative(sum_ne(z[k], k, j), z[j]) * sum_ne(z[k], k, j))  # hypothesis: D S != S D
def test_generated_expressions_read_back(expr: sp.Expr) -> None:
    text = latex(expr)
    back = parse_expr(text)
    # A number times a sum prints distributed when it is a fraction's numerator (sympy's Mul
    # of a number and an Add distributes on rebuilding): 2(z_i + z_j)/z_i is shown as
    # (2 z_i + 2 z_j)/z_i. Products expanded, a misread precedence still differs.
    same = normal(back) == normal(expr) or sp.expand_mul(normal(back)) == sp.expand_mul(
        normal(expr)
    )
    assert same, f"{text} read as {back}, printed from {expr}"
