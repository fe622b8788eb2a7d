r"""``{derivation}`` blocks in a MyST Markdown page, as ``gradproof check`` reads them.

A block is a fenced directive::

    ```{derivation}
    :label: ce-grad
    :notation: logits=z, targets=p
    :assume: \sum_k p_k = 1
    :expect-false: 2
    \frac{\partial J}{\partial z_i} &= ...
    ```

Its options are the Sphinx directive's (:mod:`gradproof.sphinxext`); several assumptions,
restrictions or definitions are separated by ``;``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

__all__ = ["OPTIONS", "Block", "derivation_blocks", "expected_false", "split_list"]

#: The options of a ``{derivation}`` block.
OPTIONS = ("label", "notation", "assume", "where", "define", "expect-false", "title")
_FENCE = re.compile(r"^(?P<indent>[ \t]*)(?P<fence>`{3,}|~{3,})\{derivation\}[ \t]*$")
_OPTION = re.compile(r"^:(?P<key>[a-z-]+):\s*(?P<value>.*)$")


@dataclass(frozen=True)
class Block:
    """One ``{derivation}`` block: where it starts, its options and its LaTeX body."""

    line: int
    options: dict[str, str] = field(default_factory=dict)
    body: str = ""
    body_line: int = 0


def derivation_blocks(text: str) -> list[Block]:
    """Every ``{derivation}`` block of a Markdown text, in order.

    >>> page = "Intro\\n```{derivation}\\n:label: a\\nq_i &= q_i\\n```\\n"
    >>> [(b.line, b.options, b.body) for b in derivation_blocks(page)]
    [(2, {'label': 'a'}, 'q_i &= q_i')]
    """
    lines = text.splitlines()
    blocks = []
    t = 0
    while t < len(lines):
        match = _FENCE.match(lines[t])
        if not match:
            t += 1
            continue
        fence = match.group("fence")
        start = t
        t += 1
        options: dict[str, str] = {}
        while t < len(lines) and _OPTION.match(lines[t].strip()):
            option = _OPTION.match(lines[t].strip())
            assert option is not None
            key = option.group("key")
            if key not in OPTIONS:
                msg = f"line {t + 1}: unknown option :{key}: (the options are {', '.join(OPTIONS)})"
                raise ValueError(msg)
            options[key] = option.group("value").strip()
            t += 1
        body_start = t
        while t < len(lines) and not lines[t].strip().startswith(fence[0] * len(fence)):
            t += 1
        if t == len(lines):
            msg = f"line {start + 1}: the {{derivation}} block is never closed with {fence}"
            raise ValueError(msg)
        body = "\n".join(lines[body_start:t]).strip("\n")
        blocks.append(Block(start + 1, options, body, body_start + 1))
        t += 1
    return blocks


def split_list(value: str | None) -> list[str]:
    """``a = b; c = d`` as ``["a = b", "c = d"]`` (an option that may hold several entries)."""
    return [part.strip() for part in (value or "").split(";") if part.strip()]


def expected_false(value: str | None) -> tuple[int, ...]:
    """The step numbers of ``:expect-false: 2, 4``.

    >>> expected_false("2, 4")
    (2, 4)
    """
    out = []
    for part in re.split(r"[,\s]+", (value or "").strip()):
        if not part:
            continue
        if not part.isdigit() or int(part) < 1:
            msg = f"expect-false takes step numbers such as 2 or 2, 4; got {value!r}"
            raise ValueError(msg)
        out.append(int(part))
    return tuple(out)


def block_mismatches(result: dict[str, Any], expect: tuple[int, ...]) -> list[str]:
    """What contradicts the block's expectation: an unexpected ✗ or an expected ✗ that holds."""
    problems = []
    verdicts = {line["step"]: line for line in result["lines"]}
    for number in expect:
        if number not in verdicts:
            problems.append(f"expect-false names step {number}, but there are {len(verdicts)}")
        elif verdicts[number]["verdict"] == "true":
            problems.append(
                f"step {number} (line {verdicts[number]['line']}) was expected to be false but "
                f"holds: {verdicts[number]['scope']}"
            )
    for number, line in verdicts.items():
        if line["verdict"] == "false" and number not in expect:
            from gradproof.latex.checking import describe_counterexample  # noqa: PLC0415

            cx = line["counterexample"]
            why = describe_counterexample(cx) if cx else "no counterexample recorded"
            problems.append(f"step {number} (line {line['line']}) is false: {why}")
    return problems
