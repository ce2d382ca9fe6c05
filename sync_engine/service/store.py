"""The service's durable queue in the application database: inbox, jobs, profile leases and timers.

Every state change is one short transaction, so a process killed at any instant leaves rows another
instance (or the next start) can pick up. On PostgreSQL, rows are claimed with ``FOR UPDATE SKIP
LOCKED``: several instances poll the same tables and never take the same row; a profile is only run
by the instance holding its lease row, and a lease that was not renewed in time (the holder died)
may be taken over together with the jobs it held. On SQLite the same statements run without row
locks (SQLAlchemy renders no ``FOR UPDATE`` there) and SQLite's single writer serialises them,
which is right for the one instance SQLite supports.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, cast

from sqlalchemy import Connection, Engine, Table, and_, delete, exists, func, insert, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite

from models.db import write_transaction
from models.runs import SyncRun
from models.service import (
    ServiceInbox,
    ServiceJob,
    ServiceProfileLease,
    ServiceSecretRef,
    ServiceTimer,
)

INBOX = cast(Table, ServiceInbox.__table__)
JOBS = cast(Table, ServiceJob.__table__)
LEASES = cast(Table, ServiceProfileLease.__table__)
TIMERS = cast(Table, ServiceTimer.__table__)
SECRET_REFS = cast(Table, ServiceSecretRef.__table__)
RUNS = cast(Table, SyncRun.__table__)


def utcnow() -> datetime:
    return datetime.now(UTC)


def retry_backoff(attempts: int, base: float = 5.0, cap: float = 600.0) -> timedelta:
    """5 s, 10 s, 20 s ... capped at 10 minutes: a remote outage is not hammered, a blip costs seconds."""
    return timedelta(seconds=min(cap, base * 2 ** max(0, attempts - 1)))


@dataclass(frozen=True)
class InboxRow:
    id: int
    connection: str
    system: str
    event: str
    received_at: datetime
    payload: Mapping[str, Any]


@dataclass(frozen=True)
class JobRow:
    id: int
    profile: str
    kind: str
    attempts: int
    max_attempts: int
    payload: Mapping[str, Any]
    received_at: datetime | None


@dataclass(frozen=True)
class NewJob:
    profile: str
    kind: str
    payload: Mapping[str, Any]
    due_at: datetime
    received_at: datetime | None = None
    max_attempts: int = 5


@dataclass(frozen=True)
class FiredTimer:
    name: str
    profile: str
    kind: str
    spec: Mapping[str, Any]
    due_at: datetime


class ServiceStore:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    def write_tx(self) -> AbstractContextManager[Connection]:
        return write_transaction(self.engine)

    def _insert_ignore(self, table: Table, key: Sequence[str]) -> Any:
        """INSERT ... ON CONFLICT DO NOTHING, the same on both backends."""
        if self.dialect == "postgresql":
            return postgresql.insert(table).on_conflict_do_nothing(index_elements=list(key))
        return sqlite.insert(table).on_conflict_do_nothing(index_elements=list(key))

    # -- inbox ----------------------------------------------------------------------------------------
    def inbox_add(self, connection: str, system: str, dedup_key: str, event: str, payload: Mapping[str, Any],
                  received_at: datetime | None = None) -> bool:
        """Store a delivery; False when the same delivery (by ``dedup_key``) was stored before."""
        stmt = self._insert_ignore(INBOX, ["dedup_key"]).values(
            connection=connection, system=system, dedup_key=dedup_key[:160], event=event[:100],
            received_at=received_at or utcnow(), status="new", payload=dict(payload),
        ).returning(INBOX.c.id)
        with self.write_tx() as conn:
            return conn.execute(stmt).first() is not None

    def inbox_claim(self, conn: Connection, limit: int = 200) -> list[InboxRow]:
        rows = conn.execute(
            select(INBOX).where(INBOX.c.status == "new").order_by(INBOX.c.id).limit(limit)
            .with_for_update(skip_locked=True)
        )
        return [InboxRow(r.id, r.connection, r.system, r.event, r.received_at, r.payload or {}) for r in rows]

    def inbox_mark(self, conn: Connection, ids: Iterable[int], status: str, error: str | None = None) -> None:
        ids = list(ids)
        if ids:
            conn.execute(update(INBOX).where(INBOX.c.id.in_(ids)).values(status=status, error=error))

    def inbox_counts(self) -> dict[str, int]:
        with self.engine.connect() as conn:
            rows = conn.execute(select(INBOX.c.status, func.count()).group_by(INBOX.c.status))
            return {str(s): int(n) for s, n in rows}

    # -- jobs -----------------------------------------------------------------------------------------
    def add_jobs(self, jobs: Sequence[NewJob], conn: Connection | None = None) -> list[int]:
        if conn is None:
            with self.write_tx() as own:
                return self.add_jobs(jobs, own)
        now = utcnow()
        ids: list[int] = []
        for profile in sorted({j.profile for j in jobs}):
            conn.execute(self._insert_ignore(LEASES, ["profile"]).values(profile=profile))
        for j in jobs:
            pk = conn.execute(insert(JOBS).values(
                profile=j.profile, kind=j.kind, status="pending", due_at=j.due_at, attempts=0,
                max_attempts=j.max_attempts, payload=dict(j.payload), received_at=j.received_at,
                created_at=now, updated_at=now,
            )).inserted_primary_key
            assert pk is not None
            ids.append(int(pk[0]))
        return ids

    def _claimable(self, now: datetime) -> Any:
        return or_(
            and_(JOBS.c.status == "pending", JOBS.c.due_at <= now),
            and_(JOBS.c.status == "running", JOBS.c.lease_until < now),
        )

    def claim(self, owner: str, lease: timedelta, limit: int = 1000) -> tuple[str, list[JobRow]] | None:
        """Take one profile whose lease is free (or expired) and every due job of it, as one batch.

        The lease row is locked with SKIP LOCKED, so two instances polling at once pick different
        profiles; jobs left "running" under an expired lease belong to a dead instance and come along.
        """
        now = utcnow()
        has_jobs = exists().where(JOBS.c.profile == LEASES.c.profile, self._claimable(now))
        earliest = (select(func.min(JOBS.c.due_at)).where(JOBS.c.profile == LEASES.c.profile,
                                                            self._claimable(now)).scalar_subquery())
        with self.write_tx() as conn:
            row = conn.execute(
                select(LEASES.c.profile, LEASES.c.owner, LEASES.c.lease_until)
                .where(or_(LEASES.c.owner.is_(None), LEASES.c.lease_until < now), has_jobs)
                .order_by(earliest).limit(1).with_for_update(skip_locked=True)
            ).first()
            if row is None:
                return None
            profile = str(row.profile)
            until = now + lease
            if row.owner is not None and row.lease_until is not None:
                # The previous holder died mid-run: its run row would otherwise say "running" for ever.
                conn.execute(update(RUNS).where(RUNS.c.profile == profile, RUNS.c.status == "running",
                                                RUNS.c.started_at <= row.lease_until).values(
                    status="failed", finished_at=now,
                    error=f"interrupted: service instance {row.owner} stopped before finishing this run"))
            conn.execute(update(LEASES).where(LEASES.c.profile == profile).values(owner=owner, lease_until=until))
            return profile, self._take_jobs(conn, profile, owner, now, until, limit)

    def claim_more(self, owner: str, profile: str, lease: timedelta, limit: int = 1000) -> list[JobRow]:
        """Jobs of a profile whose lease ``owner`` holds that fell due since it was claimed (they join the
        batch about to run); none when the lease is no longer ours."""
        now = utcnow()
        with self.write_tx() as conn:
            held = conn.execute(select(LEASES.c.profile).where(
                LEASES.c.profile == profile, LEASES.c.owner == owner, LEASES.c.lease_until >= now)).first()
            if held is None:
                return []
            return self._take_jobs(conn, profile, owner, now, now + lease, limit)

    def _take_jobs(self, conn: Connection, profile: str, owner: str, now: datetime, until: datetime,
                   limit: int) -> list[JobRow]:
        rows = conn.execute(
            select(JOBS).where(JOBS.c.profile == profile, self._claimable(now)).order_by(JOBS.c.id)
            .limit(limit).with_for_update(skip_locked=True)
        ).all()
        ids = [r.id for r in rows]
        if ids:
            conn.execute(update(JOBS).where(JOBS.c.id.in_(ids)).values(
                status="running", owner=owner, lease_until=until, attempts=JOBS.c.attempts + 1, updated_at=now))
        return [JobRow(r.id, r.profile, r.kind, r.attempts + 1, r.max_attempts, r.payload or {}, r.received_at)
                for r in rows]

    def renew(self, owner: str, profile: str, job_ids: Sequence[int], lease: timedelta) -> bool:
        """Extend a held lease; False when it was lost (expired and taken over): stop and let go."""
        now = utcnow()
        until = now + lease
        with self.write_tx() as conn:
            done = conn.execute(update(LEASES).where(LEASES.c.profile == profile, LEASES.c.owner == owner)
                                .values(lease_until=until))
            if not done.rowcount:
                return False
            if job_ids:
                conn.execute(update(JOBS).where(JOBS.c.id.in_(list(job_ids)), JOBS.c.owner == owner)
                             .values(lease_until=until))
            return True

    def finish(self, owner: str, profile: str, job_ids: Sequence[int], *, run_id: int | None,
               result: Mapping[str, Any] | None, error: str | None = None, retry: bool = False) -> None:
        """Close a batch: done, or back to pending with backoff (``retry``), or failed for good."""
        now = utcnow()
        ids = list(job_ids)
        with self.write_tx() as conn:
            if ids and not retry:
                conn.execute(update(JOBS).where(JOBS.c.id.in_(ids), JOBS.c.owner == owner).values(
                    status="failed" if error else "done", finished_at=now, run_id=run_id,
                    result=dict(result) if result is not None else None, last_error=error,
                    owner=None, lease_until=None, updated_at=now))
            elif ids:
                for r in conn.execute(select(JOBS.c.id, JOBS.c.attempts, JOBS.c.max_attempts)
                                      .where(JOBS.c.id.in_(ids), JOBS.c.owner == owner)):
                    final = r.attempts >= r.max_attempts
                    conn.execute(update(JOBS).where(JOBS.c.id == r.id).values(
                        status="failed" if final else "pending", due_at=now + retry_backoff(r.attempts),
                        last_error=error, run_id=run_id, owner=None, lease_until=None, updated_at=now,
                        finished_at=now if final else None))
            conn.execute(update(LEASES).where(LEASES.c.profile == profile, LEASES.c.owner == owner)
                         .values(owner=None, lease_until=None))

    def release(self, owner: str, profile: str, job_ids: Sequence[int]) -> None:
        """Give jobs back untouched (shutdown before they ran): the attempt does not count."""
        now = utcnow()
        with self.write_tx() as conn:
            if job_ids:
                conn.execute(update(JOBS).where(JOBS.c.id.in_(list(job_ids)), JOBS.c.owner == owner).values(
                    status="pending", owner=None, lease_until=None, attempts=JOBS.c.attempts - 1,
                    updated_at=now))
            conn.execute(update(LEASES).where(LEASES.c.profile == profile, LEASES.c.owner == owner)
                         .values(owner=None, lease_until=None))

    def release_all(self, owner: str) -> None:
        now = utcnow()
        with self.write_tx() as conn:
            conn.execute(update(JOBS).where(JOBS.c.owner == owner, JOBS.c.status == "running").values(
                status="pending", owner=None, lease_until=None, updated_at=now))
            conn.execute(update(LEASES).where(LEASES.c.owner == owner).values(owner=None, lease_until=None))

    def queue_depth(self) -> int:
        with self.engine.connect() as conn:
            return int(conn.execute(select(func.count()).select_from(JOBS)
                                    .where(JOBS.c.status.in_(("pending", "running")))).scalar_one())

    def oldest_waiting(self) -> datetime | None:
        """When the oldest event still waiting for its run arrived (the lag the benchmark watches)."""
        with self.engine.connect() as conn:
            value = conn.execute(select(func.min(func.coalesce(JOBS.c.received_at, JOBS.c.due_at)))
                                 .where(JOBS.c.status.in_(("pending", "running")))).scalar()
        if value is None:
            return None
        if isinstance(value, str):  # SQLite returns the aggregate as text, without the column type
            value = datetime.fromisoformat(value)
        return value if value.tzinfo else value.replace(tzinfo=UTC)

    def jobs(self, *, status: str | None = None, profile: str | None = None, limit: int = 50,
             before_id: int | None = None) -> list[dict[str, Any]]:
        stmt = select(JOBS).order_by(JOBS.c.id.desc()).limit(limit)
        if status:
            stmt = stmt.where(JOBS.c.status == status)
        if profile:
            stmt = stmt.where(JOBS.c.profile == profile)
        if before_id:
            stmt = stmt.where(JOBS.c.id < before_id)
        with self.engine.connect() as conn:
            return [dict(r._mapping) for r in conn.execute(stmt)]

    # -- timers ---------------------------------------------------------------------------------------
    def sync_schedules(self, wanted: Mapping[str, tuple[str, Mapping[str, Any], datetime]]) -> None:
        """Make the schedule timers exactly ``wanted`` (name → profile, spec, first due); keep due times
        of timers that already exist so a restart neither skips nor repeats a slot."""
        now = utcnow()
        with self.write_tx() as conn:
            existing = {r.name: r for r in conn.execute(select(TIMERS).where(TIMERS.c.kind == "schedule"))}
            for name, (profile, spec, due) in wanted.items():
                if name not in existing:
                    conn.execute(self._insert_ignore(TIMERS, ["name"]).values(
                        name=name, profile=profile, kind="schedule", spec=dict(spec), due_at=due,
                        fired_count=0, active=True, created_at=now, updated_at=now))
                elif not existing[name].active:
                    conn.execute(update(TIMERS).where(TIMERS.c.name == name).values(active=True, due_at=due,
                                                                                    updated_at=now))
            gone = [n for n, r in existing.items() if r.active and n not in wanted]
            if gone:
                conn.execute(update(TIMERS).where(TIMERS.c.name.in_(gone)).values(active=False, updated_at=now))

    def add_once(self, name: str, profile: str, due_at: datetime, spec: Mapping[str, Any]) -> bool:
        """A one-shot timer; False when one of that name exists already (creating it is idempotent)."""
        now = utcnow()
        with self.write_tx() as conn:
            done = conn.execute(self._insert_ignore(TIMERS, ["name"]).values(
                name=name, profile=profile, kind="once", spec=dict(spec), due_at=due_at, fired_count=0,
                active=True, created_at=now, updated_at=now).returning(TIMERS.c.id))
            return done.first() is not None

    def fire_due(self, rearm: Any, limit: int = 100) -> list[FiredTimer]:
        """Turn due timers into jobs, in the transaction that re-arms or retires them: exactly once.

        ``rearm(spec, fired_at) -> datetime`` gives a schedule timer's next due time.
        """
        now = utcnow()
        fired: list[FiredTimer] = []
        with self.write_tx() as conn:
            rows = conn.execute(
                select(TIMERS).where(TIMERS.c.active.is_(True), TIMERS.c.due_at <= now).order_by(TIMERS.c.due_at)
                .limit(limit).with_for_update(skip_locked=True)
            ).all()
            jobs: list[NewJob] = []
            for r in rows:
                spec = dict(r.spec or {})
                fired.append(FiredTimer(r.name, r.profile, r.kind, spec, r.due_at))
                values: dict[str, Any] = {"last_fired_at": now, "fired_count": r.fired_count + 1, "updated_at": now}
                if r.kind == "once":
                    values["active"] = False
                else:
                    values["due_at"] = rearm(spec, now)
                conn.execute(update(TIMERS).where(TIMERS.c.id == r.id).values(**values))
                payload = dict(spec.get("job") or {})
                payload.setdefault("trigger", f"{r.kind}:{r.name}")
                jobs.append(NewJob(r.profile, "timer" if r.kind == "once" else "schedule", payload, now))
            if jobs:
                self.add_jobs(jobs, conn)
        return fired

    def timers(self) -> list[dict[str, Any]]:
        with self.engine.connect() as conn:
            return [dict(r._mapping) for r in conn.execute(select(TIMERS).order_by(TIMERS.c.id))]

    # -- secret references ----------------------------------------------------------------------------
    def secret_ref(self, connection: str, purpose: str) -> str | None:
        with self.engine.connect() as conn:
            return conn.execute(select(SECRET_REFS.c.secret_ref).where(
                SECRET_REFS.c.connection == connection, SECRET_REFS.c.purpose == purpose)).scalar()

    def set_secret_ref(self, connection: str, purpose: str, ref: str) -> None:
        with self.write_tx() as conn:
            conn.execute(delete(SECRET_REFS).where(SECRET_REFS.c.connection == connection,
                                                   SECRET_REFS.c.purpose == purpose))
            conn.execute(insert(SECRET_REFS).values(connection=connection, purpose=purpose, secret_ref=ref))
