"""The {derivation} directive in throw-away builds with the real conf and the docs flags.

A passing derivation builds, shows each step with its mark and scope, and is referencable as an
equation; a false step that is not expected, an expected ✗ that holds, and unreadable LaTeX each
fail the build with the page, the line and (for a false step) the counterexample.
"""

from __future__ import annotations

import pytest
from tiny_site import build

from gradproof import sphinxext

GOOD = r"""
# Derivations

```{derivation}
:label: ce-grad
:notation: logits=z, targets=p
:assume: \sum_k p_k = 1
\frac{\partial J}{\partial z_i} &= -\sum_j p_j \frac{\partial \log q_j}{\partial z_i} && \text{chain rule} \\
&= -\sum_j p_j (\delta_{ij} - q_i) \\
&= q_i - p_i
```

The gradient {eq}`ce-grad` is the book's.

```{derivation}
:label: asker
:notation: logits=o, targets=y, softmax=p, loss=L, upstream_loss=F
:expect-false: 1
\frac{\partial L}{\partial o_i} &= -\left(y_i(1-p_i) + \sum_{k\neq i} -p_k y_k\right) \\
&= \left(\sum_i p_i y_i\right) - y_i
```
"""

BAD = r"""
# Wrong

```{derivation}
J &= -\sum_j p_j \log q_j \\
&= p_i \log q_i
```

```{derivation}
:expect-false: 1
q_i &= \frac{e^{z_i}}{\sum_k e^{z_k}}
```

```{derivation}
q_i &= \log q_j p_j
```
"""


def built_page(request: pytest.FixtureRequest, name: str, text: str) -> str:
    """The HTML of `text` built as a page; the build must succeed."""
    request.getfixturevalue("mathjax_dir")  # the HTML build needs the vendored MathJax
    run, out = build(request.getfixturevalue("tmp_path_factory").mktemp(name), text)
    assert run.returncode == 0, run.stdout + run.stderr
    return (out / "page.html").read_text(encoding="utf-8")


def failed_build(request: pytest.FixtureRequest, name: str, text: str) -> str:
    """The output of building `text` as a page; the build must fail."""
    request.getfixturevalue("mathjax_dir")
    run, _ = build(request.getfixturevalue("tmp_path_factory").mktemp(name), text)
    assert run.returncode != 0
    return run.stdout + run.stderr


@pytest.fixture(scope="module")
def good_page(request: pytest.FixtureRequest) -> str:
    return built_page(request, "derivation-good", GOOD)


@pytest.fixture(scope="module")
def bad_build(request: pytest.FixtureRequest) -> str:
    return failed_build(request, "derivation-bad", BAD)


@pytest.mark.slow
def test_a_passing_derivation_shows_each_step_with_its_mark(good_page: str) -> None:
    # One row per step, drawn by gradproof.display.render_derivation: three steps of the first
    # block and the second block's last step hold.
    assert good_page.count('<div class="gp-step gp-step-ok">') == 4
    assert good_page.count('<div class="gp-step gp-step-false">') == 1
    assert '<span class="gp-sr">verified, every n</span>' in good_page
    assert '<div class="gp-why">chain rule</div>' in good_page
    assert r"-\sum_j p_j (\delta_{ij} - q_i)" in good_page  # as written, not reprinted
    assert good_page.count('class="gp-legend"') == 1  # the key to the marks, once
    assert "What was checked" in good_page
    assert "for every n, proved with the sums over the other classes kept symbolic" in good_page
    # the notation in the box is typeset, not TeX shown as text (tools/check_rendered_text.py)
    # (with the comma after it kept on its line: conf/_ext/math_punctuation.py)
    assert (
        r'softmax <span class="gp-nobr"><span class="math notranslate nohighlight">\(p\)</span>,'
        in good_page
    )


@pytest.mark.slow
def test_the_label_is_an_equation_that_eq_references(good_page: str) -> None:
    assert '<div class="gp-derivation" id="equation-ce-grad"' in good_page
    assert '<span class="gp-eqno">(1)</span>' in good_page
    assert '<a class="reference internal" href="#equation-ce-grad">(1)</a>' in good_page


@pytest.mark.slow
def test_an_expected_false_step_is_shown_with_its_counterexample(good_page: str) -> None:
    assert '<span class="gp-sr">false, expected</span>' in good_page
    assert "a line the thread wrote wrong, as expected" in good_page
    assert "previous line = " in good_page


@pytest.mark.slow
def test_an_unexpected_false_step_fails_the_build_with_page_line_and_counterexample(
    bad_build: str,
) -> None:
    assert "page: derivation: step 2 (page line 12) is false: at n = 2, i = 1, z = (" in bad_build
    assert "previous line = " in bad_build


