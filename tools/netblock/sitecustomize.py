"""Refuse every network connection that leaves the machine; loopback stays open.

``nox -s docs`` runs ``sphinx-build`` with this directory first on ``PYTHONPATH``, so Python
imports this file at startup in Sphinx *and* in every notebook kernel it starts (kernels inherit
the environment). ``socket.connect``/``connect_ex``/``sendto``, ``getaddrinfo`` and
``gethostbyname`` then raise for any address that is not loopback, so a page that needs the
network fails the build. Loopback stays open because the kernels talk to nbclient over ZMQ on
127.0.0.1. Only Python-level sockets are seen (libzmq's own or a subprocess such as ``curl``
bypass it); ``tests/test_offline_build.py`` also builds under ``unshare -n`` for that.

Run as a script (``python tools/netblock/sitecustomize.py``) it checks that a fresh interpreter
with the current environment has the blocker loaded: exit 0 if a lookup of an outside name is
refused by it, 1 otherwise. It shadows any other ``sitecustomize`` while on the path.
"""

import ipaddress
import socket
import sys

MARK = "gradproof netblock: network blocked"
_LOCAL_NAMES = {"localhost", "localhost.localdomain", "ip6-localhost"}


def _is_local(host):
    if host is None:
        return True  # a passive lookup for bind()
    if isinstance(host, bytes):
        host = host.decode()
    host = str(host).split("%")[0]
    if host in _LOCAL_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _guard(address):
    if isinstance(address, tuple) and not _is_local(address[0]):
        msg = f"{MARK}: {address[0]}"
        raise OSError(msg)


def _wrap(name):
    original = getattr(socket.socket, name)

    def method(self, *args):
        if self.family in (socket.AF_INET, socket.AF_INET6):
            _guard(args[-1])
        return original(self, *args)

    setattr(socket.socket, name, method)


def _install():
    for name in ("connect", "connect_ex", "sendto"):
        _wrap(name)
    lookup = socket.getaddrinfo

    def getaddrinfo(host, *args, **kwargs):
        if not _is_local(host):
            msg = f"{MARK}: {host}"
            raise socket.gaierror(socket.EAI_NONAME, msg)
        return lookup(host, *args, **kwargs)

    def gethostbyname(host):
        if not _is_local(host):
            msg = f"{MARK}: {host}"
            raise socket.gaierror(socket.EAI_NONAME, msg)
        return "127.0.0.1"

    socket.getaddrinfo = getaddrinfo
    socket.gethostbyname = gethostbyname


def _self_check():
    # Not installed here: the point is whether interpreter startup already did it.
    try:
        socket.getaddrinfo("gradproof-netblock.invalid", 443)
    except OSError as exc:
        if MARK in str(exc):
            print(f"{MARK} (sitecustomize loaded at startup)")
            return 0
    print("the network blocker is NOT active: put tools/netblock first on PYTHONPATH")
    return 1


if __name__ == "__main__":
    sys.exit(_self_check())
else:
    _install()
