"""The landing page executes cleanly, and fails when its answer, code or intuition is made wrong.

Its derivations are ``{derivation}`` blocks: a wrong formula put into one is caught by
``gradproof check`` on the page, the same reader and verifier as the build's directive. Its code
and its numbers are cells: a wrong formula there stops the page's execution.
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
]

# (what the wrong version claims, correct line on the page, wrong line)
DERIVATION_MUTATIONS = [
    (
        "the answer without the factor sum(p), for any targets",
        r"\frac{\partial J}{\partial z_i} &= \left(\sum_j p_j\right) q_i - p_i",
        r"\frac{\partial J}{\partial z_i} &= q_i - p_i",
    ),
    (
        "q - p with the sign flipped",
        r"\frac{\partial J}{\partial z_i} &= q_i - p_i",
        r"\frac{\partial J}{\partial z_i} &= p_i - q_i",
    ),
    (
        "thread 000's one-term step in the derivation",
        r"&= -p_i + \sum_j p_j \frac{e^{z_i}}{\sum_k e^{z_k}}",
        r"&= -p_i + p_i \frac{e^{z_i}}{\sum_k e^{z_k}}",
    ),
    (
        "one-hot gradient with the sign flipped",
        r"&= q_i - \delta_{ic}",
        r"&= \delta_{ic} - q_i",
    ),
    (
        "log-sum-exp's gradient as the exponential alone",
        r"&= \frac{e^{z_i}}{\sum_k e^{z_k}} && \text{only the term $k = i$ depends on $z_i$}",
        r"&= e^{z_i} && \text{only the term $k = i$ depends on $z_i$}",
    ),
    (
        "the divergence as the entropy minus J",
        r"&= \sum_j p_j \log p_j + J",
        r"&= \sum_j p_j \log p_j - J",
    ),
]

# (what the wrong version claims, correct code on the page, wrong code)
CELL_MUTATIONS = [
    (
        "thread 000's one-term gradient in the NumPy snippet",
        "grad = p.sum() * q - p  # dJ/dz",
        "grad = -p + p * q  # dJ/dz",
    ),
    (
        "a softmax that forgets to normalise",
        "q /= q.sum()  # softmax",
        "q /= q.max()  # softmax",
    ),
    (
        "a step that lowers the true class's logit",
        "z_next = z_run - rate * grad_label",
        "z_next = z_run + rate * grad_label",
    ),
    (
        "the divergence with q and p swapped",
        "divergence = np.sum(p_run * np.log(p_run / q_run))",
        "divergence = np.sum(p_run * np.log(q_run / p_run))",
    ),
    (
        "the chain rule through the softmax without its Jacobian",
        "backward = softmax_jacobian(z_run).T @ upstream",
        "backward = q_run * upstream",
    ),
]


def test_page_derivations_hold(
    page_text: Callable[[str], str], derivations_status: Callable[[str], int]
) -> None:
    assert derivations_status(page_text(PAGE)) == 0


@pytest.mark.parametrize(
    ("right", "wrong"), [pytest.param(r, w, id=why) for why, r, w in DERIVATION_MUTATIONS]
)
def test_wrong_derivation_line_is_caught(
    right: str,
    wrong: str,
    page_text: Callable[[str], str],
    derivations_status: Callable[[str], int],
) -> None:
    text = page_text(PAGE)
    assert text.count(right) == 1, f"not found exactly once in {PAGE}: {right!r}"
    assert derivations_status(text.replace(right, wrong)) == 1


@pytest.mark.slow
def test_page_executes_clean(
    execute_page: Callable[..., None], page_text: Callable[[str], str]
) -> None:
    execute_page(page_text(PAGE))


@pytest.mark.slow
@pytest.mark.parametrize(
    ("right", "wrong"), [pytest.param(r, w, id=why) for why, r, w in CELL_MUTATIONS]
)
def test_wrong_code_fails_the_page(
    right: str,
    wrong: str,
    execute_page: Callable[..., None],
    page_text: Callable[[str], str],
) -> None:
    import nbclient.exceptions  # noqa: PLC0415  (only the page tests need the notebook stack)

    text = page_text(PAGE)
    assert text.count(right) == 1, f"not found exactly once in {PAGE}: {right!r}"
    with pytest.raises(nbclient.exceptions.CellExecutionError):
        execute_page(text.replace(right, wrong))


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
