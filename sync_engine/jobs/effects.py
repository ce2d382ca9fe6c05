"""Effects that happen once however often a job runs: the key is stored before the remote call.

The queue delivers a job at least once (its holder may die after the remote call and before the job is
marked done). So a handler that posts a notification, opens a task or writes a deal field wraps the
call in :meth:`EffectLog.once` with a key naming the effect (``deal-protection:4711:gen3:reminder-85``):

1. the key is committed as ``pending`` before the call;
2. after the call, as ``done`` with what the remote answered;
3. a later attempt that finds ``done`` returns the stored answer without calling; one that finds
   ``pending`` cannot know whether the call happened, so it asks the remote (``find``: look the effect
   up by a marker the call left there, e.g. a notification tag or a stamp in a task's title) and calls
   again only when the remote has no trace. Without ``find`` such an effect is reported, never repeated.

This is the sync engine's intent-then-stamp pattern (``sync_intents``) for every other kind of job.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar, cast

from sqlalchemy import Table, select, update

from models.jobs import JobEffect
from sync_engine.jobs.store import JobStore
from sync_engine.jobs.types import check_name

EFFECTS = cast(Table, JobEffect.__table__)
MAX_KEY = 300
R = TypeVar("R", bound=Mapping[str, Any])


class EffectUncertain(Exception):
    """An earlier attempt may have performed this effect and nothing can tell: it is not repeated."""

    def __init__(self, key: str) -> None:
        super().__init__(f"effect {key!r} was started by an earlier attempt that did not finish, and it cannot "
                         "be checked on the remote system; it is not repeated (check by hand, then clear it)")
        self.key = key


@dataclass(frozen=True)
class EffectState:
    key: str
    status: str  # pending, done
    attempts: int
    result: Mapping[str, Any] | None


class EffectLog:
    def __init__(self, jobs: JobStore) -> None:
        self.jobs = jobs

    def get(self, key: str) -> EffectState | None:
        with self.jobs.engine.connect() as conn:
            row = conn.execute(select(EFFECTS).where(EFFECTS.c.key == key)).first()
        return None if row is None else EffectState(row.key, row.status, int(row.attempts), row.result)

    def begin(self, key: str, lane: str, job_id: int | None = None) -> tuple[EffectState, bool]:
        """Record the intent (committed); returns the state and whether an earlier attempt began it."""
        check_name("an effect key", key, MAX_KEY)
        now = self.jobs.now()
        with self.jobs.write_tx() as conn:
            inserted = conn.execute(self.jobs.insert_ignore(EFFECTS, ["key"]).values(
                key=key, lane=lane, job_id=job_id, status="pending", attempts=1, created_at=now, updated_at=now,
            ).returning(EFFECTS.c.key)).first()
            if inserted is not None:
                return EffectState(key, "pending", 1, None), False
            row = conn.execute(select(EFFECTS).where(EFFECTS.c.key == key)).one()
            if row.status == "pending":
                conn.execute(update(EFFECTS).where(EFFECTS.c.key == key).values(
                    attempts=EFFECTS.c.attempts + 1, job_id=job_id, updated_at=now))
            return EffectState(row.key, row.status, int(row.attempts) + 1, row.result), True

    def complete(self, key: str, result: Mapping[str, Any]) -> None:
        value = json.loads(json.dumps(dict(result), default=str))
        with self.jobs.write_tx() as conn:
            conn.execute(update(EFFECTS).where(EFFECTS.c.key == key).values(
                status="done", result=value, updated_at=self.jobs.now()))

    def forget(self, key: str) -> None:
        """Drop a pending intent a person checked by hand (the effect did not happen), so it may run again."""
        from sqlalchemy import delete

        with self.jobs.write_tx() as conn:
            conn.execute(delete(EFFECTS).where(EFFECTS.c.key == key, EFFECTS.c.status == "pending"))

    async def once(self, key: str, lane: str, perform: Callable[[], Awaitable[R]], *,
                   find: Callable[[], Awaitable[R | None]] | None = None, job_id: int | None = None,
                   not_performed: Callable[[BaseException], bool] | None = None) -> R:
        """Perform the effect named ``key`` at most once in effect; its (stored) result.

        ``not_performed(exc)`` says a failure of ``perform`` certainly left nothing behind (the remote
        refused the request): the intent is then dropped, so the next attempt simply tries again.
        """
        state, again = await asyncio.to_thread(self.begin, key, lane, job_id)
        if state.status == "done":
            return cast(R, dict(state.result or {}))
        if again:
            if find is None:
                raise EffectUncertain(key)
            found = await find()
            if found is not None:
                await asyncio.to_thread(self.complete, key, found)
                return found
        try:
            result = await perform()
        except BaseException as exc:
            if not_performed is not None and not_performed(exc):
                await asyncio.to_thread(self.forget, key)
            raise
        await asyncio.to_thread(self.complete, key, result)
        return result
