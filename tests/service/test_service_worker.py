"""The worker's pacing decision: when the portal's bucket cannot carry a run now, wait before the run and
take the jobs that fell due meanwhile, rather than pace inside the run while new events queue behind it."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import timedelta
from types import SimpleNamespace

import pytest
from sqlalchemy import Engine

from models.db import open_database
from sync_engine.service.bus import EventBus
from sync_engine.service.config import ServiceConfig
from sync_engine.service.metrics import Metrics
from sync_engine.service.store import NewJob, ServiceStore, utcnow
from sync_engine.service.worker import RUN_REQUESTS, Worker


@pytest.fixture
def engine(any_db: str) -> Iterator[Engine]:
    eng = open_database(any_db)
    yield eng
    eng.dispose()


def job(profile: str = "p") -> NewJob:
    return NewJob(profile, "event", {"events": []}, utcnow(), received_at=utcnow(), max_attempts=2)


class Budget:
    """A Bitrix24 connector as far as pacing goes: how long until ``n`` requests fit."""

    def __init__(self, delay: float) -> None:
        self.delay = delay
        self.asked: list[int] = []

    def budget_delay(self, requests: int) -> float:
        self.asked.append(requests)
        return self.delay


def worker(engine: Engine, budget: Budget) -> tuple[Worker, ServiceStore]:
    store = ServiceStore(engine)
    w = Worker(SimpleNamespace(), store, ServiceConfig(instance_id="me"), Metrics(), EventBus(),  # type: ignore[arg-type]
               routes=lambda: [])
    w._sessions["p"] = SimpleNamespace(bitrix24=budget)  # type: ignore[assignment]
    return w, store


def test_jobs_arriving_during_the_budget_wait_join_the_run(engine: Engine) -> None:
    budget = Budget(0.3)
    w, store = worker(engine, budget)
    store.add_jobs([job()])
    claimed = store.claim("me", timedelta(seconds=30))
    assert claimed is not None and len(claimed[1]) == 1

    async def scenario() -> list[int]:
        async def late_events() -> None:
            await asyncio.sleep(0.1)
            await asyncio.to_thread(store.add_jobs, [job(), job(), job("q")])

        arriving = asyncio.create_task(late_events())
        extra = await w._when_budget_allows("p")
        await arriving
        return [j.id for j in extra]

    extra = asyncio.run(scenario())
    assert len(extra) == 2  # both of p's, not q's
    assert budget.asked == [RUN_REQUESTS]
    assert w.metrics.get("b24s_rate_limit_wait_seconds_total") >= 0.29


def test_no_wait_when_the_budget_allows_or_no_session_yet(engine: Engine) -> None:
    w, store = worker(engine, Budget(0.0))
    store.add_jobs([job()])
    assert store.claim("me", timedelta(seconds=30)) is not None
    store.add_jobs([job()])
    assert asyncio.run(w._when_budget_allows("p")) == []
    assert asyncio.run(w._when_budget_allows("no-session")) == []
    assert w.metrics.get("b24s_rate_limit_wait_seconds_total") == 0


def test_stopping_cuts_the_wait_short(engine: Engine) -> None:
    w, store = worker(engine, Budget(10.0))
    store.add_jobs([job()])
    assert store.claim("me", timedelta(seconds=30)) is not None

    async def scenario() -> list[object]:
        task = asyncio.create_task(w._when_budget_allows("p"))
        await asyncio.sleep(0.1)
        w._stopping.set()
        return list(await asyncio.wait_for(task, 2))

    assert asyncio.run(scenario()) == []


def run_batch(engine: Engine, jobs: list[tuple[str, dict[str, object]]]) -> tuple[list[tuple[str, object, bool]],
                                                                             ServiceStore, str]:
    """Claim and execute one batch of ``(kind, payload)`` jobs of a demo profile on a fake session; what
    the session was asked to run: (trigger, hints, reconcile)."""
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

    store = ServiceStore(engine)
    w = Worker(SimpleNamespace(), store, ServiceConfig(instance_id="me"), Metrics(), EventBus(),  # type: ignore[arg-type]
               routes=lambda: [RoutedProfile(profile, "jira-demo", "bitrix24-demo")])
    w._sessions[profile.name] = Session()  # type: ignore[assignment]
    store.add_jobs([NewJob(profile.name, kind, payload, utcnow(), received_at=utcnow() if kind == "event" else None)
                    for kind, payload in jobs])
    claimed = store.claim("me", timedelta(seconds=30))
    assert claimed is not None and [j.kind for j in claimed[1]] == [kind for kind, _ in jobs]
    asyncio.run(w._execute_batch(profile.name, claimed[1]))
    return seen, store, profile.name


def test_a_scheduled_run_with_events_coalesced_is_named_after_the_schedule(engine: Engine) -> None:
    """The monitor must say a full read happened, even when an event job happened to be first in line."""
    seen, store, name = run_batch(engine, [("event", {"trigger": "event", "events": []}),
                                           ("schedule", {"trigger": "schedule"})])
    assert seen == [("schedule (+1 coalesced)", None, False)]  # a full read: no hints
    assert [r["status"] for r in store.jobs(profile=name)] == ["done", "done"]


def test_a_reconcile_job_behind_an_event_job_still_reconciles(engine: Engine) -> None:
    seen, _, _ = run_batch(engine, [("event", {"trigger": "event", "events": []}),
                                    ("manual", {"trigger": "reconcile", "reconcile": True})])
    assert seen == [("reconcile (+1 coalesced)", None, True)]
