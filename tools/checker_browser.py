"""The "Check your derivation" page in headless Chromium: the verdicts a reader gets, offline.

``tools/browser_check.py`` calls :func:`check_checker_page` for ``check.html`` after its checks of
every page. Python starts in the page's Web Worker from the site's own ``_static`` (Pyodide,
SymPy, Lark and gradproof's wheel); every request outside 127.0.0.1 is blocked and reported.

The cases come from ``src/gradproof/latex/examples.toml`` (the tests' and the page's examples):

- every example the page offers, loaded with its button: the verdict of each line
  (``data-verdict``), the engine's scope label by each ✓ and its scope under it, a
  counterexample (setting, point, both values) under each ✗, the math typeset, the live
  preview of the text; for the example that cannot be read, the error's message, and the
  underlined text at the recorded column;
- a shared link: the page's own "Link to this derivation" after an example, opened in a fresh
  page, fills the form and gives the same verdicts; and a hand-written ``#d=…`` link;
- with scripts switched off, the form is hidden and a note says how to run ``gradproof check``.

With ``screenshots`` it saves the page at 1400 and 390 px, light and dark: before a check, after
one, and with a parse error. ``tests/test_checker_browser.py`` shows that a wrong expectation
fails these checks.
"""

from __future__ import annotations

import time
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "src" / "gradproof" / "latex" / "examples.toml"
PAGE = "check.html"
#: Python's start (Pyodide, then importing SymPy) under load on a shared 2-core machine.
COLD_TIMEOUT_MS = 180_000
#: One check once Python runs (the slowest example takes under a second natively).
CHECK_TIMEOUT_MS = 60_000
FORM_ROLES = ("logits", "targets", "softmax", "loss")
SCREEN_WIDTHS = {"wide": (1400, 900), "phone": (390, 844)}

_STATE_JS = """() => {
  const results = document.getElementById('gp-checker-results');
  const lines = [...results.querySelectorAll('li[data-verdict]')];
  const text = (li, sel) => { const e = li.querySelector(sel); return e ? e.textContent : ''; };
  return {
    runs: Number(results.dataset.runs || 0),
    state: results.dataset.state,
    summary: text(results, '.gp-checker-summary'),
    typeset: results.querySelectorAll('mjx-container').length,
    untypeset: [...results.querySelectorAll('.math')].filter(m => !m.querySelector('mjx-container'))
      .length,
    texErrors: results.querySelectorAll('mjx-merror').length,
    lines: lines.map(li => ({
      verdict: li.dataset.verdict,
      scope: text(li, '.gp-checker-scope'),
      label: text(li, '.gp-checker-label'),
      cx: text(li, '.gp-checker-cx'),
      message: text(li, '.gp-checker-message'),
      here: text(li, '.gp-checker-here'),
      column: Number((li.querySelector('.gp-checker-source') || {dataset: {}}).dataset.column || 0),
    })),
    editor: document.getElementById('gp-checker-input').value,
    roles: Object.fromEntries(['logits', 'targets', 'softmax', 'loss']
      .map(r => [r, document.querySelector(`input[name="${r}"]`).value])),
    share: document.getElementById('gp-checker-share').getAttribute('href'),
  };
}"""

# The preview holds typeset math made from the editor's current text.
_PREVIEW_JS = """() => {
  const preview = document.getElementById('gp-checker-preview');
  return preview.dataset.tex === document.getElementById('gp-checker-input').value.trim()
    && preview.querySelector('mjx-container') !== null;
}"""

# Scroll (vertically only) to an element, let fonts settle; how far the page scrolls sideways.
_SHOW_JS = """async (id) => {
  const top = document.getElementById(id).getBoundingClientRect().top + window.scrollY;
  window.scrollTo(0, Math.max(0, top - 90));
  await new Promise(done => requestAnimationFrame(() => requestAnimationFrame(done)));
  await document.fonts.ready;
  return document.documentElement.scrollWidth - document.documentElement.clientWidth;
}"""


@dataclass(frozen=True)
class Case:
    """What one derivation must show: per-line verdicts, or an error at a column."""

    name: str
    latex: str
    roles: dict[str, str]
    example: str = ""  # the button's id; "" for a case opened by link
    verdicts: tuple[str, ...] = ()
    error: dict[str, Any] | None = None


@dataclass
class Outcome:
    """One case's problems, what the page showed, and how long it took."""

    name: str
    seconds: float = 0.0
    problems: list[str] = field(default_factory=list)
    shown: dict[str, Any] = field(default_factory=dict)


def page_cases(path: Path = EXAMPLES) -> list[Case]:
    """A case for each example the page offers (``page = true`` in examples.toml)."""
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    out = []
    for entry in data["example"]:
        if not entry.get("page"):
            continue
        notation = entry.get("notation", {})
        out.append(
            Case(
                name=entry["id"],
                latex=entry["latex"],
                roles={r: notation[r] for r in FORM_ROLES if r in notation},
                example=entry["id"],
                verdicts=tuple(entry.get("verdicts", ())),
                error=entry.get("error"),
            )
        )
    return out


