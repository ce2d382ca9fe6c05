"""The sync service's own durable state: received events, API tokens, service-side secret references.

A webhook delivery is committed to the inbox before the sender gets its 2xx, so nothing received is lost
across a restart; the work it leads to is a job in the shared queue (``models/jobs.py``).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base

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
