"""tools/checker_browser.py must fail the checker page when it shows other verdicts than expected.

The judging is tested on what a page could show; then, in headless Chromium on the built site
(``nox -s browser`` runs this after ``nox -s docs``), deliberately wrong expectations must fail:
a flipped verdict, an error at another column, a shared link expected to give other verdicts.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import browser_check
import checker_browser
import pytest

ROOT = Path(__file__).resolve().parents[1]
SITE = ROOT / "_build" / "html"

CASES = {case.name: case for case in checker_browser.page_cases()}


def shown(verdicts: list[str], **line: str) -> dict[str, Any]:
    """What the page would show for these verdicts, each line well formed unless overridden."""
    lines = []
    for v in verdicts:
        entry = {"verdict": v, "scope": "", "label": "", "cx": "", "message": "", "here": ""}
        entry["column"] = 0
        if v == "true":
            entry["scope"] = "checked exactly for n = 2, 3, 4, 5 at every i"
            entry["label"] = "n = 2…5"
        if v == "false":
            entry["cx"] = "At n = 2, i = 1, o = (0.1, 0.2):the line before is 1this line is 2"
        lines.append(entry | line)
    return {"state": "done", "lines": lines, "typeset": len(lines), "untypeset": 0, "texErrors": 0}


def test_the_cases_are_the_examples_the_page_offers() -> None:
    assert set(CASES) >= {"correct", "001-asker", "002-eq3"}
    assert CASES["001-asker"].roles == {"logits": "o", "targets": "y", "softmax": "p", "loss": "L"}
    assert CASES["002-eq3"].error["column"] == 123


def test_judge_accepts_what_the_example_records() -> None:
    assert checker_browser.judge(CASES["001-asker"], shown(["false", "true", "true"])) == []


@pytest.mark.parametrize(
    ("page", "complaint"),
    [
        (shown(["true", "true", "true"]), "verdicts"),
        (shown(["false", "true"]), "verdicts"),
        (shown(["false", "true", "true"], scope=""), "without a scope"),
        (shown(["false", "true", "true"], label=""), "without its scope label"),
        (shown(["false", "true", "true"], label="every n"), "label 'every n' but scope"),
        (shown(["false", "true", "true"], cx="At n = 2: nothing else"), "without a counterexample"),
        ({**shown(["false", "true", "true"]), "state": "running"}, "not 'done'"),
        ({**shown(["false", "true", "true"]), "untypeset": 1}, "math in the results"),
    ],
)
def test_judge_flags_a_wrong_page(page: dict[str, Any], complaint: str) -> None:
    problems = checker_browser.judge(CASES["001-asker"], page)
    assert any(complaint in p for p in problems), problems


def test_judge_checks_the_errors_message_and_position() -> None:
    case = CASES["002-eq3"]
    col = case.error["column"]
    here = case.latex[col - 1]
    good = shown(
        ["error"],
        message=f"line 1, column {col}: unbalanced bracket: this ) closes nothing",
        here=here,
        column=col,
    )
    assert checker_browser.judge(case, good) == []
    moved = good | {"lines": [good["lines"][0] | {"column": col - 1, "here": case.latex[col - 2]}]}
    assert any("underline starts" in p for p in checker_browser.judge(case, moved))
    other = good | {"lines": [good["lines"][0] | {"message": "unknown macro \\foo"}]}
    assert any("lacks" in p for p in checker_browser.judge(case, other))
    assert any("expected one error line" in p for p in checker_browser.judge(case, shown(["true"])))


def test_a_link_says_what_the_page_writes() -> None:
    link = checker_browser.fragment("a + b &= c", logits="o", targets="")
    assert link == "#d=a%20%2B%20b%20%26%3D%20c&logits=o"


# ---- in the browser, on the built site ---------------------------------------------------------


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright  # noqa: PLC0415  (browser group only)

    if not (SITE / checker_browser.PAGE).is_file():
        pytest.fail(f"no {checker_browser.PAGE} in {SITE}: run `nox -s docs` first")
    profile = Path(tempfile.mkdtemp(prefix="gradproof-chromium-"))
    try:
        with browser_check.serve(SITE) as base, sync_playwright() as pw:
            b = browser_check.Browser(pw, profile)
            try:
                yield b, base
            finally:
                b.close()
    finally:
        shutil.rmtree(profile, ignore_errors=True)


@pytest.mark.slow
def test_wrong_expectations_fail_in_the_browser(browser: tuple[Any, str]) -> None:
    b, base = browser
    asker, eq3 = CASES["001-asker"], CASES["002-eq3"]
    cases = [
        asker,  # as recorded: must pass, or the failures below prove nothing
        replace(asker, name="flipped", verdicts=("true", "true", "true")),
        replace(eq3, name="moved", error=eq3.error | {"column": eq3.error["column"] - 1}),
    ]
    right, flipped, moved = checker_browser.run_cases(b.context, base, cases)
    assert right.problems == [], right.problems
    assert any("verdicts" in p for p in flipped.problems), flipped.problems
    assert any("column" in p for p in moved.problems), moved.problems
    wrong_link = replace(asker, verdicts=("false", "false", "true"))
    link = checker_browser.open_link(b.context, base, wrong_link, right.shown["share"])
    assert any("verdicts" in p for p in link.problems), link.problems
    assert b.offsite == []


@pytest.mark.slow
def test_the_no_javascript_check_fails_a_page_that_runs_scripts(browser: tuple[Any, str]) -> None:
    b, base = browser
    assert checker_browser.without_javascript(b.context, base).problems == []
    problems = checker_browser.without_javascript(b.context, base, disable=False).problems
    assert "no visible note on how to run gradproof check" in problems
    assert "the form shows, though nothing could run it" in problems


@pytest.mark.slow
def test_the_preview_check_fails_a_stale_or_broken_preview(browser: tuple[Any, str]) -> None:
    b, base = browser
    page = b.context.new_page()
    try:
        page.goto(base + checker_browser.PAGE, wait_until="load")
        page.fill("#gp-checker-input", r"q_i &= \frac{e^{z_i}}{\sum_k e^{z_k}}")
        assert checker_browser.preview_problems(page) == []
        page.fill("#gp-checker-input", r"q_i &= q^{2}^{3}")  # TeX's "double exponent"
        assert checker_browser.preview_problems(page) == ["the preview shows a TeX error"]
        page.fill("#gp-checker-input", r"q_i &= \frac{e^{z_i}")  # a brace left open: not typeset
        broken = checker_browser.preview_problems(page, timeout_ms=2000)
        assert broken == ["the preview does not show the derivation typeset"]
        # Text put in without an input event: the preview still shows the old derivation.
        page.evaluate("() => { document.getElementById('gp-checker-input').value = 'p_i &= p_i'; }")
        stale = checker_browser.preview_problems(page, timeout_ms=2000)
        assert stale == ["the preview does not show the derivation typeset"]
    finally:
        page.close()
