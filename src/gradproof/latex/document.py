r"""An align body read as a chain of claimed equalities, ready for the engine.

``lhs &= rhs_1 && \text{why} \\ &= rhs_2 \\ ...``: each ``=`` is one step, compared with the line
before it. A row may hold several ``=`` (``a = b = c``); ``&`` and ``\\`` are layout. The reason of
a step is the ``\text{...}`` after it (``&& \text{...}`` or ``\quad \text{...}``); a ``\tag`` or
``\label`` after it is kept for display.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import sympy as sp
from lark import Token, Tree

from gradproof.latex._parser import parse_tree
from gradproof.latex._reader import Reader
from gradproof.latex._symbols import Context, span
from gradproof.latex.errors import LatexSyntaxError, NotationError
from gradproof.latex.notation import Key, Notation, show_key

__all__ = ["Line", "ParsedDerivation", "read_align"]


@dataclass(frozen=True)
class Line:
    """One side of the chain: the left-hand side (``number`` 0) or step ``number``.

    ``latex`` is the text as written; ``line`` and ``column`` (1-based) are where it starts.
    """

    number: int
    expr: Any
    latex: str
    line: int
    column: int
    relation: str = "="
    reason: str = ""
    tags: tuple[str, ...] = ()
    labels: tuple[str, ...] = ()


@dataclass(frozen=True)
class ParsedDerivation:
    """What :func:`read_align` read: the lines, and the options the engine needs."""

    source: str
    lines: tuple[Line, ...]
    notation: Notation
    linear_layer: bool = False
    assume: tuple[Any, ...] = ()
    where: tuple[Any, ...] = ()
    definitions: tuple[str, ...] = field(default_factory=tuple)

    @property
    def lhs(self) -> Any:
        return self.lines[0].expr

    @property
    def steps(self) -> tuple[Line, ...]:
        return self.lines[1:]

    def derivation(self, **options: Any) -> Any:
        """The :class:`gradproof.derive.Derivation` of these lines (options passed on)."""
        from gradproof.derive import Derivation, Step  # noqa: PLC0415

        steps = [Step(line.expr, line.reason) for line in self.steps]
        return Derivation(
            self.lhs,
            steps,
            assume=self.assume,
            where=self.where,
            linear_layer=self.linear_layer,
            **options,
        )


def _text_of(tok: Token) -> str:
    value = tok.value
    inner = value[value.index("{") + 1 : -1]
    return inner.strip()


def read_align(
    text: str,
    notation: Notation | None = None,
    *,
    assume: Iterable[str] = (),
    where: Iterable[str] = (),
    define: Iterable[str] = (),
) -> ParsedDerivation:
    r"""Read an align body (or one equation ``a = b``) into a :class:`ParsedDerivation`.

    Parameters
    ----------
    text : str
        ``lhs &= rhs \\ &= rhs ...`` in LaTeX.
    notation : Notation, optional
        Which letter is which quantity (the site's letters by default).
    assume : iterable of str
        Equations the steps may use, e.g. ``\sum_k p_k = 1``.
    where : iterable of str
        Restrictions of the free indices: ``i \ne j`` or ``i = j``.
    define : iterable of str
        Letters defined by the author, e.g. ``s_j = \frac{\partial L}{\partial y_j} y_j``.

    Examples
    --------
    >>> d = read_align(r"\frac{\partial J}{\partial z_i} &= q_i \sum_k p_k - p_i "
    ...                r"&& \text{chain rule}")
    >>> print(d.lhs, "=", d.steps[0].expr, "|", d.steps[0].reason)
    Derivative(J(), z[i]) = q(i)*Sum(p[k], (k, 1, n)) - p[i] | chain rule
    """
    notation = notation or Notation.make()
    ctx = Context(notation, text)
    definitions = list(define)
    for entry in definitions:
        _define(entry, ctx)
    ctx.source = text
    lines = _chain(text, ctx)
    # A defined letter no longer has its role (only s's may be taken): the notation says so.
    notation = notation.with_options(
        roles={r: k for r, k in notation.roles.items() if k not in ctx.definitions}
    )
    ctx_assume = Context(notation, "", ctx.definitions)
    eqs = []
    for entry in assume:
        ctx_assume.source = entry
        chain = _chain(entry, ctx_assume)
        if len(chain) != 2:
            msg = "an assumption is one equation, a = b"
            raise LatexSyntaxError(msg, entry, 0, len(entry))
        eqs.append(sp.Eq(chain[0].expr, chain[1].expr))
    wheres = [_where(entry, notation) for entry in where]
    return ParsedDerivation(
        source=text,
        lines=tuple(lines),
        notation=notation,
        linear_layer=ctx.linear_layer or ctx_assume.linear_layer,
        assume=tuple(eqs),
        where=tuple(wheres),
        definitions=tuple(definitions),
    )


def _chain(text: str, ctx: Context) -> list[Line]:
    tree = parse_tree(text, ctx.notation)
    reader = Reader(ctx)
    exprs: list[tuple[Tree, str]] = []
    notes: dict[int, dict[str, list[str]]] = {}
    relation = "="
    for child in tree.children:
        if isinstance(child, Tree):
            exprs.append((child, relation))
            continue
        index = max(len(exprs) - 1, 1)
        bucket = notes.setdefault(index, {"reason": [], "tags": [], "labels": []})
        if child.type == "REL":
            relation = child.value
        elif child.type == "TEXT":
            bucket["reason"].append(_text_of(child))
        elif child.type == "TAG":
            bucket["tags"].append(child.value)
        elif child.type == "LABEL":
            bucket["labels"].append(_text_of(child))
    if len(exprs) < 2:
        msg = "a derivation needs at least one ="
        raise LatexSyntaxError(msg, text, 0, len(text.rstrip()), suggestion="write lhs &= rhs")
    lines = []
    for number, (tree_, rel) in enumerate(exprs):
        start, end = span(tree_)
        node = reader.expr(tree_)
        row = text.count("\n", 0, start) + 1
        column = start - (text.rfind("\n", 0, start) + 1) + 1
        note = notes.get(number, {"reason": [], "tags": [], "labels": []})
        lines.append(
            Line(
                number=number,
                expr=node.expr,
                latex=text[start:end].strip(),
                line=row,
                column=column,
                relation=rel,
                reason=" ".join(note["reason"]),
                tags=tuple(note["tags"]),
                labels=tuple(note["labels"]),
            )
        )
    return lines


def _define(entry: str, ctx: Context) -> None:
    ctx.source = entry
    tree = parse_tree(entry, ctx.notation)
    exprs = [c for c in tree.children if isinstance(c, Tree)]
    if len(exprs) != 2:
        msg = "a definition is one equation, s_j = ..."
        raise LatexSyntaxError(msg, entry, 0, len(entry))
    reader = Reader(ctx)
    left = exprs[0]
    start, end = span(left)
    msg = "the left side of a definition is a letter with its indices, such as s_j"
    units = left.children[0].children if len(left.children) == 1 else []
    unit = units[0] if len(units) == 1 and units[0].data == "unit" else None
    item = unit.children[0] if unit is not None else None
    if item is None or item.data != "item":
        raise NotationError(msg, entry, start, end)
    key, inner, _ = reader.symbol_key(item.children[0])
    taken = _meaning(key, ctx.notation)
    if taken:
        refused = (
            f"{show_key(key)} is {taken} in the notation: a definition cannot give it another "
            "meaning, since the engine and the rest of the derivation keep reading it so"
        )
        raise NotationError(
            refused,
            entry,
            start,
            end,
            suggestion="define another letter, such as r_i",
        )
    if len(item.children) != 2:
        raise NotationError(msg, entry, start, end)
    params = reader.sub_indices(item.children[1].children[0])
    if inner or not all(isinstance(p, sp.Symbol) for p in params):
        raise NotationError(msg, entry, start, end)
    body = reader.expr(exprs[1])
    _check_definition(key, params, body, ctx, (entry, start, end))
    ctx.definitions[key] = (tuple(params), body.expr)


def _check_definition(
    key: Key, params: list[Any], body: Any, ctx: Context, where: tuple[str, int, int]
) -> None:
    """Refuse a repeated index (r_{ii}: r_{ij} would be whatever was kept), a letter defined
    twice, and a free index of the body that is not a parameter (a sum around a use of the
    letter would capture it)."""
    shown = show_key(key)
    if len(set(params)) != len(params):
        msg = (
            f"{shown} is defined with a repeated index: its value where the indices differ "
            "would be undefined"
        )
        suggestion = "give each index its own letter, r_{ij} = ..., and a delta for a diagonal"
        raise NotationError(msg, *where, suggestion=suggestion)
    if key in ctx.definitions:
        msg = f"{shown} is defined twice: only one definition of a letter can hold"
        raise NotationError(msg, *where, suggestion="keep one definition, or define another letter")
    loose = sorted(map(str, body.free - set(params)))
    if loose:
        msg = (
            f"the definition of {shown} has the free index {', '.join(loose)}, which is not "
            "among its indices: a sum around a use of the letter would capture it"
        )
        suggestion = "add it to the letter's indices, or bind it by a sum in the definition"
        raise NotationError(msg, where[0], body.start, body.end, suggestion=suggestion)


# What each role's letter stands for, as a refused definition names it. The weighted gradient
# s = g q is missing: nothing else in the notation is built on it, so a definition may take its
# letter (thread 004 defines s_j itself); the notation then no longer lists it.
_ROLE_MEANINGS = {
    "logits": "the logits",
    "targets": "the targets",
    "softmax": "the softmax",
    "loss": "the cross-entropy loss",
    "upstream_loss": "the loss L",
    "upstream": "the upstream gradient",
    "classes": "the number of classes",
    "inputs": "the input of the linear layer",
    "weights": "the weights",
    "input_size": "the input size",
}


def _meaning(key: Key, notation: Notation) -> str:
    """What `key` already means in `notation` ('' when a definition may take it)."""
    role = notation.role_of(key)
    if role is not None:
        return _ROLE_MEANINGS.get(role, "")
    if key == ("tilde", notation.roles.get("softmax")):
        return "the free probabilities"
    if key in notation.constants:
        return "a declared constant"
    if key in notation.vectors:
        return "a declared vector"
    return {"e": "Euler's number", "\\delta": "the Kronecker delta"}.get(str(key), "")


_WHERE = re.compile(r"^\s*([a-zA-Z])\s*(=|\\neq?(?![a-zA-Z])|≠)\s*([a-zA-Z0-9])\s*$")


def _where(entry: str, notation: Notation) -> Any:
    match = _WHERE.match(entry)
    if not match:
        msg = "a restriction is i = j or i \\ne j"
        raise LatexSyntaxError(msg, entry, 0, len(entry), suggestion="for example  i \\ne j")
    reader = Reader(Context(notation, entry))
    a = reader.index_symbol(match.group(1), (match.start(1), match.end(1)))
    raw = match.group(3)
    b = (
        sp.Integer(int(raw))
        if raw.isdigit()
        else reader.index_symbol(raw, (match.start(3), match.end(3)))
    )
    equal = match.group(2) == "="
    if a == b:  # sympy would read it as True or False, and say so in its own words
        never = "always holds" if equal else "never holds"
        msg = f"the restriction {entry.strip()} {never}: it compares {a} with itself"
        raise LatexSyntaxError(msg, entry, 0, len(entry), suggestion="for example  i \\ne j")
    return sp.Eq(a, b) if equal else sp.Ne(a, b)


def split_rows(lines: Sequence[Line]) -> list[Line]:
    """The lines in order (a helper for renderers)."""
    return list(lines)
