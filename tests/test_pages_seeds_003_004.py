"""Thread pages 003 (weight matrix) and 004 (vector-Jacobian product), and the design of all five.

Their derivations are checked with the other thread pages' in ``test_pages_seeds_000_002.py``,
and mutated in the mutation registry (``tools/mutants/pages.py``); here are the tests only these
two need: the numbers each shows for a thread's line are that line's values (a weight
matrix and an upstream gradient, which the shared test does not evaluate), and the credit 003
owes the second answer. The page design is then checked on every thread page: the sections in
their order, a description in the front matter, a NumPy tab a reader can copy without gradproof.
"""

from __future__ import annotations

import re

import numpy as np
import pytest
import sympy as sp
from test_pages_seeds_000_002 import PAGES, page

from gradproof.derive import Derivation
from gradproof.derive.notation import W, d, g, i, x, z
from gradproof.examples import p_run, z_run
from gradproof.functions import softmax
from gradproof.gradients import softmax_vjp, softmax_weight_jacobian
from gradproof.latex.markdown import derivation_blocks, read_block

# The running example of page 003 as a layer: rows w_1, w_2, w_3 and the input x give z = (1, 2, 3).
W_EX = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
X_EX = np.array([1.0, 2.0])


def derivation(name: str, label: str) -> Derivation:
    (block,) = [b for b in derivation_blocks(page(name)) if b.options.get("label") == label]
    return read_block(block).derivation()


# -------------------------------------------------------------------------- shown numbers


def test_003_the_askers_line_is_the_zero_the_page_checks() -> None:
    """The page feeds np.zeros((K, K, D)) to the check as the asker's line; its truth is the
    weight Jacobian. Both are the thread's line evaluated at the running example."""
    text = page("003")
    assert "lambda w: np.zeros((K, K, D_ex))" in text
    assert "gradients.softmax_weight_jacobian(w, x_ex)" in text
    asker = derivation("003", "seed003-asker")
    (a,) = [s for s in asker.exprs[0].atoms(sp.Symbol) if s.name == "a"]
    values = {W: W_EX, x: X_EX}
    lhs = asker.evaluate(0, 3, values, order=[a, i, d], D=2)
    # The fraction has no row index: the asker's single w stands for every row.
    fraction = asker.evaluate(1, 3, values, order=[a, d], D=2)
    np.testing.assert_allclose(lhs, softmax_weight_jacobian(W_EX, X_EX), rtol=1e-12)
    np.testing.assert_array_equal(fraction, np.zeros((3, 2)))


@pytest.mark.parametrize("upstream", ["cross-entropy", "random"])
def test_004_the_numbers_shown_for_the_slide_are_its_values(upstream: str) -> None:
    text = page("004")
    assert "shown = s_vec - s_vec.sum()" in text
    assert "dy_rand = np.random.default_rng(4).normal(size=3)" in text
    y_run = softmax(z_run)
    dl_dy = (
        -p_run / y_run if upstream == "cross-entropy" else np.random.default_rng(4).normal(size=3)
    )
    slide = derivation("004", "seed004-slide")
    values = {z: z_run, g: dl_dy}
    s_vec = dl_dy * y_run
    np.testing.assert_allclose(s_vec - s_vec.sum(), slide.evaluate(1, 3, values), rtol=1e-12)
    np.testing.assert_allclose(softmax_vjp(z_run, dl_dy), slide.evaluate(0, 3, values), rtol=1e-12)


# ----------------------------------------------------------------------------------- text


def test_003_credits_the_objection_the_edit_note_answers() -> None:
    """The second answer's doubt was valid against the first answer's earlier version."""
    text = " ".join(page("003").split())
    assert "{quote}`003: the changes in the denominator of the softmax had been left out" in text
    assert "the objection was valid" in text
    assert "Yuntai Kyong" in text


@pytest.mark.parametrize("name", sorted(PAGES))
def test_the_sections_are_those_of_every_thread_page(name: str) -> None:
    sections = re.findall(r"^## (.+)$", page(name), re.MULTILINE)
    assert sections == ["The corrected derivation", "Code to copy", "The thread, line by line"]


@pytest.mark.parametrize("name", sorted(PAGES))
def test_the_front_matter_describes_the_page(name: str) -> None:
    front = page(name).split("\n---\n", 1)[0]
    assert re.search(r'^    "description lang=en": "[^"]{80,}"$', front, re.MULTILINE), front


@pytest.mark.parametrize("name", sorted(PAGES))
def test_the_numpy_tab_imports_no_gradproof(name: str) -> None:
    cell = page(name).split(":tags: [code-numpy]", 1)[1].split("```", 1)[0]
    assert "import numpy as np" in cell
    assert "gradproof" not in cell
