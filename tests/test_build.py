"""The strict site build: a wrong cell, a warning or a broken reference fails it.

Each test builds a tiny throw-away docs tree with the real ``conf/`` and the
exact Sphinx flags of ``nox -s docs`` (tests/tiny_site.py), in a subprocess.
"""

from __future__ import annotations

from pathlib import Path

import check_offline
import check_rendered_text
import pytest
from tiny_site import build

GOOD_PAGE = """
# A page that passes

With $q = \\operatorname{softmax}(z)$,

$$
\\sum_i q_i = 1
$$ (eq-sum)

and {eq}`eq-sum` holds. A thread is quoted with {quote}`000: Needs checking` and
{quote-math}`000: -p_i+p_iq_i`:

```{code-cell} python
total = 0.25 + 0.75
assert total == 1.0
print("sum-is-one", total)
```

A deliberate failure is allowed when the cell says so:

```{code-cell} python
:tags: [raises-exception]
raise ZeroDivisionError("shown on purpose")
```
"""


@pytest.fixture(scope="module")
def good_site(tmp_path_factory: pytest.TempPathFactory, mathjax_dir: Path) -> Path:
    assert (mathjax_dir / "mathjax" / "tex-chtml.js").is_file()
    run, out = build(tmp_path_factory.mktemp("good"), GOOD_PAGE)
    assert run.returncode == 0, run.stdout + run.stderr
    return out


@pytest.mark.slow
def test_passing_page_builds_and_shows_its_output(good_site: Path) -> None:
    html = (good_site / "page.html").read_text(encoding="utf-8")
    assert "sum-is-one 1.0" in html
    assert "shown on purpose" in html
    # conf registers the quotation markers (tests/test_quotes.py checks their text)
    assert '<span class="gp-quote gp-thread-000">“Needs checking”</span>' in html


BAD_PAGES = {
    "failing-cell": (
        """
        # Wrong

        ```{code-cell} python
        def gradient(q, p):
            return p - q

        assert gradient(0.7, 1.0) == 0.7 - 1.0, "WRONG-CELL-MARKER"
        ```
        """,
        ["WRONG-CELL-MARKER", "AssertionError", "Traceback"],
    ),
    "broken-ref": (
        """
        # Broken reference

        See {ref}`no-such-label-anywhere`.
        """,
        ["no-such-label-anywhere"],
    ),
    "broken-eq-ref": (
        """
        # Broken equation reference

        By {eq}`eq-that-does-not-exist` we are done.
        """,
        ["eq-that-does-not-exist"],
    ),
    "broken-py-ref": (
        """
        # Broken API reference

        Call {func}`gradproof.functions.no_such_function`.
        """,
        ["gradproof.functions.no_such_function"],
    ),
}


@pytest.mark.slow
@pytest.mark.usefixtures("mathjax_dir")
@pytest.mark.parametrize("case", sorted(BAD_PAGES))
def test_wrong_page_fails_the_build(tmp_path: Path, case: str) -> None:
    page, expected = BAD_PAGES[case]
    run, _ = build(tmp_path, page)
    log = run.stdout + run.stderr
    assert run.returncode != 0, log
    for text in expected:
        assert text in log, f"{text!r} missing from the build log:\n{log}"


# The real site is scanned by `nox -s docs` itself, after every build; these two tests show that
# the scan bites on a CDN link and that a correct build passes it.
def test_asset_scan_sees_a_cdn_script(tmp_path: Path) -> None:
    (tmp_path / "p.html").write_text(
        '<script src="_static/a.js"></script>'
        '<script defer src="https://cdn.example.org/mathjax.js"></script>'
        '<link rel="stylesheet" href="//fonts.example.org/f.css">',
        encoding="utf-8",
    )
    assert check_offline.remote_assets(tmp_path) == {
        "p.html": ["https://cdn.example.org/mathjax.js", "//fonts.example.org/f.css"]
    }
    assert check_offline.main([str(tmp_path)]) == 1


@pytest.mark.slow
def test_tiny_site_loads_nothing_remote_and_ships_mathjax(good_site: Path) -> None:
    assert check_offline.remote_assets(good_site) == {}
    assert check_offline.main([str(good_site)]) == 0
    # Sphinx appends a cache-busting query (?v=...) to each asset.
    urls = check_offline.page_assets(good_site / "page.html")
    mathjax = [u.split("?")[0] for u in urls if "tex-chtml" in u]
    assert mathjax == ["_static/mathjax/tex-chtml.js"]
    assert (good_site / mathjax[0]).is_file()


# Each kind of markup that can reach a reader unrendered, the way it happened on the site.
UNRENDERED_PAGE = r"""
# Unrendered markup

A formula whose second line starts with a plus sign: $f(x) = a
+ b$, and the list item breaks it.

TeX typed as prose: the ratio \frac{a}{b}.

A reST role in Markdown: :func:`gradproof.check.check_gradient`.

**Bold that never closes.

```{code-cell} python
from IPython.display import Markdown

Markdown(r"$$a = b \quad \text{the q\_j sum to 1}$$")
```
"""


@pytest.mark.slow
@pytest.mark.usefixtures("mathjax_dir")
def test_text_scan_sees_each_unrendered_markup_in_a_built_page(tmp_path: Path) -> None:
    run, out = build(tmp_path, UNRENDERED_PAGE)
    assert run.returncode == 0, run.stdout + run.stderr  # Sphinx itself sees nothing wrong
    found = {(d.page, d.kind, d.excerpt) for d in check_rendered_text.site_defects(out)}
    expected = {
        ("dollar sign", "starts with a plus sign: $f(x) = a"),
        ("dollar sign", "b$, and the list item breaks it."),
        ("TeX outside math", "TeX typed as prose: the ratio \\frac{a}{b}."),
        ("reST role", "A reST role in Markdown: :func:"),
        ("Markdown emphasis", "**Bold that never closes."),
        ("TeX in \\text{}", "the q\\_j sum to 1"),
    }
    for kind, excerpt in expected:
        assert any(k == kind and excerpt in e for page, k, e in found if page == "page.html"), (
            kind,
            excerpt,
            found,
        )
    assert check_rendered_text.main([str(out)]) == 1


@pytest.mark.slow
def test_tiny_site_shows_no_unrendered_markup(good_site: Path) -> None:
    # The passing page has inline and display math, roles, quotations and cell output.
    assert check_rendered_text.site_defects(good_site) == []
    assert check_rendered_text.main([str(good_site)]) == 0
