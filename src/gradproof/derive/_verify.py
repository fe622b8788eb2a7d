"""Verification of a chain: each line against the line before it, for every n where possible.

Each step is tried, in order:

1. **by expansion**: both lines are one expression once the names are written out, with ``n``
   symbolic: it holds for every ``n``;
2. **with symbolic sums** (:mod:`gradproof.derive._generic`): for every class of free-index
   values, the difference cancels with the sums over the other classes kept as symbols, and
   at the smallest ``n`` exactly: it holds for every ``n``;
3. **in every checked setting** (:mod:`gradproof.derive._settings`, ``ns`` and ``Ds``): the
   lines are made concrete (:mod:`gradproof.derive._concrete`) and the difference is tried:
   already shown to cancel (a renaming of one seen before), the exact zero test
   (:mod:`gradproof.derive._zero`), and the comparison at seeded points of the domain
   (:mod:`gradproof.derive._sampling`, :mod:`gradproof.derive._numeric`), whose first
   disagreement is the counterexample. The step's scope is then these dimensions.

A restriction (``where``) that no checked setting satisfies, an assumption that no point of the
domain satisfies at some checked ``n``, and a step whose lines are undefined at every point of
a setting are errors: nothing checked is never called verified.
"""

from __future__ import annotations

import math
import time
from typing import TYPE_CHECKING, Any

import sympy as sp

from gradproof.derive._assumptions import solve_assumptions
from gradproof.derive._concrete import Concrete, Env, shared_concretizer
from gradproof.derive._generic import Prover
from gradproof.derive._numeric import compare
from gradproof.derive._report import DerivationReport, StepResult
from gradproof.derive._sampling import NoPointError, describe_domains, sample_points
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

__all__ = ["by_base", "verify"]

Point = dict[sp.Symbol, sp.Expr]


def verify(derivation: Derivation) -> DerivationReport:
    """Check every step of `derivation` against the line before it (uncached)."""
    return _Verification(derivation).run()


