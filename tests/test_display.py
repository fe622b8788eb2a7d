"""gradproof.display: tables show the numbers they are given, summaries say what ran."""

from __future__ import annotations

import matplotlib as mpl
import numpy as np
import pytest
from sympy import Derivative, Eq, Ne, Sum, exp

from gradproof.check import check_directional, check_gradient
from gradproof.derive import SUM_P_IS_1, Derivation, J, Step, i, j, k, n, p, q, total, z
from gradproof.display import (
    LEGEND_HTML,
    Ledger,
    Markdown,
    StepView,
    checked_summary,
    compare,
    derivation_latex,
    derivation_markdown,
    derivation_view,
    fmt,
    math_text_html,
    png,
    render_derivation,
    svg,
    table,
    with_legend,
)
from gradproof.examples import p_run, z_run
from gradproof.functions import cross_entropy, softmax

mpl.use("Agg")


def _cells(md: Markdown) -> list[list[str]]:
    rows = [line.strip("|").split("|") for line in str(md).splitlines() if line.startswith("|")]
    return [[c.strip() for c in row] for row in rows[2:]]


def test_fmt_rounds_and_never_shows_negative_zero():
    assert fmt(-4e-7) == "0.0000"
    assert fmt(0.123456, 3) == "0.123"
    assert fmt(np.float64(-1.5)) == "-1.5000"
    assert fmt(np.int64(7)) == "7"
    assert fmt("x") == "x"


def test_compare_puts_each_value_on_its_index():
    truth = np.array([0.1, -0.2, 0.3])
    wrong = np.array([1.0, 2.0, 3.0])
    rows = _cells(compare({"truth": truth, "wrong": wrong}, "j"))
    assert [r[0] for r in rows] == ["1", "2", "3"]
    assert [float(r[1]) for r in rows] == pytest.approx(truth)
    assert [float(r[2]) for r in rows] == pytest.approx(wrong)
    assert str(compare({"a": truth}, "j")).splitlines()[0] == "| j | a |"


def test_compare_two_axes_with_a_filter_and_a_scalar_column():
    m = np.arange(9.0).reshape(3, 3)
    rows = _cells(compare({"m": m, "zero": 0.0}, ("r", "c"), where=lambda r, c: r != c))
    assert len(rows) == 6
    for r, c, v, zero in rows:
        assert r != c
        assert float(v) == m[int(r) - 1, int(c) - 1]
        assert zero == "0.0000"


def test_compare_and_table_reject_bad_input():
    with pytest.raises(ValueError, match="one shape"):
        compare({"a": np.zeros(2), "b": np.zeros(3)})
    with pytest.raises(ValueError, match="index_name"):
        compare({"a": np.zeros((2, 2))}, "i")
    with pytest.raises(ValueError, match="at least one"):
        compare({})
    with pytest.raises(ValueError, match="cells"):
        table(["a", "b"], [[1]])


def test_markdown_and_plain_text():
    md = compare({"a": [1.0]}, title="**title**")
    assert md._repr_markdown_().startswith("**title**\n\n| i | a |")
    assert str(md).startswith("**title**\n| i | a |")


def test_summary_says_restrictions_assumptions_and_the_false_step():
    off = Derivation(Derivative(q(j), z[i]), [Step(-q(i) * q(j))], where=Ne(i, j), ns=(2, 3))
    book = Derivation(
        Derivative(J, z[i]), [Step(q(i) - p[i])], assume=Eq(Sum(p[k], (k, 1, n)), 1), ns=(2,)
    )
    wrong = Derivation(Derivative(J, z[i]), [Step(q(i) - p[i])], ns=(2,))
    summary = checked_summary({"off": off, "book": book, "wrong": wrong.verify()})
    plain = str(summary).splitlines()
    assert plain[0] == (
        "- off: ✓ step 1 holds for every n (with the sums over the other classes kept "
        "symbolic); at every i, j with i ≠ j"
    )
    assert "assuming Sum(p[k], (k, 1, n)) = 1" in plain[1]
    assert plain[2].startswith("- wrong: ✗")
    assert "step 1 is false" in plain[2]
    assert r"with $i \neq j$" in summary._repr_markdown_()
    assert (
        "3 derivations with 3 steps, checked sizes n = 2, 3; steps that hold: 2 for every n"
        in (plain[-1])
    )


