"""A derivation as data: :class:`Step` (one claimed equality) and :class:`Derivation` (the chain).

A :class:`Derivation` holds the chain and the options of its check; :meth:`Derivation.verify`
hands it to :mod:`gradproof.derive._verify` and keeps the report. It prints as plain text here;
a page's LaTeX and Markdown of it come from :mod:`gradproof.display`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import sympy as sp

from gradproof._validation import as_int, as_positive_ints, as_sympy_tuple, require_sympy
from gradproof.derive._concrete import decimal, free_indices
from gradproof.derive._evaluate import evaluate
from gradproof.derive._indices import check_indices, check_sizes, check_symbols, check_where
from gradproof.derive._printing import sstr
from gradproof.derive._report import DerivationReport
from gradproof.derive._settings import uses_D
from gradproof.derive._verify import verify

if TYPE_CHECKING:
    import numpy as np

__all__ = ["Derivation", "Step"]


def _require_expression(value: object, name: str) -> None:
    """A line is a sympy expression: not an equation, a tuple or a truth value."""
    require_sympy(value, name)
    if not isinstance(value, sp.Expr):
        msg = (
            f"{name} must be an expression (one side of the equality), such as q(i) - p[i]; "
            f"got {type(value).__name__} {value}"
        )
        raise TypeError(msg)


@dataclass(frozen=True)
class Step:
    """One claimed equality: ``expr`` equals the line before it, for the reason ``why``."""

    expr: sp.Expr
    why: str = ""

    def __post_init__(self) -> None:
        if isinstance(self.expr, int | float) and not isinstance(self.expr, bool):
            object.__setattr__(self, "expr", sp.sympify(self.expr))
        _require_expression(self.expr, "Step expr")
        if not isinstance(self.why, str):
            msg = f"Step why must be a str; got {type(self.why).__name__}"
            raise TypeError(msg)


class Derivation:
    r"""A chain ``lhs = step_1 = step_2 = ...`` that checks and renders itself.

    Parameters
    ----------
    lhs : sympy expression
        The starting expression, e.g. ``Derivative(J, z[i])``.
    steps : sequence of Step (or bare sympy expressions)
        The claimed equal expressions, in order.
    title : str
        Optional heading for the rendered block.
    ns : sequence of int
        Concrete dimensions ``n`` to check (default 2, 3, 4, 5).
    Ds : sequence of int
        Concrete input sizes ``D`` (used only when ``D`` or ``d`` appears or ``linear_layer``).
    n_points : int
        Random points per setting for the numeric fallback and for counterexamples.
    seed : int
        Seed of the points.
    where : sympy relation or sequence of them
        Restricts the free indices, e.g. ``Ne(i, j)`` for an off-diagonal entry; settings that
        violate it are skipped. It must name only free indices, and some checked setting must
        satisfy it.
    assume : sympy Eq or sequence of Eq
        Conditions the steps may use, e.g. ``Eq(Sum(p[k], (k, 1, n)), 1)``. In each concrete
        setting each condition is solved for its last leaf (``p_n`` here), which is then
        replaced everywhere (a condition must be linear in some entry, with a coefficient
        that is nonzero on the whole domain, else it is an error); points are drawn so that the solved entry stays in its domain too
        (``p_n >= 0``), and an assumption no point of the domain satisfies is an error.
    linear_layer : bool
        Logits of a linear layer: ``z_k = sum_d W[k, d] x[d]``. Derivatives in ``W`` and ``x``
        then pass through ``z`` by the chain rule.

    Notes
    -----
    Every index must range over the axis it is used on (``W[d, i]`` with ``d`` an input index is
    an error, whatever n and D are), and float literals mean the decimal they print as.

    What is checked is the expression sympy built, and sympy evaluates some things as they are
    written: a Python float is rounded by Python before sympy sees it (``1 + 1e-20`` is
    ``1.0``; write ``Float("1.00000000000000000001")`` or a ``Rational`` to keep the digits),
    and ``p[i] / p[i]`` is ``1`` before it is checked (``evaluate=False`` keeps the division
    displayed only), so ``p_i / p_i = 1`` is verified though ``p_i = 0`` is in the domain. The
    engine compares lines as rational functions likewise (``Sum(z[k], ...) / Sum(z[m], ...)``
    is 1 for every n): a cancellation that needs a nonzero factor is the writer's to state.
    """

    def __init__(
        self,
        lhs: sp.Expr,
        steps: Sequence[Step | sp.Expr],
        *,
        title: str = "",
        ns: Sequence[int] = (2, 3, 4, 5),
        Ds: Sequence[int] = (2, 3),
        n_points: int = 3,
        seed: int = 0,
        assume: sp.Eq | Sequence[sp.Eq] = (),
        where: sp.Basic | Sequence[sp.Basic] = (),
        linear_layer: bool = False,
    ) -> None:
        _require_expression(lhs, "lhs")
        if isinstance(steps, Step | sp.Basic | str) or not isinstance(steps, Sequence):
            msg = (
                "steps must be a non-empty list of Step objects or sympy expressions; "
                f"got {type(steps).__name__}"
            )
            raise TypeError(msg)
        if not len(steps):
            msg = "steps must be a non-empty list of Step objects or sympy expressions"
            raise ValueError(msg)
        self.lhs = lhs
        self.steps = [st if isinstance(st, Step) else Step(st) for st in steps]
        self.title = title
        self.ns = as_positive_ints(ns, "ns")
        self.Ds = as_positive_ints(Ds, "Ds")
        self.n_points = as_int(n_points, "n_points", minimum=1)
        self.seed = as_int(seed, "seed", minimum=0)
        self.assume = as_sympy_tuple(
            assume, sp.Equality, "assume", "sympy Eq objects, e.g. Eq(Sum(p[k], (k, 1, n)), 1)"
        )
        self.where = as_sympy_tuple(
            where, sp.Rel, "where", "sympy relations between indices, e.g. Ne(i, j)"
        )
        if not isinstance(linear_layer, bool):
            msg = f"linear_layer must be a bool; got {type(linear_layer).__name__}"
            raise TypeError(msg)
        self.linear_layer = linear_layer
        self.exprs = [lhs, *(st.expr for st in self.steps)]
        self.free = free_indices(self.exprs)
        # What is checked: float literals read as the decimals they print as (0.1 is 1/10).
        self.checked_exprs = [decimal(e) for e in self.exprs]
        self.checked_assume = tuple(decimal(a) for a in self.assume)
        check_indices([*self.checked_exprs, *(a.lhs - a.rhs for a in self.checked_assume)])
        check_symbols([*self.checked_exprs, *(a.lhs - a.rhs for a in self.checked_assume)])
        for a in self.assume:
            loose = free_indices([a.lhs - a.rhs])
            if loose:
                msg = (
                    f"assume: {a} names the index {loose[0]}, which no sum binds: an assumption "
                    f"holds for the whole vector, e.g. Eq(Sum(p[k], (k, 1, n)), 1)"
                )
                raise ValueError(msg)
        check_where(self.where, self.free)
        check_sizes(self.ns, self.Ds, self.free, uses_D(self.exprs, linear_layer))
        self._report: DerivationReport | None = None
        # Private: False checks every setting on its own (tests compare the two paths).
        self._group_settings = True
        # Private: False skips the proofs for every n, so every step goes through the settings
        # sweep (tests compare the grouped and the plain sweep on it).
        self._prove_all_n = True

    def verify(self) -> DerivationReport:
        """Check every step against the line before it (cached; see :mod:`gradproof.derive`)."""
        if self._report is None:
            self._report = self._verify()
        return self._report

    def _verify(self) -> DerivationReport:
        return verify(self)  # the uncached check (benchmarks/verify_cost.py times this call)

    # ---- text ------------------------------------------------------------------------------

    def __str__(self) -> str:
        """One line per step with its ✓ (and what it covers) or ✗, then what ran.

        See :func:`gradproof.display.derivation_view`, which also gives the HTML.
        """
        from gradproof.display import derivation_view  # noqa: PLC0415  (display imports derive)

        return derivation_view(self).text

    def __repr__(self) -> str:
        return f"<Derivation {self.title or sstr(self.lhs)}: {len(self.steps)} steps>"

    def to_latex(self) -> str:
        r"""The chain as ``\begin{aligned}...\end{aligned}`` with a ✓/✗ per step.

        See :func:`gradproof.display.derivation_latex`.
        """
        from gradproof.display import derivation_latex  # noqa: PLC0415  (display imports derive)

        return derivation_latex(self)

    def _repr_html_(self) -> str:
        # What a notebook and the site show: one row per step (gradproof.display.derivation_view).
        from gradproof.display import derivation_view  # noqa: PLC0415  (display imports derive)

        return derivation_view(self).html

    def _repr_markdown_(self) -> str:
        # For front ends that show Markdown but not HTML: one aligned LaTeX block.
        from gradproof.display import derivation_markdown  # noqa: PLC0415  (display imports derive)

        return derivation_markdown(self)

    # ---- copies and numbers ----------------------------------------------------------------

    def replace(self, **changes: Any) -> Derivation:
        """A new, unverified Derivation with the same chain and options, except `changes`.

        Examples
        --------
        >>> from sympy import Derivative
        >>> from gradproof.derive import J, i, p, q, z
        >>> d = Derivation(Derivative(J, z[i]), [q(i) - p[i]], ns=(2, 3))
        >>> d.replace(ns=(4,)).ns
        (4,)
        """
        options = {
            "title": self.title,
            "ns": self.ns,
            "Ds": self.Ds,
            "n_points": self.n_points,
            "seed": self.seed,
            "assume": self.assume,
            "where": self.where,
            "linear_layer": self.linear_layer,
        }
        unknown = sorted(set(changes) - {"lhs", "steps", *options})
        if unknown:
            msg = f"replace got unknown options {unknown}; it takes lhs, steps, {sorted(options)}"
            raise TypeError(msg)
        options |= changes
        return Derivation(options.pop("lhs", self.lhs), options.pop("steps", self.steps), **options)

    def evaluate(
        self,
        step: int,
        n: int,
        values: Mapping[sp.IndexedBase, Any],
        free: Mapping[sp.Symbol, int] | None = None,
        *,
        order: Sequence[sp.Symbol] | None = None,
        **dims: int,
    ) -> float | np.ndarray:
        """Evaluate line ``step`` (0 = lhs) with :func:`evaluate` (same arguments)."""
        if not 0 <= step <= len(self.steps):
            msg = f"step must be between 0 (the lhs) and {len(self.steps)}; got {step}"
            raise ValueError(msg)
        return evaluate(
            self.exprs[step],
            n,
            values,
            free,
            order=order,
            linear_layer=self.linear_layer,
            _chain_free=self.free,
            **dims,
        )
