"""Serving ASGI apps on uvicorn inside a process that owns its signals (the service, the sandbox)."""

from __future__ import annotations

import contextlib
import socket
from collections.abc import Iterator

import uvicorn


class EmbeddedServer(uvicorn.Server):
    """A uvicorn server that leaves signals to its owner: the owner decides what SIGTERM and SIGHUP mean,
    and several servers can share one process."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


def bind_socket(host: str, port: int) -> socket.socket:
    """A listening socket (port 0 = ephemeral, read it back from ``getsockname``).

    IPPROTO_TCP explicitly: asyncio only sets TCP_NODELAY on sockets created with it, and without that
    every loopback request waits ~40 ms for a delayed ACK.
    """
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(512)
    sock.set_inheritable(True)
    return sock