def test_marks_carry_their_scope():
    # A step proved for every n says so by its mark; one checked at some sizes names them; a
    # false step has no scope.
    forall = Derivation(Derivative(q(j), z[i]), [Step(-q(i) * q(j))], where=Ne(i, j))
    scoped = Derivation((n - 2) * (n - 3) * q(i), [Step(0)], ns=(2, 3))
    wrong = Derivation(Derivative(J, z[i]), [Step(q(i))], ns=(2,))
    assert r"\text{✓}}\,\class{gp-scope}{\scriptsize{\text{every }n}}" in derivation_latex(forall)
    # the rows the site draws carry the same label by the mark, and the text under them says how
    assert '<span class="gp-sr">verified, every n</span>' in derivation_view(forall).html
    assert '<span class="gp-sr">verified, n = 2, 3</span>' in derivation_view(scoped).html
    assert "✓ every n" in derivation_view(forall).text
    assert r"\class{gp-scope}{\scriptsize{n = 2, 3}}" in derivation_latex(scoped)
    assert "gp-scope" not in derivation_latex(wrong)
    assert "holds for every n" in forall.verify().steps[0].scope_text
    assert "exact for n = 2, 3 (5 settings); not proved for other n" in (
        scoped.verify().steps[0].scope_text
    )


def test_summary_of_numeric_checks_counts_what_ran():
    def loss(v):
        return cross_entropy(v, p_run)

    right = check_gradient(loss, lambda v: softmax(v) - p_run, z_run)
    wrong = check_gradient(loss, lambda v: -p_run + p_run * softmax(v), z_run, raise_on_fail=False)
    text = str(checked_summary({"right": right, "wrong": wrong}))
    assert f"{right.n_evals} evaluations: passed" in text
    assert f"rejected, {wrong.n_failing} of 3 components outside tolerance" in text
    assert f"(complex; {right.n_evals + wrong.n_evals} evaluations, up to 3 components)" in text
    with pytest.raises(TypeError, match="checked_summary takes"):
        checked_summary({"x": 1.0})


def test_ledger_asserts_what_it_records():
    ledger = Ledger()
    right = Derivation(Derivative(J, z[i]), [Step(Sum(p[k], (k, 1, n)) * q(i) - p[i])], ns=(2,))
    wrong = Derivation(Derivative(J, z[i]), [Step(q(i) - p[i])], ns=(2,), title="q - p")
    assert ledger.verified(right, "right") is right
    with pytest.raises(AssertionError, match="step 1 is false"):
        ledger.verified(wrong)
    with pytest.raises(AssertionError, match="every step verified"):
        ledger.rejected(right, at=1)
    ledger.rejected(wrong, at=1)
    ledger.rejected(wrong, at=1)  # same title twice: both kept
    assert list(ledger.items) == ["right", "q - p", "q - p (2)"]
    result = ledger.numeric(
        "grad",
        check_gradient(lambda v: cross_entropy(v, p_run), lambda v: softmax(v) - p_run, z_run),
    )
    assert ledger.numeric_checks == [result]
    assert len(ledger.derivations) == 3
    with pytest.raises(ValueError, match="already recorded"):
        ledger.numeric("grad", result)
    assert str(ledger.summary()) == str(checked_summary(ledger.items))


def test_png_returns_png_bytes_and_closes_the_figure():
    import matplotlib.pyplot as plt  # noqa: PLC0415

    fig, ax = plt.subplots()
    ax.plot([0, 1], [0, 1])
    out = png(fig)
    assert out._repr_png_().startswith(b"\x89PNG")
    assert not plt.fignum_exists(fig.number)
    with pytest.raises(TypeError, match="Matplotlib figure"):
        png("not a figure")


def _line_plot():
    import matplotlib.pyplot as plt  # noqa: PLC0415

    fig, ax = plt.subplots()
    ax.plot([0, 1, 2], [0, 1, 4], label="a line")
    ax.legend()
    return fig


def test_svg_is_the_same_bytes_every_time_and_closes_the_figure():
    import matplotlib.pyplot as plt  # noqa: PLC0415

    fig = _line_plot()
    first = svg(fig)._repr_svg_()
    assert first.lstrip().startswith("<?xml")
    assert "<svg" in first
    assert not plt.fignum_exists(fig.number)
    assert "<dc:date>" not in first  # no build date
    assert svg(_line_plot())._repr_svg_() == first  # ids from a fixed salt, not random
    with pytest.raises(TypeError, match="Matplotlib figure"):
        svg(None)


def test_a_check_along_a_flat_direction_is_listed_as_cannot_tell():
    # Along a direction that moves every logit equally the loss does not change: numeric 0, so
    # the check cannot tell a right gradient from a wrong one, and the summary says so.
    result = check_directional(
        lambda v: cross_entropy(v, p_run),
        lambda v: softmax(v) - p_run,
        z_run,
        direction=np.ones(3) / np.sqrt(3),
        raise_on_fail=False,
    )
    assert result.verdict == "cannot tell"
    text = str(checked_summary({"flat": result}))
    assert result.numeric == 0.0  # the complex step carries no rounding into a flat direction
    assert "flat: directional check, complex, 1 component," in text
    assert "cannot tell, 1 of 1 components not comparable here" in text
    assert "largest relative error of a pass" not in text


