"""Helpers for the Bitrix24 twin tests (imported by conftest and tests; unique module name on purpose)."""

from __future__ import annotations

import http.server
import queue
import threading
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx

from sync_engine.sandbox.bitrix24.app import BitrixTwin, create_twin
from sync_engine.sandbox.common.threaded import ThreadedTwinServer
from sync_engine.sandbox.common.twin import TwinSettings

ADMIN = "test-admin-token"


@dataclass
class Portal:
    twin: BitrixTwin
    url: str
    hook: str  # inbound webhook base URL ending in "/"
    http: httpx.Client

    def call(self, method: str, params: dict[str, Any] | None = None) -> httpx.Response:
        return self.http.post(self.hook + method, json=params or {})

    def result(self, method: str, params: dict[str, Any] | None = None) -> Any:
        response = self.call(method, params)
        assert response.status_code == 200, response.text
        body = response.json()
        assert "error" not in body, body
        return body["result"]

    def admin(self, verb: str, path: str, body: Any = None) -> httpx.Response:
        return self.http.request(verb, f"{self.url}/_sandbox/{path}", json=body,
                                 headers={"Authorization": f"Bearer {ADMIN}"})


def serve(settings: TwinSettings) -> Iterator[Portal]:
    yield from serve_twin(create_twin(settings))


def serve_twin(twin: BitrixTwin) -> Iterator[Portal]:
    with ThreadedTwinServer(twin) as url, httpx.Client(timeout=30, follow_redirects=False) as client:
        yield Portal(twin, url, twin.connection_info()["bitrix_webhook_url"], client)


@dataclass
class Receiver:
    url: str
    posts: queue.Queue[tuple[str, dict[str, list[str]], str]]

    def next(self, timeout: float = 5.0) -> tuple[str, dict[str, list[str]], str]:
        return self.posts.get(timeout=timeout)


def start_receiver() -> tuple[Receiver, http.server.ThreadingHTTPServer]:
    """A plain HTTP server that records the events a portal posts to it."""
    posts: queue.Queue[tuple[str, dict[str, list[str]], str]] = queue.Queue()

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            raw = self.rfile.read(length).decode("utf-8")
            posts.put((self.path, urllib.parse.parse_qs(raw, keep_blank_values=True),
                       self.headers.get("Content-Type", "")))
            self.send_response(200)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"OK")

        def log_message(self, *args: Any) -> None:
            return

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return Receiver(f"http://127.0.0.1:{server.server_address[1]}/hook", posts), server
