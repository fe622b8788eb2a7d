"""The kernel forkserver of the docs build (conf/_ext/kernel_forkserver.py).

A forked kernel must behave as a fresh ``python -m ipykernel_launcher`` would: its own process,
the directory, environment and parent it was asked for, interruptible, gone when its launcher
is gone. A kernel whose environment differs from the server's is refused and started the
ordinary way. Each test starts its own server inside the test body: pytest changes
``PYTEST_CURRENT_TEST`` between setup and call, and the server refuses any kernel whose
environment differs from its own.
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import ModuleType, SimpleNamespace
from typing import Any

import pytest

pytest.importorskip("jupyter_client")
if not hasattr(os, "pidfd_open"):
    pytest.skip("the forkserver needs os.pidfd_open (Linux)", allow_module_level=True)

from jupyter_client.manager import KernelManager

ROOT = Path(__file__).resolve().parent.parent
# A short list keeps each server start under a second (the build preloads the full PRELOAD);
# numpy.random creates the legacy global RandomState at import, which each child must reseed.
MODULES = ("numpy", "numpy.random", "json")
PROBE = """
import json, os, signal, sys
numpy_preloaded = "numpy" in sys.modules
import matplotlib
print(json.dumps({
    "pid": os.getpid(),
    "ppid": os.getppid(),
    "cwd": os.getcwd(),
    "path": sys.path,
    "argv": sys.argv,
    "env": dict(os.environ),
    "mpl_backend": matplotlib.get_backend(),
    "sigint": repr(signal.getsignal(signal.SIGINT)),
    "streams": [type(s).__name__ for s in (sys.stdout, sys.stderr)],
    "names": sorted(k for k in globals() if not k.startswith("_")),
    "numpy_preloaded": numpy_preloaded,
    "rng": __import__("numpy").random.get_state()[1][:4].tolist(),
}))
"""
#: What may differ between a forked and an ordinary kernel: identity, and what selects the server.
VOLATILE_ENV = {"JPY_PARENT_PID", "JUPYTER_PATH", "GRADPROOF_KERNEL_FORKSERVER"}


def _load() -> ModuleType:
    path = ROOT / "conf" / "_ext" / "kernel_forkserver.py"
    spec = importlib.util.spec_from_file_location("kernel_forkserver", path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


forkserver = _load()


@contextmanager
def server(modules: tuple[str, ...] = MODULES) -> Iterator[Any]:
    """A running forkserver; yields it, stops it, and leaves its counts in ``.stats``."""
    fs = forkserver.ForkServer(modules)
    fs.start()
    fs.wait_ready()  # as the build does before it reads pages
    try:
        yield fs
    finally:
        fs.stats = fs.stop()


@contextmanager
def kernel(cwd: Path) -> Iterator[tuple[KernelManager, Any]]:
    km = KernelManager(kernel_name="python3")
    km.start_kernel(cwd=str(cwd))
    kc = km.client()
    kc.start_channels()
    try:
        kc.wait_for_ready(timeout=60)
        yield km, kc
    finally:
        kc.stop_channels()
        if km.is_alive():  # a test may have killed it already
            km.shutdown_kernel()  # graceful, as nbclient does: a forced one counts as failed
        else:
            km.cleanup_resources()


def run(kc: Any, code: str, timeout: float = 60) -> tuple[dict, str]:
    """Execute ``code``; return the reply content and what it printed."""
    printed: list[str] = []

    def hook(msg: dict) -> None:
        if msg["msg_type"] == "stream":
            printed.append(msg["content"]["text"])

    reply = kc.execute_interactive(code, timeout=timeout, output_hook=hook)
    return reply["content"], "".join(printed)


def probe(kc: Any) -> dict:
    content, printed = run(kc, PROBE)
    assert content["status"] == "ok", content
    return json.loads(printed)


def gone(pid: int, within: float = 10.0) -> bool:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        # A zombie still answers kill(pid, 0); its state letter in /proc says it has exited.
        stat = Path(f"/proc/{pid}/stat")
        if stat.is_file() and stat.read_text().rsplit(")", 1)[1].split()[0] == "Z":
            return True
        time.sleep(0.05)
    return False


FIGURES = """
import matplotlib.pyplot as plt
plt.plot([1, 2, 3])
plt.show()
fig, ax = plt.subplots()
ax.plot([3, 2, 1])
"""


def output_types(kc: Any, code: str) -> list[str]:
    """What a cell publishes, in order: stream, display_data with its MIME types, errors."""
    seen: list[str] = []

    def hook(msg: dict) -> None:
        kind = msg["msg_type"]
        if kind in {"stream", "display_data", "execute_result", "error"}:
            data = msg["content"].get("data", {})
            seen.append(f"{kind}:{','.join(sorted(data))}" if data else kind)

    kc.execute_interactive(code, timeout=60, output_hook=hook)
    return seen


def comparable(seen: dict) -> dict:
    out = {k: v for k, v in seen.items() if k not in {"pid", "ppid", "numpy_preloaded", "rng"}}
    out["env"] = {k: v for k, v in seen["env"].items() if k not in VOLATILE_ENV}
    out["argv"] = seen["argv"][:-1]  # the last is the kernel's own connection file
    return out


@pytest.mark.slow
def test_a_forked_kernel_looks_like_an_ordinary_one_from_inside(tmp_path: Path) -> None:
    with kernel(tmp_path) as (_, kc):  # the installed python3 spec: python -m ipykernel_launcher
        ordinary = probe(kc)
        ordinary_figures = output_types(kc, FIGURES)
    # The build's own list, so what is checked is what the docs build preloads.
    with server((*forkserver.PRELOAD, "numpy.random")) as fs:
        server_pid = fs.process.pid
        with kernel(tmp_path) as (_, kc):
            first = probe(kc)
            first_figures = output_types(kc, FIGURES)
        with kernel(tmp_path) as (_, kc):
            second = probe(kc)
    # plt.show() and a figure left open both reach the page as PNG, as in an ordinary kernel
    # (preloading Matplotlib's inline backend once made both vanish).
    assert ordinary_figures.count("display_data:image/png,text/plain") == 2, ordinary_figures
    assert first_figures == ordinary_figures
    assert fs.stats == {"forked": 2, "refused": 0, "refusals": [], "failed": []}
    assert not ordinary["numpy_preloaded"]
    for forked in (first, second):
        assert forked["numpy_preloaded"], "the kernel did not come from the warm process"
        assert forked["ppid"] == server_pid  # a child of the server, not of this process
        assert forked["env"]["JPY_PARENT_PID"] == str(os.getpid())
        assert comparable(forked) == comparable(ordinary)
    assert first["pid"] != second["pid"]
    assert first["rng"] != second["rng"], "forked kernels share NumPy's legacy random state"


@pytest.mark.slow
def test_a_kernel_with_another_environment_is_refused_and_started_plainly(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with server() as fs:
        # Set after the server imported: a forked kernel would not see what a fresh one sees.
        monkeypatch.setenv("GRADPROOF_TEST_ONLY_VARIABLE", "1")
        with kernel(tmp_path) as (km, kc):
            seen = probe(kc)
            launcher = km.provisioner.process.pid
    assert fs.stats["forked"] == 0
    assert fs.stats["refused"] == 1
    assert "GRADPROOF_TEST_ONLY_VARIABLE" in fs.stats["refusals"][0]
    assert not seen["numpy_preloaded"]
    assert seen["pid"] == launcher  # the launcher replaced itself with an ordinary kernel
    assert seen["ppid"] == os.getpid()


@pytest.mark.slow
def test_without_a_server_the_launcher_starts_an_ordinary_kernel(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fs = forkserver.ForkServer(MODULES)
    fs.start()
    fs.stop()
    # Keep the kernelspec, lose the server: point the launcher at a socket nobody listens on.
    spec = tmp_path / "jupyter" / "kernels" / "python3"
    spec.mkdir(parents=True)
    this = str(ROOT / "conf" / "_ext" / "kernel_forkserver.py")
    (spec / "kernel.json").write_text(
        json.dumps({"argv": [sys.executable, this, "launch", "-f", "{connection_file}"]}),
        encoding="utf-8",
    )
    monkeypatch.setenv("JUPYTER_PATH", str(tmp_path / "jupyter"))
    monkeypatch.setenv(forkserver.SOCKET_ENV, str(tmp_path / "nobody.sock"))
    with kernel(tmp_path) as (_, kc):
        content, printed = run(kc, "print(6 * 7)")
    assert content["status"] == "ok"
    assert printed.strip() == "42"


@pytest.mark.slow
def test_an_interrupt_reaches_the_forked_kernel(tmp_path: Path) -> None:
    with server(), kernel(tmp_path) as (km, kc):
        msg_id = kc.execute("import time; time.sleep(60)")
        time.sleep(1.0)
        km.interrupt_kernel()
        reply = kc.get_shell_msg(timeout=20)
        assert reply["parent_header"]["msg_id"] == msg_id
        assert reply["content"]["status"] == "error", reply["content"]
        assert reply["content"]["ename"] == "KeyboardInterrupt", reply["content"]
        _, printed = run(kc, "print('still here')")  # the kernel survived it
        assert printed.strip() == "still here", printed


@pytest.mark.slow
def test_killing_the_launcher_kills_the_kernel(tmp_path: Path) -> None:
    with server() as fs, kernel(tmp_path) as (km, kc):
        pid = probe(kc)["pid"]
        km.provisioner.process.kill()  # what jupyter_client does when a kernel will not stop
        assert gone(pid), f"kernel {pid} outlived its launcher"
    assert fs.stats["failed"] == [-9]  # recorded: killed by SIGKILL


@pytest.mark.slow
def test_the_server_exits_with_its_parent(tmp_path: Path) -> None:
    # An intermediate process starts a server and exits without stopping it.
    code = f"""
