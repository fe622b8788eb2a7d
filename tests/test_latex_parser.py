"""The LaTeX reader, case by case: what each construct reads as, and what is refused, where.

Each valid case gives the text, the notation (keywords of ``Notation.make``) and the sympy
expression of :mod:`gradproof.derive` it must read as; each invalid case the error class and
the column the error points at (1-based, on the first line).
"""

from __future__ import annotations

import pytest
import sympy as sp
from sympy import Derivative, E, KroneckerDelta, Ne, Rational, Sum, exp, log

from gradproof.derive import D, J, L, W, d, g, i, j, k, n, p, q, qv, s, sum_eq, sum_ne, x, z
from gradproof.latex import (
    AmbiguousNotationError,
    IndexScopeError,
    LatexError,
    LatexSyntaxError,
    Notation,
    NotationError,
    UnknownMacroError,
    parse_expr,
    read_align,
)

a = sp.Symbol("a", integer=True, positive=True)
c = sp.Symbol("c", integer=True, positive=True)
d_class = sp.Symbol("d", integer=True)  # a d that runs over the classes (input_index moved)
T = sp.Symbol("T", real=True)
v = sp.IndexedBase("v")
O = {"logits": "o", "targets": "y", "softmax": "p"}  # thread 001
X = {"logits": "x", "targets": "y", "softmax": r"\hat y"}  # thread 002
S3 = {"softmax": r"\sigma", "weights": "w", "classes": "K"}  # thread 003
Y4 = {"logits": "x", "softmax": "y"}  # thread 004


def total(f, idx=k):
    return Sum(f, (idx, 1, n))


