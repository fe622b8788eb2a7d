"""The benchmark harness runs at tiny sizes and writes a well-formed results file.

No timing is asserted anywhere: the machine decides those. What is asserted is what follows from
the methods themselves (the order of their errors, their evaluation counts) and the shape of the
results the docs page reads.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pytest
from benchmarks import accuracy, build_cost, machine, run, scaling, verify_cost

import gradproof.check
from gradproof.functions import softmax
from gradproof.gradients import (
    cross_entropy_grad,
    cross_entropy_weight_grad,
    softmax_jacobian,
    softmax_vjp,
)

EPS = np.finfo(np.float64).eps


def _errors_on_running_example() -> dict[str, float]:
    case = accuracy.running_example()
    ref = accuracy.reference(case.name, case.data)
    return {
        m: accuracy.relative_error(accuracy.differentiate(case, m, use_scipy=False)[0], ref)
        for m in ("complex", "richardson", "central", "scipy-forward")
    }


def test_accuracy_ordering_follows_the_orders_of_the_methods() -> None:
    # Complex step has no subtraction (error ~ eps); Richardson cancels the h^2 term of the
    # central difference; central is second order and forward first order, at their steps.
    err = _errors_on_running_example()
    assert err["complex"] < err["richardson"] < err["central"] < err["scipy-forward"]
    assert err["complex"] <= 10 * EPS
    # A first-order method at h = sqrt(eps) cannot beat sqrt(eps) * |f''| / 2 by much.
    assert err["scipy-forward"] > EPS ** (3 / 4)


@pytest.mark.parametrize("problem", accuracy.PROBLEMS)
def test_reference_matches_the_float64_closed_forms(problem: str) -> None:
    # The 40-digit reference and gradproof's float64 closed forms are separate code.
    case = accuracy.make_problem(problem, 4, seed=3)
    d = case.data
    closed = {
        "cross-entropy gradient": lambda: cross_entropy_grad(d["z"], d["p"]),
        "softmax Jacobian": lambda: softmax_jacobian(d["z"]),
        "softmax VJP": lambda: softmax_vjp(d["z"], d["g"]),
        "weight gradient": lambda: cross_entropy_weight_grad(d["W"], d["X"], d["P"]),
    }[problem]()
    ref = accuracy.reference(problem, d)
    assert accuracy.relative_error(closed, ref) < 1e-14


def test_relative_error_exposes_a_wrong_formula() -> None:
    # q - p without the factor sum(p): right only when the targets sum to one; these do not.
    case = accuracy.make_problem("cross-entropy gradient", 5, seed=0)
    assert not np.isclose(case.data["p"].sum(), 1.0)
    ref = accuracy.reference(case.name, case.data)
    wrong = softmax(case.data["z"]) - case.data["p"]
    assert accuracy.relative_error(wrong, ref) > 1e-3


@pytest.mark.parametrize("n", [1, 4])
def test_evaluation_counts_of_the_reimplemented_differences(n: int) -> None:
    case = accuracy.make_problem("cross-entropy gradient", max(n, 2), seed=1)
    x = case.x[:n] if n == 1 else case.x
    size = x.size
    assert accuracy.central_difference(lambda v: float(np.sum(v**2)), x, 1e-4)[1] == 2 * size
    assert accuracy.forward_difference(lambda v: float(np.sum(v**2)), x)[1] == size + 1


def test_reimplemented_forward_difference_is_scipys_formula() -> None:
    # SciPy comes with the bench group, which `nox -s tests` installs.
    assert accuracy.scipy_agreement(sizes=(3,), n_points=1) == 0.0


# The docs page shows the stored accuracy figures; these two tests hold the current code to the
# page's claim that the complex step is exact to a few epsilons, on every problem.
SMALL = {"sizes": (3, 10), "n_points": 3, "use_scipy": False}


def test_complex_step_meets_the_accuracy_targets() -> None:
    targets = accuracy.targets(accuracy.measure(**SMALL))
    assert all(t["met"] for t in targets.values()), targets


def test_accuracy_targets_notice_a_complex_step_that_is_too_large(monkeypatch) -> None:
    # A step of 1e-4 instead of 1e-20 leaves a truncation error of order h**2 = 1e-8, far above
    # the 10 machine epsilons of the target.
    monkeypatch.setattr(gradproof.check, "COMPLEX_STEP", 1e-4)
    targets = accuracy.targets(accuracy.measure(**SMALL))
    assert not targets["complex_median_le_10_eps"]["met"], targets


def test_accuracy_targets_fail_when_complex_step_is_not_accurate() -> None:
    rows = accuracy.measure(sizes=(3,), n_points=1, problems=("softmax VJP",), use_scipy=False)
    assert all(t["met"] for t in accuracy.targets(rows).values())
    for row in rows:
        if row["method"] == "complex":
            row["median_rel_err"], row["median_in_eps"] = 1e-9, 1e-9 / EPS
    broken = accuracy.targets(rows)
    assert not broken["complex_median_le_10_eps"]["met"]
    assert not broken["complex_1e6_better_than_forward"]["met"]


def test_directional_rows_and_targets() -> None:
    rows = scaling.directional(sizes=(10, 100), full_sizes=(10,), repeats=1)
    directional = [r for r in rows if r["check"] == "check_directional"]
    # f(x), the noise measurement and the probe: a bounded number whatever n is.
    assert all(r["n_evals"] <= scaling.DIRECTIONAL_EVALS for r in directional)
    full = next(r for r in rows if r["check"] == "check_gradient")
    assert full["n"] < full["n_evals"] <= full["n"] + accuracy.EXTRA_EVALS
    assert all(r["ok"] for r in rows)
    targets = scaling.targets(rows)
    assert targets["directional_bounded_evaluations"]["met"]
    directional[0]["n_evals"] = 10 * directional[0]["n"]  # an O(n) check must miss the target
    assert not scaling.targets(rows)["directional_bounded_evaluations"]["met"]


def test_vjp_rows_extrapolate_only_beyond_the_cap() -> None:
    rows = scaling.vjp_vs_jacobian(sizes=(10, 50, 400), cap=50, extrapolate_to=(100,), repeats=1)
    measured = [r for r in rows if not r["extrapolated"]]
    assert [r["n"] for r in measured] == [10, 50]
    assert all(r["jacobian_peak_bytes"] >= 8 * r["n"] ** 2 for r in measured)  # n**2 entries
    (extra,) = [r for r in rows if r["extrapolated"]]
    per_entry = measured[-1]["jacobian_peak_bytes"] / (8 * 50**2)
    assert extra["jacobian_peak_bytes"] == pytest.approx(per_entry * 8 * 100**2)


def test_build_cost_uses_the_docs_sessions_strict_flags() -> None:
    assert {"-W", "-n", "-E"} <= set(build_cost.strict_flags())


def test_load_note_says_busy_or_quiet() -> None:
    assert machine.load_note([3.0, 1, 1], [0.1, 1, 1], 2).startswith("machine busy")
    assert machine.load_note([0.2, 1, 1], [0.3, 1, 1], 2).startswith("machine quiet")
    # The load after the run is the benchmark's own: it does not make a quiet machine busy.
    assert machine.load_note([0.2, 1, 1], [2.5, 1, 1], 2).startswith("machine quiet")
    assert machine.load_note(None, None, 2) == "load average unavailable"


def _check_schema(results: dict, parts: tuple[str, ...]) -> None:
    assert results["schema"] == run.SCHEMA_VERSION
    m = results["machine"]
    assert m["cpu"]
    assert m["cores"] >= 1
    assert {"python", "numpy", "sympy"} <= set(m["versions"])
    assert m["date"]
    assert m["load_note"]
    for target in results["targets"].values():
        assert isinstance(target["measured"], str)
        assert isinstance(target["met"], bool)
    if "accuracy" in parts:
        rows = results["accuracy"]["rows"]
        keys = {(r["problem"], r["n"], r["method"]) for r in rows}
        sizes = {r["n"] for r in rows}
        assert len(keys) == len(rows) == len(accuracy.PROBLEMS) * len(sizes) * len(accuracy.METHODS)
        for r in rows:
            assert 0 <= r["median_rel_err"] <= r["max_rel_err"]
            assert r["n_evals"] >= r["n_params"]
    if "scaling" in parts:
        assert results["scaling"]["directional"]
        assert results["scaling"]["vjp"]
    if "verify" in parts:
        for r in results["verify"]:
            assert r["derivations"] >= 1
            assert r["verify_seconds"] <= r["page_seconds"]
    if "build" in parts:
        for name in run.BUILDS:
            assert results["build"][name]["seconds"] > 0
            assert results["build"][name]["cpu_seconds"] > 0
            assert results["build"][name]["returncode"] == 0
        # The measured full build executed every page with code, the floor none.
        docs = Path(run.__file__).resolve().parents[1] / "docs"
        executed = [page for page in docs.rglob("*.md") if "{code-cell}" in page.read_text("utf-8")]
        assert results["build"]["full"]["executed_pages"] == len(executed)
        assert results["build"]["no_execution"]["executed_pages"] == 0
        assert results["build"]["execution_cpu_seconds_per_page"] > 0
    if "weight" in parts:
        pages = {r["page"] for r in results["weight"]["pages"]}
        docs = Path(run.__file__).resolve().parents[1] / "docs"
        # Every page of the site is weighed (generated ones too: index, search).
        sources = {p.relative_to(docs).with_suffix(".html").as_posix() for p in docs.rglob("*.md")}
        assert sources <= pages
        for r in results["weight"]["pages"]:
            assert 0 < r["gzip_bytes"] < r["bytes"]


@pytest.mark.slow
def test_quick_run_writes_a_valid_results_file(tmp_path: Path) -> None:
    out = tmp_path / "results.json"
    run.main(["--quick", "--out", str(out)])
    results = json.loads(out.read_text(encoding="utf-8"))
    assert results["quick"] is True
    assert "build" not in results  # --quick never builds the site
    assert "weight" not in results
    _check_schema(results, ("accuracy", "scaling", "verify"))
    assert "Targets" in run.report(results)


def test_committed_results_are_a_full_run() -> None:
    # The docs page reads this file; a --quick run committed by mistake would show toy sizes.
    results = json.loads(run.RESULTS.read_text(encoding="utf-8"))
    assert results["quick"] is False
    _check_schema(results, run.PARTS)


def test_running_a_page_leaves_the_environment_as_it_was(monkeypatch):
    # A leaked MPLBACKEND=Agg once reached later Sphinx kernels, and plt.show() showed nothing.
    monkeypatch.delenv("MPLBACKEND", raising=False)
    before = dict(os.environ), Path.cwd()
    verify_cost.run_page(verify_cost.DOCS / "theory" / "stable-computation.md")
    assert (dict(os.environ), Path.cwd()) == before


def test_finite_difference_bounds_hold_on_ordinary_problems() -> None:
    # The measurement behind the checker's KAPPA, on a small sample: for smooth f without
    # hidden rounding the extrapolation's estimate is never exceeded, let alone tenfold.
    from benchmarks import bounds  # noqa: PLC0415

    from gradproof._numeric import KAPPA  # noqa: PLC0415

    rows = {r["kind"]: r for r in bounds.measure(n_problems=70)}
    assert set(rows) == set(bounds.KINDS)
    for kind in ("ce", "ls", "sin", "logit", "offset"):
        assert rows[kind]["max_ratio"] < 1.0 < KAPPA, rows[kind]