# ------------------------------------------------------------------------------ derivations
# A derivation renders as the chain it checked, each step with the mark its check earned.


def test_rendering_follows_the_checked_expression():
    right = Derivation(Derivative(J, z[i]), [Step(total(p[j], j) * q(i) - p[i])])
    wrong = Derivation(Derivative(J, z[i]), [Step(q(i) - p[i])])
    tex_right, tex_wrong = right.to_latex(), wrong.to_latex()
    assert r"\left(\sum_{j=1}^{n} p_{j}\right) q_{i} - p_{i}" in tex_right
    assert r"\class{gp-ok}{\text{✓}}" in tex_right
    assert "✗" not in tex_right
    assert "q_{i} - p_{i} &&" in tex_wrong
    assert r"\class{gp-false}{\text{✗}}" in tex_wrong
    md = wrong._repr_markdown_()
    assert md.startswith("$$\n\\begin{aligned}")
    assert "step 1 is false" in md
    assert "Checked for n = 2…5; at every i" in md


def test_markdown_names_the_assumption_and_later_lines():
    chain = [Step(q(i)), Step(q(i) + 0 * p[i])]
    md = Derivation(Derivative(J, z[i]), chain, assume=SUM_P_IS_1)._repr_markdown_()
    assert r"assuming $\sum_{k=1}^{n} p_{k} = 1$" in md
    assert "Step 2 follows from the line before" in md
    several = [Step(q(i)), Step(q(i) + 0 * p[i]), Step(q(i) + 0 * z[i])]
    md = Derivation(Derivative(J, z[i]), several)._repr_markdown_()
    assert "Steps 2 and 3 follow from the line before" in md
    assert "not from the left-hand side" in md


def test_math_in_a_reason_is_passed_through():
    dv = Derivation(
        q(i), [Step(exp(z[i]) / total(exp(z[k]), k), "definition, with $k \\ne i$ in p_k")]
    )
    tex = dv.to_latex()
    assert r"\text{definition, with }k \ne i\text{ in p\_k}" in tex
    plain = Derivation(q(i), [Step(exp(z[i]) / total(exp(z[k]), k), "costs $5")]).to_latex()
    assert r"\text{costs \$5}" in plain  # an unmatched dollar is text


def test_derivation_methods_render_through_display():
    dv = Derivation(Derivative(J, z[i]), [Step(q(i) - p[i], "drops $\\sum p$")], ns=(2,))
    assert dv.to_latex() == derivation_latex(dv)
    assert dv._repr_markdown_() == derivation_markdown(dv)
    assert derivation_markdown(dv).startswith("$$\n" + derivation_latex(dv) + "\n$$\n\n")
    titled = dv.replace(title="The short form")
    assert derivation_markdown(titled).startswith("**The short form**\n\n$$\n")


# ------------------------------------------------------------------------------ the HTML view
# What the site shows of a derivation: one row per step, each with its mark, scope and reason.


def _view(*steps: StepView, **options: str):
    return render_derivation(r"\frac{\partial J}{\partial z_i}", list(steps), **options)


def test_each_step_is_a_row_with_its_line_mark_and_reason():
    out = _view(
        StepView("q_i - p_i", ok=True, why="chain rule", scope="n = 2…5"),
        StepView("q_i", ok=False, why="drops $p_i$"),
    )
    html = out.html
    assert html.count('<div class="gp-step gp-step-ok">') == 1
    assert html.count('<div class="gp-step gp-step-false">') == 1
    # Every formula is a span of class math (the only elements MathJax typesets in a page),
    # the left-hand side only in the first row.
    assert html.count('<span class="math notranslate nohighlight">') == 4
    assert html.count(r"\frac{\partial J}{\partial z_i}") == 1
    assert r"\(\displaystyle = q_i - p_i\)" in html
    # One drawn glyph per mark, a label for screen readers, and the scope beside the ✓.
    assert html.count('<svg class="gp-glyph"') == 2
    assert '<span class="gp-sr">verified, n = 2…5</span>' in html
    assert '<span class="gp-sr">false</span>' in html
    assert '<span class="gp-scope" aria-hidden="true">n = 2…5</span>' in html
    assert r"drops <span class=" in html
    assert 'aria-label="Derivation: 2 steps, 1 false"' in html
    assert r"\times" not in html
    assert "\\checkmark" not in html


def test_the_rows_come_in_the_order_of_the_steps():
    out = _view(*(StepView(f"a_{t}", ok=True) for t in range(1, 5)))
    positions = [out.html.index(f"= a_{t}") for t in range(1, 5)]
    assert positions == sorted(positions)


