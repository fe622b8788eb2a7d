"""Shared fixtures: a page's source and its derivations' verdict, the pages' derivations, and
the vendored MathJax.

The real pages are executed once per CI run, by ``nox -s docs``; the mutation registry
(``tools/mutants``) executes a page after putting a wrong formula into it, and expects it to fail.
"""

from __future__ import annotations

import fcntl
from collections.abc import Callable
from pathlib import Path
from typing import Any

import fetch_mathjax
import pytest
from hypothesis import settings

# The gate draws the same examples on every run and every machine (derandomize), so a red
# `nox -s tests` is the code's doing and reproduces anywhere. Looking for new counterexamples
# is a separate job: `nox -s properties` runs the @given tests under "explore", with fresh seeds
# each round, and every draw it finds becomes an @example of its test.
settings.register_profile("gate", derandomize=True)
settings.register_profile("explore", derandomize=False, database=None)
settings.load_profile("gate")

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"


@pytest.fixture
def page_text() -> Callable[[str], str]:
    """Return a reader for a page's source, by path relative to ``docs/``."""

    def read(relative: str) -> str:
        return (DOCS / relative).read_text(encoding="utf-8")

    return read


def check_derivations(text: str, tmp_path: Path) -> int:
    """Run ``gradproof check`` on a page's ``{derivation}`` blocks, as the build's directive would.

    Returns the command's exit status: 0 when every block holds as marked (each
    ``:expect-false:`` step false, every other step true), 1 when one does not, 2 when a block
    cannot be read. No Sphinx build is needed, so a mutated block is checked in a second.
    """
    from gradproof.cli import main  # noqa: PLC0415

    page = tmp_path / "page.md"
    page.write_text(text, encoding="utf-8")
    return main(["check", str(page)])


@pytest.fixture
def derivations_status(tmp_path: Path) -> Callable[[str], int]:
    """Return a function: page text -> exit status of ``gradproof check`` on its derivations."""
    return lambda text: check_derivations(text, tmp_path)


@pytest.fixture(scope="session")
def mathjax_dir() -> Path:
    """The HTML build refuses to run without the vendored MathJax, so fetch it first.

    Under pytest-xdist every worker asks; the lock lets the first fetch and the others wait.
    """
    dest = fetch_mathjax.DEFAULT_DEST
    dest.parent.mkdir(parents=True, exist_ok=True)
    with (dest.parent / "mathjax.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        assert fetch_mathjax.main(["--dest", str(dest)]) == 0
    return fetch_mathjax.static_dir(dest)


@pytest.fixture(scope="session")
def page_derivations() -> list[tuple[str, Any]]:
    """(page name, derivation) for every Derivation the thread and theory pages verify.

    The pages' cells run once per test process (:func:`benchmarks.verify_cost.run_page`), for
    every test that examines the derivations.
    """
    from benchmarks import verify_cost  # noqa: PLC0415  (only these tests need the pages run)

    return [
        (page.stem, derivation)
        for page in verify_cost.pages()
        for derivation, _, _ in verify_cost.run_page(page)[1]
    ]
