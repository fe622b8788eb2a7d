"""Fetch a pinned MathJax release so the site typesets math with no network.

Sphinx points MathJax at a CDN by default; the built site must work offline,
so we ship MathJax inside ``_static``. This script downloads the npm package
``mathjax@3.2.2`` (``npm pack``, or a tarball given with ``--tarball``),
checks its sha512 against the value pinned below, and copies the parts that
``tex-chtml.js`` loads at run time into ``_build/mathjax/static/mathjax`` (with the
machinery of ``tools/npm_vendor.py``, which ``tools/fetch_pyodide.py`` shares).
``conf/conf.py`` adds ``_build/mathjax/static`` to ``html_static_path``.

Running it again is cheap: when the stamp file records the pinned integrity
and ``tex-chtml.js`` is present, nothing is downloaded.

Usage::

    python tools/fetch_mathjax.py            # fetch if missing
    python tools/fetch_mathjax.py --force    # fetch again
    python tools/fetch_mathjax.py --tarball mathjax-3.2.2.tgz   # no npm, no network
"""

from __future__ import annotations

import sys
from pathlib import Path

from npm_vendor import NpmPackage, fetch_cli, static_dir
from npm_vendor import install as _install
from npm_vendor import is_current as _is_current

VERSION = "3.2.2"
# From the registry's ``dist.integrity`` for mathjax@3.2.2 (sha512 of the .tgz).
INTEGRITY = "sha512-Bt+SSVU8eBG27zChVewOicYs7Xsdt40qm4+UpHyX7k0/O9NliPc+x77k1/FEsPsjKPZGJvtRZM1vO+geW0OhGw=="

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DEST = ROOT / "_build" / "mathjax"

# tex-chtml.js bundles the loader, TeX input and CommonHTML output; it loads
# TeX extensions, fonts, the menu's accessibility tools and speech on demand
# from these folders. The other combined bundles (SVG output, MathML input)
# are never requested, so we leave out their 15 MB.
MATHJAX = NpmPackage(
    name="mathjax",
    version=VERSION,
    integrity=INTEGRITY,
    keep=(
        *(f"es5/{name}" for name in ("tex-chtml.js", "a11y", "input", "output", "sre", "ui")),
        "LICENSE",
    ),
    folder="mathjax",
    entry="tex-chtml.js",
)


def entry_point(dest: Path) -> Path:
    """Return the path of the MathJax script the pages load."""
    return static_dir(dest) / MATHJAX.folder / MATHJAX.entry


def is_current(dest: Path) -> bool:
    """Tell whether ``dest`` holds the pinned MathJax release."""
    return _is_current(MATHJAX, dest)


def install(dest: Path, tarball: Path | None = None) -> None:
    """Verify a MathJax tarball and unpack the needed parts into ``dest``."""
    _install(MATHJAX, dest, tarball)


def main(argv: list[str] | None = None) -> int:
    fetch_cli(MATHJAX, DEFAULT_DEST, __doc__, argv)
    return 0


if __name__ == "__main__":
    sys.exit(main())
