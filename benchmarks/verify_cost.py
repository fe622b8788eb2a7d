"""What ``Derivation.verify`` costs on each docs page, and how it grows with n.

Each page's code cells are read with MyST-NB's own reader and run in one plain namespace (no
Jupyter kernel, output discarded), and its ``{derivation}`` blocks are read and verified as the
directive does, with :meth:`gradproof.derive.Derivation._verify` wrapped so that every
verification a page performs is recorded with its ``report.elapsed``. So the figures are those
of the derivations the page really builds, with the dimensions it really asks for.

Then each recorded derivation is rebuilt with one dimension at a time, ``ns=(k,)`` for
k = 2 ... 6, and verified again from a cleared SymPy cache: the cost of each n, per page.

Each row also counts the page's steps that hold and those proved for every n, and names the
others with their scope: the site's share of steps proved for every n is a target too.

``python -m benchmarks.verify_cost`` prints the per-page table alone (no per-n re-verification).
"""

from __future__ import annotations

import contextlib
import io
import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
PAGE_DIRS = ("seeds", "theory")
PER_N = (2, 3, 4, 5, 6)
#: A page's derivations, as written, verify within this many seconds (issue 14).
TARGET_SECONDS = 2.0
#: All of a page's derivations re-verified at n = 2, ..., 6 one at a time, within this.
TARGET_ALL_N_SECONDS = 5.0
#: Share of the site's steps that hold which are proved for every n.
TARGET_EVERY_N_SHARE = 0.9


def pages() -> list[Path]:
    """The pages that build derivations: the seed and theory pages, the landing and notation
    pages, in site order."""
    extra = [DOCS / name for name in ("index.md", "notation.md") if (DOCS / name).exists()]
    return [*extra, *sorted(p for folder in PAGE_DIRS for p in (DOCS / folder).glob("*.md"))]


def code_cells(path: Path) -> list[tuple[str, bool]]:
    """(source, may_raise) for each code cell, read as the build reads the page."""
    from myst_nb.core.read import read_myst_markdown_notebook  # noqa: PLC0415

    notebook = read_myst_markdown_notebook(path.read_text(encoding="utf-8"))
    return [
        (cell.source, "raises-exception" in cell.get("metadata", {}).get("tags", []))
        for cell in notebook.cells
        if cell.cell_type == "code"
    ]


@contextlib.contextmanager
def _recording(log: list[tuple[Any, float, float]]) -> Iterator[None]:
    """Wrap Derivation._verify (the uncached part of verify): log (derivation, elapsed, CPU s).

    ``elapsed`` is the report's wall time; the process CPU time beside it is what a shared
    machine disturbs less.
    """
    from gradproof.derive import Derivation  # noqa: PLC0415

    original = Derivation._verify

    def recorded(self: Derivation) -> Any:
        cpu = time.process_time()
        report = original(self)
        log.append((self, report.elapsed, time.process_time() - cpu))
        return report

    Derivation._verify = recorded
    try:
        yield
    finally:
        Derivation._verify = original


@contextlib.contextmanager
def _page_environment(folder: Path) -> Iterator[None]:
    """The page's directory as working directory (as in the build), Agg, output swallowed.

    Everything is restored afterwards: a leaked ``MPLBACKEND=Agg`` reaches the kernels of later
    Sphinx builds in the same process tree, where ``plt.show()`` then shows nothing.
    """
    backend = os.environ.get("MPLBACKEND")
    os.environ["MPLBACKEND"] = "Agg"
    cwd = Path.cwd()
    os.chdir(folder)
    try:
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
            yield
    finally:
        os.chdir(cwd)
        if backend is None:
            os.environ.pop("MPLBACKEND", None)
        else:
            os.environ["MPLBACKEND"] = backend
        with contextlib.suppress(ImportError):
            import matplotlib.pyplot as plt  # noqa: PLC0415

            plt.close("all")


def _cold() -> None:
    """Clear SymPy's cache and gradproof's shared concretisers: each page's kernel starts cold."""
    from sympy.core.cache import clear_cache  # noqa: PLC0415

    from gradproof.derive._concrete import clear_caches  # noqa: PLC0415

    clear_cache()
    clear_caches()


def run_page(path: Path) -> tuple[float, list[tuple[Any, float, float]]]:
    """Execute the page's cells; return wall seconds and the log of :func:`_recording`."""
    _cold()
    log: list[tuple[Any, float, float]] = []
    namespace: dict[str, Any] = {"__name__": "__main__"}
    start = time.perf_counter()
    with _recording(log), _page_environment(path.parent):
        for number, (source, may_raise) in enumerate(code_cells(path), start=1):
            try:
                exec(compile(source, f"{path.name}[cell {number}]", "exec"), namespace)  # noqa: S102
            except Exception:
                if not may_raise:
                    raise
        derivation_blocks(path)
    return time.perf_counter() - start, log


