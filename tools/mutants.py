"""Mutation testing: put a known-wrong formula into a copy of the library, expect the checks to fail.

Each mutant is one exact textual replacement in one source file, modelled on a slip from the
threads (seeds 000-004) or a classic one. It is applied to a temporary copy of the project (the
files ``git ls-files`` lists, never ``_build`` or ``.nox``), and the cheapest of the project's own
checks that should notice it (a unit-test file, or the doctests of a module or of a page) is run
there with ``pytest``. The mutant is *killed* when that run fails.

The original text must occur exactly once in its file: if a refactor rewrites the formula, the
mutant stops with an error instead of silently mutating nothing (a vacuous "kill" or "survivor").
Before any mutant runs, every check is run once on the unmutated copy and must pass, so a kill
is never a check that was failing anyway; and the copy must import ``gradproof`` from itself.

Usage::

    python tools/mutants.py                 # all mutants, 2 workers; exit 1 below 100 %
    python tools/mutants.py --list
    python tools/mutants.py --only sign-flip no-max-shift

``nox -s mutants`` runs the first form; ``tests/test_mutants.py`` runs the most important
mutants (pytest marker ``mutants``) and proves that an equivalent mutant is reported as a
survivor.
"""

from __future__ import annotations

import argparse
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

ROOT = Path(__file__).resolve().parent.parent
# A mutant that makes a check hang is killed, but the run must not hang with it.
CHECK_TIMEOUT = 600


@dataclass(frozen=True)
class Check:
    """One pytest invocation; `label` is what the report prints."""

    label: str
    args: tuple[str, ...]


UNIT_GRADIENTS = Check("tests/test_gradients.py", ("tests/test_gradients.py",))
UNIT_FUNCTIONS = Check("tests/test_functions.py", ("tests/test_functions.py",))
UNIT_CHECK = Check("tests/test_check.py", ("tests/test_check.py",))
SOUNDNESS = Check("tests/test_soundness.py", ("tests/test_soundness.py",))
CONTRACT = Check("tests/test_input_contract.py", ("tests/test_input_contract.py",))
DOCTEST_GRADIENTS = Check(
    "doctests of gradients.py", ("--doctest-modules", "src/gradproof/gradients.py")
)
# The page's own {doctest} blocks (Sybil, docs/conftest.py): `nox -s docs` executes its cells.
PAGE_STABLE = Check(
    "doctests of theory/stable-computation.md", ("docs/theory/stable-computation.md",)
)


@dataclass(frozen=True)
class Mutant:
    """Replace `original` (exactly one occurrence) by `replacement` in `path`."""

    name: str
    path: str
    original: str
    replacement: str
    why: str
    check: Check


GRADIENTS = "src/gradproof/gradients.py"
FUNCTIONS = "src/gradproof/functions.py"
NUMDIFF = "src/gradproof/_numdiff.py"
NUMERIC = "src/gradproof/_numeric.py"
PASSRULE = "src/gradproof/_passrule.py"
_GRAD_LINE = "grad = np.sum(targets, axis=-1, keepdims=True) * softmax(arr, axis=-1) - targets"
_VJP_LINE = "return s - np.sum(s, axis=-1, keepdims=True) * q"
_WEIGHT_JAC = "return softmax_jacobian(weights @ data)[:, :, None] * data"

