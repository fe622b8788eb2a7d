"""Start each page's kernel by forking a process that has already imported the heavy modules.

Why: every executed page gets its own IPython kernel, a new Python process that imports
IPython, ipykernel, NumPy, SymPy, Matplotlib and gradproof before its first cell runs. On the
2-core machines this site is built on that cost about 1 s of CPU per page, paid again for every
page, and it made the full build five times the no-execution build (issue 9). Here one server
process imports those modules once and forks a child per kernel: each page still runs in a
process of its own that no other page has touched, but no longer pays for the imports.

A forked kernel must be the kernel a fresh process would have been. So the server imports
under the environment the kernels will get, and it refuses (the launcher then starts an
ordinary kernel) any request whose environment differs in anything but ``JPY_PARENT_PID``,
which only ``ipykernel.kernelapp`` reads at import time, and that module is imported in the
child, never preloaded. The working directory, ``sys.path[0]``, ``sys.argv``, the standard
streams and NumPy's legacy random state are set in the child as ``python -m
ipykernel_launcher`` would have them, and the environment is the launcher's plus whatever the
preloaded imports changed in it (as the same imports would in a fresh kernel). The tests
compare a forked kernel with an ordinary one from inside, figures included.

Three roles, one file. The launcher must start fast, so the module imports only the standard
library at the top.

``setup(app)``
    A Sphinx extension. When a build executes notebooks it writes a ``python3`` kernelspec
    whose command is this file's launcher into a private ``JUPYTER_PATH`` directory (it wins
    over the installed ``python3`` spec, so executed notebooks keep their ordinary kernel
    name) and starts the server as soon as the configuration is read; before the first page
    is read it waits until the server has imported everything; when the build ends it stops
    the server and logs how many kernels were forked, refused, or ended with an error (also
    written to ``kernel_forkserver.json`` beside the doctrees).
``python kernel_forkserver.py serve DIRECTORY PARENT_PID MODULE...``
    The server. It listens on ``DIRECTORY/forkserver.sock`` before importing, so launchers
    can connect at once and wait, and creates ``DIRECTORY/ready`` once it has imported; it
    exits when ``PARENT_PID`` (Sphinx) exits or on SIGTERM, writing its counts to
    ``DIRECTORY/stats.json``.
``python kernel_forkserver.py launch -f CONNECTION_FILE``
    What jupyter_client starts as the kernel process. It hands its working directory,
    environment, arguments and standard streams to the server and then stands in for the
    forked kernel: it forwards signals to it (interrupts, termination), exits with its exit
    status, and if it is killed the server kills the kernel. If no server answers or the
    server refuses, it replaces itself with ``python -m ipykernel_launcher`` and says why on
    stderr.

Linux only (``os.pidfd_open``); elsewhere the extension does nothing and kernels start as
usual. ``GRADPROOF_KERNEL_FORKSERVER=off`` turns it off (the benchmark does, to measure what
it saves).
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import selectors
import signal
import socket
import struct
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import subprocess

    from sphinx.application import Sphinx

#: Names the server's socket for launchers; set to ``off`` before a build to disable the server.
SOCKET_ENV = "GRADPROOF_KERNEL_FORKSERVER"
#: What a kernel imports as it starts, and what the pages import. Left out on purpose:
#: ``ipykernel.kernelapp`` (see the module doc) and ``matplotlib_inline.backend_inline``, which
#: hooks figures into the running IPython shell when it is imported: imported here, before any
#: shell exists, it would leave ``plt.show()`` and open figures without output.
PRELOAD = (
    "IPython",
    "IPython.core.application",
    "IPython.core.completerlib",
    "IPython.core.debugger",
    "IPython.core.shellapp",
    "IPython.extensions.storemagic",
    "ipykernel.control",
    "ipykernel.debugger",
    "ipykernel.heartbeat",
    "ipykernel.ipkernel",
    "ipykernel.parentpoller",
    "ipykernel.shellchannel",
    "ipykernel.zmqshell",
    "psutil",
    "sqlite3",
    "tornado.platform.asyncio",
    "numpy",
    "sympy",
    "mpmath",
    "matplotlib",
    "matplotlib.pyplot",
    "gradproof",
    "gradproof.check",
    "gradproof.derive",
    "gradproof.display",
    "gradproof.functions",
    "gradproof.gradients",
)
#: Set per kernel by jupyter_client; read at import only by ipykernel.kernelapp (not preloaded).
PER_KERNEL = frozenset({"JPY_PARENT_PID"})
#: ipykernel sets this before any cell runs; the server sets it before importing Matplotlib.
MPLBACKEND = "module://matplotlib_inline.backend_inline"
#: debugpy warns about frozen modules on import. In a kernel that import happens after
#: ipykernel has replaced sys.stderr, so the warning goes to IOPub before any cell and no page
#: shows it; here it would land in the build log once per build, so it is swallowed the same way.
_QUIET = frozenset({"ipykernel.debugger"})
_HEADER = struct.Struct("!I")
_FORWARDED = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGQUIT)


def _kernel_environment(env: dict[str, str]) -> dict[str, str]:
    """The environment a fresh kernel has once ipykernel has started, minus per-kernel keys."""
    out = {k: v for k, v in env.items() if k not in PER_KERNEL}
    out.setdefault("MPLBACKEND", MPLBACKEND)
    return out


# ---- launcher ------------------------------------------------------------------------------


def _plain_kernel(argv: list[str], why: str) -> None:
    print(f"kernel_forkserver: {why}; starting an ordinary kernel", file=sys.stderr, flush=True)
    os.execv(sys.executable, [sys.executable, "-m", "ipykernel_launcher", *argv])


def launch(argv: list[str]) -> int:
    """Have the server fork a kernel with ``argv``; return the kernel's exit status."""
    path = os.environ.get(SOCKET_ENV, "")
    conn = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        conn.connect(path)
    except OSError as err:
        conn.close()
        _plain_kernel(argv, f"no server at {path!r} ({err})")
    request = json.dumps({"argv": argv, "cwd": os.getcwd(), "env": dict(os.environ)}).encode()
    message = _HEADER.pack(len(request)) + request
    sent = socket.send_fds(conn, [message], [0, 1, 2])
    if sent < len(message):  # one sendmsg may take part of it (the fds go with the first part)
        conn.sendall(message[sent:])
    replies = conn.makefile("r", encoding="utf-8")
    first = json.loads(replies.readline() or '{"refused": "the server closed the connection"}')
    if "refused" in first:
        conn.close()
        _plain_kernel(argv, f"the server refused: {first['refused']}")
    pid = first["pid"]

    def forward(signum: int, frame: Any) -> None:
        del frame
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signum)

    for signum in _FORWARDED:
        signal.signal(signum, forward)
    last = replies.readline()
    if not last:  # the server died, and took the kernel with it
        return 1
    code = json.loads(last)["exit"]
    return code if code >= 0 else 128 - code  # killed by signal N: 128 + N, as a shell reports


