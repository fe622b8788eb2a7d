"""Two builds of one commit publish the same site.

A throw-away tree with seeded randomness, a sympy derivation and a Matplotlib figure is built
twice, into two different directories, with the real ``conf/`` and the flags of ``nox -s docs``;
every published file must match byte for byte (images by SHA-256), after one documented mask:

``_sources/*.ipynb`` cell ids
    The download button serves each page as its executed notebook; nbformat gives every cell a *random*
    8-hex id each time the page is read. They identify cells, not content.

Not compared: ``.doctrees/``, Sphinx's pickled build cache (absolute paths; never published).
Nothing else needed masking: the config has no date (no copyright year, no "last updated"),
MyST-NB shows no execution times, ``gradproof.display.png`` writes PNGs without a software tag,
and ``gradproof.display.svg`` writes SVGs without a date and with element ids from a fixed salt.
Matplotlib's own SVG output embeds a date and random ids, so a guard below keeps pages from
writing SVG any other way.

A second page draws from an unseeded generator: its page must differ between the builds, which
proves the comparison bites. A grep over ``docs/`` keeps the real pages on seeded generators.
"""

from __future__ import annotations

import ast
import hashlib
import re
from pathlib import Path

import pytest
from tiny_site import ROOT, sphinx_build, write_tree

# (files the mask applies to, pattern, replacement); each must match in the build, so a mask
# that has become unnecessary fails the test instead of hiding future differences.
MASKS = [
    ("_sources/*.ipynb", re.compile(r'"id": "[0-9a-f]{8}"'), '"id": "<cell id>"'),
]
NOT_PUBLISHED = (".doctrees",)

SEEDED_PAGE = """
# Seeded page

```{code-cell} python
import numpy as np

rng = np.random.default_rng(20240611)
z = rng.normal(size=4)
print("z", np.round(z, 12))
```

```{code-cell} python
from sympy import Derivative, Sum

from gradproof.derive import Derivation, J, Step, i, k, n, p, q, z as zs

Derivation(Derivative(J, zs[i]), [Step(Sum(p[k], (k, 1, n)) * q(i) - p[i], "chain rule")])
```

```{code-cell} python
import matplotlib.pyplot as plt

from gradproof.display import png, svg

fig, ax = plt.subplots()
ax.plot(z, "o-")
ax.set_title("seeded")
png(fig)
```

```{code-cell} python
fig, ax = plt.subplots()
ax.plot(z, "s--", label="seeded")
ax.legend()
svg(fig)
```

```{code-cell} python
fig, ax = plt.subplots()
ax.hist(rng.normal(size=200), bins=12)
plt.show()
```
"""

UNSEEDED_PAGE = """
# Unseeded page

```{code-cell} python
import numpy as np

print("draw", np.random.default_rng().integers(10**12))
```
"""


def published(html: Path) -> dict[str, bytes]:
    """Every published file under `html` (relative name -> bytes)."""
    return {
        p.relative_to(html).as_posix(): p.read_bytes()
        for p in sorted(html.rglob("*"))
        if p.is_file() and not p.relative_to(html).parts[0] in NOT_PUBLISHED
    }


def masked(files: dict[str, bytes], used: set[int]) -> dict[str, str]:
    """SHA-256 of each file after the masks; records in `used` which masks matched."""
    out = {}
    for name, data in files.items():
        content = data
        for number, (glob, pattern, replacement) in enumerate(MASKS):
            if Path(name).match(glob):
                text, count = pattern.subn(replacement, content.decode("utf-8"))
                content = text.encode("utf-8")
                if count:
                    used.add(number)
        out[name] = hashlib.sha256(content).hexdigest()
    return out


def differing(a: Path, b: Path) -> tuple[list[str], set[int]]:
    used: set[int] = set()
    ha, hb = masked(published(a), used), masked(published(b), used)
    names = sorted(set(ha) | set(hb))
    return [name for name in names if ha.get(name) != hb.get(name)], used


@pytest.fixture(scope="module")
def two_builds(tmp_path_factory: pytest.TempPathFactory, mathjax_dir: Path) -> list[Path]:
    assert mathjax_dir.is_dir()
    outs = []
    for label in ("first", "second"):
        root = tmp_path_factory.mktemp(label)
        src = write_tree(root / "site", {"seeded": SEEDED_PAGE, "unseeded": UNSEEDED_PAGE})
        run = sphinx_build(src, root / "html")
        assert run.returncode == 0, run.stdout + run.stderr
        outs.append(root / "html")
    return outs


@pytest.mark.slow
def test_two_builds_publish_the_same_files(two_builds: list[Path]) -> None:
    first, second = two_builds
    diff, used = differing(first, second)
    # Only the unseeded page may differ: its HTML and its executed notebook (the download),
    # and perhaps the search index, which holds its text.
    assert set(diff) <= {"unseeded.html", "_sources/unseeded.ipynb", "searchindex.js"}, diff
    assert used == set(range(len(MASKS))), "a mask matched nothing: drop it"
    seeded = (first / "seeded.html").read_text(encoding="utf-8")
    assert "z [" in seeded  # the seeded output really is on the page
    assert "<img" in seeded
    assert "\\frac" in seeded or "\\partial" in seeded  # the derivation rendered as math
    assert len(list((first / "_images").glob("*.png"))) == 2
    assert len(list((first / "_images").glob("*.svg"))) == 1


@pytest.mark.slow
def test_comparison_notices_unseeded_randomness(two_builds: list[Path]) -> None:
    diff, _ = differing(*two_builds)
    assert "unseeded.html" in diff


