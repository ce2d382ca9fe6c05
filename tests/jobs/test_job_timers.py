"""Timers on SQLite and PostgreSQL: exactly once under concurrent polling, generations, sane due times."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine

from sync_engine.clock import ManualClock
from sync_engine.jobs import JobStore, Schedule, TimerStore


def every_minute(spec: object, at: datetime) -> datetime:
    return at + timedelta(seconds=60)


def test_timers_fire_exactly_once_even_when_polled_concurrently(engine: Engine) -> None:
    store = JobStore(engine)
    timers = TimerStore(store)
    now = store.now()
    assert timers.add_once("t1", "p", "sync", now - timedelta(seconds=1), {"trigger": "timer:t1"})
    assert not timers.add_once("t1", "p", "sync", now, {})
    timers.sync_schedules({"schedule:p:x": Schedule("p", "sync", {"type": "schedule", "interval_seconds": 60},
                                                     now - timedelta(seconds=1), {"trigger": "schedule"})},
                          job_kind="sync")
    fired: list[str] = []
    errors: list[BaseException] = []

    def poll() -> None:
        try:
            fired.extend(t.name for t in timers.fire_due(every_minute))
        except BaseException as exc:  # SQLite may report "locked" to one of the racers
            errors.append(exc)

    threads = [threading.Thread(target=poll) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    poll()
    assert sorted(fired) == ["schedule:p:x", "t1"]
    by_name = {t.name: t for t in timers.list()}
    assert by_name["t1"].active is False and by_name["t1"].fired_count == 1
    assert by_name["schedule:p:x"].active is True and by_name["schedule:p:x"].due_at > store.now()
    jobs = store.list()
    assert sorted(r["origin"] for r in jobs) == ["schedule", "timer"]
    assert {r["payload"]["timer"] for r in jobs} == {"t1", "schedule:p:x"}
    timers.sync_schedules({}, job_kind="sync")
    assert {t.name: t.active for t in timers.list()}["schedule:p:x"] is False


def test_timers_make_jobs_of_their_own_kind_and_skip_a_stale_generation(engine: Engine) -> None:
    clock = ManualClock(datetime(2026, 4, 1, 9, tzinfo=UTC))
    store = JobStore(engine, clock)
    timers = TimerStore(store)
    lane = "deal-protection:4711"
    timers.add_once(f"{lane}:g0:+2d", lane, "process.protection", clock.now() + timedelta(days=2), {"step": "info"})
    timers.add_once(f"{lane}:g0:+85d", lane, "process.protection", clock.now() + timedelta(days=85), {"step": "warn"})
    clock.advance(timedelta(days=2))
    (fired,) = timers.fire_due(every_minute)
    assert (fired.name, fired.job_kind) == (f"{lane}:g0:+2d", "process.protection")
    (row,) = store.list(lane=lane)
    assert row["kind"] == "process.protection" and row["payload"]["step"] == "info"
    store.bump_generation(lane)  # e.g. the deal closed: what is still pending must not fire
    clock.advance(timedelta(days=90))
    assert timers.fire_due(every_minute) == []
    (stale,) = [t for t in timers.list(lane=lane) if t.name.endswith("+85d")]
    assert stale.active is False and stale.fired_count == 0


def test_cancelling_timers_by_lane_or_name(engine: Engine) -> None:
    store = JobStore(engine)
    timers = TimerStore(store)
    due = store.now() + timedelta(hours=1)
    for name in ("a:1", "a:2"):
        timers.add_once(name, "a", "k", due, {})
    timers.add_once("b:1", "b", "k", due, {})
    assert timers.cancel(name="a:2") == 1
    assert timers.cancel(lane="a") == 1
    assert {t.name: t.active for t in timers.list()} == {"a:1": False, "a:2": False, "b:1": True}
    with pytest.raises(ValueError):
        timers.cancel()


@pytest.mark.parametrize("due", [datetime(9999, 12, 31, tzinfo=UTC), datetime(1, 1, 1, tzinfo=UTC),
                                 datetime(2026, 1, 1)])
def test_absurd_due_times_are_refused(engine: Engine, due: datetime) -> None:
    with pytest.raises(ValueError, match="due time"):
        TimerStore(JobStore(engine)).add_once("x", "p", "sync", due, {})
