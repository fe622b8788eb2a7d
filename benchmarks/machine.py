"""Where and when the benchmark ran: CPU, cores, versions, date, load."""

from __future__ import annotations

import datetime as dt
import os
import platform
import subprocess
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("numpy", "sympy", "scipy", "mpmath", "sphinx", "myst-nb", "gradproof")


def cpu_model() -> str:
    """The CPU's marketing name from /proc/cpuinfo, or what platform knows."""
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.is_file():
        for line in cpuinfo.read_text(encoding="utf-8", errors="replace").splitlines():
            if line.lower().startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or platform.machine()


def load_average() -> list[float] | None:
    """1, 5 and 15 minute load averages (None where the OS has none)."""
    try:
        return [round(v, 2) for v in os.getloadavg()]
    except OSError:
        return None


def versions() -> dict[str, str | None]:
    out: dict[str, str | None] = {"python": platform.python_version()}
    for name in PACKAGES:
        try:
            out[name] = version(name)
        except PackageNotFoundError:
            out[name] = None
    return out


def source_state() -> dict[str, object]:
    """The commit measured, and how many files differed from it (others may be editing)."""

    def git(*args: str) -> str:
        done = subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, check=False)
        return done.stdout.strip() if done.returncode == 0 else ""

    changed = git("status", "--porcelain", "--untracked-files=no")
    return {"commit": git("rev-parse", "HEAD") or None, "changed_files": len(changed.splitlines())}


def info() -> dict:
    """Machine facts at the start of a run."""
    return {
        "source": source_state(),
        "cpu": cpu_model(),
        "cores": os.cpu_count(),
        "system": f"{platform.system()} {platform.release()}",
        "versions": versions(),
        "date": dt.datetime.now(dt.UTC).date().isoformat(),
        "load_before": load_average(),
    }


def load_note(before: list[float] | None, after: list[float] | None, cores: int | None) -> str:
    """A sentence on how busy the machine was; times are noisy above about half the cores.

    Only the load before the run says whether other processes were busy: the load after it
    includes the benchmark's own work (the site builds alone run several processes per core).
    """
    if before is None or after is None or not cores:
        return "load average unavailable"
    after_note = f"{after[0]:.2f} after the run, which counts the benchmark's own builds"
    if before[0] > 0.5 * cores:
        return (
            f"machine busy: 1-minute load average {before[0]:.2f} on {cores} cores before the "
            f"run (other processes were running), {after_note}; absolute times are noisy, "
            "ratios less so"
        )
    return (
        f"machine quiet: 1-minute load average {before[0]:.2f} on {cores} cores before the run, "
        f"{after_note}"
    )