# ---- server --------------------------------------------------------------------------------


def _receive(conn: socket.socket) -> tuple[dict[str, Any], list[int]]:
    data, fds, _flags, _addr = socket.recv_fds(conn, 1 << 16, 3)
    if len(data) < _HEADER.size or len(fds) != 3:
        for fd in fds:
            os.close(fd)
        msg = "malformed request"
        raise ValueError(msg)
    (size,) = _HEADER.unpack_from(data)
    body = bytearray(data[_HEADER.size :])
    while len(body) < size:
        chunk = conn.recv(size - len(body))
        if not chunk:
            for fd in fds:
                os.close(fd)
            msg = "truncated request"
            raise ValueError(msg)
        body += chunk
    return json.loads(body), fds


def _refusal(request: dict[str, Any], baseline: dict[str, str]) -> str | None:
    env = _kernel_environment(request["env"])
    differ = sorted(k for k in env.keys() | baseline.keys() if env.get(k) != baseline.get(k))
    if differ:
        return "the kernel's environment differs from the server's in " + ", ".join(differ)
    return None


def _become_kernel(
    request: dict[str, Any],
    fds: list[int],
    inherited: list[int],
    imported_env: dict[str, str | None],
) -> None:
    """In the forked child: take the launcher's streams, directory and environment, then run
    ``python -m ipykernel_launcher`` in this process. Never returns."""
    code = 1
    try:
        for fd in inherited:
            os.close(fd)
        for target, fd in enumerate(fds):
            os.dup2(fd, target)
            os.close(fd)
        # The streams the server had were its own; these are the launcher's (fds 0, 1, 2).
        sys.stdin = open(0, closefd=False)  # noqa: SIM115
        sys.stdout = open(1, "w", closefd=False, buffering=1)  # noqa: SIM115
        sys.stderr = open(2, "w", closefd=False, buffering=1)  # noqa: SIM115
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        os.chdir(request["cwd"])
        os.environ.clear()
        os.environ.update(request["env"])
        for name, value in imported_env.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        sys.path[0] = os.getcwd()  # as `python -m` puts it
        sys.argv = ["ipykernel_launcher", *request["argv"]]
        # NumPy's legacy global RandomState, if the server created it, is seeded from the OS
        # in a fresh process: so it is here, or every kernel would draw the same numbers.
        if "numpy.random" in sys.modules:
            sys.modules["numpy.random"].seed()
        import runpy  # noqa: PLC0415

        runpy.run_module("ipykernel_launcher", run_name="__main__", alter_sys=True)
        code = 0
    except SystemExit as stop:
        code = stop.code if isinstance(stop.code, int) else int(stop.code is not None)
    except BaseException:  # noqa: BLE001 (report anything, then leave without unwinding)
        import traceback  # noqa: PLC0415

        traceback.print_exc()
    finally:
        for stream in (sys.stdout, sys.stderr):
            with contextlib.suppress(OSError, ValueError):
                stream.flush()
        os._exit(code)


