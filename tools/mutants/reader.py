"""Reader mutants: ``gradproof.latex`` reading a thread's LaTeX as something else.

A misread line is verified as the wrong formula: the ✓ or ✗ then speaks of a line nobody wrote.
Each mutant is a slip of precedence, scope or sign in the reader, killed by the parser's tests.
"""

from __future__ import annotations

from mutants.checks import LATEX_PARSER
from mutants.harness import Mutant

READER = "src/gradproof/latex/_reader.py"

MUTANTS: tuple[Mutant, ...] = (
    Mutant(
        "sum-takes-one-factor",
        READER,
        'factors.append((self.sum_op(unit, rest), conn == "div"))\n                break',
        'factors.append((self.sum_op(unit, []), conn == "div"))\n                t += 1\n'
        "                continue",
        "scope: \\sum_k p_k \\log q_k read as (\\sum_k p_k) \\log q_k, the sum over the next "
        "factor only",
        LATEX_PARSER,
    ),
    Mutant(
        "sum-sign-dropped",
        READER,
        "body = body.with_expr(-body.expr)",
        "body = body.with_expr(body.expr)",
        "sign: \\sum_k -p_k \\log q_k read without its minus",
        LATEX_PARSER,
    ),
    Mutant(
        "leading-minus-dropped",
        READER,
        'sign = -1 if child.type == "MINUS" else 1',
        'sign = -1 if child.type == "MINUS" and terms else 1',
        "sign: a leading minus read as no sign, -p_i + q_i as p_i + q_i",
        LATEX_PARSER,
    ),
    Mutant(
        "log-power-dropped",
        READER,
        "return self.power(node, tree.children[1], (node.start, node.end)), used",
        "return node, used",
        "precedence: \\log^{2} x read as \\log x, the power of the function lost",
        LATEX_PARSER,
    ),
    Mutant(
        "a-over-b-c-accepted",
        READER,
        'if conn is None and t >= 2 and elems[t - 1][0] == "div":',
        'if False and conn is None and t >= 2 and elems[t - 1][0] == "div":',
        "precedence: a / b c silently read as (a / b) c, though a reader may mean a / (b c)",
        LATEX_PARSER,
    ),
    Mutant(
        "indicator-ne-as-eq",
        READER,
        'value = delta if body.data == "script_eq" else 1 - delta',
        "value = delta",
        "\\mathbb{1}[i \\ne j] read as \\delta_{ij}, the condition's sense lost",
        LATEX_PARSER,
    ),
    Mutant(
        "sum-ne-over-every-k",
        READER,
        "value = derive.sum_ne(body.expr, idx, other)",
        "value = sp.Sum(body.expr, (idx, 1, self._dim_of(idx)))",
        "scope: \\sum_{k \\ne i} read as a sum over every k, the excluded term kept",
        LATEX_PARSER,
    ),
    Mutant(
        "frac-upside-down",
        READER,
        "value = num.expr / den.expr",
        "value = den.expr / num.expr",
        "\\frac{a}{b} read as b / a",
        LATEX_PARSER,
    ),
)

# A minus carried on to the next term (the reset after each term removed) cannot happen: the
# grammar puts a + or - token between any two terms, and each token sets the sign anew.
EQUIVALENT_SIGN_RESET = Mutant(
    "equivalent-sign-reset",
    READER,
    "terms.append((sign, self.term(child)))\n            sign = 1",
    "terms.append((sign, self.term(child)))",
    "not a bug: every term after the first has its own sign token",
    LATEX_PARSER,
)
