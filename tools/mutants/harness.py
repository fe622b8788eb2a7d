"""The machinery: copy the project, apply one mutant, run its check, judge the outcome.

A mutant is applied to a temporary copy of the project (the files ``git ls-files`` lists,
never ``_build`` or ``.nox``) and its check is run there with the copy's own ``src`` first on
the path. Three guarantees keep a score honest:

* the original text occurs exactly once in its file, or the mutant stops with an error: a
  refactor that rewrites the formula cannot make its mutant silently vacuous;
* every check passes on an unmutated copy before any mutant runs, and the copy imports
  ``gradproof`` from itself, so a kill is never a check that was failing anyway;
* a check says *how* it failed: only its exit codes that mean "a check rejected this" count as
  a kill (any other is an error of the mutant, e.g. a page broken by a ``NameError``), and a
  mutant with ``expect`` is killed only if that text is in the check's output.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# A mutant that makes a check hang is killed, but the run must not hang with it.
CHECK_TIMEOUT = 600
# One fixed seed for hypothesis: a kill must be reproducible, never a lucky random draw, and a
# baseline that passes must pass again under every mutant for the same reason.
_PYTEST = ("-m", "pytest", "-x", "-q", "-rfE", "-p", "no:cacheprovider", "--hypothesis-seed=0")


@dataclass(frozen=True)
class Check:
    """One command, run as ``python *args`` in the copy; `label` is what the report prints.

    `kills` are the exit codes that mean the check rejected the mutant. ``0`` means it passed;
    any other code means it could not judge, which stops the run.
    """

    label: str
    args: tuple[str, ...]
    kills: tuple[int, ...] = (1,)


def pytest_check(*paths: str, label: str = "") -> Check:
    """A pytest run of `paths`, stopping at the first failure.

    Exit 1 (a test failed) and 2 (collection failed: a mutant that breaks an import) are kills;
    4 and 5 (usage error, nothing collected) mean the check itself is broken.
    """
    return Check(label or " ".join(paths), (*_PYTEST, *paths), kills=(1, 2))


@dataclass(frozen=True)
class Mutant:
    """Replace `original` (exactly one occurrence) by `replacement` in `path`.

    `why` is the slip it models; `check` the cheapest check that must kill it; `expect`, when
    given, a text the check's output must contain for the kill to count (the step that must
    be reported false, say), so that a kill for another reason is not mistaken for this one.
    """

    name: str
    path: str
    original: str
    replacement: str
    why: str
    check: Check
    expect: str = ""


@dataclass(frozen=True)
class CheckRun:
    """The outcome of one check on one copy."""

    returncode: int
    seconds: float
    first_failure: str
    output: str


@dataclass(frozen=True)
class Outcome:
    mutant: Mutant
    run: CheckRun

    @property
    def rejected(self) -> bool:
        """The check failed as a check fails (a timeout counts: the mutant hung it)."""
        return self.run.returncode in self.mutant.check.kills or self.run.returncode < 0

    @property
    def killed(self) -> bool:
        return self.rejected and self.mutant.expect in self.run.output


class MutantError(Exception):
    """A mutant that cannot be applied, or a check that cannot judge it."""


# Never copied when the project is not a git checkout (an unpacked archive, say).
_NOT_PROJECT = {".git", ".nox", ".venv", "_build", "jupyter_execute", ".jupyter_cache"}


def project_files(root: Path = ROOT) -> list[str]:
    """Tracked and new (not ignored) files, as the working tree has them."""
    try:
        listed = subprocess.run(
            ["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"],
            cwd=root,
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    except (OSError, subprocess.CalledProcessError):
        return sorted(
            p.relative_to(root).as_posix()
            for p in root.rglob("*")
            if p.is_file()
            and not _NOT_PROJECT & set(p.relative_to(root).parts)
            and "__pycache__" not in p.parts
            and not p.name.startswith(".")
        )
    return sorted(name for name in listed.split("\0") if name and (root / name).is_file())


def copy_project(dest: Path, root: Path = ROOT) -> Path:
    """Copy the project's files into `dest` (created) and return it."""
    for name in project_files(root):
        target = dest / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(root / name, target)
    return dest