MUTANTS: tuple[Mutant, ...] = (
    Mutant(
        "000-minus-p-plus-pq",
        GRADIENTS,
        _GRAD_LINE,
        "grad = -targets + targets * softmax(arr, axis=-1)",
        "seed 000: -p + p*q, the chain rule applied only to the i-th term",
        UNIT_GRADIENTS,
    ),
    Mutant(
        "001-sum-pq-minus-p",
        GRADIENTS,
        _GRAD_LINE,
        "grad = np.sum(targets * softmax(arr, axis=-1), axis=-1, keepdims=True) - targets",
        "seed 001: (sum p*q) - p, the index of q summed away",
        UNIT_GRADIENTS,
    ),
    Mutant(
        "sign-flip",
        GRADIENTS,
        _GRAD_LINE,
        "grad = targets - np.sum(targets, axis=-1, keepdims=True) * softmax(arr, axis=-1)",
        "p - q: the gradient of the log-likelihood, not of the loss",
        UNIT_GRADIENTS,
    ),
    Mutant(
        "dropped-sum-p",
        GRADIENTS,
        _GRAD_LINE,
        "grad = softmax(arr, axis=-1) - targets",
        "q - p for targets that do not sum to 1 (the factor sum(p) dropped)",
        DOCTEST_GRADIENTS,
    ),
    Mutant(
        "batch-not-divided-by-N",
        GRADIENTS,
        "return grad if arr.ndim == 1 else grad / arr.shape[0]",
        "return grad",
        "batch gradient of a mean loss without the 1/N",
        UNIT_GRADIENTS,
    ),
    Mutant(
        "weight-jacobian-x-side",
        GRADIENTS,
        _WEIGHT_JAC,
        "return softmax_jacobian(weights @ data)[:, :, None] * weights",
        "dz_i/dW_id taken as W_id (the x-side derivative) instead of x_d; swapping j and i "
        "would be no mutant at all, since dq/dz is symmetric",
        UNIT_GRADIENTS,
    ),
    Mutant(
        "weight-jacobian-rows-summed",
        GRADIENTS,
        _WEIGHT_JAC,
        "return softmax_jacobian(weights @ data).sum(axis=1, keepdims=True) * data",
        "seed 003: all rows w_i treated as one variable, which sums the Jacobian to 0",
        UNIT_GRADIENTS,
    ),
    Mutant(
        "004-vjp-broadcast",
        GRADIENTS,
        _VJP_LINE,
        "return s - np.sum(s, axis=-1, keepdims=True)",
        "seed 004: s - sum(s), the scalar broadcast instead of scaling q (VJP missing q)",
        UNIT_GRADIENTS,
    ),
    Mutant(
        "vjp-s-missing-q",
        GRADIENTS,
        "s = q * upstream",
        "s = upstream",
        "s = g instead of q*g: the diagonal term of the Jacobian loses its q",
        UNIT_GRADIENTS,
    ),
    Mutant(
        "jacobian-elementwise",
        GRADIENTS,
        "- q[..., :, None] * q[..., None, :]",
        "- q[..., :, None] ** 2 * np.eye(q.shape[-1])",
        "diag(q) - q**2 elementwise: the off-diagonal -q_i q_j dropped",
        DOCTEST_GRADIENTS,
    ),
    Mutant(
        "no-max-shift",
        FUNCTIONS,
        "e = np.exp(_minus(arr, _shift(arr, ax)))",
        "e = np.exp(arr)",
        "softmax without the max shift: exp(1000) overflows",
        PAGE_STABLE,
    ),
    Mutant(
        "log-softmax-sign",
        FUNCTIONS,
        "return shifted - np.log(np.sum(np.exp(shifted), axis=ax, keepdims=True))",
        "return shifted + np.log(np.sum(np.exp(shifted), axis=ax, keepdims=True))",
        "log q = z + logsumexp(z): the normaliser's sign",
        UNIT_FUNCTIONS,
    ),
    Mutant(
        "logsumexp-shift-not-added-back",
        FUNCTIONS,
        "out = np.squeeze(m, axis=ax) + np.log(np.sum(np.exp(_minus(arr, m)), axis=ax))",
        "out = np.log(np.sum(np.exp(_minus(arr, m)), axis=ax))",
        "log-sum-exp of the shifted logits, the max never added back",
        UNIT_FUNCTIONS,
    ),
    Mutant(
        "batch-loss-sum-not-mean",
        FUNCTIONS,
        "out = per_row if arr.ndim == 1 else np.mean(per_row)",
        "out = per_row if arr.ndim == 1 else np.sum(per_row)",
        "batch loss summed while its gradient is the mean's",
        UNIT_FUNCTIONS,
    ),
    Mutant(
        "vjp-sum-over-batch",
        GRADIENTS,
        _VJP_LINE,
        "return s - np.sum(s) * q",
        "batch VJP whose sum runs over every row, not within each row",
        CONTRACT,
    ),
    Mutant(
        "shift-by-batch-max",
        FUNCTIONS,
        "np.max(z.real, axis=axis, keepdims=True)",
        "np.max(z.real, keepdims=True)",
        "one max over the whole batch: rows 2000 below it underflow to 0/0",
        CONTRACT,
    ),
    Mutant(
        "central-difference-width-h",
        NUMDIFF,
        "width = _step_taken(x, plus, d, h) - _step_taken(x, minus, d, -h)",
        "width = _step_taken(x, plus, d, h)",
        "checker: (f(x+h) - f(x-h)) / h, twice the derivative, so right gradients would fail",
        UNIT_CHECK,
    ),
    Mutant(
        "probe-blind",
        NUMERIC,
        "gap, bound = np.abs(cs - fit.value), fit.bound",
        "gap, bound = 0.0 * np.abs(cs - fit.value), fit.bound",
        "checker: a probe that never sees the complex step disagree, so abs or .real inside f "
        "would drop a term unnoticed (the old probe's looseness, taken to the limit)",
        SOUNDNESS,
    ),
    Mutant(
        "old-absolute-atol",
        PASSRULE,
        "floor = np.where(known, bound, np.inf) + noise",
        "floor = np.where(known, bound, np.inf) + noise + 1e-12",
        "checker: the old fixed atol of 1e-12, under which a zero gradient of 1e-14 J passed",
        SOUNDNESS,
    ),
    Mutant(
        "never-cannot-tell",
        PASSRULE,
        "unresolved = ~resolved | (tolerance >= size)",
        "unresolved = tolerance < 0",
        "checker: ok where nothing was compared (a stationary point, a direction along an "
        "invariance, an atol as large as the gradient)",
        SOUNDNESS,
    ),
    Mutant(
        "probe-trusted-per-entry",
        NUMERIC,
        "factor = 1.0 if x.size == 1 else MISS_ODDS * gaussian_miss_factor(x.size)",
        "factor = 1.0",
        "checker: each entry trusted to what the probe confirmed along one direction, though a "
        "random direction sees an entry's error only about 1/sqrt(n) of its size",
        UNIT_CHECK,
    ),
    Mutant(
        "noise-unmeasured",
        "src/gradproof/_noise.py",
        "    return sigma, delta",
        "    return np.where(np.isinf(sigma), sigma, 0.0), delta",
        "checker: finite differences assumed as accurate as eps |f|, which a loss near 0 computed "
        "from terms near 1 is not: a right gradient would be blamed for the differences' noise",
        SOUNDNESS,
    ),
)