VALID = [
    # letters, indices, roles
    ("z_i", {}, z[i]),
    ("p_{j}", {}, p[j]),
    ("q_k", {}, q(k)),
    ("W_{ij}", {"input_index": "j"}, W[i, d]),
    ("W_{i d}", {}, W[i, d]),
    ("W_{i,d}", {}, W[i, d]),
    ("x_d", {}, x[d]),
    ("s_i", {}, s(i)),
    ("g_i", {}, g[i]),
    ("z_1", {}, z[1]),
    ("z_{i+1}", {}, z[i + 1]),
    ("p_n", {}, p[n]),
    ("o_i", O, z[i]),
    ("y_j", O, p[j]),
    ("p_j", O, q(j)),
    (r"\hat{y}_i", X, q(i)),
    (r"\hat{y_i}", X, q(i)),
    (r"\hat y_i", X, q(i)),
    (r"\theta_i", {"logits": r"\theta"}, z[i]),
    (r"a_i", {"logits": "a"}, z[i]),
    (r"t_i", {"targets": "t"}, p[i]),
    (r"\sigma_i", {"softmax": "σ"}, q(i)),
    ("E", {"loss": "E"}, J),
    ("J", {}, J),
    ("L", {}, L),
    ("n", {}, n),
    ("K", {"classes": "K"}, n),
    ("D", {}, D),
    ("e", {}, E),
    (r"\tilde q_i", {}, qv[i]),
    ("T z_i", {"constants": "T"}, T * z[i]),
    ("v_i q_i", {"vectors": "v"}, v[i] * q(i)),
    # vectors: a bare vector letter is its component at the vector index
    (r"\vec{s}", {}, s(i)),
    (r"\vec s - \sum_j s_j", {}, s(i) - total(s(j), j)),
    (r"\mathbf{y}", Y4, q(i)),
    (r"\vec{s}_k", {}, s(k)),
    (r"\mathbf x", {}, x[d]),
    ("q", {"vector_index": "k"}, q(k)),
    # arithmetic and implicit multiplication
    ("q_i - p_i", {}, q(i) - p[i]),
    ("-p_i + p_i q_i", {}, -p[i] + p[i] * q(i)),
    ("q_i - p_i + z_i", {}, q(i) - p[i] + z[i]),  # a minus belongs to its own term only
    ("p_iz_i", {}, p[i] * z[i]),
    (r"q_i \cdot p_i", {}, q(i) * p[i]),
    ("y_i*p_i", O, p[i] * q(i)),
    (r"q_i \times 2", {}, 2 * q(i)),
    ("2 q_i", {}, 2 * q(i)),
    ("0.5 q_i", {}, Rational(1, 2) * q(i)),
    ("q_i^2", {}, q(i) ** 2),
    ("q_i^{-1}", {}, 1 / q(i)),
    ("(1 - q_i)^{2}", {}, (1 - q(i)) ** 2),
    (r"\left(1-q_i\right) q_j", {}, (1 - q(i)) * q(j)),
    ("[1 - q_i] q_j", {}, (1 - q(i)) * q(j)),
    ("e^{z_i} / 2", {}, exp(z[i]) / 2),
    (r"\frac{e^{z_i}}{\sum_{k=1}^{n} e^{z_k}}", {}, exp(z[i]) / total(exp(z[k]))),
    (r"\dfrac{1}{q_i}", {}, 1 / q(i)),
    (r"{e^{z_i}}/\sum_k e^{z_k}", {}, exp(z[i]) / total(exp(z[k]))),
    (r"p_ie^{z_i}/\sum_k e^{z_k}", {}, p[i] * exp(z[i]) / total(exp(z[k]))),
    # functions
    (r"\log q_i", {}, log(q(i))),
    (r"\ln q_i", {}, log(q(i))),
    (r"\log{q_i}", {}, log(q(i))),
    (r"\log(q_j p_j)", {}, log(q(j) * p[j])),
    (r"p_j \log q_j", {}, p[j] * log(q(j))),
    (r"\log(q_j) p_j", {}, log(q(j)) * p[j]),
    (r"\log^{2} q_i", {}, log(q(i)) ** 2),
    (r"\log q_j \cdot p_j", {}, log(q(j)) * p[j]),
    (r"\log \sum_k e^{z_k}", {}, log(total(exp(z[k])))),
    (r"\log e", {}, 1),
    (r"\exp(z_i)", {}, exp(z[i])),
    (r"e^{\theta_i}", {"logits": r"\theta"}, exp(z[i])),
    (r"\exp^{x_i}", {"logits": "x", "exp_power": True}, exp(z[i])),
    (r"\operatorname{softmax}(z)_i", {}, q(i)),
    (r"\operatorname{softmax}(\theta)_j", {"logits": r"\theta"}, q(j)),
    (r"\sigma(j)", S3, q(j)),
    (r"p(a)", {"softmax": "p"}, q(a)),
    # sums
    (r"\sum_{k=1}^{n} p_k", {}, total(p[k])),
    (r"\sum_k p_k", {}, total(p[k])),
    (r"\sum_{k=1}^K q_k", {"classes": "K"}, total(q(k))),
    (r"\sum_{k=1}^ne^{z_k}", {}, total(exp(z[k]))),
    (r"\sum_{k \ne i} p_k", {}, sum_ne(p[k], k, i)),
    (r"\sum_{j \neq i} p_j q_j", {}, sum_ne(p[j] * q(j), j, i)),
    (r"\sum_{i\neq{j}} y_i", X, sum_ne(p[i], i, j)),
    (r"\sum_{i=j} p_i", {}, sum_eq(p[i], i, j)),
    (r"\sum_{k\neq i} -p_k y_k", O, sum_ne(-q(k) * p[k], k, i)),
    (r"\sum{_k} e^{z_k}", {}, total(exp(z[k]))),
    (r"\sum y_i \log \hat y_i", X, total(p[i] * log(q(i)), i)),
    (r"\sum_d W_{i d} x_d", {}, Sum(W[i, d] * x[d], (d, 1, D))),
    (r"\Sigma_{k} e^{z_k}", {"sum": r"\Sigma"}, total(exp(z[k]))),
    (r"\sum_i \sum_j p_i q_j", {}, Sum(p[i] * q(j), (j, 1, n), (i, 1, n))),
    (r"\left(\sum_i p_i y_i\right) - y_i", O, total(q(i) * p[i], i) - p[i]),
    (r"q_i \sum_k p_k - p_i", {}, q(i) * total(p[k]) - p[i]),
    (r"\frac{e^{z_i}}{\sum_i e^{z_i}}", {}, exp(z[i]) / total(exp(z[i]), i)),
    (r"\sum_k p_k \log(\sum_k e^{z_k})", {}, total(p[k] * log(total(exp(z[k]))))),
    # Kronecker delta and the indicator
    (r"\delta_{ij}", {}, KroneckerDelta(i, j)),
    (r"\delta_{i j} - q_i", {}, KroneckerDelta(i, j) - q(i)),
    (r"\mathbb{1}[i = j]", {}, KroneckerDelta(i, j)),
    (r"\mathbb{1}[i \ne j]", {}, 1 - KroneckerDelta(i, j)),
    # derivatives
    (r"\frac{\partial J}{\partial z_i}", {}, Derivative(J, z[i])),
    (r"\frac{\partial q_j}{\partial z_i}", {}, Derivative(q(j), z[i])),
    (r"\partial q_j / \partial z_i", {}, Derivative(q(j), z[i])),
    (r"\frac{\partial \log q_j}{\partial z_i}", {}, Derivative(log(q(j)), z[i])),
    (r"\frac{\partial^2 J}{\partial z_i \partial z_j}", {}, Derivative(J, z[i], z[j])),
    (r"\frac{\partial^2 J}{\partial z_i^2}", {}, Derivative(J, (z[i], 2))),
    (
        r"\frac{\partial}{\partial z_i}\left(-\sum_j p_j \log q_j\right)",
        {},
        Derivative(-total(p[j] * log(q(j)), j), z[i]),
    ),
    (r"\frac{\partial}{\partial z_i} p_i \log q_i", {}, Derivative(p[i] * log(q(i)), z[i])),
    (r"\frac{\partial}{\partial z_i} q_j + q_i", {}, Derivative(q(j), z[i]) + q(i)),
    (r"\frac{d}{dz_i}J", {}, Derivative(J, z[i])),
    (r"\frac{dJ}{dz_i}", {}, Derivative(J, z[i])),
    (r"\frac{\theta \hat{y_i}}{\theta x_j}", {**X, "partial": r"\theta"}, Derivative(q(i), z[j])),
    (
        r"\frac{\partial L}{\partial o_i}",
        {**O, "loss": "L", "upstream_loss": "F"},
        Derivative(J, z[i]),
    ),
    (r"\frac{\partial L}{\partial y_j}", Y4, g[j]),
    (r"\frac{\partial L}{\partial \vec{x}}", Y4, Derivative(L, z[i])),
    (r"\frac{\partial J}{\partial \tilde q_i}", {}, Derivative(J, qv[i])),
    (r"\frac{\partial q_j}{\partial W_{i d}}", {}, Derivative(q(j), W[i, d])),
    (r"\frac{\partial}{\partial \mathbf{w}_i}\sigma(j)", S3, Derivative(q(j), W[i, d])),
    (
        r"\frac{\partial}{\partial (\mathbf{w}_k^\top \mathbf x)}\sigma(j)",
        S3,
        Derivative(q(j), z[k]),
    ),
    (r"e^{w_a^\top x}", {"weights": "w"}, exp(z[a])),
    (r"\mathbf{w}_i^\top \cdot \mathbf x", {"weights": "w"}, z[i]),
    (
        r"\frac{\partial p(a)}{\partial w}",
        {"softmax": "p", "weights": "w", "weight_row": "i"},
        Derivative(q(a), W[i, d]),
    ),
    (
        r"\Sigma_{d} e^{w_d^\top x}",
        {"weights": "w", "sum": r"\Sigma", "input_index": "e"},
        Sum(exp(z[d_class]), (d_class, 1, n)),
    ),
    # layout that means nothing
    (r"\color{blue}{q_i}", {}, q(i)),
    (r"\boldsymbol{p_k} q_i", {}, p[k] * q(i)),
    (r"q_i \quad p_i", {}, q(i) * p[i]),
    (r"q_i\,\; p_i", {}, q(i) * p[i]),
    (r"\big(q_i\big)", {}, q(i)),
    (r"\small{q_i}", {}, q(i)),
    ("q_i - p_i.", {}, q(i) - p[i]),
    (r"\bbox[8px, border: 2px solid lime]{q_i}", {}, q(i)),
]


