"""In-process fan-out of engine events to live subscribers (the service's SSE stream, the studio's live view).

Publishing never blocks and may happen on any thread: each subscriber's queue is fed on the event loop
that subscribed (the studio's engine thread publishes, its window's loop reads).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

from models.base import utcnow


def _put(queue: asyncio.Queue[dict[str, Any]], event: dict[str, Any]) -> None:
    with contextlib.suppress(asyncio.QueueFull):  # a slow reader loses events, never blocks us
        queue.put_nowait(event)


class EventBus:
    def __init__(self, max_queue: int = 1000) -> None:
        self._subscribers: dict[asyncio.Queue[dict[str, Any]], asyncio.AbstractEventLoop] = {}
        self._max = max_queue

    def publish(self, kind: str, **data: Any) -> None:
        event = {"type": kind, "at": utcnow().isoformat(), **data}
        try:
            here: asyncio.AbstractEventLoop | None = asyncio.get_running_loop()
        except RuntimeError:
            here = None
        for queue, loop in list(self._subscribers.items()):
            if loop is here:
                _put(queue, event)
            elif not loop.is_closed():
                loop.call_soon_threadsafe(_put, queue, event)

    @contextlib.asynccontextmanager
    async def subscribe(self) -> AsyncIterator[asyncio.Queue[dict[str, Any]]]:
        queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue(self._max)
        self._subscribers[queue] = asyncio.get_running_loop()
        try:
            yield queue
        finally:
            self._subscribers.pop(queue, None)

    @property
    def subscribers(self) -> int:
        return len(self._subscribers)
