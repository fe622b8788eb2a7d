"""Developer sessions for gradproof: `nox -l` lists them.

Every session installs its PEP 735 dependency groups from pyproject.toml
together with the pinned versions in constraints.txt (`nox -s lock`
regenerates that file), so a fresh machine builds the same site.
"""

from __future__ import annotations

import os
import random
from pathlib import Path

import nox

nox.needs_version = ">=2025.2.9"  # nox.project.dependency_groups
nox.options.default_venv_backend = "venv"
nox.options.reuse_venv = "yes"
nox.options.sessions = ["lint", "tests", "doctest", "docs"]

ROOT = Path(__file__).resolve().parent
PYPROJECT = nox.project.load_toml(ROOT / "pyproject.toml")
CONSTRAINTS = ROOT / "constraints.txt"
BUILD = ROOT / "_build"
HTML = BUILD / "html"
# Its sitecustomize.py refuses every non-loopback connection (tests/test_offline_build.py).
NETBLOCK = ROOT / "tools" / "netblock"
LINT_PATHS = ("src", "tests", "conf", "tools", "benchmarks", "docs/conftest.py", "noxfile.py")
# The strict sphinx-build flags, shared with the build tests and the benchmark; pyproject.toml
# says why each is there.
SPHINX_STRICT = PYPROJECT["tool"]["gradproof"]["sphinx-build-flags"]


def install(session: nox.Session, *groups: str, project: bool = True) -> None:
    """Install dependency groups (and the package, editable) under the constraints."""
    constraints = ("-c", str(CONSTRAINTS))
    # First the pinned pip itself: a venv starts with whatever pip its Python
    # bundles, and older ones lack --build-constraint.
    session.install(*constraints, "pip")
    args = list(nox.project.dependency_groups(PYPROJECT, *groups))
    if project:
        args += ["-e", "."]
    # --build-constraint pins the build backend in pip's isolated build env too.
    session.install(*constraints, "--build-constraint", str(CONSTRAINTS), *args)


def fetch_mathjax(session: nox.Session) -> None:
    """Make sure the pinned MathJax is in _build/mathjax (downloads it once)."""
    session.run("python", str(ROOT / "tools" / "fetch_mathjax.py"))


def fetch_pyodide(session: nox.Session) -> None:
    """Pyodide and the checker page's wheels into _build/pyodide; gradproof's wheel rebuilt."""
    session.run("python", str(ROOT / "tools" / "fetch_pyodide.py"))


@nox.session
def lint(session: nox.Session) -> None:
    """Run ruff check and ruff format --check."""
    install(session, "lint", project=False)
    session.run("ruff", "check", *LINT_PATHS, *session.posargs)
    session.run("ruff", "format", "--check", *LINT_PATHS)


@nox.session
def tests(session: nox.Session) -> None:
    """Run the test suite (pytest tests/), including the slow Sphinx build tests."""
    # bench: scipy, which the benchmark tests compare against (a missing one would be a skip).
    install(session, "test", "docs", "bench")
    # tests/test_derivation_checker.py builds a page with the checker, which needs the runtime.
    fetch_pyodide(session)
    # The browser checkers' tests need Chromium and playwright: `nox -s browser` runs them.
    # pytest-xdist: one worker per core, each test file on one worker, so that a site or a page
    # run a module's tests share is made once. (loadgroup would group finer, but xdist 3.8 cannot
    # rename pytest 9's node ids, so its xdist_group marks group nothing.)
    session.run(
        "pytest",
        "--numprocesses=auto",
        "--dist=loadfile",
        "--ignore=tests/test_browser_check.py",
        "--ignore=tests/test_checker_browser.py",
        *session.posargs,
    )


