r"""The post-lexer: gives each macro its grammar type, under the notation in force.

The grammar lexes every ``\name`` as one MACRO token; here it becomes ``SUM``, ``FRAC``, ``FUNC``,
``GREEK``... or disappears (spacing, sizing), and an unknown one is an
:class:`~gradproof.latex.errors.UnknownMacroError` with suggestions. The notation options
``partial`` and ``sum`` are applied here, so ``\theta`` is a partial sign only when asked for.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterator
from contextvars import ContextVar

from lark import Token

from gradproof.latex.errors import UnknownMacroError
from gradproof.latex.notation import Notation

_GREEK_NAMES = (
    "alpha beta gamma delta epsilon varepsilon zeta eta theta vartheta iota kappa lambda mu nu "
    "xi pi rho sigma tau upsilon phi varphi chi psi omega Gamma Delta Theta Lambda Xi Pi Sigma "
    "Upsilon Phi Psi Omega"
)
GREEK = frozenset(_GREEK_NAMES.split(" "))
_TYPES = {
    "sum": "SUM",
    "frac": "FRAC",
    "dfrac": "FRAC",
    "tfrac": "FRAC",
    "partial": "PARTIAL",
    "log": "FUNC",
    "ln": "FUNC",
    "exp": "FUNC",
    "left": "LEFT",
    "right": "RIGHT",
    "cdot": "MUL",
    "times": "MUL",
    "ne": "NE",
    "neq": "NE",
    "top": "TOP",
    "intercal": "TOP",
    "hat": "ACCENT",
    "widehat": "ACCENT",
    "tilde": "ACCENT",
    "vec": "ACCENT",
    "mathbf": "ACCENT",
    "boldsymbol": "ACCENT",
    "bm": "ACCENT",
    "overrightarrow": "ACCENT",
}
# Spacing and sizing: no meaning, dropped.
_LAYOUT_NAMES = (
    "quad qquad displaystyle textstyle scriptstyle small normalsize large big Big bigg Bigg "
    "bigl bigr Bigl Bigr biggl biggr Biggl Biggr limits nolimits"
)
_LAYOUT = frozenset(_LAYOUT_NAMES.split(" "))
KNOWN = frozenset(_TYPES) | GREEK | _LAYOUT | {"operatorname", "mathbb", "text", "tag", "label"}

#: The notation of the parse in progress (the parser is built once and shared).
CURRENT: ContextVar[tuple[Notation, str]] = ContextVar("gradproof_latex_notation")


class MacroTyper:
    """Lark post-lexer: MACRO tokens become grammar terminals (see the module docstring)."""

    always_accept = ("MACRO", "OPNAME")

    def process(self, stream: Iterator[Token]) -> Iterator[Token]:
        notation, source = CURRENT.get()
        pending: Token | None = None
        for tok in stream:
            if pending is not None:
                # \exp directly followed by ^ is \exp^{...} (thread 002), not \exp of an argument.
                kind = "EXPPOW" if tok.type == "CARET" else "FUNC"
                yield Token.new_borrow_pos(kind, pending.value, pending)
                pending = None
            if tok.type == "OPNAME":
                name = tok.value[tok.value.index("{") + 1 : -1].strip()
                yield Token.new_borrow_pos("FUNC", f"\\operatorname{{{name}}}", tok)
                continue
            if tok.type != "MACRO":
                yield tok
                continue
            name = tok.value[1:]
            if tok.value in notation.partial:
                yield Token.new_borrow_pos("PARTIAL", tok.value, tok)
            elif tok.value in notation.sum:
                yield Token.new_borrow_pos("SUM", tok.value, tok)
            elif name == "exp":
                pending = tok
            elif name in _TYPES:
                yield Token.new_borrow_pos(_TYPES[name], tok.value, tok)
            elif name in GREEK:
                yield Token.new_borrow_pos("GREEK", tok.value, tok)
            elif name in _LAYOUT:
                continue
            else:
                raise _unknown(tok, source)
        if pending is not None:
            yield Token.new_borrow_pos("FUNC", pending.value, pending)


def _unknown(tok: Token, source: str) -> UnknownMacroError:
    close = difflib.get_close_matches(tok.value[1:], sorted(KNOWN), n=3, cutoff=0.6)
    hint = (
        "did you mean " + " or ".join(f"\\{c}" for c in close) + "?"
        if close
        else "the notation page lists every macro the reader knows"
    )
    return UnknownMacroError(
        f"unknown macro {tok.value}", source, tok.start_pos, tok.end_pos, suggestion=hint
    )
