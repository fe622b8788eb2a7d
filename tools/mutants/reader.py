"""Reader mutants: ``gradproof.latex`` reading a thread's LaTeX as something else.

A misread line is verified as the wrong formula: the ✓ or ✗ then speaks of a line nobody wrote.
Each mutant is a slip of precedence, scope or sign in the reader, killed by the parser's tests.
"""

from __future__ import annotations

from mutants.harness import Mutant

READER = "src/gradproof/latex/_reader.py"

MUTANTS: tuple[Mutant, ...] = ()
