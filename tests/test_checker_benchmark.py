"""benchmarks/checker_page.py: its committed results are whole, and its targets can be missed.

The timing itself runs in headless Chromium (``nox -s benchmark``); no time is asserted here.
"""

from __future__ import annotations

import json

from benchmarks import checker_page


def test_the_committed_results_are_whole() -> None:
    results = json.loads(checker_page.RESULTS.read_text(encoding="utf-8"))
    row = results["checker"]
    assert row["lines"] == 6
    assert row["cold_seconds"] > row["recheck_seconds"] > 0
    assert row["transfer_bytes"] == sum(row["transfer_bytes_by_part"].values())
    assert set(row["transfer_bytes_by_part"]) == {"page", "pyodide", "wheels"}
    assert results["machine"]["load_note"]
    assert set(results["targets"]) == set(checker_page.targets(row))


def test_a_slow_page_misses_its_targets() -> None:
    row = {
        "cold_seconds": 25.0,
        "recheck_seconds": 0.5,
        "recheck_worst_seconds": 0.6,
        "edit_seconds": 3.5,
        "edit_worst_seconds": 4.0,
        "repeats": 3,
    }
    met = {name: t["met"] for name, t in checker_page.targets(row).items()}
    assert met == {"checker_first_verdict_le_20s": False, "checker_recheck_le_3s": False}
    fast = row | {"cold_seconds": 9.0, "edit_seconds": 0.6, "edit_worst_seconds": 0.7}
    assert all(t["met"] for t in checker_page.targets(fast).values())
