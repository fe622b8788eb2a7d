r"""What the pages show of the checks: derivations, tables, figures and "What was checked".

Every page shows a thread's wrong formula next to the truth, keeps a record of the derivations
and numeric checks it ran, and ends by saying exactly what ran. These helpers do that once:

:func:`derivation_view`, :func:`render_derivation`
    A :class:`~gradproof.derive.Derivation` as a reader sees it: one row per step with its ✓ or
    ✗, the scope of the ✓ and the reason, as HTML (what a notebook and the site show) and as text
    (what ``print`` shows); :func:`render_derivation` does it for any chain of LaTeX lines, so a
    derivation written in a page is shown the same way.
:func:`derivation_latex`, :func:`derivation_markdown`
    The chain as one aligned LaTeX block (``Derivation.to_latex()``), the Markdown adding what
    ran: for text-only front ends and for glueing a one-line result into prose.
:func:`compare`
    Arrays side by side, one row per index value, numbers to a stated number of digits.
:func:`table`
    Any rows as a Markdown table (numbers formatted the same way).
:class:`Ledger`
    Verifies derivations (asserting which step is false, if one should be) and records them,
    numeric checks and agreements between two computations (:class:`Agreement`);
    :meth:`Ledger.summary` is the page's "What was checked".
:func:`checked_summary`
    That summary from any :class:`~gradproof.derive.DerivationReport`,
    :class:`~gradproof.derive.Derivation`, :class:`~gradproof.check.GradCheckResult` or
    :class:`Agreement`.
:func:`png`, :func:`svg`
    A Matplotlib figure as a PNG or SVG output on an opaque white background, byte for byte the
    same on every build. The site's kernels read ``conf/matplotlibrc`` (text sizes that stay
    readable when a figure is shrunk to a phone's column).

The returned objects render as Markdown in a notebook (``_repr_markdown_``; the site renders it
as MyST, so ``$...$`` is math) and print as plain text.

Examples
--------
>>> import numpy as np
>>> print(compare({"truth": np.array([0.1, -0.25]), "wrong": np.array([0.0, 1 / 3])}))
| i | truth | wrong |
|---|---|---|
| 1 | 0.1000 | 0.0000 |
| 2 | -0.2500 | 0.3333 |
"""

from __future__ import annotations

import io
from typing import Any

from gradproof._derivation_view import (
    LEGEND_HTML,
    RenderedDerivation,
    StepView,
    math_text_html,
    render_derivation,
    split_math,
    with_legend,
)
from gradproof._ledger import Agreement, Ledger, checked_summary
from gradproof._tables import Markdown, compare, fmt, table
from gradproof.derive import Derivation, DerivationReport, StepResult, latex
from gradproof.derive._printing import sstr
from gradproof.derive._report import step_list

__all__ = [
    "LEGEND_HTML",
    "Agreement",
    "Ledger",
    "Markdown",
    "RenderedDerivation",
    "StepView",
    "checked_summary",
    "compare",
    "derivation_latex",
    "derivation_markdown",
    "derivation_view",
    "fmt",
    "math_text_html",
    "png",
    "render_derivation",
    "scope_tex",
    "svg",
    "table",
    "with_legend",
]

# MathJax's \class (its html extension) marks each step; conf/_static/gradproof.css colours them.
# One glyph each, set as text: \times would read as multiplication next to the math.
_STEP_OK = r"\class{gp-ok}{\text{✓}}"
_STEP_FALSE = r"\class{gp-false}{\text{✗}}"


def scope_tex(label: str) -> str:
    r"""A step's scope label (:attr:`~gradproof.derive.StepResult.scope`) as small LaTeX.

    Short enough to sit by the mark on a phone; the report's text says how it was proved.

    >>> scope_tex("every n"), scope_tex("n = 2…5, numeric")
    ('\\class{gp-scope}{\\scriptsize{\\text{every }n}}', '\\class{gp-scope}{\\scriptsize{n = 2\\ldots 5\\text{, numeric}}}')
    """
    body = label.replace("every n", r"\text{every }n").replace("…", r"\ldots ")
    body = body.replace(", numeric", r"\text{, numeric}")
    return rf"\class{{gp-scope}}{{\scriptsize{{{body}}}}}"


