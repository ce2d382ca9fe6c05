"""Runs both twins on uvicorn, on chosen or ephemeral ports, optionally over TLS.

Used by ``b24sync sandbox`` (foreground, prints the JSON line), by tests and the demo (in a
background thread via :meth:`Sandbox.start_in_thread`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
import socket
import tempfile
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import uvicorn

from sync_engine.sandbox.common.twin import Twin, TwinSettings
from sync_engine.serving import EmbeddedServer, bind_socket


@dataclass
class SandboxOptions:
    host: str = "127.0.0.1"
    jira_port: int = 0
    bitrix_port: int = 0
    jira_flavour: str = "server"
    seed: str = "demo"
    deals: int = 0
    issues: int = 0
    company_size: int = 0
    limits: bool = True
    tls: bool = False
    state_dir: Path | None = None
    admin_token: str = field(default_factory=lambda: secrets.token_urlsafe(24))

    def validate(self) -> None:
        if self.jira_flavour not in ("server", "cloud"):
            raise ValueError(f"--jira-flavour must be 'server' or 'cloud', not {self.jira_flavour!r}")
        if self.seed not in ("demo", "empty"):
            raise ValueError(f"--seed must be 'demo' or 'empty', not {self.seed!r}")
        for name in ("deals", "issues", "company_size"):
            if getattr(self, name) < 0:
                raise ValueError(f"--{name.replace('_', '-')} must be >= 0")
        for name in ("jira_port", "bitrix_port"):
            if not 0 <= getattr(self, name) <= 65535:
                raise ValueError(f"--{name.replace('_', '-')} must be a port number 0..65535")


def build_twins(options: SandboxOptions) -> tuple[Twin, Twin]:
    from sync_engine.sandbox.bitrix24.app import create_twin as create_bitrix
    from sync_engine.sandbox.jira.app import create_twin as create_jira

    state = options.state_dir
    jira = create_jira(
        TwinSettings(
            admin_token=options.admin_token,
            seed=options.seed,
            size=options.issues,
            limits=options.limits,
            flavour=options.jira_flavour,
            state_path=state / "jira.sqlite" if state else None,
        )
    )
    bitrix = create_bitrix(
        TwinSettings(
            admin_token=options.admin_token,
            seed=options.seed,
            size=options.deals,
            company_size=options.company_size,
            limits=options.limits,
            state_path=state / "bitrix24.sqlite" if state else None,
        )
    )
    return jira, bitrix


class _Tls:
    """A CA made for this run and a server certificate for localhost/127.0.0.1 signed by it."""

    def __init__(self, host: str) -> None:
        import trustme

        self.dir = Path(tempfile.mkdtemp(prefix="b24sandbox-tls-"))
        ca = trustme.CA()
        names = sorted({host, "127.0.0.1", "localhost", "::1"})
        cert = ca.issue_cert(*names)
        self.ca_file = self.dir / "ca.pem"
        self.cert_file = self.dir / "server.pem"
        ca.cert_pem.write_to_path(str(self.ca_file))
        cert.private_key_and_cert_chain_pem.write_to_path(str(self.cert_file))


class Sandbox:
    def __init__(self, options: SandboxOptions) -> None:
        options.validate()
        self.options = options
        self.jira, self.bitrix = build_twins(options)
        self._servers: list[uvicorn.Server] = []
        self._sockets: list[socket.socket] = []
        self._tls: _Tls | None = _Tls(options.host) if options.tls else None
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self.info: dict[str, Any] = {}

    # -- URLs -------------------------------------------------------------------------------
    def _url(self, sock: socket.socket) -> str:
        host = self.options.host
        port = sock.getsockname()[1]
        shown = f"[{host}]" if ":" in host else host
        return f"{'https' if self._tls else 'http'}://{shown}:{port}"

    # -- lifecycle ------------------------------------------------------------------------------
    async def serve(self, ready: threading.Event | None = None) -> None:
        """Serve until :meth:`request_stop`; fills :attr:`info` once both twins listen."""
        self._loop = asyncio.get_running_loop()
        opts = self.options
        pairs = ((self.jira, opts.jira_port), (self.bitrix, opts.bitrix_port))
        tasks = []
        for twin, port in pairs:
            sock = bind_socket(opts.host, port)
            self._sockets.append(sock)
            twin.set_base_url(self._url(sock))
            await twin.startup()
            config = uvicorn.Config(
                twin.app,
                log_level="warning",
                access_log=False,
                lifespan="off",
                timeout_keep_alive=30,
                ssl_certfile=str(self._tls.cert_file) if self._tls else None,
            )
            server = EmbeddedServer(config)
            self._servers.append(server)
            tasks.append(asyncio.create_task(server.serve(sockets=[sock])))
        while not all(s.started for s in self._servers):
            if any(t.done() for t in tasks):
                for t in tasks:
                    if t.done() and t.exception():
                        raise RuntimeError("a sandbox twin failed to start") from t.exception()
            await asyncio.sleep(0.01)
        self.info = {**self.jira.connection_info(), **self.bitrix.connection_info(), "admin_token": opts.admin_token}
        if self._tls:
            self.info["ca_file"] = str(self._tls.ca_file)
        if ready is not None:
            ready.set()
        try:
            await asyncio.gather(*tasks)
        finally:
            for twin in (self.jira, self.bitrix):
                await twin.shutdown()
            for sock in self._sockets:
                with contextlib.suppress(OSError):
                    sock.close()

    def request_stop(self) -> None:
        for server in self._servers:
            server.should_exit = True

    def start_in_thread(self, timeout: float = 30.0) -> dict[str, Any]:
        """Start serving on a daemon thread (own event loop) and return the connection info."""
        ready = threading.Event()
        errors: list[BaseException] = []

        def run() -> None:
            try:
                asyncio.run(self.serve(ready))
            except BaseException as exc:  # reported to the caller below
                errors.append(exc)
                ready.set()

        self._thread = threading.Thread(target=run, name="b24-sandbox", daemon=True)
        self._thread.start()
        if not ready.wait(timeout):
            raise TimeoutError("sandbox did not start in time")
        if errors:
            raise RuntimeError(f"sandbox failed to start: {errors[0]}") from errors[0]
        return self.info

    def stop(self, timeout: float = 10.0) -> None:
        if self._loop is not None:
            self._loop.call_soon_threadsafe(self.request_stop)
        if self._thread is not None:
            self._thread.join(timeout)


def quiet_access_logs() -> None:
    logging.getLogger("uvicorn.access").setLevel(logging.WARNING)