def fragment(latex: str, **fields: str) -> str:
    """``#d=<latex>&logits=o&...``, every value URI-encoded, as the page writes its links."""
    parts = [f"d={quote(latex, safe='')}"]
    parts += [f"{k}={quote(v, safe='')}" for k, v in fields.items() if v]
    return "#" + "&".join(parts)


def judge(case: Case, shown: dict[str, Any]) -> list[str]:
    """What differs between what `case` expects and what the page showed."""
    p = []
    if shown["state"] != "done":
        p.append(f"results are {shown['state']!r}, not 'done'")
    lines = shown["lines"]
    got = tuple(line["verdict"] for line in lines)
    if case.error is not None:
        if got != ("error",):
            return [*p, f"expected one error line, got verdicts {got}"]
        line, want = lines[0], case.error
        if want["message"] not in line["message"]:
            p.append(f"error message {line['message']!r} lacks {want['message']!r}")
        if f"line {want['line']}, column {want['column']}" not in line["message"]:
            p.append(f"error message {line['message']!r} is not at column {want['column']}")
        if line["column"] != want["column"]:
            p.append(f"underline starts at column {line['column']}, not {want['column']}")
        source_line = case.latex.splitlines()[want["line"] - 1]
        if not line["here"] or not source_line[want["column"] - 1 :].startswith(line["here"]):
            p.append(f"underlined {line['here']!r}, not text at column {want['column']}")
        return p
    if got != case.verdicts:
        p.append(f"verdicts {list(got)}, expected {list(case.verdicts)}")
    for number, line in enumerate(lines, 1):
        if line["verdict"] == "true" and not line["scope"].strip():
            p.append(f"step {number}: ✓ without a scope")
        # The short label by the mark says "every n" exactly when the scope does.
        if line["verdict"] == "true" and not line["label"].strip():
            p.append(f"step {number}: ✓ without its scope label")
        elif line["verdict"] == "true" and (line["label"] == "every n") != line["scope"].startswith(
            "for every n"
        ):
            p.append(f"step {number}: label {line['label']!r} but scope {line['scope']!r}")
        if line["verdict"] == "false" and not (
            line["cx"].startswith("At n = ")
            and "the line before is" in line["cx"]
            and "this line is" in line["cx"]
        ):
            p.append(f"step {number}: ✗ without a counterexample: {line['cx']!r}")
    if shown["untypeset"] or shown["texErrors"] or shown["typeset"] < len(lines):
        p.append(
            f"math in the results: {shown['typeset']} typeset, {shown['untypeset']} not, "
            f"{shown['texErrors']} TeX errors, for {len(lines)} lines"
        )
    return p


def state(page: Any) -> dict[str, Any]:
    """What the checker shows now (see ``_STATE_JS``)."""
    return page.evaluate(_STATE_JS)


def wait_for_run(page: Any, runs: int, timeout_ms: int) -> dict[str, Any]:
    """Wait until the checker has finished run number `runs`; return what it shows."""
    page.wait_for_function(
        "n => Number(document.getElementById('gp-checker-results').dataset.runs || 0) >= n",
        arg=runs,
        timeout=timeout_ms,
    )
    # The results' math is typeset after they are shown.
    page.evaluate("() => window.MathJax && MathJax.startup ? MathJax.startup.promise : null")
    page.wait_for_function(
        "() => [...document.querySelectorAll('#gp-checker-results .math')]"
        ".every(m => m.querySelector('mjx-container'))",
        timeout=timeout_ms,
    )
    return state(page)


def click_example(page: Any, case: Case, timeout_ms: int = CHECK_TIMEOUT_MS) -> Outcome:
    """Load `case`'s example with its button and judge the verdicts it gets."""
    runs = state(page)["runs"]
    started = time.perf_counter()
    page.click(f"button[data-example='{case.example}']")
    shown = wait_for_run(page, runs + 1, timeout_ms)
    out = Outcome(case.name, time.perf_counter() - started, judge(case, shown), shown)
    if shown["editor"] != case.latex:
        out.problems.append("the editor does not hold the example's text")
    if case.error is None:  # text that cannot be read may not typeset either
        out.problems += preview_problems(page)
    return out


def preview_problems(page: Any, timeout_ms: int = CHECK_TIMEOUT_MS) -> list[str]:
    """The live preview must show the editor's derivation typeset, without TeX errors."""
    try:  # it follows the editor a quarter of a second later
        page.wait_for_function(_PREVIEW_JS, timeout=timeout_ms)
    except Exception:  # noqa: BLE001  (Playwright's TimeoutError: the browser group only)
        return ["the preview does not show the derivation typeset"]
    if page.evaluate("() => !!document.querySelector('#gp-checker-preview mjx-merror')"):
        return ["the preview shows a TeX error"]
    return []


def open_link(context: Any, base: str, case: Case, link: str) -> Outcome:
    """Open ``check.html<link>`` in a fresh page; it must fill the form and check by itself."""
    page = context.new_page()
    try:
        started = time.perf_counter()
        page.goto(base + PAGE + link, wait_until="load")
        shown = wait_for_run(page, 1, COLD_TIMEOUT_MS)
        out = Outcome(f"link: {case.name}", time.perf_counter() - started, judge(case, shown))
        out.shown = shown
        if shown["editor"] != case.latex:
            out.problems.append("the link did not fill the editor with its derivation")
        for role, letter in case.roles.items():
            if shown["roles"][role] != letter:
                out.problems.append(f"the link set {role} to {shown['roles'][role]!r}")
        return out
    finally:
        page.close()


