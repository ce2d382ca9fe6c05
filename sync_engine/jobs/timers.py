"""Durable timers: schedules and one-shot timers that become jobs of any kind when they fall due.

Firing is exactly once cluster-wide because a due timer is re-armed (schedule) or retired (once) in
the same transaction that inserts its job, under a row lock other instances skip. A timer added to a
lane carries the lane's generation; one whose lane moved on is retired without firing.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, cast

from sqlalchemy import Connection, Table, and_, select, update

from models.jobs import JobTimer
from sync_engine.jobs.store import JobStore
from sync_engine.jobs.types import MAX_LANE, FiredTimer, NewJob, TimerView, check_name

TIMERS = cast(Table, JobTimer.__table__)
# A schedule's next due time after it fired: (the timer's schedule spec, the instant it fired) -> next due.
Rearm = Callable[[Mapping[str, Any], datetime], datetime]
EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
LATEST_YEARS_AHEAD = 10


@dataclass(frozen=True)
class Schedule:
    """One wanted schedule timer (see :meth:`TimerStore.sync_schedules`)."""

    lane: str
    job_kind: str
    schedule: Mapping[str, Any]
    first_due: datetime
    payload: Mapping[str, Any]


def _view(r: Any) -> TimerView:
    return TimerView(r.name, r.lane, r.job_kind, r.kind, r.due_at, bool(r.active), int(r.fired_count),
                     r.last_fired_at, int(r.generation), dict(r.spec or {}))


class TimerStore:
    def __init__(self, jobs: JobStore) -> None:
        self.jobs = jobs

    def check_due(self, due_at: datetime) -> datetime:
        """Refuse instants no timer should wait for: naive, before 2000, or more than 10 years ahead."""
        if due_at.tzinfo is None or due_at.utcoffset() is None:
            raise ValueError("a timer's due time needs a time zone")
        now = self.jobs.now()
        if due_at < EARLIEST or due_at.year > now.year + LATEST_YEARS_AHEAD:
            raise ValueError(f"a timer's due time must lie between 2000 and {now.year + LATEST_YEARS_AHEAD}, "
                             f"not {due_at.isoformat()}")
        return due_at

    def add_once(self, name: str, lane: str, job_kind: str, due_at: datetime, payload: Mapping[str, Any],
                 *, origin: str = "timer", conn: Connection | None = None) -> bool:
        """A one-shot timer; False when one of that name exists already (creating it is idempotent)."""
        check_name("a timer name", name, MAX_LANE)
        self.check_due(due_at)
        if conn is None:
            with self.jobs.write_tx() as own:
                return self.add_once(name, lane, job_kind, due_at, payload, origin=origin, conn=own)
        now = self.jobs.now()
        generation = self.jobs.ensure_lanes(conn, [lane])[lane]
        done = conn.execute(self.jobs.insert_ignore(TIMERS, ["name"]).values(
            name=name, lane=lane, job_kind=job_kind, kind="once",
            spec={"payload": dict(payload), "origin": origin}, due_at=due_at, generation=generation, fired_count=0,
            active=True, created_at=now, updated_at=now).returning(TIMERS.c.id))
        return done.first() is not None

    def sync_schedules(self, wanted: Mapping[str, Schedule], *, job_kind: str) -> None:
        """Make the schedule timers of ``job_kind`` exactly ``wanted`` (name → schedule); keep the due times of
        those that exist so a restart neither skips nor repeats a slot."""
        now = self.jobs.now()
        with self.jobs.write_tx() as conn:
            existing = {r.name: r for r in conn.execute(
                select(TIMERS).where(TIMERS.c.kind == "schedule", TIMERS.c.job_kind == job_kind))}
            generations = self.jobs.ensure_lanes(conn, (s.lane for s in wanted.values()))
            for name, s in wanted.items():
                spec = {"payload": dict(s.payload), "origin": "schedule", "schedule": dict(s.schedule)}
                if name not in existing:
                    conn.execute(self.jobs.insert_ignore(TIMERS, ["name"]).values(
                        name=name, lane=s.lane, job_kind=job_kind, kind="schedule", spec=spec, due_at=s.first_due,
                        generation=generations[s.lane], fired_count=0, active=True, created_at=now, updated_at=now))
                elif not existing[name].active:
                    conn.execute(update(TIMERS).where(TIMERS.c.name == name).values(
                        active=True, due_at=s.first_due, spec=spec, generation=generations[s.lane], updated_at=now))
            gone = [n for n, r in existing.items() if r.active and n not in wanted]
            if gone:
                conn.execute(update(TIMERS).where(TIMERS.c.name.in_(gone)).values(active=False, updated_at=now))

    def cancel(self, *, lane: str | None = None, name: str | None = None, conn: Connection | None = None) -> int:
        """Retire active timers of a lane, or one by name; how many."""
        if (lane is None) == (name is None):
            raise ValueError("cancel timers by lane or by name")
        if conn is None:
            with self.jobs.write_tx() as own:
                return self.cancel(lane=lane, name=name, conn=own)
        where = TIMERS.c.lane == lane if lane is not None else TIMERS.c.name == name
        done = conn.execute(update(TIMERS).where(and_(where, TIMERS.c.active.is_(True))).values(
            active=False, updated_at=self.jobs.now()))
        return int(done.rowcount or 0)

    def fire_due(self, rearm: Rearm, limit: int = 100) -> list[FiredTimer]:
        """Turn due timers into jobs, in the transaction that re-arms or retires them: exactly once."""
        now = self.jobs.now()
        fired: list[FiredTimer] = []
        with self.jobs.write_tx() as conn:
            rows = conn.execute(
                select(TIMERS).where(TIMERS.c.active.is_(True), TIMERS.c.due_at <= now).order_by(TIMERS.c.due_at)
                .limit(limit).with_for_update(skip_locked=True)
            ).all()
            generations = self.jobs.ensure_lanes(conn, (r.lane for r in rows))
            for r in rows:
                spec = dict(r.spec or {})
                stale = r.generation < generations[r.lane]
                values: dict[str, Any] = {"updated_at": now}
                if r.kind == "once" or stale:
                    values["active"] = False
                else:
                    values["due_at"] = rearm(dict(spec.get("schedule") or {}), now)
                if not stale:
                    values |= {"last_fired_at": now, "fired_count": r.fired_count + 1}
                conn.execute(update(TIMERS).where(TIMERS.c.id == r.id).values(**values))
                if stale:
                    continue
                payload = {"timer": r.name, **dict(spec.get("payload") or {})}
                (job_id,) = self.jobs.add([NewJob(r.job_kind, r.lane, payload, now,
                                                  origin=str(spec.get("origin") or "timer"))], conn)
                fired.append(FiredTimer(r.name, r.lane, r.job_kind, r.kind, r.due_at, job_id))
        return fired

    def list(self, *, lane: str | None = None, job_kind: str | None = None, active: bool | None = None
             ) -> list[TimerView]:
        stmt = select(TIMERS).order_by(TIMERS.c.due_at, TIMERS.c.id)
        if lane is not None:
            stmt = stmt.where(TIMERS.c.lane == lane)
        if job_kind is not None:
            stmt = stmt.where(TIMERS.c.job_kind == job_kind)
        if active is not None:
            stmt = stmt.where(TIMERS.c.active.is_(active))
        with self.jobs.engine.connect() as conn:
            return [_view(r) for r in conn.execute(stmt)]

    def names(self, names: Sequence[str]) -> dict[str, TimerView]:
        if not names:
            return {}
        with self.jobs.engine.connect() as conn:
            return {r.name: _view(r) for r in conn.execute(select(TIMERS).where(TIMERS.c.name.in_(list(names))))}
