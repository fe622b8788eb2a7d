"""`nox -s doctest` runs the pages' {doctest} blocks and the docstring examples.

A page's doctests are collected by ``docs/conftest.py`` (Sybil). These tests
copy that real conftest next to a throw-away page and run pytest on it in a
subprocess, so a wrong expected output must fail and a right one must pass.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
# The same paths and flag as the doctest session in noxfile.py.
DOCTEST_ARGS = ["docs", "src/gradproof", "--doctest-modules"]


def run_pytest(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    # -p no:cacheprovider: leave no .pytest_cache behind in the repository.
    cmd = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", *args]
    return subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=300, check=False)


def page_with_doctest(tmp_path: Path, expected: str) -> Path:
    """Write a docs dir with the real conftest and one page whose doctest expects ``expected``."""
    docs = tmp_path / "docs"
    docs.mkdir()
    shutil.copy(DOCS / "conftest.py", docs / "conftest.py")
    page = f"""\
        # A page

        Some prose, then a check:

        ```{{doctest}}
        >>> import numpy as np
        >>> from gradproof.functions import softmax
        >>> print(np.round(softmax(np.array([0.0, 0.0])), 2))
        {expected}
        ```
        """
    (docs / "page.md").write_text(textwrap.dedent(page), encoding="utf-8")
    return docs


@pytest.mark.slow
def test_right_page_doctest_passes(tmp_path: Path) -> None:
    # Two equal logits share the probability evenly: 1/2 each, by symmetry.
    docs = page_with_doctest(tmp_path, "[0.5 0.5]")
    run = run_pytest(tmp_path, str(docs))
    assert run.returncode == 0, run.stdout + run.stderr
    assert "3 passed" in run.stdout, run.stdout  # one item per >>> line


@pytest.mark.slow
def test_wrong_page_doctest_fails(tmp_path: Path) -> None:
    docs = page_with_doctest(tmp_path, "[0.4 0.6]")
    run = run_pytest(tmp_path, str(docs))
    assert run.returncode != 0, run.stdout + run.stderr
    assert "[0.4 0.6]" in run.stdout
    assert "[0.5 0.5]" in run.stdout  # the output the doctest actually got


@pytest.mark.slow
def test_wrong_docstring_example_fails(tmp_path: Path) -> None:
    module = tmp_path / "example_module.py"
    module.write_text(
        textwrap.dedent('''\
            def double(x):
                """Return twice ``x``.

                >>> double(2)
                5
                """
                return 2 * x
            '''),
        encoding="utf-8",
    )
    run = run_pytest(tmp_path, "--doctest-modules", str(module))
    assert run.returncode != 0, run.stdout + run.stderr
    assert "Expected:\n    5\nGot:\n    4" in run.stdout


@pytest.mark.slow
def test_doctest_session_collects_pages_and_docstrings() -> None:
    run = run_pytest(ROOT, "--collect-only", "-q", *DOCTEST_ARGS)
    assert run.returncode == 0, run.stdout + run.stderr
    items = run.stdout.splitlines()
    pages = {i.split("::")[0] for i in items if i.startswith("docs/") and ".md::" in i}
    modules = {i.split("::")[0] for i in items if i.startswith("src/gradproof/")}
    assert "docs/theory/how-we-check.md" in pages
    assert "src/gradproof/functions.py" in modules


# Sybil does not run these directives, so a page using them would look checked
# while nothing ran.
UNSUPPORTED = re.compile(r"^\s*(```+|:::+)\s*\{(testcode|testoutput|testsetup)\}", re.MULTILINE)


def test_pages_use_only_collected_doctest_directives() -> None:
    offenders = sorted(
        str(p.relative_to(ROOT))
        for p in DOCS.rglob("*.md")
        if "_build" not in p.parts and UNSUPPORTED.search(p.read_text(encoding="utf-8"))
    )
    assert offenders == [], "use {doctest} blocks; these are not run by nox -s doctest"


def test_unsupported_directive_pattern_matches() -> None:
    assert UNSUPPORTED.search("text\n```{testcode}\nprint(1)\n```\n")
    assert not UNSUPPORTED.search("text\n```{doctest}\n>>> 1\n1\n```\n")
