"""Quotations from the five threads, marked in the page source so a test can check each one.

A page quotes a thread only through these markers (``tests/test_quotes.py`` collects every one from
``docs/`` and fails when its text does not occur in the thread, ``../shared/seeds/NNN_*.txt``):

``{quote}`NNN: words```
    A short phrase, shown in typographic quotation marks.
``{quote-math}`NNN: latex```
    A formula, typeset inline.
````{quote-math} NNN```` directive
    A formula, typeset as a displayed equation (the directive body is the LaTeX).

``NNN`` is the thread's number (``000`` … ``004``). The comparison forgives what a scrape or a
typesetter changes and nothing else: whitespace, braces, ``\\left``/``\\right``, thin spaces, and
the escapes that the scrape of thread 001 ate (``\\f`` of ``\\frac``, ``\\b``, ``\\a``, ``\\n``,
``\\r``). A quotation is otherwise verbatim, so a changed word or symbol fails the test.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

THREAD_ID = re.compile(r"\d{3}")
_ROLE = re.compile(r"\{(quote|quote-math)\}`(?P<body>[^`]*)`")
_DIRECTIVE = re.compile(
    r"^(?P<fence>`{3,}|:{3,})\{quote-math\}[ \t]+(?P<thread>\S+)[ \t]*\n"
    r"(?P<options>(?::[\w-]+:.*\n)*)(?P<body>.*?)^(?P=fence)[ \t]*$",
    re.MULTILINE | re.DOTALL,
)
# The scrape of thread 001 turned \f, \b, \a, \n and \r into control characters and dropped them
# (so \frac reads "rac", \neq "eq"); both sides lose them before comparing.
_EATEN = re.compile(r"\\[fbanr]")
_SPACING = re.compile(r"\\(?:[,;:! ]|quad|qquad)(?![a-zA-Z])")
_SIZING = re.compile(r"\\(?:left|right|big|Big|bigg|Bigg)[lr]?(?![a-zA-Z])")
_QUOTES = str.maketrans({"“": '"', "”": '"', "‘": "'", "’": "'"})


@dataclass(frozen=True)
class Quote:
    """One marked quotation: where it is, which thread, the text, and whether it is math."""

    source: str
    line: int
    thread: str
    text: str
    math: bool


def split(body: str) -> tuple[str, str]:
    """``"000: words"`` -> ``("000", "words")``; a ValueError says what is wrong."""
    thread, sep, text = body.partition(":")
    thread, text = thread.strip(), text.strip()
    if not sep or not THREAD_ID.fullmatch(thread) or not text:
        msg = f"a quotation is written 'NNN: text' with NNN the thread's number; got {body!r}"
        raise ValueError(msg)
    return thread, text


def normalise(text: str, *, math: bool) -> str:
    r"""The form in which a quotation and its thread are compared.

    >>> normalise(r"\frac{\partial L}{\partial o_i} = p_i - y_i", math=True)
    'rac\\partialL\\partialo_i=p_i-y_i'
    >>> normalise("Needs  checking\nby a human", math=False)
    'needs checking by a human'
    """
    text = unicodedata.normalize("NFKC", text).translate(_QUOTES)
    if not math:
        return " ".join(text.split()).casefold()
    # Control characters stand where the scrape ate an escape; they go with the whitespace.
    text = "".join(c for c in text if unicodedata.category(c)[0] != "C")
    text = text.replace("\\\\", "\n")  # a line break of an aligned block is layout, not content
    text = _EATEN.sub("", text)
    text = _SIZING.sub("", text)
    text = _SPACING.sub("", text)
    return re.sub(r"[\s{}$&]", "", text)


def thread_text(seeds: Path, thread: str) -> str:
    """The text of thread ``thread`` from the seeds folder (exactly one ``NNN_*.txt``)."""
    found = sorted(seeds.glob(f"{thread}_*.txt"))
    if len(found) != 1:
        msg = f"expected one file {thread}_*.txt in {seeds}; found {len(found)}"
        raise FileNotFoundError(msg)
    return found[0].read_text(encoding="utf-8")


def occurs(quote: Quote, thread: str) -> bool:
    """Whether the quotation occurs in the thread text, both normalised the same way."""
    return normalise(quote.text, math=quote.math) in normalise(thread, math=quote.math)


def collect(path: Path, source: str | None = None) -> Iterator[Quote]:
    """Every marked quotation in one page source, in order."""
    text = path.read_text(encoding="utf-8")
    name = source or str(path)
    for m in _ROLE.finditer(text):
        thread, body = split(m["body"])
        line = text.count("\n", 0, m.start()) + 1
        yield Quote(name, line, thread, body, m.group(1) == "quote-math")
    for m in _DIRECTIVE.finditer(text):
        line = text.count("\n", 0, m.start()) + 1
        thread, _ = split(f"{m['thread']}: x")
        yield Quote(name, line, thread, m["body"].strip(), True)


# ---- Sphinx ------------------------------------------------------------------------------------


def _role(
    name: str,
    rawtext: str,
    text: str,
    lineno: int,
    inliner: Any,
    options: Any = None,
    content: Any = (),
) -> tuple[list[Any], list[Any]]:
    from docutils import nodes  # noqa: PLC0415  (Sphinx is only needed when building)

    del options, content
    try:
        thread, body = split(text)
    except ValueError as err:
        msg = inliner.reporter.error(str(err), line=lineno)
        return [inliner.problematic(rawtext, rawtext, msg)], [msg]
    classes = ["gp-quote", f"gp-thread-{thread}"]
    if name == "quote-math":
        return [nodes.math(body, body, classes=classes)], []
    return [nodes.inline(rawtext, f"“{body}”", classes=classes)], []


def _quote_math_directive() -> type:
    from docutils import nodes  # noqa: PLC0415
    from sphinx.util.docutils import SphinxDirective  # noqa: PLC0415

    class QuoteMath(SphinxDirective):
        """A formula quoted from a thread, typeset as a displayed equation."""

        required_arguments = 1
        has_content = True

        def run(self) -> list[Any]:
            thread, latex = split(f"{self.arguments[0]}: {chr(10).join(self.content)}")
            node = nodes.math_block(latex, latex, nowrap=False, number=None)
            node["classes"] += ["gp-quote", f"gp-thread-{thread}"]
            node["docname"] = self.env.docname
            self.set_source_info(node)
            return [node]

    return QuoteMath


def setup(app: Any) -> dict[str, bool]:
    app.add_role("quote", _role)
    app.add_role("quote-math", _role)
    app.add_directive("quote-math", _quote_math_directive())
    return {"parallel_read_safe": True, "parallel_write_safe": True}
