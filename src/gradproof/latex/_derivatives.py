r"""Reading derivatives: ``\frac{\partial}{\partial z_i}``, ``\frac{dJ}{dz_i}``, ``\partial q_j / \partial z_i``.

:class:`Derivatives` is the part of :class:`~gradproof.latex._reader.Reader` that reads a
derivative and what it is taken with respect to:

* ``\frac{\partial ...}{\partial ...}`` (and ``\frac{d...}{d...}``) with a body is a derivative
  of that body; with an empty numerator it is an operator that applies to the rest of its term;
  ``\partial q_j / \partial z_i`` is the same derivative written with a slash. The orders of the
  numerator and the denominator must agree (``\partial z_i^2`` counts twice).
* A derivative is taken with respect to an entry: a logit, a weight entry or a row (which turns
  the linear layer on), an input, or a softmax entry ``q_a``. In a softmax entry the
  probabilities are free variables, evaluated at the softmax afterwards; of a loss ``L`` known
  only through its gradient, only :math:`\partial L / \partial q_a = g_a` is known.

It is a mixin: the methods that read units, folds and errors are the reader's own.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sympy as sp
from lark import Token, Tree

from gradproof import derive
from gradproof.latex._nodes import Node, indices_in
from gradproof.latex._symbols import Symbols, span
from gradproof.latex.errors import LatexSyntaxError, NotationError

# The bound index of J's and L's definitions while a derivative in q is taken (not typeable).
_FRESH = sp.Symbol("k'", integer=True, positive=True)


class Derivatives(Symbols):
    """Derivatives and their variables, for :class:`~gradproof.latex._reader.Reader`."""

    def _order(self, sup: Tree) -> int:
        value = self.index_value_script(sup.children[1])
        if not (isinstance(value, sp.Integer) and value >= 1):
            raise self._err(LatexSyntaxError, "the order of a derivative must be 1, 2, ...", sup)
        return int(value)

    def variable(self, node: Node) -> Any:
        """What a derivative is taken with respect to (an entry, or a softmax entry marker)."""
        if node.kind == "row":
            row, _ = node.data
            self.ctx.linear_layer = True
            return derive.W[row, self._input_index()]
        if node.kind == "input":
            return node.expr
        expr = node.expr
        if isinstance(expr, derive.q):
            return ("softmax", expr.args[0])
        if isinstance(expr, sp.Indexed):
            return expr
        raise self._err(
            NotationError,
            f"cannot differentiate with respect to {self.ctx.source[node.start : node.end]}",
            (node.start, node.end),
            suggestion="differentiate with respect to an entry: a logit z_i, a weight W_{ij} "
            "or a row w_i, an input x_d, or a softmax entry q_i",
        )

    def derivative(
        self, body: Node, variables: list[tuple[Any, int]], where: tuple[int, int]
    ) -> Any:
        if body.kind == "row":
            raise self._misplaced(body)
        soft = [v for v, _ in variables if isinstance(v, tuple)]
        if not soft:
            return sp.Derivative(body.expr, *variables)
        if len(variables) != 1 or variables[0][1] != 1:
            raise self._err(
                NotationError, "only first derivatives with respect to a softmax entry", where
            )
        index = soft[0][1]
        self._refuse_nested_in_q(body, where)
        self.ctx.q_derivatives.append(where)
        if body.expr == derive.L:
            return derive.g[index]  # ∂L/∂q_a is the upstream gradient, by definition of L
        if body.expr.has(derive.L):
            raise self._err(
                NotationError,
                "L is any loss of q: of its derivatives in q only dL/dq_a = g_a is known",
                where,
            )
        held = _held_constant(body.expr)
        if held:
            shown = self.ctx.source[body.start : body.end]
            raise self._err(
                NotationError,
                f"a derivative in a softmax entry of {shown}, which holds {held}: "
                "not written through the softmax entries, yet not constant when they move",
                where,
                suggestion="differentiate in q only what is written with q, the targets and "
                "J; differentiate in a logit z_i otherwise",
            )
        return _derivative_in_q(body.expr, index)

    def _refuse_nested_in_q(self, body: Node, where: tuple[int, int]) -> None:
        """∂/∂q_a of a derivative in q is a second derivative in q, refused as ∂^2/∂q∂q is."""
        for start, end in self.ctx.q_derivatives:
            if body.start <= start and end <= body.end:
                raise self._err(
                    NotationError,
                    "only first derivatives with respect to a softmax entry: this one "
                    "differentiates a derivative in a softmax entry again",
                    where,
                )

    def apply_dop(
        self, op: Node, rest: Sequence[tuple[str | None, Tree]], where: tuple[int, int]
    ) -> Node:
        if not rest:
            raise self._err(
                LatexSyntaxError, "a derivative operator needs something to differentiate", where
            )
        body = self.fold(rest)
        value = self.derivative(body, op.data, where)
        return Node(value, op.start, body.end, indices_in(value), body.exposed)

    def slash_derivative(
        self, tree: Tree, rest: Sequence[tuple[str | None, Tree]]
    ) -> tuple[Node, int]:
        """``\\partial q_j / \\partial z_i``."""
        if not rest or rest[0][0] != "div" or rest[0][1].data != "differential":
            raise self._err(
                LatexSyntaxError,
                "a partial sign here must be divided by another: \\partial q_j / \\partial z_i",
                tree,
            )
        top = self.differential(tree)
        bottom = self.differential(rest[0][1])
        if top[1] != bottom[1]:
            raise self._err(LatexSyntaxError, "the orders of the partial signs differ", tree)
        value = self.derivative(top[0], [(self.variable(bottom[0]), bottom[1])], span(tree))
        end = span(rest[0][1])[1]
        return Node(value, span(tree)[0], end, indices_in(value)), 1

    def differential(self, tree: Tree) -> tuple[Node, int]:
        """(what follows \\partial, its order) of a differential unit."""
        order = 1
        for c in tree.children[1:-1]:
            order = self._order(c)
        return self.unit_or_fold(tree.children[-1]), order

    def _d_form(self, top: Tree, bottom: Tree) -> tuple[list[tuple[Any, int]], Node | None] | None:
        """``\\frac{d}{dz_i}`` or ``\\frac{dJ}{dz_i}``: (variables, body or None), else None."""
        top_units = self._single_term_units(top)
        bottom_units = self._single_term_units(bottom)
        if not top_units or not bottom_units or len(bottom_units) != 2:
            return None
        if not all(self._is_letter_d(u) for u in (top_units[0], bottom_units[0])):
            return None
        var = self.variable(self.unit(bottom_units[1]))
        if len(top_units) == 1:
            return [(var, 1)], None
        return [(var, 1)], self.fold([(None, u) for u in top_units[1:]])

    @staticmethod
    def _is_letter_d(unit: Tree) -> bool:
        if unit.data != "unit" or unit.children[0].data != "item":
            return False
        item = unit.children[0]
        atom = item.children[0]
        return len(item.children) == 1 and atom.data == "letter" and atom.children[0].value == "d"

    def denominator(self, bottom: Tree, order: int) -> list[tuple[Any, int]]:
        units = self._single_term_units(bottom)
        if not units or not all(u.data == "differential" for u in units):
            raise self._err(
                LatexSyntaxError,
                "the denominator of a derivative must be \\partial v (or \\partial u \\partial v)",
                bottom,
            )
        variables = []
        for u in units:
            node, count = self.differential(u)
            power = node.expr
            if isinstance(power, sp.Pow) and power.exp.is_Integer and power.exp > 1:
                node, count = node.with_expr(power.base), count * int(power.exp)  # ∂z_i^2
            variables.append((self.variable(node), count))
        if sum(c for _, c in variables) != order:
            raise self._err(
                LatexSyntaxError, "the orders of numerator and denominator differ", bottom
            )
        return variables

    def _single_term_units(self, atom: Tree) -> list[Tree] | None:
        """The units of a braced group holding one unsigned term, else None."""
        if atom.data != "group":
            return None
        expr = atom.children[1]
        if len(expr.children) != 1:
            return None
        term = expr.children[0]
        return (
            [c for c in term.children if isinstance(c, Tree)]
            if not any(isinstance(c, Token) for c in term.children)
            else None
        )


# What a softmax entry does not determine: the logits and the layer (z, W, x), and what is
# built on L (its gradient g, s = g q, any derivative left unevaluated).
_NOT_OF_Q = {"z": "the logits", "W": "the weights", "x": "the input", "g": "the upstream gradient"}


def _held_constant(expr: Any) -> str:
    """What in `expr` a derivative in q would wrongly hold constant ("" when nothing is)."""
    found: list[str] = []
    for atom in expr.atoms(sp.Indexed):
        name = str(atom.base.label)
        if atom.base != derive.qv and name in _NOT_OF_Q:
            found.append(_NOT_OF_Q[name])
    if expr.has(derive.s):
        found.append("s = g q")
    if expr.atoms(sp.Derivative):
        found.append("a derivative")
    return ", ".join(sorted(set(found)))


def _derivative_in_q(expr: Any, index: Any) -> Any:
    """∂expr/∂q_index with the softmax entries as free variables, then evaluated at q(z)."""
    free_q = expr.xreplace({derive.J: _rebound(derive.cross_entropy_expr())})
    free_q = free_q.replace(derive.q, lambda a: derive.qv[a])
    diff = sp.diff(free_q, derive.qv[index])
    return diff.replace(
        lambda a: isinstance(a, sp.Indexed) and a.base == derive.qv,
        lambda a: derive.q(a.indices[0]),
    )


def _rebound(expr: Any) -> Any:
    """A definition's sums over a fresh index, so the variable's index cannot be captured."""
    return expr.replace(
        lambda a: isinstance(a, sp.Sum),
        lambda a: sp.Sum(a.function.xreplace({a.limits[0][0]: _FRESH}), (_FRESH, *a.limits[0][1:])),
    )
