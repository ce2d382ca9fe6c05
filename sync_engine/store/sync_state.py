"""What the engine remembers about pairs between runs: links with shadows, cursors, intents, retries.

Core statements rather than ORM objects: a 10,000-record initial sync writes 10,000 links in a
handful of executemany calls, and each method is one short transaction, so a run killed at any
point leaves a consistent database behind.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Engine, and_, bindparam, delete, func, insert, or_, select, update

from models.db import write_transaction
from models.sync_state import SyncCursor, SyncIntent, SyncLink, SyncRetry
from sync_engine.connectors.base import Cursor
from sync_engine.engine.planner import LinkState
from sync_engine.engine.state import Intent, RetryItem
from sync_engine.sides import Side
from sync_engine.store.common import chunks as _chunks
from sync_engine.store.common import json_safe as _json_safe
from sync_engine.store.common import table as _table


def _shadow_in(shadow: Mapping[str, Any]) -> dict[str, tuple[Any, Any]]:
    return {k: (v[0], v[1]) for k, v in shadow.items()}


def backoff(attempts: int) -> timedelta:
    """Wait before retrying a failed item: 30 s, 1 min, 2 min ... capped at 1 hour."""
    return timedelta(seconds=min(3600, 30 * 2 ** max(0, attempts - 1)))


class SyncStateStore:
    def __init__(self, engine: Engine, retry_backoff: Callable[[int], timedelta] = backoff) -> None:
        self.engine = engine
        self.retry_backoff = retry_backoff

    # -- links --------------------------------------------------------------------------------
    def links_for(self, profile: str, jira_ids: Iterable[str], bitrix24_ids: Iterable[str]) -> list[LinkState]:
        found: dict[int, LinkState] = {}
        t = _table(SyncLink)
        with self.engine.connect() as conn:
            for column, ids in ((t.c.jira_id, list(dict.fromkeys(jira_ids))), (t.c.bitrix24_id,
                                                                              list(dict.fromkeys(bitrix24_ids)))):
                for chunk in _chunks(ids):
                    rows = conn.execute(select(t).where(t.c.profile == profile, column.in_(chunk)))
                    for row in rows:
                        found[row.id] = LinkState(
                            row.id, row.jira_id, row.bitrix24_id, row.jira_key, _shadow_in(row.shadow or {})
                        )
        return list(found.values())

    def all_links(self, profile: str) -> list[LinkState]:
        t = _table(SyncLink)
        with self.engine.connect() as conn:
            rows = conn.execute(select(t).where(t.c.profile == profile).order_by(t.c.id))
            return [LinkState(r.id, r.jira_id, r.bitrix24_id, r.jira_key, _shadow_in(r.shadow or {})) for r in rows]

    def save_links(
        self, profile: str, pairs: Sequence[tuple[int | None, str, str, str | None, Mapping[str, Any]]]
    ) -> None:
        if not pairs:
            return
        t = _table(SyncLink)
        now = datetime.now(UTC)
        new = [
            {"profile": profile, "jira_id": j, "bitrix24_id": b, "jira_key": k, "shadow": _json_safe(dict(s)),
             "created_at": now, "updated_at": now}
            for link_id, j, b, k, s in pairs
            if link_id is None
        ]
        old = [
            {"b_id": link_id, "jira_key": k, "shadow": _json_safe(dict(s)), "updated_at": now}
            for link_id, j, b, k, s in pairs
            if link_id is not None
        ]
        with write_transaction(self.engine) as conn:
            for chunk in _chunks(new):
                conn.execute(insert(t), list(chunk))
            if old:
                stmt = (
                    update(t)
                    .where(t.c.id == bindparam("b_id"))
                    .values(jira_key=bindparam("jira_key"), shadow=bindparam("shadow"),
                            updated_at=bindparam("updated_at"))
                )
                for chunk in _chunks(old):
                    conn.execute(stmt, list(chunk))

    def delete_links(self, profile: str, link_ids: Iterable[int]) -> None:
        ids = list(link_ids)
        t = _table(SyncLink)
        with write_transaction(self.engine) as conn:
            for chunk in _chunks(ids):
                conn.execute(delete(t).where(t.c.profile == profile, t.c.id.in_(chunk)))

    def count_links(self, profile: str) -> int:
        t = _table(SyncLink)
        with self.engine.connect() as conn:
            return int(conn.execute(select(func.count()).select_from(t).where(t.c.profile == profile)).scalar_one())

    # -- cursors ----------------------------------------------------------------------------------
    def get_cursor(self, profile: str, side: Side) -> Cursor | None:
        t = _table(SyncCursor)
        with self.engine.connect() as conn:
            row = conn.execute(select(t).where(t.c.profile == profile, t.c.side == side.value)).first()
        if row is None:
            return None
        return Cursor(updated=row.updated, seen_ids=tuple((row.seen_ids or {}).get("ids", ())))

    def set_cursor(self, profile: str, side: Side, cursor: Cursor) -> None:
        t = _table(SyncCursor)
        values = {"updated": cursor.updated, "seen_ids": {"ids": list(cursor.seen_ids)}}
        with write_transaction(self.engine) as conn:
            done = conn.execute(update(t).where(t.c.profile == profile, t.c.side == side.value).values(**values))
            if done.rowcount == 0:
                conn.execute(insert(t).values(profile=profile, side=side.value, **values))

    # -- intents ----------------------------------------------------------------------------------
    def add_intents(self, profile: str, intents: Sequence[tuple[Side, str, str | None, str]]) -> list[Intent]:
        t = _table(SyncIntent)
        out: list[Intent] = []
        now = datetime.now(UTC)
        with write_transaction(self.engine) as conn:
            for target, source_id, source_key, stamp in intents:
                new_id = conn.execute(
                    insert(t).values(profile=profile, target=target.value, source_id=source_id,
                                     source_key=source_key, stamp=stamp, created_at=now, updated_at=now)
                ).inserted_primary_key
                assert new_id is not None
                out.append(Intent(int(new_id[0]), target, source_id, source_key, stamp))
        return out

    def pending_intents(self, profile: str) -> list[Intent]:
        t = _table(SyncIntent)
        with self.engine.connect() as conn:
            rows = conn.execute(select(t).where(t.c.profile == profile).order_by(t.c.id))
            return [Intent(r.id, Side(r.target), r.source_id, r.source_key, r.stamp) for r in rows]

    def clear_intents(self, intent_ids: Iterable[int]) -> None:
        ids = list(intent_ids)
        t = _table(SyncIntent)
        with write_transaction(self.engine) as conn:
            for chunk in _chunks(ids):
                conn.execute(delete(t).where(t.c.id.in_(chunk)))

    # -- retries ------------------------------------------------------------------------------------
    def add_retries(self, profile: str, items: Sequence[tuple[Side, str, str]]) -> None:
        if not items:
            return
        t = _table(SyncRetry)
        now = datetime.now(UTC)
        with write_transaction(self.engine) as conn:
            for side, rid, error in items:
                key = and_(t.c.profile == profile, t.c.side == side.value, t.c.record_id == rid)
                row = conn.execute(select(t.c.attempts).where(key)).first()
                attempts = (row.attempts + 1) if row else 1
                values = {"attempts": attempts, "error": error[:2000],
                          "next_attempt_at": now + self.retry_backoff(attempts), "updated_at": now}
                if row:
                    conn.execute(update(t).where(key).values(**values))
                else:
                    conn.execute(insert(t).values(profile=profile, side=side.value, record_id=rid,
                                                  created_at=now, **values))

    def due_retries(self, profile: str, now: datetime) -> list[RetryItem]:
        t = _table(SyncRetry)
        with self.engine.connect() as conn:
            rows = conn.execute(select(t).where(t.c.profile == profile, t.c.next_attempt_at <= now))
            return [RetryItem(Side(r.side), r.record_id, r.attempts, r.error) for r in rows]

    def clear_retries(self, profile: str, items: Iterable[tuple[Side, str]]) -> None:
        keys = [(s.value, rid) for s, rid in items]
        if not keys:
            return
        t = _table(SyncRetry)
        with write_transaction(self.engine) as conn:
            if conn.execute(select(func.count()).select_from(t).where(t.c.profile == profile)).scalar_one() == 0:
                return
            for chunk in _chunks(keys, 200):
                conn.execute(
                    delete(t).where(t.c.profile == profile, or_(*[and_(t.c.side == s, t.c.record_id == r)
                                                                  for s, r in chunk]))
                )