class _Stopped(BaseException):
    """Raised by the SIGTERM handler to leave the serve loop through its cleanup."""


def _on_sigterm(signum: int, frame: Any) -> None:
    del signum, frame
    raise _Stopped


def serve(directory: str, parent_pid: int, modules: list[str]) -> None:
    """Import ``modules``, then fork a kernel for every launcher that connects.

    The server ends when process ``parent_pid`` (the build) ends: named on the command line,
    not read from ``os.getppid()``, which after the parent's death names whoever adopted us.
    """
    import gc  # noqa: PLC0415
    import importlib  # noqa: PLC0415

    live: dict[int, tuple[socket.socket, int]] = {}  # pid -> (launcher connection, pidfd)
    # "failed": exit statuses of kernels that ended with an error (a kernel that cannot bind
    # its ports, say), so a build that lost a kernel says how.
    stats: dict[str, Any] = {"forked": 0, "refused": 0, "refusals": [], "failed": []}
    try:
        try:
            parent = os.pidfd_open(parent_pid)
        except ProcessLookupError:
            return
        listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        listener.bind(os.path.join(directory, "forkserver.sock"))
        listener.listen(64)
        # What ipykernel sets before any cell runs: Matplotlib, imported here, reads it at import.
        os.environ.setdefault("MPLBACKEND", MPLBACKEND)
        baseline = _kernel_environment(dict(os.environ))
        before = dict(os.environ)
        for name in modules:
            if name in _QUIET:
                with contextlib.redirect_stderr(io.StringIO()):
                    importlib.import_module(name)
            else:
                importlib.import_module(name)
        # Some imports change the environment (ipykernel.debugger sets PYDEVD_USE_FRAME_EVAL):
        # a fresh kernel would make the same changes when it imports them, so each child
        # applies them on top of its launcher's environment.
        imported_env = {k: v for k, v in os.environ.items() if before.get(k) != v}
        imported_env.update({k: None for k in before if k not in os.environ})
        # Imported state is never collected; frozen, the children share it instead of copying
        # it on their first collection.
        gc.collect()
        gc.freeze()
        Path(directory, "ready").touch()
        # Only now does SIGTERM stop the loop through the cleanup below. Before, it kills the
        # server outright (there is nothing to clean up yet), because an exception raised in
        # the middle of an import can be swallowed by a library's own try/except around it.
        signal.signal(signal.SIGTERM, _on_sigterm)

        selector = selectors.DefaultSelector()
        selector.register(listener, selectors.EVENT_READ, ("accept", 0))
        selector.register(parent, selectors.EVENT_READ, ("parent", 0))
        while True:
            for key, _events in selector.select():
                kind, pid = key.data
                if kind == "parent":
                    return
                if kind == "accept":
                    _accept(listener, selector, live, stats, baseline, imported_env, [parent])
                elif kind == "exited":
                    code = _reap(pid, selector, live)
                    if code:
                        stats["failed"].append(code)
                elif kind == "launcher" and not live[pid][0].recv(1):
                    # A launcher never writes after its request: readable means it is gone
                    # (killed by jupyter_client), so the kernel it stood for goes too.
                    selector.unregister(live[pid][0])
                    os.kill(pid, signal.SIGKILL)
    except _Stopped:
        pass
    finally:
        for child in live:
            os.kill(child, signal.SIGKILL)
        Path(directory, "stats.json").write_text(json.dumps(stats), encoding="utf-8")


