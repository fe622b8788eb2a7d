"""Seed pages 000-002 cite their threads and fail when a thread's error returns (``nox -s docs``
runs them as written).

Each mutation puts one of the thread's wrong formulas back where the page has the corrected one
(a plain string substitution in the page source) and expects the page's own checks to stop it:
a ``Derivation`` that no longer verifies, or a gradient check that no longer passes.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

PAGES = {
    "000": "seeds/000-goodfellow-cross-entropy.md",
    "001": "seeds/001-derivative-of-softmax-loss.md",
    "002": "seeds/002-cross-entropy-logits.md",
}

CITATIONS = {
    "000": [
        "Mathematics Stack Exchange",
        "*Deep Learning*",
        "§6.5.9",
        "Differentiation outside the Deep Learning Community",
        "Goodfellow, Bengio and Courville",
    ],
    "001": ["Mathematics Stack Exchange", "*Derivative of Softmax loss function*"],
    "002": [
        "Cross Validated",
        "gradient of the cross-entropy loss with respect to the logits",
    ],
}

NUMERIC_CHECK = (
    "passed = check_gradient(\n"
    "    lambda v: cross_entropy(v, p_run), lambda v: cross_entropy_grad(v, p_run), z_run\n"
    ")"
)

# (page, id, corrected snippet on the page, the thread's wrong version, what must stop it)
MUTATIONS = [
    (
        "000",
        "second answer's -p_i + p_i q_i as the gradient",
        'Step(total(p[j], j) * q(i) - p[i], "definition of the softmax")',
        'Step(-p[i] + p[i] * q(i), "definition of the softmax")',
        "step 3 is false",
    ),
    (
        "000",
        "second answer's formula in the numeric check",
        NUMERIC_CHECK,
        NUMERIC_CHECK.replace("cross_entropy_grad(v, p_run)", "-p_run + p_run * softmax(v)"),
        "GradientCheckError",
    ),
    (
        "001",
        "asker's q_k in place of q_i",
        "Step(-p[i] * (1 - q(i)) + sum_ne(p[k] * q(i), k, i), ",
        "Step(-p[i] * (1 - q(i)) + sum_ne(q(k) * p[k], k, i), ",
        "step 4 is false",
    ),
    (
        "001",
        "asker's (sum_i q_i p_i) - p_i as the result",
        'Step(q(i) * total(p[k], k) - p[i], "collect the targets")',
        'Step(Sum(q(i) * p[i], (i, 1, n)) - p[i], "collect the targets")',
        "step 5 is false",
    ),
    (
        "001",
        "asker's formula in the numeric check",
        NUMERIC_CHECK,
        NUMERIC_CHECK.replace("cross_entropy_grad(v, p_run)", "np.sum(softmax(v) * p_run) - p_run"),
        "GradientCheckError",
    ),
    (
        "002",
        "eq. (3)'s denominator in the quotient rule",
        (
            "Add(written(sum_exp, exp(z[i])), -written(exp(z[i]), exp(z[i])), evaluate=False)\n"
            "            / sum_exp**2,"
        ),
        (
            "Add(written(wrong_sum, exp(z[i])), -written(exp(z[i]), exp(z[i])), evaluate=False)\n"
            "            / wrong_sum**2,"
        ),
        "step 1 is false",
    ),
    (
        "002",
        "eq. (5)'s e^{z_i} e^{z_i}",
        "-written(exp(z[i]), exp(z[j]))",
        "-written(exp(z[i]), exp(z[i]))",
        "step 1 is false",
    ),
    (
        "002",
        "eq. (8)'s sign of the i != j term",
        "Add(sum_ne(p[i] * q(j), i, j), sum_eq(p[i] * q(i), i, j), -p[j], evaluate=False)",
        "Add(-sum_ne(p[i] * q(j), i, j), sum_eq(p[i] * q(i), i, j), -p[j], evaluate=False)",
        "step 3 is false",
    ),
    (
        "002",
        "eq. (8)'s consequence in the numeric check",
        NUMERIC_CHECK,
        NUMERIC_CHECK.replace(
            "cross_entropy_grad(v, p_run)", "-softmax(v) + 2 * p_run * softmax(v) - p_run"
        ),
        "GradientCheckError",
    ),
]


@pytest.mark.parametrize("page", sorted(PAGES))
def test_page_cites_its_thread(page: str, page_text: Callable[[str], str]) -> None:
    text = " ".join(page_text(PAGES[page]).split())  # titles may wrap across lines
    for title in CITATIONS[page]:
        assert title in text, f"{PAGES[page]} does not cite {title!r}"


@pytest.mark.slow
@pytest.mark.mutants
@pytest.mark.parametrize(
    ("page", "original", "wrong", "reason"),
    [
        pytest.param(pg, orig, bad, why, id=f"{pg}: {name}")
        for pg, name, orig, bad, why in MUTATIONS
    ],
)
def test_thread_error_put_back_fails_the_page(
    page: str,
    original: str,
    wrong: str,
    reason: str,
    execute_page: Callable[..., None],
    page_text: Callable[[str], str],
) -> None:
    import nbclient.exceptions  # noqa: PLC0415  (only the page tests need the notebook stack)

    text = page_text(PAGES[page])
    assert text.count(original) == 1, f"the corrected snippet must occur exactly once: {original}"
    mutated = text.replace(original, wrong)
    assert mutated != text
    with pytest.raises(nbclient.exceptions.CellExecutionError, match=reason):
        execute_page(mutated)
