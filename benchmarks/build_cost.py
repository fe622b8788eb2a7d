"""What building the site costs, in three configurations measured in one run.

``full``
    The ``nox -s docs`` build: strict flags (from pyproject.toml), every page executed
    (``force``) in a Jupyter kernel of its own, every page re-read (``-E``). Median of
    :data:`REPEATS` builds.
``no_execution``
    The same build with ``-D nb_execution_mode=off``: the floor, what Sphinx, MyST and the
    theme cost without running a cell. Without ``-W``, since pages that glue computed values
    into their text warn when nothing was computed. Median of :data:`REPEATS` builds.
``serve_rebuild``
    The ``nox -s serve`` configuration (``cache`` execution, no ``-E``): one build to fill the
    cache, then a second one with nothing changed, which is what a writer waits for after
    saving a file that did not change.

Every build goes to its own temporary directory (never ``_build/html``), one at a time; before
each, the run waits while another ``sphinx-build`` is running on the machine. Each build
records its wall time, the CPU time of its processes (Sphinx, its workers, the kernels) and how
many pages it executed, from which the run derives the CPU time that executing one page adds.
"""

from __future__ import annotations

import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
REBUILD_TARGET_SECONDS = 10.0
WAIT_LIMIT_SECONDS = 900
#: Builds per configuration for the ratio: a median of three steadies it against a stray
#: background process without making the benchmark slow (about 1.5 minutes for all builds).
REPEATS = 3


def strict_flags() -> list[str]:
    """The strict flags of ``nox -s docs`` (``[tool.gradproof]`` in pyproject.toml)."""
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    return list(pyproject["tool"]["gradproof"]["sphinx-build-flags"])


def other_builds() -> list[str]:
    """Command lines of sphinx-build processes already running (other people's builds)."""
    found = subprocess.run(
        ["pgrep", "-af", "sphinx-build|sphinx.cmd.build|-m sphinx"],
        capture_output=True,
        text=True,
        check=False,
    )
    mine = str(os.getpid())
    return [line for line in found.stdout.splitlines() if line and line.split()[0] != mine]


def wait_for_quiet(limit: float = WAIT_LIMIT_SECONDS) -> float:
    """Wait while another Sphinx build runs (up to `limit` seconds); return seconds waited."""
    start = time.perf_counter()
    while other_builds() and time.perf_counter() - start < limit:
        time.sleep(10)
    return time.perf_counter() - start


def sphinx(out: Path, flags: list[str], mode: str) -> dict:
    """One build of docs/ into ``out/html``; returns seconds, CPU seconds, pages executed and
    exit status."""
    waited = wait_for_quiet()
    command = [
        sys.executable,
        "-m",
        "sphinx",
        "-c",
        "conf",
        "-b",
        "html",
        "-q",
        *flags,
        "-d",
        str(out / "doctrees"),
        "docs",
        str(out / "html"),
    ]
    env = {**os.environ, "GRADPROOF_NB_EXECUTION_MODE": mode}
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return {
        "seconds": seconds,
        # Children's CPU counts a process once it has been waited for: the kernels (waited for
        # by jupyter_client), the workers (by Sphinx) and Sphinx itself (by this process).
        "cpu_seconds": (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime),
        "executed_pages": executed_pages(out / "jupyter_execute"),
        "returncode": done.returncode,
        "waited_for_other_build_seconds": waited,
        # Enough to hold a dead kernel's own traceback as well as Sphinx's.
        "stderr_tail": done.stderr[-8000:] if done.returncode else "",
    }


def executed_pages(folder: Path) -> int:
    """Notebooks MyST-NB wrote (one per page, executed or not) with an executed code cell.

    In the ``cache`` builds the outputs may come from the cache, executed in an earlier build.
    """
    count = 0
    for notebook in folder.rglob("*.ipynb"):
        cells = json.loads(notebook.read_text(encoding="utf-8"))["cells"]
        count += any(
            c.get("execution_count") is not None for c in cells if c["cell_type"] == "code"
        )
    return count


def _median(runs: list[dict]) -> dict:
    """The run with the median wall time, with every run's seconds and exit status alongside
    (and the error output of any run that failed)."""
    middle = sorted(runs, key=lambda r: r["seconds"])[len(runs) // 2]
    return {
        **middle,
        "all_seconds": [r["seconds"] for r in runs],
        "all_returncodes": [r["returncode"] for r in runs],
        "failures": [r["stderr_tail"] for r in runs if r["returncode"]],
    }


def measure(repeats: int = REPEATS) -> dict:
    """The three configurations; ratio and CPU per executed page from times of this run."""
    strict = strict_flags()
    loose = [flag for flag in strict if flag != "-W"]
    no_exec_flags = [*loose, "-D", "nb_execution_mode=off"]
    base = Path(tempfile.mkdtemp(prefix="gradproof-bench-build-"))
    try:
        # Interleaved, so a slow spell of the machine touches both sides of the ratio.
        fulls, no_execs = [], []
        for k in range(repeats):
            fulls.append(sphinx(base / f"full{k}", strict, "force"))
            no_execs.append(sphinx(base / f"noexec{k}", no_exec_flags, "off"))
        serve_first = sphinx(base / "serve", [], "cache")
        serve_again = sphinx(base / "serve", [], "cache")
    finally:
        shutil.rmtree(base, ignore_errors=True)
    full, no_exec = _median(fulls), _median(no_execs)
    pages = full["executed_pages"]
    return {
        "full": full,
        "no_execution": no_exec,
        "serve_first": serve_first,
        "serve_rebuild": serve_again,
        "full_over_no_execution": full["seconds"] / no_exec["seconds"],
        # What executing one page adds: the kernel's start and imports, then the page's cells.
        "execution_cpu_seconds_per_page": (
            (full["cpu_seconds"] - no_exec["cpu_seconds"]) / pages if pages else None
        ),
        "repeats": repeats,
        "targets": {
            "serve_rebuild_le_10s": {
                "measured": f"{serve_again['seconds']:.1f} s",
                "met": bool(
                    serve_again["seconds"] <= REBUILD_TARGET_SECONDS
                    and serve_again["returncode"] == 0
                ),
            },
        },
    }
