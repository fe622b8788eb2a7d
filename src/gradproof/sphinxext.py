r"""The ``{derivation}`` directive: a derivation written in LaTeX, checked when the page is built.

Add ``"gradproof.sphinxext"`` to ``extensions`` (this module needs Sphinx). In a MyST page::

    ```{derivation}
    :label: ce-grad
    :notation: logits=z, targets=p
    :assume: \sum_k p_k = 1
    \frac{\partial J}{\partial z_i} &= -\sum_j p_j \frac{\partial \log q_j}{\partial z_i}
        && \text{chain rule} \\
    &= q_i \sum_j p_j - p_i
    ```

The body is read by :mod:`gradproof.latex` and every step verified by :mod:`gradproof.derive`
while the page is read. It is shown as written, one step per row, each with ✓ and the sizes it
was checked for (or ✗), numbered and referencable as an equation (``{eq}`ce-grad```), followed
by a collapsed "What was checked" with the settings and the counterexamples. In HTML the rows
are drawn by :func:`gradproof.display.render_derivation`, as a derivation shown from Python is
(one grid row per step that fits a phone); other builders get the aligned LaTeX.

Options: ``label``, ``notation`` (see :class:`gradproof.latex.Notation`), ``assume``, ``where``
and ``define`` (several separated by ``;``), ``expect-false`` (the steps that a thread wrote
wrong, e.g. ``3`` or ``2, 4``) and ``title``. The build fails, with the page, the line and the
counterexample, when a step is false that is not expected to be, when an expected ✗ turns out
to hold, or when the LaTeX cannot be read.

A page that ends with one collapsed account of everything it checked uses the
``{what-was-checked}`` directive::

    ```{what-was-checked}
    :numeric: checks
    ```

It gathers the "What was checked" of every ``{derivation}`` on the page (wherever the directive
stands; the blocks then lose their own boxes, so the page has one), each under a reference to its
equation, and adds the numeric checks that the page's cells ran: the Markdown glued under the
key given by ``numeric`` (``myst_nb.glue("checks", ledger.summary(), display=False)`` with a
:class:`gradproof.display.Ledger`). A missing key fails the build. The directive's content, if
any, follows the numeric checks: the place to say what the checks do not prove.
"""

from __future__ import annotations

from typing import Any, ClassVar

from docutils import nodes
from docutils.parsers.rst import directives
from docutils.statemachine import StringList
from sphinx import addnodes
from sphinx.application import Sphinx
from sphinx.directives.patches import MathDirective
from sphinx.util import logging
from sphinx.util.docutils import SphinxDirective
from sphinx.util.math import get_node_equation_number

from gradproof._derivation_view import StepView, render_derivation
from gradproof.derive._report import _count, step_list
from gradproof.latex import LatexError, Notation, read_align
from gradproof.latex.checking import check_parsed, describe_counterexample
from gradproof.latex.markdown import block_mismatches, expected_false, split_list

__all__ = ["DerivationDirective", "WhatWasCheckedDirective", "setup"]

# A {derivation}'s own box, and the place in a page's summary where those boxes are gathered.
_BLOCK_BOX = "gp-derivation-checked"
_GATHERED = "gp-checked-derivations"
# The shorter account of a block that a page's summary shows (its own box shows the full one).
_SHORT = "gp-checked-short"
# What the build proved of the page's derivations; carried on each block's box until gathered.
_RECORD = "gp_record"
_logger = logging.getLogger(__name__)


def _short_scope(line: dict[str, Any]) -> str:
    """The engine's short label for a ✓ ("every n", "n = 2…5", "n = 2…5, numeric")."""
    return line["label"]


