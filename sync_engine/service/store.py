"""The service's inbox of received events and its secret references, in the application database.

A delivery is committed before the sender gets its answer; the router then claims stored events with
``FOR UPDATE SKIP LOCKED`` on PostgreSQL (several instances route without taking the same row) and turns
them into jobs of the shared queue (:mod:`sync_engine.jobs`) in the same transaction.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, cast

from sqlalchemy import Connection, Engine, Table, delete, func, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite

from models.db import write_transaction
from models.service import ServiceInbox, ServiceSecretRef

INBOX = cast(Table, ServiceInbox.__table__)
SECRET_REFS = cast(Table, ServiceSecretRef.__table__)


def utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class InboxRow:
    id: int
    connection: str
    system: str
    event: str
    received_at: datetime
    payload: Mapping[str, Any]


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
