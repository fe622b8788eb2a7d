"""Letters, indices and scripts: how a symbol of the source becomes a quantity of the engine."""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from typing import Any

import sympy as sp
from lark import Token, Tree

from gradproof import derive
from gradproof.latex._nodes import Node, indices_in
from gradproof.latex.errors import LatexSyntaxError, NotationError
from gradproof.latex.notation import Key, Notation, show_key

#: The most digits an exact power of two numbers may have (10^{10^{10}} would take hours).
MAX_DIGITS = 10_000
_DECORATIONS = ("\\hat", "\\widehat", "\\tilde")
# Roles whose letter carries one class index; the value of each.
_CLASS_VECTORS = {
    "logits": lambda a: derive.z[a],
    "targets": lambda a: derive.p[a],
    "softmax": derive.q,
    "upstream": lambda a: derive.g[a],
    "weighted": derive.s,
}
_SCALARS = {
    "loss": lambda: derive.J,
    "upstream_loss": lambda: derive.L,
    "classes": lambda: derive.n,
    "input_size": lambda: derive.D,
}


@dataclass
class Context:
    """What a reading needs besides the tree: the notation, the source, definitions, findings."""

    notation: Notation
    source: str
    #: Letters defined by the author (``s_j = ...``): key -> (parameters, definition).
    definitions: dict[Key, tuple[tuple[sp.Symbol, ...], Any]] = field(default_factory=dict)
    #: Set when weights or the layer input appear: the logits are then those of z = W x.
    linear_layer: bool = False
    #: Spans of the derivatives in a softmax entry read so far (a nested one is refused).
    q_derivatives: list[tuple[int, int]] = field(default_factory=list)


def span(tree: Tree | Token) -> tuple[int, int]:
    """Start and end offsets of a token or a tree (positions are propagated by the parser)."""
    if isinstance(tree, Token):
        return tree.start_pos or 0, tree.end_pos or 0
    return tree.meta.start_pos, tree.meta.end_pos


