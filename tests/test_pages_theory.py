"""The landing and theory pages fail when a key formula is made wrong (``nox -s docs`` runs
them as written).

Every mutation replaces a snippet that must occur exactly once in the page source, so a page
edit that moves or rewrites the snippet makes the test fail loudly instead of passing vacuously.
A wrong line in a ``{derivation}`` block is caught by ``gradproof check`` on the page (the
build's directive reads and verifies it the same way); a wrong formula in a cell stops the page.
"""

from __future__ import annotations

from collections.abc import Callable

import nbclient.exceptions
import pytest

PAGES = [
    "index.md",
    "theory/softmax-jacobian.md",
    "theory/stable-computation.md",
    "theory/beyond.md",
    "theory/how-we-check.md",
]

# (page, correct line of a {derivation} block, wrong replacement, what the wrong version claims)
DERIVATION_MUTATIONS = [
    (
        "theory/softmax-jacobian.md",
        r"&= q_i \delta_{ij} - q_i q_j && \text{split the fraction}",
        r"&= q_i \delta_{ij} - q_i^2 \delta_{ij} && \text{split the fraction}",
        "Jacobian diag(q) - q**2 elementwise (off-diagonal terms dropped)",
    ),
    (
        "theory/softmax-jacobian.md",
        r"&= q_i (1 - q_i) && \text{the $q_j$ sum to $1$}",
        r"&= \frac{q_i (1 - q_i)}{2} && \text{the $q_j$ sum to $1$}",
        "Gershgorin radius halved",
    ),
    (
        "theory/softmax-jacobian.md",
        r"&= 1 - \sum_i q_i^2 && \text{the $q_i$ sum to $1$}",
        r"&= 1 - \sum_i q_i && \text{the $q_i$ sum to $1$}",
        "trace 1 - sum q",
    ),
    (
        "theory/softmax-jacobian.md",
        r"&= \sum_i q_i \left(v_i - \sum_k q_k v_k\right)^2 && \text{a variance under $q$}",
        r"&= \sum_i q_i v_i^2 && \text{a variance under $q$}",
        "quadratic form without the mean",
    ),
    (
        "theory/beyond.md",
        r"&= \left(\sum_k p_k\right)\left(q_i \delta_{ij} - q_i q_j\right) && \text{the softmax Jacobian}",
        r"&= q_i \delta_{ij} - q_i q_j && \text{the softmax Jacobian}",
        "symbolic Hessian without the sum(p) factor",
    ),
    (
        "theory/beyond.md",
        r"&= \frac{1}{T}\left(\left(\sum_j p_j\right) \frac{e^{z_i / T}}{\sum_k e^{z_k / T}} - p_i\right)",
        r"&= \frac{1}{T^2}\left(\left(\sum_j p_j\right) \frac{e^{z_i / T}}{\sum_k e^{z_k / T}} - p_i\right)",
        "temperature gradient with 1/T^2 for fixed targets",
    ),
    (
        "theory/beyond.md",
        r"&= q_i - (1 - \varepsilon)\delta_{ic} - \frac{\varepsilon}{n}",
        r"&= q_i - (1 - \varepsilon)\delta_{ic}",
        "label smoothing without the uniform part",
    ),
    (
        "theory/stable-computation.md",
        r"&= \log \sum_k e^{z_k} + c && \text{log of a product}",
        r"&= \log \sum_k e^{z_k} && \text{log of a product}",
        "log-sum-exp shift invariance (the textbook exercise)",
    ),
    (
        "theory/stable-computation.md",
        r"&= \log \sum_k e^{z_k} && \text{claimed: a shift changes nothing}",
        r"&= \log \sum_k e^{z_k} + c && \text{claimed: a shift changes nothing}",
        "the exercise's claim replaced by the truth: its expected ✗ must notice",
    ),
    (
        "theory/stable-computation.md",
        r"\frac{e^{z_i + c}}{\sum_k e^{z_k + c}} &= \frac{e^{z_i}}{\sum_k e^{z_k}}",
        r"\frac{e^{z_i + c}}{\sum_k e^{z_k + c}} &= \frac{e^{z_i + c}}{\sum_k e^{z_k}}",
        "softmax shift with the factor cancelled only below",
    ),
    (
        "index.md",
        "\\frac{\\partial J}{\\partial z_i} &= \\left(\\sum_j p_j\\right) q_i - p_i",
        "\\frac{\\partial J}{\\partial z_i} &= q_i - p_i",
        "the answer without the factor sum(p), for any targets",
    ),
    (
        "index.md",
        "\\frac{\\partial J}{\\partial z_i} &= q_i - p_i",
        "\\frac{\\partial J}{\\partial z_i} &= p_i - q_i",
        "q - p with the sign flipped",
    ),
    (
        "index.md",
        "&= -p_i + \\sum_j p_j \\frac{e^{z_i}}{\\sum_k e^{z_k}}",
        "&= -p_i + p_i \\frac{e^{z_i}}{\\sum_k e^{z_k}}",
        "thread 000's one-term step in the derivation",
    ),
    (
        "index.md",
        "&= q_i - \\delta_{ic}",
        "&= \\delta_{ic} - q_i",
        "one-hot gradient with the sign flipped",
    ),
    (
        "index.md",
        "&= \\frac{e^{z_i}}{\\sum_k e^{z_k}} && \\text{only the term $k = i$ depends on $z_i$}",
        "&= e^{z_i} && \\text{only the term $k = i$ depends on $z_i$}",
        "log-sum-exp's gradient as the exponential alone",
    ),
    (
        "index.md",
        "&= \\sum_j p_j \\log p_j + J",
        "&= \\sum_j p_j \\log p_j - J",
        "the divergence as the entropy minus J",
    ),
]

