"""Sync profiles as stored: the validated profile document as JSON, named and versioned.

The document's schema is owned by ``sync_engine.profiles.schema``; storing it whole keeps the
database, the YAML files and the control API on one representation.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, TimestampMixin
from models.sync_state import PROFILE_LEN


class SyncProfile(TimestampMixin, Base):
    __tablename__ = "sync_profiles"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(PROFILE_LEN), nullable=False, unique=True)
    document: Mapped[dict[str, Any]] = mapped_column(nullable=False)
    version: Mapped[int] = mapped_column(Integer, nullable=False, default=1)
