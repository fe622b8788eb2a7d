"""Run every benchmark, print a table, write benchmarks/results.json.

Usage (from the repository root, with ``tools/`` on ``PYTHONPATH`` as ``nox -s benchmark`` and
pytest have it: the browser measurements use the scripts there)::

    python -m benchmarks.run                # everything, as `nox -s benchmark` does
    python -m benchmarks.run --quick        # tiny sizes, no build: a smoke test
    python -m benchmarks.run --skip build   # leave out a part (accuracy, scaling, verify,
                                            # latex, build, weight, checker: the checker page
                                            # in Chromium, on the built site; it writes
                                            # checker_page.json)
"""

from __future__ import annotations

import argparse
import json
import math
from pathlib import Path

from benchmarks import (
    accuracy,
    build_cost,
    checker_page,
    latex_check,
    machine,
    page_weight,
    scaling,
    verify_cost,
)

RESULTS = Path(__file__).resolve().parent / "results.json"
PARTS = ("accuracy", "scaling", "verify", "latex", "build", "weight", "checker")
BUILDS = ("full", "no_execution", "serve_first", "serve_rebuild")
# 3: no kernel forkserver; builds carry the pages they executed, the run the execution CPU
# seconds per page.
SCHEMA_VERSION = 3

QUICK = {
    "accuracy": {"sizes": (3, 10), "n_points": 2},
    "scaling": {
        "directional": {"sizes": (10**3, 10**4), "full_sizes": (10**2,), "repeats": 1},
        "vjp": {"sizes": (10, 100), "cap": 100, "extrapolate_to": (10**6,), "repeats": 1},
    },
    "verify": {"per_n": (2,), "only": ("theory/how-we-check",)},
    "latex": {"repeats": 2},
}


def run(parts: tuple[str, ...] = PARTS, *, quick: bool = False, out: Path | None = None) -> dict:
    """Measure the chosen parts; return the results dictionary (see :data:`SCHEMA_VERSION`).

    With `out`, the results so far are written there before the site build is measured: the
    build executes docs/benchmarks.md, which reads that file, so the page needs one to exist
    (it shows the build figures only when the file has them).
    """
    info = machine.info()
    results: dict = {"schema": SCHEMA_VERSION, "quick": quick, "machine": info, "targets": {}}
    if "accuracy" in parts:
        kw = QUICK["accuracy"] if quick else {}
        rows = accuracy.measure(**kw)
        results["accuracy"] = {
            "rows": rows,
            "labels": accuracy.METHOD_LABELS,
            "eps": accuracy.EPS,
            "reference_digits": accuracy.DIGITS,
        }
        if accuracy.have_scipy():
            sizes = kw.get("sizes", accuracy.SIZES)
            results["accuracy"]["scipy_vs_reimplementation_max_abs"] = accuracy.scipy_agreement(
                sizes
            )
        results["targets"].update(accuracy.targets(rows))
    if "scaling" in parts:
        kw_dir = QUICK["scaling"]["directional"] if quick else {}
        kw_vjp = QUICK["scaling"]["vjp"] if quick else {}
        rows = scaling.directional(**kw_dir)
        results["scaling"] = {"directional": rows, "vjp": scaling.vjp_vs_jacobian(**kw_vjp)}
        results["targets"].update(scaling.targets(rows))
    if "verify" in parts:
        rows = verify_cost.measure(**(QUICK["verify"] if quick else {}))
        results["verify"] = rows
        results["targets"].update(verify_cost.targets(rows))
    if "latex" in parts:
        results["latex"] = latex_check.measure(**(QUICK["latex"] if quick else {}))
        results["targets"].update(latex_check.targets(results["latex"]))
    if "build" in parts:
        if out is not None:
            _stamp_load(info)
            write(results, out)
        results["build"] = build_cost.measure()
        results["targets"].update(results["build"]["targets"])
    if "weight" in parts:
        results["weight"] = page_weight.measure()
        results["targets"].update(page_weight.targets(results["weight"]))
    _stamp_load(info)
    return results


def _stamp_load(info: dict) -> None:
    info["load_after"] = machine.load_average()
    info["load_note"] = machine.load_note(info["load_before"], info["load_after"], info["cores"])


# --------------------------------------------------------------------------- printing


def _table(headers: list[str], rows: list[list[str]]) -> str:
    widths = [max([len(h), *(len(r[i]) for r in rows)]) for i, h in enumerate(headers)]

    def fmt(cells: list[str]) -> str:
        return "  ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)).rstrip()

    return "\n".join([fmt(headers), "  ".join("-" * w for w in widths), *(fmt(r) for r in rows)])