class DerivationDirective(MathDirective):
    """Read, verify and display a derivation (see the module docstring)."""

    has_content = True
    required_arguments = 0
    optional_arguments = 0
    option_spec: ClassVar[dict[str, Any]] = {
        "label": directives.unchanged,
        "name": directives.unchanged,
        "class": directives.class_option,
        "notation": directives.unchanged,
        "assume": directives.unchanged,
        "where": directives.unchanged,
        "define": directives.unchanged,
        "expect-false": directives.unchanged,
        "title": directives.unchanged,
    }

    def _page_line(self, line: int) -> int:
        """The page's line number of line `line` (1-based) of the body.

        The body starts after the fence line and one line per ``:option:``. Options written
        as a ``---`` block (two lines more) or a body begun on the fence line shift it; the
        site writes neither, and the directive's ``content_offset`` did not give the page's
        line under MyST either (the build-error tests fail with it).
        """
        return self.lineno + len(self.options) + line

    def run(self) -> list[nodes.Node]:
        docname = self.env.current_document.docname
        body = "\n".join(self.content)
        try:
            notation = Notation.parse(self.options.get("notation", ""))
            expect = expected_false(self.options.get("expect-false"))
        except ValueError as exc:
            msg = f"{docname}: derivation options: {exc}"
            raise self.error(msg) from None
        try:
            parsed = read_align(
                body,
                notation,
                assume=split_list(self.options.get("assume")),
                where=split_list(self.options.get("where")),
                define=split_list(self.options.get("define")),
            )
        except LatexError as exc:
            msg = (
                f"{docname}, line {self._page_line(exc.line)}: the derivation cannot be read: {exc}"
            )
            raise self.error(msg) from None
        result = check_parsed(parsed, markdown=True)
        problems = block_mismatches(result, expect)
        if problems:
            shifted = [self._shift_lines(p, result) for p in problems]
            msg = f"{docname}: derivation: " + "; ".join(shifted)
            raise self.error(msg)
        latex = self._latex(parsed, result, expect)
        self.content = StringList(latex.splitlines())
        self.arguments = []
        self.options.pop("nowrap", None)
        out = super().run()
        # The math node keeps the aligned LaTeX (other builders, the search index) and its
        # number and target; the HTML builder draws it from these rows (_visit_math_block).
        block = next(n for n in out if isinstance(n, nodes.math_block))
        block["gp_derivation"] = self._rows(parsed, result, expect)
        box = self._checked(parsed, result, expect)
        box[_RECORD] = {
            "label": self.options.get("label", ""),
            "title": self.options.get("title", ""),
            "line": self.lineno,
            "steps": len(result["lines"]),
            "held": sum(line["verdict"] == "true" for line in result["lines"]),
            "expected": len(expect),
        }
        out.append(box)
        return out

    @staticmethod
    def _rows(parsed: Any, result: dict[str, Any], expect: tuple[int, ...]) -> dict[str, Any]:
        steps = []
        for step, line in zip(parsed.steps, result["lines"], strict=True):
            ok = line["verdict"] == "true"
            # a ✓ carries the engine's scope label; a ✗ the page expects says so
            scope = _short_scope(line) if ok else ("expected" if step.number in expect else "")
            tags = ", ".join(t[t.index("{") + 1 : -1] for t in step.tags)
            steps.append(
                StepView(
                    latex=step.latex,
                    ok=ok,
                    relation=step.relation,
                    why=step.reason,  # $...$ in a \text{} reason is math, as MathJax reads it
                    scope=scope,
                    tag=tags,
                )
            )
        return {"lhs": parsed.lines[0].latex, "steps": steps}

    def _shift_lines(self, problem: str, result: dict[str, Any]) -> str:
        for line in result["lines"]:
            problem = problem.replace(
                f"(line {line['line']})", f"(page line {self._page_line(line['line'])})"
            )
        return problem

    @staticmethod
    def _latex(parsed: Any, result: dict[str, Any], expect: tuple[int, ...]) -> str:
        rows = []
        for step, line in zip(parsed.steps, result["lines"], strict=True):
            left = parsed.lines[0].latex if step.number == 1 else ""
            if line["verdict"] == "true":
                mark = rf"\class{{gp-ok}}{{\text{{✓}}}}\ \scriptsize\text{{{_short_scope(line)}}}"
            else:
                note = "expected" if step.number in expect else "false"
                mark = rf"\class{{gp-false}}{{\text{{✗}}}}\ \scriptsize\text{{{note}}}"
            why = rf"\quad \text{{{step.reason}}}" if step.reason else ""
            tags = "".join(rf"\quad \text{{({t[t.index('{') + 1 : -1]})}}" for t in step.tags)
            rows.append(rf"{left} &{step.relation} {step.latex} && {mark}{why}{tags}")
        return "\\begin{aligned}\n" + " \\\\\n".join(rows) + "\n\\end{aligned}"

    def _checked(self, parsed: Any, result: dict[str, Any], expect: tuple[int, ...]) -> nodes.Node:
        lines = [f"- Notation: {parsed.notation.describe(markdown=True)}."]
        checked = result["checked"]
        lines.append(f"- {checked[0].upper()}{checked[1:]}.")
        for line in result["lines"]:
            head = f"- Step {line['step']}"
            if line["verdict"] == "true":
                lines.append(f"{head}: ✓ {line['scope']}.")
            else:
                cx = line["counterexample"]
                why = describe_counterexample(cx) if cx else "false"
                tail = (
                    " (a line the thread wrote wrong, as expected)"
                    if line["step"] in expect
                    else ""
                )
                lines.append(f"{head}: ✗{tail}, {why}.")
        box = nodes.admonition(classes=["dropdown", _BLOCK_BOX])
        box += nodes.title(text="What was checked")
        self.state.nested_parse(StringList(lines), self.content_offset, box)
        short = nodes.container(classes=[_SHORT])
        self.state.nested_parse(
            StringList(_short_lines(parsed, result, expect)), self.content_offset, short
        )
        box += short
        return box