def test_text_is_escaped_and_math_passes_through():
    assert math_text_html("a <b> & $x < y$") == (
        'a &lt;b&gt; &amp; <span class="math notranslate nohighlight">\\(x &lt; y\\)</span>'
    )
    assert math_text_html(r"costs \$5 or $6") == "costs $5 or $6"  # unmatched: all text
    out = _view(StepView("x", ok=True), title="A <title>", anchor='eq-"1"', number="2.1")
    assert "A &lt;title&gt;" in out.html
    assert 'id="eq-&quot;1&quot;"' in out.html
    assert '<span class="gp-eqno">(2.1)</span>' in out.html


def test_plain_text_shows_the_same_marks_scopes_and_reasons():
    out = _view(
        StepView("q_i", ok=True, scope="all n", plain="q[i]", why="defn", tag="3"),
        StepView("r_i", ok=False, plain="r[i]"),
        lhs_plain="dJ/dz[i]",
        summary="one false",
    )
    assert str(out).splitlines() == [
        "dJ/dz[i]",
        "  = q[i]   ✓ all n   defn   (3)",
        "  = r[i]   ✗",
        "one false",
    ]


def test_bad_steps_are_refused():
    with pytest.raises(ValueError, match="at least one StepView"):
        _view()
    with pytest.raises(TypeError, match="StepView objects; got str"):
        render_derivation("x", ["y"])


def test_a_derivation_shows_its_verdicts_and_scopes():
    wrong = Derivation(
        Derivative(J, z[i]),
        [Step(total(p[k], k) * q(i) - p[i], "chain rule"), Step(q(i) - p[i], "drops the sum")],
        title="Dropped sum",
        ns=(2, 3),
    )
    view = derivation_view(wrong)
    assert wrong._repr_html_() == view.html
    assert str(wrong) == view.text
    assert view.html.count("gp-step-ok") == 1
    assert view.html.count("gp-step-false") == 1
    assert '<span class="gp-sr">verified, every n</span>' in view.html  # the chain rule, for all n
    assert "step 2 is false" in view.html
    assert view.text.splitlines()[:3] == [
        "Dropped sum",
        "d(J)/d(z[i])",
        "  = q[i]*Sum(p[k], (k, 1, n)) - p[i]   ✓ every n   chain rule",
    ]


def test_the_legend_goes_before_the_first_derivation_only():
    two = (
        f"<p>a</p>{_view(StepView('x', ok=True)).html}<p>b</p>{_view(StepView('y', ok=False)).html}"
    )
    page = with_legend(two)
    assert page.count(LEGEND_HTML) == 1
    assert page.index(LEGEND_HTML) < page.index('class="gp-derivation"')
    assert with_legend(page) == page  # once is enough
    assert with_legend("<p>no derivation</p>") == "<p>no derivation</p>"
    # A to_latex() block glued as an equation counts as a derivation.
    glued = (
        '<p>x</p><div class="pasted-math math notranslate" id="e">\\[a \\class{gp-ok}{b}\\]</div>'
    )
    assert with_legend(glued).index(LEGEND_HTML) == len("<p>x</p>")
    plain_math = '<div class="math">\\[a = b\\]</div>'
    assert with_legend(plain_math) == plain_math


def test_agrees_records_a_comparison_and_its_summary_line():
    ledger = Ledger()
    record = ledger.agrees("snippet", [1.0, -2.0, 0.0], [1.0, -2.0 * (1 + 1e-14), 0.0], rtol=1e-12)
    assert record.size == 3
    assert record.max_rel_diff == pytest.approx(1e-14, rel=0.1)
    summary = ledger.summary().plain
    assert "snippet: 3 entries agree within rtol 1e-12, atol 0" in summary
    assert "In all: 1 comparison of two computations." in summary


@pytest.mark.parametrize(
    ("actual", "expected", "message"),
    [
        ([1.0, 2.0], [1.0, 2.0 + 1e-9], "1 of 2 entries differ"),  # outside rtol 1e-12
        # NaN never agrees, and it is the entry named, not the good one beside it
        ([1.0, np.nan], [1.0, 2.0], r"1 of 2 entries differ.* at index \(1,\)"),
        ([1.0, 2.0], [1.0, 2.0, 3.0], "shape"),
    ],
)
def test_agrees_refuses_what_does_not_agree(actual, expected, message):
    with pytest.raises(AssertionError, match=message):
        Ledger().agrees("x", actual, expected, rtol=1e-12)


def test_agrees_refuses_a_name_twice():
    ledger = Ledger()
    ledger.agrees("x", [1.0], [1.0], rtol=0.0)
    with pytest.raises(ValueError, match="already recorded"):
        ledger.agrees("x", [1.0], [1.0], rtol=0.0)
