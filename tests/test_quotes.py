"""Every quotation marked on a page occurs in its thread, and the comparison bites.

The thread texts are not part of the repository (the project's text is its own); they are in
``../shared/seeds`` next to the clone for every developer and every CI run. A missing folder is a
failure, never a skip: a quotation nobody checked is exactly what this test exists to prevent.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import thread_quotes as tq

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
SEEDS = ROOT.parent / "shared" / "seeds"
THREAD_PAGES = sorted((DOCS / "seeds").glob("[0-9][0-9][0-9]-*.md"))


@pytest.fixture(scope="module")
def threads() -> dict[str, str]:
    if not SEEDS.is_dir():
        pytest.fail(
            f"the thread texts are missing: expected {SEEDS} (../shared/seeds of the clone)"
        )
    return {f.name[:3]: f.read_text(encoding="utf-8") for f in sorted(SEEDS.glob("*.txt"))}


def page_quotes() -> list[tq.Quote]:
    return [
        quote
        for page in sorted(DOCS.rglob("*.md"))
        for quote in tq.collect(page, str(page.relative_to(DOCS)))
    ]


def test_every_marked_quotation_occurs_in_its_thread(threads: dict[str, str]) -> None:
    quotes = page_quotes()
    assert quotes, "no page marks a quotation: the pages quote the threads through {quote}"
    wrong = [
        f"{q.source}:{q.line}: not in thread {q.thread}: {q.text!r}"
        for q in quotes
        if q.thread not in threads or not tq.occurs(q, threads[q.thread])
    ]
    assert not wrong, "\n".join(wrong)


@pytest.mark.parametrize("page", THREAD_PAGES, ids=lambda p: p.name[:3])
def test_each_thread_page_quotes_its_thread(page: Path) -> None:
    own = [q for q in tq.collect(page) if q.thread == page.name[:3]]
    assert own, f"{page.name} quotes nothing from its thread through {{quote}} or {{quote-math}}"


def test_there_are_five_thread_pages_and_five_threads(threads: dict[str, str]) -> None:
    assert (
        [p.name[:3] for p in THREAD_PAGES] == sorted(threads) == ["000", "001", "002", "003", "004"]
    )


# ---- the comparison forgives layout and scrape damage, and nothing else --------------------------

# (thread, quotation as a page would write it, math?)
FAITHFUL = [
    ("000", "Needs checking by a human mathematician", False),
    ("000", "needs checking", False),  # case and position in the sentence do not matter
    ("000", r"-p_i+p_iq_i", True),
    ("000", r"-p_i + p_i q_i", True),  # spaces are layout
    ("000", r"\frac{\partial}{\partial z_i}( -p_i\log q_i)", True),
    ("001", r"\frac{\partial L}{\partial o_i} = p_i - y_i", True),
    # 001's scrape ate \n of \neq and \r of \right: the repaired formula still matches
    ("001", r"-\left(y_i(1-p_i) + \sum_{k \neq i} -p_k y_k\right)", True),
    ("001", r"= \left(\sum_i p_i y_i\right) - y_i", True),
    ("002", r"\frac{\theta L }{\theta {x_j}} = 1(\hat{y_j} - y_j)", True),
    ("003", "not sure Antoni's result is correct", False),
    ("004", r"\vec{s} - \sum_j s_j \vec{y}", True),
]

# One word or one symbol changed in each.
MISQUOTED = [
    ("000", "Needs checking by a careful mathematician", False),
    ("000", r"-p_i-p_iq_i", True),
    ("000", r"-p_i + p_i q_j", True),
    ("001", r"\frac{\partial L}{\partial o_i} = p_i + y_i", True),
    ("001", r"-\left(y_i(1-p_i) + \sum_{k \neq i} -p_i y_k\right)", True),
    ("003", "so sure Antoni's result is correct", False),
    ("004", r"\vec{s} - \sum_j s_j \vec{x}", True),
]


@pytest.mark.parametrize(("thread", "text", "math"), FAITHFUL)
def test_a_faithful_quotation_is_found(
    threads: dict[str, str], thread: str, text: str, math: bool
) -> None:
    assert tq.occurs(tq.Quote("t", 1, thread, text, math), threads[thread])


@pytest.mark.parametrize(("thread", "text", "math"), MISQUOTED)
def test_a_misquotation_is_caught(
    threads: dict[str, str], thread: str, text: str, math: bool
) -> None:
    assert not tq.occurs(tq.Quote("t", 1, thread, text, math), threads[thread])


def test_a_page_quotation_with_one_word_changed_fails(threads: dict[str, str]) -> None:
    """Mutate each phrase quoted on the pages by one word: every mutant must be caught."""
    phrases = [q for q in page_quotes() if not q.math and len(q.text.split()) > 1]
    assert phrases, "no page quotes a phrase of two or more words"
    for q in phrases:
        words = q.text.split()
        words[-1] = "banana"
        mutant = tq.Quote(q.source, q.line, q.thread, " ".join(words), False)
        assert not tq.occurs(mutant, threads[q.thread]), f"{q.source}:{q.line} survives a misquote"


def test_the_markers_are_collected_from_a_page(tmp_path: Path) -> None:
    page = tmp_path / "p.md"
    page.write_text(
        "The answerer wrote {quote}`000: Needs checking`.\n"
        "It ends at {quote-math}`000: -p_i+p_iq_i`, and\n\n"
        "```{quote-math} 001\n"
        "\\frac{\\partial L}{\\partial o_i} = p_i - y_i\n"
        "```\n",
        encoding="utf-8",
    )
    assert [(q.line, q.thread, q.text, q.math) for q in tq.collect(page)] == [
        (1, "000", "Needs checking", False),
        (2, "000", "-p_i+p_iq_i", True),
        (4, "001", r"\frac{\partial L}{\partial o_i} = p_i - y_i", True),
    ]


@pytest.mark.parametrize("body", ["Needs checking", "0: x", "0000: x", "000:", "abc: x"])
def test_a_malformed_marker_names_the_expected_form(body: str) -> None:
    with pytest.raises(ValueError, match="NNN: text"):
        tq.split(body)
