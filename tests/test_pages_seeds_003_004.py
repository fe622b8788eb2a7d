"""Thread pages 003 (weight matrix) and 004 (vector-Jacobian product): faithful, and every check bites.

The same three kinds of test as for 000-002 (``test_pages_seeds_000_002.py``, whose helpers are
reused):

- **Derivations** (fast, no Sphinx, no kernel): a thread's wrong formula put where the page has a
  right one must show as an unexpected ✗; a right formula put where the page shows a thread's
  wrong line must make the expected ✗ disappear.
- **Cells** (slow): the page runs, and a wrong snippet or a wrong formula in a numeric check stops
  it at the assertion that guards it.
- **Text**: the page cites its thread as the thread shows itself, opens with its answer, and the
  numbers it shows for a thread's line are that line's values.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
import sympy as sp
from test_pages_seeds_000_002 import SEEDS, SHOWN_ONLY, checked_blocks

from gradproof.derive import Derivation
from gradproof.derive.notation import W, d, g, i, x, z
from gradproof.examples import p_run, z_run
from gradproof.functions import softmax
from gradproof.gradients import softmax_vjp, softmax_weight_jacobian
from gradproof.latex.markdown import derivation_blocks, read_block

ROOT = Path(__file__).resolve().parent.parent
PAGES = {
    "003": "seeds/003-softmax-weight-matrix.md",
    "004": "seeds/004-softmax-vjp.md",
}

# Neither thread shows a title or a site: each page cites its thread by what the asker asks.
CITATIONS = {
    "003": ["{quote}`003: with respect to the matrix`", "no title and no site"],
    "004": ["{quote}`004: some online course`", "no title and no site"],
}

# The running example of page 003 as a layer: rows w_1, w_2, w_3 and the input x give z = (1, 2, 3).
W_EX = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
X_EX = np.array([1.0, 2.0])


def page(name: str) -> str:
    return (ROOT / "docs" / PAGES[name]).read_text(encoding="utf-8")


def derivation(name: str, label: str) -> Derivation:
    (block,) = [b for b in derivation_blocks(page(name)) if b.options.get("label") == label]
    return read_block(block).derivation()


# ---------------------------------------------------------------------------- derivations

# (page, block label, text on the page, its replacement, what the build must then report)
DERIVATION_MUTATIONS = [
    (
        "003",
        "seed003-answer",
        r"&= \sigma(j)\left(\delta_{ij}-\sigma(i)\right)\mathbf x && \text{one row, any i and j}",
        r"&= 0 && \text{one row, any i and j}",
        "step 1 (line 1) is false",
    ),
    (
        "003",
        "seed003-answer-loss",
        r"&= \left(\sigma(i) \sum_k p_k - p_i\right)\mathbf x && \text{cross-entropy, any targets}",
        r"&= \left(\sigma(i) - p_i\right)\mathbf x && \text{cross-entropy, any targets}",
        "step 1 (line 1) is false",
    ),
    (
        "003",
        "seed003-weight",
        r"&= \sigma(j)\left(\delta_{ij}-\sigma(i)\right)\mathbf x && \text{the delta picks k = i}",
        r"&= \delta_{ij}\,\sigma(j)\,\mathbf x && \text{the delta picks k = i}",
        "step 3 (line 3) is false",
    ),
    (
        "003",
        "seed003-loss",
        r"&= \left(\sigma(i) \sum_m p_m - p_i\right)\mathbf x && \text{the delta picks k = i}",
        r"&= \left(\sigma(i) - p_i\right)\mathbf x && \text{the delta picks k = i}",
        "step 3 (line 3) is false",
    ),
    (
        # Read with respect to all rows at once, the asker's first step holds.
        "003",
        "seed003-asker",
        r"\frac{\partial p(a)}{\partial w} &=",
        r"\Sigma_{c} \frac{\partial p(a)}{\partial \mathbf w_c} &=",
        "step 1 (line 1) was expected to be false but holds",
    ),
    (
        # Without the sum over the rows, the all-rows reading is the asker's slip again.
        "003",
        "seed003-all-rows",
        r"\Sigma_{c} \frac{\partial p(a)}{\partial \mathbf w_c} &=",
        r"\frac{\partial p(a)}{\partial \mathbf w_c} &=",
        "step 1 (line 1) is false",
    ),
    (
        "003",
        "seed003-without-denominator",
        r"&= \delta_{ij}\,\sigma(j)\,\mathbf x && \text{the denominator held fixed}",
        r"&= \sigma(j)\left(\delta_{ij}-\sigma(i)\right)\mathbf x && \text{the denominator held fixed}",
        "step 1 (line 1) was expected to be false but holds",
    ),
    (
        "003",
        "seed003-second",
        r"&= \sum_k \sigma(j)\left(\delta_{jk}-\sigma(k)\right)\delta_{ik} \mathbf{x}",
        r"&= \sum_k \sigma(j)\left(\delta_{jk}-\sigma(j)\right)\delta_{ik} \mathbf{x}",
        "step 3 (line 3) is false",
    ),
    (
        "004",
        "seed004-answer",
        r"&= s_i - \left(\sum_j s_j\right) y_i && \text{any loss L of y}",
        r"&= s_i - \sum_j s_j && \text{any loss L of y}",
        "step 1 (line 1) is false",
    ),
    (
        "004",
        "seed004-corrected",
        r"&= s_i - \left(\sum_j s_j\right) y_i && \text{definition of s}",
        r"&= s_i - \sum_j s_j && \text{definition of s}",
        "step 4 (line 4) is false",
    ),
    (
        "004",
        "seed004-slide",
        r"&= \vec{s} - \sum_j s_j && \text{the slide}",
        r"&= \vec{s} - \sum_j s_j \vec{y} && \text{the slide}",
        "step 1 (line 1) was expected to be false but holds",
    ),
    (
        "004",
        "seed004-broadcast",
        r"&= s_i - \sum_j s_j && \text{what s - s.sum() computes}",
        r"&= s_i - \left(\sum_j s_j\right) y_i && \text{what s - s.sum() computes}",
        "step 1 (line 1) was expected to be false but holds",
    ),
    (
        "004",
        "seed004-asker-vector",
        r"= \vec{s} - \sum_j s_j \vec{y} && \text{the asker, as vectors}",
        r"= \vec{s} - \sum_j s_j && \text{the asker, as vectors}",
        "step 2 (line 1) is false",
    ),
    (
        "004",
        "seed004-matrix",
        r"&= \sum_j \sum_k \left(\delta_{ik} - y_i\right) y_k \delta_{kj}",
        r"&= \sum_j \sum_k \left(\delta_{ik} - y_k\right) y_k \delta_{kj}",
        "step 3 (line 3) is false",
    ),
    (
        "004",
        "seed004-slide-sum",
        r"&= (1 - n) \sum_j s_j && \text{n copies of the sum}",
        r"&= 0 && \text{n copies of the sum}",
        "step 1 (line 1) is false",
    ),
]


@pytest.mark.parametrize("name", sorted(PAGES))
def test_every_derivation_on_the_page_checks_as_marked(name: str) -> None:
    problems = {label: p for label, p in checked_blocks(page(name)).items() if p}
    assert not problems, problems


@pytest.mark.parametrize(
    ("name", "label", "original", "wrong", "reason"),
    [pytest.param(*m, id=f"{m[0]}: {m[1]}") for m in DERIVATION_MUTATIONS],
)
def test_a_wrong_line_put_in_a_derivation_is_caught(
    name: str, label: str, original: str, wrong: str, reason: str
) -> None:
    text = page(name)
    assert text.count(original) == 1, f"the snippet must occur exactly once: {original}"
    problems = checked_blocks(text.replace(original, wrong))
    assert any(reason in p for p in problems[label]), problems[label]
    others = {k: v for k, v in problems.items() if v and k != label}
    assert not others, others


# -------------------------------------------------------------------------- shown numbers


def test_003_the_askers_line_is_the_zero_the_page_checks() -> None:
    """The page feeds np.zeros((K, K, D)) to the check as the asker's line; its truth is the
    weight Jacobian. Both are the thread's line evaluated at the running example."""
    text = page("003")
    assert "lambda w: np.zeros((K, K, D_ex))" in text
    assert "gradients.softmax_weight_jacobian(w, x_ex)" in text
    asker = derivation("003", "seed003-asker")
    (a,) = [s for s in asker.exprs[0].atoms(sp.Symbol) if s.name == "a"]
    values = {W: W_EX, x: X_EX}
    lhs = asker.evaluate(0, 3, values, order=[a, i, d], D=2)
    # The fraction has no row index: the asker's single w stands for every row.
    fraction = asker.evaluate(1, 3, values, order=[a, d], D=2)
    np.testing.assert_allclose(lhs, softmax_weight_jacobian(W_EX, X_EX), rtol=1e-12)
    np.testing.assert_array_equal(fraction, np.zeros((3, 2)))


