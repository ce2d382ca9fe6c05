"""The durable job queue every background capability shares: jobs, lanes, timers and effect keys.

A **job** is work of some **kind** (``sync``, ``process.deal-protection``, ``directory.import``...) in a
**lane**: jobs of one lane never run at once or out of order, because a lane is run by whoever holds
its lease row (sync lanes are profile names; other kinds use ``kind-ish:key`` names such as
``deal-protection:4711``). A **timer** turns into a job when it falls due, in the same transaction that
re-arms or retires it. An **effect** row is written before a remote call with side effects, so a job
run again after a crash knows the call may already have happened (see ``sync_engine.jobs.effects``).

Every lane also has a **generation**: bumping it makes the lane's pending jobs and timers stale at once
(they are cancelled when claimed or due), which is how "the deal closed: forget its reminders" is said
without finding and deleting each row.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, TimestampMixin

KIND_LEN = 64
LANE_LEN = 200
OWNER_LEN = 100
EFFECT_KEY_LEN = 300


class Job(TimestampMixin, Base):
    __tablename__ = "jobs"
    __table_args__ = (
        Index("ix_jobs_status_due", "status", "due_at"),
        Index("ix_jobs_lane_status", "lane", "status"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(KIND_LEN), nullable=False)
    lane: Mapped[str] = mapped_column(String(LANE_LEN), nullable=False)
    origin: Mapped[str] = mapped_column(String(32), nullable=False, default="manual")  # event, schedule, timer...
    # pending, running, done, failed, cancelled
    status: Mapped[str] = mapped_column(String(16), nullable=False, default="pending")
    due_at: Mapped[datetime] = mapped_column(nullable=False)
    attempts: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    max_attempts: Mapped[int] = mapped_column(Integer, nullable=False, default=5)
    generation: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    payload: Mapped[dict[str, Any]] = mapped_column(nullable=False, default=dict)
    owner: Mapped[str | None] = mapped_column(String(OWNER_LEN))
    lease_until: Mapped[datetime | None] = mapped_column()
    received_at: Mapped[datetime | None] = mapped_column()  # earliest event behind the job (for lag)
    finished_at: Mapped[datetime | None] = mapped_column()
    last_error: Mapped[str | None] = mapped_column(Text)
    result: Mapped[dict[str, Any] | None] = mapped_column()


class JobLane(Base):
    """Who runs a lane now (claimed with a row lock; an expired lease may be taken over) and its generation."""

    __tablename__ = "job_lanes"

    lane: Mapped[str] = mapped_column(String(LANE_LEN), primary_key=True)
    owner: Mapped[str | None] = mapped_column(String(OWNER_LEN))
    lease_until: Mapped[datetime | None] = mapped_column()
    generation: Mapped[int] = mapped_column(Integer, nullable=False, default=0)


class JobTimer(TimestampMixin, Base):
    """A schedule (re-armed after each firing) or a one-shot timer (fires once, then inactive)."""

    __tablename__ = "job_timers"
    __table_args__ = (
        Index("ix_job_timers_active_due", "active", "due_at"),
        Index("ix_job_timers_lane", "lane"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(LANE_LEN), nullable=False, unique=True)
    lane: Mapped[str] = mapped_column(String(LANE_LEN), nullable=False)
    job_kind: Mapped[str] = mapped_column(String(KIND_LEN), nullable=False)
    kind: Mapped[str] = mapped_column(String(16), nullable=False)  # schedule, once
    spec: Mapped[dict[str, Any]] = mapped_column(nullable=False, default=dict)  # payload, schedule
    due_at: Mapped[datetime] = mapped_column(nullable=False)
    generation: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    last_fired_at: Mapped[datetime | None] = mapped_column()
    fired_count: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    active: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)


class JobEffect(TimestampMixin, Base):
    """A side effect a job performs on a remote system, keyed so it happens once however often the job runs.

    ``pending`` is committed before the remote call and ``done`` (with what the call answered) after it;
    a job that finds ``pending`` from an earlier attempt must ask the remote whether it happened.
    """

    __tablename__ = "job_effects"

    key: Mapped[str] = mapped_column(String(EFFECT_KEY_LEN), primary_key=True)
    lane: Mapped[str] = mapped_column(String(LANE_LEN), nullable=False)
    job_id: Mapped[int | None] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16), nullable=False, default="pending")  # pending, done
    attempts: Mapped[int] = mapped_column(Integer, nullable=False, default=1)
    result: Mapped[dict[str, Any] | None] = mapped_column()
