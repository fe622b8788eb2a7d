"""Throw-away sites built like the real one: the real ``conf/`` and the strict flags of
``nox -s docs``, in a subprocess. The build tests use them to show what the configuration does.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
# The flags of `nox -s docs`, from the one place they are kept.
STRICT_FLAGS = PYPROJECT["tool"]["gradproof"]["sphinx-build-flags"]
FRONT_MATTER = """\
---
file_format: mystnb
kernelspec:
  name: python3
  display_name: Python 3
---
"""


def write_tree(root: Path, pages: dict[str, str]) -> Path:
    """A docs tree: an index with a toctree of `pages` (name -> MyST-NB body)."""
    src = root / "docs"
    src.mkdir(parents=True)
    toc = "\n".join(pages)
    (src / "index.md").write_text(f"# Tiny site\n\n```{{toctree}}\n{toc}\n```\n", encoding="utf-8")
    for name, body in pages.items():
        text = FRONT_MATTER + textwrap.dedent(body)
        (src / f"{name}.md").write_text(text, encoding="utf-8")
    return src


def sphinx_build(
    src: Path,
    out: Path,
    *,
    prefix: list[str] | None = None,
    env: dict[str, str] | None = None,
    extra: list[str] | None = None,
    timeout: float = 900,
) -> subprocess.CompletedProcess[str]:
    """``sphinx-build`` with the real conf and the strict flags of ``nox -s docs``."""
    cmd = [sys.executable, "-m", "sphinx", "-c", str(ROOT / "conf"), "-b", "html"]
    cmd += [*STRICT_FLAGS, *(extra or []), str(src), str(out)]
    run_env = {**(env if env is not None else os.environ), "GRADPROOF_NB_EXECUTION_MODE": "force"}
    return subprocess.run(
        [*(prefix or []), *cmd],
        capture_output=True,
        text=True,
        env=run_env,
        timeout=timeout,
        check=False,
        cwd=src.parent,
    )


def build(root: Path, page: str) -> tuple[subprocess.CompletedProcess[str], Path]:
    """Build a two-page site (index + ``page``) under ``root``; return the run and outdir."""
    run = sphinx_build(write_tree(root, {"page": page}), root / "html", timeout=600)
    return run, root / "html"
