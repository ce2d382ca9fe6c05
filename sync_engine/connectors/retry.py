"""Retry policy shared by connectors: capped exponential backoff with jitter, honouring Retry-After.

Connectors decide *what* is retryable (they know their system's error codes and which requests
are safe to resend); this module only decides *how long* to wait and *how often* to try, so JIRA
and Bitrix24 back off the same way and tests can shrink the delays through one object.
"""

from __future__ import annotations

import asyncio
import email.utils
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TypeVar

import httpx

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """``delay(n)`` for the n-th retry (0-based) is ``min(max_delay, base_delay * 2**n)`` with the
    upper ``jitter`` share randomised, so many clients hit by the same outage do not retry in step.

    A server's own hint (Retry-After, Bitrix24 ``operating_reset_at``) wins over the computed
    backoff, capped at ``max_retry_after`` so one bad header cannot park a sync run for hours.
    """

    max_retries: int = 5
    base_delay: float = 0.5
    max_delay: float = 30.0
    jitter: float = 0.5
    max_retry_after: float = 120.0

    def __post_init__(self) -> None:
        if self.max_retries < 0:
            raise ValueError(f"max_retries must be >= 0, got {self.max_retries!r}")
        if self.base_delay < 0 or self.max_delay < 0 or self.max_retry_after < 0:
            raise ValueError("retry delays must be >= 0")
        if not 0.0 <= self.jitter <= 1.0:
            raise ValueError(f"jitter must be in [0, 1], got {self.jitter!r}")

    def backoff(self, attempt: int, rng: random.Random | None = None) -> float:
        """Computed wait before retry number ``attempt`` (0-based)."""
        ceiling = min(self.max_delay, self.base_delay * (2.0 ** max(0, attempt)))
        if self.jitter == 0.0:
            return ceiling
        draw = (rng or random).random()
        return ceiling * (1.0 - self.jitter) + ceiling * self.jitter * draw

    def delay(
        self, attempt: int, retry_after: float | None = None, rng: random.Random | None = None
    ) -> float:
        """Wait before retry ``attempt``: the server's hint when it gave one, else the backoff."""
        if retry_after is not None:
            return min(max(0.0, retry_after), self.max_retry_after)
        return self.backoff(attempt, rng)


def parse_retry_after(value: str | None, *, now: float | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (delta-seconds or HTTP-date); None if absent/bad."""
    if value is None:
        return None
    value = value.strip()
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        return None
    current = time.time() if now is None else now
    return max(0.0, when.timestamp() - current)


def transport_error_is_ambiguous(exc: httpx.TransportError) -> bool:
    """True when the request may have reached the server (so a non-idempotent resend can duplicate).

    Connection failures and pool timeouts happen before any byte is sent; a dropped connection, a
    read timeout or a broken write can happen after the server already applied the request.
    """
    return not isinstance(exc, httpx.ConnectError | httpx.ConnectTimeout | httpx.PoolTimeout)


class RetryableError(Exception):
    """Raised by one attempt to ask for another; ``error`` is what to raise once retries run out."""

    def __init__(self, error: Exception, *, retry_after: float | None = None, reason: str = "") -> None:
        super().__init__(reason or str(error))
        self.error = error
        self.retry_after = retry_after
        self.reason = reason or type(error).__name__


RetryHook = Callable[[int, float, RetryableError], None]


async def retry_async(
    attempt: Callable[[], Awaitable[T]],
    policy: RetryPolicy,
    *,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    on_retry: RetryHook | None = None,
    rng: random.Random | None = None,
) -> T:
    """Run ``attempt`` until it returns, raises something other than :class:`RetryableError`, or
    ``policy.max_retries`` retries are spent (then the last ``RetryableError.error`` is raised)."""
    retries = 0
    while True:
        try:
            return await attempt()
        except RetryableError as exc:
            if retries >= policy.max_retries:
                raise exc.error from exc
            wait = policy.delay(retries, exc.retry_after, rng)
            if on_retry is not None:
                on_retry(retries, wait, exc)
            retries += 1
            await sleep(wait)
