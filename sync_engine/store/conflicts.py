"""Conflicts held for a person and the choices people made: held by the engine, settled from anywhere."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine, and_, insert, select, update

from models.db import write_transaction
from models.runs import SyncConflict
from sync_engine.engine.state import Resolution
from sync_engine.sides import Side
from sync_engine.store.common import chunks, json_safe, table
from sync_engine.views.conflicts import ConflictView
from sync_engine.views.runs import Page

CONFLICTS = table(SyncConflict)


class ConflictStore:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def hold_conflicts(self, profile: str, run_id: int, conflicts: Sequence[dict[str, Any]]) -> None:
        """Upsert: a conflict still open from an earlier run gets the latest values, not a twin row."""
        t = CONFLICTS
        now = datetime.now(UTC)
        with write_transaction(self.engine) as conn:
            for c in conflicts:
                values = json_safe({"jira": c["jira_value"], "bitrix24": c["bitrix24_value"], "base": c["base"]})
                key = and_(t.c.profile == profile, t.c.jira_id == c["jira_id"], t.c.bitrix24_id == c["bitrix24_id"],
                           t.c.rule == c["rule"], t.c.resolved.is_(False))
                done = conn.execute(
                    update(t).where(key).values(values=values, run_id=run_id, reason=c["reason"], updated_at=now))
                if done.rowcount == 0:
                    conn.execute(insert(t).values(
                        profile=profile, run_id=run_id, jira_id=c["jira_id"], jira_key=c["jira_key"],
                        bitrix24_id=c["bitrix24_id"], rule=c["rule"], label=c["label"][:200], values=values,
                        reason=c["reason"][:500], resolved=False, created_at=now, updated_at=now))

    def open_conflicts(self, profile: str | None = None) -> list[ConflictView]:
        stmt = select(CONFLICTS).where(CONFLICTS.c.resolved.is_(False)).order_by(CONFLICTS.c.id)
        if profile:
            stmt = stmt.where(CONFLICTS.c.profile == profile)
        with self.engine.connect() as conn:
            return [ConflictView.model_validate(r._mapping) for r in conn.execute(stmt)]

    def conflicts_page(self, profile: str | None = None, *, resolved: bool = False, limit: int = 50,
                       before_id: int | None = None) -> Page[ConflictView]:
        stmt = (select(CONFLICTS).where(CONFLICTS.c.resolved.is_(resolved)).order_by(CONFLICTS.c.id.desc())
                .limit(limit))
        if profile:
            stmt = stmt.where(CONFLICTS.c.profile == profile)
        if before_id:
            stmt = stmt.where(CONFLICTS.c.id < before_id)
        with self.engine.connect() as conn:
            rows = [ConflictView.model_validate(r._mapping) for r in conn.execute(stmt)]
        return Page[ConflictView](items=rows, next_before_id=rows[-1].id if len(rows) == limit else None)

    def conflict(self, conflict_id: int) -> ConflictView | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(CONFLICTS).where(CONFLICTS.c.id == conflict_id)).first()
        return ConflictView.model_validate(row._mapping) if row is not None else None

    def resolve_conflict(self, conflict_id: int, resolution: Mapping[str, Any]) -> ConflictView:
        with write_transaction(self.engine) as conn:
            row = conn.execute(select(CONFLICTS).where(CONFLICTS.c.id == conflict_id)).first()
            if row is None:
                raise KeyError(f"no conflict with id {conflict_id}")
            conn.execute(update(CONFLICTS).where(CONFLICTS.c.id == conflict_id).values(
                resolved=True, resolution=json_safe(dict(resolution)), updated_at=datetime.now(UTC)))
            return ConflictView.model_validate(row._mapping)

    def settle_conflict(self, conflict_id: int, winner: Side, who: str | None = None) -> ConflictView:
        """A person's choice for a held conflict; the next run of the profile writes it (see
        :meth:`pending_resolutions`)."""
        resolution = {"winner": winner.value, "applied": False, **({"by": who} if who else {})}
        return self.resolve_conflict(conflict_id, resolution)

    def pending_resolutions(self, profile: str) -> list[Resolution]:
        t = CONFLICTS
        stmt = select(t).where(t.c.profile == profile, t.c.resolved.is_(True), t.c.resolution.is_not(None))
        out: list[Resolution] = []
        with self.engine.connect() as conn:
            for row in conn.execute(stmt):
                res = row.resolution or {}
                if res.get("applied") is False and res.get("winner") in ("jira", "bitrix24"):
                    out.append(Resolution(row.id, row.jira_id, row.bitrix24_id, row.rule, Side(res["winner"])))
        return out

    def mark_resolutions_applied(self, conflict_ids: Iterable[int]) -> None:
        t = CONFLICTS
        ids = list(conflict_ids)
        with write_transaction(self.engine) as conn:
            for chunk in chunks(ids):
                for row in conn.execute(select(t.c.id, t.c.resolution).where(t.c.id.in_(chunk))):
                    conn.execute(update(t).where(t.c.id == row.id).values(
                        resolution={**(row.resolution or {}), "applied": True}, updated_at=datetime.now(UTC)))
