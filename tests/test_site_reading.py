"""What every page carries for its reader: conf/_ext/page_head.py, math_punctuation.py, icons.py.

Unit tests of each extension's functions, then one throw-away build with the real ``conf/``
that shows them together on a page: a derivation under its legend, a description and
OpenGraph tags, punctuation kept with its math, the icon subset and the site's Matplotlib
settings in the kernel.
"""

from __future__ import annotations

import re
from pathlib import Path

import icons
import math_punctuation
import page_head
import pytest
from docutils import nodes
from docutils.frontend import get_default_settings
from docutils.parsers.rst import Parser
from docutils.utils import new_document
from tiny_site import sphinx_build, write_tree


def _doctree(paragraphs: list[list[nodes.Node]]) -> nodes.document:
    document = new_document("<test>", get_default_settings(Parser))
    for children in paragraphs:
        document += nodes.paragraph("", "", *children)
    return document


# ---- descriptions -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("tex", "text"),
    [
        (r"\frac{\partial J}{\partial z_{i}}", "∂J/∂z_i"),
        (r"\sum_{k \ne i} p_k", "Σ_k ≠i p_k"),
        (r"\left(q_i - p_i\right)", "(q_i - p_i)"),
        (r"\operatorname{softmax}(z)", "softmax(z)"),
        (r"\unknownmacro x", "unknownmacro x"),
    ],
)
def test_tex_reads_as_text(tex: str, text: str) -> None:
    assert page_head.tex_to_text(tex) == text


def test_a_description_is_cut_at_a_word() -> None:
    long = "word " * 50
    out = page_head.shorten(long.strip())
    assert len(out) <= page_head.DESCRIPTION_CHARS
    assert out.endswith("word…")


def test_the_description_is_the_first_paragraph_with_its_math_as_text() -> None:
    doc = _doctree(
        [
            [nodes.Text("Short.")],  # too short to describe a page
            [
                nodes.Text("The gradient is "),
                nodes.math("", r"q_{i} - p_{i}"),
                nodes.Text(" when the targets sum to one, for every logit."),
            ],
        ]
    )
    assert page_head.page_description(doc, {}) == (
        "The gradient is q_i - p_i when the targets sum to one, for every logit."
    )
    assert page_head.page_description(doc, {"description": "Given."}) == "Given."


def test_code_output_is_not_a_description() -> None:
    doc = _doctree([])
    box = nodes.container()
    box += nodes.paragraph("", "An output paragraph long enough to be a description, but code.")
    doc += box
    assert page_head.page_description(doc, {}) == ""


# ---- punctuation after math ---------------------------------------------------------------


def test_punctuation_after_math_is_glued_to_it() -> None:
    doc = _doctree(
        [
            [nodes.Text("so "), nodes.math("", "q"), nodes.Text(". Then "), nodes.math("", "p")],
            [nodes.math("", "x"), nodes.Text(" and more")],
        ]
    )
    assert math_punctuation.glue_punctuation(doc) == 1
    first = doc[0]
    box = first[1]
    assert isinstance(box, nodes.inline)
    assert box["classes"] == ["gp-nobr"]
    assert box.astext() == "q."
    assert first[2].astext() == " Then "
    assert doc[1][1].astext() == " and more"  # a space after the math: nothing to glue


# ---- icons --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def packs() -> dict:
    bundle = (icons._theme_static() / "scripts" / "fontawesome.js").read_text(encoding="utf-8")
    return icons.read_packs(bundle)


def test_the_theme_bundle_is_read(packs: dict) -> None:
    assert len(packs["fas"]) > 1000
    width, height, path, aliases, code = packs["fas"]["magnifying-glass"]
    assert (width, height, code) == (512, 512, "f002")
    assert path.startswith("M")
    assert "search" in aliases


def test_the_subset_holds_the_wanted_icons_only(packs: dict) -> None:
    script = icons.subset_script(packs, {"bars", "search", "lg"})
    assert '"bars":' in script
    assert '"magnifying-glass":' in script  # wanted by its alias
    assert '"search":"magnifying-glass"' in script
    assert '"moon":' not in script
    assert len(script) < 10_000


def test_the_font_icons_become_masks(packs: dict) -> None:
    theme_css = (icons._theme_static() / "styles" / "pydata-sphinx-theme.css").read_text(
        encoding="utf-8"
    )
    css = icons.font_free_css(theme_css, packs)
    assert "--gp-mask-admonition-default: url(" in css
    assert "--gp-mask: var(--gp-mask-admonition-note)" in css
    assert "font: inherit !important; content: '' !important" in css


def test_an_unreadable_bundle_is_an_error() -> None:
    with pytest.raises(Exception, match="could not read the icon packs"):
        icons.read_packs("var b={};")


# ---- one page, built ----------------------------------------------------------------------

PAGE = r"""
# A derivation page

The gradient is $q_i - p_i$. It holds when the targets sum to one, which the page checks.

```{code-cell} python
from sympy import Derivative

import matplotlib
from gradproof.derive import Derivation, J, Step, i, k, p, q, total, z

print("font size", matplotlib.rcParams["font.size"])
Derivation(Derivative(J, z[i]), [Step(total(p[k], k) * q(i) - p[i], "chain rule")], ns=(2,))
```
"""


@pytest.mark.slow
def test_a_built_page_carries_all_of_it(tmp_path: Path, mathjax_dir: Path) -> None:
    assert mathjax_dir.is_dir()
    src = write_tree(tmp_path / "site", {"derivation": PAGE})
    run = sphinx_build(src, tmp_path / "html")
    assert run.returncode == 0, run.stdout + run.stderr
    html = (tmp_path / "html" / "derivation.html").read_text(encoding="utf-8")
    legend = html.index('class="gp-legend"')
    assert legend < html.index('<div class="gp-derivation"')
    assert html.count('class="gp-legend"') == 1
    assert '<meta name="description" content="The gradient is q_i - p_i. It holds' in html
    assert re.search(r'<meta property="og:title" content="A derivation page"', html)
    assert '<meta property="og:type" content="article"' in html
    assert 'class="gp-nobr"' in html  # "$q_i - p_i$." keeps its full stop
    assert "font size 15.0" in html  # the kernel read conf/matplotlibrc
    script = tmp_path / "html" / "_static" / "scripts" / "fontawesome.js"
    assert script.stat().st_size < 100_000  # not the theme's 1.5 MB
    assert 'rel="icon"' in html
