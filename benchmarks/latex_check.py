r"""Reading and verifying a derivation written in LaTeX: the time of ``check_source``.

A 6-line derivation (the corrected chain of thread 001, in the site's letters, the last line
using that the targets sum to one) is read by :mod:`gradproof.latex` and verified by
:mod:`gradproof.derive`, as ``gradproof check`` and the browser checker do. Each repeat starts
from a cleared SymPy cache; the parser's tables are built once per process (that cost is
reported apart, as ``first_parse_seconds``). Target: parse + verify at most 1 s.
"""

from __future__ import annotations

import statistics
import time

from gradproof.latex.examples import example

# The derivation is the "correct" entry of gradproof/latex/examples.toml, which the checker page
# offers too (benchmarks/checker_page.py times it in the browser).
SIX_LINES = example("correct").latex
ASSUME = example("correct").assume
TARGET_SECONDS = 1.0


def measure(repeats: int = 5) -> dict:
    """Median wall seconds of reading, of verifying, and of both, over `repeats` runs."""
    from sympy.core.cache import clear_cache  # noqa: PLC0415

    from gradproof.latex import read_align  # noqa: PLC0415
    from gradproof.latex.checking import check_parsed  # noqa: PLC0415

    start = time.perf_counter()
    read_align(SIX_LINES, assume=ASSUME)  # builds the LALR tables once
    first = time.perf_counter() - start
    parse, verify = [], []
    for _ in range(repeats):
        clear_cache()
        t0 = time.perf_counter()
        parsed = read_align(SIX_LINES, assume=ASSUME)
        t1 = time.perf_counter()
        result = check_parsed(parsed)
        t2 = time.perf_counter()
        assert result["ok"], result["summary"]
        parse.append(t1 - t0)
        verify.append(t2 - t1)
    total = [a + b for a, b in zip(parse, verify, strict=True)]
    return {
        "lines": len(parsed.lines),
        "repeats": repeats,
        "first_parse_seconds": first,
        "parse_seconds": statistics.median(parse),
        "verify_seconds": statistics.median(verify),
        "seconds": statistics.median(total),
        "worst_seconds": max(total),
    }


def targets(row: dict) -> dict[str, dict]:
    """Parse + verify of the 6-line derivation within 1 s (median of the repeats)."""
    return {
        "latex_parse_and_verify_le_1s": {
            "measured": (
                f"{row['seconds']:.3f} s median (parse {row['parse_seconds'] * 1e3:.0f} ms, "
                f"verify {row['verify_seconds']:.3f} s; worst {row['worst_seconds']:.3f} s)"
            ),
            "met": bool(row["seconds"] <= TARGET_SECONDS),
        }
    }
