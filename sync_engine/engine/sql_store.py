"""The engine's state in the application database (SQLite or PostgreSQL), via SQLAlchemy Core.

Core statements rather than ORM objects: a 10,000-record initial sync writes 10,000 links in a
handful of executemany calls, and each method is one short transaction, so a run killed at any
point leaves a consistent database behind.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar, cast

from sqlalchemy import Engine, Table, and_, bindparam, delete, func, insert, or_, select, update

from models.db import write_transaction
from models.runs import SyncConflict, SyncRun, SyncRunItem
from models.sync_state import SyncCursor, SyncIntent, SyncLink, SyncRetry
from sync_engine.connectors.base import Cursor
from sync_engine.engine.planner import LinkState
from sync_engine.engine.state import Intent, ItemOutcome, Resolution, RetryItem, RunSummary
from sync_engine.sides import Side

CHUNK = 500
T = TypeVar("T")


def _chunks(items: Sequence[T], size: int = CHUNK) -> Iterator[Sequence[T]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


def _table(model: type[Any]) -> Table:
    return cast(Table, model.__table__)


def _json_safe(value: Any) -> Any:
    """Shadows and item changes go through JSON; make that explicit (and tuples lists) up front."""
    return json.loads(json.dumps(value, default=str, ensure_ascii=False))


def _shadow_in(shadow: Mapping[str, Any]) -> dict[str, tuple[Any, Any]]:
    return {k: (v[0], v[1]) for k, v in shadow.items()}


def backoff(attempts: int) -> timedelta:
    """Wait before retrying a failed item: 30 s, 1 min, 2 min ... capped at 1 hour."""
    return timedelta(seconds=min(3600, 30 * 2 ** max(0, attempts - 1)))


class SqlStateStore:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

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
                values = {"attempts": attempts, "error": error[:2000], "next_attempt_at": now + backoff(attempts),
                          "updated_at": now}
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

    # -- runs -------------------------------------------------------------------------------------
    def start_run(self, profile: str, trigger: str) -> int:
        t = _table(SyncRun)
        with write_transaction(self.engine) as conn:
            pk = conn.execute(
                insert(t).values(profile=profile, trigger=trigger[:200], status="running", started_at=datetime.now(UTC))
            ).inserted_primary_key
        assert pk is not None
        return int(pk[0])

    def record_items(self, run_id: int, items: Sequence[ItemOutcome]) -> None:
        t = _table(SyncRunItem)
        rows = [
            {"run_id": run_id, "action": i.action, "side": i.side.value if i.side else None, "jira_id": i.jira_id,
             "jira_key": i.jira_key, "bitrix24_id": i.bitrix24_id,
             "changes": {"fields": _json_safe(i.changes)} if i.changes else {}, "error": i.error}
            for i in items
            if i.action != "unchanged"
        ]
        with write_transaction(self.engine) as conn:
            for chunk in _chunks(rows, 1000):
                conn.execute(insert(t), list(chunk))

    def finish_run(self, run_id: int, summary: RunSummary) -> None:
        t = _table(SyncRun)
        with write_transaction(self.engine) as conn:
            conn.execute(
                update(t).where(t.c.id == run_id).values(
                    status="failed" if summary.error else "ok",
                    # The row is written once the plan stands; the run began with its reads.
                    started_at=summary.started,
                    finished_at=summary.finished or datetime.now(UTC),
                    created_jira=summary.created.get("jira", 0),
                    created_bitrix24=summary.created.get("bitrix24", 0),
                    updated_jira=summary.updated.get("jira", 0),
                    updated_bitrix24=summary.updated.get("bitrix24", 0),
                    matched=summary.matched,
                    unchanged=summary.unchanged,
                    conflicts=summary.conflicts,
                    errors=summary.errors,
                    api_calls_jira=summary.api_calls.get("jira", 0),
                    api_calls_bitrix24=summary.api_calls.get("bitrix24", 0),
                    retries_jira=summary.retries.get("jira", 0),
                    retries_bitrix24=summary.retries.get("bitrix24", 0),
                    error=summary.error,
                )
            )

    def fail_interrupted_runs(self, profile: str, started_before: datetime, error: str) -> int:
        """Runs of ``profile`` still "running" that began before ``started_before`` were cut off (their
        process died): say so, instead of leaving them running for ever."""
        t = _table(SyncRun)
        with write_transaction(self.engine) as conn:
            done = conn.execute(update(t).where(t.c.profile == profile, t.c.status == "running",
                                                t.c.started_at <= started_before).values(
                status="failed", finished_at=datetime.now(UTC), error=error[:2000]))
        return int(done.rowcount or 0)

    def hold_conflicts(self, profile: str, run_id: int, conflicts: Sequence[dict[str, Any]]) -> None:
        """Upsert: a conflict still open from an earlier run gets the latest values, not a twin row."""
        t = _table(SyncConflict)
        now = datetime.now(UTC)
        with write_transaction(self.engine) as conn:
            for c in conflicts:
                values = _json_safe({"jira": c["jira_value"], "bitrix24": c["bitrix24_value"], "base": c["base"]})
                key = and_(t.c.profile == profile, t.c.jira_id == c["jira_id"], t.c.bitrix24_id == c["bitrix24_id"],
                           t.c.rule == c["rule"], t.c.resolved.is_(False))
                done = conn.execute(
                    update(t).where(key).values(values=values, run_id=run_id, reason=c["reason"], updated_at=now)
                )
                if done.rowcount == 0:
                    conn.execute(
                        insert(t).values(profile=profile, run_id=run_id, jira_id=c["jira_id"], jira_key=c["jira_key"],
                                         bitrix24_id=c["bitrix24_id"], rule=c["rule"], label=c["label"][:200],
                                         values=values, reason=c["reason"][:500], resolved=False,
                                         created_at=now, updated_at=now)
                    )

    def open_conflicts(self, profile: str | None = None) -> list[dict[str, Any]]:
        t = _table(SyncConflict)
        stmt = select(t).where(t.c.resolved.is_(False)).order_by(t.c.id)
        if profile:
            stmt = stmt.where(t.c.profile == profile)
        with self.engine.connect() as conn:
            return [dict(r._mapping) for r in conn.execute(stmt)]

    def resolve_conflict(self, conflict_id: int, resolution: Mapping[str, Any]) -> dict[str, Any]:
        t = _table(SyncConflict)
        with write_transaction(self.engine) as conn:
            row = conn.execute(select(t).where(t.c.id == conflict_id)).first()
            if row is None:
                raise KeyError(f"no conflict with id {conflict_id}")
            conn.execute(update(t).where(t.c.id == conflict_id).values(
                resolved=True, resolution=_json_safe(dict(resolution)), updated_at=datetime.now(UTC)))
            return dict(row._mapping)

    def settle_conflict(self, conflict_id: int, winner: Side, who: str | None = None) -> dict[str, Any]:
        """A person's choice for a held conflict; the next run of the profile writes it (see
        :meth:`pending_resolutions`)."""
        resolution = {"winner": winner.value, "applied": False, **({"by": who} if who else {})}
        return self.resolve_conflict(conflict_id, resolution)

    def pending_resolutions(self, profile: str) -> list[Resolution]:
        t = _table(SyncConflict)
        stmt = select(t).where(t.c.profile == profile, t.c.resolved.is_(True), t.c.resolution.is_not(None))
        out: list[Resolution] = []
        with self.engine.connect() as conn:
            for row in conn.execute(stmt):
                res = row.resolution or {}
                if res.get("applied") is False and res.get("winner") in ("jira", "bitrix24"):
                    out.append(Resolution(row.id, row.jira_id, row.bitrix24_id, row.rule, Side(res["winner"])))
        return out

    def mark_resolutions_applied(self, conflict_ids: Iterable[int]) -> None:
        t = _table(SyncConflict)
        ids = list(conflict_ids)
        with write_transaction(self.engine) as conn:
            for chunk in _chunks(ids):
                for row in conn.execute(select(t.c.id, t.c.resolution).where(t.c.id.in_(chunk))):
                    conn.execute(update(t).where(t.c.id == row.id).values(
                        resolution={**(row.resolution or {}), "applied": True}, updated_at=datetime.now(UTC)))

    def runs(self, profile: str | None = None, limit: int = 50) -> list[dict[str, Any]]:
        t = _table(SyncRun)
        stmt = select(t).order_by(t.c.id.desc()).limit(limit)
        if profile:
            stmt = stmt.where(t.c.profile == profile)
        with self.engine.connect() as conn:
            return [dict(r._mapping) for r in conn.execute(stmt)]

    def run_items(self, run_id: int, *, after_id: int = 0, limit: int = 500) -> list[dict[str, Any]]:
        t = _table(SyncRunItem)
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(t).where(t.c.run_id == run_id, t.c.id > after_id).order_by(t.c.id).limit(limit)
            )
            return [dict(r._mapping) for r in rows]

