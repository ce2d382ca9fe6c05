"""ASGI middleware that counts API calls and injects latency, 5xx, limit answers and drops.

It sits in front of a twin's real routes (not the admin routes under ``/_sandbox``), so a fault
looks to a client exactly like the real system misbehaving.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from sync_engine.sandbox.common.control import TwinControl

ADMIN_PREFIX = "/_sandbox"


class FaultMiddleware:
    def __init__(
        self,
        app: ASGIApp,
        control: TwinControl,
        *,
        method_key: Callable[[Scope], str | None],
        error_response: Callable[[], Response],
        limit_response: Callable[[], Response],
    ) -> None:
        self.app = app
        self.control = control
        self.method_key = method_key
        self.error_response = error_response
        self.limit_response = limit_response

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith(ADMIN_PREFIX):
            await self.app(scope, receive, send)
            return
        key = self.method_key(scope)
        if key is not None:
            self.control.count(key)
        faults = self.control.faults
        if faults.latency_ms:
            await asyncio.sleep(faults.latency_ms / 1000)
        fault = self.control.draw()
        if fault == "drop":
            await _drop(send)
            return
        if fault == "error":
            await self.error_response()(scope, receive, send)
            return
        if fault == "limit":
            await self.limit_response()(scope, receive, send)
            return
        await self.app(scope, receive, send)


async def _drop(send: Callable[[dict[str, Any]], Awaitable[None]]) -> None:
    """Start a response and abandon it: the server closes the socket and the client sees a broken read."""
    await send(
        {
            "type": "http.response.start",
            "status": 200,
            "headers": [(b"content-type", b"application/json"), (b"content-length", b"4096")],
        }
    )
    await send({"type": "http.response.body", "body": b'{"res', "more_body": True})
