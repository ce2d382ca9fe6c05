"""Serve one twin on uvicorn in a background thread: for tests of a single twin and small tools."""

from __future__ import annotations

import asyncio
import threading

import uvicorn
from starlette.types import ASGIApp

from sync_engine.sandbox.common.twin import Twin


class ThreadedTwinServer:
    """``with ThreadedTwinServer(twin) as url: ...`` serves ``twin`` on 127.0.0.1 at an ephemeral port.

    ``port``, ``app`` (a wrapper around ``twin.app``, e.g. a context path) and ``public_url`` (the URL the twin
    should name in its links, when clients reach it through a proxy) let a tool put the twin where a
    third-party client expects a real system."""

    def __init__(self, twin: Twin, host: str = "127.0.0.1", port: int = 0, app: ASGIApp | None = None,
                 public_url: str | None = None) -> None:
        self.twin = twin
        self.host = host
        self.port = port
        self.app = app
        self.public_url = public_url
        self.url = ""
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    def start(self, timeout: float = 20.0) -> str:
        from sync_engine.serving import EmbeddedServer, bind_socket

        sock = bind_socket(self.host, self.port)
        self.port = sock.getsockname()[1]
        self.url = self.public_url or f"http://{self.host}:{self.port}"
        self.twin.set_base_url(self.url)
        ready = threading.Event()
        errors: list[BaseException] = []

        async def main() -> None:
            self._loop = asyncio.get_running_loop()
            await self.twin.startup()
            config = uvicorn.Config(self.app or self.twin.app, log_level="warning", access_log=False,
                                    lifespan="off")
            self._server = EmbeddedServer(config)
            task = asyncio.create_task(self._server.serve(sockets=[sock]))
            while not self._server.started and not task.done():  # noqa: ASYNC110 (uvicorn has no event)
                await asyncio.sleep(0.01)
            ready.set()
            try:
                await task
            finally:
                await self.twin.shutdown()
                sock.close()

        def run() -> None:
            try:
                asyncio.run(main())
            except BaseException as exc:
                errors.append(exc)
                ready.set()

        self._thread = threading.Thread(target=run, daemon=True, name="twin-server")
        self._thread.start()
        if not ready.wait(timeout) or errors:
            raise RuntimeError(f"twin server failed to start: {errors[:1]}")
        return self.url

    def stop(self) -> None:
        if self._server is not None and self._loop is not None:
            server = self._server
            self._loop.call_soon_threadsafe(lambda: setattr(server, "should_exit", True))
        if self._thread is not None:
            self._thread.join(10)

    def __enter__(self) -> str:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
