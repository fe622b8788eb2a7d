"""The README's commands and .ci/run must not drift apart: CI runs what a newcomer is told to."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _readme_commands() -> list[str]:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    start = readme.index("## Getting started")
    section = readme[start : readme.index("\n## ", start + 1)]
    blocks = re.findall(r"```bash\n(.*?)```", section, flags=re.DOTALL)
    return [line.strip() for block in blocks for line in block.splitlines() if line.strip()]


def _ci_nox_commands() -> list[str]:
    script = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    return [
        line.strip().removeprefix("python -m ")
        for line in script.splitlines()
        if line.strip().startswith("python -m nox ")
    ]


def test_readme_names_the_build_and_the_checks():
    commands = _readme_commands()
    assert "nox -s docs" in commands
    assert any(c.startswith("nox -s") and "tests" in c and "doctest" in c for c in commands)


def test_ci_runs_every_readme_nox_command():
    readme_nox = [c for c in _readme_commands() if c.startswith("nox ")]
    assert readme_nox, "the README shows no nox command"
    missing = sorted(set(readme_nox) - set(_ci_nox_commands()))
    assert not missing, f".ci/run does not run these README commands: {missing}"


def test_ci_installs_a_pinned_nox_itself():
    script = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert re.search(r'^NOX_VERSION="\d+(\.\d+)+"$', script, flags=re.MULTILINE)
    assert re.search(r"pip install .*\"nox==\$\{NOX_VERSION\}\"", script)
