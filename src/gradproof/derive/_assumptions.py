"""Assumptions solved for one entry: ``Eq(Sum(p[k], (k, 1, n)), 1)`` gives ``p_n``.

A derivation may assume a relation between the entries (``assume=``). In every setting it is
concretised, then solved for its last entry that it is linear in with a coefficient nonzero on
the whole domain (:func:`solve_for`), and that entry is replaced by its value in both lines of
every step. Dividing by a coefficient that can be 0 would drop exactly the points where the
relation says nothing about the entry, so such a relation is refused with the reason
(:func:`solve_assumptions`): an identity restricts nothing; a relation that holds nowhere leaves
nothing to check; anything else cannot be solved soundly.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

import sympy as sp

if TYPE_CHECKING:
    from gradproof.derive._concrete import Concretizer

__all__ = ["solve_assumptions", "solve_for"]


def solve_for(rel: sp.Expr, target: sp.Basic) -> sp.Expr | None:
    """The one value of `target` that makes `rel` zero, or None if it cannot be had soundly.

    Only a relation linear in `target` whose coefficient is nonzero on the whole domain is
    solved: ``c * t - c`` is zero at ``c = 0`` for every ``t``, so dividing by ``c`` (or by
    ``sum p - 1``) would drop exactly the points where the relation says nothing about ``t``.
    sympy's ``solve`` divides so too, and it is not used.

    >>> t, c = sp.Symbol("t", real=True), sp.Symbol("c", real=True)
    >>> solve_for(2 * t - 1, t), solve_for(sp.exp(c) * t - 1, t), solve_for(c * t - c, t)
    (1/2, exp(-c), None)
    """
    ph = sp.Dummy("t")
    body = rel.xreplace({target: ph})
    slope = sp.diff(body, ph)
    if slope.has(ph) or slope.is_zero is not False:
        return None
    return sp.expand(-(body.xreplace({ph: 0})) / slope)


def solve_assumptions(
    conc: Concretizer, assume: Sequence[sp.Eq], dims: Mapping[sp.Symbol, int]
) -> dict[sp.Symbol, sp.Expr]:
    """Solve each assumption for its last entry (``p_n``); return {entry: its value}."""
    fixes: dict[sp.Symbol, sp.Expr] = {}
    for eq in assume:
        rel = conc(eq.lhs - eq.rhs).xreplace(fixes)
        leaves = sorted(
            (s_ for s_ in rel.free_symbols if s_ in conc.leaves),
            key=lambda s_: (conc.leaves[s_][0], conc.leaves[s_][1]),
        )
        solved = None
        for leaf in reversed(leaves):
            value = solve_for(rel, leaf)
            if value is not None:
                solved = (leaf, value)
                break
        if solved is None:
            raise ValueError(_unusable(eq, rel, dims, bool(fixes)))
        fixes = {a: b.xreplace({solved[0]: solved[1]}) for a, b in fixes.items()}
        fixes[solved[0]] = solved[1]
    return fixes


def _unusable(eq: sp.Eq, rel: sp.Expr, dims: Mapping[sp.Symbol, int], after: bool) -> str:
    """Why assumption `eq` (``rel = 0`` once the ones before it are used) cannot be used.

    An identity restricts nothing; a relation that reduces to a nonzero number, or keeps one
    sign on the whole domain, holds nowhere (with the assumptions before it, when `after`);
    anything else cannot be solved for one entry without dividing by what may be 0.
    """
    setting = ", ".join(f"{s_} = {v}" for s_, v in dims.items())
    where = f"assumption {eq} at {setting}"
    reduced = sp.cancel(sp.together(sp.expand(rel)))
    if reduced == 0:
        return f"{where} holds at every point (an identity): it restricts nothing, leave it out"
    if reduced.is_number or rel.is_positive or rel.is_negative:
        if after and reduced.is_number:
            return f"{where} contradicts the assumptions before it: together they leave no point"
        return f"{where} holds at no point of the domain, so nothing could be checked under it"
    return (
        f"cannot use {where}: it is not linear in any one entry with a coefficient that is "
        "nonzero on the whole domain, so solving it could divide by 0"
    )
