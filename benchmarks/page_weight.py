"""Page weight: what a browser downloads to show each page of the site.

The site is built as ``nox -s docs`` builds it (strict flags, every page executed) into a
temporary directory, served on 127.0.0.1, and every page is opened in headless Chromium at the
desktop width by ``tools/browser_check.py``, which adds up the page and everything it loaded
(stylesheets, scripts, fonts, images, MathJax and the fonts it fetched for that page). Each
page is given uncompressed, as served, and gzip-compressed file by file, as a web server would
send it. The budget is the browser check's (``WEIGHT_BUDGET``).
"""

from __future__ import annotations

import importlib.util
import shutil
import sys
import tempfile
from pathlib import Path
from types import ModuleType

from benchmarks import build_cost

ROOT = Path(__file__).resolve().parents[1]


def browser_check() -> ModuleType:
    """``tools/browser_check.py`` (tools/ is a folder of scripts, not a package)."""
    spec = importlib.util.spec_from_file_location(
        "browser_check", ROOT / "tools" / "browser_check.py"
    )
    if spec is None or spec.loader is None:
        msg = "tools/browser_check.py cannot be loaded"
        raise ImportError(msg)
    module = importlib.util.module_from_spec(spec)
    sys.modules["browser_check"] = module  # dataclasses look the module up while building
    spec.loader.exec_module(module)
    return module


def measure() -> dict:
    """Build the site once and weigh every page; rows sorted by page."""
    checker = browser_check()
    base = Path(tempfile.mkdtemp(prefix="gradproof-bench-weight-"))
    try:
        build = build_cost.sphinx(base, build_cost.strict_flags(), "force")
        if build["returncode"] != 0:
            msg = f"the site build for the page weights failed:\n{build['stderr_tail']}"
            raise RuntimeError(msg)
        weights = checker.page_weights(base / "html")
    finally:
        shutil.rmtree(base, ignore_errors=True)
    rows = [
        {"page": page, "bytes": raw, "gzip_bytes": packed}
        for page, (raw, packed) in sorted(weights.items())
    ]
    return {"pages": rows, "budget_bytes": checker.WEIGHT_BUDGET}


def targets(weight: dict) -> dict:
    """Every page within the browser check's budget; the heaviest one named."""
    heaviest = max(weight["pages"], key=lambda r: r["bytes"])
    return {
        "page_weight_within_budget": {
            "measured": (
                f"heaviest {heaviest['page']}: {heaviest['bytes'] / 1e6:.2f} MB "
                f"({heaviest['gzip_bytes'] / 1e6:.2f} MB gzip); budget "
                f"{weight['budget_bytes'] / 1e6:.1f} MB"
            ),
            "met": heaviest["bytes"] <= weight["budget_bytes"],
        }
    }