@nox.session(default=False)
def properties(session: nox.Session) -> None:
    """Look for new counterexamples: the @given tests with fresh random seeds (`-- ROUNDS`, 10).

    `nox -s tests` draws the same examples every run (tests/conftest.py); this session draws
    new ones each round and logs the round's seed before it runs, so a failure is reproduced
    with `pytest -m hypothesis --hypothesis-profile=explore --hypothesis-seed=SEED`.
    """
    asked = session.posargs[0] if session.posargs else "10"
    if not asked.isdigit() or int(asked) < 1:
        session.error(f"ROUNDS must be a whole number of rounds, 1 or more; got {asked!r}")
    rounds = int(asked)
    # docs: pytest collects every test module, and some import Sphinx and matplotlib.
    install(session, "test", "docs")
    for r in range(rounds):
        seed = random.SystemRandom().randrange(2**32)
        session.log(f"round {r + 1} of {rounds}: --hypothesis-seed={seed}")
        session.run(
            "pytest",
            "-m",
            "hypothesis",
            "--hypothesis-profile=explore",
            f"--hypothesis-seed={seed}",
            "--numprocesses=auto",
            "--dist=loadfile",
        )


@nox.session
def doctest(session: nox.Session) -> None:
    """Run the {doctest} blocks of docs/ and the docstring examples of src/ (no HTML)."""
    install(session, "test")
    session.run(
        "pytest",
        "docs",
        "src/gradproof",
        "--doctest-modules",
        # The Sphinx extension imports Sphinx, which the test group does not install; it has
        # no examples, and tests/test_sphinxext.py builds pages with it.
        "--ignore=src/gradproof/sphinxext.py",
        *session.posargs,
    )


@nox.session
def docs(session: nox.Session) -> None:
    """Build the site strictly into _build/html, executing every page; check its assets and text."""
    install(session, "docs")
    fetch_mathjax(session)
    fetch_pyodide(session)
    # Installs and the MathJax and Pyodide fetches above may use the network; the build may
    # not. Sphinx and every kernel it starts inherit PYTHONPATH, so each build is its own
    # offline proof.
    offline = {
        "PYTHONPATH": os.pathsep.join(filter(None, [str(NETBLOCK), os.environ.get("PYTHONPATH")]))
    }
    session.run("python", str(NETBLOCK / "sitecustomize.py"), env=offline)  # the blocker is on
    session.run(
        "sphinx-build",
        "-c",
        "conf",
        "-b",
        "html",
        *SPHINX_STRICT,
        "docs",
        str(HTML),
        *session.posargs,
        env={"GRADPROOF_NB_EXECUTION_MODE": "force", **offline},
    )
    session.run("python", str(ROOT / "tools" / "check_offline.py"), str(HTML))
    # The sentences are checked like the equations: no raw $, TeX, reST role or ** in the text.
    session.run("python", str(ROOT / "tools" / "check_rendered_text.py"), str(HTML))
    session.log(f"open {HTML / 'index.html'}")


@nox.session(default=False)
def serve(session: nox.Session) -> None:
    """Live-reload the site on 127.0.0.1:8000 for writers (cache mode: not a check)."""
    install(session, "serve")
    fetch_mathjax(session)
    fetch_pyodide(session)
    session.run(
        "sphinx-autobuild",
        "-c",
        "conf",
        "docs",
        str(BUILD / "serve"),
        "--host",
        "127.0.0.1",
        "--port",
        "8000",
        "--watch",
        "src",
        *session.posargs,
        env={"GRADPROOF_NB_EXECUTION_MODE": "cache"},
    )


