"""The service's work loops: route stored events to jobs, fire timers, run claimed jobs.

Everything goes through the database (:class:`ServiceStore`), never through memory only, so what one
instance accepted another can run, and nothing is lost between a crash and the next start. A run
reads its records again (events are hints), and all due jobs of one profile run as one batch.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import logging
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from sync_engine.connectors.base import ConnectorError, Record
from sync_engine.engine.runner import Hints
from sync_engine.engine.state import RunSummary
from sync_engine.profiles.schema import ScheduleTrigger
from sync_engine.secrets import SecretError
from sync_engine.service.bus import EventBus
from sync_engine.service.config import ServiceConfig
from sync_engine.service.logs import LOG_CONTEXT, bind
from sync_engine.service.metrics import Metrics
from sync_engine.service.routing import RoutedProfile, fire_filter, merge_events, needs_record, route
from sync_engine.service.store import JobRow, NewJob, ServiceStore, utcnow
from sync_engine.triggers import next_fire_time
from sync_engine.views.plan import describe_plan
from sync_engine.workspace import ProfileSession, Workspace, WorkspaceError

log = logging.getLogger(__name__)
RETRYABLE = (ConnectorError, SecretError, WorkspaceError, OSError)
RUN_REQUESTS = 2  # Bitrix24 requests of a typical event run: one read (records and partners), one write batch


def schedule_timers(routes: Sequence[RoutedProfile], now: datetime) -> dict[str, tuple[str, dict[str, Any], datetime]]:
    """Timer rows for every schedule trigger of every enabled profile; the name changes with the trigger,
    so editing a schedule re-arms it while a restart keeps its due time."""
    out: dict[str, tuple[str, dict[str, Any], datetime]] = {}
    for r in routes:
        for t in r.profile.triggers:
            if isinstance(t, ScheduleTrigger):
                doc = t.model_dump(mode="json")
                digest = hashlib.sha1(json.dumps(doc, sort_keys=True).encode()).hexdigest()[:10]
                name = f"schedule:{r.profile.name}:{digest}"
                out[name] = (r.profile.name, {"trigger": doc, "job": {"trigger": "schedule"}},
                             next_fire_time(t, now, now))
    return out


def rearm(spec: Mapping[str, Any], fired_at: datetime) -> datetime:
    trigger = ScheduleTrigger.model_validate(spec["trigger"])
    return next_fire_time(trigger, fired_at, fired_at)


class Worker:
    def __init__(self, ws: Workspace, store: ServiceStore, config: ServiceConfig, metrics: Metrics, bus: EventBus,
                 routes: Callable[[], Sequence[RoutedProfile]]) -> None:
        self.ws = ws
        self.store = store
        self.config = config
        self.metrics = metrics
        self.bus = bus
        self.routes = routes
        self.owner = config.instance_id
        self.lease = timedelta(seconds=config.lease_seconds)
        self.wake_router = asyncio.Event()
        self.wake_slots = asyncio.Event()
        self._stopping = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []
        self._slots: list[asyncio.Task[None]] = []
        self._sessions: dict[str, ProfileSession] = {}
        self._in_flight: dict[str, list[int]] = {}
        self.running = 0

    # -- lifecycle --------------------------------------------------------------------------------------
    def start(self) -> None:
        self._tasks.append(asyncio.create_task(self._router_loop(), name="b24s-router"))
        if self.config.workers > 0:
            self._tasks.append(asyncio.create_task(self._timer_loop(), name="b24s-timers"))
            for n in range(self.config.workers):
                self._slots.append(asyncio.create_task(self._slot_loop(), name=f"b24s-slot-{n}"))

    async def stop(self, grace_seconds: float) -> None:
        """Stop taking work; let in-flight runs end within ``grace_seconds``, then cancel and hand them back."""
        self._stopping.set()
        self.wake_router.set()
        self.wake_slots.set()
        for task in self._tasks:
            task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._slots:
            _, pending = await asyncio.wait(self._slots, timeout=max(grace_seconds, 0.01))
            for task in pending:
                task.cancel()
            await asyncio.gather(*self._slots, return_exceptions=True)
        await asyncio.to_thread(self.store.release_all, self.owner)
        await self.drop_sessions()

    async def drop_sessions(self) -> None:
        sessions, self._sessions = self._sessions, {}
        for session in sessions.values():
            with contextlib.suppress(Exception):
                await session.aclose()

    async def _nap(self, event: asyncio.Event, seconds: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(event.wait(), seconds)
        event.clear()

    # -- routing ----------------------------------------------------------------------------------------
    def route_batch(self, limit: int = 200) -> int:
        routes = list(self.routes())
        with self.store.write_tx() as conn:
            rows = self.store.inbox_claim(conn, limit)
            jobs: list[NewJob] = []
            routed: list[int] = []
            dropped: list[int] = []
            for row in rows:
                names = route(routes, row.connection, row.payload)
                (routed if names else dropped).append(row.id)
                due = row.received_at + timedelta(seconds=self.config.debounce_seconds)
                for name in names:
                    jobs.append(NewJob(name, "event", {"trigger": "event", "events": [dict(row.payload)]}, due,
                                       received_at=row.received_at, max_attempts=self.config.max_attempts))
            self.store.inbox_mark(conn, routed, "routed")
            self.store.inbox_mark(conn, dropped, "dropped", "no enabled profile has a trigger for this event")
            if jobs:
                self.store.add_jobs(jobs, conn)
        return len(rows)

    async def _router_loop(self) -> None:
        while not self._stopping.is_set():
            try:
                n = await asyncio.to_thread(self.route_batch)
            except Exception:
                log.exception("routing stored events failed")
                n = 0
            if n:
                self.wake_slots.set()
                continue
            await self._nap(self.wake_router, self.config.poll_seconds)

    # -- timers -----------------------------------------------------------------------------------------
    async def _timer_loop(self) -> None:
        while not self._stopping.is_set():
            try:
                fired = await asyncio.to_thread(self.store.fire_due, rearm)
                for t in fired:
                    log.info("timer %s fired for profile %s", t.name, t.profile)
                    self.bus.publish("timer.fired", name=t.name, profile=t.profile)
                if fired:
                    self.wake_slots.set()
            except Exception:
                log.exception("firing timers failed")
            await asyncio.sleep(min(1.0, self.config.poll_seconds * 2))

    # -- running ----------------------------------------------------------------------------------------
    async def _slot_loop(self) -> None:
        while not self._stopping.is_set():
            try:
                claimed = await asyncio.to_thread(self.store.claim, self.owner, self.lease)
            except Exception:
                log.exception("claiming jobs failed")
                claimed = None
            if claimed is None:
                await self._nap(self.wake_slots, self.config.poll_seconds)
                continue
            profile, jobs = claimed
            try:
                jobs += await self._when_budget_allows(profile)
                self._in_flight[profile] = [j.id for j in jobs]
                await self._execute(profile, jobs)
            except asyncio.CancelledError:
                await asyncio.to_thread(self.store.release, self.owner, profile, [j.id for j in jobs])
                raise
            finally:
                self._in_flight.pop(profile, None)

    async def _when_budget_allows(self, profile: str) -> list[JobRow]:
        """Wait before the run, not inside it, when the portal's bucket cannot carry a run now.

        A run paced mid-way holds its events through the wait and those arriving meanwhile wait for the
        run after; waiting first and then taking the jobs that fell due lets them all go in this run.
        Returns those extra jobs (the lease is held throughout: no other instance takes the profile).
        """
        session = self._sessions.get(profile)
        wait = session.bitrix24.budget_delay(RUN_REQUESTS) if session is not None else 0.0
        if wait <= 0:
            return []
        started = asyncio.get_running_loop().time()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._stopping.wait(), min(wait, self.config.lease_seconds / 3))
        self.metrics.inc("b24s_rate_limit_wait_seconds_total", asyncio.get_running_loop().time() - started)
        if self._stopping.is_set():
            return []
        try:
            return await asyncio.to_thread(self.store.claim_more, self.owner, profile, self.lease)
        except Exception:  # the batch in hand still runs; the others wait for the next claim
            log.exception("taking more jobs of %s failed", profile)
            return []

    async def _session(self, profile: str) -> ProfileSession:
        session = self._sessions.get(profile)
        if session is None:
            session = await self.ws.open_profile(profile)
            self._sessions[profile] = session
        return session

    async def _heartbeat(self, profile: str, job_ids: Sequence[int], lost: asyncio.Event) -> None:
        while True:
            await asyncio.sleep(self.config.lease_seconds / 3)
            ok = await asyncio.to_thread(self.store.renew, self.owner, profile, job_ids, self.lease)
            if not ok:
                lost.set()
                return

    async def _execute(self, profile: str, jobs: list[JobRow]) -> None:
        token = bind(profile=profile, jobs=[j.id for j in jobs])
        lost = asyncio.Event()
        beat = asyncio.create_task(self._heartbeat(profile, [j.id for j in jobs], lost))
        self.running += 1
        try:
            await self._execute_batch(profile, jobs)
        finally:
            self.running -= 1
            beat.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await beat
            LOG_CONTEXT.reset(token)
            if lost.is_set():
                log.warning("lost the lease of profile %s while running", profile)

    async def _execute_batch(self, profile: str, jobs: list[JobRow]) -> None:
        ids = [j.id for j in jobs]
        routes = {r.profile.name: r for r in self.routes()}
        r = routes.get(profile)
        if r is None:
            await asyncio.to_thread(self.store.finish, self.owner, profile, ids, run_id=None, result=None,
                                    error=f"profile {profile!r} does not exist or is disabled")
            return
        dry = [j for j in jobs if j.payload.get("dry_run")]
        wet = [j for j in jobs if not j.payload.get("dry_run")]
        for job in dry:
            await self._run_jobs(r, [job], dry_run=True)
        if wet:
            await self._run_jobs(r, wet, dry_run=False)

    async def _run_jobs(self, r: RoutedProfile, jobs: list[JobRow], *, dry_run: bool) -> None:
        profile = r.profile.name
        ids = [j.id for j in jobs]
        full = [j for j in jobs if j.kind != "event" and not j.payload.get("hints")]
        started = utcnow()
        session: ProfileSession | None = None
        calls_before: dict[str, int] = {}
        try:
            session = await self._session(profile)
            calls_before = self._calls(session)
            hints: Hints | None = None
            events: list[dict[str, Any]] = []
            if not full:
                events = merge_events(e for j in jobs for e in j.payload.get("events", []))
                hints = await self._hints(session, r, events, [j.payload.get("hints") for j in jobs])
                if hints is None:
                    await asyncio.to_thread(self.store.finish, self.owner, profile, ids, run_id=None,
                                            result={"skipped": "no trigger fired for these events"})
                    self.metrics.inc("b24s_events_skipped_total", len(events))
                    return
            # Name the run after what it did: a scheduled (full) read with events coalesced into it is a
            # scheduled run, whichever job came first.
            lead = full[0] if full else jobs[0]
            trigger = str(lead.payload.get("trigger") or lead.kind)
            if len(jobs) > 1:
                trigger = f"{trigger} (+{len(jobs) - 1} coalesced)"
            waits_before = session.bitrix24.rate_limit_waits
            summary, plan = await session.run(dry_run=dry_run, trigger=trigger, hints=hints,
                                              reconcile=any(j.payload.get("reconcile") for j in jobs))
            self.metrics.inc("b24s_rate_limit_wait_seconds_total", session.bitrix24.rate_limit_waits - waits_before)
        except asyncio.CancelledError:
            raise
        except RETRYABLE as exc:
            await self._drop_session(profile)
            log.warning("run of %s failed before it started: %s", profile, exc)
            await asyncio.to_thread(self.store.finish, self.owner, profile, ids, run_id=None, result=None,
                                    error=str(exc)[:2000], retry=True)
            self.metrics.inc("b24s_runs_total", kind=jobs[0].kind, status="error")
            self.bus.publish("run.failed", profile=profile, error=str(exc)[:500], jobs=ids)
            return
        except Exception as exc:  # a bug must not kill the slot; the jobs are retried with backoff
            await self._drop_session(profile)
            log.exception("run of %s crashed", profile)
            await asyncio.to_thread(self.store.finish, self.owner, profile, ids, run_id=None, result=None,
                                    error=f"internal error: {type(exc).__name__}", retry=True)
            return
        finally:  # every request the batch made, whichever way it ended
            if session is not None:
                self._count_calls(session, calls_before)
        result = summary.as_json()
        if dry_run:
            result["plan"] = plan.counts()
            result["plan_lines"] = describe_plan(plan)[:2000]
        bind(run_id=summary.run_id)
        await asyncio.to_thread(self.store.finish, self.owner, profile, ids, run_id=summary.run_id, result=result,
                                error=summary.error, retry=bool(summary.error))
        self._record(summary, jobs, events, started)
        if summary.errors and summary.run_id is not None:
            await asyncio.to_thread(self._log_failed_items, summary.run_id)
        log.info("run %s of %s finished: %s", summary.run_id, profile,
                 json.dumps({k: result[k] for k in ("created", "updated", "conflicts", "errors", "seconds")}),
                 extra={"fields": {"run_id": summary.run_id}})

    @staticmethod
    def _calls(session: ProfileSession) -> dict[str, int]:
        return {"jira": session.jira.api_calls, "bitrix24": session.bitrix24.api_calls}

    def _count_calls(self, session: ProfileSession, before: Mapping[str, int]) -> None:
        """Requests of the whole job batch: the run's and those that decided whether triggers fire."""
        for side, now in self._calls(session).items():
            self.metrics.inc("b24s_api_calls_total", now - before[side], system=side)

    def _log_failed_items(self, run_id: int, limit: int = 50) -> None:
        """One log line per failed item, with its ids, so a log search finds the record behind an error."""
        for item in self.ws.store.run_items(run_id, limit=1000):
            if item["action"] != "error":
                continue
            log.warning("item failed: %s", item.get("error") or "unknown error", extra={"fields": {
                "run_id": run_id, "item_id": item["id"], "jira_id": item.get("jira_id"),
                "jira_key": item.get("jira_key"), "bitrix24_id": item.get("bitrix24_id")}})
            limit -= 1
            if limit <= 0:
                return

    async def _drop_session(self, profile: str) -> None:
        session = self._sessions.pop(profile, None)
        if session is not None:
            with contextlib.suppress(Exception):
                await session.aclose()

    async def _hints(self, session: ProfileSession, r: RoutedProfile, events: list[dict[str, Any]],
                     extra: Sequence[Any]) -> Hints | None:
        """Ids to read, keeping only events that fire one of the profile's triggers."""
        hints = Hints()
        for h in extra:
            if isinstance(h, dict):
                hints.jira |= {str(i) for i in h.get("jira", [])}
                hints.bitrix24 |= {str(i) for i in h.get("bitrix24", [])}
        j_ids = [str(e["id"]) for e in events if e.get("system") == "jira"]
        b_ids = [str(e["id"]) for e in events if e.get("system") == "bitrix24"]
        links = await asyncio.to_thread(self.ws.store.links_for, r.profile.name, j_ids, b_ids)
        by_side = {("jira", lk.jira_id): lk for lk in links} | {("bitrix24", lk.bitrix24_id): lk for lk in links}
        records: dict[tuple[str, str], Record] = {}
        for system in ("jira", "bitrix24"):
            wanted = [str(e["id"]) for e in events if e.get("system") == system and e.get("kind") != "deleted"
                      and needs_record(r, system, str(e.get("kind")))]
            if not wanted:
                continue
            # The read happens anyway, so it also takes the records the run will need on this side: the
            # other events' records and their partners. The run then reads nothing here again.
            other = "bitrix24" if system == "jira" else "jira"
            wanted += [str(e["id"]) for e in events if e.get("system") == system and e.get("kind") != "deleted"]
            wanted += [lk.jira_id if system == "jira" else lk.bitrix24_id
                       for e in events if e.get("system") == other
                       and (lk := by_side.get((other, str(e.get("id"))))) is not None]
            conn = session.jira if system == "jira" else session.bitrix24
            scope = session.jira_scope if system == "jira" else session.b24_scope
            for rec in await conn.get_many(scope, list(dict.fromkeys(wanted))):
                records[(system, rec.id)] = rec
                hints.read.setdefault(system, {})[rec.id] = rec
        for e in events:
            system, rid, kind = str(e.get("system")), str(e.get("id")), str(e.get("kind"))
            found = records.get((system, rid))
            if not fire_filter(r, system, kind, found, by_side.get((system, rid)), e.get("changes") or {}):
                continue
            if kind == "deleted":
                (hints.gone_jira if system == "jira" else hints.gone_bitrix24).add(rid)
            else:
                (hints.jira if system == "jira" else hints.bitrix24).add(rid)
        if not (hints.jira or hints.bitrix24 or hints.gone_jira or hints.gone_bitrix24):
            return None
        return hints

    def _record(self, summary: RunSummary, jobs: list[JobRow], events: list[dict[str, Any]],
                started: datetime) -> None:
        m = self.metrics
        status = "failed" if summary.error else "ok"
        m.inc("b24s_runs_total", kind=jobs[0].kind, status=status)
        for side in ("jira", "bitrix24"):
            m.inc("b24s_items_synced_total", summary.created.get(side, 0), outcome="created", side=side)
            m.inc("b24s_items_synced_total", summary.updated.get(side, 0), outcome="updated", side=side)
            m.inc("b24s_items_synced_total", summary.deleted.get(side, 0), outcome="deleted", side=side)
        m.inc("b24s_items_synced_total", summary.unchanged, outcome="unchanged", side="both")
        m.inc("b24s_items_synced_total", summary.errors, outcome="error", side="both")
        m.inc("b24s_items_synced_total", summary.conflicts, outcome="conflict", side="both")
        m.inc("b24s_conflicts_total", summary.conflicts)
        writes = sum(summary.created.values()) + sum(summary.updated.values()) + sum(summary.deleted.values())
        if events and writes == 0 and not summary.error:
            m.inc("b24s_echoes_suppressed_total", len(events))
        now = utcnow()
        for j in jobs:
            if j.received_at is not None:
                m.inc("b24s_event_to_sync_seconds_sum", (now - j.received_at).total_seconds())
                m.inc("b24s_event_to_sync_seconds_count")
        self.bus.publish("run.finished", profile=summary.profile, run_id=summary.run_id, status=status,
                         jobs=[j.id for j in jobs], summary=summary.as_json())
