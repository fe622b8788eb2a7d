"""tools/browser_check.py must fail pages a reader would find broken, and pass a sound one.

The browser tests need Playwright (dependency group ``browser``) and the system Chromium;
``nox -s browser`` runs them before it checks the built site. The pattern tests run anywhere.
"""

from __future__ import annotations

import base64
import shutil
from pathlib import Path
from typing import Any

import browser_check
import pytest

# gradproof's own derivation renderer, whose markup the checker must accept.
from gradproof import _derivation_view as renderer

ROOT = Path(__file__).resolve().parents[1]
MATHJAX = ROOT / "_build" / "mathjax" / "static" / "mathjax"


@pytest.mark.parametrize(
    "text",
    [
        "the loss is $$J = -\\sum_i p_i \\log q_i$$ here",
        "\\begin{aligned} a &= b \\end{aligned}",
        "inline \\(q_i - p_i\\) left raw",
        "a dollar pair $\\frac{1}{2}$ never typeset",
    ],
)
def test_raw_tex_is_recognised(text: str) -> None:
    assert browser_check.RAW_TEX.search(text)


@pytest.mark.parametrize(
    "text", ["costs 5 dollars", "q - p, with p summing to one", "an (aside) in prose"]
)
def test_plain_prose_is_not_raw_tex(text: str) -> None:
    assert browser_check.RAW_TEX.search(text) is None


@pytest.mark.parametrize(
    ("url", "local"),
    [
        ("http://127.0.0.1:8123/index.html", True),
        ("data:image/png;base64,AAAA", True),
        ("http://localhost:8123/index.html", False),
        ("https://cdn.jsdelivr.net/npm/mathjax@3/es5/tex-chtml.js", False),
        ("https://127.0.0.1.example.org/x.js", False),
    ],
)
def test_only_the_local_server_is_local(url: str, local: bool) -> None:
    assert browser_check._is_local(url) is local


def test_page_paths_skip_theme_fragments(tmp_path: Path) -> None:
    for rel in ["index.html", "seeds/a.html", "_static/webpack-macros.html", "_sources/x.html"]:
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text("<html></html>", encoding="utf-8")
    assert browser_check.page_paths(tmp_path) == ["index.html", "seeds/a.html"]


# ---- in the browser ------------------------------------------------------------------------

# The site's own MathJax settings (conf.py's mathjax3_config), so the test pages behave alike.
MATHJAX_HEAD = (
    "<script>window.MathJax = {tex: {packages: {'[-]': ['noundefined']}}};</script>"
    '<script defer src="_static/mathjax/tex-chtml.js"></script>'
)
# What conf/_ext/page_head.py and html_favicon give every page of the site.
HEAD = (
    '<meta charset="utf-8">'
    + MATHJAX_HEAD
    + '<link rel="icon" href="favicon.svg">'
    + '<meta name="description" content="A test page.">'
    + '<meta property="og:title" content="Test"><meta property="og:description" content="A test.">'
    + '<meta property="og:type" content="article">'
)
# The same for a page one folder down (the thread pages live in seeds/).
SEEDS_HEAD = HEAD.replace('src="_static/', 'src="../_static/').replace(
    'href="favicon', 'href="../favicon'
)
PIXEL = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="
FAVICON = (
    '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 1 1"><rect width="1" height="1"/></svg>'
)

# A derivation with a line far too long for a phone, rendered by the site's renderer and laid
# out by the site's CSS: on a phone the line scrolls in its box, its mark and reason do not.
LONG_LINE = " + ".join([r"\sum_{k=1}^{n} p_{k} \log q_{k}"] * 6)
DERIVATION = renderer.render_derivation(
    r"\frac{\partial J}{\partial z_i}",
    [
        renderer.StepView(LONG_LINE, ok=True, why="chain rule, every term", scope="n = 2…5"),
        renderer.StepView(r"q_i - p_i", ok=False, why="the targets dropped"),
    ],
    summary="Step 2 is false.",
).html
SITE_CSS = '<link rel="stylesheet" href="_static/gradproof.css">'
# The layout the site had before: marks and reasons as columns of one MathJax block that
# scrolls as a whole, so on a phone they sit past the right edge of its box.
OLD_DERIVATION = (
    r"""<div class="math" style="overflow-x: auto; max-width: 100%">\[\begin{aligned}
  \frac{\partial J}{\partial z_i} &= """
    + LONG_LINE
    + r""" && \class{gp-ok}{\text{✓}}\quad
  \text{chain rule} \\ &= q_i - p_i && \class{gp-false}{\text{✗}}\quad \text{the targets dropped}
\end{aligned}\]</div>"""
)

