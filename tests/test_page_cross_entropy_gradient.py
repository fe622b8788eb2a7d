"""The page of what every thread shares (theory/cross-entropy-gradient.md) checks what it says.

Its derivations are checked as the build checks them, and every thread page links to it. That
a wrong formula put into one of its derivations or cells fails is in the mutation registry
(``tools/mutants/pages.py``, ``nox -s mutants``), which also runs its cells unmutated first;
``nox -s docs`` runs the page as written.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from test_pages_seeds_000_002 import PAGES, checked_blocks

PAGE = Path(__file__).resolve().parent.parent / "docs" / "theory" / "cross-entropy-gradient.md"


def test_every_derivation_checks_as_marked() -> None:
    problems = {k: v for k, v in checked_blocks(PAGE.read_text(encoding="utf-8")).items() if v}
    assert not problems, problems


@pytest.mark.parametrize("name", sorted(PAGES))
def test_the_thread_pages_link_here(name: str) -> None:
    text = (PAGE.parent.parent / PAGES[name]).read_text(encoding="utf-8")
    assert "{ref}`theory-gradient`" in text