def _short_lines(parsed: Any, result: dict[str, Any], expect: tuple[int, ...]) -> list[str]:
    """A block's account for a page's summary: letters, steps grouped by scope, each ✗."""
    lines = []
    letters = _letters(parsed.notation)
    if letters:
        lines.append(f"- Letters: {letters}.")
    held: dict[str, list[int]] = {}
    entries: list[tuple[int, str]] = []
    for line in result["lines"]:
        if line["verdict"] == "true":
            held.setdefault(line["scope"], []).append(line["step"])
        else:
            cx = line["counterexample"]
            why = describe_counterexample(cx) if cx else "false"
            kind = " as expected" if line["step"] in expect else ""
            entries.append((line["step"], f"- Step {line['step']}: ✗{kind}, {why}."))
    entries += [
        (steps[0], f"- {step_list(steps).capitalize()}: ✓ {scope}.")
        for scope, steps in held.items()
    ]
    return lines + [text for _, text in sorted(entries)]


def _letters(notation: Notation) -> str:
    """The parts of the notation that are not the site's, as Markdown with ``$...$`` math."""
    default = set(Notation.parse("").describe(markdown=True).split(", "))
    parts = notation.describe(markdown=True).split(", ")
    return ", ".join(part for part in parts if part not in default)


def _draw_derivations(app: Sphinx) -> None:
    """Make the HTML builder draw derivation blocks as rows, other math blocks as before.

    Connected after myst-parser, which replaces the MathJax block renderer at the same event.
    """
    renderers = app.registry.html_block_math_renderers
    name = getattr(app.builder, "math_renderer_name", None)
    if name not in renderers:
        return
    visit, depart = renderers[name]

    def visit_math_block(self: Any, node: nodes.math_block) -> None:
        rows = node.get("gp_derivation")
        if rows is None:
            visit(self, node)
            return
        # an int with math_numfig off (numbers per page), a string like "2.1" with it on
        number = str(get_node_equation_number(self, node)) if node.get("number") else ""
        anchor = node["ids"][0] if node["ids"] else ""
        html = render_derivation(rows["lhs"], rows["steps"], anchor=anchor, number=number).html
        self.body.append(html)
        raise nodes.SkipNode

    renderers[name] = (visit_math_block, depart)


# What a mark means, said once at the end of every page that gathers its checks.
_MEANING = (
    "A ✓ carries its scope. *every n*: the step was proved for every number of classes $n$ and "
    "every value of the free indices that the stated restriction allows, under the stated "
    "assumptions. Sizes such as *n = 2…5*: the step holds at those sizes, exactly or (marked "
    "*numeric*) by a rigorous comparison at seeded points, and was not proved beyond them. "
    "A ✗ marks a step that differs; its counterexample is the first setting and point found. "
    "The numeric checks ran at the points they name and prove nothing elsewhere."
)


