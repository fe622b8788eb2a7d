"""Mutation tests: a known-wrong formula put into a copy of the project must fail a check.

The registry lives in ``tools/mutants`` (``nox -s mutants`` runs it all). Here every mutant's
original text is checked to occur exactly once, and the marker ``mutants`` runs the mutants of
the threads' own mistakes, plus the harness's own proofs: the checks pass on an unmutated copy,
the copy imports itself, a harmless (equivalent) mutant is reported as a survivor with a non-zero
exit, and a page broken without a check speaking is no kill, so "killed" cannot be an artefact
of the harness.
"""

from __future__ import annotations

from pathlib import Path

import mutants
import pytest

ROOT = Path(__file__).resolve().parent.parent
BY_NAME = {m.name: m for m in mutants.MUTANTS}
# The threads' mistakes and the stability slip: quick enough for every CI run.
KEY_MUTANTS = [
    "000-minus-p-plus-pq",
    "001-sum-pq-minus-p",
    "sign-flip",
    "dropped-sum-p",
    "004-vjp-broadcast",
    "jacobian-elementwise",
    "no-max-shift",
    "000-one-term-step",
    "index-q-minus-p-flipped",
]


@pytest.mark.parametrize("mutant", [*mutants.MUTANTS, *mutants.EQUIVALENTS], ids=lambda m: m.name)
def test_each_original_occurs_exactly_once(mutant):
    # A refactor that rewrites a formula must break its mutant loudly, not make it vacuous.
    text = (ROOT / mutant.path).read_text(encoding="utf-8")
    assert text.count(mutant.original) == 1, mutant.original
    assert mutant.replacement != mutant.original


def test_names_are_unique_and_key_mutants_exist():
    assert len(BY_NAME) == len(mutants.MUTANTS)
    assert not {m.name for m in mutants.EQUIVALENTS} & set(BY_NAME)
    assert set(KEY_MUTANTS) <= set(BY_NAME)


def test_every_area_has_mutants_and_says_why():
    assert set(mutants.AREAS) == {"library", "checker", "verifier", "reader", "pages"}
    for area, group in mutants.AREAS.items():
        assert group, f"no mutants in {area}"
        assert all(m.why for m in group)


def test_apply_refuses_a_missing_or_repeated_original(tmp_path):
    target = tmp_path / "src" / "f.py"
    target.parent.mkdir()
    check = mutants.checks.UNIT_GRADIENTS
    for text, count in (("x = 1\n", 0), ("y = 2\ny = 2\n", 2)):
        target.write_text(text, encoding="utf-8")
        with pytest.raises(mutants.MutantError, match=f"found it {count} times"):
            mutants.apply(mutants.Mutant("m", "src/f.py", "y = 2", "y = 3", "", check), tmp_path)
    target.write_text("y = 2\n", encoding="utf-8")
    mutants.apply(mutants.Mutant("m", "src/f.py", "y = 2", "y = 3", "", check), tmp_path)
    assert target.read_text(encoding="utf-8") == "y = 3\n"


def _rigged(check: mutants.Check, expect: str = "") -> mutants.Mutant:
    # A harmless edit judged by a stand-in check: only the judging is under test.
    eq = mutants.library.EQUIVALENT
    return mutants.Mutant("rigged", eq.path, eq.original, eq.replacement, "", check, expect)


def test_a_check_that_cannot_judge_stops_the_run():
    # Exit 3 is how tools/run_page.py says a page broke without a check rejecting anything.
    broken = mutants.Check("page broken", ("-c", "raise SystemExit(3)"))
    with pytest.raises(mutants.MutantError, match="could not judge"):
        mutants.run_mutant(_rigged(broken))