# ----------------------------------------------------------------------------- real pages

UNSEEDED_RNG = re.compile(r"default_rng\(\s*(None)?\s*\)")
# NumPy's legacy global generator (np.random.rand, .seed, .normal, ...) and stdlib random.
GLOBAL_RNG = re.compile(
    r"\b(np|numpy)\.random\.(?!default_rng\b)\w+\s*\(|^\s*(import|from) random\b"
)
SVG_OUTPUT = re.compile(
    r"format\s*=\s*['\"]svg|figure_formats|set_matplotlib_formats", re.IGNORECASE
)


def _pages() -> list[Path]:
    return sorted(p for p in (ROOT / "docs").rglob("*.md") if "_build" not in p.parts)


@pytest.mark.parametrize(
    ("line", "pattern"),
    [
        ("rng = np.random.default_rng()", UNSEEDED_RNG),
        ("rng = np.random.default_rng(None)", UNSEEDED_RNG),
        ("x = np.random.rand(3)", GLOBAL_RNG),
        ("np.random.seed(0)", GLOBAL_RNG),
        ("import random", GLOBAL_RNG),
        ("fig.savefig(buf, format='svg')", SVG_OUTPUT),
    ],
)
def test_patterns_catch_the_bad_lines(line: str, pattern: re.Pattern[str]) -> None:
    assert pattern.search(line)


@pytest.mark.parametrize("line", ["rng = np.random.default_rng(3)", "np.random.default_rng(s)"])
def test_patterns_allow_seeded_generators(line: str) -> None:
    assert not UNSEEDED_RNG.search(line)
    assert not GLOBAL_RNG.search(line)


def test_real_pages_use_seeded_generators_and_no_raw_svg() -> None:
    pages = _pages()
    assert len(pages) > 5
    found = [
        f"{page.relative_to(ROOT)}:{number}: {line.strip()}"
        for page in pages
        for number, line in enumerate(page.read_text(encoding="utf-8").splitlines(), 1)
        if UNSEEDED_RNG.search(line) or GLOBAL_RNG.search(line) or SVG_OUTPUT.search(line)
    ]
    assert not found, "\n".join(found)


# ----------------------------------------------------------------------------- pinned, bounded


def _sessions(tree: ast.Module) -> dict[str, ast.FunctionDef]:
    def is_session(dec: ast.expr) -> bool:
        target = dec.func if isinstance(dec, ast.Call) else dec
        return ast.unparse(target) == "nox.session"

    return {
        node.name: node
        for node in tree.body
        if isinstance(node, ast.FunctionDef) and any(map(is_session, node.decorator_list))
    }


def _calls(node: ast.AST, name: str) -> list[ast.Call]:
    return [c for c in ast.walk(node) if isinstance(c, ast.Call) and ast.unparse(c.func) == name]


def test_every_nox_session_installs_under_the_constraints() -> None:
    tree = ast.parse((ROOT / "noxfile.py").read_text(encoding="utf-8"))
    helper = next(n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == "install")
    pip_calls = _calls(helper, "session.install")
    assert pip_calls
    for call in pip_calls:
        assert ast.unparse(call.args[0]) == "*constraints", ast.unparse(call)
    assert any("--build-constraint" in ast.unparse(c) for c in pip_calls)
    sessions = _sessions(tree)
    assert {"tests", "docs", "doctest", "lint", "mutants"} <= set(sessions)
    for name, node in sessions.items():
        if name == "lock":  # the fresh resolve that writes the constraints
            continue
        assert _calls(node, "install"), f"session {name} does not use install()"
        assert not _calls(node, "session.install"), f"session {name} installs unpinned"
    pins = [
        line
        for line in (ROOT / "constraints.txt").read_text(encoding="utf-8").splitlines()
        if line and not line.startswith("#")
    ]
    assert pins
    assert all(re.fullmatch(r"[A-Za-z0-9_.\-\[\]]+==[^=\s]+", line) for line in pins), pins


def test_conf_bounds_cell_execution() -> None:
    tree = ast.parse((ROOT / "conf" / "conf.py").read_text(encoding="utf-8"))
    values = {
        t.id: node.value
        for node in tree.body
        if isinstance(node, ast.Assign | ast.AnnAssign)
        for t in (node.targets if isinstance(node, ast.Assign) else [node.target])
        if isinstance(t, ast.Name)
    }
    timeout = ast.literal_eval(values["nb_execution_timeout"])
    assert isinstance(timeout, int)
    assert 0 < timeout <= 600
    assert ast.literal_eval(values["nb_execution_raise_on_error"]) is True


SLEEPY_PAGE = """
# A cell that hangs

```{code-cell} python
import time

def wait_for_a_download():
    time.sleep(600)

wait_for_a_download()
```
"""


@pytest.mark.slow
@pytest.mark.usefixtures("mathjax_dir")
def test_timing_out_cell_fails_the_build_with_its_traceback(tmp_path: Path) -> None:
    src = write_tree(tmp_path / "site", {"page": SLEEPY_PAGE})
    # Without the cell timeout the 600 s sleep would outlast the 300 s subprocess limit.
    run = sphinx_build(src, tmp_path / "html", extra=["-D", "nb_execution_timeout=3"], timeout=300)
    log = run.stdout + run.stderr
    assert run.returncode != 0, log
    assert "wait_for_a_download" in log  # the traceback names the cell's frames
    assert "timed out" in log.lower() or "TimeoutError" in log, log
