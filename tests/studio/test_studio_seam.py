"""The seam between the window and the engine: work off the window's thread, pages refreshed by changes."""

from __future__ import annotations

import asyncio
import threading
import time
from typing import Any

import pytest
from PySide6.QtWidgets import QApplication
from studio_harness import Studio

from studio.changes import Change, ChangeHub
from studio.engine_thread import EngineThread
from studio.ops import OpContext, run_in_thread, run_op


def test_the_engine_thread_runs_coroutines_beside_the_callers_loop() -> None:
    thread = EngineThread()
    try:
        async def where() -> str:
            await asyncio.sleep(0)
            return threading.current_thread().name

        async def caller() -> tuple[str, str]:
            return threading.current_thread().name, await thread.submit(where())

        loop = asyncio.new_event_loop()  # not asyncio.run(): it would clear the studio tests' current loop
        mine, theirs = loop.run_until_complete(caller())
        assert mine != theirs == "b24s-engine"

        async def forever() -> None:
            await asyncio.sleep(3600)

        async def cancel() -> bool:
            task = asyncio.ensure_future(thread.submit(forever()))
            await asyncio.sleep(0.05)
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task
            await asyncio.sleep(0.05)
            return all(t.done() for t in asyncio.all_tasks(thread.loop))

        assert loop.run_until_complete(cancel())  # cancelling the caller cancelled the work on the engine's loop
        loop.close()
    finally:
        thread.stop()


def test_local_runs_happen_on_the_engine_thread(studio: Studio, monkeypatch: pytest.MonkeyPatch) -> None:
    backend = studio.window.backend
    seen: list[str] = []
    real = backend.ws.run

    async def spy(*args: Any, **kwargs: Any) -> Any:
        seen.append(threading.current_thread().name)
        return await real(*args, **kwargs)

    monkeypatch.setattr(backend.ws, "run", spy)
    outcome = studio.run(backend.runs.run("companies", dry_run=True))
    assert seen == ["b24s-engine"] and outcome.summary.profile == "companies"


def test_a_shown_page_refreshes_on_a_change_it_watches_and_a_hidden_one_goes_stale(studio: Studio) -> None:
    window = studio.window
    window.show_page("monitor")
    studio.settle()
    monitor, connections = window.monitor_page, window.connections_page
    calls: list[str] = []
    monitor.refresh = lambda *a, **k: calls.append("monitor")  # type: ignore[method-assign]
    connections.refresh = lambda *a, **k: calls.append("connections")  # type: ignore[method-assign]
    window.changes.announce(Change.RUNS)
    window.changes.announce(Change.PROFILES)  # the monitor does not show profiles
    assert calls == ["monitor"]
    window.changes.announce(Change.CONNECTIONS)  # the connections page is hidden: stale, not reloaded
    assert calls == ["monitor"]
    window.show_page("connections")
    assert calls == ["monitor", "connections"]


def test_a_run_finished_elsewhere_reaches_the_pages_as_a_change(qapp: QApplication) -> None:
    hub = ChangeHub()
    got: list[Change] = []
    events: list[dict[str, Any]] = []
    hub.changed.connect(lambda change, sender: got.append(change))
    hub.live_event.connect(events.append)
    hub.announce_event({"type": "run.finished", "profile": "deals"})
    hub.announce_event({"type": "something.else"})
    assert got == [Change.RUNS | Change.CONFLICTS] and len(events) == 2


def test_thread_work_reports_progress_and_stops_when_cancelled(studio: Studio) -> None:
    page = studio.window.monitor_page
    started, stopped = threading.Event(), threading.Event()

    def count(ctx: OpContext) -> int:
        started.set()
        n = 0
        deadline = time.monotonic() + 30
        while not ctx.cancelled and time.monotonic() < deadline:
            n += 1
            if n % 1000 == 0:
                ctx.progress(n, 10_000_000, "counting")
        if ctx.cancelled:
            stopped.set()
        return n

    done: list[object] = []
    task = run_in_thread(page, count, label="count", on_done=done.append, tracker=studio.window.ops)
    assert studio.loop.run_until_complete(asyncio.to_thread(started.wait, 10))
    studio.loop.run_until_complete(asyncio.sleep(0.1))  # not settle(): that waits for this very operation
    task.cancel()
    assert studio.loop.run_until_complete(asyncio.to_thread(stopped.wait, 10))  # the thread saw Cancel
    studio.settle(0.1)
    assert task.cancelled() and done == []

    async def quick(ctx: OpContext) -> str:
        ctx.progress(1, 2, "half")
        return "ok"

    hub = ChangeHub()
    got: list[Change] = []
    hub.changed.connect(lambda change, sender: got.append(change))
    run_op(page, quick, label="quick", on_done=done.append, hub=hub, changes=Change.JOBS)
    studio.settle()
    assert done == ["ok"] and got == [Change.JOBS]
