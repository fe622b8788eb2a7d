r"""Each thread's own lines, in its own letters, read and checked as the pages judge them.

The formulas are the threads' (only the scraper's damage repaired: in 001 ``rac``, ``egin``,
``lpha`` and ``\n`` lost their backslashes), with the notation that says which of the thread's
letters is which quantity and the options the thread's odd notation needs; they live in
``gradproof/latex/examples.toml``, which the checker page offers too, so the tests read them from
there (tests/test_latex_examples.py checks every entry's recorded verdicts). A wrong
line is flagged at the step the page names; the corrected derivation, in the same letters,
passes.
"""

from __future__ import annotations

import pytest

from gradproof.latex import LatexSyntaxError, NotationError, check_source, parse_expr, read_align
from gradproof.latex.examples import example

# -------------------------------------------------------------------------------- 000

SECOND_ANSWER_000 = example("000-second-answer").latex
FIRST_ANSWER_000 = example("000-first-answer").latex
CORRECTED_000 = example("000-corrected").latex


def verdicts(out: dict) -> list[str]:
    assert out["error"] is None, out["error"]["text"]
    return [line["verdict"] for line in out["lines"]]


def test_000_the_second_answer_drops_the_sum_at_its_second_step() -> None:
    out = check_source(SECOND_ANSWER_000)
    assert out["first_false"] == 2
    assert verdicts(out)[0] == "true"  # writing J out is right
    cx = out["lines"][1]["counterexample"]
    assert cx["setting"]["n"] == 2
    assert cx["previous_line"] != pytest.approx(cx["this_line"])


def test_000_the_askers_j_is_one_term() -> None:
    assert check_source(r"J = p_i\log{q_i}")["first_false"] == 1


def test_000_the_books_reused_index_reads_as_a_bound_index() -> None:
    assert check_source(r"q_i = \frac{e^{z_i}}{\sum_i e^{z_i}}")["ok"]


def test_000_the_first_answer_holds_when_the_targets_sum_to_one() -> None:
    assert check_source(FIRST_ANSWER_000, assume=[r"\sum_k p_k = 1"])["ok"]
    assert check_source(FIRST_ANSWER_000)["first_false"] == 1


def test_000_corrected() -> None:
    assert check_source(CORRECTED_000)["ok"]


# -------------------------------------------------------------------------------- 001

LETTERS_001 = example("001-asker").notation

ASKER_001 = example("001-asker").latex
ACCEPTED_001 = example("001-answer").latex


def test_001_the_askers_first_line_keeps_the_wrong_p() -> None:
    out = check_source(ASKER_001, **LETTERS_001)
    assert out["first_false"] == 1
    # the merge into (sum_i p_i y_i) reuses i as a new, bracketed index: right as arithmetic
    assert verdicts(out)[1:] == ["true", "true"]


def test_001_the_accepted_answer_needs_the_targets_to_sum_to_one() -> None:
    assert check_source(ACCEPTED_001, assume=[r"\sum_k y_k = 1"], **LETTERS_001)["ok"]
    out = check_source(ACCEPTED_001, **LETTERS_001)
    assert out["first_false"] == 7  # only the last step uses it
    assert verdicts(out)[:6] == ["true"] * 6


def test_001_the_scraped_alpha_is_not_a_logit() -> None:
    # The question's first derivative, as scraped: \partial p_j / \partial \alpha_i.
    out = check_source(
        r"\frac{\partial p_j}{\partial \alpha_i} = p_i (1-p_i)", where=["i = j"], **LETTERS_001
    )
    assert out["error"]["type"] == "NotationError"
    assert out["error"]["column"] == 30  # the \alpha
    repaired = check_source(
        r"\frac{\partial p_j}{\partial o_i} = p_i (1-p_i)", where=["i = j"], **LETTERS_001
    )
    assert repaired["ok"]
    off = check_source(
        r"\frac{\partial p_j}{\partial o_i} = -p_i p_j", where=[r"i \neq j"], **LETTERS_001
    )
    assert off["ok"]


# -------------------------------------------------------------------------------- 002

LETTERS_002 = example("002-eq1").notation

EQ1_002 = example("002-eq1").latex
EQ3_002 = example("002-eq3").latex
EQ7_002 = example("002-eq7").latex
EQ8_002 = example("002-chain-rule").latex
EQ8_SIGN_002 = example("002-eq8").latex
CORRECTED_002 = example("002-corrected").latex


def test_002_eq1_sums_the_wrong_index() -> None:
    out = check_source(EQ1_002, **LETTERS_002)
    assert out["first_false"] == 1


def test_002_theta_and_exp_power_are_read_only_when_asked() -> None:
    plain = {k: v for k, v in LETTERS_002.items() if k not in ("partial", "exp_power")}
    out = check_source(EQ1_002, **plain)
    assert out["error"]["type"] == "NotationError"  # \exp^{...} without exp_power
    out = check_source(EQ7_002, **plain)
    assert out["error"]["type"] == "NotationError"  # \theta without partial=\theta
    assert "\\theta" in out["error"]["message"]


def test_002_eq3_has_a_bracket_across_braces() -> None:
    # (\sum_k{\exp^{x_i})^2}: the ( opens outside the braces and ) closes inside; refused, with
    # the position of the ), rather than guessed.
    out = check_source(EQ3_002, **LETTERS_002)
    assert out["error"]["type"] == "LatexSyntaxError"
    assert out["error"]["column"] == EQ3_002.index(")^2") + 1


