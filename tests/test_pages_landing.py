"""What the landing page promises a reader: the install line, the intuition label, a description.

Its formulas and code are mutated in the mutation registry (tools/mutants/theory_pages.py).
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

PAGE = "index.md"

# The first line of the first code cell of every page's notebook (the site's downloads).
INSTALL_COMMENT = (
    "# To run this notebook: in gradproof's source folder, python -m pip install --group docs . "
    '(pip 25.1 or newer; see "Install" on the home page)'
)
# The pages this comment is checked on; the other pages adopt it as they are rewritten.
PAGES_WITH_INSTALL_COMMENT = [
    "index.md",
    "theory/softmax-jacobian.md",
    "theory/stable-computation.md",
    "theory/beyond.md",
    "theory/cross-entropy-gradient.md",
    "seeds/000-goodfellow-cross-entropy.md",
    "seeds/001-derivative-of-softmax-loss.md",
    "seeds/002-cross-entropy-logits.md",
    "seeds/003-softmax-weight-matrix.md",
    "seeds/004-softmax-vjp.md",
]


@pytest.mark.parametrize("page", PAGES_WITH_INSTALL_COMMENT)
def test_notebook_starts_with_the_install_comment(
    page: str, page_text: Callable[[str], str]
) -> None:
    from myst_nb.core.read import read_myst_markdown_notebook  # noqa: PLC0415

    notebook = read_myst_markdown_notebook(page_text(page))
    first = next(cell for cell in notebook.cells if cell.cell_type == "code")
    assert first.source.splitlines()[0] == INSTALL_COMMENT


def test_install_section_gives_the_commands_of_the_comment(
    page_text: Callable[[str], str],
) -> None:
    text = page_text(PAGE)
    section = text[text.index("## Install") : text.index("## More")]
    assert "python -m pip install --group docs ." in section
    assert "python -m pip install --upgrade pip" in section
    assert "25.1" in section  # the first pip that reads PEP 735 groups, as the comment says


def test_intuition_section_has_its_label(page_text: Callable[[str], str]) -> None:
    lines = page_text(PAGE).splitlines()
    at = lines.index("(intuition)=")
    assert lines[at + 1] == "## Intuition"


def test_meta_description_says_what_the_page_answers(page_text: Callable[[str], str]) -> None:
    front = page_text(PAGE).split("---")[1]
    description = next(line for line in front.splitlines() if "description lang=en" in line)
    for words in ("gradient", "softmax cross-entropy", "logits", "q − p"):
        assert words in description
