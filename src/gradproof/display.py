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
    :class:`~gradproof.derive.Derivation` or :class:`~gradproof.check.GradCheckResult`.
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
import numbers
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from gradproof._derivation_view import (
    LEGEND_HTML,
    RenderedDerivation,
    StepView,
    math_text_html,
    render_derivation,
    split_math,
    with_legend,
)
from gradproof.check import GradCheckResult
from gradproof.derive import Derivation, DerivationReport, StepResult, latex
from gradproof.derive._printing import sstr
from gradproof.derive._report import span, step_list

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
    was settled by the numeric comparison); the report's text says how.

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


# ------------------------------------------------------------------------------ tables


class Markdown:
    """Text shown as Markdown in a notebook and as plain text by ``print``.

    Parameters
    ----------
    markdown : str
        What the notebook renders (MyST on this site: ``$...$`` is math).
    plain : str, optional
        What ``str`` returns; defaults to `markdown`.
    """

    def __init__(self, markdown: str, plain: str | None = None) -> None:
        self.markdown = markdown
        self.plain = markdown if plain is None else plain

    def _repr_markdown_(self) -> str:
        return self.markdown

    def __str__(self) -> str:
        return self.plain

    def __repr__(self) -> str:
        return f"<Markdown, {len(self.markdown.splitlines())} lines>"


def fmt(value: Any, digits: int = 4) -> str:
    """A table cell: real numbers with `digits` decimals (never ``-0.0000``), the rest as ``str``.

    >>> fmt(-0.00001), fmt(2 / 3, 2), fmt(3), fmt("$q_i$")
    ('0.0000', '0.67', '3', '$q_i$')
    """
    if isinstance(value, numbers.Integral):  # bool included
        return str(value)
    if isinstance(value, numbers.Real):
        # + 0.0 turns a rounded -0.0 into 0.0
        return f"{round(float(value), digits) + 0.0:.{digits}f}"
    return str(value)


def table(headers: Sequence[str], rows: Iterable[Sequence[Any]], *, digits: int = 4) -> Markdown:
    """A Markdown table; numbers go through :func:`fmt` with `digits` decimals.

    >>> print(table(["", "value"], [["$J$", 1.23456], ["n", 3]]))
    |  | value |
    |---|---|
    | $J$ | 1.2346 |
    | n | 3 |
    """
    headers = list(headers)
    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    for row in rows:
        cells = [fmt(v, digits) for v in row]
        if len(cells) != len(headers):
            msg = f"rows must have {len(headers)} cells like the headers; got {len(cells)}"
            raise ValueError(msg)
        lines.append("| " + " | ".join(cells) + " |")
    return Markdown("\n".join(lines))


def compare(
    columns: Mapping[str, ArrayLike],
    index_name: str | Sequence[str] = "i",
    *,
    digits: int = 4,
    where: Callable[..., bool] | None = None,
    title: str = "",
) -> Markdown:
    r"""Arrays side by side (a wrong formula next to the truth), one row per index value.

    Parameters
    ----------
    columns : mapping of str to array_like
        Column header to values; all arrays have one shape (scalars are repeated).
    index_name : str or sequence of str
        Name of each axis, e.g. ``"i"`` or ``("j", "i")``; indices are shown 1-based.
    digits : int
        Decimals of every value.
    where : callable, optional
        Keeps the rows where ``where(*index)`` (1-based) is true, e.g. ``lambda j, i: j != i``.
    title : str
        A line shown above the table.

    Examples
    --------
    >>> import numpy as np
    >>> jac = np.array([[0.25, -0.25], [-0.25, 0.25]])
    >>> print(compare({"truth": jac, "claim": 0.0}, ("j", "i"), where=lambda j, i: j != i))
    | j | i | truth | claim |
    |---|---|---|---|
    | 1 | 2 | -0.2500 | 0.0000 |
    | 2 | 1 | -0.2500 | 0.0000 |
    """
    if not columns:
        msg = "columns must name at least one array"
        raise ValueError(msg)
    arrays = {name: np.asarray(v, dtype=float) for name, v in columns.items()}
    shapes = {a.shape for a in arrays.values() if a.ndim}
    if len(shapes) > 1:
        msg = f"columns must all have one shape; got {sorted(shapes)}"
        raise ValueError(msg)
    shape = shapes.pop() if shapes else ()
    names = [index_name] if isinstance(index_name, str) else list(index_name)
    if len(names) != len(shape):
        msg = f"index_name must name each of the {len(shape)} axes; got {names}"
        raise ValueError(msg)
    rows = []
    for idx in np.ndindex(*shape):
        label = tuple(c + 1 for c in idx)
        if where is None or where(*label):
            rows.append([*label, *(float(a[idx] if a.ndim else a) for a in arrays.values())])
    out = table([*names, *arrays], rows, digits=digits)
    if title:
        return Markdown(f"{title}\n\n{out.markdown}", f"{title}\n{out.plain}")
    return out


