"""The durable queue in the application database: jobs, lane leases and generations.

Every state change is one short transaction, so a process killed at any instant leaves rows another
instance (or the next start) can pick up. On PostgreSQL, rows are claimed with ``FOR UPDATE SKIP
LOCKED``: several instances poll the same tables and never take the same row; a lane is only run by
the instance holding its lease row, and a lease that was not renewed in time (the holder died) may be
taken over together with the jobs it held. On SQLite the same statements run without row locks
(SQLAlchemy renders no ``FOR UPDATE`` there) and ``BEGIN IMMEDIATE`` serialises writers, which is right
for the one instance SQLite supports.

Delivery is at least once: a job whose holder died runs again. Handlers make their effects idempotent
(an effect key stored before the remote call, :mod:`sync_engine.jobs.effects`).
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, cast

from sqlalchemy import Connection, Engine, Table, and_, exists, func, insert, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite

from models.db import write_transaction
from models.jobs import Job, JobLane
from sync_engine.clock import Clock, SystemClock
from sync_engine.jobs.types import OPEN_STATUSES, Claim, JobRow, JobStatus, NewJob, retry_backoff

JOBS = cast(Table, Job.__table__)
LANES = cast(Table, JobLane.__table__)
ERROR_LEN = 4000


@dataclass(frozen=True)
class Outcome:
    """How some jobs of a claimed batch ended: ``done`` (with a result), ``retry`` (back to pending with
    backoff, failed for good once out of attempts), ``failed`` or ``cancelled`` (with the reason)."""

    job_ids: Sequence[int]
    status: str
    result: Mapping[str, Any] | None = None
    error: str | None = None

    def __post_init__(self) -> None:
        if self.status not in ("done", "retry", "failed", "cancelled"):
            raise ValueError(f"an outcome is done, retry, failed or cancelled, not {self.status!r}")


def _aware(value: Any) -> datetime | None:
    if value is None:
        return None
    if isinstance(value, str):  # SQLite hands aggregates back as text, without the column type
        value = datetime.fromisoformat(value)
    return value if value.tzinfo else value.replace(tzinfo=UTC)


class JobStore:
    def __init__(self, engine: Engine, clock: Clock | None = None,
                 backoff: Callable[[int], timedelta] = retry_backoff) -> None:
        self.engine = engine
        self.clock = clock or SystemClock()
        self.backoff = backoff

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    def write_tx(self) -> AbstractContextManager[Connection]:
        return write_transaction(self.engine)

    def now(self) -> datetime:
        return self.clock.now()

    def insert_ignore(self, table: Table, key: Sequence[str]) -> Any:
        """INSERT ... ON CONFLICT DO NOTHING, the same on both backends."""
        if self.dialect == "postgresql":
            return postgresql.insert(table).on_conflict_do_nothing(index_elements=list(key))
        return sqlite.insert(table).on_conflict_do_nothing(index_elements=list(key))

    # -- lanes and generations ------------------------------------------------------------------------
    def ensure_lanes(self, conn: Connection, lanes: Iterable[str]) -> dict[str, int]:
        """Create missing lane rows; the current generation of each."""
        names = sorted(set(lanes))
        for lane in names:
            conn.execute(self.insert_ignore(LANES, ["lane"]).values(lane=lane, generation=0))
        if not names:
            return {}
        rows = conn.execute(select(LANES.c.lane, LANES.c.generation).where(LANES.c.lane.in_(names)))
        return {str(r.lane): int(r.generation) for r in rows}

    def generation(self, lane: str) -> int:
        with self.engine.connect() as conn:
            value = conn.execute(select(LANES.c.generation).where(LANES.c.lane == lane)).scalar()
        return int(value or 0)

    def bump_generation(self, lane: str, conn: Connection | None = None) -> int:
        """Make every job and timer added to ``lane`` so far stale (cancelled when claimed or due)."""
        if conn is None:
            with self.write_tx() as own:
                return self.bump_generation(lane, own)
        self.ensure_lanes(conn, [lane])
        conn.execute(update(LANES).where(LANES.c.lane == lane).values(generation=LANES.c.generation + 1))
        return int(conn.execute(select(LANES.c.generation).where(LANES.c.lane == lane)).scalar_one())

    # -- adding -----------------------------------------------------------------------------------------
    def add(self, jobs: Sequence[NewJob], conn: Connection | None = None) -> list[int]:
        """Queue jobs (stamped with their lane's generation); their ids, in order."""
        if conn is None:
            with self.write_tx() as own:
                return self.add(jobs, own)
        now = self.now()
        generations = self.ensure_lanes(conn, (j.lane for j in jobs))
        ids: list[int] = []
        for j in jobs:
            pk = conn.execute(insert(JOBS).values(
                kind=j.kind, lane=j.lane, origin=j.origin[:32], status=JobStatus.PENDING.value,
                due_at=j.due_at or now, attempts=0, max_attempts=j.max_attempts, generation=generations[j.lane],
                payload=dict(j.payload), received_at=j.received_at, created_at=now, updated_at=now,
            )).inserted_primary_key
            assert pk is not None
            ids.append(int(pk[0]))
        return ids

    # -- claiming ---------------------------------------------------------------------------------------
    def _claimable(self, now: datetime, kinds: Collection[str] | None) -> Any:
        due = or_(
            and_(JOBS.c.status == JobStatus.PENDING.value, JOBS.c.due_at <= now),
            and_(JOBS.c.status == JobStatus.RUNNING.value, JOBS.c.lease_until < now),
        )
        return due if kinds is None else and_(due, JOBS.c.kind.in_(sorted(kinds)))

    def claim(self, owner: str, lease: timedelta, *, kinds: Collection[str] | None = None,
              limit: int = 1000) -> Claim | None:
        """Lease one lane whose lease is free (or expired) with every due job of it (of ``kinds``).

        The lane row is locked with SKIP LOCKED, so two instances polling at once pick different lanes;
        jobs left "running" under an expired lease belong to a dead instance and come along.
        """
        now = self.now()
        claimable = self._claimable(now, kinds)
        has_jobs = exists().where(JOBS.c.lane == LANES.c.lane, claimable)
        earliest = select(func.min(JOBS.c.due_at)).where(JOBS.c.lane == LANES.c.lane, claimable).scalar_subquery()
        with self.write_tx() as conn:
            row = conn.execute(
                select(LANES.c.lane, LANES.c.owner, LANES.c.lease_until, LANES.c.generation)
                .where(or_(LANES.c.owner.is_(None), LANES.c.lease_until < now), has_jobs)
                .order_by(earliest).limit(1).with_for_update(skip_locked=True)
            ).first()
            if row is None:
                return None
            lane = str(row.lane)
            until = now + lease
            conn.execute(update(LANES).where(LANES.c.lane == lane).values(owner=owner, lease_until=until))
            jobs = self._take(conn, lane, owner, now, until, int(row.generation), kinds, limit)
            # An owner still set on a free-to-claim lane means its lease ran out while it held it: it died.
            previous = str(row.owner) if row.owner is not None else None
            return Claim(lane, jobs, until, previous, _aware(row.lease_until) if previous else None)

    def claim_more(self, owner: str, lane: str, lease: timedelta, *, kinds: Collection[str] | None = None,
                   limit: int = 1000) -> list[JobRow]:
        """Jobs of a lane ``owner`` holds that fell due since it was claimed (they join the batch about to
        run); none when the lease is no longer ours."""
        now = self.now()
        with self.write_tx() as conn:
            held = conn.execute(select(LANES.c.generation).where(
                LANES.c.lane == lane, LANES.c.owner == owner, LANES.c.lease_until >= now)).first()
            if held is None:
                return []
            return self._take(conn, lane, owner, now, now + lease, int(held.generation), kinds, limit)

    def _take(self, conn: Connection, lane: str, owner: str, now: datetime, until: datetime, generation: int,
              kinds: Collection[str] | None, limit: int) -> list[JobRow]:
        rows = conn.execute(
            select(JOBS).where(JOBS.c.lane == lane, self._claimable(now, kinds)).order_by(JOBS.c.id)
            .limit(limit).with_for_update(skip_locked=True)
        ).all()
        stale = [r.id for r in rows if r.generation < generation]
        if stale:
            conn.execute(update(JOBS).where(JOBS.c.id.in_(stale)).values(
                status=JobStatus.CANCELLED.value, finished_at=now, owner=None, lease_until=None, updated_at=now,
                last_error=f"superseded: lane {lane} moved on to generation {generation}"))
        live = [r for r in rows if r.generation >= generation]
        if live:
            conn.execute(update(JOBS).where(JOBS.c.id.in_([r.id for r in live])).values(
                status=JobStatus.RUNNING.value, owner=owner, lease_until=until, attempts=JOBS.c.attempts + 1,
                updated_at=now))
        return [JobRow(r.id, r.kind, r.lane, r.origin, r.attempts + 1, r.max_attempts, r.generation,
                       r.payload or {}, _aware(r.received_at)) for r in live]

    def renew(self, owner: str, lane: str, job_ids: Sequence[int], lease: timedelta) -> bool:
        """Extend a held lease; False when it was lost (expired and taken over): stop and let go."""
        until = self.now() + lease
        with self.write_tx() as conn:
            done = conn.execute(update(LANES).where(LANES.c.lane == lane, LANES.c.owner == owner)
                                .values(lease_until=until))
            if not done.rowcount:
                return False
            if job_ids:
                conn.execute(update(JOBS).where(JOBS.c.id.in_(list(job_ids)), JOBS.c.owner == owner)
                             .values(lease_until=until))
            return True

    # -- closing ----------------------------------------------------------------------------------------
    def close(self, owner: str, lane: str, outcomes: Sequence[Outcome], *, release: bool = True) -> None:
        """Record how jobs ended and (``release``) let go of the lane, in one transaction."""
        now = self.now()
        with self.write_tx() as conn:
            for o in outcomes:
                ids = list(o.job_ids)
                if not ids:
                    continue
                mine = and_(JOBS.c.id.in_(ids), JOBS.c.owner == owner)
                error = o.error[:ERROR_LEN] if o.error else None
                result = dict(o.result) if o.result is not None else None
                if o.status == "retry":
                    for r in conn.execute(select(JOBS.c.id, JOBS.c.attempts, JOBS.c.max_attempts).where(mine)):
                        final = r.attempts >= r.max_attempts
                        conn.execute(update(JOBS).where(JOBS.c.id == r.id).values(
                            status=JobStatus.FAILED.value if final else JobStatus.PENDING.value,
                            due_at=now + self.backoff(r.attempts), last_error=error, result=result, owner=None,
                            lease_until=None, updated_at=now, finished_at=now if final else None))
                else:
                    status = {"done": JobStatus.DONE, "failed": JobStatus.FAILED,
                              "cancelled": JobStatus.CANCELLED}[o.status].value
                    conn.execute(update(JOBS).where(mine).values(
                        status=status, finished_at=now, result=result, last_error=error, owner=None,
                        lease_until=None, updated_at=now))
            if release:
                conn.execute(update(LANES).where(LANES.c.lane == lane, LANES.c.owner == owner)
                             .values(owner=None, lease_until=None))

    def release(self, owner: str, lane: str, job_ids: Sequence[int]) -> None:
        """Give jobs back untouched (shutdown before they ran): the attempt does not count."""
        now = self.now()
        with self.write_tx() as conn:
            if job_ids:
                conn.execute(update(JOBS).where(JOBS.c.id.in_(list(job_ids)), JOBS.c.owner == owner).values(
                    status=JobStatus.PENDING.value, owner=None, lease_until=None, attempts=JOBS.c.attempts - 1,
                    updated_at=now))
            conn.execute(update(LANES).where(LANES.c.lane == lane, LANES.c.owner == owner)
                         .values(owner=None, lease_until=None))

    def release_all(self, owner: str) -> None:
        now = self.now()
        with self.write_tx() as conn:
            conn.execute(update(JOBS).where(JOBS.c.owner == owner, JOBS.c.status == JobStatus.RUNNING.value).values(
                status=JobStatus.PENDING.value, owner=None, lease_until=None, updated_at=now))
            conn.execute(update(LANES).where(LANES.c.owner == owner).values(owner=None, lease_until=None))

    def cancel(self, lane: str, *, kinds: Collection[str] | None = None, reason: str = "cancelled",
               conn: Connection | None = None) -> int:
        """Cancel the lane's pending jobs (of ``kinds``); running ones finish. How many were cancelled."""
        if conn is None:
            with self.write_tx() as own:
                return self.cancel(lane, kinds=kinds, reason=reason, conn=own)
        now = self.now()
        where: Any = and_(JOBS.c.lane == lane, JOBS.c.status == JobStatus.PENDING.value)
        if kinds is not None:
            where = and_(where, JOBS.c.kind.in_(sorted(kinds)))
        done = conn.execute(update(JOBS).where(where).values(
            status=JobStatus.CANCELLED.value, finished_at=now, last_error=reason[:ERROR_LEN], updated_at=now))
        return int(done.rowcount or 0)

    # -- reading ----------------------------------------------------------------------------------------
    def queue_depth(self, kinds: Collection[str] | None = None) -> int:
        where: Any = JOBS.c.status.in_(OPEN_STATUSES)
        if kinds is not None:
            where = and_(where, JOBS.c.kind.in_(sorted(kinds)))
        with self.engine.connect() as conn:
            return int(conn.execute(select(func.count()).select_from(JOBS).where(where)).scalar_one())

    def oldest_waiting(self) -> datetime | None:
        """When the oldest event still waiting for its job arrived (the lag the benchmark watches)."""
        with self.engine.connect() as conn:
            value = conn.execute(select(func.min(func.coalesce(JOBS.c.received_at, JOBS.c.due_at)))
                                 .where(JOBS.c.status.in_(OPEN_STATUSES))).scalar()
        return _aware(value)

    def list(self, *, status: str | None = None, lane: str | None = None, kind: str | None = None,
             limit: int = 50, before_id: int | None = None) -> list[dict[str, Any]]:
        """Newest first; ``before_id`` continues a page (keyset paging)."""
        stmt = select(JOBS).order_by(JOBS.c.id.desc()).limit(limit)
        if status:
            stmt = stmt.where(JOBS.c.status == status)
        if lane:
            stmt = stmt.where(JOBS.c.lane == lane)
        if kind:
            stmt = stmt.where(JOBS.c.kind == kind)
        if before_id:
            stmt = stmt.where(JOBS.c.id < before_id)
        with self.engine.connect() as conn:
            return [dict(r._mapping) for r in conn.execute(stmt)]

    def get(self, job_id: int) -> dict[str, Any] | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(JOBS).where(JOBS.c.id == job_id)).first()
        return dict(row._mapping) if row is not None else None
