"""The client bucket must never let a burst overflow a server bucket with the same rate and size."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from sync_engine.connectors.bitrix24 import Bitrix24Connector
from sync_engine.connectors.ratelimit import LeakyBucket
from sync_engine.secrets import SecretStore, choose_backend
from sync_engine.workspace import Workspace


class FakeTime:
    def __init__(self) -> None:
        self.now = 1000.0
        self.slept: list[float] = []

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


class ServerBucket:
    """Bitrix24's limiter as documented: +1 per request, drains ``rate``/s, refuses above ``burst``."""

    def __init__(self, rate: float, burst: int) -> None:
        self.rate, self.burst, self.level = rate, burst, 0.0
        self.stamp: float | None = None

    def arrive(self, now: float) -> bool:
        if self.stamp is not None:
            self.level = max(0.0, self.level - (now - self.stamp) * self.rate)
        self.stamp = now
        if self.level + 1 > self.burst:
            return False
        self.level += 1
        return True


async def test_burst_of_120_fits_server_limit_and_waits_only_when_needed() -> None:
    t = FakeTime()
    bucket = LeakyBucket(2.0, 50, margin=1, clock=t.clock, sleep=t.sleep)
    server = ServerBucket(2.0, 50)
    for _ in range(120):
        await bucket.acquire()
        assert server.arrive(t.now), f"server refused at level {server.level}"
    # 49 free (burst minus a margin of 1), then one every 0.5 s
    assert len(t.slept) == 120 - 49
    assert bucket.waited == pytest.approx((120 - 49) * 0.5)
    assert all(s == pytest.approx(0.5) for s in t.slept)


async def test_bucket_drains_over_time_and_saturate_forces_pacing() -> None:
    t = FakeTime()
    bucket = LeakyBucket(5.0, 10, margin=0, clock=t.clock, sleep=t.sleep)
    for _ in range(10):
        await bucket.acquire()
    assert t.slept == [] and bucket.level() == pytest.approx(10)
    t.now += 1.0  # drains 5
    assert bucket.level() == pytest.approx(5) and bucket.delay() == 0
    bucket.saturate()
    assert bucket.delay() == pytest.approx(0.2)
    assert await bucket.acquire() == pytest.approx(0.2)


def test_invalid_settings_are_named() -> None:
    with pytest.raises(ValueError, match="rate must be > 0"):
        LeakyBucket(0, 50)
    with pytest.raises(ValueError, match="burst must be >= 1"):
        LeakyBucket(2, 0)
    with pytest.raises(ValueError, match="margin"):
        LeakyBucket(2, 1, margin=1)


def test_default_margin_grows_with_rate_but_leaves_most_of_the_burst() -> None:
    assert LeakyBucket(2.0, 50).capacity == pytest.approx(48.5)
    assert LeakyBucket(20.0, 50).capacity == pytest.approx(44)
    assert LeakyBucket(1000.0, 10).capacity == pytest.approx(5)


async def test_callers_arriving_together_queue_behind_each_other_without_a_lock() -> None:
    """Each caller reserves its unit before it sleeps, so those arriving at one instant leave one by one."""
    t = FakeTime()
    departures: list[float] = []

    async def sleep_in_virtual_time(seconds: float) -> None:
        t.slept.append(seconds)
        await asyncio.sleep(0)

    bucket = LeakyBucket(2.0, 10, margin=0, clock=t.clock, sleep=sleep_in_virtual_time)

    async def call() -> None:
        departures.append(t.now + await bucket.acquire())

    await asyncio.gather(*(call() for _ in range(16)))
    departures.sort()
    assert departures[:10] == [t.now] * 10
    assert departures[10:] == pytest.approx([t.now + 0.5 * n for n in range(1, 7)])
    server = ServerBucket(2.0, 10)
    assert all(server.arrive(at) for at in departures)
    # Wall time some caller waited, not the sum of overlapping waits.
    assert bucket.waited == pytest.approx(3.0)


def test_delay_for_a_run_of_requests() -> None:
    t = FakeTime()
    bucket = LeakyBucket(2.0, 10, margin=0, clock=t.clock, sleep=t.sleep)
    assert bucket.delay_for(2) == 0
    bucket._level, bucket._stamp = 9.0, t.now
    assert bucket.delay_for(1) == 0 and bucket.delay_for(2) == pytest.approx(0.5)
    t.now += 0.5
    assert bucket.delay_for(2) == 0


def test_a_workspace_paces_every_connector_of_one_portal_with_one_bucket(tmp_path: Path) -> None:
    ws = Workspace.open(f"sqlite:///{tmp_path / 'ws.sqlite'}", SecretStore(choose_backend("file", tmp_path)))
    try:
        ws.add_connection("b24", "bitrix24", url="https://portal.example/rest/1/abc/")
        ws.add_connection("b24-again", "bitrix24", url="https://portal.example/rest/7/def/")
        ws.add_connection("other", "bitrix24", url="https://other.example/rest/1/abc/")
        first, second = ws.connector(ws.connection("b24")), ws.connector(ws.connection("b24"))
        same_portal = ws.connector(ws.connection("b24-again"))
        other = ws.connector(ws.connection("other"))
        assert isinstance(first, Bitrix24Connector) and isinstance(second, Bitrix24Connector)
        assert isinstance(same_portal, Bitrix24Connector) and isinstance(other, Bitrix24Connector)
        assert first.pacer is second.pacer is same_portal.pacer
        assert other.pacer is not first.pacer
    finally:
        ws.close()
