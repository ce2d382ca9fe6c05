"""The sync handler's pacing and batching: when the portal's bucket cannot carry a run now, wait before
the run and take the jobs that fell due meanwhile, rather than pace inside the run while new events queue
behind it; a batch's run is named after what it did."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import timedelta
from types import SimpleNamespace
from typing import Any

import pytest
from sqlalchemy import Engine

from models.db import open_database
from sync_engine.bus import EventBus
from sync_engine.jobs import Claim, JobBatch, JobStore, NewJob
from sync_engine.service.config import ServiceConfig
from sync_engine.service.metrics import Metrics
from sync_engine.service.store import utcnow
from sync_engine.service.sync_jobs import SyncJobHandler

LEASE = timedelta(seconds=30)


@pytest.fixture
def engine(any_db: str) -> Iterator[Engine]:
    eng = open_database(any_db)
    yield eng
    eng.dispose()


def job(profile: str = "p", origin: str = "event", **payload: Any) -> NewJob:
    return NewJob("sync", profile, payload or {"events": []}, origin=origin,
                  received_at=utcnow() if origin == "event" else None, max_attempts=2)


class Budget:
    """A Bitrix24 connector as far as pacing goes: how long until ``n`` requests fit."""

    def __init__(self, delay: float) -> None:
        self.delay = delay
        self.asked: list[int] = []

    def budget_delay(self, requests: int) -> float:
        self.asked.append(requests)
        return self.delay


def handler(routes: list[Any] | None = None) -> SyncJobHandler:
    return SyncJobHandler(SimpleNamespace(), ServiceConfig(instance_id="me"), Metrics(), EventBus(),  # type: ignore[arg-type]
                          routes=lambda: routes or [])


def claimed(store: JobStore, stopping: asyncio.Event | None = None) -> JobBatch:
    claim = store.claim("me", LEASE)
    assert claim is not None
    return JobBatch(store, None, "me", claim, claim.jobs, LEASE, stopping or asyncio.Event())  # type: ignore[arg-type]


def test_jobs_arriving_during_the_budget_wait_join_the_run(engine: Engine) -> None:
    budget = Budget(1.0)
    h = handler()
    h.sessions._open["p"] = SimpleNamespace(bitrix24=budget)  # type: ignore[assignment]
    store = JobStore(engine)
    store.add([job()])

    async def scenario() -> JobBatch:
        batch = claimed(store)
        assert len(batch.jobs) == 1

        async def late_events() -> None:
            await asyncio.sleep(0.1)
            await asyncio.to_thread(store.add, [job(), job(), job("q")])

        arriving = asyncio.create_task(late_events())
        await h.before_batch(batch)
        await arriving
        return batch

    batch = asyncio.run(scenario())
    assert len(batch.jobs) == 3 and {j.lane for j in batch.jobs} == {"p"}  # both of p's joined, not q's
    assert budget.asked == [ServiceConfig().run_requests]
    assert h.metrics.get("b24s_rate_limit_wait_seconds_total") >= 0.99


def test_no_wait_when_the_budget_allows_or_no_session_yet(engine: Engine) -> None:
    h = handler()
    h.sessions._open["p"] = SimpleNamespace(bitrix24=Budget(0.0))  # type: ignore[assignment]
    store = JobStore(engine)
    store.add([job(), job("no-session")])

    async def scenario() -> tuple[int, int]:
        first, second = claimed(store), claimed(store)
        await h.before_batch(first)
        await h.before_batch(second)
        return len(first.jobs), len(second.jobs)

    assert asyncio.run(scenario()) == (1, 1)
    assert h.metrics.get("b24s_rate_limit_wait_seconds_total") == 0


def test_stopping_cuts_the_wait_short(engine: Engine) -> None:
    h = handler()
    h.sessions._open["p"] = SimpleNamespace(bitrix24=Budget(10.0))  # type: ignore[assignment]
    store = JobStore(engine)
    store.add([job()])

    async def scenario() -> int:
        stopping = asyncio.Event()
        batch = claimed(store, stopping)
        task = asyncio.create_task(h.before_batch(batch))
        await asyncio.sleep(0.1)
        stopping.set()
        await asyncio.wait_for(task, 2)
        return len(batch.jobs)

    assert asyncio.run(scenario()) == 1


def run_batch(engine: Engine, jobs: list[tuple[str, dict[str, object]]]) -> tuple[list[tuple[str, object, bool]],
                                                                             JobStore, str]:
    """Claim and run one batch of ``(origin, payload)`` jobs of a demo profile on a fake session; what the
    session was asked to run: (trigger, hints, reconcile)."""
    from sync_engine.demo import demo_profiles
    from sync_engine.engine.plan import Plan
    from sync_engine.engine.state import RunSummary
    from sync_engine.service.routing import RoutedProfile

    profile = demo_profiles()[0]
    seen: list[tuple[str, object, bool]] = []

    class Session:
        jira = SimpleNamespace(api_calls=0)
        bitrix24 = SimpleNamespace(api_calls=0, rate_limit_waits=0.0, budget_delay=lambda n: 0.0)

        async def run(self, *, dry_run: bool, trigger: str, hints: object, reconcile: bool) -> tuple[RunSummary, Plan]:
            seen.append((trigger, hints, reconcile))
            return RunSummary(None, profile.name, trigger, dry_run, utcnow()), Plan(profile.name)

    h = handler([RoutedProfile(profile, "jira-demo", "bitrix24-demo")])
    h.sessions._open[profile.name] = Session()  # type: ignore[assignment]
    store = JobStore(engine)
    store.add([job(profile.name, origin, **payload) for origin, payload in jobs])

    async def scenario() -> None:
        batch = claimed(store)
        assert [j.origin for j in batch.jobs] == [origin for origin, _ in jobs]
        await h.run(batch)
        store.close("me", batch.lane, batch.outcomes())

    asyncio.run(scenario())
    return seen, store, profile.name


def test_a_scheduled_run_with_events_coalesced_is_named_after_the_schedule(engine: Engine) -> None:
    """The monitor must say a full read happened, even when an event job happened to be first in line."""
    seen, store, name = run_batch(engine, [("event", {"trigger": "event", "events": []}),
                                           ("schedule", {"trigger": "schedule"})])
    assert seen == [("schedule (+1 coalesced)", None, False)]  # a full read: no hints
    assert [r["status"] for r in store.list(lane=name)] == ["done", "done"]


def test_a_reconcile_job_behind_an_event_job_still_reconciles(engine: Engine) -> None:
    seen, _, _ = run_batch(engine, [("event", {"trigger": "event", "events": []}),
                                    ("manual", {"trigger": "reconcile", "reconcile": True})])
    assert seen == [("reconcile (+1 coalesced)", None, True)]


def test_a_lane_taken_over_from_a_dead_instance_closes_its_run(engine: Engine) -> None:
    """The run a killed instance left "running" is closed as failed, naming that instance."""
    from sync_engine.store.state import SqlStateStore

    state = SqlStateStore(engine)
    run_id = state.start_run("p", "event")
    h = SyncJobHandler(SimpleNamespace(store=state), ServiceConfig(instance_id="me"), Metrics(),  # type: ignore[arg-type]
                       EventBus(), routes=lambda: [])
    asyncio.run(h.taken_over(Claim("p", [], utcnow(), "dead-host:1", utcnow() + timedelta(seconds=1))))
    (run,) = state.runs("p")
    assert run.id == run_id and run.status == "failed" and "dead-host:1" in (run.error or "")