@nox.session(default=False)
def lock(session: nox.Session) -> None:
    """Resolve every dependency group and rewrite constraints.txt.

    The current pins hold, so a new dependency adds its own pins and changes no other;
    `nox -s lock -- --upgrade` resolves everything afresh.
    """
    groups = sorted(PYPROJECT["dependency-groups"])
    build_requires = PYPROJECT["build-system"]["requires"]
    fresh = "--upgrade" in session.posargs or not CONSTRAINTS.is_file()
    keep = () if fresh else ("-c", str(CONSTRAINTS))
    session.install("--upgrade", "pip", *keep)
    session.install(*keep, *nox.project.dependency_groups(PYPROJECT, *groups), *build_requires)
    session.install("-e", ".")
    frozen = session.run("pip", "freeze", "--exclude-editable", silent=True)
    pip_version = session.run(
        "python", "-c", "import pip; print(pip.__version__)", silent=True
    ).strip()
    lines = [line for line in frozen.splitlines() if line and not line.startswith("#")]
    # freeze leaves pip out; every session installs this pip first.
    pins = sorted([*lines, f"pip=={pip_version}"], key=str.lower)
    where = session.run(
        "python",
        "-c",
        "import platform; print(platform.python_version(), platform.system())",
        silent=True,
    ).strip()
    header = [
        "# Pinned versions for every nox session (`pip install -c constraints.txt ...`).",
        "# Generated by `nox -s lock` (a resolve of all dependency groups and the build",
        f"# backend) on CPython {where}; do not edit by hand.",
    ]
    CONSTRAINTS.write_text("\n".join([*header, *pins]) + "\n", encoding="utf-8")
    session.log(f"wrote {len(pins)} pins to {CONSTRAINTS}; review with git diff")


CHROMIUM = Path("/usr/bin/chromium")


def ensure_chromium(session: nox.Session) -> None:
    """Install the Debian package chromium when it is missing (needs root: apt-get)."""
    if CHROMIUM.exists():
        return
    if os.geteuid() != 0:
        session.error(
            f"{CHROMIUM} is missing; as root run `apt-get update && apt-get install -y chromium`"
        )
    session.run("apt-get", "update", external=True)
    session.run("apt-get", "install", "-y", "--no-install-recommends", "chromium", external=True)


@nox.session(default=False)
def browser(session: nox.Session) -> None:
    """Open every page of the built site in headless Chromium, offline (after `nox -s docs`)."""
    if not (HTML / "index.html").is_file():
        session.error(f"no built site in {HTML}: run `nox -s docs` first")
    # The project too: the checker's tests render a derivation with gradproof's own renderer.
    install(session, "browser", "test")
    ensure_chromium(session)
    # The checker's own tests first: a page with raw $$ math, a broken image or a CDN request
    # must fail it. They use the MathJax copy that `nox -s docs` fetched.
    fetch_mathjax(session)
    session.run(
        "pytest",
        "tests/test_browser_check.py",
        "tests/test_checker_browser.py",  # its browser test opens the built check.html
        "-p",
        "no:cacheprovider",
    )
    session.run(
        "python",
        str(ROOT / "tools" / "browser_check.py"),
        str(HTML),
        "--screenshots",
        str(BUILD / "screenshots"),
        *session.posargs,
    )


@nox.session(default=False)
def benchmark(session: nox.Session) -> None:
    """Measure accuracy, scaling, verify, build cost and page weight, and the checker page.

    Writes benchmarks/results.json and benchmarks/checker_page.json; the checker page is timed
    in headless Chromium on the built site (`nox -s docs` first, or pass `-- --skip checker`).
    """
    # browser: the page weights are measured in headless Chromium (tools/browser_check.py).
    install(session, "docs", "bench", "browser")
    ensure_chromium(session)
    fetch_mathjax(session)
    fetch_pyodide(session)
    # tools/ on the path, as pytest has it: the browser checks are scripts there, not a package.
    session.run(
        "python", "-m", "benchmarks.run", *session.posargs, env={"PYTHONPATH": str(ROOT / "tools")}
    )


@nox.session(default=False)
def mutants(session: nox.Session) -> None:
    """Put each known-wrong formula of the registry (tools/mutants) into a copy of the project;
    every one must fail its check. `-- --list`, `-- --area pages`, `-- --only NAME` narrow it."""
    # docs: the page mutants execute a page's cells as the build does (MyST-NB, a kernel).
    install(session, "test", "docs")
    session.run(
        "python", "-m", "mutants", *session.posargs, env={"PYTHONPATH": str(ROOT / "tools")}
    )
