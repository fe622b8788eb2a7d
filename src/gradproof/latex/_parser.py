"""The Lark parser (built once, on first use) and the translation of its errors."""

from __future__ import annotations

import functools
from importlib.resources import files

from lark import Lark, Tree
from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken

from gradproof.latex._lexer import CURRENT, MacroTyper
from gradproof.latex.errors import LatexSyntaxError
from gradproof.latex.notation import UNICODE_LETTERS, Notation

# What the parser expected, in words (terminal names are not for readers).
_WORDS = {
    "REL": "=",
    "RBRACE": "}",
    "RPAR": ")",
    "RBRACK": "]",
    "RIGHT": "\\right",
    "LBRACE": "{",
    "LPAR": "(",
    "LETTER": "a letter",
    "NUMBER": "a number",
    "GREEK": "a Greek letter",
    "FRAC": "\\frac",
    "SUM": "\\sum",
    "NE": "\\ne",
    "COMMA": ",",
    "PARTIAL": "\\partial",
}


def grammar_text() -> str:
    """The grammar, as shipped with the package (``gradproof/latex/grammar.lark``)."""
    return files("gradproof.latex").joinpath("grammar.lark").read_text(encoding="utf-8")


@functools.cache
def parser() -> Lark:
    """The LALR parser; building its tables takes a fraction of a second, once per process."""
    return Lark(
        grammar_text(),
        parser="lalr",
        lexer="basic",
        postlex=MacroTyper(),
        propagate_positions=True,
        maybe_placeholders=False,
    )


def check_braces(text: str) -> None:
    """Raise LatexSyntaxError at the first brace that is not matched (clearer than the parser)."""
    stack: list[int] = []
    pos = 0
    while pos < len(text):
        ch = text[pos]
        if ch == "\\":
            pos += 2  # \{ \} \\ are not grouping braces
            continue
        if ch == "{":
            stack.append(pos)
        elif ch == "}":
            if not stack:
                msg = "unbalanced brace: this } closes nothing"
                hint = "remove it, or add the { it should close"
                raise LatexSyntaxError(msg, text, pos, pos + 1, suggestion=hint)
            stack.pop()
        pos += 1
    if stack:
        msg = "unbalanced brace: this { is never closed"
        hint = "add the } that closes it"
        raise LatexSyntaxError(msg, text, stack[-1], stack[-1] + 1, suggestion=hint)


def parse_tree(text: str, notation: Notation) -> Tree:
    """Parse `text` (an align body, or one formula); raise LatexSyntaxError on bad syntax."""
    if not isinstance(text, str):
        msg = f"text must be a str of LaTeX; got {type(text).__name__}"
        raise TypeError(msg)
    if not text.strip():
        msg = "text is empty: expected a formula such as q_i - p_i"
        raise LatexSyntaxError(msg, text, 0, 0)
    check_braces(text)
    token = CURRENT.set((notation, text))
    try:
        return parser().parse(_without_final_stop(text))
    except UnexpectedInput as exc:
        raise _syntax_error(exc, text) from None
    finally:
        CURRENT.reset(token)


def _without_final_stop(text: str) -> str:
    """A sentence's full stop or comma after the last formula is punctuation, not math.

    It is blanked out (not removed), so every position still points into the text as given.
    """
    body = text.rstrip()
    if body and body[-1] in ".,":
        return body[:-1] + " " + text[len(body) :]
    return text


def _syntax_error(exc: UnexpectedInput, text: str) -> LatexSyntaxError:
    if isinstance(exc, UnexpectedCharacters):
        pos = exc.pos_in_stream
        macro = UNICODE_LETTERS.get(text[pos])
        if macro is not None:  # a notation may name ŷ, but the text is LaTeX
            return LatexSyntaxError(
                f"the character {text[pos]!r} is not LaTeX: write {macro} "
                "(a notation option may name it either way, the text only as LaTeX)",
                text,
                pos,
                pos + 1,
                suggestion=f"replace {text[pos]} by {macro}",
            )
        return LatexSyntaxError(
            f"unexpected character {text[pos]!r}",
            text,
            pos,
            pos + 1,
            suggestion="the notation page lists what the reader understands",
        )
    expected = sorted({_WORDS.get(e, e) for e in getattr(exc, "expected", ()) if e in _WORDS})
    hint = f"expected {' or '.join(expected)}" if expected else ""
    if isinstance(exc, UnexpectedEOF) or (
        isinstance(exc, UnexpectedToken) and exc.token.type == "$END"
    ):
        end = len(text.rstrip())
        return LatexSyntaxError("the formula ends too early", text, max(end - 1, 0), end, hint)
    tok = exc.token
    start = tok.start_pos or 0
    end = tok.end_pos or start + 1
    if tok.type in ("RPAR", "RBRACK"):
        message = f"unbalanced bracket: this {tok.value} closes nothing opened in the same braces"
    elif tok.type in {"AMP", "NEWROW"}:
        message = f"{tok.value} inside a formula: a line ends only after a complete expression"
    else:
        message = f"unexpected {tok.value!r}"
    return LatexSyntaxError(message, text, start, end, hint)
