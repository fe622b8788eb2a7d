"""The renumbering classes of gradproof.derive: checking one setting per class changes nothing.

verify() checks one setting per class of settings that differ only by a renumbering of the
classes; `_group_settings = False` is the plain sweep over every setting, kept to compare.
"""

from __future__ import annotations

import pytest
from sympy import Derivative, Eq, KroneckerDelta, Ne, Sum

from gradproof.derive import (
    Derivation,
    DerivationReport,
    J,
    L,
    Step,
    W,
    d,
    g,
    i,
    j,
    k,
    n,
    p,
    q,
    sum_ne,
    total,
    z,
)
from gradproof.derive._settings import renumbering_invariant
from gradproof.derive._verify import _Verification
from gradproof.derive.notation import _expand_names


def _copy(dv: Derivation, *, grouped: bool) -> Derivation:
    out = dv.replace()
    out._group_settings = grouped
    out._prove_all_n = False  # every step through the sweep, the part grouping changes
    return out


def _outcome(report: DerivationReport) -> tuple:
    counts = [(r.exact_settings, r.numeric_settings, r.equals_lhs) for r in report.steps]
    cx = report.counterexample
    return (
        report.statuses,
        report.first_false,
        cx,
        report.lhs_value,
        report.rhs_value,
        counts,
        report.summary,
    )


def _both_paths(dv: Derivation) -> tuple[tuple, tuple, int, int]:
    """Outcomes of the grouped and the plain sweep, and how many settings each concretised."""
    outcomes, calls = [], []
    concrete = _Verification.concrete
    for grouped in (True, False):
        copy = _copy(dv, grouped=grouped)
        seen: list[object] = []

        def counting(self, dims, env, *, seen=seen, **kw):
            seen.append(env)
            return concrete(self, dims, env, **kw)

        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(_Verification, "concrete", counting)
            outcomes.append(_outcome(copy.verify()))
        calls.append(len(seen))
    return outcomes[0], outcomes[1], calls[0], calls[1]


def test_two_free_indices_are_checked_once_per_class():
    # dq_j/dz_i = q_j (delta_ij - q_i): the settings of (i, j) fall into two classes, i = j and
    # i != j, so 2 settings per n are made concrete instead of n**2; every one is still counted.
    dv = Derivation(Derivative(q(j), z[i]), [Step(q(j) * (KroneckerDelta(i, j) - q(i)))])
    grouped, plain, calls, plain_calls = _both_paths(dv)
    assert grouped == plain
    assert calls == 2 * len(dv.ns)
    assert plain_calls == sum(nn**2 for nn in dv.ns)
    assert grouped[5] == [(plain_calls, 0, True)]


def test_the_solved_for_entry_is_its_own_class():
    # Under sum p = 1, p_n is replaced by 1 - (the others): i = n is kept apart from i < n.
    ones = Eq(Sum(p[k], (k, 1, n)), 1)
    dv = Derivation(Derivative(J, z[i]), [Step(q(i) - p[i])], assume=ones)
    grouped, plain, calls, plain_calls = _both_paths(dv)
    assert grouped == plain
    assert calls == 2 * len(dv.ns)
    assert plain_calls == sum(dv.ns)
    wrong = Derivation(Derivative(J, z[i]), [Step(q(i) - 2 * p[i])], assume=ones)
    grouped, plain, _, _ = _both_paths(wrong)
    assert grouped == plain
    assert grouped[1] == 1
    assert grouped[2]["setting"] == {n: 2, i: 1}  # a setting the full sweep visits first


@pytest.mark.parametrize(
    ("expr", "invariant"),
    [
        (J, True),
        (sum_ne(p[k] * q(k), k, i) + KroneckerDelta(i, j) * z[j], True),
        (Derivative(q(j), W[i, d]), True),
        (z[1], False),
        (KroneckerDelta(i, 2), False),
        (z[i + 1], False),
        (Sum(p[k], (k, 1, n - 1)), False),
        (Sum(p[k], (k, 2, n)), False),
        (i * p[i], False),
    ],
)
def test_renumbering_invariance_is_recognised(expr, invariant):
    assert renumbering_invariant(_expand_names(expr)) is invariant


@pytest.mark.parametrize(
    ("lhs", "step", "where"),
    [
        (p[i] * z[1], p[i] * z[i], ()),  # a literal class number: every setting on its own
        (q(i) * q(j), q(j) * q(i), Ne(i, 1)),  # `where` names class 1
    ],
)
def test_settings_are_checked_one_by_one_when_a_class_is_named(lhs, step, where):
    dv = Derivation(lhs, [Step(step)], where=where, ns=(2, 3))
    grouped, plain, calls, plain_calls = _both_paths(dv)
    assert grouped == plain
    assert calls == plain_calls


@pytest.mark.parametrize(
    ("lhs", "step"),
    [
        # The Hessian of L is a jet leaf with two class indices: renumbered with the classes.
        (Derivative(L, z[i], z[j]), total(g[k] * Derivative(q(k), z[i], z[j]), k)),
        (Derivative(L, z[i], z[j]), Derivative(L, z[j], z[i])),
    ],
)
def test_jets_of_L_are_renumbered_with_the_classes(lhs, step):
    grouped, plain, calls, plain_calls = _both_paths(Derivation(lhs, [Step(step)], ns=(2, 3)))
    assert grouped == plain
    assert calls <= plain_calls  # a false step stops both sweeps at the first setting


@pytest.mark.slow
def test_every_page_derivation_reports_the_same_with_and_without_classes(page_derivations):
    # Every Derivation the pages build (in code cells and as {derivation} blocks), checked both
    # ways: same statuses, first false step, counterexample, values there, per-step setting
    # counts and summary.
    pages = {page for page, _ in page_derivations}
    assert sum(page[:3].isdigit() for page in pages) == 5  # every thread page takes part
    assert {"index", "notation", "how-we-check"} <= pages  # and the landing and theory pages
    derivations = [dv for _, dv in page_derivations]
    assert len(derivations) > 50
    fewer = 0
    for dv in derivations:
        grouped, plain, calls, plain_calls = _both_paths(dv)
        assert grouped == plain, dv
        assert calls <= plain_calls
        fewer += calls < plain_calls
    assert fewer > 0
