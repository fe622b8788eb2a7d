"""Vendor a pinned npm package into ``_build``: download, check its sha512, copy the parts used.

The site ships its JavaScript (MathJax on every page, Pyodide on the checker page) instead of
loading it from a CDN. ``tools/fetch_mathjax.py`` and ``tools/fetch_pyodide.py`` describe their
package with an :class:`NpmPackage` and call :func:`install`: ``npm pack`` fetches the tarball
(or ``--tarball`` names a downloaded one), its npm-style integrity must equal the pinned one, and
only the listed files are copied into ``dest/static/<folder>``. A stamp file records the
integrity, so a second run with the same pin downloads nothing (:func:`is_current`).
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import shutil
import subprocess
import tarfile
import tempfile
from dataclasses import dataclass
from pathlib import Path

__all__ = ["NpmPackage", "fetch_cli", "install", "integrity_of", "is_current", "static_dir"]


@dataclass(frozen=True)
class NpmPackage:
    """A pinned npm package and the parts of it the site serves.

    ``keep`` lists paths inside the tarball's ``package/`` folder; each is copied, under its last
    path component, into ``static/<folder>``. ``entry`` is the file that must exist there for
    the copy to count as installed.
    """

    name: str
    version: str
    integrity: str  # the registry's dist.integrity: sha512 of the .tgz, base64
    keep: tuple[str, ...]
    folder: str
    entry: str

    @property
    def spec(self) -> str:
        return f"{self.name}@{self.version}"


def static_dir(dest: Path) -> Path:
    """The folder whose contents Sphinx serves from ``_static``."""
    return dest / "static"


def _stamp(dest: Path) -> Path:
    return dest / "INTEGRITY"


def is_current(package: NpmPackage, dest: Path) -> bool:
    """Tell whether ``dest`` holds the pinned release of `package`."""
    stamp = _stamp(dest)
    return (
        (static_dir(dest) / package.folder / package.entry).is_file()
        and stamp.is_file()
        and stamp.read_text(encoding="utf-8").strip() == package.integrity
    )


def integrity_of(tarball: Path) -> str:
    """Return the npm-style ``sha512-<base64>`` integrity string of a file."""
    digest = hashlib.sha512(tarball.read_bytes()).digest()
    return "sha512-" + base64.b64encode(digest).decode("ascii")


def _npm_pack(package: NpmPackage, workdir: Path) -> Path:
    npm = shutil.which("npm")
    if npm is None:
        msg = (
            "npm was not found on PATH. Install Node.js (which brings npm) to fetch "
            f"{package.spec}, or pass --tarball with a downloaded "
            f"{package.name}-{package.version}.tgz."
        )
        raise SystemExit(msg)
    subprocess.run(
        [npm, "pack", package.spec, "--pack-destination", str(workdir), "--silent"],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    found = sorted(workdir.glob(f"{package.name}-*.tgz"))
    if len(found) != 1:
        msg = f"npm pack left {len(found)} tarballs in {workdir}, expected one"
        raise SystemExit(msg)
    return found[0]


def install(package: NpmPackage, dest: Path, tarball: Path | None = None) -> None:
    """Verify a tarball of `package` (``npm pack`` when none is given); unpack the kept parts."""
    with tempfile.TemporaryDirectory(prefix=f"gradproof-{package.name}-") as tmp:
        work = Path(tmp)
        archive = tarball if tarball is not None else _npm_pack(package, work)
        actual = integrity_of(archive)
        if actual != package.integrity:
            msg = (
                f"{archive} does not match the pinned {package.spec}:\n"
                f"  expected {package.integrity}\n  got      {actual}"
            )
            raise SystemExit(msg)
        with tarfile.open(archive) as tar:
            tar.extractall(work / "unpacked", filter="data")
        unpacked = work / "unpacked" / "package"
        staged = work / package.folder
        staged.mkdir()
        for name in package.keep:
            source = unpacked / name
            target = staged / Path(name).name
            if source.is_dir():
                shutil.copytree(source, target)
            else:
                shutil.copy2(source, target)
        # Replace the old copy only once the new one is complete.
        shutil.rmtree(static_dir(dest) / package.folder, ignore_errors=True)
        static_dir(dest).mkdir(parents=True, exist_ok=True)
        shutil.move(staged, static_dir(dest) / package.folder)
        _stamp(dest).write_text(package.integrity + "\n", encoding="utf-8")


def fetch_cli(
    package: NpmPackage, default_dest: Path, doc: str, argv: list[str] | None = None
) -> argparse.Namespace:
    """The fetch tools' command line: ``--dest``, ``--tarball``, ``--force``; fetch if needed.

    Returns the parsed arguments, for a tool that does more after the fetch.
    """
    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    parser.add_argument("--dest", type=Path, default=default_dest, help="default: %(default)s")
    parser.add_argument("--tarball", type=Path, help=f"use this {package.name} .tgz, not npm")
    parser.add_argument("--force", action="store_true", help="fetch even if present")
    args = parser.parse_args(argv)
    if is_current(package, args.dest) and not args.force:
        print(f"{package.spec} already in {static_dir(args.dest)}")
    else:
        install(package, args.dest, args.tarball)
        print(f"{package.spec} verified and installed in {static_dir(args.dest)}")
    return args
