"""The docs build needs no network: it succeeds with every non-loopback connection blocked.

Two blockers, each proven to bite before it is trusted:

``sitecustomize``
    ``tools/netblock/sitecustomize.py`` on ``PYTHONPATH`` (so Sphinx *and* the notebook kernels
    it starts load it) makes ``socket.connect``/``connect_ex``/``sendto``, ``getaddrinfo`` and
    ``gethostbyname`` raise for any address that is not loopback. Loopback stays open because
    the kernels talk to nbclient over ZMQ on 127.0.0.1. ``nox -s docs`` builds the real site
    under this same file every time (after its installs), so every build is the offline proof
    for the real pages; here a small site shows that the file bites, in Sphinx and in a kernel.
    It sees only Python-level sockets (libzmq or a subprocess such as ``curl`` bypass it), hence
    the second blocker.
``unshare``
    ``unshare -n``: a new network namespace whose only interface is ``lo`` (brought up so the
    kernels work). Needs root or user namespaces; skipped where ``unshare -n`` is refused (it
    works in CI, which runs as root).

The page built under the blockers imports gradproof, runs sympy and matplotlib, and tries a
connection itself, printing what happened, so the test sees that the kernel was blocked too.
"""

from __future__ import annotations

import ast
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from tiny_site import ROOT, sphinx_build, write_tree

# The very file `nox -s docs` puts on PYTHONPATH for its build: these tests prove that it bites.
NETBLOCK = ROOT / "tools" / "netblock"
SITECUSTOMIZE = NETBLOCK / "sitecustomize.py"


def _mark() -> str:
    # Read, not imported: importing it would cut this test process off the network.
    tree = ast.parse(SITECUSTOMIZE.read_text(encoding="utf-8"))
    for node in tree.body:
        if isinstance(node, ast.Assign) and [t.id for t in node.targets] == ["MARK"]:
            return ast.literal_eval(node.value)
    msg = f"no MARK in {SITECUSTOMIZE}"
    raise AssertionError(msg)


MARK = _mark()

# TEST-NET-1 (RFC 5737): never routed, so even an unblocked attempt reaches nobody.
PROBE = """\
import socket
try:
    socket.create_connection(("192.0.2.1", 80), timeout=2).close()
    print("OUTSIDE-CONNECTED")
except OSError as exc:
    print("OUTSIDE-FAILED", exc)
try:
    socket.getaddrinfo("pypi.invalid", 443)
    print("LOOKUP-RESOLVED")
except OSError as exc:
    print("LOOKUP-FAILED", exc)
server = socket.create_server(("127.0.0.1", 0))
client = socket.create_connection(server.getsockname(), timeout=2)
print("LOOPBACK-OK")
client.close()
server.close()
"""


def _unshare_available() -> bool:
    if shutil.which("unshare") is None or shutil.which("ip") is None:
        return False
    cmd = ["unshare", "-n", "true"]
    return subprocess.run(cmd, capture_output=True, check=False).returncode == 0


BLOCKERS = [
    "sitecustomize",
    pytest.param(
        "unshare",
        marks=pytest.mark.skipif(not _unshare_available(), reason="unshare -n not permitted"),
    ),
]


def blocked(kind: str) -> tuple[list[str], dict[str, str]]:
    """Command prefix and environment that run a command under blocker `kind`."""
    env = {**os.environ}
    if kind == "sitecustomize":
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(NETBLOCK), env.get("PYTHONPATH")]))
        return [], env
    # A fresh namespace has lo down; the kernels need it up.
    return ["unshare", "-n", "sh", "-c", 'ip link set lo up && exec "$@"', "sh"], env


OFFLINE_PAGE = f"""
# Offline page

```{{code-cell}} python
import matplotlib.pyplot as plt
import numpy as np
import sympy as sp

from gradproof import cross_entropy_grad

print("grad", np.round(cross_entropy_grad([1.0, 2.0, 3.0], [0.2, 0.3, 0.5]), 4))
zs = sp.symbols("z1:3")
print("sympy", sp.diff(sp.log(sum(sp.exp(v) for v in zs)), zs[0]))
fig, ax = plt.subplots()
ax.plot([0, 1], [1, 0])
plt.show()
```

```{{code-cell}} python
{textwrap.indent(PROBE, "")}
```
"""


@pytest.mark.parametrize("kind", BLOCKERS)
def test_blocker_bites_outside_and_keeps_loopback(kind: str) -> None:
    prefix, env = blocked(kind)
    run = subprocess.run(
        [*prefix, sys.executable, "-c", PROBE],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )
    assert run.returncode == 0, run.stderr
    assert "OUTSIDE-FAILED" in run.stdout
    assert "LOOKUP-FAILED" in run.stdout
    assert "LOOPBACK-OK" in run.stdout
    if kind == "sitecustomize":
        # Our refusal, not the machine's own lack of a route, stopped both attempts.
        assert run.stdout.count(MARK) == 2, run.stdout
    else:
        # (/sys/class/net would still show the host's interfaces: sysfs is not remounted.)
        listed = subprocess.run(
            [*prefix, "ip", "-o", "link", "show"], capture_output=True, text=True, check=True
        )
        names = [line.split(": ")[1] for line in listed.stdout.splitlines()]
        assert names == ["lo"], listed.stdout


def test_without_the_blocker_the_probe_is_not_refused() -> None:
    # Control: the refusal text comes from the blocker, not from the probe or the machine.
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    run = subprocess.run(
        [sys.executable, "-c", PROBE],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )
    assert MARK not in run.stdout
    assert "LOOPBACK-OK" in run.stdout


@pytest.mark.slow
@pytest.mark.usefixtures("mathjax_dir")
@pytest.mark.parametrize("kind", BLOCKERS)
def test_docs_build_succeeds_offline(kind: str, tmp_path: Path) -> None:
    src = write_tree(tmp_path / "site", {"page": OFFLINE_PAGE})
    prefix, env = blocked(kind)
    run = sphinx_build(src, tmp_path / "html", prefix=prefix, env=env)
    assert run.returncode == 0, run.stdout + run.stderr
    html = (tmp_path / "html" / "page.html").read_text(encoding="utf-8")
    assert "grad [-0.11" in html
    assert "LOOPBACK-OK" in html
    # The kernel itself was cut off, not just Sphinx.
    assert "OUTSIDE-FAILED" in html
    if kind == "sitecustomize":
        assert MARK in html


@pytest.mark.parametrize("on_path", [True, False])
def test_self_check_reports_whether_the_blocker_is_loaded(on_path: bool) -> None:
    # `nox -s docs` runs this self-check with the build's environment before sphinx-build.
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    if on_path:
        env = blocked("sitecustomize")[1]
    run = subprocess.run(
        [sys.executable, str(SITECUSTOMIZE)],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )
    assert run.returncode == (0 if on_path else 1), run.stdout + run.stderr
    assert (MARK in run.stdout) == on_path
