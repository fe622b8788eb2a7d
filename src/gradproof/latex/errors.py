"""Errors of the LaTeX reader: each a ValueError that points at the offending text.

Every error knows the source, the 1-based line and column where the problem starts, how many
characters to underline, and a suggestion. ``str(error)`` shows all of it::

    line 1, column 6: \\log followed by two factors: which does it apply to?
      \\log q_j p_j
           ^^^^^^^^
      write \\log(q_j p_j) or p_j \\log q_j
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "AmbiguousNotationError",
    "IndexScopeError",
    "LatexError",
    "LatexSyntaxError",
    "NotationError",
    "UnknownMacroError",
]


class LatexError(ValueError):
    """A derivation's LaTeX could not be read; ``line``, ``column`` and ``suggestion`` say why.

    Parameters
    ----------
    message : str
        What is wrong, in one sentence.
    source : str
        The whole text that was read.
    start, end : int
        Character offsets of the offending text in `source` (``end`` exclusive).
    suggestion : str
        How to write it instead.
    """

    def __init__(
        self, message: str, source: str, start: int, end: int | None = None, suggestion: str = ""
    ) -> None:
        start = max(0, min(start, len(source)))
        end = start + 1 if end is None or end <= start else min(end, max(len(source), start + 1))
        self.message = message
        self.source = source
        self.start, self.end = start, end
        self.suggestion = suggestion
        self.line = source.count("\n", 0, start) + 1
        line_start = source.rfind("\n", 0, start) + 1
        self.column = start - line_start + 1
        line_end = source.find("\n", start)
        self.source_line = source[line_start : (len(source) if line_end < 0 else line_end)]
        # The underline stops at the end of the line when the offending text spans lines.
        self.width = max(1, min(end, line_start + len(self.source_line)) - start)
        super().__init__(self._text())

    def _text(self) -> str:
        where = f"line {self.line}, column {self.column}: {self.message}"
        excerpt = f"  {self.source_line}\n  {' ' * (self.column - 1)}{'^' * self.width}"
        out = f"{where}\n{excerpt}"
        return f"{out}\n  {self.suggestion}" if self.suggestion else out

    def to_dict(self) -> dict[str, Any]:
        """The error as JSON-ready data (what ``check_source`` returns)."""
        return {
            "type": type(self).__name__,
            "message": self.message,
            "line": self.line,
            "column": self.column,
            "width": self.width,
            "source_line": self.source_line,
            "suggestion": self.suggestion,
            "text": str(self),
        }


class LatexSyntaxError(LatexError):
    """The text is not a formula of this notation: a stray token, an unbalanced brace."""


class UnknownMacroError(LatexError):
    """A macro the reader does not know (it never guesses what one means)."""


class AmbiguousNotationError(LatexError):
    """Text with two readings that give different values, such as ``\\log q_j p_j``."""


class IndexScopeError(LatexError):
    """An index used both bound (by a sum) and free in one scope."""


class NotationError(LatexError):
    """A letter the notation does not define, or a quantity used in a way it cannot be."""