PAGES = {
    # A sound page: typeset math, an image and a notebook download that load, and a deliberate
    # failure in a raises-exception cell.
    "good.html": f"""<html><head>{HEAD}</head><body><div class="bd-article">
        <p>The gradient is <span class="math">\\(q - p\\)</span>.</p>
        <div class="math">\\[\\nabla_z J = (\\textstyle\\sum p)\\, q - p\\]</div>
        <img src="pixel.png" alt="one pixel">
        <div class="dropdown-download-buttons"><a href="good.ipynb">.ipynb</a></div>
        <div class="cell tag_raises-exception"><div class="cell_output">
          <div class="output traceback">Traceback (most recent call last): OverflowError</div>
        </div></div>
        <pre>$$ code may show dollars and \\begin{{aligned}} $$</pre>
        </div></body></html>""",
    # The site's derivation layout with its legend: sound at 1400 px and at 390 px.
    "derivation.html": f"""<html><head>{HEAD}{SITE_CSS}</head><body><div class="bd-article">
        {renderer.LEGEND_HTML}{DERIVATION}</div></body></html>""",
    "old-derivation.html": f"""<html><head>{HEAD}{SITE_CSS}</head><body><div class="bd-article">
        {renderer.LEGEND_HTML}{OLD_DERIVATION}</div></body></html>""",
    # The site's rows forced into four fixed columns, in a box that scrolls: the line fits no
    # phone, and its mark and reason are pushed past the box's edge.
    "fixed-columns.html": f"""<html><head>{HEAD}{SITE_CSS}<style>
        .gp-steps {{ grid-template-columns: 3rem 700px 6rem 10rem !important; }}
        .gp-step > * {{ grid-row: 1; }} .gp-lhs {{ grid-column: 1; }} .gp-rhs {{ grid-column: 2; }}
        .gp-step > .gp-mark {{ grid-column: 3; }} .gp-why {{ grid-column: 4; }}
        </style></head><body><div class="bd-article" style="overflow-x: auto">
        {renderer.LEGEND_HTML}{DERIVATION}</div></body></html>""",
    "no-legend.html": f"""<html><head>{HEAD}{SITE_CSS}</head><body><div class="bd-article">
        {DERIVATION}</div></body></html>""",
    # 600 px of content without a box that scrolls: wider than a phone's screen.
    "wide.html": f"""<html><head>{HEAD}</head><body>
        <p><span class="math">\\(q\\)</span></p><div style="width: 600px">wide</div>
        </body></html>""",
    # No description, no OpenGraph tags, an icon link that gives 404, an icon left undrawn.
    "bare.html": f"""<html><head>{MATHJAX_HEAD}<link rel="icon" href="missing.ico"></head>
        <body><p><span class="math">\\(q\\)</span></p>
        <i class="fa-solid fa-bars"></i></body></html>""",
    "no-favicon.html": f"""<html><head>{MATHJAX_HEAD}</head><body>
        <p><span class="math">\\(q\\)</span></p></body></html>""",
    # A page that loads more than the weight budget.
    "heavy.html": f"""<html><head>{HEAD}<script src="heavy.js"></script></head><body>
        <p><span class="math">\\(q\\)</span></p></body></html>""",
    # A TeX macro MathJax does not know renders as an error box, not as math.
    "tex-error.html": f"""<html><head>{MATHJAX_HEAD}</head><body>
        <p><span class="math">\\(\\notamacro{{q}}\\)</span></p></body></html>""",
    "raw-math.html": "<html><body><p>the loss is $$J = -\\sum_i p_i \\log q_i$$</p></body></html>",
    "broken-image.html": f"""<html><head>{MATHJAX_HEAD}</head><body>
        <p><span class="math">\\(q\\)</span></p><img src="missing.png" alt="lost"></body></html>""",
    "cdn.html": """<html><head>
        <script src="https://cdn.jsdelivr.net/npm/mathjax@3/es5/tex-chtml.js"></script>
        </head><body><p>nothing typeset</p></body></html>""",
    "traceback.html": f"""<html><head>{MATHJAX_HEAD}</head><body>
        <p><span class="math">\\(q\\)</span></p>
        <div class="cell"><div class="cell_output"><div class="output traceback">
        Traceback (most recent call last): ValueError: bad</div></div></div></body></html>""",
    "throws.html": f"""<html><head>{MATHJAX_HEAD}</head><body>
        <p><span class="math">\\(q\\)</span></p>
        <script>throw new Error("boom");</script></body></html>""",
    "overflow.html": f"""<html><head>{MATHJAX_HEAD}</head><body>
        <div class="bd-article" style="width: 300px; overflow-x: auto">
        <p><span class="math">\\(q\\)</span></p><div style="width: 900px">wide</div>
        </div></body></html>""",
    # A thread page whose answer is folded away, and which has a cell but no notebook download.
    "seeds/folded.html": f"""<html><head>{MATHJAX_HEAD}</head><body>
        <p><span class="math">\\(q\\)</span></p><details><summary>more</summary>
        <div class="admonition"><p class="admonition-title">The answer</p><p>q - p</p></div>
        </details><div class="cell"><pre>1 + 1</pre></div></body></html>""",
    # A thread page that opens with its answer, and one whose box has the old title "Verdict".
    "seeds/answered.html": f"""<html><head>{SEEDS_HEAD}</head><body>
        <div class="admonition"><p class="admonition-title">The answer</p>
        <p><span class="math">\\(q - p\\)</span></p></div></body></html>""",
    "seeds/verdict.html": f"""<html><head>{SEEDS_HEAD}</head><body>
        <div class="admonition"><p class="admonition-title">Verdict</p>
        <p><span class="math">\\(q - p\\)</span></p></div></body></html>""",
    # The statistics table lists one executed page and forgets good.html.
    "execution.html": """<html><body><table><tbody>
        <tr><td>seeds/folded</td><td>today</td><td>force</td><td>1.25</td><td>ok</td></tr>
        </tbody></table></body></html>""",
    # The real search page fills ul.search from searchindex.js; this one never does.
    "search.html": "<html><body><ul class='search'></ul></body></html>",
}


