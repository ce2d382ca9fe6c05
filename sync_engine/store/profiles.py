"""Sync profiles as stored: the validated document as JSON, named and versioned (one row per profile)."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Engine, select

from models.db import session_factory
from models.profiles import SyncProfile
from sync_engine.profiles.schema import Profile


class ProfileStore:
    def __init__(self, engine: Engine) -> None:
        self.sessions = session_factory(engine)

    def save(self, profiles: Sequence[Profile]) -> None:
        """Insert or replace, all in one transaction (an import either lands whole or not at all); a changed
        document gets the next version number."""
        with self.sessions.begin() as session:
            for profile in profiles:
                doc = profile.model_dump(mode="json")
                row = session.scalar(select(SyncProfile).where(SyncProfile.name == profile.name))
                if row is None:
                    session.add(SyncProfile(name=profile.name, document=doc, version=1))
                elif row.document != doc:
                    row.document = doc
                    row.version += 1

    def list(self) -> list[Profile]:
        with self.sessions() as session:
            rows = session.scalars(select(SyncProfile).order_by(SyncProfile.name))
            return [Profile.model_validate(r.document) for r in rows]

    def get(self, name: str) -> Profile | None:
        with self.sessions() as session:
            row = session.scalar(select(SyncProfile).where(SyncProfile.name == name))
            return Profile.model_validate(row.document) if row is not None else None

    def version(self, name: str) -> int | None:
        with self.sessions() as session:
            return session.scalar(select(SyncProfile.version).where(SyncProfile.name == name))

    def delete(self, name: str) -> bool:
        with self.sessions.begin() as session:
            row = session.scalar(select(SyncProfile).where(SyncProfile.name == name))
            if row is None:
                return False
            session.delete(row)
            return True