class Symbols:
    """The part of the reader that resolves letters and indices (mixed into the Reader)."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.nt = ctx.notation

    def _err(self, cls: type, message: str, where: Any, suggestion: str = "") -> Exception:
        start, end = where if isinstance(where, tuple) else span(where)
        return cls(message, self.ctx.source, start, end, suggestion)

    # ---- letters --------------------------------------------------------------------------

    def symbol_key(self, atom: Tree) -> tuple[Key, list[Tree], bool]:
        """(key, subscripts found inside the atom, written as a vector) of a letter atom."""
        if atom.data in ("letter", "greek"):
            return atom.children[0].value, [], False
        if atom.data == "group":
            item = self._lone_item(atom)
            if item is None:
                raise self._err(LatexSyntaxError, "expected one letter here", atom)
            key, inner, vector = self.symbol_key(item.children[0])
            posts = [p.children[0] for p in item.children[1:]]
            if any(p.data == "sup" for p in posts):
                raise self._err(LatexSyntaxError, "write the power outside the accent", atom)
            return key, inner + posts, vector
        if atom.data != "accent":
            raise self._err(LatexSyntaxError, "expected a letter here", atom)
        name = atom.children[0].value
        key, inner, _ = self.symbol_key(atom.children[1])
        if name in _DECORATIONS:
            if not isinstance(key, str) or (len(key) > 1 and not key.startswith("\\")):
                raise self._err(LatexSyntaxError, f"{name} of an accented letter", atom)
            return ("tilde" if name == "\\tilde" else "hat", key), inner, False
        return key, inner, name != "\\boldsymbol"

    def _lone_item(self, group: Tree) -> Tree | None:
        expr = group.children[1]
        if len(expr.children) != 1 or len(expr.children[0].children) != 1:
            return None
        unit = expr.children[0].children[0]
        if unit.data != "unit" or unit.children[0].data != "item":
            return None
        item = unit.children[0]
        if item.children[0].data not in ("letter", "greek", "accent", "group"):
            return None
        return item

    def symbol(
        self, key: Key, sub: Tree | None, sup: Tree | None, where: tuple[int, int], vector: bool
    ) -> Node:
        """A letter with its subscript and superscript, resolved through the notation."""
        # \vec s and s read alike, as the component at the vector index; a product of two
        # such whole vectors is refused (Reader._product), where the readings would differ.
        del vector
        indices = self.sub_indices(sub) if sub is not None else []
        transposed = False
        if sup is not None and self._is_top(sup):
            transposed, sup = True, None
        node = self._resolve(key, indices, where, sub)
        if node.kind == "row":
            node = Node(None, *where, node.free, kind="row", data=(node.data[0], transposed))
        elif transposed:
            raise self._err(
                NotationError,
                "only a weight row is transposed here: w_i^\\top x",
                where,
                suggestion="write the logit as w_i^\\top x, or drop the ^\\top",
            )
        if sup is None:
            whole = sub is None and node.kind in ("expr", "softmax_name", "input") and node.free
            return replace(node, whole=bool(whole))
        if node.kind not in ("expr", "softmax_name", "input"):
            raise self._err(LatexSyntaxError, "this cannot be raised to a power", where)
        if node.expr == sp.E:
            exponent = self.script_expr(sup.children[1])
            value = sp.exp(exponent.expr)
        else:
            value = self.pow(node.expr, self.script_expr(sup.children[1]).expr, where)
        return Node(value, *where, indices_in(value))

    def pow(self, base: Any, exponent: Any, where: Any) -> Any:
        """``base ** exponent``, refused when both are numbers and the exact value would have
        more than :data:`MAX_DIGITS` digits (sympy computes it eagerly: 10^{10^{10}} hangs)."""
        if isinstance(base, sp.Rational) and isinstance(exponent, sp.Rational) and base != 0:
            top = max(abs(base.p), base.q)
            digits = float(abs(exponent)) * math.log10(top)
            if digits > MAX_DIGITS:
                raise self._err(
                    LatexSyntaxError,
                    f"a power of numbers with about {digits:.3g} digits: the reader works with "
                    f"exact numbers and refuses those over {MAX_DIGITS} digits",
                    where,
                    suggestion="write a smaller power, or keep the exponent a letter",
                )
        return sp.Pow(base, exponent)

    def _is_top(self, sup: Tree) -> bool:
        script = sup.children[1]
        tok = script.children[0]
        return isinstance(tok, Token) and (
            tok.type == "TOP" or (tok.type == "LETTER" and tok.value == "T")
        )

    def sub_indices(self, sub: Tree) -> list[Any]:
        if sub.data == "bsub":
            return self.index_list_body(sub.children[1])
        return self.index_list_script(sub.children[1])

    def _resolve(self, key: Key, indices: list[Any], where: tuple[int, int], sub: Any) -> Node:
        start, end = where
        if key in self.ctx.definitions:
            return self._defined(key, indices, where)
        role = self.nt.role_of(key)
        softmax = self.nt.roles.get("softmax")
        if role is None and isinstance(key, tuple) and key[0] == "tilde" and key[1] == softmax:
            (a,) = self._arity(key, indices, 1, where, allow_none=False)
            value = derive.qv[a]
            return Node(value, start, end, indices_in(value))
        if role is None and key in self.nt.constants:
            self._arity(key, indices, 0, where, allow_none=True)
            return Node(sp.Symbol(str(key).lstrip("\\"), real=True), start, end)
        if role is None and key in self.nt.vectors:
            (a,) = self._arity(key, indices, 1, where, allow_none=True) or [self._vector_index()]
            value = sp.IndexedBase(str(key).lstrip("\\"))[a]
            return Node(value, start, end, indices_in(value))
        if role is None:
            if key == "e" and not indices:
                return Node(sp.E, start, end)
            if key == "\\delta":
                a, b = self._arity(key, indices, 2, where, allow_none=False)
                value = sp.KroneckerDelta(a, b)
                return Node(value, start, end, indices_in(value))
            raise self._unknown(key, where, sub is not None)
        return self.quantity(role, indices, start, end, key)

    def _unknown(self, key: Key, where: tuple[int, int], indexed: bool) -> Exception:
        shown = show_key(key)
        letters = ", ".join(f"{r} {self.nt.letter(r)}" for r in self.nt.roles)
        if not indexed and isinstance(key, str) and len(key) == 1:
            hint = (
                f"if {shown} is an index, it can only appear below a letter or a sum; "
                f"if it is a quantity, give it a role (the notation has {letters})"
            )
        else:
            hint = f"give it a role in the notation (it has {letters})"
        return self._err(NotationError, f"{shown} is not in the notation", where, suggestion=hint)

    def _arity(
        self, key: Key, indices: list[Any], count: int, where: tuple[int, int], allow_none: bool
    ) -> list[Any]:
        if len(indices) == count or (allow_none and not indices):
            return indices
        raise self._err(
            NotationError,
            f"{show_key(key)} takes {count} index{'es' if count > 1 else ''}, got {len(indices)}",
            where,
        )

    def quantity(
        self, role: str, indices: list[Any], start: int, end: int, key: Key | None = None
    ) -> Node:
        """The engine's quantity for `role` with `indices` (a vector letter alone: component)."""
        key = key if key is not None else self.nt.roles.get(role, role)
        where = (start, end)
        if role in _CLASS_VECTORS:
            (a,) = self._arity(key, indices, 1, where, allow_none=True) or [self._vector_index()]
            value = _CLASS_VECTORS[role](a)
            kind = "softmax_name" if role == "softmax" and not indices else "expr"
            return Node(value, start, end, indices_in(value), kind=kind)
        if role in _SCALARS:
            self._arity(key, indices, 0, where, allow_none=True)
            return Node(_SCALARS[role](), start, end)
        self.ctx.linear_layer = True
        if role == "inputs":
            (a,) = self._arity(key, indices, 1, where, allow_none=True) or [self._input_index()]
            self._input_axis(a, where)
            value = derive.x[a]
            return Node(
                value, start, end, indices_in(value), kind="input" if not indices else "expr"
            )
        # weights: an entry, a row, or (by the notation's option) the row weight_row
        if len(indices) == 2:
            self._input_axis(indices[1], where)
            value = derive.W[indices[0], indices[1]]
            return Node(value, start, end, indices_in(value))
        if len(indices) == 1:
            return Node(
                None, start, end, indices_in(indices[0]), kind="row", data=(indices[0], False)
            )
        if self.nt.weight_row:
            row = self.index_symbol(self.nt.weight_row, where)
            return Node(None, start, end, frozenset({row}), kind="row", data=(row, False))
        raise self._err(
            NotationError,
            "a derivative or value of the whole weight matrix is an array: name a row or an entry",
            where,
            suggestion="write w_i (row i) or W_{i d}; to read a thread's bare w as the row w_i, "
            "set the notation option weight_row=i",
        )

    def _input_axis(self, a: Any, where: tuple[int, int]) -> None:
        if isinstance(a, sp.Symbol) and a != derive.d:
            raise self._err(
                NotationError,
                f"index {a} runs over the classes but labels an input",
                where,
                suggestion=f"the inputs are indexed by {self.nt.input_index} (input_index)",
            )

    def _defined(self, key: Key, indices: list[Any], where: tuple[int, int]) -> Node:
        params, body = self.ctx.definitions[key]
        if not indices and len(params) == 1:  # \vec s: the component at the vector index
            indices = [self._vector_index()]
        self._arity(key, indices, len(params), where, allow_none=False)
        bound = {lim[0] for s in body.atoms(sp.Sum) for lim in s.limits}
        if bound & set(indices):
            raise self._err(
                NotationError,
                f"{show_key(key)}'s definition sums over an index used here",
                where,
                suggestion="rename the summation index in the definition",
            )
        value = body.xreplace(dict(zip(params, indices, strict=True)))
        return Node(value, *where, indices_in(value), delimited=True)

    def _vector_index(self) -> sp.Symbol:
        return self.index_symbol(self.nt.vector_index, (0, 0))

    def _input_index(self) -> sp.Symbol:
        return derive.d

    # ---- indices --------------------------------------------------------------------------

    def index_symbol(self, letter: str, where: Any) -> Any:
        if letter == self.nt.input_index:
            return derive.d
        role = self.nt.role_of(letter)
        if role == "classes":
            return derive.n
        if role == "input_size":
            return derive.D
        if role is not None:
            raise self._err(
                NotationError,
                f"{letter} is the {role} in this notation, not an index",
                where,
                suggestion="use another letter for the index, or change the notation",
            )
        if letter == "d":  # the engine's d runs over the inputs; this d runs over the classes
            return sp.Symbol("d", integer=True)
        return sp.Symbol(letter, integer=True, positive=True)

    def index_token(self, tok: Token) -> Any:
        if tok.type == "LETTER":
            return self.index_symbol(tok.value, tok)
        if tok.type == "NUMBER":
            return self._digit(tok, "_", "subscripts")
        raise self._err(NotationError, f"{tok.value} cannot be an index", tok)

    def _digit(self, tok: Token, mark: str, verb: str) -> sp.Integer:
        """A number written right after _ or ^: LaTeX takes its first digit only."""
        if len(tok.value) > 1:
            raise self._err(
                LatexSyntaxError,
                f"{mark}{tok.value} {verb} only its first digit in LaTeX",
                tok,
                suggestion=f"write {mark}{{{tok.value}}}",
            )
        return sp.Integer(int(tok.value))

    def index_list_script(self, script: Tree) -> list[Any]:
        first = script.children[0]
        if isinstance(first, Token) and first.type != "LBRACE":
            return [self.index_token(first)]
        return self.index_list_body(script.children[1])

    def index_list_body(self, body: Tree) -> list[Any]:
        if body.data != "script_list":
            raise self._err(
                LatexSyntaxError,
                "a condition such as k \\ne i belongs below a sum",
                body,
                suggestion="\\sum_{k \\ne i}",
            )
        out: list[Any] = []
        for expr in body.children:
            if isinstance(expr, Tree):
                out.extend(self.index_list(expr))
        return out

    def index_list(self, expr: Tree) -> list[Any]:
        """Indices of one subscript entry: ``ij`` is two indices, ``i+1`` one."""
        terms = [c for c in expr.children if isinstance(c, Tree)]
        if len(terms) == 1 and not any(isinstance(c, Token) for c in expr.children):
            units = terms[0].children
            if all(isinstance(u, Tree) for u in units):
                return [self._index_unit(u) for u in units]
        return [self.index_value(expr)]

    def index_value(self, expr: Tree) -> Any:
        """One index expression: a letter, a number, or a sum such as ``i + 1``."""
        total: Any = sp.S.Zero
        sign = 1
        for child in expr.children:
            if isinstance(child, Token):
                sign = -1 if child.type == "MINUS" else 1
                continue
            units = child.children
            if len(units) != 1 or not isinstance(units[0], Tree):
                raise self._err(LatexSyntaxError, "an index is a letter or a number", child)
            total += sign * self._index_unit(units[0])
            sign = 1
        return total

    def index_value_script(self, script: Tree) -> Any:
        first = script.children[0]
        if isinstance(first, Token) and first.type != "LBRACE":
            return self.index_token(first)
        body = script.children[1]
        if body.data != "script_list" or len(body.children) != 1:
            raise self._err(LatexSyntaxError, "expected one index or number", script)
        return self.index_value(body.children[0])

    def _index_unit(self, unit: Tree) -> Any:
        item = unit.children[0] if unit.data == "unit" else None
        if item is None or item.data != "item" or len(item.children) != 1:
            raise self._err(LatexSyntaxError, "an index is a letter or a number", unit)
        atom = item.children[0]
        if atom.data == "letter":
            return self.index_symbol(atom.children[0].value, atom)
        if atom.data == "number" and "." not in atom.children[0].value:
            return sp.Integer(int(atom.children[0].value))
        if atom.data == "group":
            return self.index_value(atom.children[1])
        raise self._err(LatexSyntaxError, "an index is a letter or a number", unit)

    def _call_index(self, unit: Tree) -> Any:
        """The index of a call such as ``\\sigma(j)`` or ``q(1)``, or None for a product.

        Brackets right after the bare softmax letter hold the index of an entry when they hold
        an index (a letter that is not a quantity, a number, ``j + 1``): thread 003 writes
        ``\\sigma(j)``. Brackets that hold a quantity (``q(1 - q)``) are a product. Brackets
        that hold neither (``q(0.5)``), or a call with a power or an index after it, are
        refused: the page would show an entry and the reader would multiply.
        """
        if unit.data != "unit" or unit.children[0].data != "item":
            return None
        item = unit.children[0]
        if item.children[0].data != "paren":
            return None
        expr = next(c for c in item.children[0].children if isinstance(c, Tree))
        letters = [
            t.value
            for t in expr.scan_values(lambda v: isinstance(v, Token))
            if t.type in ("LETTER", "GREEK", "ACCENT", "MACRO")
        ]
        try:
            value = self.index_value(expr)
        except ValueError:
            value = None
        if value is not None and "e" in letters:
            value = None  # q(e) is q times Euler's number, as before
        if value is None and letters:
            return None
        shown = self.ctx.source[slice(*span(item.children[0]))]
        if value is None:
            raise self._err(
                NotationError,
                f"brackets {shown} right after the softmax letter hold the index of an entry, "
                "and this is not an index",
                item,
                suggestion="write the entry with its index (q_1, \\sigma(j)), or the product "
                "with \\cdot",
            )
        if len(item.children) > 1:
            raise self._err(
                LatexSyntaxError,
                f"a power or index after the call form {shown}",
                item,
                suggestion="write the entry with a subscript, q_{1}^2, or bracket the call: "
                "(\\sigma(j))^2",
            )
        return value

    def _logit(self, row: Node, rest: list[tuple[str | None, Tree]]) -> tuple[Node, int]:
        """``w_a^\\top x`` (a transposed row times the input) is the logit z_a of z = W x."""
        index, transposed = row.data
        if rest and rest[0][0] in (None, "mul") and transposed:
            nxt = self.unit(rest[0][1]) if rest[0][1].data == "unit" else None
            if nxt is not None and nxt.kind == "input":
                self.ctx.linear_layer = True
                value = derive.z[index]
                return Node(value, row.start, nxt.end, indices_in(value)), 1
        raise self._err(
            NotationError,
            "a weight row stands alone: the logit is w_a^\\top x",
            (row.start, row.end),
            suggestion="write w_a^\\top x (the row transposed, times the input)",
        )

    def script_expr(self, script: Tree) -> Node:
        first = script.children[0]
        if isinstance(first, Token) and first.type != "LBRACE":
            where = span(first)
            if first.type == "NUMBER":
                return Node(self._digit(first, "^", "raises to"), *where)
            if first.type in ("LETTER", "GREEK"):
                return self.symbol(first.value, None, None, where, False)
            raise self._err(LatexSyntaxError, f"unexpected {first.value} as an exponent", first)
        body = script.children[1]
        if body.data != "script_list" or len(body.children) != 1:
            raise self._err(LatexSyntaxError, "expected one expression", script)
        return self.expr(body.children[0])  # type: ignore[attr-defined]
