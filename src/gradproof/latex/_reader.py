"""From Lark's parse tree to the engine's sympy expressions, with the ambiguity checks.

The grammar leaves each term a flat list of units; :meth:`Reader.term` decides what each unit
applies to. The rules, as the notation page states them:

* A sum (``\\sum_k``) and a derivative operator (``\\frac{\\partial}{\\partial z_i}``) apply to
  the whole rest of their term, up to the next ``+`` or ``-`` outside brackets.
* A function (``\\log``, ``\\ln``, ``\\exp``) applies to the unit right after it; when that unit
  is not in brackets and another factor follows without an explicit ``\\cdot``, which factors
  it covers is ambiguous, and that is an error.
* ``a / b`` divides by the one unit after the slash; ``a / b c`` is an error.
* An index bound by a sum whose scope no bracket closes may not also be free next to it.

How a derivative is read, and with respect to what, is in :mod:`gradproof.latex._derivatives`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from itertools import pairwise
from typing import Any

import sympy as sp
from lark import Token, Tree

from gradproof import derive
from gradproof.latex._derivatives import Derivatives
from gradproof.latex._nodes import Node, indices_in
from gradproof.latex._symbols import span
from gradproof.latex.errors import (
    AmbiguousNotationError,
    IndexScopeError,
    LatexSyntaxError,
    NotationError,
)


class Reader(Derivatives):
    """Reads expression trees of the grammar in one :class:`Context`."""

    # ---- expressions and terms ------------------------------------------------------------

    def expr(self, tree: Tree) -> Node:
        start, end = span(tree)
        terms: list[tuple[int, Node]] = []
        sign = 1
        for child in tree.children:
            if isinstance(child, Token):
                sign = -1 if child.type == "MINUS" else 1
                continue
            terms.append((sign, self.term(child)))
            sign = 1
        for a, (_, first) in enumerate(terms):
            for b, (_, second) in enumerate(terms):
                if a != b:
                    self._check_scope(first, second, "added to")
        value = sp.Add(*[s * node.expr for s, node in terms])
        exposed = frozenset().union(*(node.exposed for _, node in terms))
        return Node(value, start, end, indices_in(value), exposed)

    def _check_scope(self, bound: Node, other: Node, how: str) -> None:
        clash = bound.exposed & indices_in(other.expr)
        if clash:
            name = min(map(str, clash))
            raise self._err(
                IndexScopeError,
                f"index {name} is bound by a sum here and free in the term it is {how}",
                (bound.start, bound.end),
                suggestion=(
                    f"put the sum in brackets, \\left(\\sum_{name} ...\\right), or rename its index"
                ),
            )

    def term(self, tree: Tree) -> Node:
        elems: list[tuple[str | None, Tree]] = []
        conn: str | None = None
        for child in tree.children:
            if isinstance(child, Token):
                conn = "div" if child.type == "SLASH" else "mul"
                continue
            elems.append((conn, child))
            conn = None
        return self.fold(elems)

    def fold(self, elems: Sequence[tuple[str | None, Tree]]) -> Node:
        """The product of a term's units, each operator taking the rest (module docstring)."""
        self._check_numbers_apart(elems)
        factors: list[tuple[Node, bool]] = []
        t = 0
        while t < len(elems):
            conn, unit = elems[t]
            if conn is None and t >= 2 and elems[t - 1][0] == "div":
                raise self._err(
                    AmbiguousNotationError,
                    "a / b c: is c in the denominator?",
                    (span(elems[t - 2][1])[0], span(unit)[1]),
                    suggestion="write \\frac{a}{b c}, or (a / b) c",
                )
            rest = elems[t + 1 :]
            if unit.data == "sum_op":
                factors.append((self.sum_op(unit, rest), conn == "div"))
                break
            if unit.data == "func_op":
                node, used = self.func_op(unit, rest)
                factors.append((node, conn == "div"))
                t += 1 + used
                continue
            if unit.data == "differential":
                node, used = self.slash_derivative(unit, rest)
                factors.append((node, conn == "div"))
                t += 1 + used
                continue
            node = self.unit(unit)
            if node.kind == "dop":
                factors.append((self.apply_dop(node, rest, span(unit)), conn == "div"))
                break
            if node.kind == "softmax_name" and rest and rest[0][0] is None:
                index = self._call_index(rest[0][1])
                if index is not None:
                    end = span(rest[0][1])[1]
                    node = self.quantity("softmax", [index], node.start, end)
                    t += 1
            if node.kind == "row":
                node, used = self._logit(node, rest)
                t += used
            elif node.kind not in ("expr", "softmax_name", "input"):
                raise self._misplaced(node)
            factors.append((node, conn == "div"))
            t += 1
        return self._product(factors)

    def _check_numbers_apart(self, elems: Sequence[tuple[str | None, Tree]]) -> None:
        """Refuse ``3 2``, ``1\\,000`` and ``1e-3``: math mode drops the spaces, so the page
        shows one number (32, 1000, 0.001) where the reader would multiply."""
        for (_, left), (conn, right) in pairwise(elems):
            if conn is not None:
                continue
            a, b = _number_or_e(left), _number_or_e(right)
            if a is None or b is None or (a == "e" and b == "e"):
                continue
            where = (span(left)[0], span(right)[1])
            raw = self.ctx.source[where[0] : where[1]]
            if b == "e" and not _EXPONENT_AFTER.match(self.ctx.source, where[1]):
                continue  # 2 e shows 2e, the product; only 2e3 and 2e-3 read as a number
            if "e" in (a, b):
                raise self._err(
                    AmbiguousNotationError,
                    f"{raw}: a number next to the letter e looks like 1e-3 (0.001), "
                    "but it would be read as a product with e",
                    where,
                    suggestion="write 10^{-3} for a power of ten, or 2 \\cdot e for the product",
                )
            raise self._err(
                AmbiguousNotationError,
                f"{raw}: math mode drops the space, so the page shows these numbers run "
                "together as one, but they would be multiplied",
                where,
                suggestion="write the number without a space, or put \\cdot between the "
                "numbers for the product",
            )

    def _product(self, factors: list[tuple[Node, bool]]) -> Node:
        whole = [f for f, div in factors if f.whole and not div]
        if len(whole) > 1:
            raw = self.ctx.source[whole[0].start : whole[1].end]
            names = [self.ctx.source[f.start : f.end] for f in whole[:2]]
            raise self._err(
                AmbiguousNotationError,
                f"{raw}: a product of two whole vectors, {names[0]} and {names[1]}; a dot "
                "product (one number) or the product of their entries?",
                (whole[0].start, whole[1].end),
                suggestion="write the dot product as \\sum_k q_k p_k, or the entries' product "
                "with their index, q_i p_i",
            )
        for a, (first, _) in enumerate(factors):
            for b, (second, _) in enumerate(factors):
                if a != b:
                    self._check_scope(first, second, "multiplied by")
        num = [f.expr for f, div in factors if not div]
        den = [f.expr for f, div in factors if div]
        value = sp.Mul(*num) / sp.Mul(*den) if den else sp.Mul(*num)
        start, end = factors[0][0].start, factors[-1][0].end
        exposed = frozenset().union(*(f.exposed for f, _ in factors))
        linear = any(f.kind == "input" for f, _ in factors)
        if linear:
            self.ctx.linear_layer = True
        return Node(value, start, end, indices_in(value), exposed)

    def _misplaced(self, node: Node) -> Exception:
        what = {
            "partial": ("a partial sign must be divided by another: \\partial q_j / \\partial z_i"),
            "row": "a weight row on its own is a vector: write w_i^\\top x",
        }.get(node.kind, f"{node.kind} cannot stand here")
        return self._err(LatexSyntaxError, what, (node.start, node.end))

    # ---- operators ------------------------------------------------------------------------

    def sum_op(self, tree: Tree, rest: Sequence[tuple[str | None, Tree]]) -> Node:
        sum_tok = tree.children[0]
        limits = next(
            (c for c in tree.children if isinstance(c, Tree) and c.data == "limits"), None
        )
        signs = [c for c in tree.children if isinstance(c, Token) and c.type in ("PLUS", "MINUS")]
        inner = tree.children[-1]
        body = self.fold([(None, inner), *rest])
        if signs and signs[0].type == "MINUS":
            body = body.with_expr(-body.expr)
        start = span(sum_tok)[0]
        idx, kind, other, lo, hi = self.limits(limits, body, (start, span(sum_tok)[1]))
        if idx in body.exposed:
            raise self._err(
                IndexScopeError,
                f"index {idx} is bound twice: by this sum and by a sum inside it",
                (start, body.end),
                suggestion="rename the inner sum's index, or put it in brackets",
            )
        if kind == "ne":
            value = derive.sum_ne(body.expr, idx, other)
        elif kind == "eq":
            value = derive.sum_eq(body.expr, idx, other)
        else:
            value = sp.Sum(body.expr, (idx, lo, hi))
        return Node(value, start, body.end, indices_in(value), body.exposed | {idx})

    def limits(
        self, tree: Tree | None, body: Node, where: tuple[int, int]
    ) -> tuple[sp.Symbol, str, Any, Any, Any]:
        """(index, "range"/"ne"/"eq", other index, lower, upper) of a sum."""
        if tree is None:
            free = sorted(indices_in(body.expr), key=str)
            if len(free) != 1:
                raise self._err(
                    AmbiguousNotationError,
                    "a sum without an index, over a summand with "
                    + (
                        "no free index" if not free else f"free indices {', '.join(map(str, free))}"
                    ),
                    where,
                    suggestion="name the index: \\sum_k",
                )
            return free[0], "range", None, sp.S.One, self._dim_of(free[0])
        sub = sup = None
        for part in tree.children:
            if part.data == "sup":
                sup = part.children[1]
            else:
                sub = part.children[1]  # a script after _, a script body after {_
        if sub is None:
            raise self._err(LatexSyntaxError, "a sum needs its index below it", where)
        body_tree = sub
        if body_tree.data == "script":
            inner = body_tree.children[0]
            body_tree = (
                body_tree.children[1]
                if isinstance(inner, Token) and inner.type == "LBRACE"
                else body_tree
            )
        if body_tree.data == "script":
            idx = self.index_token(body_tree.children[0])
            lo, hi = sp.S.One, self._dim_of(idx)
            if sup is not None:
                raise self._err(
                    LatexSyntaxError, "an upper limit needs a lower one: \\sum_{k=1}^{n}", where
                )
            return self._bound(idx, where), "range", None, lo, hi
        if body_tree.data == "script_list":
            if len(body_tree.children) != 1:
                raise self._err(LatexSyntaxError, "a sum runs over one index", body_tree)
            indices = self.index_list(body_tree.children[0])
            if len(indices) != 1:
                raise self._err(LatexSyntaxError, "a sum runs over one index", body_tree)
            if sup is not None:
                raise self._err(
                    LatexSyntaxError, "an upper limit needs a lower one: \\sum_{k=1}^{n}", where
                )
            idx = self._bound(indices[0], body_tree)
            return idx, "range", None, sp.S.One, self._dim_of(idx)
        left, right = body_tree.children[0], body_tree.children[-1]
        idx_list = self.index_list(left)
        if len(idx_list) != 1:
            raise self._err(LatexSyntaxError, "a sum runs over one index", left)
        idx = self._bound(idx_list[0], left)
        if body_tree.data == "script_ne" or sup is None:
            other = self.index_value(right)
            if other in (derive.n, derive.D):
                dim = self._dim_of(idx)
                raise self._err(
                    NotationError,
                    f"a sum's condition compares its index with another index, and {other} is "
                    "a size, not an index",
                    body_tree,
                    suggestion=f"write \\sum_{{{idx}=1}}^{{{dim}-1}} for the classes but the last"
                    if body_tree.data == "script_ne"
                    else f"write the term at {idx} = {other} itself",
                )
        if body_tree.data == "script_ne":
            return idx, "ne", other, None, None
        if sup is None:
            if isinstance(other, sp.Symbol):
                return idx, "eq", other, None, None
            raise self._err(
                LatexSyntaxError,
                "a sum from a lower limit needs an upper one",
                where,
                suggestion="\\sum_{k=1}^{n}",
            )
        return idx, "range", None, self.index_value(right), self.upper(sup)

    def _bound(self, idx: Any, where: Any) -> sp.Symbol:
        if not isinstance(idx, sp.Symbol) or idx in (derive.n, derive.D):
            raise self._err(LatexSyntaxError, "a sum's index must be a letter such as k", where)
        return idx

    def _dim_of(self, idx: sp.Symbol) -> sp.Symbol:
        return derive.D if idx == derive.d else derive.n

    def upper(self, script: Tree) -> Any:
        value = self.index_value_script(script)
        if isinstance(value, sp.Symbol) and value not in (derive.n, derive.D):
            raise self._err(
                NotationError,
                f"upper limit {value} is not the number of classes ({self.nt.letter('classes')})",
                script,
                suggestion="use the classes letter, e.g. classes=K in the notation",
            )
        return value

    def func_op(self, tree: Tree, rest: Sequence[tuple[str | None, Tree]]) -> tuple[Node, int]:
        """A function and the factors it takes; returns (node, how many of `rest` it used)."""
        tok, arg_tree = tree.children[0], tree.children[-1]
        name = tok.value
        start = span(tok)[0]
        if len(tree.children) == 3:  # \log^{2} x is (\log x)^2
            self._check_function_power(tree.children[1], name)
            node, used = self.func_op(Tree("func_op", [tok, arg_tree], tree.meta), rest)
            return self.power(node, tree.children[1], (node.start, node.end)), used
        if name.startswith("\\operatorname"):
            return self.operatorname(tok, arg_tree), 0
        self._check_power_of_call(name, arg_tree, start)
        func: Callable[[Any], Any] = sp.exp if name == "\\exp" else sp.log
        if arg_tree.data in ("sum_op", "func_op", "differential") or (
            arg_tree.data == "unit" and self._is_dop(arg_tree)
        ):
            inner = self.fold([(None, arg_tree), *rest])
            return Node(func(inner.expr), start, inner.end, indices_in(func(inner.expr))), len(rest)
        arg = self.unit(arg_tree)
        if arg.kind not in ("expr", "input", "softmax_name"):
            raise self._misplaced(arg)
        # Only brackets show where a function's argument ends: \log 2 q_i, \log \frac{a}{b} c
        # and \log r_i p_i (a defined r) are as ambiguous as \log q_j p_j.
        if not _bracketed(arg_tree) and rest and rest[0][0] is None:
            nxt = self.unit(rest[0][1]) if rest[0][1].data == "unit" else None
            end = nxt.end if nxt is not None else span(rest[0][1])[1]
            raw = self.ctx.source[arg.start : arg.end]
            follow = self.ctx.source[span(rest[0][1])[0] : end]
            raise self._err(
                AmbiguousNotationError,
                f"{name} followed by two factors: {name}({raw}) {follow} or "
                f"{name}({raw} {follow})?",
                (start, end),
                suggestion=(
                    f"write {name}({raw} {follow}) or {follow} {name} {raw}, "
                    f"or {name}({raw}) \\cdot {follow}"
                ),
            )
        value = func(arg.expr)
        return Node(value, start, arg.end, indices_in(value), frozenset()), 0

    def _check_function_power(self, sup: Tree, name: str) -> None:
        """``\\log^{2} x`` is a power of the value; ``\\log^{-1} x`` may be the inverse function."""
        value = self.index_value_script(sup.children[1]) if _plain_script(sup) else None
        if not (value is not None and value.is_integer and value.is_positive):
            raw = self.ctx.source[slice(*span(sup))]
            raise self._err(
                AmbiguousNotationError,
                f"{name}{raw}: the inverse function of {name}, or a power of its value?",
                sup,
                suggestion=f"write ({name} u)^{{-1}} or \\frac{{1}}{{{name} u}} for a power; "
                f"{name}^{{2}} u, with a whole positive power, is (\\log u)^2",
            )

    def _check_power_of_call(self, name: str, arg_tree: Tree, start: int) -> None:
        """``\\log(u)^2``: the square of \\log u, or \\log of u^2? Both readings are common."""
        item = arg_tree.children[0] if arg_tree.data == "unit" else None
        if item is None or item.data != "item" or item.children[0].data != "paren":
            return
        sups = [p.children[0] for p in item.children[1:] if p.children[0].data == "sup"]
        if not sups:
            return
        inner = self.ctx.source[slice(*span(item.children[0]))]
        power = self.ctx.source[slice(*span(sups[0]))]
        raise self._err(
            AmbiguousNotationError,
            f"{name}{inner}{power}: ({name}{inner}){power} or {name}({inner}{power})?",
            (start, span(item)[1]),
            suggestion=f"write \\left({name}{inner}\\right){power} or {name}^{power[1:]}"
            f"{inner} for the power of the value, {name}\\left({inner}{power}\\right) "
            "for the value of the power",
        )

    def _is_dop(self, unit: Tree) -> bool:
        try:
            return self.unit(unit).kind == "dop"
        except ValueError:
            return False

    def operatorname(self, tok: Token, arg_tree: Tree) -> Node:
        name = tok.value[len("\\operatorname{") : -1]
        if name != "softmax":
            raise self._err(
                NotationError,
                f"unknown function \\operatorname{{{name}}}",
                tok,
                suggestion="the reader knows \\operatorname{softmax}(z)_i, \\log, \\ln and \\exp",
            )
        item = arg_tree.children[0] if arg_tree.data == "unit" else None
        if item is None or item.data != "item" or item.children[0].data != "paren":
            raise self._err(
                LatexSyntaxError,
                "write \\operatorname{softmax}(z)_i",
                (tok.start_pos, span(arg_tree)[1]),
            )
        inner = self.expr(item.children[0].children[-2])
        logits = self.quantity("logits", [], 0, 0)
        if inner.expr != logits.expr:
            raise self._err(
                NotationError,
                "the softmax is taken of the logits vector",
                item.children[0],
                suggestion=f"write \\operatorname{{softmax}}({self.nt.letter('logits')})_i",
            )
        subs = [p.children[0] for p in item.children[1:]]
        if any(s.data != "sub" for s in subs) or len(subs) > 1:
            raise self._err(LatexSyntaxError, "only an index may follow softmax(z)", item)
        idx = self.index_list_script(subs[0].children[1]) if subs else [self._vector_index()]
        return self.quantity("softmax", idx, tok.start_pos, span(arg_tree)[1])

    def unit_or_fold(self, unit: Tree) -> Node:
        if unit.data in ("sum_op", "func_op", "differential"):
            return self.fold([(None, unit)])
        return self.unit(unit)

    # ---- units and atoms ------------------------------------------------------------------

    def unit(self, tree: Tree) -> Node:
        if tree.data != "unit":
            return self.fold([(None, tree)])
        item = tree.children[0]
        return self.item(item)

    def item(self, tree: Tree) -> Node:
        atom = tree.children[0]
        posts = [p.children[0] for p in tree.children[1:]]
        subs = [p for p in posts if p.data in ("sub", "bsub")]
        sups = [p for p in posts if p.data == "sup"]
        if len(subs) > 1 or len(sups) > 1:
            raise self._err(LatexSyntaxError, "two subscripts or two superscripts", tree)
        start, end = span(tree)
        if atom.data in ("letter", "greek", "accent"):
            key, inner_subs, vector = self.symbol_key(atom)
            subs = inner_subs + subs
            if len(subs) > 1:
                raise self._err(LatexSyntaxError, "two subscripts", tree)
            sub = subs[0] if subs else None
            sup = sups[0] if sups else None
            return self.symbol(key, sub, sup, (start, end), vector)
        base = self.atom(atom)
        if subs:
            raise self._err(LatexSyntaxError, "only a letter takes a subscript here", subs[0])
        if sups:
            return self.power(base, sups[0], (start, end))
        return base

    def power(self, base: Node, sup: Tree, where: tuple[int, int]) -> Node:
        exponent = self.script_expr(sup.children[1])
        if base.kind != "expr":
            raise self._misplaced(base)
        value = self.pow(base.expr, exponent.expr, where)
        return Node(value, where[0], where[1], indices_in(value), delimited=base.delimited)

    def atom(self, tree: Tree) -> Node:
        start, end = span(tree)
        kind = tree.data
        if kind == "number":
            return Node(sp.Rational(tree.children[0].value), start, end, delimited=True)
        if kind in ("group", "paren"):
            inner = next(c for c in tree.children if isinstance(c, Tree))
            return self.expr(inner).closed(start, end)
        if kind == "frac":
            return self.frac(tree.children[1], tree.children[2], (start, end))
        if kind == "bare_partial":
            order = self._order(tree.children[2]) if len(tree.children) > 3 else 1
            return Node(None, start, end, kind="partial", data=order)
        if kind == "exp_power":
            if not self.nt.exp_power:
                raise self._err(
                    NotationError,
                    "\\exp^{u} is not standard: \\exp takes an argument",
                    tree,
                    suggestion="write e^{u} or \\exp(u); to read a thread's \\exp^{u} as e^{u}, "
                    "set the notation option exp_power",
                )
            exponent = self.script_expr(tree.children[1].children[1])
            return Node(sp.exp(exponent.expr), start, end, indices_in(sp.exp(exponent.expr)))
        if kind == "indicator":
            body = tree.children[2]
            if body.data not in ("script_eq", "script_ne"):
                raise self._err(LatexSyntaxError, "\\mathbb{1}[...] takes i = j or i \\ne j", tree)
            a = self.index_value(body.children[0])
            b = self.index_value(body.children[2])
            delta = sp.KroneckerDelta(a, b)
            value = delta if body.data == "script_eq" else 1 - delta
            return Node(value, start, end, indices_in(value), delimited=True)
        raise self._err(LatexSyntaxError, f"unexpected {kind}", tree)  # pragma: no cover

    def frac(self, top: Tree, bottom: Tree, where: tuple[int, int]) -> Node:
        start, end = where
        if top.data == "bare_partial":
            order = self._order(top.children[2]) if len(top.children) > 3 else 1
            return Node(None, start, end, kind="dop", data=self.denominator(bottom, order))
        d_form = self._d_form(top, bottom)
        if d_form is not None:
            variables, body = d_form
            if body is None:
                return Node(None, start, end, kind="dop", data=variables)
            return self._node_of(self.derivative(body, variables, where), where)
        top_units = self._single_term_units(top)
        if top_units and top_units[0].data == "differential":
            # \partial applies to the whole numerator: \frac{\partial p(a)}{\partial w}
            first = top_units[0]
            order = self._order(first.children[1]) if len(first.children) > 2 else 1
            body = self.fold([(None, first.children[-1]), *((None, u) for u in top_units[1:])])
            value = self.derivative(body, self.denominator(bottom, order), where)
            return self._node_of(value, where)
        num, den = self.atom(top), self.atom(bottom)
        for part in (num, den):
            if part.kind != "expr":
                raise self._misplaced(part)
        value = num.expr / den.expr
        return Node(value, start, end, indices_in(value), delimited=True)

    def _node_of(self, value: Any, where: tuple[int, int]) -> Node:
        return Node(value, where[0], where[1], indices_in(value), delimited=True)


