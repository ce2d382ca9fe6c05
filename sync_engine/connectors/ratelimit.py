"""Client-side leaky bucket that mirrors a server's request limiter.

Bitrix24 (and JIRA Cloud, in spirit) meter requests with a leaky bucket: every request adds one
unit, the bucket drains ``rate`` units per second and a request that would overflow ``burst`` is
refused (Bitrix24: HTTP 503 ``QUERY_LIMIT_EXCEEDED``). Refusals cost a round trip plus a backoff,
so we keep our own copy of the bucket and wait *before* sending instead. Our copy can only be an
estimate (other clients of the same portal share the server's bucket), which is why the connector
still retries on 503 and calls :meth:`LeakyBucket.saturate` when the server disagrees with us.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable

Clock = Callable[[], float]
Sleep = Callable[[float], Awaitable[None]]


class WaitTime:
    """Wall time covered by waits that may overlap (queued callers wait at once): the union, not the sum."""

    def __init__(self) -> None:
        self.total = 0.0
        self._until = 0.0

    def add(self, start: float, wait: float) -> None:
        until = start + wait
        self.total += max(0.0, until - max(start, self._until))
        self._until = max(until, self._until)


class LeakyBucket:
    """Pace callers so that at most ``burst`` requests are in the bucket, draining ``rate`` per second.

    ``margin`` keeps that many units of the server's capacity unused, absorbing the time a request
    spends between our stamp and the server's (connection set-up, pool queueing, a loaded event loop):
    the server counts on arrival, we count on departure. The default, ``1 + rate * skew`` with
    ``skew`` = 0.25 s, is one unit plus what the bucket drains in a quarter second.
    """

    SKEW = 0.25

    def __init__(
        self,
        rate: float,
        burst: int,
        *,
        margin: float | None = None,
        clock: Clock = time.monotonic,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        if rate <= 0:
            raise ValueError(f"rate must be > 0 requests per second, got {rate!r}")
        if burst < 1:
            raise ValueError(f"burst must be >= 1, got {burst!r}")
        if margin is None:
            margin = min(1.0 + rate * self.SKEW, burst / 2)
        if not 0 <= margin < burst:
            raise ValueError(f"margin must be in [0, burst), got {margin!r}")
        self.rate = float(rate)
        self.burst = int(burst)
        self.margin = float(margin)
        self._clock = clock
        self._sleep = sleep
        self._level = 0.0
        self._stamp = clock()
        self._waits = WaitTime()

    @property
    def capacity(self) -> float:
        return self.burst - self.margin

    def level(self, now: float | None = None) -> float:
        """Units currently in the bucket after draining up to ``now``."""
        now = self._clock() if now is None else now
        return max(0.0, self._level - (now - self._stamp) * self.rate)

    def delay(self, now: float | None = None) -> float:
        """Seconds to wait before one more request fits under the capacity (0 when it fits now)."""
        overflow = self.level(now) + 1.0 - self.capacity
        return max(0.0, overflow / self.rate)

    def _add(self, now: float) -> None:
        self._level = self.level(now) + 1.0
        self._stamp = now

    def delay_for(self, requests: int, now: float | None = None) -> float:
        """Seconds until ``requests`` more fit under the capacity at once (0 when they fit now)."""
        overflow = self.level(now) + requests - self.capacity
        return max(0.0, overflow / self.rate)

    @property
    def waited(self) -> float:
        """Wall time during which some caller of this bucket waited."""
        return self._waits.total

    async def acquire(self) -> float:
        """Wait until one request fits, take its unit and return the seconds this caller waited.

        The unit is reserved before the wait, so a caller arriving meanwhile queues behind it without a
        lock: nothing here binds to an event loop, so one bucket may pace every connector of a portal
        that runs on one event loop (it is not thread-safe).
        """
        now = self._clock()
        wait = self.delay(now)
        self._add(now)
        if wait > 0:
            self._waits.add(now, wait)
            await self._sleep(wait)
        return wait

    def saturate(self) -> None:
        """The server said we are over its limit: assume its bucket is full from now on."""
        self._level = max(self.level(), self.capacity)
        self._stamp = self._clock()
