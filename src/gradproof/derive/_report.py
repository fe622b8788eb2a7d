"""The outcome of a verification: :class:`StepResult` per step, :class:`DerivationReport` in all.

Each step carries its *scope*: ``every n`` (with how it was proved), or the dimensions it was
checked at, and for a numeric agreement how many digits agreed at how many points of which
domain. :attr:`StepResult.scope` is the short label a page puts by the mark;
:attr:`StepResult.scope_text` the sentence behind it. A report says what ran (sizes, settings
counted, free indices and their restrictions, assumptions) and, for a false step, where it
fails: the setting, the point and both values, to as many digits as show that they differ.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import sympy as sp

from gradproof.derive._printing import latex, plain_relation
from gradproof.derive.notation import D, W, d, k, x, z

__all__ = ["DerivationReport", "StepResult", "span", "step_list"]

#: How a step was proved for every n, as the report names it.
PROOFS = {
    "expansion": "the two sides are one expression once the names are written out",
    "symbolic sums": (
        "it cancels with each sum over the classes no free index picks kept as a symbol, "
        "for every n above the number of distinct free-index values, and exactly at that number"
    ),
}


# How a step was proved for every n, in the few words a scope gives it: the report's checked()
# and a block's scopes (gradproof.latex.checking.step_scope) say it alike; StepResult.scope_text
# gives the argument itself (PROOFS).
PROVED_HOW = {
    "expansion": "by expansion",
    "symbolic sums": "with the sums over the other classes kept symbolic",
}


def span(values: Sequence[int]) -> str:
    """``2…5`` for a run of consecutive numbers, ``2, 3, 7`` otherwise, ``2`` alone.

    >>> span((2, 3, 4, 5)), span((2, 4)), span((3,))
    ('2…5', '2, 4', '3')
    """
    vs = sorted(values)
    if len(vs) > 2 and vs == list(range(vs[0], vs[-1] + 1)):
        return f"{vs[0]}…{vs[-1]}"
    return ", ".join(map(str, vs))


@dataclass
class StepResult:
    """Outcome of one step, compared with the line before it.

    Attributes
    ----------
    status : str
        ``"proved for all n"`` (for every n: by expansion, or with the sums over the other
        classes kept symbolic, see ``proof``), ``"exact"`` (zero difference by cancellation
        in every checked setting), ``"numeric"`` (some setting needed the numeric comparison),
        or ``"false"``.
    proof : str
        For ``"proved for all n"``: ``"expansion"`` or ``"symbolic sums"``.
    exact_settings, numeric_settings : int
        How many (dimension, index) settings were settled each way; a renumbering class counts
        all its settings, settled by the check of one of them.
    points, digits : int, float
        For a numeric step: points compared, and the fewest significant digits (relative to the
        largest term) on which the two lines agreed there.
    domain : str
        For a numeric step: the domain the points were drawn from.
    ns, Ds : tuple of int
        The dimensions the step was checked at (when not proved for every n).
    equals_lhs : bool
        Whether this line equals the left-hand side (at the points checked).
    """

    number: int
    status: str
    exact_settings: int = 0
    numeric_settings: int = 0
    equals_lhs: bool = True
    proof: str = ""
    points: int = 0
    digits: float = math.inf
    domain: str = ""
    ns: tuple[int, ...] = ()
    Ds: tuple[int, ...] = ()
    why_not_all_n: str = ""

    @property
    def ok(self) -> bool:
        return self.status != "false"

    @property
    def settings(self) -> int:
        """Settings checked for this step (0 when proved for every n)."""
        return self.exact_settings + self.numeric_settings

    @property
    def scope(self) -> str:
        """The short label by the mark, such as ``every n``, ``n = 2…5`` or ``n = 2…5, numeric``."""
        if self.status == "false":
            return "false"
        if self.status == "proved for all n":
            return "every n"
        out = f"n = {span(self.ns)}"
        if self.Ds:
            out += f", D = {span(self.Ds)}"
        return out + (", numeric" if self.status == "numeric" else "")

    @property
    def scope_text(self) -> str:
        """The sentence behind :attr:`scope`, saying how it was proved or what was checked.

        It speaks of the step alone, so it names no index: the free indices, restrictions and
        assumptions belong to the whole derivation (:meth:`DerivationReport.checked`). A block
        read from LaTeX adds them, in the block's own letters, to this sentence
        (``gradproof.latex.checking.step_scope``); for a step proved for every n that scope
        says only how it was proved (``by expansion``), where this sentence gives the argument.
        """
        if self.status == "false":
            return "false: it differs from the line before it (see the counterexample)"
        if self.status == "proved for all n":
            return f"holds for every n: {PROOFS[self.proof]}"
        where = f"n = {span(self.ns)}" + (f" and D = {span(self.Ds)}" if self.Ds else "")
        count = _count(self.settings, "setting")
        if self.status == "exact":
            text = f"exact for {where} ({count}); not proved for other n"
        else:
            text = (
                f"checked for {where} ({count}): exact in {self.exact_settings}, elsewhere "
                f"agreed to at least {_digits(self.digits)} digits at "
                f"{_count(self.points, 'point')} ({self.domain}); evidence, not a proof"
            )
        if self.why_not_all_n:
            text += f" (for every n: {self.why_not_all_n})"
        return text


@dataclass
class DerivationReport:
    """What :meth:`Derivation.verify` found.

    ``first_false`` is the 1-based number of the first step that differs from the line before
    it; ``counterexample`` holds the setting (``n``, index values) and the point (values per
    base) where it differs, and the two values as text (``"previous"``, ``"this"``,
    ``"difference"``) with as many digits as show the difference, and whether the difference is
    ``"certified"`` (exact or interval arithmetic); ``lhs_value``/``rhs_value`` are the previous
    line's and this line's value there as floats.
    """

    ok: bool
    steps: list[StepResult]
    first_false: int | None
    counterexample: dict[str, Any] | None
    lhs_value: float | None
    rhs_value: float | None
    ns: tuple[int, ...]
    Ds: tuple[int, ...]
    free: tuple[str, ...]
    n_points: int
    seed: int
    elapsed: float
    summary: str = field(default="")
    #: Restrictions on the free indices (``where=``); settings violating them were skipped.
    where: tuple[sp.Basic, ...] = ()
    #: Conditions granted (``assume=``), solved for one entry in every setting.
    assume: tuple[sp.Basic, ...] = ()
    linear_layer: bool = False
    title: str = ""

    def __post_init__(self) -> None:
        if not self.summary:
            self.summary = self.describe()

    @property
    def statuses(self) -> tuple[str, ...]:
        """The status of each step, in order."""
        return tuple(r.status for r in self.steps)

    @property
    def proved_for_all_n(self) -> tuple[int, ...]:
        """The numbers of the steps proved for every n."""
        return tuple(r.number for r in self.steps if r.status == "proved for all n")

    def checked(self, *, markdown: bool = False) -> str:
        """What ran: per kind of verdict the steps, sizes and settings; restrictions; assumptions.

        With ``markdown=True`` relations are ``$...$`` LaTeX instead of plain text.
        """

        def show(rel: sp.Basic) -> str:
            return f"${latex(rel)}$" if markdown else plain_relation(rel)

        held = [r for r in self.steps if r.ok]
        parts = []
        forall = [r for r in held if r.status == "proved for all n"]
        if forall:
            how = " and ".join(PROVED_HOW[h] for h in sorted({r.proof for r in forall}))
            parts.append(f"{_steps_phrase(forall, held)} for every n ({how})")
        exact = [r for r in held if r.status == "exact"]
        if exact:
            parts.append(
                f"{_steps_phrase(exact, held, verb='checked exactly')} for {_dims(exact[0])} "
                f"in {_settings_phrase(exact)}"
            )
        numeric = [r for r in held if r.status == "numeric"]
        if numeric:
            digits = min(r.digits for r in numeric)
            parts.append(
                f"{_steps_phrase(numeric, held, verb='checked')} for {_dims(numeric[0])} in "
                f"{_settings_phrase(numeric)}, where cancellation did not settle it numerically: "
                f"at least {_digits(digits)} digits agreed at "
                f"{_count(sum(r.points for r in numeric), 'point')} "
                f"({numeric[0].domain}), evidence rather than proof"
            )
        text = "; ".join(parts) if parts else f"checked for {_dims_of(self)}"
        if self.free:
            text += f"; at every {', '.join(self.free)}"
        if self.where:
            text += " with " + ", ".join(show(w) for w in self.where)
        if self.linear_layer:
            text += "; logits " + show(sp.Eq(z[k], sp.Sum(W[k, d] * x[d], (d, 1, D))))
        if self.assume:
            text += "; assuming " + ", ".join(show(a) for a in self.assume)
        return text

    def describe(self, *, markdown: bool = False) -> str:
        """:meth:`checked`, then the first false step and its counterexample, if any."""
        text = self.checked(markdown=markdown)
        cx = self.counterexample
        if self.first_false is None or cx is None:
            return text
        setting = ", ".join(f"{s_} = {v}" for s_, v in cx["setting"].items())
        point = ", ".join(f"{b} = {_fmt_values(vs)}" for b, vs in cx["point"].items())
        where = f"at {setting}" + (f", {point}" if point else "")
        sure = "" if cx.get("certified", True) else "; not certified: found without interval bounds"
        return (
            f"{text}; step {self.first_false} is false: {where}: previous line = "
            f"{cx['previous']}, this line = {cx['this']} (difference {cx['difference']}{sure})"
        )

    def assert_verified(self) -> None:
        """Raise AssertionError naming the first false step and its counterexample."""
        if self.first_false is not None:
            raise AssertionError(self.summary)

    def assert_first_false(self, number: int) -> None:
        """Raise AssertionError unless step ``number`` (1-based) is the first false step."""
        if self.first_false == number:
            return
        if self.first_false is None:
            msg = f"expected step {number} to be false, but every step verified: {self.summary}"
        else:
            msg = f"expected step {number} to be the first false step; {self.summary}"
        raise AssertionError(msg)


def _steps_phrase(some: list[StepResult], held: list[StepResult], verb: str = "hold") -> str:
    if len(some) == len(held) and len(held) > 1:
        subject = "every step"
        verb = {"hold": "holds"}.get(verb, verb)
    elif len(some) == 1:
        subject = f"step {some[0].number}"
        verb = {"hold": "holds"}.get(verb, verb)
    else:
        subject = step_list([r.number for r in some])
    return f"{subject} {verb}"


def _dims(r: StepResult) -> str:
    out = f"n = {span(r.ns)}"
    return out + (f" and D = {span(r.Ds)}" if r.Ds else "")


def _dims_of(report: DerivationReport) -> str:
    out = f"n = {span(report.ns)}"
    return out + (f" and D = {span(report.Ds)}" if report.Ds else "")


def _settings_phrase(steps: list[StepResult]) -> str:
    counts = sorted({r.settings for r in steps})
    if len(counts) == 1:
        return _count(counts[0], "setting") + (" each" if len(steps) > 1 else "")
    return f"{counts[0]} to {counts[-1]} settings each"


def _digits(v: float) -> str:
    return "all" if math.isinf(v) else str(math.floor(v))


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'' if number == 1 else 's'}"


def step_list(numbers: Sequence[int]) -> str:
    """``step 2``, ``steps 2 and 3``, ``steps 2, 3 and 5``."""
    if len(numbers) == 1:
        return f"step {numbers[0]}"
    return f"steps {', '.join(map(str, numbers[:-1]))} and {numbers[-1]}"


def _fmt(v: float) -> str:
    return f"{v:.6g}"


def _fmt_values(vs: list[Any] | float) -> str:
    if not isinstance(vs, list):
        return _fmt(vs)  # a scalar symbol's value
    return "(" + ", ".join(_fmt_values(v) if isinstance(v, list) else _fmt(v) for v in vs) + ")"
