r"""Fail if the text of any built page shows markup that did not render.

The equations of the site are checked; this checks the sentences around them, as a reader sees
them: a ``$`` that did not open math, TeX such as ``\_``, ``\dots`` or ``\frac`` outside a math
element, a reST role (``:func:`name```) or literal (````x````) that reached the page as typed,
or Markdown emphasis (``**``) that did not render. Text inside ``<code>``, ``<pre>`` (cells,
doctests, outputs), scripts and styles is left alone; so are ``_sources/`` (the downloadable page
sources), ``_static/`` and ``_images/``. Math elements (``class="math"``, which MathJax typesets
in the browser) are TeX by design, except the text of their ``\text{...}``: MathJax shows it
verbatim (``$...$`` inside it is math), so a step reason written ``\text{the q\_j sum to 1}``
reads "q\_j" on the page and is reported too. MathJax's own errors show only in a browser:
``tools/browser_check.py`` reports them.

``nox -s docs`` runs this on ``_build/html`` right after Sphinx; ``tests/test_rendered_text.py``
shows that it bites on a tiny page with each defect and passes a clean one.

Usage::

    python tools/check_rendered_text.py _build/html
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path

# Elements whose text is code or math, not prose.
SKIP_TAGS = frozenset({"code", "pre", "kbd", "samp", "script", "style", "textarea", "template"})
# "pre": Sphinx wraps the literal text of signatures and inline code in <span class="pre">.
SKIP_CLASSES = frozenset({"pre"})
# Elements with no end tag: never pushed on the stack of open elements.
VOID_TAGS = frozenset(
    {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "wbr"}
)

# (kind, pattern): what a reader must never see in prose.
DEFECTS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("dollar sign", re.compile(r"\$")),
    ("TeX outside math", re.compile(r"\\(?:[A-Za-z]+|[_{}^%#&,;:!|])")),
    # A role shows as typed (":func:`name`"), or as ":func:" just before the code it marked.
    ("reST role", re.compile(r"(?<![\w:]):[a-z]+(?::[a-z]+)?:(?:`|$)")),
    ("reST literal", re.compile(r"``")),
    ("Markdown emphasis", re.compile(r"\*\*")),
)
CONTEXT = 40  # characters shown on each side of a defect
# The macros whose argument MathJax sets as text, verbatim (no textmacros package here).
TEXT_MACRO = re.compile(r"\\(?:text|textrm|textit|textbf|textsf|texttt|mbox|hbox)\s*\{")
INNER_MATH = re.compile(r"\$[^$]*\$")  # math inside \text{...}, which MathJax does typeset
TEX_IN_TEXT = re.compile(r"\\(?:[A-Za-z]+|[_{}^%#&$])")


@dataclass(frozen=True)
class Defect:
    """One piece of unrendered markup in the visible text of a page."""

    page: str
    kind: str
    excerpt: str

    def __str__(self) -> str:
        return f"{self.page}: {self.kind}: …{self.excerpt}…"


class _ProseCollector(HTMLParser):
    """Collect the text nodes of ``<body>`` that sit outside code and math."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.texts: list[str] = []
        self.math: list[str] = []  # the TeX of each math element
        self._open: list[tuple[str, str]] = []  # (tag, "math", "skip" or "") per open element
        self._in_body = False

    def _inside(self) -> str:
        kinds = {kind for _, kind in self._open}
        return "skip" if "skip" in kinds else "math" if "math" in kinds else ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "body":
            self._in_body = True
            return
        if tag in VOID_TAGS:
            return
        classes = set((dict(attrs).get("class") or "").split())
        if tag in SKIP_TAGS or classes & SKIP_CLASSES:
            kind = "skip"
        elif "math" in classes:
            kind = "math" if self._inside() != "math" else ""
            if kind:
                self.math.append("")
        else:
            kind = ""
        self._open.append((tag, kind))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        del tag, attrs  # <x/> opens and closes at once: nothing to track

    def handle_endtag(self, tag: str) -> None:
        if tag == "body":
            self._in_body = False
            return
        # Close up to the matching element; an end tag with no open element is ignored.
        for at in range(len(self._open) - 1, -1, -1):
            if self._open[at][0] == tag:
                del self._open[at:]
                return

    def handle_data(self, data: str) -> None:
        if not self._in_body:
            return
        inside = self._inside()
        if inside == "math":
            self.math[-1] += data
        elif not inside and data.strip():
            self.texts.append(data)


def _collect(html: str) -> _ProseCollector:
    collector = _ProseCollector()
    collector.feed(html)
    collector.close()
    return collector


def prose(html: str) -> list[str]:
    """The visible text nodes of one page's ``<body>``, outside code, math and scripts."""
    return _collect(html).texts


def text_in_math(tex: str) -> list[str]:
    r"""The arguments of the ``\text{...}`` macros in one piece of TeX, without their ``$...$``.

    >>> text_in_math(r"a \quad \text{the $q_j$ sum to {1}} + \mbox{b\_c}")
    ['the  sum to {1}', 'b\\_c']
    """
    out = []
    for match in TEXT_MACRO.finditer(tex):
        depth, at = 1, match.end()
        while at < len(tex) and depth:
            depth += {"{": 1, "}": -1}.get(tex[at], 0) if tex[at - 1] != "\\" else 0
            at += 1
        out.append(INNER_MATH.sub("", tex[match.end() : at - 1]))
    return out


def _excerpts(text: str, pattern: re.Pattern[str]) -> list[str]:
    flat = " ".join(text.split())
    return [flat[max(0, m.start() - CONTEXT) : m.end() + CONTEXT] for m in pattern.finditer(flat)]


def page_defects(html: str, page: str = "") -> list[Defect]:
    """Every unrendered piece of markup in the text of one page, in document order."""
    collected = _collect(html)
    found = []
    for text in collected.texts:
        for kind, pattern in DEFECTS:
            found += [Defect(page, kind, e) for e in _excerpts(text, pattern)]
    for tex in collected.math:
        for text in text_in_math(tex):
            found += [Defect(page, "TeX in \\text{}", e) for e in _excerpts(text, TEX_IN_TEXT)]
    return found


def site_pages(html_dir: Path) -> list[Path]:
    """The site's HTML pages: not the theme's fragments in ``_static`` or the page sources."""
    skip = ("_static/", "_sources/", "_images/")
    pages = sorted(html_dir.rglob("*.html"))
    return [p for p in pages if not p.relative_to(html_dir).as_posix().startswith(skip)]


def site_defects(html_dir: Path) -> list[Defect]:
    """Every defect on every page under ``html_dir``."""
    found = []
    for page in site_pages(html_dir):
        name = page.relative_to(html_dir).as_posix()
        found += page_defects(page.read_text(encoding="utf-8"), name)
    return found


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print("usage: python tools/check_rendered_text.py <built html dir>", file=sys.stderr)
        return 2
    html_dir = Path(args[0])
    pages = site_pages(html_dir)
    if not pages:
        print(f"no HTML pages under {html_dir}", file=sys.stderr)
        return 1
    found = site_defects(html_dir)
    for defect in found:
        print(defect, file=sys.stderr)
    if found:
        print(
            f"{len(found)} piece(s) of markup did not render (see tools/check_rendered_text.py)",
            file=sys.stderr,
        )
        return 1
    print(f"{len(pages)} pages show no raw TeX, reST or Markdown in their text")
    return 0


if __name__ == "__main__":
    sys.exit(main())
