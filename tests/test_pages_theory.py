"""The landing and theory pages: their derivations hold as marked, each has its label and summary.

That a wrong formula put into one of them fails the page (a ``{derivation}`` line or a code
cell) is in the mutation registry (``tools/mutants/theory_pages.py``, ``nox -s mutants``);
``nox -s docs`` runs the pages as written.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

PAGES = [
    "index.md",
    "theory/softmax-jacobian.md",
    "theory/stable-computation.md",
    "theory/beyond.md",
    "theory/how-we-check.md",
]

# how-we-check.md explains the checkers; its derivations are being rewritten separately.
PAGES_WITH_DERIVATION_BLOCKS = [page for page in PAGES if page != "theory/how-we-check.md"]


@pytest.mark.parametrize("page", PAGES_WITH_DERIVATION_BLOCKS)
def test_page_derivations_hold(
    page: str, page_text: Callable[[str], str], derivations_status: Callable[[str], int]
) -> None:
    text = page_text(page)
    assert "```{derivation}" in text
    assert derivations_status(text) == 0


@pytest.mark.parametrize("page", [page for page in PAGES if page.startswith("theory/")])
def test_page_has_label_and_summary(page: str, page_text: Callable[[str], str]) -> None:
    text = page_text(page)
    label = {
        "theory/softmax-jacobian.md": "(theory-jacobian)=",
        "theory/stable-computation.md": "(theory-stable)=",
        "theory/beyond.md": "(theory-beyond)=",
        "theory/how-we-check.md": "(theory-how-we-check)=",
    }[page]
    lines = text.splitlines()
    at = lines.index(label)
    assert lines[at + 1].startswith("# "), "the label must sit directly above the title"
    assert text.count("```{what-was-checked}") == 1
    last = text[text.index("```{what-was-checked}") + 1 :]
    assert "```{" not in last, "the What was checked box must end the page"
    assert "```{doctest}" in text
