"""The engine in this process, on the studio's own database (SQLite by default).

Everything runs off the window's thread: engine work (runs, field descriptions, connection tests) on the
:class:`EngineThread`'s loop, short database reads and writes in the default executor. The answers are the
same views the control API returns, so pages cannot tell this backend from :class:`~studio.remote.RemoteBackend`.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from typing import Any, TypeVar

from studio.engine_thread import EngineThread
from sync_engine.bus import EventBus
from sync_engine.conflicts import resolve_conflict
from sync_engine.engine.runner import Hints
from sync_engine.fieldtypes import FieldMeta
from sync_engine.profiles.schema import Profile
from sync_engine.progress import Progress, no_progress
from sync_engine.store.connections import ConnectionInfo
from sync_engine.views.conflicts import ConflictView
from sync_engine.views.connections import ConnectionTest, ConnectionView
from sync_engine.views.plan import RunOutcome, plan_lines
from sync_engine.views.runs import ItemView, RunSummaryView, RunView, ScopeSample
from sync_engine.workspace import Workspace

T = TypeVar("T")


class _Part:
    def __init__(self, backend: LocalBackend) -> None:
        self.b = backend
        self.ws = backend.ws

    async def db(self, fn: Callable[[], T]) -> T:
        return await asyncio.to_thread(fn)

    async def engine(self, coro: Any) -> Any:
        return await self.b.thread.submit(coro)


class LocalConnections(_Part):
    def view(self, info: ConnectionInfo) -> ConnectionView:
        location, where = self.ws.secrets.location(info.secret_ref)
        return ConnectionView(name=info.name, system=info.system, flavour=info.flavour, base_url=info.base_url,
                              username=info.username, verify_tls=info.verify_tls, ca_file=info.ca_file,
                              settings=dict(info.settings), secret_location=location, secret_where=where)

    async def all(self) -> list[ConnectionView]:
        return await self.db(lambda: [self.view(c) for c in self.ws.connections()])

    async def add(self, *, name: str, system: str, url: str, flavour: str | None = None,
                  username: str | None = None, secret: str | None = None,
                  ca_file: str | None = None) -> ConnectionView:
        info = await self.db(lambda: self.ws.add_connection(name, system, url=url, flavour=flavour, username=username,
                                                            secret=secret, ca_file=ca_file))
        return self.view(info)

    async def remove(self, name: str) -> None:
        await self.db(lambda: self.ws.remove_connection(name))

    async def test(self, name: str) -> ConnectionTest:
        result: ConnectionTest = await self.engine(self.ws.test_connection(name))
        return result

    async def set_application_token(self, name: str, token: str) -> None:
        """Kept where the sync service on this database looks for it (a secret reference, never the value)."""
        from sync_engine.service.secrets import APPLICATION_TOKEN, ServiceSecrets
        from sync_engine.service.store import ServiceStore

        def store() -> None:
            info = self.ws.connection(name, "bitrix24")
            ServiceSecrets(ServiceStore(self.ws.engine), self.ws.secrets).set(info.name, APPLICATION_TOKEN, token)

        await self.db(store)


class LocalProfiles(_Part):
    async def all(self) -> list[Profile]:
        return await self.db(self.ws.profiles)

    async def save(self, profile: Profile) -> None:
        await self.db(lambda: self.ws.save_profiles([profile]))

    async def delete(self, name: str) -> None:
        await self.db(lambda: self.ws.delete_profile(name))

    async def fields(self, profile: Profile) -> tuple[list[FieldMeta], list[FieldMeta]]:
        result: tuple[list[FieldMeta], list[FieldMeta]] = await self.engine(self.ws.describe_sides(profile))
        return result

    async def sample_scope(self, profile: Profile) -> ScopeSample:
        result: ScopeSample = await self.engine(self.ws.sample_scope(profile))
        return result


class LocalRuns(_Part):
    async def _run(self, name: str, *, dry_run: bool, trigger: str, hints: Hints | None,
                   progress: Progress | None) -> RunOutcome:
        bus = self.b.bus

        async def work() -> RunOutcome:
            bus.publish("run.started", profile=name, trigger=trigger, dry_run=dry_run)
            summary, plan = await self.ws.run(name, dry_run=dry_run, trigger=trigger, hints=hints,
                                              progress=progress or no_progress)
            outcome = RunOutcome(summary=RunSummaryView.model_validate(summary.as_json()), plan=plan_lines(plan),
                                 error=summary.error)
            bus.publish("run.failed" if summary.error else "run.finished", profile=name, run_id=summary.run_id,
                        status="failed" if summary.error else "ok", summary=summary.as_json())
            return outcome

        result: RunOutcome = await self.engine(work())
        return result

    async def run(self, name: str, *, dry_run: bool, progress: Progress | None = None) -> RunOutcome:
        return await self._run(name, dry_run=dry_run, trigger="studio", hints=None, progress=progress)

    async def recent(self, limit: int = 200) -> list[RunView]:
        return await self.db(lambda: self.ws.store.runs(limit=limit))

    async def count_items(self, run_id: int, action: str | None = None) -> int:
        return await self.db(lambda: self.ws.store.count_items(run_id, action))

    async def items_page(self, run_id: int, offset: int, limit: int, action: str | None = None) -> list[ItemView]:
        return await self.db(lambda: self.ws.store.items_page(run_id, offset, limit, action))

    async def retry(self, profile: str, item_ids: list[int] | None = None,
                    progress: Progress | None = None) -> RunOutcome:
        targets = await self.db(lambda: self.ws.store.retry_targets(profile, item_ids))
        if not targets:
            raise LookupError(f"profile {profile!r} has no failed record to retry")
        await self.db(lambda: self.ws.store.make_retries_due(targets))
        hints = Hints(jira=set(targets.jira), bitrix24=set(targets.bitrix24))
        return await self._run(profile, dry_run=False, trigger="retry", hints=hints, progress=progress)


class LocalConflicts(_Part):
    async def all(self) -> list[ConflictView]:
        return await self.db(self.ws.store.open_conflicts)

    async def resolve(self, conflict_id: int, choice: str, value: Any = None) -> None:
        await self.engine(resolve_conflict(self.ws, conflict_id, choice, value, who="studio"))
        self.b.bus.publish("conflict.resolved", conflict_id=conflict_id)


class LocalEvents(_Part):
    async def stream(self) -> AsyncIterator[dict[str, Any]]:
        async with self.b.bus.subscribe() as queue:
            while True:
                yield await queue.get()


class LocalBackend:
    def __init__(self, workspace: Workspace, thread: EngineThread | None = None) -> None:
        self.ws = workspace
        self.thread = thread or EngineThread()
        self.bus = EventBus()
        self.description = "local"
        self.connections = LocalConnections(self)
        self.profiles = LocalProfiles(self)
        self.runs = LocalRuns(self)
        self.conflicts = LocalConflicts(self)
        self.events = LocalEvents(self)

    async def close(self) -> None:
        await asyncio.to_thread(self.shutdown)

    def shutdown(self) -> None:
        self.thread.stop()
        self.ws.close()