def derivation_blocks(path: Path) -> None:
    """Read and verify the page's ``{derivation}`` blocks as the directive does."""
    from gradproof.latex.markdown import derivation_blocks as blocks  # noqa: PLC0415
    from gradproof.latex.markdown import read_block  # noqa: PLC0415

    for block in blocks(path.read_text(encoding="utf-8")):
        derivation = read_block(block).derivation()
        derivation.title = (
            derivation.title or block.options.get("label", "") or f"block at line {block.line}"
        )
        derivation.verify()


def reverify(derivation: Any, k: int) -> tuple[float, float]:
    """Wall and CPU seconds to verify a copy of `derivation` at the single dimension n = k."""
    copy = derivation.replace(ns=(k,))
    _cold()
    cpu = time.process_time()
    wall = copy._verify().elapsed
    return wall, time.process_time() - cpu


def measure(per_n: tuple[int, ...] = PER_N, only: tuple[str, ...] | None = None) -> list[dict]:
    """One row per page: page run time, verify time as written, and verify time per n."""
    rows = []
    for path in pages():
        name = str(path.relative_to(DOCS).with_suffix(""))
        if only is not None and name not in only:
            continue
        page_seconds, log = run_page(path)
        ns_used = sorted({k for derivation, _, _ in log for k in derivation.ns})
        held, every_n, others = scopes(log)
        row = {
            "page": name,
            "page_seconds": page_seconds,
            "derivations": len(log),
            "verify_seconds": sum(t for _, t, _ in log),
            "verify_cpu_seconds": sum(c for _, _, c in log),
            "slowest_verify_seconds": max((t for _, t, _ in log), default=0.0),
            "ns_used": ns_used,
            "steps_held": held,
            "steps_every_n": every_n,
            "steps_not_every_n": others,
            "verify_seconds_per_n": {},
            "verify_cpu_seconds_per_n": {},
        }
        for k in per_n:
            times = [reverify(d, k) for d, _, _ in log]
            row["verify_seconds_per_n"][str(k)] = sum(t for t, _ in times)
            row["verify_cpu_seconds_per_n"][str(k)] = sum(c for _, c in times)
        rows.append(row)
    return rows


def scopes(log: list[tuple[Any, float, float]]) -> tuple[int, int, list[str]]:
    """Steps that hold, those proved for every n, and the others as ``title, step k: scope``."""
    held = every_n = 0
    others = []
    for derivation, _, _ in log:
        report = derivation.verify()
        for step in report.steps:
            if not step.ok:
                continue
            held += 1
            if step.status == "proved for all n":
                every_n += 1
            else:
                name = derivation.title or str(derivation.lhs)
                others.append(f"{name}, step {step.number}: {step.scope}")
    return held, every_n, others


def targets(rows: list[dict]) -> dict[str, dict]:
    """Verification as written at most 2 s per page; n = 2 ... 6 summed at most 5 s; at least
    90 % of the steps that hold proved for every n."""
    worst = max(rows, key=lambda r: r["verify_seconds"])
    held = sum(r.get("steps_held", 0) for r in rows)
    every_n = sum(r.get("steps_every_n", 0) for r in rows)
    out = {
        "verify_le_2s_per_page_as_written": {
            "measured": (
                f"worst {worst['verify_seconds']:.2f} s wall, {worst['verify_cpu_seconds']:.2f} s "
                f"CPU ({worst['page']}, n = {', '.join(map(str, worst['ns_used']))})"
            ),
            "met": bool(worst["verify_seconds"] <= TARGET_SECONDS),
        },
        "steps_every_n_ge_90_percent": {
            "measured": f"{every_n} of {held} steps that hold ({every_n / max(held, 1):.0%})",
            "met": bool(held and every_n / held >= TARGET_EVERY_N_SHARE),
        },
    }
    if rows and rows[0]["verify_seconds_per_n"]:
        totals = {r["page"]: sum(r["verify_seconds_per_n"].values()) for r in rows}
        cpu = {r["page"]: sum(r["verify_cpu_seconds_per_n"].values()) for r in rows}
        page = max(totals, key=totals.get)
        dims = ", ".join(rows[0]["verify_seconds_per_n"])
        out["verify_le_5s_per_page_n2_to_6"] = {
            "measured": (
                f"worst {totals[page]:.2f} s wall, {cpu[page]:.2f} s CPU for n = {dims} ({page})"
            ),
            "met": bool(totals[page] <= TARGET_ALL_N_SECONDS),
        }
    return out


def main() -> None:
    """Print each page's verify time (wall and CPU) and its steps proved for every n."""
    rows = measure(per_n=())
    for r in rows:
        print(
            f"{r['page']:<40} {r['derivations']:>3} derivations  verify {r['verify_seconds']:5.2f} s "
            f"(CPU {r['verify_cpu_seconds']:5.2f} s)  every n: {r['steps_every_n']}/{r['steps_held']}"
        )
        for text in r["steps_not_every_n"]:
            print(f"    not every n: {text}")
    for name, t in targets(rows).items():
        print(f"{name}: {t['measured']} ({'met' if t['met'] else 'MISSED'})")


if __name__ == "__main__":
    main()
