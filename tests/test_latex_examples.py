"""examples.toml: every derivation there gets the verdicts it records, by both ways in.

The checker page offers these derivations and its browser checks (tools/checker_browser.py)
expect the same verdicts, so each is checked here natively: once as ``check_source`` takes it
and once as the page's form sends it (``check_request`` with :meth:`Example.form`), which must
agree.
"""

from __future__ import annotations

import pytest

from gradproof.latex import check_source
from gradproof.latex.checking import REQUEST_FIELDS, check_request
from gradproof.latex.examples import Example, _example, example, examples

EXAMPLES = examples()


def outcome(result: dict) -> object:
    """The verdicts per step, or the error's type, line, column and the start of its message."""
    if result["error"] is not None:
        e = result["error"]
        return {
            "type": e["type"],
            "line": e["line"],
            "column": e["column"],
            "message": e["message"],
        }
    return tuple(line["verdict"] for line in result["lines"])


def expected(ex: Example, got: object) -> object:
    """What `ex` records, in the form of :func:`outcome` (a message need only start as recorded)."""
    if ex.error is None:
        return ex.verdicts
    message = got.get("message", "") if isinstance(got, dict) else ""
    if message.startswith(ex.error["message"]):
        return ex.error | {"message": message}
    return ex.error


@pytest.mark.parametrize("ex", EXAMPLES, ids=[ex.id for ex in EXAMPLES])
def test_each_example_gets_its_recorded_verdicts(ex: Example) -> None:
    got = outcome(ex.check())
    assert got == expected(ex, got)


@pytest.mark.parametrize("ex", [ex for ex in EXAMPLES if ex.page], ids=lambda ex: ex.id)
def test_the_pages_form_checks_the_same_derivation(ex: Example) -> None:
    form = ex.form()
    request = {"latex": form["latex"], **form["roles"]}
    request |= {key: form[key] for key in ("notation", "assume", "where", "define")}
    assert set(request) == set(REQUEST_FIELDS)
    got = outcome(check_request(request))
    assert got == expected(ex, got)


def test_the_page_offers_every_thread_and_a_correct_derivation() -> None:
    offered = [ex for ex in EXAMPLES if ex.page]
    assert {ex.thread for ex in offered} == {"000", "001", "002", "003", "004", ""}
    assert any(ex.error for ex in offered)  # one shows a parse error and its position
    correct = example("correct")
    assert correct.page
    assert set(correct.verdicts) == {"true"}
    assert len(correct.verdicts) == 6  # the benchmarks' 6-line derivation


def test_a_wrong_recorded_verdict_or_error_is_caught() -> None:
    ex = example("001-asker")
    wrong = Example(**{**ex.__dict__, "verdicts": ("true", "true", "true")})
    got = outcome(wrong.check())
    assert got != expected(wrong, got)
    ex = example("002-eq3")
    assert ex.error is not None
    for change in ({"column": 122}, {"message": "unknown macro"}):
        wrong = Example(**{**ex.__dict__, "error": ex.error | change})
        got = outcome(wrong.check())
        assert got != expected(wrong, got)


def test_the_form_puts_other_keys_in_the_notation_line() -> None:
    form = example("002-eq8").form()
    assert form["roles"] == {"logits": "x", "targets": "y", "softmax": r"\hat y", "loss": "L"}
    assert form["notation"] == r"upstream_loss=F, partial=\theta, exp_power"
    assert form["assume"] == r"\sum_i y_i = 1"
    assert example("correct").form()["roles"] == {
        "logits": "z",
        "targets": "p",
        "softmax": "q",
        "loss": "J",
    }


@pytest.mark.parametrize(
    "entry",
    [
        {"id": "x", "thread": "", "who": "w", "latex": "q_i &= q_i"},  # neither
        {
            "id": "x",
            "thread": "",
            "who": "w",
            "latex": "q_i &= q_i",
            "verdicts": ["true"],
            "error": {"type": "LatexSyntaxError"},
        },  # both
        {"id": "x", "thread": "", "who": "w", "latex": "q_i &= q_i", "verdicts": ["yes"]},
    ],
)
def test_an_entry_must_say_what_the_checker_finds(entry: dict) -> None:
    with pytest.raises(ValueError, match="give either verdicts"):
        _example(entry)


def test_an_unknown_example_names_the_ones_there_are() -> None:
    with pytest.raises(KeyError, match="001-asker"):
        example("001-nobody")


def test_a_bad_option_is_an_error_of_the_form_not_a_crash() -> None:
    out = check_request({"latex": "q_i &= q_i", "notation": "exp_power=maybe"})
    assert out["verdict"] == "error"
    assert out["error"]["type"] == "OptionError"
    assert "exp_power" in out["error"]["message"]
    assert check_request({"latex": "q_i &= q_i", "colour": "red"})["error"]["field"] == "request"
    # an assumption is read like the derivation: its error points into its own text
    out = check_request({"latex": "q_i &= q_i", "assume": r"\sum_k p_k = \foo"})
    assert out["error"]["type"] == "UnknownMacroError"
    assert out["error"]["source_line"] == r"\sum_k p_k = \foo"
    assert check_source("q_i &= q_i")["ok"]
