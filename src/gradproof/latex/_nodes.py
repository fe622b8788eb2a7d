"""What the reader builds from each piece of text: an expression with its index bookkeeping."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

import sympy as sp


@dataclass(frozen=True)
class Node:
    """A piece of a formula, read.

    Attributes
    ----------
    expr : sympy expression or None
        The value (None for pieces that are not values on their own, such as a derivative
        operator or a weight row).
    start, end : int
        Where the piece is in the source.
    free : frozenset of Symbol
        Indices that are free in the piece (hidden ones included: the vector index of
        ``\\vec s``, the input index of ``\\mathbf x``).
    exposed : frozenset of Symbol
        Indices bound by a sum whose scope is not closed by a delimiter, so that a free use of
        the same letter next to it would be ambiguous.
    delimited : bool
        The piece is enclosed (parentheses, braces, a fraction), so its scope is visible.
    kind : str
        ``"expr"``; ``"dop"`` (a derivative operator, ``data`` = its variables); ``"row"`` (a
        weight row, ``data`` = (row index, transposed)); ``"input"`` (the input vector);
        ``"partial"`` (a bare partial sign, ``data`` = order); ``"softmax_name"`` (the softmax
        letter alone, which may be called as ``\\sigma(j)``).
    whole : bool
        A vector letter written without an index (``\\vec q``, ``\\mathbf x``, ``s``): it
        reads as its component, so two of them may not be multiplied (a dot product?).
    """

    expr: Any
    start: int
    end: int
    free: frozenset[sp.Symbol] = field(default_factory=frozenset)
    exposed: frozenset[sp.Symbol] = field(default_factory=frozenset)
    delimited: bool = False
    kind: str = "expr"
    data: Any = None
    whole: bool = False

    def closed(self, start: int, end: int) -> Node:
        """The same value enclosed in a delimiter spanning ``start``..``end``."""
        return replace(self, start=start, end=end, exposed=frozenset(), delimited=True)

    def at(self, start: int, end: int) -> Node:
        return replace(self, start=start, end=end)

    def with_expr(self, expr: Any, **changes: Any) -> Node:
        return replace(self, expr=expr, **changes)


def indices_in(expr: Any) -> frozenset[sp.Symbol]:
    """Index symbols (integer symbols other than the dimensions) appearing in `expr`."""
    if not isinstance(expr, sp.Basic):
        return frozenset()
    from gradproof.derive import D, n  # noqa: PLC0415  (import cycle-free, cheap)

    return frozenset(
        s
        for s in expr.free_symbols
        if isinstance(s, sp.Symbol) and s.is_integer and s not in (n, D)
    )
