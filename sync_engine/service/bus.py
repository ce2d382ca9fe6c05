"""In-process fan-out of service events to live subscribers (the SSE stream of the control API)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

from models.base import utcnow


class EventBus:
    def __init__(self, max_queue: int = 1000) -> None:
        self._subscribers: set[asyncio.Queue[dict[str, Any]]] = set()
        self._max = max_queue

    def publish(self, kind: str, **data: Any) -> None:
        event = {"type": kind, "at": utcnow().isoformat(), **data}
        for queue in list(self._subscribers):
            with contextlib.suppress(asyncio.QueueFull):  # a slow reader loses events, never blocks us
                queue.put_nowait(event)

    @contextlib.asynccontextmanager
    async def subscribe(self) -> AsyncIterator[asyncio.Queue[dict[str, Any]]]:
        queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue(self._max)
        self._subscribers.add(queue)
        try:
            yield queue
        finally:
            self._subscribers.discard(queue)

    @property
    def subscribers(self) -> int:
        return len(self._subscribers)