# ------------------------------------------------------------------------------ summaries


@dataclass(frozen=True)
class Agreement:
    """Two computations of one array compared entry by entry, e.g. a snippet and the library.

    Every entry satisfies ``|actual - expected| <= atol + rtol * |expected|`` (the pass rule of
    :func:`numpy.allclose`), or :meth:`Ledger.agrees` would have raised.

    Attributes
    ----------
    size : int
        Entries compared.
    rtol, atol : float
        The tolerances of the rule.
    max_abs_diff, max_rel_diff : float
        The largest ``|actual - expected|``, and the largest of it over ``|expected|`` among
        entries where ``expected`` is not 0.
    """

    size: int
    rtol: float
    atol: float
    max_abs_diff: float
    max_rel_diff: float

    def line(self, name: str) -> str:
        """The summary line: what was compared, under which rule, and how close it came."""
        return (
            f"{name}: {self.size} {'entry agrees' if self.size == 1 else 'entries agree'} "
            f"within rtol {self.rtol:g}, atol {self.atol:g} (largest difference "
            f"{self.max_abs_diff:.1e} absolute, {self.max_rel_diff:.1e} relative)"
        )


_Item = Derivation | DerivationReport | GradCheckResult | Agreement


def _report(item: Derivation | DerivationReport) -> DerivationReport:
    return item.verify() if isinstance(item, Derivation) else item


def _marks(report: DerivationReport) -> str:
    return "".join("✓" if s.ok else "✗" for s in report.steps)


def _derivation_line(name: str, report: DerivationReport, markdown: bool) -> str:
    text = f"{name}: {_marks(report)} {report.checked(markdown=markdown)}"
    if report.first_false is not None and report.counterexample is not None:
        setting = ", ".join(f"{s} = {v}" for s, v in report.counterexample["setting"].items())
        text += f"; step {report.first_false} is false (first counterexample at {setting})"
    return text


def _numeric_line(name: str, r: GradCheckResult) -> str:
    fallback = (
        f" (fell back from the complex step: {r.fallback_reason})" if r.fallback_reason else ""
    )
    if r.ok:
        outcome = f"passed, largest error {r.max_abs_err:.1e} absolute, {_relative(r)} relative"
    elif r.verdict == "cannot tell":
        outcome = f"cannot tell, {r.n_unresolved} of {r.n_checked} components not comparable here"
    else:
        outcome = f"rejected, {r.n_failing} of {r.n_checked} components outside tolerance"
    return (
        f"{name}: {r.kind} check, {r.method}{fallback}, {_count(r.n_checked, 'component')}, "
        f"{_count(r.n_evals, 'evaluation')}: {outcome}"
    )


def _relative(r: GradCheckResult) -> str:
    # A pass compared a derivative larger than its tolerance, so the numeric side is not 0 and
    # the norm-wise relative error is finite (a zero one is "cannot tell", never a pass).
    return f"{r.max_rel_err:.1e}"


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'' if number == 1 else 's'}"


def _totals(
    reports: list[DerivationReport], numeric: list[GradCheckResult], agreements: list[Agreement]
) -> str:
    parts = []
    if reports:
        sizes = span({v for r in reports for v in r.ns})
        held = [s for r in reports for s in r.steps if s.ok]
        forall = sum(s.status == "proved for all n" for s in held)
        scoped = len(held) - forall
        kinds = f"{forall} for every n" + (f", {scoped} for the checked n only" if scoped else "")
        parts.append(
            f"{_count(len(reports), 'derivation')} with {_count(sum(len(r.steps) for r in reports), 'step')}, "
            f"checked sizes n = {sizes}; steps that hold: {kinds if held else 'none'}"
        )
    if numeric:
        methods = ", ".join(sorted({r.method for r in numeric}))
        passed = [r for r in numeric if r.ok]
        text = (
            f"{_count(len(numeric), 'numeric check')} ({methods}; "
            f"{sum(r.n_evals for r in numeric)} evaluations, up to "
            f"{max(r.n_checked for r in numeric)} components)"
        )
        finite = [r.max_rel_err for r in passed if np.isfinite(r.max_rel_err)]
        if finite:
            text += f", largest relative error of a pass {max(finite):.1e}"
        parts.append(text)
    if agreements:
        parts.append(f"{_count(len(agreements), 'comparison')} of two computations")
    return "In all: " + "; ".join(parts) + "."