@pytest.fixture(scope="module")
def results(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    pytest.importorskip("playwright.sync_api")
    if not Path(browser_check.CHROMIUM).exists():
        pytest.skip(f"{browser_check.CHROMIUM} is not installed (apt-get install chromium)")
    if not (MATHJAX / "tex-chtml.js").is_file():
        pytest.skip("MathJax is not fetched yet (python tools/fetch_mathjax.py)")
    site = tmp_path_factory.mktemp("site")
    shutil.copytree(MATHJAX, site / "_static" / "mathjax")
    (site / "pixel.png").write_bytes(base64.b64decode(PIXEL))
    (site / "favicon.svg").write_text(FAVICON, encoding="utf-8")
    shutil.copy(ROOT / "conf" / "_static" / "gradproof.css", site / "_static" / "gradproof.css")
    # Over the budget by 100 kB: a comment, so the script runs without an error.
    (site / "heavy.js").write_text("/*" + "x" * browser_check.WEIGHT_BUDGET + "*/", "utf-8")
    (site / "good.ipynb").write_text('{"cells": []}', encoding="utf-8")
    for name, html in PAGES.items():
        (site / name).parent.mkdir(parents=True, exist_ok=True)
        (site / name).write_text(html, encoding="utf-8")
    return {r.path: r for r in browser_check.check_site(site)}


def _problems(results: dict[str, Any], path: str) -> str:
    return "\n".join(results[path].problems)


@pytest.mark.slow
def test_a_sound_page_passes(results: dict[str, Any]) -> None:
    good = results["good.html"]
    assert good.problems == [], good.problems
    assert good.mjx >= 2


@pytest.mark.slow
def test_raw_dollar_math_without_mathjax_fails(results: dict[str, Any]) -> None:
    problems = _problems(results, "raw-math.html")
    assert "no typeset math" in problems
    assert "raw TeX in the text: '$$'" in problems


@pytest.mark.slow
def test_a_tex_error_fails(results: dict[str, Any]) -> None:
    problems = _problems(results, "tex-error.html")
    assert "MathJax error: 'Undefined control sequence" in problems
    assert "notamacro" in problems


@pytest.mark.slow
def test_a_broken_image_fails(results: dict[str, Any]) -> None:
    problems = _problems(results, "broken-image.html")
    assert "image did not load: missing.png" in problems
    assert "HTTP error: 404" in problems


@pytest.mark.slow
def test_a_cdn_request_is_blocked_and_fails(results: dict[str, Any]) -> None:
    problems = _problems(results, "cdn.html")
    assert "request left 127.0.0.1: https://cdn.jsdelivr.net/npm/mathjax@3" in problems
    assert "no typeset math" in problems


@pytest.mark.slow
def test_a_traceback_outside_raises_exception_cells_fails(results: dict[str, Any]) -> None:
    assert "error shown in a cell output" in _problems(results, "traceback.html")


@pytest.mark.slow
def test_a_script_error_fails(results: dict[str, Any]) -> None:
    assert "uncaught: boom" in _problems(results, "throws.html")


@pytest.mark.slow
def test_content_wider_than_the_column_fails(results: dict[str, Any]) -> None:
    assert "wider than its column" in _problems(results, "overflow.html")


@pytest.mark.slow
def test_a_thread_page_opens_with_the_answer(results: dict[str, Any]) -> None:
    assert results["seeds/answered.html"].problems == []
    assert "no answer on the first screen" in _problems(results, "seeds/verdict.html")


@pytest.mark.slow
def test_a_folded_answer_and_a_missing_notebook_fail(results: dict[str, Any]) -> None:
    problems = _problems(results, "seeds/folded.html")
    assert "no answer on the first screen" in problems
    assert "executed page without a .ipynb download" in problems


@pytest.mark.slow
def test_a_search_without_results_fails(results: dict[str, Any]) -> None:
    assert "listed no results" in _problems(results, "search.html?q=softmax")


@pytest.mark.slow
def test_an_executed_page_missing_from_the_statistics_fails(results: dict[str, Any]) -> None:
    problems = _problems(results, "execution.html (table)")
    assert "good is executed but missing from the table" in problems
    assert "seeds/folded" not in problems  # listed, with a time


@pytest.mark.slow
@pytest.mark.parametrize("path", ["good.html", "derivation.html"])
@pytest.mark.parametrize("viewport", ["", " (phone)"])
def test_sound_pages_pass_on_desktop_and_phone(
    results: dict[str, Any], path: str, viewport: str
) -> None:
    result = results[path + viewport]
    assert result.problems == [], result.problems
    assert result.viewport == ("phone" if viewport else "desktop")


@pytest.mark.slow
def test_the_derivation_line_scrolls_on_a_phone_but_its_marks_do_not(
    results: dict[str, Any],
) -> None:
    # The page passed (above) although its long line is wider than the phone: it scrolls.
    assert results["derivation.html (phone)"].wide_math >= 1
    assert results["derivation.html (phone)"].doc_width <= 390


@pytest.mark.slow
def test_marks_and_reasons_past_the_edge_fail_on_a_phone(results: dict[str, Any]) -> None:
    problems = _problems(results, "old-derivation.html (phone)")
    # MathJax draws ✓ from its own font (CSS content, no text); ✗ is text.
    assert problems.count("is cut off by") == 2, problems
    assert 'mark "✗" is cut off by' in problems
    assert "mark" not in _problems(results, "old-derivation.html")  # the desktop has room


@pytest.mark.slow
def test_reasons_past_the_edge_fail_on_a_phone(results: dict[str, Any]) -> None:
    problems = _problems(results, "fixed-columns.html (phone)")
    assert 'reason "chain rule, every term" is cut off by the screen' in problems
    assert 'mark "verified, n = 2…5n = 2…5" is cut off by the screen' in problems
    assert "the document is" not in problems  # the box scrolls; the page is not wider


@pytest.mark.slow
def test_a_document_wider_than_the_phone_fails(results: dict[str, Any]) -> None:
    problems = _problems(results, "wide.html (phone)")
    assert "the document is 6" in problems
    assert "px wide on a 390 px screen" in problems
    assert "px wide on a" not in _problems(results, "wide.html")


@pytest.mark.slow
def test_a_derivation_without_the_legend_fails(results: dict[str, Any]) -> None:
    for path in ("no-legend.html", "no-legend.html (phone)"):
        assert "without the legend of its marks" in _problems(results, path)


@pytest.mark.slow
def test_missing_meta_tags_and_favicon_and_undrawn_icons_fail(results: dict[str, Any]) -> None:
    bare = _problems(results, "bare.html")
    for tag in ("description", "og:title", "og:description", "og:type"):
        assert f"no {tag} meta tag" in bare
    assert "favicon" in bare
    assert "missing.ico gave HTTP 404" in bare
    assert "icon not drawn (not in the icon subset?): fa-solid fa-bars" in bare
    assert "no favicon link" in _problems(results, "no-favicon.html")


@pytest.mark.slow
def test_each_page_reports_its_weight_and_a_heavy_one_fails(results: dict[str, Any]) -> None:
    good = results["good.html"]
    assert good.bytes > 1_000_000  # the page and MathJax (1.2 MB) at least
    assert 0 < good.gzip_bytes < good.bytes
    heavy = _problems(results, "heavy.html")
    assert "over the budget of" in heavy
    assert "over the budget" not in _problems(results, "good.html")
