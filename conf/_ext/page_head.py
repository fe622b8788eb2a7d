r"""What every page carries besides its text: a description, OpenGraph tags and the marks' legend.

- ``<meta name="description">`` and OpenGraph tags (``og:title``, ``og:description``,
  ``og:type``, ``og:site_name``) on every page. The description is the page's front matter
  ``description`` if it has one, otherwise its first paragraph (on a thread page the answer:
  the page opens with it), math turned into readable text, cut at a word near 160 characters.
- The one-line legend of the ✓ and ✗ marks above the first derivation of a page
  (:func:`gradproof.display.with_legend`), whether the derivation came from a code cell or a
  directive.
"""

from __future__ import annotations

import html
import re
from typing import Any

from docutils import nodes
from sphinx.application import Sphinx

from gradproof.display import with_legend

DESCRIPTION_CHARS = 160
# Readable text for the LaTeX a description may hold (a search result or a link preview shows
# text only). Anything not listed loses its backslash.
_TEX_WORDS = {
    "partial": "∂",
    "sum": "Σ",
    "prod": "Π",
    "ne": "≠",
    "neq": "≠",
    "le": "≤",
    "ge": "≥",
    "cdot": "·",
    "times": "×",
    "nabla": "∇",
    "delta": "δ",
    "sigma": "σ",
    "theta": "θ",
    "alpha": "α",
    "to": "→",
    "in": "∈",
    "infty": "∞",
    "dots": "…",
    "ldots": "…",
    "cdots": "⋯",
}
_DROP = re.compile(r"\\(?:left|right|big|Big|bigg|Bigg|displaystyle|textstyle|,|;|!|quad|qquad)")
_SCRIPT = re.compile(r"([_^])\{([^{}]*)\}")  # z_{i} -> z_i, so a \frac around it matches
_FRAC = re.compile(r"\\frac\s*\{([^{}]*)\}\s*\{([^{}]*)\}")
_WRAPPER = re.compile(r"\\(?:operatorname|mathrm|text|mathbf|boldsymbol|mathit)\s*\{([^{}]*)\}")
_MACRO = re.compile(r"\\([A-Za-z]+)\s?")


def tex_to_text(tex: str) -> str:
    r"""LaTeX as the plain text a link preview can show.

    >>> tex_to_text(r"\frac{\partial J}{\partial z_{i}} = q_i - p_i")
    '∂J/∂z_i = q_i - p_i'
    >>> tex_to_text(r"\left(\sum_{k \ne i} p_{k}\right) \operatorname{softmax}(z)")
    '(Σ_k ≠i p_k) softmax(z)'
    """
    text = _SCRIPT.sub(r"\1\2", _DROP.sub("", tex))
    for _ in range(3):  # nested fractions
        text = _FRAC.sub(lambda m: f"{m.group(1)}/{m.group(2)}", text)
    text = _WRAPPER.sub(r"\1", text)
    # A symbol takes the space after its macro (\ne i -> ≠i); a word keeps it (\log q -> log q).
    text = _MACRO.sub(
        lambda m: _TEX_WORDS.get(m.group(1), m.group(1) + m.group(0)[len(m.group(1)) + 1 :]),
        text,
    )
    text = text.replace("{", "").replace("}", "")
    return re.sub(r"\s+", " ", text).strip()


def _plain(node: nodes.Node) -> str:
    parts = []
    for child in node.findall(nodes.Text):
        math = next((a for a in _ancestors(child) if isinstance(a, nodes.math)), None)
        parts.append(tex_to_text(child.astext()) if math is not None else child.astext())
    return re.sub(r"\s+", " ", "".join(parts)).strip()


def _ancestors(node: nodes.Node) -> list[nodes.Node]:
    out = []
    while node.parent is not None:
        node = node.parent
        out.append(node)
    return out


def shorten(text: str, limit: int = DESCRIPTION_CHARS) -> str:
    """`text` cut at the last word that fits in `limit` characters, with an ellipsis.

    >>> shorten("one two three", 9)
    'one two…'
    >>> shorten("short", 9)
    'short'
    """
    if len(text) <= limit:
        return text
    cut = text[: limit - 1].rsplit(" ", 1)[0].rstrip(" ,;:")
    return cut + "…"


def page_description(doctree: nodes.document | None, metadata: dict[str, Any]) -> str:
    """The front matter's ``description``, else the first paragraph of the page, shortened."""
    given = str(metadata.get("description", "")).strip()
    if given:
        return shorten(given)
    if doctree is None:
        return ""
    for para in doctree.findall(nodes.paragraph):
        # Code cells, their outputs and the navigation are not what a page says.
        if any(isinstance(a, nodes.container | nodes.literal_block) for a in _ancestors(para)):
            continue
        text = _plain(para)
        if len(text) >= 40:
            return shorten(text)
    return ""


def _add_head(
    app: Sphinx, pagename: str, templatename: str, context: dict[str, Any], doctree: Any
) -> None:
    del templatename
    if app.builder.format != "html":
        return
    if "body" in context:
        context["body"] = with_legend(context["body"])
    title = re.sub(r"<[^>]+>", "", context.get("title", "") or "")
    title = html.unescape(title)
    description = page_description(doctree, app.env.metadata.get(pagename, {}))
    if not description:
        description = f"{app.config.project}: {title}" if title else app.config.project
    tags = [
        ("name", "description", description),
        ("property", "og:title", title or app.config.project),
        ("property", "og:description", description),
        ("property", "og:type", "website" if pagename == app.config.root_doc else "article"),
        ("property", "og:site_name", app.config.project),
    ]
    metatags = context.get("metatags", "")
    extra = "".join(
        f'<meta {kind}="{key}" content="{html.escape(value)}" />\n'
        for kind, key, value in tags
        if f'{kind}="{key}"' not in metatags
    )
    context["metatags"] = metatags + extra


def setup(app: Sphinx) -> dict[str, Any]:
    app.connect("html-page-context", _add_head)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
