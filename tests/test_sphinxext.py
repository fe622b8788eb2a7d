"""The {derivation} directive in throw-away builds with the real conf and the docs flags.

A passing derivation builds, shows each step with its mark and scope, and is referencable as an
equation; a false step that is not expected, an expected ✗ that holds, and unreadable LaTeX each
fail the build with the page, the line and (for a false step) the counterexample.
"""

from __future__ import annotations

import pytest
from tiny_site import build

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


@pytest.fixture(scope="module")
def good_page(tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest) -> str:
    request.getfixturevalue("mathjax_dir")  # the HTML build needs the vendored MathJax
    run, out = build(tmp_path_factory.mktemp("derivation-good"), GOOD)
    assert run.returncode == 0, run.stdout + run.stderr
    return (out / "page.html").read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def bad_build(tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest) -> str:
    request.getfixturevalue("mathjax_dir")
    run, _ = build(tmp_path_factory.mktemp("derivation-bad"), BAD)
    assert run.returncode != 0
    return run.stdout + run.stderr


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
