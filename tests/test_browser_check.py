"""tools/browser_check.py must fail pages a reader would find broken, and pass a sound one.

The browser tests need Playwright (dependency group ``browser``) and the system Chromium;
``nox -s browser`` runs them before it checks the built site. The pattern tests run anywhere.
"""

from __future__ import annotations

import base64
import importlib.util
import shutil
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]
MATHJAX = ROOT / "_build" / "mathjax" / "static" / "mathjax"


def _load_tool(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, ROOT / "tools" / f"{name}.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    # dataclasses look the module up in sys.modules while the class is created.
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


browser_check = _load_tool("browser_check")


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
PIXEL = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="

PAGES = {
    # A sound page: typeset math, an image and a notebook download that load, and a deliberate
    # failure in a raises-exception cell.
    "good.html": f"""<html><head>{MATHJAX_HEAD}</head><body><div class="bd-article">
        <p>The gradient is <span class="math">\\(q - p\\)</span>.</p>
        <div class="math">\\[\\nabla_z J = (\\textstyle\\sum p)\\, q - p\\]</div>
        <img src="pixel.png" alt="one pixel">
        <div class="dropdown-download-buttons"><a href="good.ipynb">.ipynb</a></div>
        <div class="cell tag_raises-exception"><div class="cell_output">
          <div class="output traceback">Traceback (most recent call last): OverflowError</div>
        </div></div>
        <pre>$$ code may show dollars and \\begin{{aligned}} $$</pre>
        </div></body></html>""",
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
    # A thread page whose verdict is folded away, and which has a cell but no notebook download.
    "seeds/folded.html": f"""<html><head>{MATHJAX_HEAD}</head><body>
        <p><span class="math">\\(q\\)</span></p><details><summary>more</summary>
        <div class="admonition"><p class="admonition-title">Verdict</p><p>wrong</p></div>
        </details><div class="cell"><pre>1 + 1</pre></div></body></html>""",
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
def test_a_folded_verdict_and_a_missing_notebook_fail(results: dict[str, Any]) -> None:
    problems = _problems(results, "seeds/folded.html")
    assert "no visible Verdict admonition" in problems
    assert "executed page without a .ipynb download" in problems


@pytest.mark.slow
def test_a_search_without_results_fails(results: dict[str, Any]) -> None:
    assert "listed no results" in _problems(results, "search.html?q=softmax")


@pytest.mark.slow
def test_an_executed_page_missing_from_the_statistics_fails(results: dict[str, Any]) -> None:
    problems = _problems(results, "execution.html (table)")
    assert "good is executed but missing from the table" in problems
    assert "seeds/folded" not in problems  # listed, with a time