@pytest.mark.parametrize("upstream", ["cross-entropy", "random"])
def test_004_the_numbers_shown_for_the_slide_are_its_values(upstream: str) -> None:
    text = page("004")
    assert "shown = s_vec - s_vec.sum()" in text
    assert "dy_rand = np.random.default_rng(4).normal(size=3)" in text
    y_run = softmax(z_run)
    dl_dy = (
        -p_run / y_run if upstream == "cross-entropy" else np.random.default_rng(4).normal(size=3)
    )
    slide = derivation("004", "seed004-slide")
    values = {z: z_run, g: dl_dy}
    s_vec = dl_dy * y_run
    np.testing.assert_allclose(s_vec - s_vec.sum(), slide.evaluate(1, 3, values), rtol=1e-12)
    np.testing.assert_allclose(softmax_vjp(z_run, dl_dy), slide.evaluate(0, 3, values), rtol=1e-12)


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


def test_003_credits_the_objection_the_edit_note_answers() -> None:
    """The second answer's doubt was valid against the first answer's earlier version."""
    text = " ".join(page("003").split())
    assert "the changes in the denominator of the softmax had been left out" in text
    assert "the objection was valid" in text
    assert "Yuntai Kyong" in text


@pytest.mark.parametrize("name", sorted(PAGES))
def test_the_page_opens_with_its_answer(name: str) -> None:
    text = page(name)
    first_heading = re.search(r"^## ", text, re.MULTILINE)
    assert first_heading is not None
    head = text[: first_heading.start()]
    assert ":::{admonition} The answer" in head
    assert "```{derivation}" in head, "the answer is a checked derivation, not typed math"
    assert "{quote-math}" in head, "the answer quotes the thread's slip"
    assert 'html_meta:\n    "description lang=en":' in head