def apply(mutant: Mutant, tree: Path) -> None:
    """Apply `mutant` to the copy at `tree`; the original must occur exactly once."""
    path = tree / mutant.path
    text = path.read_text(encoding="utf-8")
    count = text.count(mutant.original)
    if count != 1:
        msg = (
            f"mutant {mutant.name}: expected the original text exactly once in {mutant.path}, "
            f"found it {count} times: {mutant.original!r}"
        )
        raise MutantError(msg)
    path.write_text(text.replace(mutant.original, mutant.replacement), encoding="utf-8")


def _env(tree: Path) -> dict[str, str]:
    # PYTHONPATH comes before the editable install's .pth entry, so the copy's src/ is imported;
    # page kernels inherit the variable.
    return {**os.environ, "PYTHONPATH": str(tree / "src"), "PYTHONDONTWRITEBYTECODE": "1"}


def imported_from(tree: Path) -> Path:
    """Where a Python started like the checks imports ``gradproof`` from."""
    out = subprocess.run(
        [sys.executable, "-c", "import gradproof; print(gradproof.__file__)"],
        cwd=tree,
        env=_env(tree),
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return Path(out.strip())


def _first_failure(output: str) -> str:
    """What rejected the mutant: a test's id, a page's step, the error its cell raised."""
    lines = [line.strip() for line in output.splitlines()]
    # gradproof check: "PROBLEM in <label>: step 3 (line 3) is false: ...". A problem, not the
    # first ✗, says what rejected the page: a ✗ it prints may be one the page expects.
    for text in lines:
        if text.startswith("PROBLEM"):
            where, problem = text.removeprefix("PROBLEM").split(": ", 1)
            return f"{where.removeprefix(' in ')}: {problem.split(':')[0]}".removeprefix(": ")
    for text in lines:
        if text.startswith(("FAILED ", "ERROR ")):
            return text.split(" - ")[0].split(" ", 1)[1]
        if text.startswith("✗ step"):  # a verdict printed by a derivation
            return text.split(":")[0]
        if text.startswith("REJECTED "):  # tools/run_page.py
            return text.removeprefix("REJECTED ")
    return ""


def run_check(tree: Path, check: Check) -> CheckRun:
    """Run `check` in the copy at `tree`."""
    start = time.perf_counter()
    try:
        proc = subprocess.run(
            [sys.executable, *check.args],
            cwd=tree,
            env=_env(tree),
            capture_output=True,
            text=True,
            timeout=CHECK_TIMEOUT,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        out = (exc.stdout or b"").decode() if isinstance(exc.stdout, bytes) else exc.stdout or ""
        return CheckRun(-1, time.perf_counter() - start, f"timeout after {CHECK_TIMEOUT} s", out)
    output = proc.stdout + proc.stderr
    return CheckRun(proc.returncode, time.perf_counter() - start, _first_failure(output), output)


def run_mutant(mutant: Mutant, root: Path = ROOT) -> Outcome:
    """Copy the project, apply `mutant`, run its check; the copy is removed afterwards.

    A check that rejects the mutant for another reason than the expected one is run once more
    on a fresh copy: a page's kernel that could not start (two workers racing for a port) is
    the machine's failure, not the mutant's, and does not repeat. One that repeats stays, and
    its output is printed with the table."""
    outcome = _run_once(mutant, root)
    if outcome.rejected and not outcome.killed:
        outcome = _run_once(mutant, root)
    return outcome


def _run_once(mutant: Mutant, root: Path) -> Outcome:
    with tempfile.TemporaryDirectory(prefix=f"mutant-{mutant.name}-") as tmp:
        tree = copy_project(Path(tmp), root)
        apply(mutant, tree)
        run = run_check(tree, mutant.check)
    outcome = Outcome(mutant, run)
    if run.returncode != 0 and not outcome.rejected:
        msg = f"mutant {mutant.name}: check {mutant.check.label} could not judge it:\n{run.output}"
        raise MutantError(msg)
    return outcome


def _baseline_one(check: Check, root: Path) -> CheckRun:
    with tempfile.TemporaryDirectory(prefix="mutant-baseline-") as tmp:
        tree = copy_project(Path(tmp), root)
        where = imported_from(tree)
        if not where.is_relative_to(tree):
            msg = f"the copy imports gradproof from {where}, not from itself ({tree})"
            raise MutantError(msg)
        return run_check(tree, check)


def baseline(
    checks: Iterable[Check], *, workers: int = 2, root: Path = ROOT
) -> dict[str, CheckRun]:
    """Run each check once on an unmutated copy; every one must pass."""
    unique = list(dict.fromkeys(checks))
    with ThreadPoolExecutor(max_workers=workers) as pool:
        runs = dict(
            zip(
                (c.label for c in unique),
                pool.map(lambda c: _baseline_one(c, root), unique),
                strict=True,
            )
        )
    broken = {label: run for label, run in runs.items() if run.returncode != 0}
    if broken:
        detail = "\n\n".join(f"--- {label}\n{run.output}" for label, run in broken.items())
        msg = f"checks fail without any mutant, so no kill would mean anything:\n{detail}"
        raise MutantError(msg)
    return runs


def _verdict(o: Outcome) -> str:
    if o.killed:
        return o.run.first_failure or o.mutant.check.label
    if o.rejected:
        return f"FAILED ELSEWHERE (no {o.mutant.expect!r} in its output)"
    return "SURVIVED"


def table(outcomes: Sequence[Outcome], areas: dict[str, str] | None = None) -> str:
    """A Markdown table of the outcomes, the score per area (`areas`: name -> area) and in all."""
    areas = areas or {}
    lines = [
        "| mutant | file | slip | killed by | seconds |",
        "|---|---|---|---|---|",
    ]
    for o in outcomes:
        short = Path(o.mutant.path).name
        why = o.mutant.why.replace("|", "\\|")  # |g_i| in a slip is not a column
        lines.append(f"| {o.mutant.name} | {short} | {why} | {_verdict(o)} | {o.run.seconds:.1f} |")
    lines.append("")
    by_area: dict[str, list[Outcome]] = {}
    for o in outcomes:
        by_area.setdefault(areas.get(o.mutant.name, "other"), []).append(o)
    if len(by_area) > 1:
        for area, group in by_area.items():
            lines.append(f"{area}: {sum(o.killed for o in group)}/{len(group)} killed")
    killed = sum(o.killed for o in outcomes)
    score = 100.0 * killed / len(outcomes) if outcomes else 0.0
    lines.append(f"mutation score: {killed}/{len(outcomes)} killed ({score:.0f} %)")
    return "\n".join(lines)


def run(
    mutants: Sequence[Mutant],
    *,
    workers: int = 2,
    root: Path = ROOT,
    areas: dict[str, str] | None = None,
) -> int:
    """Baseline, then every mutant; print the table; return 0 only if all were killed."""
    start = time.perf_counter()
    try:
        base = baseline((m.check for m in mutants), workers=workers, root=root)
    except MutantError as exc:
        print(exc, file=sys.stderr)
        return 2
    for label, check_run in base.items():
        print(f"baseline passes: {label} ({check_run.seconds:.1f} s)")
    try:
        with ThreadPoolExecutor(max_workers=workers) as pool:
            outcomes = list(pool.map(lambda m: run_mutant(m, root), mutants))
    except MutantError as exc:
        print(exc, file=sys.stderr)
        return 2
    print()
    print(table(outcomes, areas))
    print(f"total {time.perf_counter() - start:.1f} s with {workers} worker(s)")
    for o in outcomes:
        if o.rejected and not o.killed:
            tail = "\n".join(o.run.output.strip().splitlines()[-15:])
            print(f"--- {o.mutant.name} failed elsewhere, twice; the end of its output:\n{tail}")
    survivors = [o.mutant.name for o in outcomes if not o.killed]
    if survivors:
        print(f"SURVIVED (no check noticed): {', '.join(survivors)}", file=sys.stderr)
        return 1
    return 0
