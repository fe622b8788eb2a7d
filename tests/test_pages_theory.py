"""The four theory pages execute cleanly, and each fails when a key formula is made wrong.

Every mutation replaces a snippet that must occur exactly once in the page source, so a page
edit that moves or rewrites the snippet makes the test fail loudly instead of passing vacuously.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

nbclient = pytest.importorskip("nbclient")

PAGES = [
    "theory/softmax-jacobian.md",
    "theory/stable-computation.md",
    "theory/beyond.md",
    "theory/how-we-check.md",
]

# (page, correct snippet, wrong replacement, what the wrong version claims)
MUTATIONS = [
    (
        "theory/softmax-jacobian.md",
        'Step(q(i) * KroneckerDelta(i, j) - q(i) * q(j), "split the fraction")',
        'Step(q(i) * KroneckerDelta(i, j) - q(i) ** 2 * KroneckerDelta(i, j), "split the fraction")',
        "Jacobian diag(q) - q**2 elementwise (off-diagonal terms dropped)",
    ),
    (
        "theory/softmax-jacobian.md",
        'Step(q(i) * (1 - q(i)), "the q_j sum to 1")',
        'Step(q(i) * (1 - q(i)) / 2, "the q_j sum to 1")',
        "Gershgorin radius halved",
    ),
    (
        "theory/stable-computation.md",
        'Step(sp.log(sum_exp) + c, "log of a product")',
        'Step(sp.log(sum_exp), "log of a product")',
        "log-sum-exp shift invariance (the textbook exercise)",
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
        'Step(sum_p * (q(i) * KroneckerDelta(i, j) - q(i) * q(j)), "the softmax Jacobian")',
        'Step(q(i) * KroneckerDelta(i, j) - q(i) * q(j), "the softmax Jacobian")',
        "symbolic Hessian without the sum(p) factor",
    ),
    (
        "theory/beyond.md",
        "lambda zz, t=T_value: cross_entropy_grad(zz / t, p_un) / t,",
        "lambda zz, t=T_value: cross_entropy_grad(zz / t, p_un),",
        "temperature gradient without the 1/T factor",
    ),
    (
        "theory/beyond.md",
        'Step(sigmoid(u) - p[1], "p_1 + p_2 = 1")',
        'Step(sigmoid(u) - p[2], "p_1 + p_2 = 1")',
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
]


@pytest.mark.slow
@pytest.mark.parametrize("page", PAGES)
def test_page_executes_clean(
    page: str, execute_page: Callable[..., None], page_text: Callable[[str], str]
) -> None:
    execute_page(page_text(page))


@pytest.mark.slow
@pytest.mark.parametrize(
    ("page", "right", "wrong"),
    [pytest.param(page, right, wrong, id=why) for page, right, wrong, why in MUTATIONS],
)
def test_wrong_formula_fails_page(
    page: str,
    right: str,
    wrong: str,
    execute_page: Callable[..., None],
    page_text: Callable[[str], str],
) -> None:
    text = page_text(page)
    assert text.count(right) == 1, f"snippet not found exactly once in {page}: {right!r}"
    mutated = text.replace(right, wrong)
    assert mutated != text
    with pytest.raises(nbclient.exceptions.CellExecutionError):
        execute_page(mutated)


@pytest.mark.parametrize("page", PAGES)
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
    assert "## What was checked" in text
    assert "```{doctest}" in text
