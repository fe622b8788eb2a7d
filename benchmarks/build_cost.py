"""What building the site costs, in four configurations measured in one run.

``full``
    The ``nox -s docs`` build: strict flags (read from noxfile.py), every page executed
    (``force``), every page re-read (``-E``), each page's kernel forked from the build's
    kernel forkserver (conf/_ext/kernel_forkserver.py). Median of :data:`REPEATS` builds.
``full_plain_kernels``
    The same build with the forkserver switched off, so every kernel is a new interpreter that
    imports everything itself: what the forkserver saves (once).
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
records its wall time and the CPU time of its processes (Sphinx, its workers, the kernels).
"""

from __future__ import annotations

import ast
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FULL_RATIO_TARGET = 3.0
REBUILD_TARGET_SECONDS = 10.0
WAIT_LIMIT_SECONDS = 900
#: Builds per configuration for the ratio: a median of three steadies it against a stray
#: background process without making the benchmark slow (about 1.5 minutes for all builds).
REPEATS = 3


def strict_flags() -> list[str]:
    """``SPHINX_STRICT`` from noxfile.py, so the benchmark builds as ``nox -s docs`` does."""
    tree = ast.parse((ROOT / "noxfile.py").read_text(encoding="utf-8"))
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == "SPHINX_STRICT" for t in node.targets
        ):
            return list(ast.literal_eval(node.value))
    msg = "noxfile.py defines no SPHINX_STRICT"
    raise RuntimeError(msg)


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


def sphinx(out: Path, flags: list[str], mode: str, extra_env: dict | None = None) -> dict:
    """One build of docs/ into ``out/html``; returns seconds, CPU seconds and exit status."""
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
    env = {**os.environ, "GRADPROOF_NB_EXECUTION_MODE": mode, **(extra_env or {})}
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    forked = out / "doctrees" / "kernel_forkserver.json"
    return {
        "seconds": seconds,
        # Children's CPU counts a process once it has been waited for: the kernels (waited for
        # by the forkserver or jupyter_client), the workers and the server (by Sphinx).
        "cpu_seconds": (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime),
        "returncode": done.returncode,
        "waited_for_other_build_seconds": waited,
        "forkserver": json.loads(forked.read_text(encoding="utf-8")) if forked.is_file() else None,
        # Enough to hold a dead kernel's own traceback as well as Sphinx's.
        "stderr_tail": done.stderr[-8000:] if done.returncode else "",
    }


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
    """The four configurations; ratios and targets computed from times of this run."""
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
        plain = sphinx(base / "plain", strict, "force", {"GRADPROOF_KERNEL_FORKSERVER": "off"})
        serve_first = sphinx(base / "serve", [], "cache")
        serve_again = sphinx(base / "serve", [], "cache")
    finally:
        shutil.rmtree(base, ignore_errors=True)
    full, no_exec = _median(fulls), _median(no_execs)
    ratio = full["seconds"] / no_exec["seconds"]
    ok = all(r["returncode"] == 0 for r in fulls)
    return {
        "full": full,
        "full_plain_kernels": plain,
        "no_execution": no_exec,
        "serve_first": serve_first,
        "serve_rebuild": serve_again,
        "full_over_no_execution": ratio,
        "plain_kernels_over_no_execution": plain["seconds"] / no_exec["seconds"],
        "repeats": repeats,
        "targets": {
            "full_le_3x_no_execution": {
                "measured": (
                    f"{ratio:.2f}x ({full['seconds']:.1f} s against {no_exec['seconds']:.1f} s, "
                    f"medians of {repeats})"
                ),
                "met": bool(ratio <= FULL_RATIO_TARGET and ok),
            },
            "serve_rebuild_le_10s": {
                "measured": f"{serve_again['seconds']:.1f} s",
                "met": bool(
                    serve_again["seconds"] <= REBUILD_TARGET_SECONDS
                    and serve_again["returncode"] == 0
                ),
            },
        },
    }
