r"""A derivation as a reader sees it: one row per step, as HTML for the site and text for ``print``.

:func:`render_derivation` is the one place a checked derivation becomes something to read. It
takes LaTeX strings and verdicts, not a :class:`~gradproof.derive.Derivation`, so that a Python
derivation (:func:`gradproof.display.derivation_view`) and a derivation written in LaTeX in a
page (a Sphinx directive) are shown by the same code.

The HTML is a grid with one row per step: the left-hand side, the line (``= ...``) as its own
math element, the mark, the reason. Only elements of class ``math`` are typeset: Sphinx's MathJax
configuration (as myst-parser sets it) processes ``math`` and ``output_area`` elements and ignores
the rest of a MyST page, so every formula is a ``<span class="math notranslate nohighlight">``
holding ``\(...\)``. The layout is the site's CSS (``conf/_static/gradproof.css``): on a wide
column the rows align in four columns; below about 600 px the left-hand side takes a row of its
own and each reason sits under its line, so a mark and a reason never leave the screen. A line
too long for the column scrolls inside its own box (with a shadow at the edge that has more).

The marks are one drawn glyph each, a ✓ and a ✗ of the same stroke, with a text label for
screen readers; ``LEGEND_HTML`` explains them once per page (:func:`with_legend`).
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from dataclasses import dataclass

__all__ = [
    "LEGEND_HTML",
    "RenderedDerivation",
    "StepView",
    "math_text_html",
    "render_derivation",
    "split_math",
    "with_legend",
]

# The glyphs are drawn rather than typed: a font's ✗ and ✓ differ in weight, and \times reads as
# multiplication next to math. currentColor takes the mark's colour (green or red, from the CSS).
_GLYPH = (
    '<svg class="gp-glyph" viewBox="0 0 16 16" width="1em" height="1em" aria-hidden="true" '
    'focusable="false"><path d="{d}" fill="none" stroke="currentColor" stroke-width="2.4" '
    'stroke-linecap="round" stroke-linejoin="round"/></svg>'
)
_CHECK = _GLYPH.format(d="M2.5 8.6 6.3 12.3 13.5 3.9")
_CROSS = _GLYPH.format(d="M3.5 3.5 12.5 12.5M12.5 3.5 3.5 12.5")
_TEXT_MARK = {True: "✓", False: "✗"}
_SR_LABEL = {True: "verified", False: "false"}

#: The one-line key to the marks, shown above the first derivation of a page.
LEGEND_HTML = (
    '<p class="gp-legend">'
    f'<span class="gp-mark gp-ok">{_CHECK}</span> verified (its scope beside it) · '
    f'<span class="gp-mark gp-false">{_CROSS}</span> false (counterexample under the '
    "derivation)</p>"
)
# Where a derivation starts in a page: a rendered one, or displayed math holding the marks of
# Derivation.to_latex() (glued into a page as an equation).
_DERIVATION_START = re.compile(
    r'<div class="gp-derivation[" ]'
    r'|<div class="(?:[^"]* )?math[ "][^>]*>(?:(?!</div>).)*\\class\{gp-(?:ok|false)\}',
    re.DOTALL,
)


@dataclass(frozen=True)
class StepView:
    r"""One line of a shown derivation.

    Attributes
    ----------
    latex : str
        The line's right-hand side in LaTeX (without the relation).
    ok : bool
        Whether the line was verified (✓) or found false (✗).
    relation : str
        The LaTeX relation to the line before, ``=`` by default.
    why : str
        The reason; ``$...$`` in it is math, the rest text.
    scope : str
        What the ✓ covers, shown small next to the mark (``"n = 2…5"``, ``"all n"``); for a ✗,
        a short note such as ``"expected"``.
    plain : str
        The line as plain text for ``print``; the LaTeX when empty.
    tag : str
        An equation tag shown after the reason, e.g. ``"3"`` for ``(3)``.
    """

    latex: str
    ok: bool
    relation: str = "="
    why: str = ""
    scope: str = ""
    plain: str = ""
    tag: str = ""


@dataclass(frozen=True)
class RenderedDerivation:
    """A rendered derivation: ``html`` for the site and notebooks, ``text`` for ``print``."""

    html: str
    text: str

    def _repr_html_(self) -> str:
        return self.html

    def __str__(self) -> str:
        return self.text


def math_text_html(text: str) -> str:
    r"""Text with ``$...$`` math as HTML: the text escaped, each formula a MathJax ``math`` span.

    An unmatched ``$`` (or an escaped ``\$``) stays a dollar sign.

    >>> math_text_html("sum over $j \\ne i$ of p<k>")
    'sum over <span class="math notranslate nohighlight">\\(j \\ne i\\)</span> of p&lt;k&gt;'
    >>> math_text_html("costs $5")
    'costs $5'
    """
    return "".join(
        _math(part) if is_math else html.escape(part, quote=False)
        for is_math, part in split_math(text)
    )


def split_math(text: str) -> list[tuple[bool, str]]:
    r"""`text` cut into ``(is_math, part)`` pieces at its ``$`` signs; text parts unescape ``\$``.

    An unmatched ``$`` (or an escaped ``\$``) stays a dollar sign, and the text one piece.

    >>> split_math(r"sum over $j \ne i$ of \$5")
    [(False, 'sum over '), (True, 'j \\ne i'), (False, ' of $5')]
    """
    parts = re.split(r"(?<!\\)\$", text)
    if len(parts) % 2 == 0:  # unmatched: no math at all
        parts = [text]
    return [
        (bool(t % 2), part if t % 2 else part.replace("\\$", "$")) for t, part in enumerate(parts)
    ]


def _math(latex: str, *, display: bool = False) -> str:
    # \displaystyle: a line of a derivation is set as in a displayed equation (full-size
    # fractions and sum limits), though each line is its own inline element.
    body = rf"\displaystyle {latex}" if display else latex
    return (
        f'<span class="math notranslate nohighlight">\\({html.escape(body, quote=False)}\\)</span>'
    )


def _mark_html(step: StepView) -> str:
    ok = step.ok
    glyph = _CHECK if ok else _CROSS
    label = _SR_LABEL[ok] + (f", {step.scope}" if step.scope else "")
    scope = f'<span class="gp-scope" aria-hidden="true">{html.escape(step.scope)}</span>'
    return (
        f'<span class="gp-mark gp-{"ok" if ok else "false"}" title="{html.escape(label)}">'
        f'{glyph}<span class="gp-sr">{html.escape(label)}</span>'
        f"{scope if step.scope else ''}</span>"
    )


def render_derivation(
    lhs: str,
    steps: Sequence[StepView],
    *,
    lhs_plain: str = "",
    title: str = "",
    summary: str = "",
    summary_plain: str = "",
    anchor: str = "",
    number: str = "",
) -> RenderedDerivation:
    r"""A checked chain ``lhs = step_1 = step_2 ...`` as HTML (one grid row per step) and text.

    Parameters
    ----------
    lhs : str
        The left-hand side in LaTeX.
    steps : sequence of StepView
        The lines, each with its verdict, reason and scope.
    lhs_plain : str
        The left-hand side as plain text for ``print`` (the LaTeX when empty).
    title : str
        A heading shown above the chain (text, ``$...$`` math).
    summary : str
        What ran and what failed, shown under the chain (text, ``$...$`` math).
    summary_plain : str
        The summary for ``print`` (`summary` when empty).
    anchor : str
        An HTML id for the block, so that a reference can link to it.
    number : str
        An equation number shown at the block's right, e.g. ``"2.1"``.

    Returns
    -------
    RenderedDerivation
        ``.html`` (what a notebook or a Sphinx directive shows) and ``.text``.

    Examples
    --------
    >>> out = render_derivation(
    ...     r"\frac{\partial J}{\partial z_i}",
    ...     [StepView(r"q_i - p_i", ok=True, why="chain rule", scope="n = 2…5", plain="q_i - p_i"),
    ...      StepView(r"q_i", ok=False, why="drops $p_i$", plain="q_i")],
    ...     lhs_plain="dJ/dz_i",
    ... )
    >>> print(out)
    dJ/dz_i
      = q_i - p_i   ✓ n = 2…5   chain rule
      = q_i   ✗   drops $p_i$
    >>> out.html.count('class="gp-step '), out.html.count('<span class="gp-sr">')
    (2, 2)
    """
    if not steps:
        msg = "steps must hold at least one StepView"
        raise ValueError(msg)
    for step in steps:
        if not isinstance(step, StepView):
            msg = f"steps must be StepView objects; got {type(step).__name__}"
            raise TypeError(msg)
    rows = []
    for t, step in enumerate(steps):
        left = _math(lhs, display=True) if t == 0 else ""
        tag = f' <span class="gp-tag">({html.escape(step.tag)})</span>' if step.tag else ""
        rows.append(
            f'<div class="gp-step gp-step-{"ok" if step.ok else "false"}">'
            f'<div class="gp-lhs">{left}</div>'
            f'<div class="gp-rhs">{_math(f"{step.relation} {step.latex}", display=True)}</div>'
            f"{_mark_html(step)}"
            f'<div class="gp-why">{math_text_html(step.why)}{tag}</div></div>'
        )
    n_false = sum(not s.ok for s in steps)
    label = title or "Derivation"
    label += f": {len(steps)} steps, " + (f"{n_false} false" if n_false else "all verified")
    head = f'<p class="gp-derivation-title">{math_text_html(title)}</p>' if title else ""
    eqno = f'<span class="gp-eqno">({html.escape(number)})</span>' if number else ""
    ident = f' id="{html.escape(anchor)}"' if anchor else ""
    foot = f'<p class="gp-derivation-summary">{math_text_html(summary)}</p>' if summary else ""
    markup = (
        f'<div class="gp-derivation"{ident} role="group" aria-label="{html.escape(label)}">'
        f'{head}{eqno}<div class="gp-steps">{"".join(rows)}</div>{foot}</div>'
    )
    lines = [title] if title else []
    lines.append(lhs_plain or lhs)
    for step in steps:
        mark = f"{_TEXT_MARK[step.ok]} {step.scope}".rstrip()
        why = f"   {step.why}" if step.why else ""
        tag = f"   ({step.tag})" if step.tag else ""
        lines.append(f"  {step.relation} {step.plain or step.latex}   {mark}{why}{tag}")
    if summary or summary_plain:
        lines.append(summary_plain or summary)
    return RenderedDerivation(markup, "\n".join(lines))


def with_legend(page_html: str) -> str:
    r"""`page_html` with ``LEGEND_HTML`` (the key to the marks) before its first derivation.

    A page without a derivation, or with a legend before its first one, is left as it is.

    >>> with_legend('<p>a</p><div class="gp-derivation">x</div><div class="gp-derivation">y')
    ... # doctest: +ELLIPSIS
    '<p>a</p><p class="gp-legend">...</p><div class="gp-derivation">x</div><div class="gp-derivation">y'
    >>> with_legend(r'<div class="math">\[x \class{gp-ok}{\text{✓}}\]</div>')  # doctest: +ELLIPSIS
    '<p class="gp-legend">...</p><div class="math">...'
    >>> with_legend("<p>no derivation</p>")
    '<p>no derivation</p>'
    """
    match = _DERIVATION_START.search(page_html)
    if match is None or "gp-legend" in page_html[: match.start()]:
        return page_html
    return page_html[: match.start()] + LEGEND_HTML + page_html[match.start() :]
