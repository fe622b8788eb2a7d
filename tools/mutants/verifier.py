"""Verifier mutants: ``gradproof.derive`` calling a false step ✓.

A slip in the zero test, the numeric comparison, the settings a step is checked at, the proof
for every n or the domain a symbol is sampled on makes a ✓ claim more than was proved. Most are
killed by the soundness catalogue (``tests/test_soundness.py``).
"""

from __future__ import annotations

from mutants.harness import Mutant

MUTANTS: tuple[Mutant, ...] = ()
