r"""Read derivations written in LaTeX, in their authors' letters, and check them.

A derivation is the body of an ``align`` environment::

    \frac{\partial J}{\partial z_i} &= -\sum_j p_j \frac{\partial \log q_j}{\partial z_i}
        && \text{chain rule} \\
    &= q_i \sum_j p_j - p_i

:func:`read_align` turns it into the expressions of :mod:`gradproof.derive` (each ``=`` one
step), :func:`parse_expr` reads one formula, and :func:`check_source` reads and verifies a
derivation and returns the verdicts as JSON-ready data (what ``gradproof check --json`` prints
and what the browser checker shows). The grammar is ``grammar.lark`` beside this module, read by
Lark. Ambiguous text is an error, never a guess: every error is a
:class:`~gradproof.latex.errors.LatexError` (a ValueError) with the line, the column, the text
underlined and a suggestion. The notation page of the site lists every construct.

Examples
--------
>>> from gradproof.latex import parse_expr
>>> parse_expr(r"\frac{e^{z_i}}{\sum_{k=1}^{n} e^{z_k}}")
exp(z[i])/Sum(exp(z[k]), (k, 1, n))
>>> parse_expr(r"-\sum_j y_j \log p_j", logits="o", targets="y", softmax="p")
-Sum(log(q(j))*p[j], (j, 1, n))
>>> parse_expr(r"\log q_j p_j")
Traceback (most recent call last):
...
gradproof.latex.errors.AmbiguousNotationError: line 1, column 1: \log followed by two factors: \log(q_j) p_j or \log(q_j p_j)?
  \log q_j p_j
  ^^^^^^^^^^^^
  write \log(q_j p_j) or p_j \log q_j, or \log(q_j) \cdot p_j
"""

from __future__ import annotations

from typing import Any

from gradproof.latex.checking import check_source, step_scope
from gradproof.latex.document import Line, ParsedDerivation, read_align
from gradproof.latex.errors import (
    AmbiguousNotationError,
    IndexScopeError,
    LatexError,
    LatexSyntaxError,
    NotationError,
    UnknownMacroError,
)
from gradproof.latex.notation import ROLES, Notation

__all__ = [
    "ROLES",
    "AmbiguousNotationError",
    "IndexScopeError",
    "LatexError",
    "LatexSyntaxError",
    "Line",
    "Notation",
    "NotationError",
    "ParsedDerivation",
    "UnknownMacroError",
    "check_source",
    "parse_expr",
    "read_align",
    "step_scope",
]


def parse_expr(text: str, notation: Notation | None = None, **roles: Any) -> Any:
    r"""Read one formula (no ``=``) into a sympy expression of :mod:`gradproof.derive`.

    ``roles`` are notation keys (``logits="o"``, ``exp_power=True``), used when `notation` is
    not given.
    """
    from gradproof.latex._parser import parse_tree  # noqa: PLC0415
    from gradproof.latex._reader import Reader  # noqa: PLC0415
    from gradproof.latex._symbols import Context  # noqa: PLC0415

    nt = notation if notation is not None else Notation.make(**roles)
    tree = parse_tree(text, nt)
    exprs = [c for c in tree.children if hasattr(c, "data")]
    if len(exprs) != 1:
        msg = "expected one formula without ="
        raise LatexSyntaxError(
            msg, text, 0, len(text.rstrip()), suggestion="use read_align for a chain of equalities"
        )
    return Reader(Context(nt, text)).expr(exprs[0]).expr
