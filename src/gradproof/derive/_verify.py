"""Verification of a chain: each line against the line before it, in every setting.

For each setting (:mod:`gradproof.derive._settings`) the lines are made concrete
(:mod:`gradproof.derive._concrete`) and each step's difference is tried, in order: already
shown to cancel (a renaming of a difference seen before), the exact zero test
(:mod:`gradproof.derive._zero`), and the 50-digit comparison at seeded points
(:mod:`gradproof.derive._numeric`), whose first disagreement is the counterexample. A step whose
difference expands to 0 before any dimension is fixed is "proved for all n". With a linear layer
the cancellation is first tried with the logits ``z_k`` as symbols, then with ``w_k . x``
substituted (an identity in free ``z`` holds for every ``W x``).
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

import sympy as sp

from gradproof.derive._concrete import Concrete, Concretizer, Env, solve_assumptions
from gradproof.derive._numeric import Point, by_base, numeric_mismatch, sample_points
from gradproof.derive._report import DerivationReport, StepResult
from gradproof.derive._settings import (
    chain_invariant,
    pinned_numbers,
    setting_classes,
    settings,
    uses_D,
)
from gradproof.derive._zero import exact_zero
from gradproof.derive.notation import _DIMS, _expand_names

if TYPE_CHECKING:
    from gradproof.derive._derivation import Derivation

__all__ = ["verify"]

# The first false step: (0-based step, counterexample, previous line's value, this line's value).
_First = tuple[int, dict[str, Any], float, float]


def verify(derivation: Derivation) -> DerivationReport:
    """Check every step of `derivation` against the line before it (uncached)."""
    return _Verification(derivation).run()


class _Verification:
    """One verification of one derivation, with its per-dimension concretisers."""

    def __init__(self, derivation: Derivation) -> None:
        self.dv = derivation
        self.uses_D = uses_D(derivation.exprs, derivation.linear_layer)
        # One concretiser (and its cache) and one solved assumption per dimension setting.
        self._per_dims: dict[tuple[tuple[sp.Symbol, int], ...], Concrete] = {}

    # ---- per-setting machinery -------------------------------------------------------------

    def concrete(
        self, dims: dict[sp.Symbol, int], env: Env, *, logits: bool = True
    ) -> tuple[list[sp.Expr], Concrete]:
        """The lines at setting `env`, solved assumptions substituted, and the shared state."""
        shared = self.shared(dims)
        free = dict(env.free)
        exprs = [shared.conc(e, free, logits=logits) for e in self.dv.exprs]
        if shared.fixes:
            exprs = [e.xreplace(shared.fixes) for e in exprs]
        return exprs, shared

    def shared(self, dims: dict[sp.Symbol, int]) -> Concrete:
        """One concretiser (and its cache) and one solved assumption per dimension setting."""
        key = tuple(dims.items())
        if key not in self._per_dims:
            conc = Concretizer(dims, self.dv.linear_layer)
            self._per_dims[key] = Concrete(conc, solve_assumptions(conc, self.dv.assume, dims))
        return self._per_dims[key]

    def pinned(self, dims: dict[sp.Symbol, int]) -> dict[sp.Symbol, set[int]]:
        """Numbers per dimension that the solved assumptions single out (n for p_n)."""
        return pinned_numbers(self.shared(dims))

    def points(self, dims: dict[sp.Symbol, int], leaves: set[sp.Symbol]) -> list[Point]:
        return sample_points(dims, leaves, self.dv.n_points, self.dv.seed)

    # ---- verification ----------------------------------------------------------------------

    def structural(self, a: sp.Expr, b: sp.Expr) -> bool:
        """Whether ``a - b`` expands to 0 with symbolic ``n`` (no assumption may be needed)."""
        expanded = [_expand_names(e) for e in (a, b)]
        if self.dv.assume:
            return False  # the assumption might be what makes them equal; check concretely
        try:
            return sp.expand(expanded[0] - expanded[1]) == 0
        except (TypeError, ValueError):
            return False

    def run(self) -> DerivationReport:
        dv = self.dv
        start = time.perf_counter()
        nsteps = len(dv.steps)
        results = [StepResult(number=t + 1, status="exact") for t in range(nsteps)]
        proved = [self.structural(dv.exprs[t], dv.exprs[t + 1]) for t in range(nsteps)]
        for t in range(nsteps):
            if proved[t]:
                results[t].status = "proved for all n"
        first: _First | None = None
        cancelled: set[sp.Expr] = set()  # differences (renumbered) already shown to cancel
        # A difference that cancels with the logits z_k as free symbols also cancels once
        # z_k = w_k . x is substituted, so the cheaper form is tried first (not under assumptions,
        # which are solved with the logits substituted).
        z_first = dv.linear_layer and not dv.assume
        grouped = dv._group_settings and chain_invariant(dv.exprs, dv.assume)
        sweep = settings(dv.ns, dv.Ds if self.uses_D else (), dv.free, dv.where)
        for dims, env, size in setting_classes(sweep, grouped=grouped, pinned=self.pinned):
            exprs, conc = self.concrete(dims, env, logits=not z_first)
            full: list[sp.Expr] | None = None if z_first else exprs
            points: list[Point] | None = None
            for t in range(nsteps):
                res = results[t]
                if proved[t] or res.status == "false":
                    continue
                key = conc.conc.relabel(exprs[t] - exprs[t + 1], env)
                if key in cancelled or exact_zero(key):
                    cancelled.add(key)
                    res.exact_settings += size
                    continue
                if z_first:
                    if full is None:
                        full = [conc.conc.substitute_logits(e) for e in exprs]
                    key = conc.conc.relabel(full[t] - full[t + 1], env)
                    if key in cancelled or exact_zero(key):
                        cancelled.add(key)
                        res.exact_settings += size
                        continue
                lines = exprs if full is None else full  # full is set whenever z_first
                a, b = lines[t], lines[t + 1]
                if points is None:
                    leaves = set().union(*(e.free_symbols for e in lines), conc.fixes)
                    points = self.points(dims, leaves)
                bad = numeric_mismatch(a, b, points, conc.fixes)
                if bad is None:
                    res.numeric_settings += size
                    res.status = "numeric"
                    continue
                res.status = "false"
                point, va, vb = bad
                if first is None or t < first[0]:
                    cx = {
                        "setting": dict(env.dims + env.free),
                        "point": by_base(point, conc.conc.leaves),
                    }
                    first = (t, cx, va, vb)
        self.mark_lhs_mismatch(results, first)
        elapsed = time.perf_counter() - start
        first_false = None if first is None else first[0] + 1
        return DerivationReport(
            ok=first is None,
            steps=results,
            first_false=first_false,
            counterexample=None if first is None else first[1],
            lhs_value=None if first is None else first[2],
            rhs_value=None if first is None else first[3],
            ns=dv.ns,
            Ds=dv.Ds if self.uses_D else (),
            free=tuple(f.name for f in dv.free),
            n_points=dv.n_points,
            seed=dv.seed,
            elapsed=elapsed,
            where=dv.where,
            assume=dv.assume,
            linear_layer=dv.linear_layer,
            title=dv.title,
        )

    def mark_lhs_mismatch(self, results: list[StepResult], first: _First | None) -> None:
        """After a false step, later lines may follow from it and still differ from the lhs."""
        if first is None:
            return
        setting = first[1]["setting"]
        dims = {s_: setting[s_] for s_ in _DIMS if s_ in setting}
        free = self.dv.free
        env = Env(tuple(dims.items()), tuple((f, setting[f]) for f in free if f in setting))
        exprs, conc = self.concrete(dims, env)
        leaves = set().union(*(e.free_symbols for e in exprs)) | set(conc.fixes)
        points = self.points(dims, leaves)
        for t in range(first[0], len(results)):
            mism = numeric_mismatch(exprs[0], exprs[t + 1], points, conc.fixes)
            results[t].equals_lhs = mism is None
