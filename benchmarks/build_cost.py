"""What building the site costs, in three configurations measured in one run.

``full``
    The ``nox -s docs`` build: strict flags (read from noxfile.py), every page executed
    (``force``), every page re-read (``-E``).
``no_execution``
    The same build with ``-D nb_execution_mode=off``: the floor, what Sphinx, MyST and the
    theme cost without running a cell. Without ``-W``, since pages that glue computed values
    into their text warn when nothing was computed.
``serve_rebuild``
    The ``nox -s serve`` configuration (``cache`` execution, no ``-E``): one build to fill the
    cache, then a second one with nothing changed, which is what a writer waits for after
    saving a file that did not change.

Every build goes to its own temporary directory (never ``_build/html``), one at a time; before
each, the run waits while another ``sphinx-build`` is running on the machine.
"""

from __future__ import annotations

import ast
import os
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


def sphinx(out: Path, flags: list[str], mode: str) -> dict:
    """One build of docs/ into ``out/html``; returns seconds and exit status."""
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
    start = time.perf_counter()
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - start
    return {
        "seconds": seconds,
        "returncode": done.returncode,
        "waited_for_other_build_seconds": waited,
        "stderr_tail": done.stderr[-2000:] if done.returncode else "",
    }


def measure() -> dict:
    """The three configurations; ratios and targets computed from times of this run."""
    strict = strict_flags()
    loose = [flag for flag in strict if flag != "-W"]
    base = Path(tempfile.mkdtemp(prefix="gradproof-bench-build-"))
    try:
        full = sphinx(base / "full", strict, "force")
        no_exec = sphinx(base / "noexec", [*loose, "-D", "nb_execution_mode=off"], "off")
        serve_first = sphinx(base / "serve", [], "cache")
        serve_again = sphinx(base / "serve", [], "cache")
    finally:
        shutil.rmtree(base, ignore_errors=True)
    ratio = full["seconds"] / no_exec["seconds"]
    return {
        "full": full,
        "no_execution": no_exec,
        "serve_first": serve_first,
        "serve_rebuild": serve_again,
        "full_over_no_execution": ratio,
        "targets": {
            "full_le_3x_no_execution": {
                "measured": (
                    f"{ratio:.2f}x ({full['seconds']:.1f} s against {no_exec['seconds']:.1f} s)"
                ),
                "met": bool(ratio <= FULL_RATIO_TARGET and full["returncode"] == 0),
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