@pytest.mark.slow
def test_an_expected_false_step_that_holds_fails_the_build(bad_build: str) -> None:
    assert "step 1 (page line 17) was expected to be false but holds" in bad_build


@pytest.mark.slow
def test_unreadable_latex_fails_the_build_with_its_position(bad_build: str) -> None:
    assert "page, line 21: the derivation cannot be read: line 1, column 8:" in bad_build
    assert r"\log followed by two factors" in bad_build


# ---- a page's one "What was checked", and cells shown in tabs ------------------------------------

SUMMARY = r"""
# Summary

```{derivation}
:label: grad
\frac{\partial J}{\partial z_i} &= \left(\sum_j p_j\right) q_i - p_i && \text{any targets}
```

```{derivation}
:label: slip
:title: the thread's line
:notation: logits=o, targets=y, softmax=p, loss=L
:expect-false: 1
\frac{\partial L}{\partial o_i} &= -y_i + y_i p_i
```

```{code-cell} python
:tags: [remove-cell]
import numpy as np
from myst_nb import glue
from gradproof.display import Ledger
checks = Ledger()
checks.agrees("snippet vs library", np.array([1.0, 2.0]), np.array([1.0, 2.0]), rtol=1e-12)
```

```{code-cell} python
:tags: [code-here]
print("shown in the first tab")
```

::::{tab-set}
:::{tab-item} First
```{place-cell} code-here
```
:::
:::{tab-item} Second
Text.
:::
::::

```{code-cell} python
:tags: [remove-cell]
glue("checks", checks.summary(), display=False)
```

```{what-was-checked}
:numeric: checks

The rates are limits, confirmed at a few sizes and not proved.
```
"""

SUMMARY_BAD = r"""
# Missing pieces

```{place-cell} no-such-tag
```

```{what-was-checked}
:numeric: never-glued
```
"""


@pytest.fixture(scope="module")
def summary_page(request: pytest.FixtureRequest) -> str:
    return built_page(request, "summary", SUMMARY)


@pytest.mark.slow
def test_the_summary_gathers_every_derivation_under_its_equation(summary_page: str) -> None:
    # one box on the page: the blocks' own boxes were moved into it
    assert summary_page.count("What was checked") == 1
    assert summary_page.count("gp-derivation-checked") == 0
    box = summary_page[summary_page.index("gp-what-was-checked") :]
    assert box.index('href="#equation-grad">(1)</a>') < box.index('href="#equation-slip">(2)</a>')
    assert "the thread’s line" in box or "the thread's line" in box
    assert "Step 1: ✓ for every n, proved with the sums over the other classes kept symbolic" in box
    assert "Step 1: ✗ as expected, at n = 2" in box
    assert "Letters: logits" in box  # the second block's letters differ from the site's
    assert (
        "In all: 2 derivations with 2 steps; 1 holds, 1 is shown false, as the page expects." in box
    )


@pytest.mark.slow
def test_the_summary_lists_the_numeric_checks_glued_by_the_page(summary_page: str) -> None:
    box = summary_page[summary_page.index("gp-what-was-checked") :]
    assert "snippet vs library: 2 entries agree within rtol 1e-12, atol 0" in box
    # the page's own note, in the box after the numeric checks and before what a mark means
    note = box.index("The rates are limits, confirmed at a few sizes and not proved.")
    assert box.index("snippet vs library") < note < box.index("A ✓ carries its scope.")


@pytest.mark.slow
def test_a_tagged_cell_is_shown_in_its_tab(summary_page: str) -> None:
    tab = summary_page[summary_page.index('class="sd-tab-content') :]
    tab = tab[: tab.index('class="sd-tab-label"')]
    assert "shown in the first tab" in tab  # the cell's input and output moved into the tab
    assert summary_page.count("shown in the first tab") == 2  # once as code, once as output


@pytest.fixture(scope="module")
def summary_bad_build(request: pytest.FixtureRequest) -> str:
    return failed_build(request, "summary-bad", SUMMARY_BAD)


@pytest.mark.slow
def test_a_place_for_a_missing_cell_fails_the_build(summary_bad_build: str) -> None:
    assert "{place-cell} no-such-tag: expected one code cell tagged 'no-such-tag', found 0" in (
        summary_bad_build
    )


@pytest.mark.slow
def test_numeric_checks_that_were_never_glued_fail_the_build(summary_bad_build: str) -> None:
    assert "No key 'never-glued' found in glue data" in summary_bad_build


def test_the_totals_count_in_the_singular_too():
    one = [{"steps": 1, "held": 1, "expected": 0}]
    assert sphinxext._totals(one) == "In all: 1 derivation with 1 step; 1 holds."
