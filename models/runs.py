"""Runs, their items and held conflicts: what the monitor, the control API and the CLI report."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, TimestampMixin
from models.sync_state import ID_LEN, PROFILE_LEN


class SyncRun(Base):
    __tablename__ = "sync_runs"
    __table_args__ = (Index("ix_sync_runs_profile_started", "profile", "started_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    profile: Mapped[str] = mapped_column(String(PROFILE_LEN), nullable=False)
    trigger: Mapped[str] = mapped_column(String(200), nullable=False, default="manual")
    status: Mapped[str] = mapped_column(String(16), nullable=False, default="running")  # running, ok, failed
    started_at: Mapped[datetime] = mapped_column(nullable=False)
    finished_at: Mapped[datetime | None] = mapped_column()
    created_jira: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    created_bitrix24: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    updated_jira: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    updated_bitrix24: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    matched: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    unchanged: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    conflicts: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    errors: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    api_calls_jira: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    api_calls_bitrix24: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    retries_jira: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    retries_bitrix24: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    error: Mapped[str | None] = mapped_column(Text)


class SyncRunItem(Base):
    """One thing a run did to one record. ``seq`` is its position in the run and ``action_seq`` its position
    among the run's items of the same action, both given when written: the monitor reads any page of a
    million-item run by an index seek on them, at the bottom as fast as at the top."""

    __tablename__ = "sync_run_items"
    __table_args__ = (
        Index("ix_sync_run_items_run_id", "run_id", "id"),
        Index("ix_sync_run_items_run_seq", "run_id", "seq"),
        Index("ix_sync_run_items_run_action_seq", "run_id", "action", "action_seq"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("sync_runs.id", ondelete="CASCADE"), nullable=False)
    seq: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    action_seq: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    action: Mapped[str] = mapped_column(String(16), nullable=False)
    side: Mapped[str | None] = mapped_column(String(16))
    jira_id: Mapped[str | None] = mapped_column(String(ID_LEN))
    jira_key: Mapped[str | None] = mapped_column(String(ID_LEN))
    bitrix24_id: Mapped[str | None] = mapped_column(String(ID_LEN))
    changes: Mapped[dict[str, Any]] = mapped_column(nullable=False, default=dict)
    error: Mapped[str | None] = mapped_column(Text)


class SyncConflict(TimestampMixin, Base):
    """A field changed on both sides, held for a person to settle (policy ``manual``)."""

    __tablename__ = "sync_conflicts"
    __table_args__ = (Index("ix_sync_conflicts_profile_open", "profile", "resolved"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    profile: Mapped[str] = mapped_column(String(PROFILE_LEN), nullable=False)
    run_id: Mapped[int | None] = mapped_column(ForeignKey("sync_runs.id", ondelete="SET NULL"))
    jira_id: Mapped[str] = mapped_column(String(ID_LEN), nullable=False)
    jira_key: Mapped[str | None] = mapped_column(String(ID_LEN))
    bitrix24_id: Mapped[str] = mapped_column(String(ID_LEN), nullable=False)
    rule: Mapped[str] = mapped_column(String(100), nullable=False)
    label: Mapped[str] = mapped_column(String(200), nullable=False, default="")
    values: Mapped[dict[str, Any]] = mapped_column(nullable=False, default=dict)  # jira, bitrix24, base
    reason: Mapped[str] = mapped_column(String(500), nullable=False, default="")
    resolved: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    resolution: Mapped[dict[str, Any] | None] = mapped_column()