def test_002_eq7_sums_what_is_one_term() -> None:
    assert check_source(EQ7_002, **LETTERS_002)["first_false"] == 1


def test_002_eq8_drops_the_chain_rules_sum_then_a_sign() -> None:
    assert check_source(EQ8_002, **LETTERS_002)["first_false"] == 1
    out = check_source(EQ8_SIGN_002, assume=[r"\sum_i y_i = 1"], **LETTERS_002)
    assert out["first_false"] == 2
    assert verdicts(out) == ["true", "false", "false"]


def test_002_corrected() -> None:
    assert check_source(CORRECTED_002, **LETTERS_002)["ok"]
    standard = CORRECTED_002.replace(r"\theta", r"\partial")
    assert check_source(standard, **{**LETTERS_002, "partial": ""})["ok"]


# -------------------------------------------------------------------------------- 003

ASKER_003 = example("003-asker").latex
# The asker's d counts classes, so the input index (hidden in x) gets another letter.
LETTERS_003_ASKER = example("003-asker").notation
ANSWER_003 = example("003-answer").latex
BOXED_003 = example("003-boxed").latex
LETTERS_003 = example("003-answer").notation


def test_003_the_askers_quotient_rule_moves_every_row() -> None:
    out = check_source(ASKER_003, **LETTERS_003_ASKER)
    assert out["first_false"] == 1
    assert verdicts(out) == ["false", "true"]  # "= 0" is right algebra after the slip
    assert out["linear_layer"]
    # the input index is named as the asker's block names it (input_index=e), not the engine's d
    assert set(out["lines"][0]["counterexample"]["setting"]) == {"n", "D", "a", "i", "e"}


def test_003_a_scope_names_the_indices_in_the_blocks_letters() -> None:
    # Page 003's asker: the input index is e there, since the thread's d counts classes.
    out = check_source(ASKER_003, **LETTERS_003_ASKER)
    assert LETTERS_003_ASKER["input_index"] == "e"
    assert "; at every a, e, i;" in out["lines"][1]["scope"]
    assert "; at every a, e, i;" in out["checked"]
    assert "e = 1" in out["summary"]
    assert "d = 1" not in out["summary"]


def test_a_blocks_own_d_and_the_engines_input_index_are_told_apart() -> None:
    # d a class index of the block's, e its input index: the engine calls both d.
    right = r"\frac{\partial q_d}{\partial W_{i e}} &= q_d(\delta_{d i} - q_i) x_e"
    out = check_source(right, input_index="e")
    assert out["ok"], out["summary"]
    assert "; at every d, e, i;" in out["lines"][0]["scope"]
    wrong = check_source(right.replace("- q_i", "- q_d"), input_index="e")
    assert list(wrong["lines"][0]["counterexample"]["setting"]) == ["n", "D", "d", "e", "i"]


def test_003_a_bare_w_needs_the_weight_row_option() -> None:
    letters = {k: v for k, v in LETTERS_003_ASKER.items() if k != "weight_row"}
    assert check_source(ASKER_003, **letters)["error"]["type"] == "NotationError"


def test_003_the_answers_chain_and_its_box() -> None:
    out = check_source(ANSWER_003, **LETTERS_003)
    assert out["ok"], out["summary"]
    assert out["linear_layer"]
    assert "logits z = W x" in out["lines"][0]["scope"]
    assert check_source(BOXED_003, **LETTERS_003)["ok"]


def test_003_the_doubt_ignores_the_denominator() -> None:
    out = check_source(
        r"\frac{\partial}{\partial \mathbf{w}_i}\sigma(j) = \delta_{ij}\sigma(j)\mathbf x",
        **LETTERS_003,
    )
    assert out["first_false"] == 1


def test_003_a_typo_in_the_answer_is_refused_not_guessed() -> None:
    # The first answer's \partial (\mathbf{w_i\top \mathbf x)}: \top inside a bold letter.
    with pytest.raises(LatexSyntaxError):
        parse_expr(r"\frac{\partial}{\partial (\mathbf{w_i\top \mathbf x)}}", **LETTERS_003)


# -------------------------------------------------------------------------------- 004

LETTERS_004 = example("004-asker").notation
S_004 = list(example("004-asker").define)
ASKER_004 = example("004-asker").latex
SLIDE_004 = example("004-slide").latex


def test_004_the_askers_derivation_is_right() -> None:
    out = check_source(ASKER_004, define=S_004, **LETTERS_004)
    assert out["ok"], out["summary"]
    assert len(out["lines"]) == 5


def test_004_the_slide_subtracts_a_scalar() -> None:
    assert check_source(SLIDE_004, define=S_004, **LETTERS_004)["first_false"] == 1
    chained = ASKER_004 + r" = \vec{s} - \sum_j s_j"
    out = check_source(chained, define=S_004, **LETTERS_004)
    assert out["first_false"] == 6


def test_004_s_must_be_defined_in_the_threads_letters() -> None:
    # Without the definition s is the site's s = g q: the same here, since dL/dy_j is g_j.
    assert check_source(ASKER_004, **LETTERS_004)["ok"]
    wrong = [r"s_j = y_j"]
    assert check_source(ASKER_004, define=wrong, **LETTERS_004)["first_false"] == 4


def test_a_definition_must_be_a_letter_with_indices() -> None:
    with pytest.raises(NotationError):
        read_align(r"q_i &= q_i", define=[r"s_j + 1 = y_j"])
