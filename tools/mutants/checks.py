"""The checks mutants are judged by: the cheapest of the project's own checks for each area.

A pytest file is killed by a failing test (exit 1) or one that cannot be collected (2). A page
is checked the way the site build checks it: ``gradproof check`` on its ``{derivation}`` blocks
(exit 1: a step is not as marked; 2, unreadable, is no kill), or its code cells executed by
``tools/run_page.py`` (exit 1: a check in a cell rejected something; 3, a cell broken in
another way, is no kill).
"""

from __future__ import annotations

from functools import cache

from mutants.harness import Check, Mutant, pytest_check

UNIT_GRADIENTS = pytest_check("tests/test_gradients.py")
UNIT_FUNCTIONS = pytest_check("tests/test_functions.py")
UNIT_CHECK = pytest_check("tests/test_check.py")
SOUNDNESS = pytest_check("tests/test_soundness.py")
CONTRACT = pytest_check("tests/test_input_contract.py")
LATEX_PARSER = pytest_check("tests/test_latex_parser.py")
LATEX_THREADS = pytest_check("tests/test_latex_threads.py")
DERIVE = pytest_check("tests/test_derive.py")
DERIVE_SETTINGS = pytest_check("tests/test_derive_settings.py")
DOCTEST_GRADIENTS = pytest_check(
    "--doctest-modules", "src/gradproof/gradients.py", label="doctests of gradients.py"
)
# The page's own {doctest} blocks (Sybil, docs/conftest.py); `nox -s docs` executes its cells.
PAGE_STABLE_DOCTESTS = pytest_check(
    "docs/theory/stable-computation.md", label="doctests of theory/stable-computation.md"
)


@cache
def derivations_of(page: str) -> Check:
    """``gradproof check`` on the ``{derivation}`` blocks of ``docs/<page>``."""
    return Check(f"{{derivation}} blocks of {page}", ("-m", "gradproof", "check", f"docs/{page}"))


@cache
def cells_of(page: str) -> Check:
    """The code cells of ``docs/<page>``, executed as the build executes them."""
    return Check(f"cells of {page}", ("tools/run_page.py", f"docs/{page}"))


def in_cells(name: str, page: str, right: str, wrong: str, why: str, expect: str = "") -> Mutant:
    """A mutant of a code cell of ``docs/<page>``, judged by its cells, run as in the build."""
    return Mutant(name, f"docs/{page}", right, wrong, why, cells_of(page), expect)


def in_derivation(
    name: str, page: str, right: str, wrong: str, why: str, expect: str = ""
) -> Mutant:
    """A mutant of a ``{derivation}`` line of ``docs/<page>``, judged by ``gradproof check``."""
    # `expect` reads "in <block label>: step 3 (line 3) is false": the block the slip is in must
    # be the one that reports it.
    return Mutant(name, f"docs/{page}", right, wrong, why, derivations_of(page), expect)