# ------------------------------------------------------------------------------ derivations


def step_scope(report: DerivationReport, result: StepResult) -> str:
    """What a step's ✓ covers, short enough to sit next to the mark (empty for a ✗).

    The label is :attr:`StepResult.scope <gradproof.derive.StepResult.scope>`: ``every n``
    for a step proved for every n, else the sizes checked (and ``numeric`` when some setting
    was settled by the numeric comparison); the report's text says how. It is the label by the
    mark only: the sentence with the step's conditions is ``gradproof.latex.step_scope``.

    >>> from sympy import Derivative
    >>> from gradproof.derive import Derivation, J, Step, i, k, p, q, total, z
    >>> d = Derivation(Derivative(J, z[i]), [Step(total(p[k], k) * q(i) - p[i]), Step(q(i))])
    >>> report = d.verify()
    >>> step_scope(report, report.steps[0]), step_scope(report, report.steps[1])
    ('every n', '')
    """
    del report  # the scope is the step's own: kept in the signature for callers
    return result.scope if result.ok else ""


def derivation_view(derivation: Derivation) -> RenderedDerivation:
    """The derivation as a reader sees it (verifies it): HTML for the site, text for ``print``.

    Each step is a row with its line, a ✓ with what it covers or a ✗, and its reason; under
    the chain, one paragraph on what ran and what failed (see :func:`render_derivation`).

    Examples
    --------
    >>> from sympy import Derivative
    >>> from gradproof.derive import Derivation, J, Step, i, p, q, z
    >>> d = Derivation(Derivative(J, z[i]), [Step(q(i) - p[i], "drops $p$")], ns=(2, 3))
    >>> print(derivation_view(d))  # doctest: +ELLIPSIS
    d(J)/d(z[i])
      = q[i] - p[i]   ✗   drops $p$
    Checked for n = 2, 3; at every i; step 1 is false: at n = 2, i = 1, ...
    """
    report = derivation.verify()
    steps = [
        StepView(
            latex=latex(st.expr),
            ok=res.ok,
            why=st.why,
            scope=step_scope(report, res),
            plain=sstr(st.expr),
        )
        for st, res in zip(derivation.steps, report.steps, strict=True)
    ]
    return render_derivation(
        latex(derivation.lhs),
        steps,
        lhs_plain=sstr(derivation.lhs),
        title=derivation.title,
        summary=_summary(report, markdown=True),
        summary_plain=_summary(report, markdown=False),
    )


def _summary(report: DerivationReport, *, markdown: bool) -> str:
    """What ran and what failed, as one paragraph; a line that follows only from a false step
    but not from the left-hand side is named as such."""
    extra = ""
    if report.first_false is not None:
        later = [r.number for r in report.steps[report.first_false :] if r.ok and not r.equals_lhs]
        if later:
            verb = "follows" if len(later) == 1 else "follow"
            extra = (
                f" {step_list(later).capitalize()} {verb} from the line before but not from "
                "the left-hand side."
            )
    summary = report.describe(markdown=markdown)
    return summary[0].upper() + summary[1:] + "." + extra


def derivation_latex(derivation: Derivation) -> str:
    r"""The chain as ``\begin{aligned}...\end{aligned}`` with a ✓/✗ per step (verifies it).

    Each step's reason follows its mark: ``$...$`` in it is math, the rest text.

    Examples
    --------
    >>> from sympy import Derivative
    >>> from gradproof.derive import Derivation, J, Step, i, p, q, z
    >>> print(derivation_latex(Derivation(Derivative(J, z[i]), [Step(q(i), "no $p$")], ns=(2,))))
    \begin{aligned}
    \frac{\partial J}{\partial z_{i}} &= q_{i} && \class{gp-false}{\text{✗}}\quad \text{no }p
    \end{aligned}
    """
    report = derivation.verify()
    rows = []
    for t, (st, res) in enumerate(zip(derivation.steps, report.steps, strict=True)):
        left = latex(derivation.lhs) if t == 0 else ""
        mark = rf"{_STEP_OK}\,{scope_tex(res.scope)}" if res.ok else _STEP_FALSE
        why = rf"\quad {_why_tex(st.why)}" if st.why else ""
        rows.append(rf"{left} &= {latex(st.expr)} && {mark}{why}")
    return "\\begin{aligned}\n" + " \\\\\n".join(rows) + "\n\\end{aligned}"


