"""Serving the JIRA twin where an unmodified third-party suite expects a real JIRA.

* :class:`ContextPath` puts the twin under a context path (``/jira``, as the Atlassian SDK's standalone
  JIRA the ``jira`` suite's CI uses), so ``http://localhost:2990/jira`` answers like that instance.
* :class:`HostProxy` is an HTTP proxy for the test process: ``CONNECT`` to a mapped host name (the suite's
  Cloud set-up hard-codes ``https://pycontribs.atlassian.net``) is answered with TLS under a CA made for
  the run and piped to the twin; every other destination is refused, so a test that needs the internet
  fails at once instead of reaching a real Atlassian host.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import ssl
import tempfile
import threading
from pathlib import Path
from typing import Any

from starlette.types import ASGIApp, Receive, Scope, Send

from sync_engine.serving import bind_socket

REFUSED = b"HTTP/1.1 403 Forbidden\r\nContent-Type: text/plain\r\nConnection: close\r\n\r\n" \
          b"refused by the suite runner: this host is not the JIRA twin and the run has no network\r\n"


class ContextPath:
    def __init__(self, app: ASGIApp, prefix: str) -> None:
        self.app = app
        self.prefix = prefix.rstrip("/")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not self.prefix:
            await self.app(scope, receive, send)
            return
        path = scope["path"]
        if path != self.prefix and not path.startswith(self.prefix + "/"):
            await send({"type": "http.response.start", "status": 404,
                        "headers": [(b"content-type", b"text/plain")]})
            await send({"type": "http.response.body", "body": b"Not under the context path " + self.prefix.encode()})
            return
        inner = dict(scope)
        inner["path"] = path[len(self.prefix):] or "/"
        inner["raw_path"] = inner["path"].encode()
        await self.app(inner, receive, send)


class HostProxy:
    """``routes`` maps a host name to the local port of the plain-HTTP twin standing in for it."""

    def __init__(self, routes: dict[str, int]) -> None:
        import trustme

        self.routes = routes
        self.dir = Path(tempfile.mkdtemp(prefix="jira-suite-ca-"))
        ca = trustme.CA()
        self.ca_file = self.dir / "ca.pem"
        ca.cert_pem.write_to_path(str(self.ca_file))
        self.tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        if routes:
            ca.issue_cert(*routes).configure_cert(self.tls)
        self.sock = bind_socket("127.0.0.1", 0)
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}"
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self.refused: list[str] = []

    async def _pipe(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while data := await reader.read(65536):
                writer.write(data)
                await writer.drain()
        except (ConnectionError, OSError, ssl.SSLError):
            pass
        finally:
            with contextlib.suppress(Exception):
                writer.close()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            request = await reader.readline()
            while (await reader.readline()).strip():
                pass
            method, target, *_ = [*request.decode("latin-1").split(), "", ""]
            host = target.rsplit(":", 1)[0] if method == "CONNECT" else ""
            if host not in self.routes:
                self.refused.append(f"{method} {target}")
                writer.write(REFUSED)
                await writer.drain()
                writer.close()
                return
            writer.write(b"HTTP/1.1 200 Connection established\r\n\r\n")
            await writer.drain()
            await writer.start_tls(self.tls)
            up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.routes[host])
            await asyncio.gather(self._pipe(reader, up_writer), self._pipe(up_reader, writer))
        except (ConnectionError, OSError, ssl.SSLError, ValueError):
            with contextlib.suppress(Exception):
                writer.close()

    def start(self) -> str:
        ready = threading.Event()

        async def main() -> None:
            self._loop = asyncio.get_running_loop()
            server = await asyncio.start_server(self._handle, sock=self.sock)
            ready.set()
            async with server:
                await server.serve_forever()

        def run() -> None:
            with contextlib.suppress(asyncio.CancelledError):
                asyncio.run(main())

        self._thread = threading.Thread(target=run, daemon=True, name="suite-proxy")
        self._thread.start()
        ready.wait(10)
        return self.url

    def stop(self) -> None:
        if self._loop is not None:
            loop = self._loop
            for task in asyncio.all_tasks(loop):
                loop.call_soon_threadsafe(task.cancel)
        if self._thread is not None:
            self._thread.join(5)


def port_free(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        try:
            s.bind((host, port))
        except OSError:
            return False
    return True


def env_for_proxy(proxy: HostProxy, extra: dict[str, Any]) -> dict[str, str]:
    """Proxy variables for ``requests``: loopback stays direct, everything else goes to ``proxy``."""
    return {"HTTP_PROXY": proxy.url, "HTTPS_PROXY": proxy.url, "http_proxy": proxy.url, "https_proxy": proxy.url,
            "NO_PROXY": "localhost,127.0.0.1", "no_proxy": "localhost,127.0.0.1",
            **{k: str(v) for k, v in extra.items()}}
