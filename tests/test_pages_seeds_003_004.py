"""The pages for seeds 003 (weight matrix) and 004 (vector-Jacobian product) catch the threads'
wrong results: putting the wrong formula in place of the corrected one fails the page (``nox -s
docs`` runs them as written)."""

from __future__ import annotations

import nbclient.exceptions
import pytest

PAGE_003 = "seeds/003-softmax-weight-matrix.md"
PAGE_004 = "seeds/004-softmax-vjp.md"

# (page, snippet on the page, the thread's wrong formula in its place)
WRONG_IN_PLACE = {
    # The asker's 0 as the boxed result of the symbolic derivation.
    "003 asker's 0, symbolic": (
        PAGE_003,
        "boxed = q(j) * (delta(i, j) - q(i)) * x[d]",
        "boxed = 0 * x[d]",
    ),
    # The asker's 0 as the weight derivative in the numeric check.
    "003 asker's 0, numeric": (
        PAGE_003,
        "lambda w: softmax(w @ x_ex), lambda w: softmax_weight_jacobian(w, x_ex), W_ex",
        "lambda w: softmax(w @ x_ex), lambda w: np.zeros((K, K, D_ex)), W_ex",
    ),
    # The slide's s - sum(s) as the last line of the corrected derivation.
    "004 slide, symbolic": (
        PAGE_004,
        'Step(s(i) - total(s(j), j) * q(i), "definition of s")',
        'Step(s(i) - total(s(j), j), "definition of s")',
    ),
    # The slide's s - sum(s) as the vector-Jacobian product in the numeric check.
    "004 slide, numeric": (
        PAGE_004,
        "report = check_vjp(softmax, softmax_vjp, z_run, g_ce)",
        "report = check_vjp(softmax, slide, z_run, g_ce)",
    ),
}


@pytest.mark.slow
@pytest.mark.parametrize("case", sorted(WRONG_IN_PLACE))
def test_wrong_formula_in_place_fails_the_page(execute_page, page_text, case):
    page, original, wrong = WRONG_IN_PLACE[case]
    text = page_text(page)
    # Exactly one occurrence: otherwise the substitution could miss the checked formula.
    assert text.count(original) == 1, f"{original!r} occurs {text.count(original)} times"
    with pytest.raises(nbclient.exceptions.CellExecutionError) as failure:
        execute_page(text.replace(original, wrong))
    # A check must reject the formula; a NameError from a broken substitution would not count.
    assert failure.value.ename in {"AssertionError", "GradientCheckError"}, failure.value.ename
