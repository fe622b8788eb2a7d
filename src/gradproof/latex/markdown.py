r"""``{derivation}`` blocks in a MyST Markdown page, as ``gradproof check`` reads them.

A block is a fenced directive, with backticks, tildes or (MyST's ``colon_fence``) colons::

    ```{derivation}
    :label: ce-grad
    :notation: logits=z, targets=p
    :assume: \sum_k p_k = 1
    :expect-false: 2
    \frac{\partial J}{\partial z_i} &= ...
    ```

Its options are the Sphinx directive's (:mod:`gradproof.sphinxext`), as ``:key: value`` lines or
a ``---`` block of ``key: value`` lines; several assumptions, restrictions or definitions are
separated by ``;``. The directive takes no argument, so text after ``{derivation}`` on the fence
line is, as MyST reads it, the first line of the body (a title goes in ``:title:``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

__all__ = ["OPTIONS", "Block", "derivation_blocks", "expected_false", "read_block", "split_list"]

#: The options of a ``{derivation}`` block.
OPTIONS = ("label", "notation", "assume", "where", "define", "expect-false", "title")
_FENCE = re.compile(
    r"^(?P<indent> {0,3})(?P<fence>`{3,}|~{3,}|:{3,})[ \t]*\{derivation\}(?P<first>.*)$"
)
_OPTION = re.compile(r"^:(?P<key>[a-z-]+):\s*(?P<value>.*)$")
_YAML_OPTION = re.compile(r"^(?P<key>[a-z-]+):\s*(?P<value>.*)$")


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
    >>> [b.body for b in derivation_blocks(":::{derivation}\\nq_i &= q_i\\n:::\\n")]
    ['q_i &= q_i']
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
        options, t = _options(lines, t)
        body_start = t
        while t < len(lines) and not _closes(lines[t], fence):
            t += 1
        if t == len(lines):
            msg = f"line {start + 1}: the {{derivation}} block is never closed with {fence}"
            raise ValueError(msg)
        body_lines = lines[body_start:t]
        first = match.group("first").strip()
        if first:  # no argument: MyST reads it as the body's first line
            body_lines, body_start = [first, *body_lines], start
        while body_lines and not body_lines[0].strip():
            body_lines, body_start = body_lines[1:], body_start + 1
        body = "\n".join(body_lines).rstrip("\n")
        blocks.append(Block(start + 1, options, body, body_start + 1))
        t += 1
    return blocks


def _closes(line: str, fence: str) -> bool:
    """Whether `line` closes a block opened with `fence` (as many marks or more, alone)."""
    stripped = line.strip()
    return stripped.startswith(fence) and set(stripped) == {fence[0]}


def _options(lines: list[str], t: int) -> tuple[dict[str, str], int]:
    """The options at line `t` (``:key: value`` lines or a ``---`` block); the line after."""
    options: dict[str, str] = {}
    yaml = t < len(lines) and lines[t].strip() == "---"
    if yaml:
        t += 1
    while t < len(lines):
        line = lines[t].strip()
        if yaml and line == "---":
            return options, t + 1
        option = (_YAML_OPTION if yaml else _OPTION).match(line)
        if option is None:
            if yaml:
                msg = f"line {t + 1}: an option block holds key: value lines, closed by ---"
                raise ValueError(msg)
            break
        key = option.group("key")
        if key not in OPTIONS:
            msg = f"line {t + 1}: unknown option :{key}: (the options are {', '.join(OPTIONS)})"
            raise ValueError(msg)
        options[key] = option.group("value").strip()
        t += 1
    if yaml:
        msg = "an option block opened with --- is never closed"
        raise ValueError(msg)
    return options, t


def read_block(block: Block) -> Any:
    r"""Read a block with its own options, as the ``{derivation}`` directive does.

    Returns the :class:`gradproof.latex.ParsedDerivation`; a text that cannot be read raises its
    :class:`gradproof.latex.LatexError`.

    >>> (block,) = derivation_blocks("```{derivation}\n:notation: logits=o\nq_i &= q_i\n```")
    >>> read_block(block).derivation().verify().ok
    True
    """
    from gradproof.latex.document import read_align  # noqa: PLC0415
    from gradproof.latex.notation import Notation  # noqa: PLC0415

    opts = block.options
    return read_align(
        block.body,
        Notation.parse(opts.get("notation", "")),
        assume=split_list(opts.get("assume")),
        where=split_list(opts.get("where")),
        define=split_list(opts.get("define")),
    )


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
