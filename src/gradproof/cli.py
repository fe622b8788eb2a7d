r"""The command line: ``gradproof check FILE``.

FILE holds the body of one ``align`` environment (``lhs &= rhs \\ &= rhs ...``), or a Markdown
page with ``{derivation}`` blocks. Each step is printed with ✓ and what was checked, or ✗ and a
counterexample. Exit status: 0 when every step holds (in a page: when every block is as its
``:expect-false:`` says), 1 when a step is false, 2 when the text cannot be read or checked as
asked (an index on the wrong axis, an assumption no point satisfies) or the command is misused.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from gradproof.latex import Notation, check_source
from gradproof.latex.checking import describe_counterexample
from gradproof.latex.markdown import (
    block_mismatches,
    derivation_blocks,
    expected_false,
    split_list,
)

ROLE_OPTIONS = ("logits", "targets", "softmax", "loss")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="gradproof", description="Check derivations.")
    commands = parser.add_subparsers(dest="command", required=True)
    check = commands.add_parser(
        "check",
        help="read a derivation in LaTeX and check every step",
        description=__doc__.split("\n\n")[1].replace("\\\\", "\\"),
    )
    check.add_argument("file", type=Path, help="an align body, or a Markdown page ('-': stdin)")
    for role in ROLE_OPTIONS:
        check.add_argument(f"--{role}", metavar="LETTER", help=f"the letter of the {role}")
    check.add_argument(
        "--notation", metavar="SPEC", help="more notation, e.g. 'weights=w, exp_power'"
    )
    check.add_argument("--assume", action="append", default=[], metavar="LATEX")
    check.add_argument("--where", action="append", default=[], metavar="LATEX")
    check.add_argument("--define", action="append", default=[], metavar="LATEX")
    check.add_argument("--json", action="store_true", help="print the result as JSON")
    return parser


def _notation(args: argparse.Namespace, extra: str | None = None) -> Notation:
    spec = ", ".join(
        [f"{role}={getattr(args, role)}" for role in ROLE_OPTIONS if getattr(args, role)]
        + [s for s in (args.notation, extra) if s]
    )
    return Notation.parse(spec)


def _step_text(line: dict[str, Any]) -> str:
    where = f"step {line['step']} (line {line['line']})"
    if line["verdict"] == "true":
        return f"✓ {where}: = {line['latex']}\n    {line['scope']}"
    cx = line["counterexample"]
    why = describe_counterexample(cx) if cx else "false"
    return f"✗ {where}: = {line['latex']}\n    {why}"


def _print_result(result: dict[str, Any], out: Any) -> None:
    if result["error"] is not None:
        print(result["error"]["text"], file=sys.stderr)
        return
    print(result["lhs"], file=out)
    for line in result["lines"]:
        print(_step_text(line), file=out)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit status."""
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        text = sys.stdin.read() if str(args.file) == "-" else args.file.read_text(encoding="utf-8")
    except OSError as exc:
        parser.error(f"cannot read {args.file}: {exc.strerror}")
    try:
        base = _notation(args)
    except ValueError as exc:
        parser.error(str(exc))
    options = {"assume": args.assume, "where": args.where, "define": args.define}
    if "{derivation}" in text:
        return _check_page(text, args, options)
    result = check_source(text, notation=base, **options)
    if args.json:
        print(json.dumps(result, indent=1, ensure_ascii=False))
    else:
        _print_result(result, sys.stdout)
    if result["error"] is not None:
        return 2
    return 0 if result["ok"] else 1


def _check_page(text: str, args: argparse.Namespace, options: dict[str, list[str]]) -> int:
    try:
        blocks = derivation_blocks(text)
    except ValueError as exc:
        print(f"{args.file}: {exc}", file=sys.stderr)
        return 2
    if not blocks:
        # The text names {derivation} but no block was read: passing would check nothing.
        print(
            f"{args.file}: the text mentions {{derivation}} but holds no block that could be "
            "read: a block opens with ```{derivation}, ~~~{derivation} or :::{derivation} at "
            "the start of a line",
            file=sys.stderr,
        )
        return 2
    status = 0
    report = []
    for block in blocks:
        opts = block.options
        try:
            notation = _notation(args, opts.get("notation"))
            expect = expected_false(opts.get("expect-false"))
        except ValueError as exc:
            print(f"{args.file}:{block.line}: {exc}", file=sys.stderr)
            return 2
        result = check_source(
            block.body,
            notation=notation,
            assume=[*options["assume"], *split_list(opts.get("assume"))],
            where=[*options["where"], *split_list(opts.get("where"))],
            define=[*options["define"], *split_list(opts.get("define"))],
        )
        if result["error"] is not None:
            status = 2
            problems = [_in_file(result["error"], block.body, block.body_line)]
        else:
            problems = block_mismatches(result, expect)
            if problems and status == 0:
                status = 1
        report.append(
            {
                "line": block.line,
                "label": opts.get("label", ""),
                "expect_false": list(expect),
                "problems": problems,
                "result": result,
            }
        )
        if not args.json:
            name = f" {opts['label']}" if opts.get("label") else ""
            print(f"{args.file}:{block.line}: derivation{name}")
            _print_result(result, sys.stdout)
            # The block's label on each problem: a reader (or the mutation registry) can tell
            # which block a problem is in from one line.
            where = f" in {opts['label']}" if opts.get("label") else ""
            for problem in problems:
                print(f"  PROBLEM{where}: {problem}")
    if args.json:
        print(json.dumps({"ok": status == 0, "blocks": report}, indent=1, ensure_ascii=False))
    return status


def _in_file(error: dict[str, Any], body: str, body_line: int) -> str:
    """Move a reader's error in a block to the line of the file, in its data and its text;
    return the problem line. An error in an option entry (``:define:``) keeps its place there,
    and an engine's error (line None) concerns the whole block."""
    line = error["line"]
    rows = body.splitlines()
    if line is None or line > len(rows) or rows[line - 1] != error["source_line"]:
        where = "" if line is None else f"in an option entry, column {error['column']}: "
        return where + error["message"]
    error["line"] = line + body_line - 1
    error["text"] = error["text"].replace(f"line {line},", f"line {error['line']},", 1)
    return f"line {error['line']}, column {error['column']}: {error['message']}"


def run() -> None:
    """Console-script entry point."""
    sys.exit(main())


if __name__ == "__main__":
    run()
