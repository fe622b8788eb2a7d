"""``gradproof check``: exit codes, output, --json and the notation options."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from gradproof.cli import main

RIGHT = r"""\frac{\partial J}{\partial z_i} &= -\sum_j p_j \frac{\partial \log q_j}{\partial z_i} && \text{chain rule} \\
&= -\sum_j p_j (\delta_{ij} - q_i) \\
&= q_i \sum_j p_j - p_i"""
WRONG = RIGHT + r" \\ &= q_i - p_i"


def write(tmp_path: Path, text: str, name: str = "d.tex") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_a_right_derivation_exits_0_with_a_mark_and_scope_per_step(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["check", str(write(tmp_path, RIGHT))]) == 0
    out = capsys.readouterr().out
    assert out.count("✓") == 3
    assert "for every n, proved with the sums over the other classes kept symbolic" in out


def test_a_false_step_exits_1_with_its_counterexample(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["check", str(write(tmp_path, WRONG))]) == 1
    out = capsys.readouterr().out
    assert out.count("✓") == 3
    assert "✗ step 4 (line 3)" in out  # the fourth = is on the third row
    assert "at n = 2, i = 1, z = (" in out
    assert "previous line = " in out


def test_assume_makes_the_step_hold(tmp_path: Path) -> None:
    assert main(["check", str(write(tmp_path, WRONG)), "--assume", r"\sum_k p_k = 1"]) == 0


def test_a_parse_error_exits_2_with_the_position(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["check", str(write(tmp_path, r"q_i &= \log q_j p_j"))]) == 2
    err = capsys.readouterr().err
    assert err.startswith("line 1, column 8: ")
    assert "^^^" in err


def test_usage_errors_exit_2(tmp_path: Path) -> None:
    with pytest.raises(SystemExit) as info:
        main(["check", str(tmp_path / "missing.tex")])
    assert info.value.code == 2
    with pytest.raises(SystemExit) as info:
        main(["check", str(write(tmp_path, RIGHT)), "--logits", "z", "--softmax", "z"])
    assert info.value.code == 2
    with pytest.raises(SystemExit) as info:
        main([])
    assert info.value.code == 2


def test_json_has_the_verdict_of_each_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["check", str(write(tmp_path, WRONG)), "--json"]) == 1
    data = json.loads(capsys.readouterr().out)
    assert [line["verdict"] for line in data["lines"]] == ["true", "true", "true", "false"]
    assert data["lines"][0]["reason"] == "chain rule"
    assert data["lines"][3]["counterexample"]["setting"] == {"n": 2, "i": 1}
    assert data["first_false"] == 4


def test_json_reports_a_parse_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", str(write(tmp_path, r"q_i &= \foo")), "--json"]) == 2
    data = json.loads(capsys.readouterr().out)
    assert data["verdict"] == "error"
    assert (data["error"]["type"], data["error"]["line"], data["error"]["column"]) == (
        "UnknownMacroError",
        1,
        8,
    )


def test_the_letter_options_read_a_thread_in_its_own_letters(tmp_path: Path) -> None:
    thread = r"\frac{\partial L}{\partial o_i} &= p_i \sum_k y_k - y_i"
    path = write(tmp_path, thread)
    assert main(["check", str(path)]) == 2  # o and y mean nothing in the site's letters
    letters = ["--logits", "o", "--targets", "y", "--softmax", "p", "--loss", "L"]
    assert main(["check", str(path), *letters, "--notation", "upstream_loss=F"]) == 0


PAGE = r"""# A page

```{derivation}
:label: right
:assume: \sum_k p_k = 1
\frac{\partial J}{\partial z_i} &= q_i - p_i
```

```{derivation}
:expect-false: 1
J &= p_i \log q_i
```
"""


def test_a_markdown_page_is_checked_block_by_block(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(tmp_path, PAGE, "page.md")
    assert main(["check", str(path)]) == 0
    out = capsys.readouterr().out
    assert f"{path}:3: derivation right" in out
    assert "✗ step 1" in out  # shown, but expected
    # an expected ✗ that holds is a problem, and so is an unexpected one
    assert (
        main(["check", str(write(tmp_path, PAGE.replace(":expect-false: 1\n", ""), "b.md"))]) == 1
    )
    capsys.readouterr()
    flipped = PAGE.replace("J &= p_i \\log q_i", "J &= -\\sum_j p_j \\log q_j")
    assert main(["check", str(write(tmp_path, flipped, "c.md")), "--json"]) == 1
    data = json.loads(capsys.readouterr().out)
    assert not data["ok"]
    assert data["blocks"][1]["problems"] == [
        "step 1 (line 1) was expected to be false but holds: for every n, proved by expansion"
    ]


def test_a_read_error_in_a_page_names_the_line_of_the_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Round 3, C2: the text and the PROBLEM line said "line 2" (in the block) for file line 7.
    page = "# page\n\nSome text.\n\n```{derivation}\nq_i &= q_i \\\\\n&= \\frac{1}{\n```\n"
    assert main(["check", str(write(tmp_path, page, "p.md"))]) == 2
    captured = capsys.readouterr()
    assert captured.err.startswith("line 7, column 12: unbalanced brace"), captured.err
    assert "PROBLEM: line 7, column 12: unbalanced brace" in captured.out
    # an error in a :define: entry keeps its place in the entry, not moved into the block
    defined = "```{derivation}\n:define: r_i = q_j\nq_i &= r_i\n```\n"
    assert main(["check", str(write(tmp_path, defined, "d.md")), "--json"]) == 2
    error = json.loads(capsys.readouterr().out)["blocks"][0]["result"]["error"]
    assert (error["line"], error["column"], error["source_line"]) == (1, 7, "r_i = q_j")


def test_python_m_gradproof_runs_the_same_command(tmp_path: Path) -> None:
    run = subprocess.run(
        [sys.executable, "-m", "gradproof", "check", str(write(tmp_path, WRONG)), "--json"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert run.returncode == 1, run.stderr
    assert json.loads(run.stdout)["first_false"] == 4


def test_the_readme_example_is_what_the_command_prints(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("## Checking a derivation written in LaTeX") :]
    block = section[
        section.index("```text\n") + 8 : section.index("```\n", section.index("```text"))
    ]
    source = block[block.index("$ cat ce.tex\n") + 13 : block.index("$ gradproof check ce.tex\n")]
    shown = block[
        block.index("$ gradproof check ce.tex\n") + 25 : block.index(
            "$ gradproof check ce.tex --assume"
        )
    ]
    path = write(tmp_path, source, "ce.tex")
    assert main(["check", str(path)]) == 1
    assert capsys.readouterr().out == shown
    assert main(["check", str(path), "--assume", r"\sum_k p_k = 1"]) == 0


def test_a_constant_in_a_counterexample_is_a_number_not_a_one_tuple() -> None:
    # A scalar symbol (the shift c) was grouped like an indexed base and shown as "c = (1.38)".
    from gradproof.latex import Notation, read_align  # noqa: PLC0415
    from gradproof.latex.checking import check_source, describe_counterexample  # noqa: PLC0415

    claim = r"\log \sum_k e^{z_k + c} &= \log \sum_k e^{z_k}"
    result = check_source(claim, constants="c")
    shown = describe_counterexample(result["lines"][0]["counterexample"])
    assert re.search(r", c = -?\d[\d.e+-]*: previous line", shown), shown
    assert re.search(r"z = \(-?\d", shown), shown  # an indexed base keeps its tuple
    report = str(read_align(claim, Notation(constants="c")).derivation().verify())
    assert re.search(r"c = -?\d", report), report
