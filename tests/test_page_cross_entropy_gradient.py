"""The page of what every thread shares (theory/cross-entropy-gradient.md) checks what it says.

Its derivations are checked as the build checks them, and a wrong formula put into one of them,
or into one of its cells, fails.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
from test_pages_seeds_000_002 import PAGES, checked_blocks

PAGE = Path(__file__).resolve().parent.parent / "docs" / "theory" / "cross-entropy-gradient.md"

# (block label, text on the page, the wrong version, what the build must report)
DERIVATION_MUTATIONS = [
    (
        "gradient-any-targets",
        r"&= \left(\sum_j p_j\right) q_i - p_i && \text{term by term}",
        r"&= q_i - p_i && \text{term by term}",
        "step 2 (line 2) is false",
    ),
    (
        "gradient-zero-sum",
        r"&= \left(\sum_j p_j\right) \sum_i q_i - \sum_i p_i \\",
        r"&= \sum_i q_i - \sum_i p_i \\",
        "step 1 (line 1) is false",
    ),
]

# (id, code on the page, the wrong version, the error that must stop the page)
CELL_MUTATIONS = [
    (
        "integer labels not divided by N",
        "dZ /= N\n",
        "",
        "labels form vs the library",
    ),
    (
        "general targets: q - p where (sum p) q - p belongs",
        "lambda v: cross_entropy(v, p_rand), lambda v: cross_entropy_grad(v, p_rand), z_rand",
        "lambda v: cross_entropy(v, p_rand), lambda v: softmax(v) - p_rand, z_rand",
        "GradientCheckError",
    ),
    (
        "a batch without the mean over its rows",
        "lambda v: cross_entropy(v, P_batch), lambda v: cross_entropy_grad(v, P_batch), Z_batch",
        "lambda v: cross_entropy(v, P_batch), lambda v: softmax(v) - P_batch, Z_batch",
        "GradientCheckError",
    ),
]


def test_every_derivation_checks_as_marked() -> None:
    problems = {k: v for k, v in checked_blocks(PAGE.read_text(encoding="utf-8")).items() if v}
    assert not problems, problems


@pytest.mark.parametrize(("label", "original", "wrong", "reason"), DERIVATION_MUTATIONS)
def test_a_wrong_line_in_a_derivation_is_caught(
    label: str, original: str, wrong: str, reason: str
) -> None:
    text = PAGE.read_text(encoding="utf-8")
    assert text.count(original) == 1, original
    problems = checked_blocks(text.replace(original, wrong))
    assert any(reason in p for p in problems[label]), problems[label]


@pytest.mark.parametrize("name", sorted(PAGES))
def test_the_thread_pages_link_here(name: str) -> None:
    text = (PAGE.parent.parent / PAGES[name]).read_text(encoding="utf-8")
    assert "{ref}`theory-gradient`" in text


@pytest.mark.slow
def test_the_page_runs(execute_page: Callable[..., None]) -> None:
    execute_page(PAGE.read_text(encoding="utf-8"))


@pytest.mark.slow
@pytest.mark.mutants
@pytest.mark.parametrize(
    ("original", "wrong", "reason"), [pytest.param(*m[1:], id=m[0]) for m in CELL_MUTATIONS]
)
def test_a_wrong_formula_in_a_cell_stops_the_page(
    original: str, wrong: str, reason: str, execute_page: Callable[..., None]
) -> None:
    import nbclient.exceptions  # noqa: PLC0415  (only the page tests need the notebook stack)

    text = PAGE.read_text(encoding="utf-8")
    assert text.count(original) == 1, original
    with pytest.raises(nbclient.exceptions.CellExecutionError, match=re.escape(reason)):
        execute_page(text.replace(original, wrong))