# (page, correct snippet, wrong replacement, what the wrong version claims)
MUTATIONS = [
    (
        "theory/softmax-jacobian.md",
        "    return np.diag(q) - np.diag(q**2)",
        "    return np.diag(q) - np.outer(q, q)",
        "the elementwise Jacobian replaced by the right one: the page must notice",
    ),
    (
        "theory/softmax-jacobian.md",
        "np.linalg.matrix_rank(softmax_jacobian(at_gap(g)))",
        "np.linalg.matrix_rank(softmax_jacobian(at_gap(g)), tol=1e-320)",
        "a numerical rank that waits for underflow (the page's old claim)",
    ),
    (
        "theory/stable-computation.md",
        "lhs, rhs = logsumexp(zz + cc), logsumexp(zz) + cc",
        "lhs, rhs = logsumexp(zz + cc), logsumexp(zz)",
        "numeric log-sum-exp invariance",
    ),
    (
        "theory/beyond.md",
        "    return p_un.sum() * softmax_jacobian(zz)",
        "    return softmax_jacobian(zz)",
        "Hessian without the sum(p) factor, unnormalised targets",
    ),
    (
        "theory/beyond.md",
        "lambda zz, t=T_value: cross_entropy_grad(zz / t, p_un) / t,",
        "lambda zz, t=T_value: cross_entropy_grad(zz / t, p_un),",
        "temperature gradient without the 1/T factor",
    ),
    (
        "theory/beyond.md",
        "softmax(z_run / t) - p_one_hot) for t in temperatures",
        "softmax(z_run / t) - softmax(teacher / t)) for t in temperatures",
        "fixed targets that flatten with T: then q_T - p would not grow",
    ),
    (
        "theory/beyond.md",
        'Step(sigmoid(u) - p[1], "$p_1 + p_2 = 1$")',
        'Step(sigmoid(u) - p[2], "$p_1 + p_2 = 1$")',
        "binary cross-entropy derivative sigma(u) - p_2",
    ),
    (
        "theory/how-we-check.md",
        'ORDERS = {"forward": 1, "central": 2, "richardson": 4, "complex": 2}',
        'ORDERS = {"forward": 1, "central": 1, "richardson": 4, "complex": 2}',
        "central difference claimed first order",
    ),
    (
        "theory/how-we-check.md",
        "lambda zz, t=ps: -t + t * softmax(zz), z_run,",
        "lambda zz, t=ps: t.sum() * softmax(zz) - t, z_run,",
        "the 'wrong' gradient replaced by the right one: the page must notice",
    ),
    (
        "index.md",
        "grad = p.sum() * q - p  # dJ/dz",
        "grad = -p + p * q  # dJ/dz",
        "thread 000's one-term gradient in the NumPy snippet",
    ),
    (
        "index.md",
        "q /= q.sum()  # softmax",
        "q /= q.max()  # softmax",
        "a softmax that forgets to normalise",
    ),
    (
        "index.md",
        "z_next = z_run - rate * grad_label",
        "z_next = z_run + rate * grad_label",
        "a step that lowers the true class's logit",
    ),
    (
        "index.md",
        "divergence = np.sum(p_run * np.log(p_run / q_run))",
        "divergence = np.sum(p_run * np.log(q_run / p_run))",
        "the divergence with q and p swapped",
    ),
    (
        "index.md",
        "backward = softmax_jacobian(z_run).T @ upstream",
        "backward = q_run * upstream",
        "the chain rule through the softmax without its Jacobian",
    ),
]


def mutated(text: str, right: str, wrong: str, page: str) -> str:
    """`text` with `right` replaced by `wrong`; `right` must occur exactly once.

    A page edit that moves or rewrites the snippet then fails loudly instead of letting the
    mutation test pass vacuously.
    """
    assert text.count(right) == 1, f"snippet not found exactly once in {page}: {right!r}"
    return text.replace(right, wrong)


@pytest.mark.slow
@pytest.mark.parametrize(
    ("page", "right", "wrong"),
    [pytest.param(page, right, wrong, id=why) for page, right, wrong, why in MUTATIONS],
)
def test_wrong_formula_fails_page(
    page: str, right: str, wrong: str, execute_page: Callable[..., None], page_text: Callable
) -> None:
    with pytest.raises(nbclient.exceptions.CellExecutionError) as failure:
        execute_page(mutated(page_text(page), right, wrong, page))
    # A check must reject the formula; a NameError from a broken substitution would not count.
    assert failure.value.ename in {"AssertionError", "GradientCheckError"}, failure.value


# how-we-check.md explains the checkers; its derivations are being rewritten separately.
PAGES_WITH_DERIVATION_BLOCKS = [page for page in PAGES if page != "theory/how-we-check.md"]


@pytest.mark.parametrize("page", PAGES_WITH_DERIVATION_BLOCKS)
def test_page_derivations_hold(
    page: str, page_text: Callable[[str], str], derivations_status: Callable[[str], int]
) -> None:
    text = page_text(page)
    assert "```{derivation}" in text
    assert derivations_status(text) == 0


@pytest.mark.parametrize(
    ("page", "right", "wrong"),
    [pytest.param(page, right, wrong, id=why) for page, right, wrong, why in DERIVATION_MUTATIONS],
)
def test_wrong_derivation_line_is_caught(
    page: str, right: str, wrong: str, page_text: Callable, derivations_status: Callable
) -> None:
    assert derivations_status(mutated(page_text(page), right, wrong, page)) == 1


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