class _Verification:
    """One verification of one derivation, with its per-dimension concretisers."""

    def __init__(self, derivation: Derivation) -> None:
        self.dv = derivation
        self.exprs = derivation.checked_exprs
        self.assume = derivation.checked_assume
        self.uses_D = uses_D(self.exprs, derivation.linear_layer)
        # One concretiser (and its cache) and one solved assumption per dimension setting.
        self._per_dims: dict[tuple[tuple[sp.Symbol, int], ...], Concrete] = {}
        self._points: dict[tuple[Any, ...], list[Point]] = {}

    # ---- per-setting machinery -------------------------------------------------------------

    def concrete(
        self,
        dims: dict[sp.Symbol, int],
        env: Env,
        *,
        logits: bool = True,
        lines: set[int] | None = None,
    ) -> tuple[list[sp.Expr], Concrete]:
        """The lines at setting `env`, solved assumptions substituted, and the shared state.

        With `lines`, only those lines are made concrete (the others are left as 0).
        """
        shared = self.shared(dims)
        free = dict(env.free)
        exprs = [
            shared.conc(e, free, logits=logits) if lines is None or t in lines else sp.S.Zero
            for t, e in enumerate(self.exprs)
        ]
        if shared.fixes:
            exprs = [e.xreplace(shared.fixes) for e in exprs]
        return exprs, shared

    def shared(self, dims: dict[sp.Symbol, int]) -> Concrete:
        """One concretiser (and its cache) and one solved assumption per dimension setting."""
        key = tuple(dims.items())
        if key not in self._per_dims:
            conc = shared_concretizer(dims, self.dv.linear_layer)
            self._per_dims[key] = Concrete(conc, solve_assumptions(conc, self.assume, dims))
        return self._per_dims[key]

    def pinned(self, dims: dict[sp.Symbol, int]) -> dict[sp.Symbol, set[int]]:
        """Numbers per dimension that the solved assumptions single out (n for p_n)."""
        return pinned_numbers(self.shared(dims))

    def points(self, dims: dict[sp.Symbol, int], leaves: set[sp.Symbol]) -> list[Point]:
        shared = self.shared(dims)
        key = (tuple(dims.items()), frozenset(leaves))
        if key not in self._points:
            try:
                self._points[key] = sample_points(
                    dims, leaves, shared.fixes, self.dv.n_points, self.dv.seed
                )
            except NoPointError as exc:
                shown = ", ".join(str(a) for a in self.dv.assume)
                msg = f"assume: {shown} has no point in the domain: {exc}"
                raise ValueError(msg) from None
        return self._points[key]

    def check_assumptions(self, all_dims: list[dict[sp.Symbol, int]]) -> None:
        """Every assumption has points in the domain at every checked size (else ValueError)."""
        if not self.assume:
            return
        for dims in all_dims:
            shared = self.shared(dims)
            leaves = set(shared.fixes).union(*(r.free_symbols for r in shared.fixes.values()))
            self.points(dims, leaves)

    # ---- verification ----------------------------------------------------------------------

    def structural(self, a: sp.Expr, b: sp.Expr) -> bool:
        """Whether ``a - b`` expands to 0 with symbolic ``n`` (true under any assumption)."""
        try:
            return sp.expand(_expand_names(a) - _expand_names(b)) == 0
        except (TypeError, ValueError):
            return False

    def run(self) -> DerivationReport:
        dv = self.dv
        start = time.perf_counter()
        nsteps = len(dv.steps)
        Ds = dv.Ds if self.uses_D else ()
        sweep = list(settings(dv.ns, Ds, dv.free, dv.where))
        kept = sum(k for _, envs in sweep for _, k in envs)
        if dv.where and kept == 0:
            shown = ", ".join(str(w) for w in dv.where)
            msg = (
                f"where: {shown} excludes every setting at n = {', '.join(map(str, dv.ns))}: "
                "nothing would be checked"
            )
            raise ValueError(msg)
        self.check_assumptions([dims for dims, _ in sweep])
        results = [StepResult(number=t + 1, status="exact") for t in range(nsteps)]
        todo = []
        prover: Prover | None = None
        for t in range(nsteps):
            res = results[t]
            if not dv._prove_all_n:
                res.ns, res.Ds = dv.ns, Ds
                todo.append(t)
                continue
            if self.structural(self.exprs[t], self.exprs[t + 1]):
                res.status, res.proof = "proved for all n", "expansion"
                continue
            if prover is None:
                prover = Prover(self.exprs, dv.free, dv.where, self.assume, dv.linear_layer)
            proved, why = prover.prove(t)
            if proved:
                res.status, res.proof = "proved for all n", "symbolic sums"
            else:
                res.why_not_all_n = why
                res.ns, res.Ds = dv.ns, Ds
                todo.append(t)
        first = self.sweep(sweep, results, todo) if todo else None
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
            Ds=Ds,
            free=tuple(f.name for f in dv.free),
            n_points=dv.n_points,
            seed=dv.seed,
            elapsed=elapsed,
            where=dv.where,
            assume=dv.assume,
            linear_layer=dv.linear_layer,
            title=dv.title,
        )

    def sweep(
        self, sweep: list[Any], results: list[StepResult], todo: list[int]
    ) -> tuple[int, dict[str, Any], float, float] | None:
        """Check the steps `todo` in every setting; return the first false one, if any."""
        dv = self.dv
        first: tuple[int, dict[str, Any], float, float] | None = None
        cancelled: set[sp.Expr] = set()  # differences (renumbered) already shown to cancel
        # A difference that cancels with the logits z_k as free symbols also cancels once
        # z_k = w_k . x is substituted, so the cheaper form is tried first (not under assumptions,
        # which are solved with the logits substituted).
        z_first = dv.linear_layer and not dv.assume
        grouped = dv._group_settings and chain_invariant(self.exprs, self.assume)
        for dims, env, size in setting_classes(iter(sweep), grouped=grouped, pinned=self.pinned):
            live = [t for t in todo if results[t].status != "false"]
            if not live:
                break  # every step left is false already: later settings cannot change that
            needed = {u for t in live for u in (t, t + 1)}
            exprs, conc = self.concrete(dims, env, logits=not z_first, lines=needed)
            full: list[sp.Expr] | None = None if z_first else exprs
            for t in live:
                res = results[t]
                key = conc.conc.relabel(exprs[t] - exprs[t + 1], env)
                if key in cancelled or exact_zero(key):
                    cancelled.add(key)
                    res.exact_settings += size
                    continue
                if full is None:
                    full = [conc.conc.substitute_logits(e) for e in exprs]  # z = W x
                if z_first:
                    key = conc.conc.relabel(full[t] - full[t + 1], env)
                    if key in cancelled or exact_zero(key):
                        cancelled.add(key)
                        res.exact_settings += size
                        continue
                bad = self.compare_at_points(dims, env, full, t, res, size)
                if bad is None:
                    continue
                res.status = "false"
                point, outcome = bad
                if first is None or t < first[0]:
                    cx = {
                        "setting": dict(env.dims + env.free),
                        "point": by_base(point, conc.conc.leaves),
                        "previous": outcome.previous,
                        "this": outcome.this,
                        "difference": outcome.difference,
                        "certified": outcome.certified,
                    }
                    first = (t, cx, outcome.previous_value, outcome.this_value)
        return first

    def compare_at_points(
        self,
        dims: dict[sp.Symbol, int],
        env: Env,
        lines: list[sp.Expr],
        t: int,
        res: StepResult,
        size: int,
    ) -> tuple[Point, Any] | None:
        """Compare step `t` at the setting's points; the first disagreement, or None."""
        shared = self.shared(dims)
        leaves = set().union(
            *(e.free_symbols for e in lines),
            *(r.free_symbols for r in shared.fixes.values()),
            shared.fixes,
        )
        points = self.points(dims, leaves)
        compared = 0
        digits = math.inf
        for point in points:
            outcome = compare(lines[t], lines[t + 1], point)
            if outcome.agree is None:
                continue
            if not outcome.agree:
                return point, outcome
            compared += 1
            digits = min(digits, outcome.digits)
        if compared == 0:
            setting = ", ".join(f"{s_} = {v}" for s_, v in env.dims + env.free)
            msg = (
                f"step {t + 1} is undefined at every point drawn at {setting} (a division by "
                "zero or a logarithm of 0 on one side or both): nothing could be compared"
            )
            raise ValueError(msg)
        res.status = "numeric"
        res.numeric_settings += size
        res.points += compared
        res.digits = min(res.digits, digits)
        res.domain = describe_domains(leaves, shared.fixes)
        return None

    def mark_lhs_mismatch(
        self, results: list[StepResult], first: tuple[int, dict[str, Any], float, float] | None
    ) -> None:
        """After a false step, later lines may follow from it and still differ from the lhs."""
        if first is None:
            return
        setting = first[1]["setting"]
        dims = {s_: setting[s_] for s_ in _DIMS if s_ in setting}
        free = self.dv.free
        env = Env(tuple(dims.items()), tuple((f, setting[f]) for f in free if f in setting))
        exprs, conc = self.concrete(dims, env)
        leaves = set().union(
            *(e.free_symbols for e in exprs),
            *(r.free_symbols for r in conc.fixes.values()),
            conc.fixes,
        )
        points = self.points(dims, leaves)
        for t in range(first[0], len(results)):
            results[t].equals_lhs = all(
                compare(exprs[0], exprs[t + 1], pt).agree is not False for pt in points
            )