import sys
sys.path.insert(0, {str(ROOT / "conf" / "_ext")!r})
import kernel_forkserver
fs = kernel_forkserver.ForkServer(("json",))
fs.start()
print(fs.process.pid, flush=True)
"""
    # A file, not a pipe: the server inherits the intermediate's stdout and keeps it open.
    out = tmp_path / "pid.txt"
    with out.open("w") as sink:
        subprocess.run([sys.executable, "-c", code], stdout=sink, timeout=60, check=True)
    assert gone(int(out.read_text().split()[0]), within=30)


@pytest.mark.parametrize(
    ("mode", "switch"), [("off", None), ("force", "off")], ids=["execution-off", "switched-off"]
)
def test_no_server_when_nothing_executes_or_it_is_switched_off(
    monkeypatch: pytest.MonkeyPatch, mode: str, switch: str | None
) -> None:
    if switch is not None:
        monkeypatch.setenv(forkserver.SOCKET_ENV, switch)
    app = SimpleNamespace()
    forkserver._start(app, SimpleNamespace(nb_execution_mode=mode))
    assert not hasattr(app, "gradproof_forkserver")


@pytest.mark.slow
def test_a_server_that_cannot_import_stops_the_build_with_a_reason() -> None:
    fs = forkserver.ForkServer(("gradproof_no_such_module",))
    fs.start()
    try:
        with pytest.raises(RuntimeError, match="did not finish importing"):
            fs.wait_ready(timeout=60)
    finally:
        fs.stop()


@pytest.mark.slow
def test_stopping_a_server_that_is_still_importing_is_prompt(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A no-change rebuild stops the server while it imports. Libraries wrap imports in
    # try/except, which once swallowed the stop signal and left the build waiting a minute.
    (tmp_path / "slow_and_forgiving.py").write_text(
        "import time\ntry:\n    time.sleep(20)\nexcept Exception:\n    pass\n", encoding="utf-8"
    )
    monkeypatch.setenv("PYTHONPATH", str(tmp_path))
    fs = forkserver.ForkServer(("slow_and_forgiving",))
    fs.start()
    began = time.monotonic()
    fs.stop()
    assert time.monotonic() - began < 10


def test_environment_guard_ignores_only_the_per_kernel_parent_pid() -> None:
    base = {"PATH": "/bin", "MPLBACKEND": forkserver.MPLBACKEND}
    same = {"PATH": "/bin", "JPY_PARENT_PID": "123"}  # MPLBACKEND: ipykernel sets it anyway
    assert forkserver._refusal({"env": same}, base) is None
    other = {"PATH": "/usr/bin", "JPY_PARENT_PID": "123"}
    assert "PATH" in forkserver._refusal({"env": other}, base)
    extra = {**same, "OPENBLAS_NUM_THREADS": "1"}
    assert "OPENBLAS_NUM_THREADS" in forkserver._refusal({"env": extra}, base)


@pytest.mark.parametrize("server_stats", [None, {}], ids=["no-server", "stopped-while-importing"])
def test_a_build_that_forked_nothing_leaves_no_earlier_counts(
    tmp_path: Path, server_stats: dict | None
) -> None:
    # The benchmark reads these counts: a no-change rebuild must not show the previous build's.
    stale = tmp_path / "kernel_forkserver.json"
    stale.write_text(json.dumps({"forked": 11}), encoding="utf-8")
    app = SimpleNamespace(doctreedir=str(tmp_path))
    if server_stats is not None:
        app.gradproof_forkserver = SimpleNamespace(stop=lambda: server_stats)
    forkserver._stop(app, None)
    assert not stale.exists()
