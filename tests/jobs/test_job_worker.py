"""The worker loop with handlers of two kinds: dispatch by kind, outcomes, crashes, timers, shutdown."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

from sqlalchemy import Engine

from sync_engine.jobs import JobBatch, JobHandler, JobStore, JobWorker, NewJob, TimerStore


class Recorder(JobHandler):
    def __init__(self, kind: str, *, crash: bool = False, hold: asyncio.Event | None = None) -> None:
        self.kind = kind
        self.batches: list[list[dict[str, Any]]] = []
        self.crash = crash
        self.hold = hold
        self.started = asyncio.Event()

    async def run(self, batch: JobBatch) -> None:
        self.started.set()
        self.batches.append([dict(j.payload) for j in batch.jobs])
        if self.hold is not None:
            await self.hold.wait()
        if self.crash:
            raise RuntimeError("handler bug")
        for job in batch.jobs:
            if job.payload.get("bad"):
                batch.fail([job], "this record is broken")


async def _drain(worker: JobWorker) -> None:
    while await worker.run_once():
        pass


def test_jobs_go_to_the_handler_of_their_kind_and_bad_ones_fail_alone(engine: Engine) -> None:
    store = JobStore(engine)
    sync, probe = Recorder("sync"), Recorder("test.probe")
    store.add([NewJob("sync", "deals", {"n": 1}), NewJob("sync", "deals", {"n": 2, "bad": True}),
               NewJob("test.probe", "probe:1", {"n": 3})])
    worker = JobWorker(store, [sync, probe], owner="w1")
    asyncio.run(_drain(worker))
    assert sync.batches == [[{"n": 1}, {"n": 2, "bad": True}]]  # one lane's due jobs, one batch
    assert probe.batches == [[{"n": 3}]]
    status = {r["payload"]["n"]: (r["status"], r["last_error"]) for r in store.list()}
    assert status == {1: ("done", None), 2: ("failed", "this record is broken"), 3: ("done", None)}


def test_a_crashing_handler_gets_its_jobs_retried_and_the_slot_survives(engine: Engine) -> None:
    store = JobStore(engine)
    store.add([NewJob("sync", "deals", {"n": 1}, max_attempts=3)])
    worker = JobWorker(store, [Recorder("sync", crash=True)], owner="w1")
    asyncio.run(_drain(worker))
    (row,) = store.list()
    assert row["status"] == "pending" and row["attempts"] == 1 and "RuntimeError: handler bug" in row["last_error"]


def test_jobs_without_a_handler_here_wait_for_a_worker_that_has_one(engine: Engine) -> None:
    store = JobStore(engine)
    store.add([NewJob("report.build", "reports:weekly")])
    asyncio.run(_drain(JobWorker(store, [Recorder("sync")], owner="w1")))
    assert store.list()[0]["status"] == "pending"


def test_a_due_timer_runs_as_a_job_through_the_same_queue(engine: Engine) -> None:
    store = JobStore(engine)
    TimerStore(store).add_once("once:probe", "probe:t", "test.probe", store.now() - timedelta(seconds=1), {"n": 9})
    probe = Recorder("test.probe")
    worker = JobWorker(store, [probe], owner="w1")

    async def go() -> None:
        fired = await worker.fire_timers()
        assert [t.name for t in fired] == ["once:probe"]
        await _drain(worker)

    asyncio.run(go())
    assert probe.batches == [[{"timer": "once:probe", "n": 9}]]
    assert store.list()[0]["origin"] == "timer"


def test_stopping_hands_running_jobs_back_without_counting_the_attempt(engine: Engine) -> None:
    store = JobStore(engine)
    store.add([NewJob("sync", "deals", {"n": 1})])

    async def go() -> None:
        hold = asyncio.Event()
        slow = Recorder("sync", hold=hold)
        worker = JobWorker(store, [slow], owner="w1", poll_seconds=0.05)
        worker.start()
        await asyncio.wait_for(slow.started.wait(), 10)
        assert worker.running == 1
        await worker.stop(grace_seconds=0.1)

    asyncio.run(go())
    (row,) = store.list()
    assert row["status"] == "pending" and row["attempts"] == 0 and row["owner"] is None
