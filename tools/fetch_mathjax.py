"""Fetch a pinned MathJax release so the site typesets math with no network.

Sphinx points MathJax at a CDN by default; the built site must work offline,
so we ship MathJax inside ``_static``. This script downloads the npm package
``mathjax@3.2.2`` (``npm pack``, or a tarball given with ``--tarball``),
checks its sha512 against the value pinned below, and copies the parts that
``tex-chtml.js`` loads at run time into ``_build/mathjax/static/mathjax``.
``conf/conf.py`` adds ``_build/mathjax/static`` to ``html_static_path``.

Running it again is cheap: when the stamp file records the pinned integrity
and ``tex-chtml.js`` is present, nothing is downloaded.

Usage::

    python tools/fetch_mathjax.py            # fetch if missing
    python tools/fetch_mathjax.py --force    # fetch again
    python tools/fetch_mathjax.py --tarball mathjax-3.2.2.tgz   # no npm, no network
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

VERSION = "3.2.2"
# From the registry's ``dist.integrity`` for mathjax@3.2.2 (sha512 of the .tgz).
INTEGRITY = "sha512-Bt+SSVU8eBG27zChVewOicYs7Xsdt40qm4+UpHyX7k0/O9NliPc+x77k1/FEsPsjKPZGJvtRZM1vO+geW0OhGw=="

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DEST = ROOT / "_build" / "mathjax"

# tex-chtml.js bundles the loader, TeX input and CommonHTML output; it loads
# TeX extensions, fonts, the menu's accessibility tools and speech on demand
# from these folders. The other combined bundles (SVG output, MathML input)
# are never requested, so we leave out their 15 MB.
KEEP = ("tex-chtml.js", "a11y", "input", "output", "sre", "ui", "LICENSE")


def static_dir(dest: Path) -> Path:
    """Return the folder that goes on ``html_static_path``."""
    return dest / "static"


def entry_point(dest: Path) -> Path:
    """Return the path of the MathJax script the pages load."""
    return static_dir(dest) / "mathjax" / "tex-chtml.js"


def _stamp(dest: Path) -> Path:
    return dest / "INTEGRITY"


def is_current(dest: Path) -> bool:
    """Tell whether ``dest`` holds the pinned MathJax release."""
    stamp = _stamp(dest)
    return (
        entry_point(dest).is_file()
        and stamp.is_file()
        and stamp.read_text(encoding="utf-8").strip() == INTEGRITY
    )


def integrity_of(tarball: Path) -> str:
    """Return the npm-style ``sha512-<base64>`` integrity string of a file."""
    digest = hashlib.sha512(tarball.read_bytes()).digest()
    return "sha512-" + base64.b64encode(digest).decode("ascii")


def _npm_pack(workdir: Path) -> Path:
    npm = shutil.which("npm")
    if npm is None:
        msg = (
            "npm was not found on PATH. Install Node.js (which brings npm) to fetch "
            f"mathjax@{VERSION}, or pass --tarball with a downloaded mathjax-{VERSION}.tgz."
        )
        raise SystemExit(msg)
    subprocess.run(
        [npm, "pack", f"mathjax@{VERSION}", "--pack-destination", str(workdir), "--silent"],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    found = sorted(workdir.glob("mathjax-*.tgz"))
    if len(found) != 1:
        msg = f"npm pack left {len(found)} tarballs in {workdir}, expected one"
        raise SystemExit(msg)
    return found[0]


def install(dest: Path, tarball: Path | None = None) -> None:
    """Verify a MathJax tarball and unpack the needed parts into ``dest``."""
    with tempfile.TemporaryDirectory(prefix="gradproof-mathjax-") as tmp:
        work = Path(tmp)
        archive = tarball if tarball is not None else _npm_pack(work)
        actual = integrity_of(archive)
        if actual != INTEGRITY:
            msg = (
                f"{archive} does not match the pinned mathjax@{VERSION}:\n"
                f"  expected {INTEGRITY}\n  got      {actual}"
            )
            raise SystemExit(msg)
        with tarfile.open(archive) as tar:
            tar.extractall(work / "unpacked", filter="data")
        package = work / "unpacked" / "package"
        staged = work / "mathjax"
        staged.mkdir()
        for name in KEEP:
            source = package / "es5" / name if name != "LICENSE" else package / name
            if source.is_dir():
                shutil.copytree(source, staged / name)
            else:
                shutil.copy2(source, staged / name)
        # Replace the old copy only once the new one is complete.
        shutil.rmtree(static_dir(dest), ignore_errors=True)
        static_dir(dest).mkdir(parents=True)
        shutil.move(staged, static_dir(dest) / "mathjax")
        _stamp(dest).write_text(INTEGRITY + "\n", encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dest", type=Path, default=DEFAULT_DEST, help="default: %(default)s")
    parser.add_argument("--tarball", type=Path, help="use this mathjax .tgz instead of npm")
    parser.add_argument("--force", action="store_true", help="fetch even if present")
    args = parser.parse_args(argv)
    if is_current(args.dest) and not args.force:
        print(f"mathjax@{VERSION} already in {static_dir(args.dest)}")
        return 0
    install(args.dest, args.tarball)
    print(f"mathjax@{VERSION} verified and installed in {static_dir(args.dest)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