@pytest.mark.parametrize(("text", "notation", "expected"), VALID, ids=[c[0] for c in VALID])
def test_reads_as(text: str, notation: dict, expected: sp.Expr) -> None:
    got = parse_expr(text, **notation)
    assert got == expected, f"{text} read as {got}, expected {expected}"


INVALID = [
    # ambiguity
    (r"\log q_j p_j", {}, AmbiguousNotationError, 1),
    (r"p_j + \log q_j p_j", {}, AmbiguousNotationError, 7),
    (r"\exp z_i p_i", {}, AmbiguousNotationError, 1),
    ("q_i / p_i z_i", {}, AmbiguousNotationError, 1),
    (r"\sum p_i q_j", {}, AmbiguousNotationError, 1),
    (r"\sum 2", {}, AmbiguousNotationError, 1),
    # an index both bound and free in one scope
    (r"\sum_i p_i y_i - y_i", O, IndexScopeError, 1),
    (r"y_i \sum_i p_i", O, IndexScopeError, 5),
    (r"\sum_k p_k \sum_k q_k", {}, IndexScopeError, 12),
    # unknown macros
    (r"q_i \foo", {}, UnknownMacroError, 5),
    (r"\dots", {}, UnknownMacroError, 1),
    (r"q_i \leq 1", {}, UnknownMacroError, 5),
    # unbalanced braces and brackets
    ("{q_i", {}, LatexSyntaxError, 1),
    ("q_i }", {}, LatexSyntaxError, 5),
    (r"\frac{1}{q_i", {}, LatexSyntaxError, 9),
    ("(q_i", {}, LatexSyntaxError, 4),
    ("q_i)", {}, LatexSyntaxError, 4),
    (r"\left(q_i\right]", {}, LatexSyntaxError, 16),
    (r"(\mathbf{w_i\top \mathbf x)}", {"weights": "w"}, LatexSyntaxError, 13),
    # syntax
    ("q_i +", {}, LatexSyntaxError, 5),
    ("z_12", {}, LatexSyntaxError, 3),
    ("q_i^23", {}, LatexSyntaxError, 5),
    ("q_i | p_i", {}, LatexSyntaxError, 5),
    ("q_i q_j = 1", {}, LatexSyntaxError, 1),
    # the notation
    ("c_i", {}, NotationError, 1),
    (r"\alpha_i", {}, NotationError, 1),
    ("i p_i", {}, NotationError, 1),
    ("z_{ij}", {}, NotationError, 1),
    ("J_i", {}, NotationError, 1),
    ("W_{ij}", {}, NotationError, 1),
    (r"\frac{\theta \hat{y_i}}{\theta x_j}", X, NotationError, 7),
    (r"\exp^{x_i}", {"logits": "x"}, NotationError, 1),
    (r"\Sigma_k e^{z_k}", {}, NotationError, 1),
    (r"\frac{\partial q_j}{\partial w}", {"weights": "w"}, NotationError, 30),
    (r"w_i x", {"weights": "w"}, NotationError, 1),
    (r"q_z", {}, NotationError, 3),
    (r"\operatorname{diag}(q)", {}, NotationError, 1),
    (r"\frac{\partial J}{\partial \log q_i}", {}, NotationError, 28),
    (r"\hat q_i", {}, NotationError, 1),
]


