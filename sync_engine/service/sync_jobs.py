"""Sync runs as jobs of kind ``sync``: the lane is the profile's name, a batch of due jobs is one run.

Events are hints (a run reads its records again), so a burst of events for one profile becomes one run;
a scheduled or manual job of the batch makes it a full read. The handler keeps an open session (live
connectors, field metadata, user look-ups) per profile between runs; a reload retires sessions, closing
each one only once no run uses it, so a reload never pulls a connector from under a running run.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import logging
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from sync_engine.bus import EventBus
from sync_engine.connectors.base import ConnectorError, Record
from sync_engine.engine.runner import Hints
from sync_engine.engine.state import RunSummary
from sync_engine.jobs import Claim, JobBatch, JobHandler, JobRow, Schedule
from sync_engine.profiles.schema import ScheduleTrigger
from sync_engine.secrets import SecretError
from sync_engine.service.config import ServiceConfig
from sync_engine.service.logs import LOG_CONTEXT, bind
from sync_engine.service.metrics import Metrics
from sync_engine.service.routing import RoutedProfile, fire_filter, merge_events, needs_record
from sync_engine.triggers import next_fire_time
from sync_engine.views.plan import plan_lines
from sync_engine.workspace import ProfileSession, Workspace, WorkspaceError

log = logging.getLogger(__name__)
SYNC = "sync"
RETRYABLE = (ConnectorError, SecretError, WorkspaceError, OSError)


def schedule_timers(routes: Sequence[RoutedProfile], now: datetime) -> dict[str, Schedule]:
    """Timer rows for every schedule trigger of every enabled profile; the name changes with the trigger,
    so editing a schedule re-arms it while a restart keeps its due time."""
    out: dict[str, Schedule] = {}
    for r in routes:
        for t in r.profile.triggers:
            if isinstance(t, ScheduleTrigger):
                doc = t.model_dump(mode="json")
                digest = hashlib.sha1(json.dumps(doc, sort_keys=True).encode()).hexdigest()[:10]
                out[f"schedule:{r.profile.name}:{digest}"] = Schedule(
                    r.profile.name, SYNC, doc, next_fire_time(t, now, now), {"trigger": "schedule"})
    return out


def rearm(schedule: Mapping[str, Any], fired_at: datetime) -> datetime:
    trigger = ScheduleTrigger.model_validate(schedule)
    return next_fire_time(trigger, fired_at, fired_at)


class SessionPool:
    """Open profile sessions, reused between runs; retired ones close when their run ends."""

    def __init__(self, ws: Workspace) -> None:
        self.ws = ws
        self._open: dict[str, ProfileSession] = {}
        self._busy: dict[int, int] = {}  # id(session) -> runs using it
        self._retired: set[int] = set()

    def peek(self, profile: str) -> ProfileSession | None:
        return self._open.get(profile)

    async def acquire(self, profile: str) -> ProfileSession:
        session = self._open.get(profile)
        if session is None:
            session = await self.ws.open_profile(profile)
            self._open[profile] = session
        self._busy[id(session)] = self._busy.get(id(session), 0) + 1
        return session

    async def release(self, session: ProfileSession) -> None:
        key = id(session)
        self._busy[key] = self._busy.get(key, 1) - 1
        if self._busy[key] <= 0:
            del self._busy[key]
            if key in self._retired:
                self._retired.discard(key)
                await _close(session)

    async def retire(self, profile: str | None = None) -> None:
        """Forget sessions (all, or one profile's): idle ones close now, busy ones when their run ends."""
        names = list(self._open) if profile is None else [profile]
        for name in names:
            session = self._open.pop(name, None)
            if session is None:
                continue
            if id(session) in self._busy:
                self._retired.add(id(session))
            else:
                await _close(session)


async def _close(session: ProfileSession) -> None:
    with contextlib.suppress(Exception):
        await session.aclose()


class SyncJobHandler(JobHandler):
    kind = SYNC

    def __init__(self, ws: Workspace, config: ServiceConfig, metrics: Metrics, bus: EventBus,
                 routes: Callable[[], Sequence[RoutedProfile]]) -> None:
        self.ws = ws
        self.config = config
        self.metrics = metrics
        self.bus = bus
        self.routes = routes
        self.sessions = SessionPool(ws)

    async def close(self) -> None:
        await self.sessions.retire()

    async def taken_over(self, claim: Claim) -> None:
        """The previous holder died mid-run: its run row would otherwise say "running" for ever."""
        if claim.previous_lease_until is None:
            return
        await asyncio.to_thread(self.ws.store.fail_interrupted_runs, claim.lane, claim.previous_lease_until,
                                f"interrupted: service instance {claim.taken_over_from} stopped before finishing "
                                "this run")

    # -- pacing -------------------------------------------------------------------------------------------
    async def before_batch(self, batch: JobBatch) -> None:
        """Wait before the run, not inside it, when the portal's bucket cannot carry a run now.

        A run paced mid-way holds its events through the wait and those arriving meanwhile wait for the
        run after; waiting first and then taking the jobs that fell due lets them all go in this run (the
        lease is held throughout: no other instance takes the profile).
        """
        session = self.sessions.peek(batch.lane)
        wait = session.bitrix24.budget_delay(self.config.run_requests) if session is not None else 0.0
        if wait <= 0:
            return
        loop = asyncio.get_running_loop()
        started = loop.time()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(batch.stopping.wait(), min(wait, self.config.lease_seconds / 3))
        self.metrics.inc("b24s_rate_limit_wait_seconds_total", loop.time() - started)
        if batch.stopping.is_set():
            return
        try:
            await batch.take_more()
        except Exception:  # the batch in hand still runs; the others wait for the next claim
            log.exception("taking more jobs of %s failed", batch.lane)

    # -- running ------------------------------------------------------------------------------------------
    async def run(self, batch: JobBatch) -> None:
        token = bind(profile=batch.lane, jobs=[j.id for j in batch.jobs])
        try:
            routes = {r.profile.name: r for r in self.routes()}
            r = routes.get(batch.lane)
            if r is None:
                batch.fail(batch.jobs, f"profile {batch.lane!r} does not exist or is disabled")
                return
            dry = [j for j in batch.jobs if j.payload.get("dry_run")]
            wet = [j for j in batch.jobs if not j.payload.get("dry_run")]
            for job in dry:
                await self._run_jobs(batch, r, [job], dry_run=True)
            if wet:
                await self._run_jobs(batch, r, wet, dry_run=False)
        finally:
            LOG_CONTEXT.reset(token)

    async def _run_jobs(self, batch: JobBatch, r: RoutedProfile, jobs: list[JobRow], *, dry_run: bool) -> None:
        profile = r.profile.name
        full = [j for j in jobs if j.origin != "event" and not j.payload.get("hints")]
        started = batch.now()
        session: ProfileSession | None = None
        calls_before: dict[str, int] = {}
        events: list[dict[str, Any]] = []
        try:
            session = await self.sessions.acquire(profile)
            calls_before = _calls(session)
            hints: Hints | None = None
            if not full:
                events = merge_events(e for j in jobs for e in j.payload.get("events", []))
                hints = await self._hints(session, r, events, [j.payload.get("hints") for j in jobs])
                if hints is None:
                    batch.done(jobs, {"skipped": "no trigger fired for these events"})
                    self.metrics.inc("b24s_events_skipped_total", len(events))
                    return
            # Name the run after what it did: a scheduled (full) read with events coalesced into it is a
            # scheduled run, whichever job came first.
            lead = full[0] if full else jobs[0]
            trigger = str(lead.payload.get("trigger") or lead.origin)
            if len(jobs) > 1:
                trigger = f"{trigger} (+{len(jobs) - 1} coalesced)"
            waits_before = session.bitrix24.rate_limit_waits
            summary, plan = await session.run(dry_run=dry_run, trigger=trigger, hints=hints,
                                              reconcile=any(j.payload.get("reconcile") for j in jobs))
            self.metrics.inc("b24s_rate_limit_wait_seconds_total", session.bitrix24.rate_limit_waits - waits_before)
        except asyncio.CancelledError:
            raise
        except RETRYABLE as exc:
            await self.sessions.retire(profile)
            log.warning("run of %s failed before it started: %s", profile, exc)
            batch.retry(jobs, str(exc)[:2000])
            self.metrics.inc("b24s_runs_total", kind=jobs[0].origin, status="error")
            self.bus.publish("run.failed", profile=profile, error=str(exc)[:500], jobs=[j.id for j in jobs])
            return
        except Exception as exc:  # a bug must not kill the slot; the jobs are retried with backoff
            await self.sessions.retire(profile)
            log.exception("run of %s crashed", profile)
            batch.retry(jobs, f"internal error: {type(exc).__name__}")
            return
        finally:  # every request the batch made, whichever way it ended
            if session is not None:
                self._count_calls(session, calls_before)
                await self.sessions.release(session)
        result = summary.as_json()
        if dry_run:
            result["plan"] = plan.counts()
            lines = plan_lines(plan)[:2000]
            result["plan_lines"] = [text for line in lines for text in line.text()]
            result["plan_items"] = [line.model_dump(mode="json") for line in lines]
        bind(run_id=summary.run_id)
        if summary.error:
            batch.retry(jobs, summary.error, result)
        else:
            batch.done(jobs, result)
        self._record(summary, jobs, events, started)
        if summary.errors and summary.run_id is not None:
            await asyncio.to_thread(self._log_failed_items, summary.run_id)
        log.info("run %s of %s finished: %s", summary.run_id, profile,
                 json.dumps({k: result[k] for k in ("created", "updated", "conflicts", "errors", "seconds")}),
                 extra={"fields": {"run_id": summary.run_id}})

    def _count_calls(self, session: ProfileSession, before: Mapping[str, int]) -> None:
        """Requests of the whole job batch: the run's and those that decided whether triggers fire."""
        for side, now in _calls(session).items():
            self.metrics.inc("b24s_api_calls_total", now - before.get(side, now), system=side)

    def _log_failed_items(self, run_id: int, limit: int = 50) -> None:
        """One log line per failed item, with its ids, so a log search finds the record behind an error."""
        for item in self.ws.store.items_page(run_id, 0, limit, action="error"):
            log.warning("item failed: %s", item.error or "unknown error", extra={"fields": {
                "run_id": run_id, "item_id": item.id, "jira_id": item.jira_id, "jira_key": item.jira_key,
                "bitrix24_id": item.bitrix24_id}})

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
        m.inc("b24s_runs_total", kind=jobs[0].origin, status=status)
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
        now = datetime.now(UTC)  # latency is real time, whatever clock the queue runs on
        for j in jobs:
            if j.received_at is not None:
                m.inc("b24s_event_to_sync_seconds_sum", max(0.0, (now - j.received_at).total_seconds()))
                m.inc("b24s_event_to_sync_seconds_count")
        self.bus.publish("run.finished", profile=summary.profile, run_id=summary.run_id, status=status,
                         jobs=[j.id for j in jobs], summary=summary.as_json())


def _calls(session: ProfileSession) -> dict[str, int]:
    return {"jira": session.jira.api_calls, "bitrix24": session.bitrix24.api_calls}