# What follows a number's e when it was typed as one number: 1e3, 1e-3, 1e+3, 1e.5, also
# across spaces (2e\,-3). Not across a brace: \frac{1}{2e} - 3 is a fraction, then 3.
_UNSEEN = r"(?:\s|~|\\[,:;! ])*"
_EXPONENT_AFTER = re.compile(rf"{_UNSEEN}(?:[-+]{_UNSEEN})?[0-9.]")


def _number_or_e(unit: Tree) -> str | None:
    """The digits of a unit that is a number (any script after it), "e" for a bare letter e."""
    if unit.data != "unit" or unit.children[0].data != "item":
        return None
    item = unit.children[0]
    atom = item.children[0]
    if atom.data == "number":
        return str(atom.children[0].value)
    if atom.data == "letter" and atom.children[0].value == "e" and len(item.children) == 1:
        return "e"
    return None


def _bracketed(unit: Tree) -> bool:
    """A unit in round or square brackets, with nothing after them (its end is visible)."""
    if unit.data != "unit" or unit.children[0].data != "item":
        return False
    item = unit.children[0]
    return item.children[0].data == "paren" and len(item.children) == 1


def _plain_script(sup: Tree) -> bool:
    """A superscript that holds one index-like value (a digit, a letter, or braces of one)."""
    script = sup.children[1]
    first = script.children[0]
    if isinstance(first, Token) and first.type != "LBRACE":
        return first.type in ("NUMBER", "LETTER")
    body = script.children[1]
    return body.data == "script_list" and len(body.children) == 1
