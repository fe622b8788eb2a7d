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
"""

from __future__ import annotations

from typing import Any, ClassVar

from docutils import nodes
from docutils.parsers.rst import directives
from docutils.statemachine import StringList
from sphinx.application import Sphinx
from sphinx.directives.patches import MathDirective
from sphinx.util.math import get_node_equation_number

from gradproof._derivation_view import StepView, render_derivation
from gradproof.latex import LatexError, Notation, read_align
from gradproof.latex.checking import check_parsed, describe_counterexample
from gradproof.latex.markdown import block_mismatches, expected_false, split_list

__all__ = ["DerivationDirective", "setup"]


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

        The body starts after the fence line and one line per ``:option:``.
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
        out.append(self._checked(parsed, result, expect))
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
        box = nodes.admonition(classes=["dropdown", "gp-derivation-checked"])
        box += nodes.title(text="What was checked")
        self.state.nested_parse(StringList(lines), self.content_offset, box)
        return box


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
        number = get_node_equation_number(self, node) if node.get("number") else ""
        anchor = node["ids"][0] if node["ids"] else ""
        html = render_derivation(rows["lhs"], rows["steps"], anchor=anchor, number=number).html
        self.body.append(html)
        raise nodes.SkipNode

    renderers[name] = (visit_math_block, depart)


def setup(app: Sphinx) -> dict[str, Any]:
    """Register the ``derivation`` directive."""
    app.add_directive("derivation", DerivationDirective)
    app.connect("builder-inited", _draw_derivations, priority=900)
    return {"parallel_read_safe": True, "parallel_write_safe": True, "version": "1"}
