"""The reader runs where NumPy does not (the browser): nothing on its path imports NumPy itself.

``gradproof.derive`` still imports NumPy at the top (a separate change removes that), so the
tests check what this package controls: no module of ``gradproof.latex`` and not the package's
``__init__`` imports NumPy, and importing and using the reader pulls NumPy in only through
``gradproof.derive``. The wheel ships the grammar.
"""

from __future__ import annotations

import ast
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "gradproof"

# A fresh interpreter in which NumPy cannot be imported, as in the browser, except by the engine
# (gradproof.derive still needs it, for now). SymPy's optional NumPy imports then fail quietly,
# as they do there; any other gradproof module importing NumPy fails loudly.
PROBE = r"""
import builtins, sys
real = builtins.__import__
def guard(name, globals=None, locals=None, fromlist=(), level=0):
    if level == 0 and name.split(".")[0] == "numpy" and "numpy" not in sys.modules:
        frame, engine = sys._getframe(1), False
        while frame is not None:
            engine = engine or frame.f_globals.get("__name__", "").startswith("gradproof.derive")
            frame = frame.f_back
        if not engine:
            raise ImportError("numpy is not available here")
    return real(name, globals, locals, fromlist, level)
builtins.__import__ = guard
import gradproof
assert "numpy" not in sys.modules, "import gradproof imported numpy"
from gradproof.latex import check_source
out = check_source(r"\frac{\partial J}{\partial z_i} &= q_i \sum_k p_k - p_i")
assert out["ok"], out
print("ok")
"""


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def test_no_module_of_the_reader_imports_numpy() -> None:
    modules = [*sorted((SRC / "latex").glob("*.py")), SRC / "__init__.py", SRC / "cli.py"]
    assert len(modules) >= 8
    for path in modules:
        imported = _imports(path)
        assert not any(name.split(".")[0] == "numpy" for name in imported), path
        # within gradproof, only the engine and the reader itself
        ours = {name for name in imported if name.startswith("gradproof")}
        assert ours <= {"gradproof", "gradproof.derive"} | {
            name for name in ours if name.startswith("gradproof.latex")
        }, (path, ours)


def test_the_reader_runs_where_only_the_engine_may_import_numpy() -> None:
    run = subprocess.run(
        [sys.executable, "-c", PROBE], capture_output=True, text=True, check=False, timeout=120
    )
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == "ok"


def test_the_guard_stops_a_direct_numpy_import() -> None:
    # The same guard around a module that imports NumPy itself fails: the probe can fail.
    probe = PROBE.replace("from gradproof.latex import check_source", "import gradproof.check")
    run = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=False, timeout=120
    )
    assert run.returncode != 0
    assert "numpy is not available here" in run.stderr


@pytest.mark.slow
def test_the_wheel_ships_the_grammar(tmp_path: Path) -> None:
    root = SRC.parents[1]
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "-c",
            str(root / "constraints.txt"),
            "--build-constraint",
            str(root / "constraints.txt"),
            "-w",
            str(tmp_path),
            str(root),
        ],
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    assert run.returncode == 0, run.stderr[-2000:]
    (wheel,) = tmp_path.glob("gradproof-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    assert "gradproof/latex/grammar.lark" in names
    assert "gradproof/sphinxext.py" in names
    entry = next(n for n in names if n.endswith("entry_points.txt"))
    assert "gradproof = gradproof.cli:run" in zipfile.ZipFile(wheel).read(entry).decode()
