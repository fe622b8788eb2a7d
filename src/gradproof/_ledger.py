"""A page's record of what it checked, and its "What was checked" text.

:class:`Ledger` verifies derivations (asserting which step is false, if one should be) and
records them with numeric checks and agreements between two computations (:class:`Agreement`);
:func:`checked_summary` turns any of these into one honest line each and a last line that adds
them up. :mod:`gradproof.display` re-exports every name here.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import ArrayLike

from gradproof._tables import Markdown
from gradproof.check import GradCheckResult
from gradproof.derive import Derivation, DerivationReport
from gradproof.derive._report import _count, span

__all__ = ["Agreement", "Ledger", "checked_summary"]


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
    r"""The honest "What was checked" list: one line per derivation, numeric check and
    agreement of two computations.

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
            # A NaN difference is the worst: it names the entry, not a good one beside it.
            worst = np.unravel_index(
                int(np.argmax(np.where(bad, np.nan_to_num(diff, nan=np.inf), -1.0))), a.shape
            )
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
