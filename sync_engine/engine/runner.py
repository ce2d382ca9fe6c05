"""One run of one profile: read what changed, gather what the planner needs, plan, apply, record.

Reads are incremental per side from a durable cursor. The next cursor is the instant the read
started, less an overlap, so a record modified while we were reading (or in the same JIRA minute)
is read again next time; re-reading is harmless because the planner recognises unchanged records
from their shadows. A run that fails while reading leaves the cursors where they were.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sync_engine.connectors.base import Connector, ConnectorError, Cursor, Record
from sync_engine.engine.applier import Applier, Sides
from sync_engine.engine.plan import Plan
from sync_engine.engine.planner import LinkState, PlanInput, Planner
from sync_engine.engine.spec import SyncSpec
from sync_engine.engine.state import Resolution, RunSummary, StateStore
from sync_engine.progress import Progress, no_progress
from sync_engine.sides import Side

log = logging.getLogger(__name__)


def _now() -> datetime:
    return datetime.now(UTC)


@dataclass
class Hints:
    """Ids named by events (webhooks): read these by id instead of scanning since the cursor.

    ``read`` holds records the caller already read after the events arrived (to decide whether they fire a
    trigger), keyed by side value then id; the run uses them instead of spending another request.
    """

    jira: set[str] = field(default_factory=set)
    bitrix24: set[str] = field(default_factory=set)
    gone_jira: set[str] = field(default_factory=set)
    gone_bitrix24: set[str] = field(default_factory=set)
    read: dict[str, dict[str, Record]] = field(default_factory=dict)

    def ids(self, side: Side) -> set[str]:
        return self.jira if side is Side.JIRA else self.bitrix24

    def already_read(self, side: Side) -> dict[str, Record]:
        return self.read.get(side.value, {})


class Runner:
    def __init__(
        self,
        spec: SyncSpec,
        sides: Sides,
        store: StateStore,
        *,
        overlap: timedelta = timedelta(minutes=2),
        clock: Callable[[], datetime] = _now,
        prepare: Callable[[PlanInput], Awaitable[None]] | None = None,
        progress: Progress = no_progress,
    ) -> None:
        self.spec = spec
        self.sides = sides
        self.store = store
        self.overlap = overlap
        self.clock = clock
        self._old_intents: list[int] = []
        self._resolutions: list[Resolution] = []
        self._prepare = prepare  # fills run-scoped lookups (users) from the gathered records
        self.progress = progress
        # Read ahead in this run's first read (partners of hinted records), and ids that read found absent:
        # later look-ups take them from here instead of asking the system again.
        self._ahead: dict[Side, dict[str, Record]] = {Side.JIRA: {}, Side.BITRIX24: {}}
        self._absent: dict[Side, set[str]] = {Side.JIRA: set(), Side.BITRIX24: set()}

    async def run(
        self, *, trigger: str = "manual", dry_run: bool = False, hints: Hints | None = None,
        reconcile: bool = False,
    ) -> tuple[RunSummary, Plan]:
        """One run. ``reconcile`` also re-reads every linked record, which is how deletions are noticed
        when no event reported them (a deleted record never shows up in a changed-since read)."""
        profile = self.spec.profile
        summary = RunSummary(None, profile, trigger, dry_run, self.clock())
        calls_before = {s: self.sides.conn(s).api_calls for s in Side}
        retries_before = {s: _retries(self.sides.conn(s)) for s in Side}
        plan = Plan(profile)
        try:
            self.progress(0, None, "reading")
            data, cursors = await self._gather(hints, reconcile)
            self.progress(len(data.jira) + len(data.bitrix24), None, "read")
            if self._prepare is not None:
                await self._prepare(data)
            plan = Planner(self.spec).plan(data)
            counts = plan.counts()
            summary.matched = counts["matched"]
            summary.unchanged = counts["unchanged"]
            summary.conflicts = counts["conflicts"]
            summary.deferred = counts["deferred"]
            if dry_run:
                summary.created = dict(counts["created"])
                summary.updated = dict(counts["updated"])
                summary.deleted = dict(counts["deleted"])
                summary.errors = counts["errors"]
                return self._close(summary, calls_before, retries_before), plan
            summary.run_id = self.store.start_run(profile, trigger)
            result = await Applier(self.spec, self.sides, self.store, self.progress).apply(plan, summary.run_id)
            summary.created, summary.updated, summary.errors = result.created, result.updated, result.errors
            summary.deleted = result.deleted
            self.store.record_items(summary.run_id, result.items)
            failed_keys = {(s, rid) for s, rid, _ in result.failed}
            self.store.add_retries(profile, result.failed)
            done = [(s, rid) for s in Side for rid in data_ids(data, s) if (s, rid) not in failed_keys]
            self.store.clear_retries(profile, done)
            # Earlier creates of unknown outcome were found by stamp or planned again just now.
            self.store.clear_intents(self._old_intents)
            # A pair whose write failed keeps its resolution pending; one that merely waits for another field
            # (deferred) had the settled field written and is done.
            failed_jira = {i.jira_id for i in result.items if i.action == "error" and i.jira_id}
            planned = {(p.jira_id, p.bitrix24_id) for p in plan.pairs}
            self.store.mark_resolutions_applied(
                r.conflict_id for r in self._resolutions
                if (r.jira_id, r.bitrix24_id) in planned and r.jira_id not in failed_jira
            )
            for side, cursor in cursors.items():
                self.store.set_cursor(profile, side, cursor)
        except ConnectorError as exc:
            summary.error = str(exc)
            summary.errors += 1
            log.warning("run of %s failed: %s", profile, exc)
            if summary.run_id is None and not dry_run:
                summary.run_id = self.store.start_run(profile, trigger)
        except Exception as exc:
            # Not an outage: a defect or an answer nobody foresaw. The run row must not stay "running";
            # record it as failed, then let the caller see the error.
            summary.error = f"{type(exc).__name__}: {exc}"
            summary.errors += 1
            if summary.run_id is not None:
                self._close(summary, calls_before, retries_before)
                self.store.finish_run(summary.run_id, summary)
            raise
        self._close(summary, calls_before, retries_before)
        if summary.run_id is not None:
            self.store.finish_run(summary.run_id, summary)
        return summary, plan

    def _close(
        self, summary: RunSummary, calls_before: Mapping[Side, int], retries_before: Mapping[Side, int]
    ) -> RunSummary:
        summary.finished = self.clock()
        for s in Side:
            conn = self.sides.conn(s)
            summary.api_calls[s.value] = conn.api_calls - calls_before[s]
            summary.retries[s.value] = _retries(conn) - retries_before[s]
        return summary

    # -- gathering -------------------------------------------------------------------------------
    async def _gather(self, hints: Hints | None, reconcile: bool = False) -> tuple[PlanInput, dict[Side, Cursor]]:
        profile = self.spec.profile
        self._ahead = {Side.JIRA: {}, Side.BITRIX24: {}}
        self._absent = {Side.JIRA: set(), Side.BITRIX24: set()}
        records: dict[Side, dict[str, Record]] = {Side.JIRA: {}, Side.BITRIX24: {}}
        changed: dict[Side, list[str]] = {Side.JIRA: [], Side.BITRIX24: []}
        full_read: dict[Side, bool] = {}
        cursors: dict[Side, Cursor] = {}

        wanted: dict[Side, set[str]] = {}
        if hints is not None:
            # The hinted records and their partners in one read per side: the partners are needed anyway
            # (three-way merge), and on a rate-limited portal every request saved is latency saved.
            known = self.store.links_for(profile, hints.jira, hints.bitrix24)
            wanted = {Side.JIRA: hints.jira | {lk.jira_id for lk in known},
                      Side.BITRIX24: hints.bitrix24 | {lk.bitrix24_id for lk in known}}
        for side in Side:
            started = self.clock()
            conn, scope = self.sides.conn(side), self.sides.scope(side)
            if hints is not None:
                hinted = hints.ids(side)
                pool = {i: r for i, r in hints.already_read(side).items() if i in wanted[side]}
                missing = sorted(wanted[side] - set(pool))
                for rec in await conn.get_many(scope, missing) if missing else []:
                    pool[rec.id] = rec
                keys = {h.upper() for h in hinted}  # a JIRA hint may name the issue by key
                got = sorted((r for r in pool.values() if r.id in hinted or (r.key or "").upper() in keys),
                             key=lambda r: r.id)
                taken = {r.id for r in got}
                # The partners wait here until a link of a changed record (or a retry) asks for them.
                self._ahead[side] = {i: r for i, r in pool.items() if i not in taken}
                self._absent[side] = {i for i in missing if i not in pool and i not in hinted}
                full_read[side] = False
            else:
                cursor = self.store.get_cursor(profile, side)
                got = []
                async for page in conn.iter_changed(scope, cursor):
                    got.extend(page)
                full_read[side] = cursor is None
                cursors[side] = Cursor(updated=started - self.overlap)
            for rec in got:
                if rec.id not in records[side]:
                    changed[side].append(rec.id)
                records[side][rec.id] = rec

        # Items that failed before and are due again, and creates whose outcome is unknown.
        extra: dict[Side, set[str]] = {Side.JIRA: set(), Side.BITRIX24: set()}
        for item in self.store.due_retries(profile, self.clock()):
            extra[item.side].add(item.record_id)
        intents = self.store.pending_intents(profile)
        for intent in intents:
            extra[intent.target.other].add(intent.source_id)
        resolutions = self.store.pending_resolutions(profile)
        for res in resolutions:
            extra[Side.JIRA].add(res.jira_id)
            extra[Side.BITRIX24].add(res.bitrix24_id)
        self._resolutions = resolutions
        await self._fetch_into(records, changed, extra, mark_changed=True)

        if reconcile:
            links = self.store.all_links(profile)
        else:
            links = self.store.links_for(profile, changed[Side.JIRA], changed[Side.BITRIX24])
        need: dict[Side, set[str]] = {Side.JIRA: set(), Side.BITRIX24: set()}
        for link in links:
            if link.jira_id not in records[Side.JIRA]:
                need[Side.JIRA].add(link.jira_id)
            if link.bitrix24_id not in records[Side.BITRIX24]:
                need[Side.BITRIX24].add(link.bitrix24_id)
        await self._fetch_into(records, changed, need, mark_changed=False)
        gone = {s: {i for i in need[s] if i not in records[s]} for s in Side}
        if hints is not None:
            gone[Side.JIRA] |= hints.gone_jira
            gone[Side.BITRIX24] |= hints.gone_bitrix24

        await self._candidates(records, changed, links, full_read)
        self._old_intents = [i.id for i in intents]
        data = PlanInput(
            jira=records[Side.JIRA],
            bitrix24=records[Side.BITRIX24],
            changed_jira=changed[Side.JIRA],
            changed_bitrix24=changed[Side.BITRIX24],
            links=links,
            gone_jira=frozenset(gone[Side.JIRA]),
            gone_bitrix24=frozenset(gone[Side.BITRIX24]),
            resolutions={(r.jira_id, r.bitrix24_id, r.rule): r.winner for r in resolutions},
        )
        return data, cursors

    async def _fetch_into(
        self,
        records: dict[Side, dict[str, Record]],
        changed: dict[Side, list[str]],
        wanted: Mapping[Side, Iterable[str]],
        *,
        mark_changed: bool,
    ) -> None:
        for side in Side:
            ids = sorted(set(wanted[side]) - set(records[side]))
            if not ids:
                continue
            ahead = self._ahead[side]
            found = [ahead.pop(i) for i in ids if i in ahead]
            ready = {r.id for r in found}
            ask = [i for i in ids if i not in ready and i not in self._absent[side]]
            if ask:
                found += await self.sides.conn(side).get_many(self.sides.scope(side), ask)
            for rec in found:
                records[side][rec.id] = rec
                if mark_changed:
                    changed[side].append(rec.id)

    async def _candidates(
        self,
        records: dict[Side, dict[str, Record]],
        changed: dict[Side, list[str]],
        links: Sequence[LinkState],
        full_read: Mapping[Side, bool],
    ) -> None:
        """Look up possible counterparts of unlinked changed records on sides not fully read."""
        linked = {Side.JIRA: {lk.jira_id for lk in links}, Side.BITRIX24: {lk.bitrix24_id for lk in links}}
        for side in Side:
            other = side.other
            if full_read.get(other):
                continue  # every record of the other side is already here
            unlinked = [records[side][i] for i in changed[side] if i not in linked[side]]
            if not unlinked:
                continue
            lookups: dict[str, set[str]] = {}
            stamp_other = self.spec.stamp_field(other)
            if stamp_other:
                values = {(r.key or r.id) if side is Side.JIRA else r.id for r in unlinked}
                lookups.setdefault(stamp_other, set()).update(values)
            stamp_own = self.spec.stamp_field(side)
            if stamp_own:
                own_values = {str(r.fields.get(stamp_own) or "").strip() for r in unlinked} - {""}
                if own_values:
                    lookups.setdefault("key" if other is Side.JIRA else "ID", set()).update(own_values)
            for match in self.spec.matches:
                mine = match.jira_field if side is Side.JIRA else match.bitrix24_field
                theirs = match.bitrix24_field if side is Side.JIRA else match.jira_field
                vals = {str(r.fields.get(mine) or "").strip() for r in unlinked} - {""}
                if vals:
                    lookups.setdefault(theirs, set()).update(vals)
            conn, scope = self.sides.conn(other), self.sides.scope(other)
            for fld, values in lookups.items():
                if values:
                    for rec in await conn.find(scope, fld, sorted(values)):
                        records[other].setdefault(rec.id, rec)


def data_ids(data: PlanInput, side: Side) -> list[str]:
    return list(data.changed_jira if side is Side.JIRA else data.changed_bitrix24)


def _retries(conn: Connector) -> int:
    return int(getattr(conn, "retries", 0))
