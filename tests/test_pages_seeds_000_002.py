"""Thread pages 000-004: faithful to their threads, and every derivation on them checks as marked.

Three kinds of test:

- **Derivations** (fast, no Sphinx, no kernel): each page's ``{derivation}`` blocks are read and
  checked as the build checks them.
- **Shown numbers**: every number a page shows for a thread's line is that line's value.
- **Text**: the page cites its thread as the thread shows itself, names a site or an "accepted"
  answer only where the thread's text shows it, opens with its answer and ends with one What
  was checked box.

That every check on them bites (a thread's wrong formula put where the page has the right one,
the right one where the page shows a thread's wrong line, a wrong formula in a tab's snippet or
a numeric check) is in the mutation registry (``tools/mutants/pages.py``, ``nox -s mutants``);
``nox -s docs`` runs the pages as written. ``test_pages_seeds_003_004.py`` adds what only pages
003 and 004 need and checks the page design on all five.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from gradproof.derive.notation import point
from gradproof.examples import p_one_hot, p_run, z_run
from gradproof.functions import softmax
from gradproof.latex.checking import check_parsed
from gradproof.latex.markdown import block_mismatches, derivation_blocks, expected_false, read_block

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT.parent / "shared" / "seeds"
PAGES = {
    "000": "seeds/000-goodfellow-cross-entropy.md",
    "001": "seeds/001-derivative-of-softmax-loss.md",
    "002": "seeds/002-cross-entropy-logits.md",
    "003": "seeds/003-softmax-weight-matrix.md",
    "004": "seeds/004-softmax-vjp.md",
}

# What each page must say to cite its thread as the thread shows itself.
CITATIONS = {
    "000": [
        "Goodfellow, Bengio and Courville",
        "*Deep Learning*",
        "§6.5.9",
        "{quote}`000: Differentiation outside the Deep Learning Community`",
    ],
    "001": ["*Derivative of Softmax loss function*", "Mathematics Stack Exchange"],
    "002": ["{quote}`002: Stanford notes page 4 section(7)`"],
    # Neither 003 nor 004 shows a title or a site: each is cited by what its asker asks.
    "003": ["{quote}`003: with respect to the matrix`", "no title and no site"],
    "004": ["{quote}`004: some online course`", "no title and no site"],
}

# Words a page may use of its thread only when the thread's own text shows them.
SHOWN_ONLY = ["Mathematics Stack Exchange", "Cross Validated", "Stack Exchange", "accepted"]


# ---------------------------------------------------------------------------- derivations


def checked_blocks(text: str) -> dict[str, list[str]]:
    """Check every ``{derivation}`` of a page as the build does: label -> its problems."""
    out = {}
    for block in derivation_blocks(text):
        result = check_parsed(read_block(block))
        label = block.options.get("label", f"line {block.line}")
        out[label] = block_mismatches(result, expected_false(block.options.get("expect-false")))
    return out


def page(name: str) -> str:
    return (ROOT / "docs" / PAGES[name]).read_text(encoding="utf-8")


@pytest.mark.parametrize("name", sorted(PAGES))
def test_every_derivation_on_the_page_checks_as_marked(name: str) -> None:
    problems = {label: p for label, p in checked_blocks(page(name)).items() if p}
    assert not problems, problems


# -------------------------------------------------------------------------- shown numbers

# (page, block label, step, the NumPy expression the page shows for that line, names it uses)
SHOWN_LINES = [
    ("000", "seed000-second", 7, "-targets + targets * q_run", {"targets": p_run}),
    ("000", "seed000-second", 7, "-targets + targets * q_run", {"targets": p_one_hot}),
    ("000", "seed000-comment-p", 2, "-p_exp * np.log(q_run)", {"p_exp": np.exp(z_run)}),
    ("001", "seed001-asker", 3, "np.sum(p_soft * targets) - targets", {"targets": p_run}),
    ("001", "seed001-asker", 3, "np.sum(p_soft * targets) - targets", {"targets": p_one_hot}),
    ("002", "seed002-eq3", 1, "(n * e * e - e * e) / (n * e) ** 2", {"n": 3, "e": np.exp(z_run)}),
    ("002", "seed002-eq8", 2, "-y_hat + 2 * targets * y_hat - targets", {"targets": p_run}),
]


@pytest.mark.parametrize(
    ("name", "label", "step", "expression", "names"),
    [pytest.param(*s, id=f"{s[0]}: {s[1]} step {s[2]}") for s in SHOWN_LINES],
)
def test_the_numbers_shown_for_a_line_are_its_values(
    name: str, label: str, step: int, expression: str, names: dict[str, Any]
) -> None:
    text = page(name)
    assert expression in text, f"the page no longer computes {expression}"
    (block,) = [b for b in derivation_blocks(text) if b.options.get("label") == label]
    parsed = read_block(block)
    targets = names.get("targets", p_run)
    line = parsed.derivation().evaluate(step, 3, point(z_run, targets))
    # the names the pages' cells use for the softmax at the running example
    q = softmax(z_run)
    scope = {"np": np, "q_run": q, "p_soft": q, "y_hat": q, **names}
    shown = eval(expression, scope)  # an expression copied from the page, in known names
    np.testing.assert_allclose(shown, line, rtol=1e-12)


# ----------------------------------------------------------------------------------- text


@pytest.mark.parametrize("name", sorted(PAGES))
def test_the_page_cites_its_thread(name: str) -> None:
    text = " ".join(page(name).split())  # citations may wrap across lines
    for citation in CITATIONS[name]:
        assert citation in text, f"{PAGES[name]} does not cite {citation!r}"


@pytest.mark.parametrize("name", sorted(PAGES))
def test_a_site_or_accepted_answer_is_named_only_where_the_thread_shows_it(name: str) -> None:
    (thread_file,) = SEEDS.glob(f"{name}_*.txt")
    thread = thread_file.read_text(encoding="utf-8").casefold()
    text = " ".join(page(name).split()).casefold()
    for words in SHOWN_ONLY:
        if words.casefold() in text:
            assert words.casefold() in thread, f"{PAGES[name]} says {words!r}; its thread does not"


@pytest.mark.parametrize("name", sorted(PAGES))
def test_the_page_opens_with_its_answer(name: str) -> None:
    text = page(name)
    first_heading = re.search(r"^## ", text, re.MULTILINE)
    assert first_heading is not None
    head = text[: first_heading.start()]
    assert ":::{admonition} The answer" in head
    assert "```{derivation}" in head, "the answer is a checked derivation, not typed math"
    assert "{quote-math}" in head, "the answer quotes the thread's slip"


@pytest.mark.parametrize("name", sorted(PAGES))
def test_the_page_ends_with_one_what_was_checked(name: str) -> None:
    text = page(name)
    assert text.count("```{what-was-checked}") == 1
    assert text.rstrip().endswith("```{what-was-checked}\n:numeric: checks\n```")
