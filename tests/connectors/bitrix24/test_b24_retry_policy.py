"""Backoff math, Retry-After parsing and the retry loop shared by connectors."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import httpx
import pytest

from sync_engine.connectors.retry import (
    RetryableError,
    RetryPolicy,
    parse_retry_after,
    retry_async,
    transport_error_is_ambiguous,
)


def test_backoff_is_exponential_capped_and_jittered_within_bounds() -> None:
    policy = RetryPolicy(base_delay=0.5, max_delay=4.0, jitter=0.5)
    rng = random.Random(7)
    for attempt, ceiling in [(0, 0.5), (1, 1.0), (2, 2.0), (3, 4.0), (10, 4.0)]:
        for _ in range(50):
            wait = policy.backoff(attempt, rng)
            assert ceiling * 0.5 <= wait <= ceiling
    assert RetryPolicy(base_delay=1, max_delay=60, jitter=0).backoff(3) == 8.0


def test_server_hint_wins_but_is_capped() -> None:
    policy = RetryPolicy(max_retry_after=30)
    assert policy.delay(0, retry_after=7) == 7
    assert policy.delay(5, retry_after=3600) == 30
    assert policy.delay(0, retry_after=-5) == 0
    with pytest.raises(ValueError, match="jitter"):
        RetryPolicy(jitter=2)


def test_parse_retry_after_forms() -> None:
    assert parse_retry_after("12") == 12
    assert parse_retry_after(" 1.5 ") == 1.5
    now = datetime(2026, 1, 1, tzinfo=UTC)
    header = format_datetime(now + timedelta(seconds=90), usegmt=True)
    assert parse_retry_after(header, now=now.timestamp()) == pytest.approx(90)
    assert parse_retry_after(None) is None
    assert parse_retry_after("soon") is None and parse_retry_after("") is None


async def test_retry_async_retries_then_raises_the_final_error() -> None:
    waits: list[float] = []
    calls = 0

    async def sleep(s: float) -> None:
        waits.append(s)

    async def always_fails() -> int:
        nonlocal calls
        calls += 1
        raise RetryableError(RuntimeError("boom"), retry_after=0.25 if calls == 2 else None)

    policy = RetryPolicy(max_retries=3, base_delay=0.1, jitter=0)
    with pytest.raises(RuntimeError, match="boom"):
        await retry_async(always_fails, policy, sleep=sleep)
    assert calls == 4
    assert waits == [0.1, 0.25, 0.4]


async def test_retry_async_returns_after_transient_failures_and_lets_others_through() -> None:
    seen: list[int] = []

    async def sleep(s: float) -> None:
        return None

    state = {"n": 0}

    async def flaky() -> str:
        state["n"] += 1
        if state["n"] < 3:
            raise RetryableError(ValueError("transient"))
        return "ok"

    result = await retry_async(flaky, RetryPolicy(), sleep=sleep, on_retry=lambda n, w, e: seen.append(n))
    assert result == "ok"
    assert seen == [0, 1]

    async def fatal() -> str:
        raise KeyError("not retryable")

    with pytest.raises(KeyError):
        await retry_async(fatal, RetryPolicy(), sleep=sleep)


def test_which_transport_errors_may_have_reached_the_server() -> None:
    assert not transport_error_is_ambiguous(httpx.ConnectError("refused"))
    assert not transport_error_is_ambiguous(httpx.ConnectTimeout("slow"))
    assert transport_error_is_ambiguous(httpx.RemoteProtocolError("dropped"))
    assert transport_error_is_ambiguous(httpx.ReadError("reset"))
    assert transport_error_is_ambiguous(httpx.ReadTimeout("slow"))