def test_a_kill_needs_the_expected_words():
    says = "import sys; print('✗ step 2 (line 2): = q_i'); sys.exit(1)"
    check = mutants.Check("says step 2", ("-c", says))
    elsewhere = mutants.run_mutant(_rigged(check, expect="step 3 is false"))
    assert elsewhere.rejected
    assert not elsewhere.killed
    assert "FAILED ELSEWHERE" in mutants.harness.table([elsewhere])
    assert mutants.run_mutant(_rigged(check, expect="step 2")).killed


def test_a_failure_elsewhere_that_does_not_repeat_is_run_again(tmp_path):
    # The first run fails as a page whose kernel did not start would; the second rejects the
    # mutant for the expected reason. A failure that repeats stays (the test above).
    marker = tmp_path / "ran"
    flaky = (
        f"import pathlib, sys; m = pathlib.Path({str(marker)!r}); first = not m.exists(); "
        "m.touch(); print('kernel died' if first else '✗ step 2 (line 2): = q_i'); sys.exit(1)"
    )
    outcome = mutants.run_mutant(_rigged(mutants.Check("flaky", ("-c", flaky)), expect="step 2"))
    assert marker.exists()
    assert outcome.killed


def test_copy_leaves_out_build_output_and_environments(tmp_path):
    files = mutants.project_files()
    assert "src/gradproof/gradients.py" in files
    assert not [f for f in files if f.startswith(("_build/", ".nox/", ".git/"))]
    tree = mutants.copy_project(tmp_path / "copy")
    assert (tree / "pyproject.toml").is_file()
    assert mutants.imported_from(tree).is_relative_to(tree)


def test_copy_works_outside_a_git_checkout(tmp_path):
    # A copy has no .git: listing it falls back to walking the tree, and finds the same files
    # apart from dotfiles, none of which a check reads.
    first = mutants.copy_project(tmp_path / "first")
    listed = mutants.project_files(first)
    assert set(listed) == {f for f in mutants.project_files() if not Path(f).name.startswith(".")}


@pytest.mark.mutants
@pytest.mark.slow
def test_checks_pass_without_a_mutant():
    checks = [BY_NAME[name].check for name in KEY_MUTANTS]
    runs = mutants.baseline(checks)
    assert all(run.returncode == 0 for run in runs.values())


@pytest.mark.mutants
@pytest.mark.slow
@pytest.mark.parametrize("name", KEY_MUTANTS)
def test_key_mutant_is_killed(name):
    outcome = mutants.run_mutant(BY_NAME[name])
    assert outcome.killed, f"{name} survived {outcome.mutant.check.label}:\n{outcome.run.output}"
    assert outcome.run.first_failure, outcome.run.output


@pytest.mark.mutants
@pytest.mark.slow
def test_equivalent_mutant_survives_and_fails_the_run(capsys):
    # Swapping j and i in the (K, K, D) weight Jacobian is harmless: dq/dz is symmetric.
    assert mutants.run([mutants.library.EQUIVALENT], workers=1) == 1
    out = capsys.readouterr()
    assert "| equivalent-j-i-swap |" in out.out
    assert "SURVIVED" in out.out
    assert "0/1 killed (0 %)" in out.out
    assert "equivalent-j-i-swap" in out.err


@pytest.mark.slow
@pytest.mark.parametrize(
    ("cell", "status", "says"),
    [
        ("assert 1 + 1 == 2", 0, "every cell"),
        ("assert 1 + 1 == 3, 'a check rejects'", 1, "REJECTED"),
        ("undefined_name + 1", 3, "BROKEN"),
    ],
)
def test_run_page_says_how_a_page_failed(tmp_path, capsys, cell, status, says):
    import run_page  # noqa: PLC0415  (starts a kernel: only this test needs it)

    page = tmp_path / "page.md"
    page.write_text(
        f"---\nfile_format: mystnb\nkernelspec:\n  name: python3\n  display_name: Python 3\n---\n\n"
        f"# A page\n\n```{{code-cell}} python\n{cell}\n```\n",
        encoding="utf-8",
    )
    assert run_page.main([str(page)]) == status
    assert says in capsys.readouterr().out