def derivation_markdown(derivation: Derivation) -> str:
    """The title, the chain as ``$$`` math and one paragraph on what ran and what failed.

    A line that follows from a false step but not from the left-hand side is named as such.
    """
    head = f"**{derivation.title}**\n\n" if derivation.title else ""
    text = _summary(derivation.verify(), markdown=True)
    return f"{head}$$\n{derivation_latex(derivation)}\n$$\n\n{text}\n"


def _tex_text(text: str) -> str:
    repl = {"\\": r"\backslash ", "{": r"\{", "}": r"\}", "%": r"\%", "$": r"\$", "#": r"\#"}
    repl |= {"&": r"\&", "_": r"\_", "^": r"\^{}"}
    return "".join(repl.get(c, c) for c in text)


def _why_tex(why: str) -> str:
    r"""A step's reason as LaTeX: ``$...$`` passes through as math, the rest is ``\text``.

    An unmatched ``$`` (or ``\$``) is shown as a dollar sign.

    >>> _why_tex("sum over $j \\ne i$ of p_j")
    '\\text{sum over }j \\ne i\\text{ of p\\_j}'
    """
    return "".join(
        part if is_math else rf"\text{{{_tex_text(part)}}}"
        for is_math, part in split_math(why)
        if is_math or part
    )


class _PNG:
    def __init__(self, data: bytes) -> None:
        self.data = data

    def _repr_png_(self) -> bytes:
        return self.data

    def __repr__(self) -> str:
        return f"<PNG image, {len(self.data)} bytes>"


class _SVG:
    def __init__(self, data: str) -> None:
        self.data = data

    def _repr_svg_(self) -> str:
        return self.data

    def __repr__(self) -> str:
        return f"<SVG image, {len(self.data)} characters>"


def _save(fig: Any, fmt: str, dpi: int) -> bytes:
    if not hasattr(fig, "savefig"):
        msg = f"fig must be a Matplotlib figure; got {type(fig).__name__}"
        raise TypeError(msg)
    import matplotlib as mpl  # noqa: PLC0415  (only pages with figures need it)
    import matplotlib.pyplot as plt  # noqa: PLC0415

    buffer = io.BytesIO()
    # No date or software tag, and SVG element ids from a fixed salt instead of random ones: a
    # rebuild gives identical bytes (tests/test_reproducible_build.py).
    metadata = {"Software": None} if fmt == "png" else {"Date": None, "Creator": None}
    with mpl.rc_context({"svg.hashsalt": "gradproof", "svg.fonttype": "path"}):
        fig.savefig(
            buffer,
            format=fmt,
            dpi=dpi,
            facecolor="white",
            bbox_inches="tight",
            metadata=metadata,
        )
    plt.close(fig)
    return buffer.getvalue()


def png(fig: Any, *, dpi: int = 110) -> _PNG:
    """A Matplotlib figure as PNG output, opaque white (readable on dark themes), then closed.

    The page shows the returned object (as a cell's last expression or with ``display``);
    the bytes carry no software tag, so a rebuild gives identical output. Use it for images
    (a heat map); :func:`svg` suits line plots.
    """
    return _PNG(_save(fig, "png", dpi))


def svg(fig: Any) -> _SVG:
    """A Matplotlib figure as SVG output (sharp at any size), opaque white, then closed.

    Line plots are smaller and sharper as SVG than as PNG. The text is drawn as paths, so it
    looks the same on every machine, and the file carries no date and no random ids, so a
    rebuild gives identical output.
    """
    return _SVG(_save(fig, "svg", 72).decode("utf-8"))
