"""tools/fetch_pyodide.py and tools/npm_vendor.py: pins are read, a wrong tarball is refused.

The download itself runs in ``nox -s docs`` (and in tests/test_derivation_checker.py); here the
checks that guard it must bite: a tarball whose sha512 differs from the pin, a package that
constraints.txt does not pin, a wheel still holding source.
"""

from __future__ import annotations

import io
import tarfile
import zipfile
from pathlib import Path

import fetch_pyodide
import npm_vendor
import pytest

ROOT = Path(__file__).resolve().parents[1]


def _tarball(path: Path, files: dict[str, bytes]) -> Path:
    with tarfile.open(path, "w:gz") as tar:
        for name, data in files.items():
            info = tarfile.TarInfo(f"package/{name}")
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return path


def test_a_tarball_that_is_not_the_pinned_one_is_refused(tmp_path: Path) -> None:
    fake = _tarball(tmp_path / "pyodide.tgz", {"pyodide.mjs": b"export const x = 1;"})
    with pytest.raises(SystemExit, match=r"does not match the pinned pyodide@314\.0\.8"):
        npm_vendor.install(fetch_pyodide.PYODIDE, tmp_path / "dest", fake)
    assert not (tmp_path / "dest" / "static" / "pyodide").exists()


def test_a_tarball_with_the_pinned_integrity_is_unpacked(tmp_path: Path) -> None:
    files = {name: name.encode() for name in fetch_pyodide.PYODIDE.keep} | {"extra.map": b"x"}
    tarball = _tarball(tmp_path / "p.tgz", files)
    package = npm_vendor.NpmPackage(
        name="pyodide",
        version="0",
        integrity=npm_vendor.integrity_of(tarball),
        keep=fetch_pyodide.PYODIDE.keep,
        folder="pyodide",
        entry="pyodide.mjs",
    )
    dest = tmp_path / "dest"
    assert not npm_vendor.is_current(package, dest)
    npm_vendor.install(package, dest, tarball)
    assert npm_vendor.is_current(package, dest)
    shipped = sorted(p.name for p in (dest / "static" / "pyodide").iterdir())
    assert shipped == sorted(fetch_pyodide.PYODIDE.keep)  # the source map is left out
    # A new pin makes the copy stale: the next run fetches again.
    repinned = npm_vendor.NpmPackage(**{**vars(package), "integrity": "sha512-other"})
    assert not npm_vendor.is_current(repinned, dest)


def test_the_command_line_fetches_once_and_again_with_force(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    tarball = _tarball(tmp_path / "p.tgz", {"pyodide.mjs": b"export {};"})
    package = npm_vendor.NpmPackage(
        name="pyodide",
        version="0",
        integrity=npm_vendor.integrity_of(tarball),
        keep=("pyodide.mjs",),
        folder="pyodide",
        entry="pyodide.mjs",
    )
    argv = ["--dest", str(tmp_path / "dest"), "--tarball", str(tarball)]
    for extra, said in [([], "verified"), ([], "already in"), (["--force"], "verified")]:
        npm_vendor.fetch_cli(package, tmp_path / "unused", "doc", [*argv, *extra])
        assert said in capsys.readouterr().out


def test_the_wheels_are_the_pinned_versions(tmp_path: Path) -> None:
    pins = fetch_pyodide.pinned()
    assert [p.split("==")[0] for p in pins] == list(fetch_pyodide.PYPI_WHEELS)
    constraints = (ROOT / "constraints.txt").read_text(encoding="utf-8").splitlines()
    assert set(pins) <= set(constraints)
    lonely = tmp_path / "constraints.txt"
    lonely.write_text("sympy==1.14.0\n", encoding="utf-8")
    with pytest.raises(SystemExit, match="pins no version of mpmath, lark"):
        fetch_pyodide.pinned(constraints=lonely)


def test_a_wheel_counts_as_compiled_only_without_source(tmp_path: Path) -> None:
    def wheel(name: str, entries: list[str]) -> Path:
        path = tmp_path / name
        with zipfile.ZipFile(path, "w") as z:
            for entry in entries:
                z.writestr(entry, b"")
        return path

    assert fetch_pyodide.is_compiled(wheel("a.whl", ["m/__init__.pyc", "m/g.lark"]))
    assert not fetch_pyodide.is_compiled(wheel("b.whl", ["m/__init__.py"]))
    assert not fetch_pyodide.is_compiled(wheel("c.whl", ["m/__init__.pyc", "m/x.py"]))