def _named(items: Iterable[_Item | Mapping[str, _Item]]) -> list[tuple[str, _Item]]:
    out: list[tuple[str, _Item]] = []
    for item in items:
        pairs = item.items() if isinstance(item, Mapping) else [("", item)]
        for name, obj in pairs:
            if not isinstance(obj, Derivation | DerivationReport | GradCheckResult | Agreement):
                msg = (
                    "checked_summary takes Derivation, DerivationReport, GradCheckResult or "
                    f"Agreement objects (or mappings of names to them); got {type(obj).__name__}"
                )
                raise TypeError(msg)
            out.append((name, obj))
    return out


def checked_summary(*items: _Item | Mapping[str, _Item]) -> Markdown:
    r"""The honest "What was checked" list: one line per derivation and per numeric check.

    A derivation's line gives its ✓/✗ per step and what ran (sizes, free indices with their
    restrictions, exact or numeric, assumptions, and the first false step); a numeric check's
    line gives its kind, method, size, evaluations and error. A last line adds them up.

    Parameters
    ----------
    *items : Derivation, DerivationReport, GradCheckResult, Agreement, or mapping of name to these
        Names label the lines (a derivation's title otherwise).

    Examples
    --------
    >>> import numpy as np
    >>> from sympy import Derivative
    >>> from gradproof.check import check_gradient
    >>> from gradproof.derive import Derivation, J, Step, i, p, q, z
    >>> from gradproof.functions import cross_entropy, softmax
    >>> wrong = Derivation(Derivative(J, z[i]), [Step(-p[i] + p[i] * q(i))], ns=(2, 3))
    >>> zz, pp = np.array([1.0, 2.0, 3.0]), np.array([0.2, 0.3, 0.5])
    >>> right = check_gradient(lambda v: cross_entropy(v, pp), lambda v: softmax(v) - pp, zz)
    >>> print(checked_summary({"dropped sum": wrong, "q - p": right}))  # doctest: +ELLIPSIS
    - dropped sum: ✗ checked for n = 2, 3; at every i; step 1 is false (first counterexample at n = 2, i = 1)
    - q - p: gradient check, complex, 3 components, ... evaluations: passed, largest error ... absolute, ... relative
    <BLANKLINE>
    In all: 1 derivation with 1 step, checked sizes n = 2, 3; steps that hold: none; 1 numeric check (complex; ... evaluations, up to 3 components), largest relative error of a pass ...
    """
    named = _named(items)
    reports = [_report(o) for _, o in named if isinstance(o, Derivation | DerivationReport)]
    numeric = [o for _, o in named if isinstance(o, GradCheckResult)]
    agreements = [o for _, o in named if isinstance(o, Agreement)]
    texts: dict[bool, list[str]] = {True: [], False: []}
    for name, obj in named:
        for markdown in (True, False):
            if isinstance(obj, GradCheckResult):
                line = _numeric_line(name or "numeric check", obj)
            elif isinstance(obj, Agreement):
                line = obj.line(name or "comparison")
            else:
                rep = _report(obj)
                line = _derivation_line(name or rep.title or "derivation", rep, markdown)
            texts[markdown].append(f"- {line}")
    total = _totals(reports, numeric, agreements)
    return Markdown(
        "\n".join(texts[True]) + f"\n\n{total}", "\n".join(texts[False]) + f"\n\n{total}"
    )


