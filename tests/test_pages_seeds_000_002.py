"""Thread pages 000-004: faithful to their threads, and every check on them bites.

Three kinds of test:

- **Derivations** (fast, no Sphinx, no kernel): each page's ``{derivation}`` blocks are read and
  checked as the build checks them. A mutation puts a thread's wrong formula where the page has
  the right one (the build must see an unexpected ✗), or the right formula where the page shows a
  thread's wrong line (the expected ✗ must be missing).
- **Cells** (slow): the page runs, and a mutation of its code (a tab's snippet, a numeric check)
  makes one of its hidden assertions fail.
- **Text**: the page cites its thread as the thread shows itself, names a site or an "accepted"
  answer only where the thread's text shows it, and every number it shows for a thread's line is
  that line's value.

``test_pages_seeds_003_004.py`` adds what only pages 003 and 004 need (their shown numbers are of
a weight matrix and an upstream gradient) and checks the page design on all five.
"""

from __future__ import annotations

import re
from collections.abc import Callable
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


# (page, block label, text on the page, its replacement, what the build must then report)
DERIVATION_MUTATIONS = [
    (
        "000",
        "seed000-grad",
        r"&= \left(\sum_j p_j\right) q_i - p_i && \text{definition of the softmax}",
        r"&= -p_i + p_i q_i && \text{definition of the softmax}",
        "step 3 (line 3) is false",
    ),
    (
        "000",
        "seed000-answer",
        r"&= \left(\sum_j p_j\right) q_i - p_i && \text{any targets}",
        r"&= q_i - p_i && \text{any targets}",
        "step 1 (line 1) is false",
    ),
    (
        "000",
        "seed000-key",
        r"&= \frac{e^{z_i}}{\sum_k e^{z_k}} && \text{chain rule}",
        r"&= e^{z_i} && \text{chain rule}",
        "step 1 (line 1) is false",
    ),
    (
        "000",
        "seed000-second",
        r"=\frac{\partial}{\partial z_i}( -p_i\log q_i)",
        r"=\frac{\partial}{\partial z_i}( -\sum_j p_j\log q_j)",
        "step 2 (line 2) was expected to be false but holds",
    ),
    (
        "000",
        "seed000-comment-q",
        r"\frac{\partial q_j}{\partial z_i} &= 0",
        r"\frac{\partial q_j}{\partial z_i} &= -q_i q_j",
        "step 1 (line 1) was expected to be false but holds",
    ),
    (
        "000",
        "seed000-first-without",
        r"\sum_{j=1}^np_j\log\left(\sum_{k=1}^ne^{z_k}\right) &= -\sum_{j=1}^np_jz_j+\log",
        r"\sum_{j=1}^np_j\log\left(\sum_{k=1}^ne^{z_k}\right) &= -\sum_{j=1}^np_jz_j+\sum_j p_j\log",
        "step 1 (line 1) was expected to be false but holds",
    ),
    (
        "001",
        "seed001-corrected",
        r"&= -y_i(1-p_i) + \sum_{k \ne i} y_k p_i && \text{each fraction cancels}",
        r"&= -y_i(1-p_i) + \sum_{k \ne i} y_k p_k && \text{each fraction cancels}",
        "step 4 (line 4) is false",
    ),
    (
        "001",
        "seed001-corrected",
        r"&= p_i \sum_k y_k - y_i && \text{collect the targets}",
        r"&= \left(\sum_i p_i y_i\right) - y_i && \text{collect the targets}",
        "step 5 (line 5) is false",
    ),
    (
        "001",
        "seed001-answer",
        r"&= p_i \sum_k y_k - y_i && \text{any targets}",
        r"&= p_i - y_i && \text{any targets}",
        "step 1 (line 1) is false",
    ),
    (
        "001",
        "seed001-asker",
        r"&= -\left(y_i(1-p_i) + \sum_{k\neq i} -p_k y_k\right) && \text{the asker}",
        r"&= -\left(y_i(1-p_i) + \sum_{k\neq i} -p_i y_k\right) && \text{the asker}",
        "step 1 (line 1) was expected to be false but holds",
    ),
    (
        "002",
        "seed002-corrected",
        r"&= \sum_{i \ne j} y_i \hat y_j + y_j \hat y_j - y_j && \text{minus times minus}",
        r"&= -\sum_{i \ne j} y_i \hat y_j + y_j \hat y_j - y_j && \text{minus times minus}",
        "step 3 (line 3) is false",
    ),
    (
        "002",
        "seed002-quotient",
        r"\frac{e^{\theta_i} \sum_k e^{\theta_k} - e^{\theta_i} e^{\theta_i}}",
        r"\frac{e^{\theta_i} \sum_k e^{\theta_i} - e^{\theta_i} e^{\theta_i}}",
        "step 1 (line 1) is false",
    ),
    (
        "002",
        "seed002-quotient-off",
        r"\frac{0 - e^{\theta_i} e^{\theta_j}}",
        r"\frac{0 - e^{\theta_i} e^{\theta_i}}",
        "step 1 (line 1) is false",
    ),
    (
        "002",
        "seed002-answer",
        r"&= \hat y_j \sum_i y_i - y_j && \text{any targets}",
        r"&= \hat y_j - y_j && \text{any targets}",
        "step 1 (line 1) is false",
    ),
    (
        "002",
        "seed002-eq8",
        r"&= - \sum_{i\neq{j}} y_i\hat{y_j} + \sum_{i=j} y_i\hat{y_i} - y_j && \text{eq. (8)}",
        r"&= \sum_{i\neq{j}} y_i\hat{y_j} + \sum_{i=j} y_i\hat{y_i} - y_j && \text{eq. (8)}",
        "step 2 (line 1) was expected to be false but holds",
    ),
    (
        "002",
        "seed002-eq1",
        r"\hat{y_i} &= \frac{\exp^{x{_i}}}{\sum_{k}\exp^{x_{i}}}",
        r"\hat{y_i} &= \frac{\exp^{x{_i}}}{\sum_{k}\exp^{x_{k}}}",
        "step 1 (line 1) was expected to be false but holds",
    ),
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


# ---------------------------------------------------------------------------------- cells

# (page, id, code on the page, the wrong version, the error that must stop the page)
CELL_MUTATIONS = [
    (
        "000",
        "NumPy tab without the factor sum(P)",
        "return (P.sum(axis=1, keepdims=True) * Q - P) / len(Z)",
        "return (Q - P) / len(Z)",
        "NumPy tab, targets, vs gradproof",
    ),
    ("000", "NumPy tab, labels not divided by N", "    dZ /= N\n", "", "NumPy tab, labels"),
    (
        "000",
        "JAX tab without the mean over rows",
        "return -jnp.sum(P * jax.nn.log_softmax(Z, axis=1)) / Z.shape[0]",
        "return -jnp.sum(P * jax.nn.log_softmax(Z, axis=1))",
        "JAX tab vs gradproof",
    ),
    (
        "000",
        "the second answer's formula replaced by the gradient",
        "lambda v: -p_run + p_run * functions.softmax(v),",
        "lambda v: functions.softmax(v) - p_run,",
        "assert not failed.ok",
    ),
    (
        "001",
        "NumPy tab without the factor sum(Y)",
        "return (Y.sum(axis=1, keepdims=True) * P - Y) / len(O)",
        "return (P - Y) / len(O)",
        "NumPy tab, targets, vs gradproof",
    ),
    (
        "001",
        "labels at the wrong class",
        "dO[np.arange(N), labels] -= 1",
        "dO[np.arange(N), labels - 1] -= 1",
        "NumPy tab, labels",
    ),
    (
        "001",
        "the asker's result replaced by the gradient",
        "lambda v: np.sum(functions.softmax(v) * y_run) - y_run,",
        "lambda v: np.sum(y_run) * functions.softmax(v) - y_run,",
        "assert not failed.ok",
    ),
    (
        "002",
        "NumPy tab without the mean over rows",
        "return (Y.sum(axis=1, keepdims=True) * Y_hat - Y) / len(Theta)",
        "return Y.sum(axis=1, keepdims=True) * Y_hat - Y",
        "NumPy tab, targets, vs gradproof",
    ),
    (
        "002",
        "JAX tab with the targets' sum left out",
        "return -jnp.sum(Y * jax.nn.log_softmax(Theta, axis=1)) / Theta.shape[0]",
        "return -jnp.sum(Y * jax.nn.log_softmax(Theta, axis=1)) / Y.sum()",
        "JAX tab vs gradproof",
    ),
    (
        "002",
        "eq. (8)'s sign restored in its consequence",
        "lambda v: -functions.softmax(v) + 2 * y_run * functions.softmax(v) - y_run,",
        "lambda v: functions.softmax(v) - y_run,",
        "assert not failed.ok",
    ),
    (
        "002",
        "targets summing to 2 given q - p",
        "lambda v: gradients.cross_entropy_grad(v, y_two),",
        "lambda v: functions.softmax(v) - y_two,",
        "GradientCheckError",
    ),
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
