"""What the engine remembers between runs: links with shadows, cursors, create intents, retries.

One row per linked pair carries the shadow (last synced normalised values per mapping) as JSON:
every decision about a pair needs all of its shadow at once, and a row per field would multiply
the rows of a 100,000-pair profile by its field count for no query that needs them apart.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, TimestampMixin

PROFILE_LEN = 100
ID_LEN = 64


class SyncLink(TimestampMixin, Base):
    __tablename__ = "sync_links"
    __table_args__ = (
        UniqueConstraint("profile", "jira_id", name="uq_sync_links_profile_jira"),
        UniqueConstraint("profile", "bitrix24_id", name="uq_sync_links_profile_bitrix24"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    profile: Mapped[str] = mapped_column(String(PROFILE_LEN), nullable=False)
    jira_id: Mapped[str] = mapped_column(String(ID_LEN), nullable=False)
    jira_key: Mapped[str | None] = mapped_column(String(ID_LEN))
    bitrix24_id: Mapped[str] = mapped_column(String(ID_LEN), nullable=False)
    shadow: Mapped[dict[str, Any]] = mapped_column(nullable=False, default=dict)


class SyncCursor(Base):
    __tablename__ = "sync_cursors"

    profile: Mapped[str] = mapped_column(String(PROFILE_LEN), primary_key=True)
    side: Mapped[str] = mapped_column(String(16), primary_key=True)
    updated: Mapped[datetime] = mapped_column(nullable=False)
    seen_ids: Mapped[dict[str, Any]] = mapped_column(nullable=False, default=dict)


class SyncIntent(TimestampMixin, Base):
    """A create about to be sent; committed first so that a crash leaves a trace to recover from."""

    __tablename__ = "sync_intents"
    __table_args__ = (Index("ix_sync_intents_profile", "profile"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    profile: Mapped[str] = mapped_column(String(PROFILE_LEN), nullable=False)
    target: Mapped[str] = mapped_column(String(16), nullable=False)
    source_id: Mapped[str] = mapped_column(String(ID_LEN), nullable=False)
    source_key: Mapped[str | None] = mapped_column(String(ID_LEN))
    stamp: Mapped[str] = mapped_column(String(ID_LEN), nullable=False, default="")


class SyncRetry(TimestampMixin, Base):
    """A record whose sync failed; read again by id on the next run due, with backoff."""

    __tablename__ = "sync_retries"

    profile: Mapped[str] = mapped_column(String(PROFILE_LEN), primary_key=True)
    side: Mapped[str] = mapped_column(String(16), primary_key=True)
    record_id: Mapped[str] = mapped_column(String(ID_LEN), primary_key=True)
    attempts: Mapped[int] = mapped_column(Integer, nullable=False, default=1)
    error: Mapped[str] = mapped_column(String(2000), nullable=False, default="")
    next_attempt_at: Mapped[datetime] = mapped_column(nullable=False)
