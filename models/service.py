"""The sync service's durable state: received events, jobs, profile leases, timers, API tokens.

Everything the service must not lose across a restart (or must share between several instances on
one PostgreSQL database) lives here rather than in memory: a webhook delivery is committed to the
inbox before the sender gets its 2xx, a job or timer is a row that exactly one instance may claim,
and a profile's lease row is what keeps two instances from running the same profile at once.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, TimestampMixin
from models.sync_state import PROFILE_LEN

NAME_LEN = 100
OWNER_LEN = 100


class ServiceInbox(Base):
    """One webhook delivery or polled offline event, stored as received (a hint, never applied as is)."""

    __tablename__ = "service_inbox"
    __table_args__ = (Index("ix_service_inbox_status", "status", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    connection: Mapped[str] = mapped_column(String(NAME_LEN), nullable=False)
    system: Mapped[str] = mapped_column(String(16), nullable=False)
    # X-Atlassian-Webhook-Identifier, a Bitrix24 offline MESSAGE_ID or a content hash: redeliveries collide.
    dedup_key: Mapped[str] = mapped_column(String(160), nullable=False, unique=True)
    event: Mapped[str] = mapped_column(String(100), nullable=False)
    received_at: Mapped[datetime] = mapped_column(nullable=False)
    status: Mapped[str] = mapped_column(String(16), nullable=False, default="new")  # new, routed, dropped
    payload: Mapped[dict[str, Any]] = mapped_column(nullable=False, default=dict)
    error: Mapped[str | None] = mapped_column(Text)


class ServiceJob(TimestampMixin, Base):
    """A run to do. Pending jobs of one profile are taken together, so an event burst becomes one run."""

    __tablename__ = "service_jobs"
    __table_args__ = (
        Index("ix_service_jobs_status_due", "status", "due_at"),
        Index("ix_service_jobs_profile_status", "profile", "status"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    profile: Mapped[str] = mapped_column(String(PROFILE_LEN), nullable=False)
    kind: Mapped[str] = mapped_column(String(16), nullable=False)  # event, schedule, manual, timer
    status: Mapped[str] = mapped_column(String(16), nullable=False, default="pending")
    due_at: Mapped[datetime] = mapped_column(nullable=False)
    attempts: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    max_attempts: Mapped[int] = mapped_column(Integer, nullable=False, default=5)
    payload: Mapped[dict[str, Any]] = mapped_column(nullable=False, default=dict)
    owner: Mapped[str | None] = mapped_column(String(OWNER_LEN))
    lease_until: Mapped[datetime | None] = mapped_column()
    run_id: Mapped[int | None] = mapped_column(Integer)
    received_at: Mapped[datetime | None] = mapped_column()  # earliest event behind the job (for lag)
    finished_at: Mapped[datetime | None] = mapped_column()
    last_error: Mapped[str | None] = mapped_column(Text)
    result: Mapped[dict[str, Any] | None] = mapped_column()


class ServiceProfileLease(Base):
    """Who runs a profile now. Claimed with a row lock; an expired lease may be taken over."""

    __tablename__ = "service_profile_leases"

    profile: Mapped[str] = mapped_column(String(PROFILE_LEN), primary_key=True)
    owner: Mapped[str | None] = mapped_column(String(OWNER_LEN))
    lease_until: Mapped[datetime | None] = mapped_column()


class ServiceTimer(TimestampMixin, Base):
    """A schedule trigger (re-armed after each firing) or a one-shot timer (fires once, then inactive)."""

    __tablename__ = "service_timers"
    __table_args__ = (Index("ix_service_timers_active_due", "active", "due_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), nullable=False, unique=True)
    profile: Mapped[str] = mapped_column(String(PROFILE_LEN), nullable=False)
    kind: Mapped[str] = mapped_column(String(16), nullable=False)  # schedule, once
    spec: Mapped[dict[str, Any]] = mapped_column(nullable=False, default=dict)
    due_at: Mapped[datetime] = mapped_column(nullable=False)
    last_fired_at: Mapped[datetime | None] = mapped_column()
    fired_count: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    active: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)


class ServiceToken(Base):
    """A control-API bearer token. Only its SHA-256 is kept: a leaked database grants no access."""

    __tablename__ = "service_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(NAME_LEN), nullable=False, unique=True)
    token_hash: Mapped[str] = mapped_column(String(64), nullable=False, unique=True)
    role: Mapped[str] = mapped_column(String(16), nullable=False, default="admin")  # admin, read
    created_at: Mapped[datetime] = mapped_column(nullable=False)
    last_used_at: Mapped[datetime | None] = mapped_column()


class ServiceSecretRef(Base):
    """Where a service-side secret of a connection lives (webhook signing secret, application token).

    Like connections, only a ``keyring:``/``env:`` reference is stored, never the value.
    """

    __tablename__ = "service_secret_refs"

    connection: Mapped[str] = mapped_column(String(NAME_LEN), primary_key=True)
    purpose: Mapped[str] = mapped_column(String(32), primary_key=True)
    secret_ref: Mapped[str] = mapped_column(String(512), nullable=False)
