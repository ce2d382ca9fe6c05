"""The queue's work loops: fire due timers, claim lanes, run their jobs through the handler of each kind.

Every decision goes through the database (:class:`JobStore`), never through memory only, so what one
instance accepted another can run, and nothing is lost between a crash and the next start. A lane is
held by a lease renewed every third of its length while its jobs run; on shutdown, jobs still running
after the grace period are handed back without counting the attempt.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import defaultdict
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any, Protocol

from sync_engine.jobs.effects import EffectLog
from sync_engine.jobs.handler import JobBatch, JobHandler
from sync_engine.jobs.store import JobStore, Outcome
from sync_engine.jobs.timers import Rearm, TimerStore
from sync_engine.jobs.types import Claim, FiredTimer, JobRow

log = logging.getLogger(__name__)


class JobObserver(Protocol):
    """Told what the queue does (the service turns it into metrics, logs and its event stream)."""

    def timer_fired(self, timer: FiredTimer) -> None: ...
    def batch_finished(self, batch: JobBatch, error: str | None) -> None: ...


class _Quiet:
    def timer_fired(self, timer: FiredTimer) -> None:
        log.info("timer %s fired (%s in lane %s)", timer.name, timer.job_kind, timer.lane)

    def batch_finished(self, batch: JobBatch, error: str | None) -> None:
        if error:
            log.warning("%s jobs of lane %s ended with an error: %s", batch.kind, batch.lane, error)


class JobWorker:
    def __init__(self, store: JobStore, handlers: Sequence[JobHandler], *, owner: str, lease_seconds: float = 30.0,
                 slots: int = 2, poll_seconds: float = 0.5, rearm: Rearm | None = None,
                 observer: JobObserver | None = None, timer_poll_seconds: float = 1.0) -> None:
        kinds = [h.kind for h in handlers]
        if len(set(kinds)) != len(kinds) or not all(kinds):
            raise ValueError(f"every handler needs its own kind, got {kinds}")
        self.store = store
        self.timers = TimerStore(store)
        self.effects = EffectLog(store)
        self.handlers = {h.kind: h for h in handlers}
        self.owner = owner
        self.lease = timedelta(seconds=lease_seconds)
        self.slots = slots
        self.poll_seconds = poll_seconds
        self.timer_poll_seconds = timer_poll_seconds
        self.rearm = rearm
        self.observer: JobObserver = observer or _Quiet()
        self.wake_event = asyncio.Event()
        self._stopping = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []
        self._slots: list[asyncio.Task[None]] = []
        self.running = 0  # batches running now

    # -- lifecycle --------------------------------------------------------------------------------------
    def start(self) -> None:
        if self.slots <= 0:
            return
        self._tasks.append(asyncio.create_task(self._timer_loop(), name="jobs-timers"))
        for n in range(self.slots):
            self._slots.append(asyncio.create_task(self._slot_loop(), name=f"jobs-slot-{n}"))

    def wake(self) -> None:
        self.wake_event.set()

    async def stop(self, grace_seconds: float) -> None:
        """Stop taking work; let running batches end within ``grace_seconds``, then cancel and hand them back."""
        self._stopping.set()
        self.wake_event.set()
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._slots:
            _, pending = await asyncio.wait(self._slots, timeout=max(grace_seconds, 0.01))
            for task in pending:
                task.cancel()
            await asyncio.gather(*self._slots, return_exceptions=True)
        await asyncio.to_thread(self.store.release_all, self.owner)
        for handler in self.handlers.values():
            with contextlib.suppress(Exception):
                await handler.close()

    @property
    def stopping(self) -> bool:
        return self._stopping.is_set()

    async def _nap(self, seconds: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.wake_event.wait(), seconds)
        self.wake_event.clear()

    # -- timers -----------------------------------------------------------------------------------------
    async def fire_timers(self) -> list[FiredTimer]:
        rearm = self.rearm or _no_schedules
        fired = await asyncio.to_thread(self.timers.fire_due, rearm)
        for t in fired:
            self.observer.timer_fired(t)
        if fired:
            self.wake_event.set()
        return fired

    async def _timer_loop(self) -> None:
        while not self._stopping.is_set():
            try:
                await self.fire_timers()
            except Exception:
                log.exception("firing timers failed")
            await asyncio.sleep(self.timer_poll_seconds)

    # -- running ----------------------------------------------------------------------------------------
    async def _slot_loop(self) -> None:
        while not self._stopping.is_set():
            try:
                worked = await self.run_once()
            except Exception:
                log.exception("claiming jobs failed")
                worked = False
            if not worked:
                await self._nap(self.poll_seconds)

    async def run_once(self) -> bool:
        """Claim one lane and run its due jobs; False when nothing was due."""
        claim = await asyncio.to_thread(self.store.claim, self.owner, self.lease, kinds=list(self.handlers))
        if claim is None:
            return False
        await self._run_claim(claim)
        return True

    async def _run_claim(self, claim: Claim) -> None:
        if claim.taken_over_from is not None:
            for kind in sorted({j.kind for j in claim.jobs}):
                try:
                    await self.handlers[kind].taken_over(claim)
                except Exception:
                    log.exception("tidying up after %s in lane %s failed", claim.taken_over_from, claim.lane)
        groups: dict[str, list[JobRow]] = defaultdict(list)
        for job in claim.jobs:
            groups[job.kind].append(job)
        held: list[int] = [j.id for j in claim.jobs]
        lost = asyncio.Event()
        beat = asyncio.create_task(self._heartbeat(claim.lane, held, lost))
        self.running += 1
        try:
            outcomes: list[Outcome] = []
            for kind, jobs in groups.items():
                batch = JobBatch(self.store, self.effects, self.owner, claim, jobs, self.lease, self._stopping)
                batch.lost = lost
                outcomes += await self._run_batch(self.handlers[kind], batch, held)
            await asyncio.to_thread(self.store.close, self.owner, claim.lane, outcomes)
        except asyncio.CancelledError:
            await asyncio.shield(asyncio.to_thread(self.store.release, self.owner, claim.lane, held))
            raise
        finally:
            self.running -= 1
            beat.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await beat
            if lost.is_set():
                log.warning("lost the lease of lane %s while running its jobs", claim.lane)

    async def _run_batch(self, handler: JobHandler, batch: JobBatch, held: list[int]) -> list[Outcome]:
        error: str | None = None
        try:
            before = len(batch.jobs)
            await handler.before_batch(batch)
            held += [j.id for j in batch.jobs[before:]]
            before = len(batch.jobs)
            await handler.run(batch)
            held += [j.id for j in batch.jobs[before:]]
            batch.done(batch.unsettled())
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # a bug must not kill the slot; the jobs are retried with backoff
            log.exception("%s jobs of lane %s crashed", handler.kind, batch.lane)
            error = f"internal error: {type(exc).__name__}: {str(exc)[:300]}"
            batch.retry(batch.unsettled(), error)
        self.observer.batch_finished(batch, error)
        return batch.outcomes()

    async def _heartbeat(self, lane: str, job_ids: list[int], lost: asyncio.Event) -> None:
        while True:
            await asyncio.sleep(self.lease.total_seconds() / 3)
            ok = await asyncio.to_thread(self.store.renew, self.owner, lane, list(job_ids), self.lease)
            if not ok:
                lost.set()
                return


def _no_schedules(spec: Mapping[str, Any], fired_at: datetime) -> datetime:
    raise ValueError("a schedule timer fired but this worker was given no rearm function")