def _bytes(nbytes: float) -> str:
    for unit, size in (("TB", 1e12), ("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if nbytes >= size:
            return f"{nbytes / size:.3g} {unit}"
    return f"{nbytes:.0f} B"


def report(results: dict) -> str:
    """The printed form: one table per part, then the targets."""
    out = []
    m = results["machine"]
    out.append(
        f"machine: {m['cpu']}, {m['cores']} cores, Python {m['versions']['python']}, "
        f"numpy {m['versions']['numpy']}, sympy {m['versions']['sympy']}, {m['date']}"
    )
    out.append(f"load: {m.get('load_note', '')}")
    if "accuracy" in results:
        out.append("\nAccuracy (relative error against a 40-digit reference; eps = 2.2e-16)")
        rows = [
            [
                r["problem"],
                str(r["n"]),
                r["method"],
                f"{r['median_rel_err']:.1e}",
                f"{r['max_rel_err']:.1e}",
                f"{r['median_in_eps']:.3g}",
                str(r["n_evals"]),
                str(r["n_params"]),
            ]
            for r in results["accuracy"]["rows"]
        ]
        out.append(
            _table(["problem", "n", "method", "median", "max", "median/eps", "evals", "vars"], rows)
        )
    if "scaling" in results:
        out.append("\nScaling: checks of the cross-entropy gradient")
        rows = [
            [
                r["check"],
                f"{r['n']:.0e}",
                f"{r['seconds'] * 1e3:.2f}",
                str(r["n_evals"]),
                f"{r['in_f_evaluations']:.0f}",
            ]
            for r in results["scaling"]["directional"]
        ]
        out.append(_table(["check", "n", "ms", "evals", "time in f evals"], rows))
        out.append("\nsoftmax_vjp against g @ softmax_jacobian (memory: tracemalloc peak)")
        rows = []
        for r in results["scaling"]["vjp"]:
            if r["extrapolated"]:
                rows.append(
                    [f"{r['n']:.0e}", "", "", "", _bytes(r["jacobian_peak_bytes"]), "extrap."]
                )
            else:
                rows.append(
                    [
                        f"{r['n']:.0e}",
                        f"{r['vjp_seconds'] * 1e6:.1f}",
                        f"{r['jacobian_seconds'] * 1e6:.1f}",
                        _bytes(r["vjp_peak_bytes"]),
                        _bytes(r["jacobian_peak_bytes"]),
                        "measured",
                    ]
                )
        out.append(
            _table(["n", "vjp us", "jacobian us", "vjp memory", "jacobian memory", ""], rows)
        )
    if "verify" in results:
        out.append("\nDerivation.verify per page (wall s; CPU s as written; per n = wall)")
        dims = list(results["verify"][0]["verify_seconds_per_n"]) if results["verify"] else []
        rows = [
            [
                r["page"],
                str(r["derivations"]),
                f"{r['verify_seconds']:.2f}",
                f"{r['verify_cpu_seconds']:.2f}",
                *(f"{r['verify_seconds_per_n'][k]:.2f}" for k in dims),
            ]
            for r in results["verify"]
        ]
        out.append(_table(["page", "derivs", "verify", "cpu", *(f"n={k}" for k in dims)], rows))
    if "latex" in results:
        r = results["latex"]
        out.append(
            f"\nLaTeX derivation of {r['lines']} lines: parse {r['parse_seconds'] * 1e3:.0f} ms, "
            f"verify {r['verify_seconds']:.3f} s (medians of {r['repeats']}); "
            f"first parse in a process {r['first_parse_seconds']:.2f} s"
        )
    if "build" in results:
        b = results["build"]
        out.append("\nSite build (wall and CPU seconds; full and no_execution: medians)")
        rows = [
            [
                name,
                f"{b[name]['seconds']:.1f}",
                f"{b[name]['cpu_seconds']:.1f}",
                str(b[name]["executed_pages"]),
                str(b[name]["returncode"]),
            ]
            for name in BUILDS
        ]
        out.append(_table(["build", "wall", "cpu", "pages executed", "exit"], rows))
        per_page = b["execution_cpu_seconds_per_page"]
        out.append(
            f"full / no execution: {b['full_over_no_execution']:.2f}x wall; execution adds "
            + (f"{per_page:.2f} CPU s per executed page" if per_page is not None else "nothing")
        )
    if "weight" in results:
        out.append("\nPage weight (what a browser downloads; uncompressed and gzip)")
        rows = [
            [r["page"], _bytes(r["bytes"]), _bytes(r["gzip_bytes"])]
            for r in results["weight"]["pages"]
        ]
        out.append(_table(["page", "as served", "gzip"], rows))
    out.append("\nTargets")
    rows = [
        [name, t["measured"], "met" if t["met"] else "MISSED"]
        for name, t in results["targets"].items()
    ]
    out.append(_table(["target", "measured", ""], rows))
    return "\n".join(out)


def _finite(obj: object) -> object:
    """JSON has no inf/nan: store them as strings so the file stays standard JSON."""
    if isinstance(obj, float) and not math.isfinite(obj):
        return str(obj)
    if isinstance(obj, dict):
        return {k: _finite(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_finite(v) for v in obj]
    return obj


def write(results: dict, path: Path = RESULTS) -> None:
    path.write_text(json.dumps(_finite(results), indent=1, sort_keys=True) + "\n", encoding="utf-8")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="tiny sizes, no build or weights")
    parser.add_argument("--skip", action="append", default=[], choices=PARTS)
    parser.add_argument("--out", type=Path, default=RESULTS, help="where to write the JSON")
    args = parser.parse_args(argv)
    skip = set(args.skip) | ({"build", "weight", "checker"} if args.quick else set())
    parts = tuple(p for p in PARTS if p not in skip and p != "checker")
    if parts:  # with the checker part alone, results.json is left as it was
        results = run(parts, quick=args.quick, out=args.out)
        write(results, args.out)
        print(report(results))
        print(f"\nwrote {args.out}")
    if "checker" not in skip:  # its own results file: checker_page.json
        print()
        checker_page.main([])


if __name__ == "__main__":
    main()