def _accept(
    listener: socket.socket,
    selector: selectors.BaseSelector,
    live: dict[int, tuple[socket.socket, int]],
    stats: dict[str, Any],
    baseline: dict[str, str],
    imported_env: dict[str, str | None],
    own: list[int],
) -> None:
    """Serve one launcher: refuse it, or fork its kernel. ``baseline`` is the environment the
    server imported under, ``imported_env`` the changes its imports made to it, ``own`` the
    server's descriptors a child must not keep."""
    conn, _ = listener.accept()
    try:
        request, fds = _receive(conn)
    except (OSError, ValueError):
        conn.close()
        return
    refusal = _refusal(request, baseline)
    if refusal:
        for fd in fds:
            os.close(fd)
        stats["refused"] += 1
        stats["refusals"].append(refusal)
        conn.sendall(json.dumps({"refused": refusal}).encode() + b"\n")
        conn.close()
        return
    inherited = [listener.fileno(), selector.fileno(), conn.fileno(), *own]
    inherited += [fd for c, p in live.values() for fd in (c.fileno(), p)]
    child = os.fork()
    if child == 0:
        _become_kernel(request, fds, inherited, imported_env)
    for fd in fds:
        os.close(fd)
    stats["forked"] += 1
    pidfd = os.pidfd_open(child)
    live[child] = (conn, pidfd)
    selector.register(pidfd, selectors.EVENT_READ, ("exited", child))
    selector.register(conn, selectors.EVENT_READ, ("launcher", child))
    conn.sendall(json.dumps({"pid": child}).encode() + b"\n")


def _reap(
    pid: int, selector: selectors.BaseSelector, live: dict[int, tuple[socket.socket, int]]
) -> int:
    """Collect an ended kernel, tell its launcher, and return the kernel's exit status."""
    _, status = os.waitpid(pid, 0)
    code = os.waitstatus_to_exitcode(status)
    conn, pidfd = live.pop(pid)
    selector.unregister(pidfd)
    if conn in (key.fileobj for key in selector.get_map().values()):
        selector.unregister(conn)
    os.close(pidfd)
    with contextlib.suppress(OSError):  # the launcher may be gone already
        conn.sendall(json.dumps({"exit": code}).encode() + b"\n")
    conn.close()
    return code


# ---- control: start, stop, and the Sphinx extension ----------------------------------------


class ForkServer:
    """A running server with its ``python3`` kernelspec, and the environment that selects it.

    :meth:`start` writes the kernelspec, puts ``JUPYTER_PATH`` and the socket's name into
    ``os.environ`` (before the server starts: it must import under the environment the kernels
    will get) and starts the server; :meth:`stop` ends it, restores the environment and
    returns the server's counts (``forked``, ``refused``, ``refusals``, ``failed``), or ``{}``
    if it was stopped before it had imported everything.
    """

    def __init__(self, modules: tuple[str, ...] = PRELOAD) -> None:
        self.modules = modules
        self.process: subprocess.Popen[bytes] | None = None
        self.directory: Path | None = None
        self._saved: dict[str, str | None] = {}

    def start(self) -> None:
        import subprocess  # noqa: PLC0415
        import tempfile  # noqa: PLC0415
        import time  # noqa: PLC0415

        self.directory = Path(tempfile.mkdtemp(prefix="gradproof-kernels-"))
        spec_dir = self.directory / "kernels" / "python3"
        spec_dir.mkdir(parents=True)
        this = str(Path(__file__).resolve())
        spec = {
            "argv": [sys.executable, this, "launch", "-f", "{connection_file}"],
            "display_name": "Python 3 (ipykernel)",
            "language": "python",
            "interrupt_mode": "signal",
            "metadata": {"debugger": True},
        }
        (spec_dir / "kernel.json").write_text(json.dumps(spec), encoding="utf-8")
        previous = os.environ.get("JUPYTER_PATH")
        self._saved = {"JUPYTER_PATH": previous, SOCKET_ENV: os.environ.get(SOCKET_ENV)}
        os.environ["JUPYTER_PATH"] = os.pathsep.join(filter(None, [str(self.directory), previous]))
        os.environ[SOCKET_ENV] = str(self.directory / "forkserver.sock")
        command = [sys.executable, this, "serve", str(self.directory), str(os.getpid())]
        command += self.modules
        # An explicit env, as jupyter_client gives its kernels: without it the child would get
        # the C-level environment, which can hold more (GNU readline exports LINES/COLUMNS
        # there without touching os.environ), and the server would then refuse every kernel.
        self.process = subprocess.Popen(command, env=dict(os.environ))
        # The server listens before it imports; a kernel started before that would find no
        # socket and start the ordinary way, so wait for it (a few tens of milliseconds).
        sock = self.directory / "forkserver.sock"
        deadline = time.monotonic() + 30
        while not sock.exists():
            if self.process.poll() is not None or time.monotonic() > deadline:
                msg = f"the kernel forkserver did not start (exit status {self.process.poll()})"
                raise RuntimeError(msg)
            time.sleep(0.01)

    def wait_ready(self, timeout: float = 120) -> None:
        """Return once the server has imported its modules; raise if it died or took too long."""
        import time  # noqa: PLC0415

        if self.process is None or self.directory is None:
            return
        deadline = time.monotonic() + timeout
        while not (self.directory / "ready").exists():
            if self.process.poll() is not None or time.monotonic() > deadline:
                msg = (
                    "the kernel forkserver did not finish importing "
                    f"(exit status {self.process.poll()}; see its error above)"
                )
                raise RuntimeError(msg)
            time.sleep(0.01)

    def stop(self) -> dict[str, Any]:
        import shutil  # noqa: PLC0415
        import subprocess  # noqa: PLC0415

        if self.process is None or self.directory is None:
            return {}
        process, self.process = self.process, None
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        for name, value in self._saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        stats_file = self.directory / "stats.json"
        stats = json.loads(stats_file.read_text(encoding="utf-8")) if stats_file.is_file() else {}
        shutil.rmtree(self.directory, ignore_errors=True)
        self.directory = None
        return stats