@pytest.mark.parametrize(
    ("text", "notation", "error", "column"), INVALID, ids=[c[0] for c in INVALID]
)
def test_refuses(text: str, notation: dict, error: type, column: int) -> None:
    with pytest.raises(error) as info:
        parse_expr(text, **notation)
    assert isinstance(info.value, ValueError)
    assert (info.value.line, info.value.column) == (1, column), str(info.value)
    shown = str(info.value).splitlines()
    assert shown[0].startswith(f"line 1, column {column}: ")
    assert shown[1] == "  " + text.splitlines()[0]
    assert shown[2].lstrip(" ").startswith("^")
    assert shown[2].index("^") == column + 1


def test_the_table_is_large_enough() -> None:
    assert len(VALID) + len(INVALID) >= 80


def test_an_error_on_a_later_line_names_that_line() -> None:
    text = "q_i &= p_i \\\\\n&= \\log q_j p_j"
    with pytest.raises(AmbiguousNotationError) as info:
        read_align(text)
    assert (info.value.line, info.value.column) == (2, 4)
    assert info.value.source_line == r"&= \log q_j p_j"


def test_every_error_makes_a_suggestion_where_one_helps() -> None:
    for text, notation, error, _ in INVALID:
        with pytest.raises(LatexError) as info:
            parse_expr(text, **notation)
        if error in (AmbiguousNotationError, IndexScopeError, UnknownMacroError):
            assert info.value.suggestion, text