@dataclass
class Ledger:
    """A page's record of everything it checked, for its "What was checked" section.

    Examples
    --------
    >>> from sympy import Derivative, Ne
    >>> from gradproof.derive import Derivation, J, Step, i, j, p, q, z
    >>> ledger = Ledger()
    >>> off = Derivation(Derivative(q(j), z[i]), [Step(-q(i) * q(j))], where=Ne(i, j), ns=(2,))
    >>> ledger.verified(off, "off-diagonal") is off
    True
    >>> wrong = Derivation(Derivative(J, z[i]), [Step(q(i))], ns=(2,))
    >>> _ = ledger.rejected(wrong, at=1, name="q alone")
    >>> print(ledger.summary())  # doctest: +NORMALIZE_WHITESPACE
    - off-diagonal: ✓ step 1 holds for every n (with the sums over the other classes kept
      symbolic); at every i, j with i ≠ j
    - q alone: ✗ checked for n = 2; at every i; step 1 is false
      (first counterexample at n = 2, i = 1)
    <BLANKLINE>
    In all: 2 derivations with 2 steps, checked sizes n = 2; steps that hold: 1 for every n.
    >>> ledger.verified(wrong)
    Traceback (most recent call last):
    ...
    AssertionError: checked for n = 2; at every i; step 1 is false: ...
    """

    items: dict[str, _Item] = field(default_factory=dict)

    def _name(self, name: str | None, obj: Derivation) -> str:
        base = name or obj.title or f"derivation {len(self.items) + 1}"
        label, t = base, 2
        while label in self.items:  # a repeated title must not hide an earlier record
            label, t = f"{base} ({t})", t + 1
        return label

    def verified(self, derivation: Derivation, name: str | None = None) -> Derivation:
        """Verify `derivation`, raise AssertionError unless every step holds, record it."""
        derivation.verify().assert_verified()
        self.items[self._name(name, derivation)] = derivation
        return derivation

    def rejected(self, derivation: Derivation, at: int, name: str | None = None) -> Derivation:
        """Verify `derivation`, raise AssertionError unless step `at` is its first false one."""
        derivation.verify().assert_first_false(at)
        self.items[self._name(name, derivation)] = derivation
        return derivation

    def numeric(self, name: str, result: GradCheckResult) -> GradCheckResult:
        """Record a numeric check (the caller asserts what it expects of it)."""
        if not isinstance(result, GradCheckResult):
            msg = f"result must be a GradCheckResult; got {type(result).__name__}"
            raise TypeError(msg)
        if name in self.items:
            msg = f"a check named {name!r} is already recorded"
            raise ValueError(msg)
        self.items[name] = result
        return result

    def agrees(
        self, name: str, actual: ArrayLike, expected: ArrayLike, *, rtol: float, atol: float = 0.0
    ) -> Agreement:
        """Assert that two computations of one array agree entry by entry, and record it.

        The rule is ``|actual - expected| <= atol + rtol * |expected|`` in every entry, with the
        shapes equal; the caller states both tolerances (no default hides a loose one).

        >>> ledger = Ledger()
        >>> print(ledger.agrees("twice", [0.2, 0.4], [0.2, 0.4 + 1e-16], rtol=1e-15).line("x"))
        x: 2 entries agree within rtol 1e-15, atol 0 (largest difference 1.1e-16 absolute, 2.8e-16 relative)
        >>> ledger.agrees("off", [1.0, 2.0], [1.0, 2.1], rtol=1e-3)
        Traceback (most recent call last):
        ...
        AssertionError: off: 1 of 2 entries differ by more than atol 0 + rtol 0.001 |expected|; largest difference 0.1 at index (1,)
        """
        a, b = np.asarray(actual, dtype=float), np.asarray(expected, dtype=float)
        if a.shape != b.shape:
            msg = f"{name}: actual has shape {a.shape}, expected {b.shape}"
            raise AssertionError(msg)
        if name in self.items:
            msg = f"a check named {name!r} is already recorded"
            raise ValueError(msg)
        diff = np.abs(a - b)
        bad = ~(diff <= atol + rtol * np.abs(b))  # NaN on either side counts as a disagreement
        if bad.any():
            worst = np.unravel_index(int(np.nanargmax(np.where(bad, diff, -1.0))), a.shape)
            msg = (
                f"{name}: {int(bad.sum())} of {a.size} entries differ by more than atol {atol:g} "
                f"+ rtol {rtol:g} |expected|; largest difference {float(diff[worst]):.3g} at "
                f"index {tuple(int(v) for v in worst)}"
            )
            raise AssertionError(msg)
        nonzero = b != 0
        rel = float(np.max(diff[nonzero] / np.abs(b[nonzero]))) if nonzero.any() else 0.0
        record = Agreement(a.size, rtol, atol, float(diff.max(initial=0.0)), rel)
        self.items[name] = record
        return record

    @property
    def derivations(self) -> list[Derivation]:
        """The recorded derivations, in order."""
        return [o for o in self.items.values() if isinstance(o, Derivation)]

    @property
    def numeric_checks(self) -> list[GradCheckResult]:
        """The recorded numeric checks, in order."""
        return [o for o in self.items.values() if isinstance(o, GradCheckResult)]

    def summary(self) -> Markdown:
        """:func:`checked_summary` of everything recorded."""
        return checked_summary(self.items)


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
