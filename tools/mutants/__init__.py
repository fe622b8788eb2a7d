"""The mutation registry: every known-wrong formula the project's checks must reject.

A mutant is one exact textual replacement in one file of the project, named, with the slip it
models and the cheapest check that must kill it (a test file, a page's derivations or its
cells). ``nox -s mutants`` puts each into a copy of the project, runs its check there, and fails
unless every one is killed. The registry is grouped by what the slip would break:

``library``
    ``gradproof.functions`` and ``gradproof.gradients``: the threads' mistakes, classic slips.
``checker``
    ``gradproof.check``: its numerical differentiation, pass rule and probe.
``verifier``
    ``gradproof.derive``: the zero test, the numeric comparison, the settings, the proof for
    every n and the domain each symbol is sampled on.
``reader``
    ``gradproof.latex``: a line read with another precedence, scope or sign.
``pages``
    a wrong formula in a page's ``{derivation}`` line or code cell.

:mod:`mutants.harness` says how a mutant is applied and judged, and what keeps a score honest.
A mutant that survives is a missing test: write the test, never weaken the mutant. An
equivalent mutant (one no check can tell from the original) does not belong in ``MUTANTS``;
``EQUIVALENTS`` lists the ones considered, each with why, and ``tests/test_mutants.py`` proves
that the harness reports such a mutant as a survivor.

Usage::

    python -m mutants                   # every mutant, 2 workers; exit 1 below 100 %
    python -m mutants --list
    python -m mutants --area checker
    python -m mutants --only sign-flip no-max-shift

(``tools`` on ``PYTHONPATH``; ``nox -s mutants -- ARGS`` runs it so.)
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence

from mutants import checker, library, pages, reader, verifier
from mutants.harness import (
    Check,
    CheckRun,
    Mutant,
    MutantError,
    Outcome,
    apply,
    baseline,
    copy_project,
    imported_from,
    project_files,
    run,
    run_mutant,
)

__all__ = [
    "AREAS",
    "EQUIVALENTS",
    "MUTANTS",
    "Check",
    "CheckRun",
    "Mutant",
    "MutantError",
    "Outcome",
    "apply",
    "baseline",
    "copy_project",
    "imported_from",
    "main",
    "project_files",
    "run",
    "run_mutant",
]

AREAS: dict[str, tuple[Mutant, ...]] = {
    "library": library.MUTANTS,
    "checker": checker.MUTANTS,
    "verifier": verifier.MUTANTS,
    "reader": reader.MUTANTS,
    "pages": pages.MUTANTS,
}
MUTANTS: tuple[Mutant, ...] = tuple(m for group in AREAS.values() for m in group)
AREA_OF: dict[str, str] = {m.name: area for area, group in AREAS.items() for m in group}
EQUIVALENTS: tuple[Mutant, ...] = (
    library.EQUIVALENT,
    checker.EQUIVALENT_STRICT_PASS,
    checker.EQUIVALENT_PROBE_WIDE,
    reader.EQUIVALENT_SIGN_RESET,
    verifier.EQUIVALENT_UNNAMED_EXPONENTIALS,
)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="mutants", description=__doc__.split("\n\n")[0])
    parser.add_argument("--workers", type=int, default=2, help="parallel mutants (default 2)")
    parser.add_argument("--area", nargs="+", choices=sorted(AREAS), help="run only these areas")
    parser.add_argument("--only", nargs="+", metavar="NAME", help="run only these mutants")
    parser.add_argument("--list", action="store_true", help="list the mutants and exit")
    args = parser.parse_args(argv)
    chosen = [m for m in MUTANTS if not args.area or AREA_OF[m.name] in args.area]
    if args.only:
        by_name = {m.name: m for m in MUTANTS}
        unknown = sorted(set(args.only) - set(by_name))
        if unknown:
            parser.error(f"unknown mutant(s) {unknown}; see --list")
        chosen = [by_name[name] for name in args.only]
    if args.list:
        for m in chosen:
            print(f"{AREA_OF[m.name]:9} {m.name:36} {m.path:44} {m.why}")
        return 0
    return run(chosen, workers=max(1, args.workers), areas=AREA_OF)
