r"""The scan of rendered text (tools/check_rendered_text.py) finds each kind of unrendered markup.

Here on HTML fragments, one defect at a time, and on the same text where it is allowed (code,
math); tests/test_build.py runs it on a tiny site built with the real configuration, and
``nox -s docs`` on the real site after every build.
"""

from __future__ import annotations

from pathlib import Path

import check_rendered_text
import pytest


def page(body: str) -> str:
    """A page as Sphinx writes it: text in ``<head>`` is never shown."""
    return f"<html><head><title>x $ \\frac</title></head><body>{body}</body></html>"


# (defect, HTML that shows it, the kind reported)
DEFECTS = [
    # A formula whose second line began with "+" became a list item (theory/how-we-check.md).
    ("raw dollar", "<p>the series $f(x) = a</p><ul><li><p>b$ goes on</p></li></ul>", "dollar sign"),
    ("escaped underscore", "<p>the q\\_j sum to 1</p>", "TeX outside math"),
    ("dots", "<p>and so on \\dots</p>", "TeX outside math"),
    ("frac", "<p>the ratio \\frac{a}{b}</p>", "TeX outside math"),
    ("reST role", "<p><strong>:func:`check_gradient`; see</strong></p>", "reST role"),
    ("reST role before code", "<p>see :func:<code>check_gradient</code></p>", "reST role"),
    ("reST class role", "<p>a :class:`Derivation` object</p>", "reST role"),
    ("reST literal", "<p>worst_index is ``()``</p>", "reST literal"),
    ("bold", "<p>**not bold</p>", "Markdown emphasis"),
    ("power in prose", "<p>the best step is 2**-15</p>", "Markdown emphasis"),
    (
        "TeX in a step reason",
        '<div class="math notranslate nohighlight">\\[a &= b \\quad \\text{the q\\_j sum to 1}\\]</div>',
        "TeX in \\text{}",
    ),
    (
        "macro in a step reason",
        '<span class="math">\\(a = b \\text{ as \\sum p = 1}\\)</span>',
        "TeX in \\text{}",
    ),
]

# Text that shows the same characters where they belong.
CLEAN = [
    '<p>Here <span class="math notranslate nohighlight">\\(\\frac{a}{b} \\dots\\)</span> is math.</p>',
    '<div class="math">\\[a = b \\quad \\text{the $q_j$ sum to $1$, by definition}\\]</div>',
    "<p>Code: <code>x = 2**-15  # \\frac $</code></p>",
    "<pre>print(f'$ {a**2} \\\\_')</pre>",
    (
        '<dl><dt class="sig"><em class="sig-param"><span class="o"><span class="pre">**</span>'
        "</span>kw</em></dt></dl>"
    ),
    "<script>var s = '$\\\\frac **';</script><style>a::after{content:'\\\\$'}</style>",
    "<p>Plain text with a colon: note: and a * star.</p>",
]


@pytest.mark.parametrize(
    ("html", "kind"), [(h, k) for _, h, k in DEFECTS], ids=[d[0] for d in DEFECTS]
)
def test_each_defect_is_reported(html: str, kind: str) -> None:
    found = check_rendered_text.page_defects(page(html), "p.html")
    assert found
    assert {d.kind for d in found} == {kind}, found
    assert all(d.page == "p.html" for d in found)


@pytest.mark.parametrize("html", CLEAN)
def test_code_math_and_scripts_are_left_alone(html: str) -> None:
    assert check_rendered_text.page_defects(page(html)) == []


def test_math_inside_text_is_typeset_so_not_reported() -> None:
    assert check_rendered_text.text_in_math(r"\text{the $q_j$ sum} + \mbox{a {b} c}") == [
        "the  sum",
        "a {b} c",
    ]


def test_excerpt_shows_the_context() -> None:
    (defect,) = check_rendered_text.page_defects(page("<p>" + "x" * 60 + " $ " + "y" * 60 + "</p>"))
    assert str(defect).startswith(": dollar sign: …" + "x" * 39 + " $ " + "y" * 39)


def test_site_scan_skips_sources_and_static(tmp_path: Path) -> None:
    bad = page("<p>a $ b</p>")
    for rel in ["index.html", "sub/page.html", "_sources/page.html", "_static/frag.html"]:
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text(bad, encoding="utf-8")
    pages = [d.page for d in check_rendered_text.site_defects(tmp_path)]
    assert pages == ["index.html", "sub/page.html"]
    assert check_rendered_text.main([str(tmp_path)]) == 1


def test_clean_site_passes_and_empty_dir_fails(tmp_path: Path) -> None:
    assert check_rendered_text.main([str(tmp_path)]) == 1  # nothing built is not a pass
    (tmp_path / "index.html").write_text(page("".join(CLEAN)), encoding="utf-8")
    assert check_rendered_text.main([str(tmp_path)]) == 0
    assert check_rendered_text.main([]) == 2