def without_javascript(context: Any, base: str, *, disable: bool = True) -> Outcome:
    """With scripts off the form stays hidden and the note on ``gradproof check`` shows."""
    page = context.new_page()
    try:
        if disable:  # Chromium's own switch, through the DevTools protocol
            context.new_cdp_session(page).send(
                "Emulation.setScriptExecutionDisabled", {"value": True}
            )
        page.goto(base + PAGE, wait_until="load")
        seen = page.evaluate(
            """() => ({
              note: [...document.querySelectorAll('.gp-checker-noscript')]
                .filter(e => e.checkVisibility()).map(e => e.innerText).join(' '),
              form: document.getElementById('gp-checker').checkVisibility(),
            })"""
        )
    finally:
        page.close()
    out = Outcome("without JavaScript", shown=seen | {"summary": "the note on gradproof check"})
    if "gradproof check FILE" not in seen["note"]:
        out.problems.append("no visible note on how to run gradproof check")
    if seen["form"]:
        out.problems.append("the form shows, though nothing could run it")
    return out


def run_cases(context: Any, base: str, cases: Iterable[Case]) -> list[Outcome]:
    """Click through `cases` on one page: Python starts once, for the first."""
    outcomes: list[Outcome] = []
    page = context.new_page()
    try:
        page.goto(base + PAGE, wait_until="load")
        for case in cases:
            timeout = CHECK_TIMEOUT_MS if outcomes else COLD_TIMEOUT_MS
            outcomes.append(click_example(page, case, timeout))
    finally:
        page.close()
    return outcomes


def check_checker_page(
    browser: Any, base: str, screenshots: Path | None = None
) -> list[tuple[str, str, list[str]]]:
    """Check the page as a reader uses it; ``(name, summary, problems)`` per case.

    `browser` is ``tools/browser_check.py``'s Browser (a context that blocks and records every
    request outside 127.0.0.1).
    """
    cases = page_cases()
    # A hand-written link, in the form the issue gives: thread 001's letters.
    asker = next(c for c in cases if c.name == "001-asker")
    written = fragment(asker.latex, **asker.roles)
    offsite = len(browser.offsite)
    console: list[str] = []
    browser.context.on("console", lambda m: console.append(m.text) if m.type == "error" else None)
    outcomes = run_cases(browser.context, base, cases)
    # The page's own link to what it checked (an example, in its letters) must reproduce it.
    own = next(o for o, c in zip(outcomes, cases, strict=True) if c.error is None and c.roles)
    own_case = next(c for c in cases if c.name == own.name)
    outcomes.append(open_link(browser.context, base, own_case, own.shown["share"]))
    outcomes.append(open_link(browser.context, base, asker, written))
    outcomes.append(without_javascript(browser.context, base))
    report = [
        (f"{PAGE} [{o.name}]", f"{o.seconds:.1f} s {o.shown.get('summary', '')}", o.problems)
        for o in outcomes
    ]
    extra = [f"request left 127.0.0.1: {u}" for u in browser.offsite[offsite:]]
    extra += [f"console error: {c}" for c in console]
    if screenshots is not None:
        extra += take_screenshots(browser.context, base, screenshots)
    if extra:
        report.append((f"{PAGE} [whole run]", "", extra))
    return report


def take_screenshots(context: Any, base: str, out: Path) -> list[str]:
    """The checker at 1400 and 390 px, light and dark: before a check, after, a parse error."""
    out.mkdir(parents=True, exist_ok=True)
    for old in out.glob("check-*.png"):
        old.unlink()
    cases = {c.name: c for c in page_cases()}
    steps = [("before", None), ("after", cases["001-asker"]), ("error", cases["002-eq3"])]
    problems = []
    # One page per width: resizing a page leaves the theme's drawers scrolled sideways.
    for name, (width, height) in SCREEN_WIDTHS.items():
        page = context.new_page()
        try:
            page.set_viewport_size({"width": width, "height": height})
            page.goto(base + PAGE, wait_until="load")
            for label, case in steps:
                if case is not None:
                    got = click_example(page, case, COLD_TIMEOUT_MS)
                    problems += [f"screenshot run {case.name}: {p}" for p in got.problems]
                for theme in ("light", "dark"):
                    page.evaluate(
                        "t => { document.documentElement.dataset.theme = t;"
                        " document.documentElement.dataset.mode = t; }",
                        theme,
                    )
                    anchor = "gp-checker" if label == "before" else "gp-checker-results"
                    wide = page.evaluate(_SHOW_JS, anchor)
                    if wide > 1:
                        problems.append(f"{label}, {width} px, {theme}: the page scrolls {wide} px")
                    page.screenshot(path=str(out / f"check-{label}-{name}-{theme}.png"))
        finally:
            page.close()
    return problems