@pytest.mark.parametrize("name", sorted(PAGES))
def test_the_sections_are_those_of_every_thread_page(name: str) -> None:
    sections = re.findall(r"^## (.+)$", page(name), re.MULTILINE)
    assert sections == ["The corrected derivation", "Code to copy", "The thread, line by line"]


@pytest.mark.parametrize("name", sorted(PAGES))
def test_the_page_ends_with_one_what_was_checked(name: str) -> None:
    text = page(name)
    assert text.count("```{what-was-checked}") == 1
    assert text.rstrip().endswith("```{what-was-checked}\n:numeric: checks\n```")


@pytest.mark.parametrize("name", sorted(PAGES))
def test_the_notebook_starts_with_how_to_install(name: str) -> None:
    first_cell = page(name).split("```{code-cell} python", 1)[1]
    assert first_cell.split("\n")[2].startswith("# To run this notebook: pip install gradproof")


@pytest.mark.parametrize("name", sorted(PAGES))
def test_the_numpy_tab_imports_no_gradproof(name: str) -> None:
    cell = page(name).split(":tags: [code-numpy]", 1)[1].split("```", 1)[0]
    assert "import numpy as np" in cell
    assert "gradproof" not in cell


# ---------------------------------------------------------------------------------- cells

# (page, id, code on the page, the wrong version, the error that must stop the page)
CELL_MUTATIONS = [
    (
        "003",
        "NumPy tab without the factor sum(P)",
        "dZ = (P.sum(axis=1, keepdims=True) * Q - P) / len(X)",
        "dZ = (Q - P) / len(X)",
        "NumPy tab, targets, vs gradproof",
    ),
    ("003", "NumPy tab, labels not divided by N", "    dZ /= N\n", "", "NumPy tab, labels"),
    (
        "003",
        "NumPy tab, labels at the wrong class",
        "dZ[np.arange(N), y] -= 1",
        "dZ[np.arange(N), y - 1] -= 1",
        "NumPy tab, labels",
    ),
    (
        "003",
        "JAX tab without the mean over rows",
        "return -jnp.sum(P * jax.nn.log_softmax(X @ W, axis=1)) / X.shape[0]",
        "return -jnp.sum(P * jax.nn.log_softmax(X @ W, axis=1))",
        "JAX tab vs gradproof",
    ),
    (
        "003",
        "the asker's 0 replaced by the weight derivative",
        "lambda w: functions.softmax(w @ x_ex), lambda w: np.zeros((K, K, D_ex)), W_ex,",
        (
            "lambda w: functions.softmax(w @ x_ex),"
            " lambda w: gradients.softmax_weight_jacobian(w, x_ex), W_ex,"
        ),
        "assert not asker_zero.ok",
    ),
    (
        "003",
        "the all-rows direction replaced by a generic one",
        'directions = {"all rows moved by v": np.tile(v, (K, 1)),',
        'directions = {"all rows moved by v": rng.normal(size=(K, D_ex)),',
        "assert abs(values[0]) < 1e-15",
    ),
    (
        "004",
        "NumPy tab without the factor y",
        "return s - s.sum(axis=-1, keepdims=True) * y",
        "return s - s.sum(axis=-1, keepdims=True)",
        "NumPy tab, batch of 5, vs gradproof",
    ),
    (
        "004",
        "NumPy tab, Jacobian without its outer product",
        "jacobian = np.diag(y) - np.outer(y, y)",
        "jacobian = np.diag(y)",
        "NumPy tab, Jacobian form",
    ),
    (
        "004",
        "JAX tab differentiating the log-softmax",
        "y, backward = jax.vjp(jax.nn.softmax, x)",
        "y, backward = jax.vjp(jax.nn.log_softmax, x)",
        "JAX tab, batch of 5, vs gradproof",
    ),
    (
        "004",
        "the slide replaced by the product",
        "failed = check.check_vjp(functions.softmax, slide, x_run, dy_ce, raise_on_fail=False)",
        (
            "failed = check.check_vjp(functions.softmax, gradients.softmax_vjp, x_run, dy_ce,"
            " raise_on_fail=False)"
        ),
        "assert not failed.ok",
    ),
]


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(PAGES))
def test_the_page_runs(name: str, execute_page: Callable[..., None]) -> None:
    execute_page(page(name))


@pytest.mark.slow
@pytest.mark.mutants
@pytest.mark.parametrize(
    ("name", "original", "wrong", "reason"),
    [pytest.param(m[0], m[2], m[3], m[4], id=f"{m[0]}: {m[1]}") for m in CELL_MUTATIONS],
)
def test_a_wrong_formula_in_a_cell_stops_the_page(
    name: str, original: str, wrong: str, reason: str, execute_page: Callable[..., None]
) -> None:
    import nbclient.exceptions  # noqa: PLC0415  (only the page tests need the notebook stack)

    text = page(name)
    assert text.count(original) == 1, f"the snippet must occur exactly once: {original}"
    with pytest.raises(nbclient.exceptions.CellExecutionError, match=re.escape(reason)):
        execute_page(text.replace(original, wrong))