def _start(app: Sphinx, config: Any) -> None:
    """Start a server as soon as the configuration is known, so it imports while Sphinx sets
    up its builder and environment."""
    wanted = config.nb_execution_mode != "off" and os.environ.get(SOCKET_ENV) != "off"
    if wanted and hasattr(os, "pidfd_open"):
        server = ForkServer()
        server.start()
        app.gradproof_forkserver = server  # type: ignore[attr-defined]


def _ready(app: Sphinx, env: Any, docnames: list[str]) -> None:
    """Before pages are read, wait until the server has imported everything.

    A kernel whose launcher had to wait for the imports would bind its ports late, long after
    jupyter_client chose them, which widens the window in which another process can take one
    of them (jupyter_client's known port race). A no-change rebuild reads nothing and waits for
    nothing.
    """
    del env
    server = getattr(app, "gradproof_forkserver", None)
    if server is not None and docnames:
        server.wait_ready()


def _stop(app: Sphinx, exception: BaseException | None) -> None:
    del exception
    # Kept with the build's state, so the benchmark and the tests can see what a build did; a
    # build that started no server leaves no counts (not an earlier build's).
    target = Path(app.doctreedir) / "kernel_forkserver.json"
    server = getattr(app, "gradproof_forkserver", None)
    if server is None:
        target.unlink(missing_ok=True)
        return
    from sphinx.util import logging  # noqa: PLC0415

    stats = server.stop()
    if not stats:  # stopped while still importing (nothing was read), so it forked nothing
        target.unlink(missing_ok=True)
        return
    logger = logging.getLogger(__name__)
    logger.info(
        "kernel forkserver: %d kernel(s) forked, %d refused", stats["forked"], stats["refused"]
    )
    for reason in stats["refusals"]:
        logger.info("kernel forkserver refused a kernel: %s", reason)
    if stats["failed"]:
        logger.info("kernel forkserver: kernels ended with exit status %s", stats["failed"])
    target.write_text(json.dumps(stats), encoding="utf-8")


def setup(app: Sphinx) -> dict[str, Any]:
    # Both in the main process, before the reading processes fork: they inherit the
    # environment that selects the server.
    app.connect("config-inited", _start)
    app.connect("env-before-read-docs", _ready)
    app.connect("build-finished", _stop)
    return {"parallel_read_safe": True, "parallel_write_safe": True}


if __name__ == "__main__":
    role, rest = (sys.argv[1], sys.argv[2:]) if len(sys.argv) > 1 else ("", [])
    if role == "launch":
        sys.exit(launch(rest))
    if role == "serve" and len(rest) >= 2:
        serve(rest[0], int(rest[1]), rest[2:])
        sys.exit(0)
    sys.exit(
        f"usage: {sys.argv[0]} launch -f CONNECTION_FILE | serve DIRECTORY PARENT_PID MODULE..."
    )