class WhatWasCheckedDirective(SphinxDirective):
    """A page's one "What was checked": its derivations and its cells' numeric checks.

    See the module docstring. The derivations are gathered when the whole page has been read
    (:func:`gather_derivations`), so the directive may stand anywhere on the page.
    """

    has_content = True  # optional: what the page's checks do not cover, said by its author
    option_spec: ClassVar[dict[str, Any]] = {"numeric": directives.unchanged_required}

    def run(self) -> list[nodes.Node]:
        box = nodes.admonition(classes=["dropdown", "gp-what-was-checked"])
        box += nodes.title(text="What was checked")
        gathered = nodes.container(classes=[_GATHERED])
        self.state.nested_parse(
            StringList(["**Derivations**, checked when this page was built:"]),
            self.content_offset,
            gathered,
        )
        box += gathered
        key = self.options.get("numeric")
        if key:
            glued = ["**Numeric checks**, run in this page's cells:", "", f"```{{glue:md}} {key}"]
            glued += [":format: myst", "```"]
            self.state.nested_parse(StringList(glued), self.content_offset, box)
        if self.content:
            self.state.nested_parse(self.content, self.content_offset, box)
        self.state.nested_parse(StringList([_MEANING]), self.content_offset, box)
        self.set_source_info(box)
        return [box]


def gather_derivations(app: Sphinx, doctree: nodes.document) -> None:
    """Move every ``{derivation}``'s box into the page's ``{what-was-checked}``, if it has one.

    Each block's account is headed by a reference to its equation (the ``label``; else its
    title or page line); a last paragraph counts the steps. Connected to ``doctree-read``.
    """
    targets = [n for n in doctree.findall(nodes.container) if _GATHERED in n["classes"]]
    boxes = [n for n in doctree.findall(nodes.admonition) if _BLOCK_BOX in n["classes"]]
    if len(targets) > 1:
        _logger.warning(
            "a page may have one {what-was-checked}; found %d", len(targets), location=targets[1]
        )
    records = [box.attributes.pop(_RECORD, None) for box in boxes]
    shorts = [next(iter(box.findall(_is_short)), None) for box in boxes]
    if not targets:
        for short in shorts:
            if short is not None:
                short.parent.remove(short)
        return
    target = targets[0]
    for box, record, short in zip(boxes, records, shorts, strict=True):
        target += _heading(app.env.docname, record or {})
        if short is not None:
            target.extend(short.children)
        box.parent.remove(box)
    target += nodes.paragraph(text=_totals([r for r in records if r]))


def _is_short(node: nodes.Node) -> bool:
    return isinstance(node, nodes.container) and _SHORT in node["classes"]


def _heading(docname: str, record: dict[str, Any]) -> nodes.paragraph:
    head = nodes.paragraph(classes=["gp-checked-heading"])
    label, title = record.get("label"), record.get("title")
    if label:
        head += nodes.strong(text="Derivation ")
        head += addnodes.pending_xref(
            "",
            nodes.literal(label, label, classes=["xref", "eq"]),
            refdomain="math",
            reftype="eq",
            reftarget=label,
            refdoc=docname,
            refexplicit=False,
            refwarn=True,
        )
    else:
        head += nodes.strong(text=f"The derivation at line {record.get('line', '?')}")
    if title:
        head += nodes.Text(f": {title}")
    return head


def _totals(records: list[dict[str, Any]]) -> str:
    if not records:
        return "No derivation on this page."
    steps = sum(r["steps"] for r in records)
    held = sum(r["held"] for r in records)
    expected = sum(r["expected"] for r in records)
    text = (
        f"In all: {_count(len(records), 'derivation')} with {_count(steps, 'step')}; "
        f"{held} {'holds' if held == 1 else 'hold'}"
    )
    if expected:
        # a thread's line on a thread page, a claim refuted on a theory page: say neither
        text += f", {expected} {'is' if expected == 1 else 'are'} shown false, as the page expects"
    return text + "."


def setup(app: Sphinx) -> dict[str, Any]:
    """Register the ``derivation`` and ``what-was-checked`` directives."""
    app.add_directive("derivation", DerivationDirective)
    app.connect("builder-inited", _draw_derivations, priority=900)
    app.add_directive("what-was-checked", WhatWasCheckedDirective)
    app.connect("doctree-read", gather_derivations)
    return {"parallel_read_safe": True, "parallel_write_safe": True, "version": "1"}
