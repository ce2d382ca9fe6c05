"""The one interface every studio page talks to, with the in-process implementation.

Pages never know whether the engine runs here (``LocalBackend``, a workspace on a local database) or
on a server (``RemoteBackend``, the sync service's control API): both offer these coroutines and
return plain data (dicts, pydantic profiles, FieldMeta lists).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

from sync_engine.fieldtypes import FieldMeta
from sync_engine.profiles.schema import Profile
from sync_engine.workspace import Workspace


class Backend(Protocol):
    description: str

    async def connections(self) -> list[dict[str, Any]]: ...
    async def add_connection(self, **fields: Any) -> dict[str, Any]: ...
    async def remove_connection(self, name: str) -> None: ...
    async def test_connection(self, name: str) -> dict[str, Any]: ...
    async def set_application_token(self, name: str, token: str) -> None: ...
    async def profiles(self) -> list[Profile]: ...
    async def save_profile(self, profile: Profile) -> None: ...
    async def delete_profile(self, name: str) -> None: ...
    async def describe_fields(self, profile: Profile) -> tuple[list[FieldMeta], list[FieldMeta]]: ...
    async def test_scope(self, profile: Profile) -> dict[str, Any]: ...
    async def run(self, name: str, *, dry_run: bool) -> dict[str, Any]: ...
    async def runs(self, limit: int = 200) -> list[dict[str, Any]]: ...
    async def count_items(self, run_id: int, action: str | None = None) -> int: ...
    async def items_page(self, run_id: int, offset: int, limit: int, action: str | None = None
                         ) -> list[dict[str, Any]]:
        """A page by position. A run's items are written in one go, so their ids are usually contiguous:
        then the page is an index seek (``id >= first + offset``) instead of an OFFSET scan, which keeps
        the bottom of a million-row run as quick as the top."""
        from sqlalchemy import func, select

        from models.runs import SyncRunItem

        with self.ws.engine.connect() as conn:
            if action is None:
                span = self._spans.get(run_id)
                if span is None:
                    row = conn.execute(select(func.min(SyncRunItem.id), func.max(SyncRunItem.id), func.count())
                                       .where(SyncRunItem.run_id == run_id)).one()
                    span = (int(row[0] or 0), int(row[1] or 0), int(row[2] or 0))
                    self._spans[run_id] = span
                first, last, count = span
                if count and last - first + 1 == count:
                    stmt = self._items_query(run_id, None).where(SyncRunItem.id >= first + offset)
                    rows = conn.execute(stmt.order_by(SyncRunItem.id).limit(limit))
                    return [_plain(dict(r._mapping)) for r in rows]
            stmt = self._items_query(run_id, action).order_by(SyncRunItem.id).offset(offset).limit(limit)
            return [_plain(dict(r._mapping)) for r in conn.execute(stmt)]

    async def retry_failed(self, profile: str) -> dict[str, Any]: ...
    async def conflicts(self) -> list[dict[str, Any]]: ...
    async def resolve_conflict(self, conflict_id: int, choice: str, value: Any = None) -> None: ...
    async def close(self) -> None: ...


def _plain(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


class LocalBackend:
    """The engine in this process, on the studio's own database (SQLite by default)."""

    def __init__(self, workspace: Workspace) -> None:
        self.ws = workspace
        self.description = "local"
        self._spans: dict[int, tuple[int, int, int]] = {}  # run id -> (first item id, last item id, count)

    async def connections(self) -> list[dict[str, Any]]:
        return [dict(vars(c), settings=dict(c.settings)) for c in self.ws.connections()]

    async def add_connection(self, **fields: Any) -> dict[str, Any]:
        info = self.ws.add_connection(**fields)
        return dict(vars(info), settings=dict(info.settings))

    async def remove_connection(self, name: str) -> None:
        self.ws.remove_connection(name)

    async def test_connection(self, name: str) -> dict[str, Any]:
        return await self.ws.test_connection(name)

    async def set_application_token(self, name: str, token: str) -> None:
        """Kept where the sync service on this database looks for it (a secret reference, never the value)."""
        from sync_engine.service.secrets import APPLICATION_TOKEN, ServiceSecrets
        from sync_engine.service.store import ServiceStore

        info = self.ws.connection(name, "bitrix24")
        ServiceSecrets(ServiceStore(self.ws.engine), self.ws.secrets).set(info.name, APPLICATION_TOKEN, token)

    async def profiles(self) -> list[Profile]:
        return self.ws.profiles()

    async def save_profile(self, profile: Profile) -> None:
        self.ws.save_profiles([profile])

    async def delete_profile(self, name: str) -> None:
        self.ws.delete_profile(name)

    async def describe_fields(self, profile: Profile) -> tuple[list[FieldMeta], list[FieldMeta]]:
        return await self.ws.describe_sides(profile)

    async def test_scope(self, profile: Profile) -> dict[str, Any]:
        return await self.ws.sample_scope(profile)

    async def run(self, name: str, *, dry_run: bool) -> dict[str, Any]:
        from sync_engine.views.plan import describe_plan

        summary, plan = await self.ws.run(name, dry_run=dry_run, trigger="studio")
        return {"summary": summary.as_json(), "plan": describe_plan(plan), "error": summary.error}

    async def runs(self, limit: int = 200) -> list[dict[str, Any]]:
        return [_plain(r) for r in self.ws.store.runs(limit=limit)]

    def _items_query(self, run_id: int, action: str | None) -> Any:
        from sqlalchemy import select

        from models.runs import SyncRunItem

        stmt = select(SyncRunItem.__table__).where(SyncRunItem.run_id == run_id)
        return stmt.where(SyncRunItem.action == action) if action else stmt

    async def count_items(self, run_id: int, action: str | None = None) -> int:
        from sqlalchemy import func, select

        with self.ws.engine.connect() as conn:
            sub = self._items_query(run_id, action).subquery()
            return int(conn.execute(select(func.count()).select_from(sub)).scalar_one())

    async def items_page(self, run_id: int, offset: int, limit: int, action: str | None = None
                         ) -> list[dict[str, Any]]:
        from models.runs import SyncRunItem

        stmt = self._items_query(run_id, action).order_by(SyncRunItem.id).offset(offset).limit(limit)
        with self.ws.engine.connect() as conn:
            return [_plain(dict(r._mapping)) for r in conn.execute(stmt)]

    async def retry_failed(self, profile: str) -> dict[str, Any]:
        """Make the profile's failed items due now and run it (what the monitor's Retry does)."""
        from datetime import UTC, datetime

        from sqlalchemy import update

        from models.sync_state import SyncRetry

        with self.ws.engine.begin() as conn:
            conn.execute(update(SyncRetry.__table__).where(SyncRetry.profile == profile)
                         .values(next_attempt_at=datetime.now(UTC)))
        return await self.run(profile, dry_run=False)

    async def conflicts(self) -> list[dict[str, Any]]:
        return [_plain(c) for c in self.ws.store.open_conflicts()]

    async def resolve_conflict(self, conflict_id: int, choice: str, value: Any = None) -> None:
        from sync_engine.conflicts import resolve_conflict

        await resolve_conflict(self.ws, conflict_id, choice, value)

    async def close(self) -> None:
        self.ws.close()