def test_a_bracketed_sum_shadows_the_free_index_and_the_engine_agrees() -> None:
    # Thread 001's (sum_i p_i y_i) - y_i: the summed i is a new variable, as the engine reads it.
    text = r"\left(\sum_i p_i y_i\right) - y_i &= \sum_k p_k y_k - y_i"
    with pytest.raises(NotationError):  # in the site's letters y is not defined
        read_align(text)
    parsed = read_align(text, Notation.make(**O))
    assert parsed.derivation().verify().ok
    # and the bracket matters: without it the same text is refused, not guessed
    with pytest.raises(IndexScopeError):
        read_align(text.replace(r"\left(", "").replace(r"\right)", ""), Notation.make(**O))


def test_where_and_assume_read_as_relations() -> None:
    parsed = read_align(
        r"\frac{\partial q_j}{\partial z_i} &= -q_i q_j",
        where=[r"i \ne j"],
        assume=[r"\sum_k p_k = 1"],
    )
    assert parsed.where == (Ne(i, j),)
    assert parsed.assume == (sp.Eq(total(p[k]), 1),)
    assert parsed.derivation().verify().ok
    bad = read_align(r"\frac{\partial q_j}{\partial z_i} &= -q_i q_j")
    assert bad.derivation().verify().first_false == 1  # without i != j the diagonal breaks it


def test_reasons_tags_and_labels_are_kept() -> None:
    parsed = read_align(
        "J &= -\\sum_j p_j \\log q_j && \\text{definition} \\tag{1} \\label{eq:a} \\\\\n"
        "&= -\\sum_j p_j \\log q_j \\quad \\text{again}"
    )
    first, second = parsed.steps
    assert (first.reason, first.tags, first.labels) == ("definition", (r"\tag{1}",), ("eq:a",))
    assert second.reason == "again"
    assert (second.line, second.column) == (2, 4)  # where its right-hand side starts
    assert first.latex == r"-\sum_j p_j \log q_j"


@pytest.mark.parametrize(
    ("text", "owners"),
    [
        ("constants=z", "logits and constants"),
        ("vectors=p", "targets and vectors"),
        ("logits=y, constants=y", "logits and constants"),
        (r"partial=\theta, sum=\theta", "partial and sum"),
    ],
)
def test_a_letter_given_two_readings_is_refused(text: str, owners: str) -> None:
    with pytest.raises(ValueError, match=f"to both {owners}"):
        Notation.parse(text)
