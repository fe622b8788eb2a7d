"""The {derivation-checker} directive (conf/_ext/derivation_checker.py) and its runtime.

A throw-away site with the directive gets the form, the examples of examples.toml, the script on
that page only, and Pyodide with the wheels in ``_static``; a runtime that is missing or a
gradproof wheel that differs from the installed package stops the build.
"""

from __future__ import annotations

import html
import json
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from derivation_checker import RUNTIME, WHEELS, runtime_problem
from tiny_site import ROOT, build

from gradproof.latex.examples import examples


@pytest.fixture(scope="module")
def runtime() -> Path:
    """The Pyodide runtime and wheels, as `nox -s docs` fetches them (downloaded once)."""
    subprocess.run([sys.executable, str(ROOT / "tools" / "fetch_pyodide.py")], check=True)
    assert runtime_problem() is None
    return RUNTIME


def _fake_runtime(tmp_path: Path, files: dict[str, bytes]) -> Path:
    wheels = tmp_path / "pyodide" / "wheels"
    wheels.mkdir(parents=True)
    (wheels.parent / "pyodide.mjs").write_text("// stand-in", encoding="utf-8")
    with zipfile.ZipFile(wheels / "gradproof-0.1.0-py3-none-any.whl", "w") as wheel:
        for name, data in files.items():
            wheel.writestr(name, data)
    return wheels


def test_a_wheel_of_other_code_is_refused(tmp_path: Path) -> None:
    from gradproof.latex import checking  # noqa: PLC0415

    source = Path(checking.__file__).read_bytes()
    same = _fake_runtime(tmp_path / "same", {"gradproof/latex/checking.py": source})
    assert runtime_problem(same) is None
    other = _fake_runtime(
        tmp_path / "other", {"gradproof/latex/checking.py": source + b"\n# changed\n"}
    )
    problem = runtime_problem(other)
    assert problem is not None
    assert "differs from the installed gradproof in gradproof/latex/checking.py" in problem


def test_a_missing_runtime_says_how_to_fetch_it(tmp_path: Path) -> None:
    problem = runtime_problem(tmp_path / "pyodide" / "wheels")
    assert problem is not None
    assert "python tools/fetch_pyodide.py" in problem
    wheels = _fake_runtime(tmp_path / "nowheel", {})
    for wheel in wheels.glob("*.whl"):
        wheel.unlink()
    assert "holds 0 gradproof wheels" in (runtime_problem(wheels) or "")


PAGE = """
# Check

A derivation such as $q_i - p_i$.

```{derivation-checker}
```
"""


@pytest.mark.slow
@pytest.mark.usefixtures("mathjax_dir", "runtime")
def test_a_page_with_the_checker(tmp_path: Path) -> None:
    run, out = build(tmp_path, PAGE)
    assert run.returncode == 0, run.stdout + run.stderr
    page = (out / "page.html").read_text(encoding="utf-8")
    index = (out / "index.html").read_text(encoding="utf-8")
    assert '<script type="module" src="_static/checker/checker.js' in page
    assert "checker/checker.js" not in index  # only the page that has the form loads it
    assert "checker/checker.css" in page
    assert "checker/checker.css" not in index
    assert "<noscript>" in page
    assert "gradproof check FILE" in page
    data = re.search(r'id="gp-checker-examples">(.*?)</script>', page, re.DOTALL)
    assert data is not None
    offered = json.loads(data.group(1))
    assert list(offered) == [ex.id for ex in examples() if ex.page]
    assert offered["001-asker"]["roles"]["logits"] == "o"
    wheels = json.loads(html.unescape(re.search(r'data-wheels="([^"]*)"', page).group(1)))
    assert sorted(wheels) == sorted(p.name for p in WHEELS.glob("*.whl"))
    for name in wheels:
        assert (out / "_static" / "pyodide" / "wheels" / name).is_file()
    for name in ("pyodide.mjs", "pyodide.asm.wasm", "python_stdlib.zip", "pyodide-lock.json"):
        assert (out / "_static" / "pyodide" / name).is_file()
    assert (out / "_static" / "checker" / "worker.js").is_file()
    for role in ("logits", "targets", "softmax", "loss"):
        assert f'name="{role}"' in page


@pytest.mark.slow
@pytest.mark.usefixtures("mathjax_dir", "runtime")
def test_without_the_checker_no_runtime_is_copied(tmp_path: Path) -> None:
    run, out = build(tmp_path, "# Plain\n\nNo form, $q$ only.\n")
    assert run.returncode == 0, run.stdout + run.stderr
    assert not (out / "_static" / "pyodide").exists()
