"""Fetch Pyodide and the wheels the checker page runs, so it needs no network in the browser.

The page "Check your derivation" (``docs/check.md``) runs gradproof's reader and verifier in the
reader's browser on Pyodide. Everything it loads ships in the site's ``_static``:

- ``pyodide/``: the npm package ``pyodide@314.0.8`` (``npm pack``, or ``--tarball``), checked
  against the sha512 pinned below, only the files ``loadPyodide`` fetches;
- ``pyodide/wheels/``: the pure-Python wheels of sympy, mpmath and lark at the versions pinned
  in ``constraints.txt`` (``pip download``; Pyodide's own packages would come from a CDN),
  compiled to bytecode by that Pyodide in Node, their test suites left out
  (``tools/pyodide_compile.mjs``: importing SymPy from source took most of a cold start in the
  browser), and
  gradproof's own wheel, built from this tree on every run so the page checks with the code
  that is being built. NumPy is not among them: there is no offline NumPy for Pyodide, and the
  reader and verifier do not import it.

The files land in ``_build/pyodide/static``; the site's ``derivation_checker`` extension copies
them into the build of a page that has the checker, and refuses to build one when they are
missing or the gradproof wheel differs from the installed package. ``nox -s docs`` runs this
before the build (the build itself fetches nothing). Pyodide is downloaded once (a stamp
records its integrity); the PyPI wheels are downloaded and compiled once per pinned version.

Usage::

    python tools/fetch_pyodide.py                        # fetch what is missing, rebuild gradproof
    python tools/fetch_pyodide.py --tarball pyodide-314.0.8.tgz   # Pyodide without npm
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

from npm_vendor import NpmPackage, fetch_cli, static_dir

ROOT = Path(__file__).resolve().parent.parent
CONSTRAINTS = ROOT / "constraints.txt"
DEFAULT_DEST = ROOT / "_build" / "pyodide"

PYODIDE = NpmPackage(
    name="pyodide",
    version="314.0.8",
    # The registry's dist.integrity for pyodide@314.0.8 (sha512 of the .tgz).
    integrity=(
        "sha512-74Wq1kXOC+CCEzAfxuRAO701nAcCMLjf8NrwvWpu8S41dVMXwXmLQ05dYB+F4e46AdnGo0oq7YHSVUpHsoarLQ=="
    ),
    # What loadPyodide() fetches (the ES module, the runtime, the standard library and the lock
    # file it reads at start), and package.json for the version and licence (MPL-2.0). The
    # console pages, source maps and type declarations are left out.
    keep=(
        "pyodide.mjs",
        "pyodide.asm.mjs",
        "pyodide.asm.wasm",
        "python_stdlib.zip",
        "pyodide-lock.json",
        "package.json",
    ),
    folder="pyodide",
    entry="pyodide.mjs",
)
#: The Python version of that Pyodide: the wheels must install there.
PYODIDE_PYTHON = "3.14"
#: The distributions gradproof's reader and verifier import under Pyodide (pure Python).
PYPI_WHEELS = ("sympy", "mpmath", "lark")


def wheel_dir(dest: Path) -> Path:
    """Where the wheels go: ``_static/pyodide/wheels`` in the site."""
    return static_dir(dest) / PYODIDE.folder / "wheels"


def pinned(names: tuple[str, ...] = PYPI_WHEELS, constraints: Path = CONSTRAINTS) -> list[str]:
    """``name==version`` for each of `names`, from constraints.txt (every one must be pinned)."""
    pins = {}
    for line in constraints.read_text(encoding="utf-8").splitlines():
        match = re.fullmatch(r"([A-Za-z0-9_.-]+)==(\S+)", line.strip())
        if match:
            pins[match.group(1).lower()] = match.group(2)
    missing = [name for name in names if name not in pins]
    if missing:
        msg = f"{constraints} pins no version of {', '.join(missing)}: run `nox -s lock`"
        raise SystemExit(msg)
    return [f"{name}=={pins[name]}" for name in names]


def _wheel_name(requirement: str) -> str:
    name, version = requirement.split("==")
    return f"{name}-{version}-py3-none-any.whl"


def is_compiled(wheel: Path) -> bool:
    """Tell whether a wheel holds bytecode in place of its modules (see :func:`compile_wheels`)."""
    with zipfile.ZipFile(wheel) as z:
        names = z.namelist()
    return any(n.endswith(".pyc") for n in names) and not any(n.endswith(".py") for n in names)


def compile_wheels(dest: Path, source: Path, names: list[str]) -> None:
    """Bytecode for Pyodide's Python, made by that Pyodide in Node (tools/pyodide_compile.mjs)."""
    node = shutil.which("node")
    if node is None:
        msg = "node was not found on PATH: install Node.js (npm comes with it)"
        raise SystemExit(msg)
    script = Path(__file__).resolve().parent / "pyodide_compile.mjs"
    pyodide = static_dir(dest) / PYODIDE.folder
    subprocess.run(
        [node, str(script), str(pyodide), str(source), str(wheel_dir(dest)), *names], check=True
    )


def fetch_wheels(dest: Path) -> list[str]:
    """The pinned pure-Python wheels, downloaded and compiled when missing; no other version."""
    wanted = pinned()
    folder = wheel_dir(dest)
    folder.mkdir(parents=True, exist_ok=True)
    names = {_wheel_name(r): r for r in wanted}
    for old in folder.glob("*.whl"):
        if old.name not in names and not old.name.startswith("gradproof-"):
            old.unlink()
    missing = [
        n for n in sorted(names) if not (folder / n).is_file() or not is_compiled(folder / n)
    ]
    if missing:
        with tempfile.TemporaryDirectory(prefix="gradproof-wheels-") as tmp:
            subprocess.run(
                [
                    *(sys.executable, "-m", "pip", "download", "--quiet", "--no-deps"),
                    *("--only-binary=:all:", "--python-version", PYODIDE_PYTHON),
                    *("-d", tmp, *(names[n] for n in missing)),
                ],
                check=True,
            )
            for name in missing:
                if not (Path(tmp) / name).is_file():
                    msg = f"pip did not download {name}: is there a pure-Python wheel?"
                    raise SystemExit(msg)
            print(f"compiling {', '.join(missing)} for Pyodide's Python {PYODIDE_PYTHON}")
            compile_wheels(dest, Path(tmp), missing)
    return sorted(names)


def build_gradproof_wheel(dest: Path) -> Path:
    """Build gradproof's wheel from this tree (the pinned build backend) and put it in place."""
    folder = wheel_dir(dest)
    folder.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="gradproof-wheel-") as tmp:
        subprocess.run(
            [
                *(sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps"),
                *("-c", str(CONSTRAINTS), "--build-constraint", str(CONSTRAINTS)),
                *("-w", tmp, str(ROOT)),
            ],
            check=True,
        )
        (built,) = Path(tmp).glob("gradproof-*.whl")
        for old in folder.glob("gradproof-*.whl"):
            old.unlink()
        return Path(shutil.move(built, folder / built.name))


def main(argv: list[str] | None = None) -> int:
    args = fetch_cli(PYODIDE, DEFAULT_DEST, __doc__, argv)
    wheels = fetch_wheels(args.dest)
    built = build_gradproof_wheel(args.dest)
    print(f"wheels in {wheel_dir(args.dest)}: {', '.join([*wheels, built.name])}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
