"""The outcome of a verification: :class:`StepResult` per step, :class:`DerivationReport` in all.

A report says what ran (sizes, free indices and their restrictions, exact or numeric,
assumptions) and, for a false step, where it fails: the setting, the point and both values.
:meth:`DerivationReport.describe` says it in one sentence, in plain text or with ``$...$`` math.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import sympy as sp

from gradproof.derive._numeric import DPS
from gradproof.derive._printing import latex, plain_relation
from gradproof.derive.notation import D, W, d, k, x, z

__all__ = ["DerivationReport", "StepResult", "step_list"]


@dataclass
class StepResult:
    """Outcome of one step, compared with the line before it.

    Attributes
    ----------
    status : str
        ``"proved for all n"`` (identical after expanding names, no dimension needed),
        ``"exact"`` (zero difference by cancellation in every setting), ``"numeric"`` (some
        setting needed the 50-digit evaluation), or ``"false"``.
    exact_settings, numeric_settings : int
        How many (dimension, index) settings were settled each way; a renumbering class counts
        all its settings, settled by the check of one of them.
    equals_lhs : bool
        Whether this line equals the left-hand side (at the points checked).
    """

    number: int
    status: str
    exact_settings: int = 0
    numeric_settings: int = 0
    equals_lhs: bool = True

    @property
    def ok(self) -> bool:
        return self.status != "false"


@dataclass
class DerivationReport:
    """What :meth:`Derivation.verify` found.

    ``first_false`` is the 1-based number of the first step that differs from the line before
    it; ``counterexample`` holds the setting (``n``, index values) and the point (values per
    base) where it differs, ``lhs_value``/``rhs_value`` the previous line's and this line's value
    there.
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

    def checked(self, *, markdown: bool = False) -> str:
        """What ran: sizes, free indices and their restrictions, exact or numeric, assumptions.

        With ``markdown=True`` relations are ``$...$`` LaTeX instead of plain text.
        """

        def show(rel: sp.Basic) -> str:
            return f"${latex(rel)}$" if markdown else plain_relation(rel)

        statuses = {r.status for r in self.steps if r.status != "false"}
        if statuses == {"proved for all n"}:
            return "proved for all n by expansion"
        numeric = [r.number for r in self.steps if r.status == "numeric"]
        how = "exactly"
        if numeric:
            how += (
                f", or where cancellation did not settle {step_list(numeric)}, numerically "
                f"({DPS} digits at {self.n_points} seeded points)"
            )
        dims = f"n = {', '.join(map(str, self.ns))}"
        if self.Ds:
            dims += f" and D = {', '.join(map(str, self.Ds))}"
        text = f"checked {how} for {dims}"
        if self.free:
            text += f" at every {', '.join(self.free)}"
        if self.where:
            text += " with " + ", ".join(show(w) for w in self.where)
        if self.linear_layer:
            text += "; logits " + show(sp.Eq(z[k], sp.Sum(W[k, d] * x[d], (d, 1, D))))
        if self.assume:
            text += "; assuming " + ", ".join(show(a) for a in self.assume)
        proved = [r.number for r in self.steps if r.status == "proved for all n"]
        if proved:
            text += f"; {step_list(proved)} proved for all n by expansion"
        return text

    def describe(self, *, markdown: bool = False) -> str:
        """:meth:`checked`, then the first false step and its counterexample, if any."""
        text = self.checked(markdown=markdown)
        cx = self.counterexample
        if self.first_false is None or cx is None:
            return text
        setting = ", ".join(f"{s_} = {v}" for s_, v in cx["setting"].items())
        point = ", ".join(f"{b} = {_fmt_values(vs)}" for b, vs in cx["point"].items())
        return (
            f"{text}; step {self.first_false} is false: at {setting}, {point}: "
            f"previous line = {_fmt(self.lhs_value)}, this line = {_fmt(self.rhs_value)}"
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


def step_list(numbers: Sequence[int]) -> str:
    """``step 2``, ``steps 2 and 3``, ``steps 2, 3 and 5``."""
    if len(numbers) == 1:
        return f"step {numbers[0]}"
    return f"steps {', '.join(map(str, numbers[:-1]))} and {numbers[-1]}"


def _fmt(v: float) -> str:
    return f"{v:.6g}"


def _fmt_values(vs: list[Any]) -> str:
    return "(" + ", ".join(_fmt_values(v) if isinstance(v, list) else _fmt(v) for v in vs) + ")"