# Swapping j and i in the weight Jacobian changes nothing (dq/dz is symmetric): a correct
# harness must report this one as a survivor. tests/test_mutants.py uses it.
EQUIVALENT = Mutant(
    "equivalent-j-i-swap",
    GRADIENTS,
    _WEIGHT_JAC,
    "return softmax_jacobian(weights @ data).swapaxes(0, 1)[:, :, None] * data",
    "not a bug: the softmax Jacobian is symmetric",
    UNIT_GRADIENTS,
)


@dataclass(frozen=True)
class CheckRun:
    """The outcome of one check on one copy."""

    returncode: int
    seconds: float
    first_failure: str
    output: str

    @property
    def failed(self) -> bool:
        # pytest: 1 = tests failed, 2 = collection error (e.g. a mutant that breaks an import);
        # 0 = passed; 4/5 (usage error, nothing collected) mean the check itself is broken.
        return self.returncode in (1, 2) or self.returncode < 0


@dataclass(frozen=True)
class Outcome:
    mutant: Mutant
    run: CheckRun

    @property
    def killed(self) -> bool:
        return self.run.failed


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
    for line in output.splitlines():
        if line.startswith(("FAILED ", "ERROR ")):
            return line.split(" - ")[0].split(" ", 1)[1]
    return ""


def run_check(tree: Path, check: Check) -> CheckRun:
    """Run `check` with pytest in the copy at `tree`, stopping at the first failure."""
    cmd = [sys.executable, "-m", "pytest", "-x", "-q", "-rfE", "-p", "no:cacheprovider"]
    start = time.perf_counter()
    try:
        proc = subprocess.run(
            [*cmd, *check.args],
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
    """Copy the project, apply `mutant`, run its check; the copy is removed afterwards."""
    with tempfile.TemporaryDirectory(prefix=f"mutant-{mutant.name}-") as tmp:
        tree = copy_project(Path(tmp), root)
        apply(mutant, tree)
        run = run_check(tree, mutant.check)
    if run.returncode not in (0, 1, 2) and run.returncode >= 0:
        msg = f"mutant {mutant.name}: check {mutant.check.label} could not run:\n{run.output}"
        raise MutantError(msg)
    return Outcome(mutant, run)


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


def table(outcomes: Sequence[Outcome]) -> str:
    """A Markdown table of the outcomes and the score line."""
    lines = [
        "| mutant | file | slip | killed by | seconds |",
        "|---|---|---|---|---|",
    ]
    for o in outcomes:
        verdict = (o.run.first_failure or o.mutant.check.label) if o.killed else "SURVIVED"
        short = Path(o.mutant.path).name
        lines.append(
            f"| {o.mutant.name} | {short} | {o.mutant.why} | {verdict} | {o.run.seconds:.1f} |"
        )
    killed = sum(o.killed for o in outcomes)
    score = 100.0 * killed / len(outcomes) if outcomes else 0.0
    lines.append("")
    lines.append(f"mutation score: {killed}/{len(outcomes)} killed ({score:.0f} %)")
    return "\n".join(lines)


def run(mutants: Sequence[Mutant], *, workers: int = 2, root: Path = ROOT) -> int:
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
    print(table(outcomes))
    print(f"total {time.perf_counter() - start:.1f} s with {workers} worker(s)")
    survivors = [o.mutant.name for o in outcomes if not o.killed]
    if survivors:
        print(f"SURVIVED (no check noticed): {', '.join(survivors)}", file=sys.stderr)
        return 1
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workers", type=int, default=2, help="parallel mutants (default 2)")
    parser.add_argument("--only", nargs="+", metavar="NAME", help="run only these mutants")
    parser.add_argument("--list", action="store_true", help="list the mutants and exit")
    args = parser.parse_args(argv)
    by_name = {m.name: m for m in MUTANTS}
    if args.list:
        for m in MUTANTS:
            print(f"{m.name:32} {m.path:28} {m.why}")
        return 0
    unknown = sorted(set(args.only or ()) - set(by_name))
    if unknown:
        parser.error(f"unknown mutant(s) {unknown}; see --list")
    chosen = [by_name[name] for name in args.only] if args.only else list(MUTANTS)
    return run(chosen, workers=max(1, args.workers))


if __name__ == "__main__":
    sys.exit(main())
