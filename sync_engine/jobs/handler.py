"""What a kind of job does: a :class:`JobHandler`, given a :class:`JobBatch` of one lane's due jobs.

The worker claims a lane with every due job of the kinds it has handlers for, groups them by kind and
hands each group to its handler. The handler says how each job ended (``done``, ``retry``, ``fail``,
``cancel``); jobs it says nothing about are done when it returns, and retried (with backoff, counting
the attempt) when it raises. Remote side effects go through :meth:`JobBatch.effect`, so a job run again
after a crash does not repeat them.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any, TypeVar

from sync_engine.jobs.effects import EffectLog
from sync_engine.jobs.store import JobStore, Outcome
from sync_engine.jobs.types import Claim, JobRow

R = TypeVar("R", bound=Mapping[str, Any])


class JobHandler:
    """Base of every handler: ``kind`` names the jobs it runs; :meth:`run` runs a batch of them."""

    kind: str = ""

    async def run(self, batch: JobBatch) -> None:
        raise NotImplementedError

    async def taken_over(self, claim: Claim) -> None:
        """The lane's previous holder died holding it (its lease ran out): tidy up what it left behind."""

    async def before_batch(self, batch: JobBatch) -> None:
        """Called before :meth:`run` while the lane is held (e.g. to wait for a rate budget, then take more)."""

    async def close(self) -> None:
        """The worker stops: release what the handler keeps open."""


class JobBatch:
    def __init__(self, store: JobStore, effects: EffectLog, owner: str, claim: Claim, jobs: list[JobRow],
                 lease: timedelta, stopping: asyncio.Event) -> None:
        self.store = store
        self.effects = effects
        self.owner = owner
        self.claim = claim
        self.lane = claim.lane
        self.jobs = list(jobs)
        self.lease = lease
        self.lost = asyncio.Event()  # the lease was lost (expired and taken over): stop writing soon
        self.stopping = stopping  # the worker is shutting down
        self._outcomes: dict[int, Outcome] = {}

    @property
    def kind(self) -> str:
        return self.jobs[0].kind if self.jobs else ""

    def now(self) -> datetime:
        return self.store.now()

    # -- outcomes ----------------------------------------------------------------------------------------
    def _set(self, jobs: Iterable[JobRow], status: str, result: Mapping[str, Any] | None, error: str | None) -> None:
        for job in jobs:
            self._outcomes[job.id] = Outcome([job.id], status, result, error)

    def done(self, jobs: Iterable[JobRow], result: Mapping[str, Any] | None = None) -> None:
        self._set(jobs, "done", result, None)

    def retry(self, jobs: Iterable[JobRow], error: str, result: Mapping[str, Any] | None = None) -> None:
        self._set(jobs, "retry", result, error)

    def fail(self, jobs: Iterable[JobRow], error: str, result: Mapping[str, Any] | None = None) -> None:
        self._set(jobs, "failed", result, error)

    def cancel(self, jobs: Iterable[JobRow], reason: str) -> None:
        self._set(jobs, "cancelled", None, reason)

    def unsettled(self) -> list[JobRow]:
        return [j for j in self.jobs if j.id not in self._outcomes]

    def outcomes(self) -> list[Outcome]:
        return list(self._outcomes.values())

    # -- while running -----------------------------------------------------------------------------------
    async def take_more(self) -> list[JobRow]:
        """Jobs of this lane and kind that fell due since the claim; they join the batch."""
        more = await asyncio.to_thread(self.store.claim_more, self.owner, self.lane, self.lease, kinds=[self.kind])
        self.jobs += more
        return more

    async def effect(self, key: str, perform: Callable[[], Awaitable[R]], *,
                     find: Callable[[], Awaitable[R | None]] | None = None, job: JobRow | None = None,
                     not_performed: Callable[[BaseException], bool] | None = None) -> R:
        """A remote side effect done once however often this job runs (see :mod:`sync_engine.jobs.effects`)."""
        return await self.effects.once(key, self.lane, perform, find=find, job_id=job.id if job else None,
                                       not_performed=not_performed)

    def payloads(self) -> Sequence[Mapping[str, Any]]:
        return [j.payload for j in self.jobs]