def by_base(
    point: dict[sp.Symbol, sp.Expr], leaves: dict[sp.Symbol, tuple[str, tuple[Any, ...]]]
) -> dict[str, Any]:
    """Group a point's values by base in index order: {'z': [...], 'W': [[...], [...]], 'c': 1.5}.

    `leaves` maps each leaf symbol to its base and index (``Concretizer.leaves``). The Hessian
    of ``L`` (``∂²L``, symmetric) lists its entries with k <= l in order.
    """
    out: dict[str, list[tuple[tuple[Any, ...], float]]] = {}
    for leaf, val in point.items():
        base, idx = leaves.get(leaf, (leaf.name, ()))
        out.setdefault(base, []).append((idx, float(val)))
    order = {b: r for r, b in enumerate(("z", "p", "g", "x", "W"))}
    grouped: dict[str, list[Any]] = {}
    for b in sorted(out, key=lambda b: (order.get(b, len(order)), b)):
        entries = sorted(out[b])
        if entries and len(entries[0][0]) == 2 and not b.startswith("∂"):
            rows: dict[Any, list[float]] = {}
            for (r, _), v in entries:
                rows.setdefault(r, []).append(v)
            grouped[b] = [rows[r] for r in sorted(rows)]
        elif entries == [((), entries[0][1])]:
            grouped[b] = entries[0][1]  # a scalar (a constant such as c): its value, not a 1-tuple
        else:
            grouped[b] = [v for _, v in entries]
    return grouped
