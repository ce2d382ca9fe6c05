"""The only code that writes remotely: executes a :class:`Plan` in batches and records outcomes.

Order matters for crash safety: create intents are committed before the remote create, and each
created record carries the source's stamp, so a run killed between the remote create and the local
commit finds the record on the next run (by stamp) instead of creating it again. Shadows are saved
only for writes that succeeded, so a failed write is simply planned again.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sync_engine.connectors.base import Connector, ConnectorError, EntityScope, WriteResult
from sync_engine.engine.plan import Create, Missing, PairPlan, Plan
from sync_engine.engine.spec import Deferred, SyncSpec
from sync_engine.engine.state import ItemOutcome, StateStore
from sync_engine.progress import Progress, no_progress
from sync_engine.sides import Side

log = logging.getLogger(__name__)

# A shadow value no real value equals: the source side "changed" it, so the write is planned again.
UNSYNCED = "\u2063unsynced\u2063"


@dataclass
class Sides:
    """The two connectors and scopes of a profile, addressable by :class:`Side`."""

    jira: Connector
    bitrix24: Connector
    jira_scope: EntityScope
    bitrix24_scope: EntityScope

    def conn(self, side: Side) -> Connector:
        return self.jira if side is Side.JIRA else self.bitrix24

    def scope(self, side: Side) -> EntityScope:
        return self.jira_scope if side is Side.JIRA else self.bitrix24_scope


@dataclass
class ApplyResult:
    items: list[ItemOutcome] = field(default_factory=list)
    created: dict[str, int] = field(default_factory=lambda: {"jira": 0, "bitrix24": 0})
    updated: dict[str, int] = field(default_factory=lambda: {"jira": 0, "bitrix24": 0})
    deleted: dict[str, int] = field(default_factory=lambda: {"jira": 0, "bitrix24": 0})
    errors: int = 0
    failed: list[tuple[Side, str, str]] = field(default_factory=list)  # (side, source record id, error)


def _changes(fields_changes: Sequence[Any]) -> list[dict[str, Any]]:
    return [{"field": c.field, "before": c.before, "after": c.after} for c in fields_changes]


def _ids(side: Side, source_id: str, source_key: str | None, result: WriteResult) -> tuple[str, str | None, str]:
    """(jira_id, jira_key, bitrix24_id) of a pair created from ``side``."""
    if side is Side.JIRA:
        return source_id, source_key, str(result.id)
    return str(result.id), result.key, source_id


class Applier:
    def __init__(self, spec: SyncSpec, sides: Sides, store: StateStore, progress: Progress = no_progress) -> None:
        self.spec = spec
        self.sides = sides
        self.store = store
        self.progress = progress

    async def apply(self, plan: Plan, run_id: int) -> ApplyResult:
        out = ApplyResult()
        total = len(plan.creates) + len(plan.updates) + len(plan.deletes)
        done = 0
        self.progress(done, total, "writing")
        for target in (Side.BITRIX24, Side.JIRA):
            creates = [c for c in plan.creates if c.target is target]
            if creates:
                await self._create(target, creates, out)
                done += len(creates)
                self.progress(done, total, f"created in {target.title}")
        await self._update(plan.pairs, out)
        done += len(plan.updates)
        self.progress(done, total, "updated")
        await self._deletions(plan.missing, out)
        self.progress(total, total, "written")
        self._conflicts(plan, run_id, out)
        for err in plan.errors:
            out.errors += 1
            out.failed.append((err.side, err.record_id, err.message))
            out.items.append(ItemOutcome("error", err.side, error=err.message))
        for side, rid, rule, why in plan.deferred:
            # The rest of the record was synced; this field waits and the record is read again later.
            out.failed.append((side, rid, f"{rule}: {why}"))
            out.items.append(self._about("deferred", side, side, rid, f"{rule}: {why}"))
        for side, rid, reason in plan.skipped:
            out.items.append(self._about("skip", side, side, rid, reason))
        return out

    @staticmethod
    def _about(action: str, side: Side | None, record_side: Side, rid: str, error: str) -> ItemOutcome:
        """An outcome about one record known only by its id on ``record_side``."""
        if record_side is Side.JIRA:
            return ItemOutcome(action, side, jira_id=rid, error=error)
        return ItemOutcome(action, side, bitrix24_id=rid, error=error)

    # -- creates -------------------------------------------------------------------------------
    async def _create(self, target: Side, creates: list[Create], out: ApplyResult) -> None:
        source = target.other
        stamp_field = self.spec.stamp_field(target)
        intents = self.store.add_intents(
            self.spec.profile,
            [(target, c.source_id, c.source_key, str(c.fields.get(stamp_field or "", ""))) for c in creates],
        )
        # JIRA sets status only through a transition; the connector makes it right after the create and
        # reports a refused one as a note on an otherwise successful item.
        bodies = [dict(c.fields) for c in creates]
        conn = self.sides.conn(target)
        try:
            results = await conn.create_many(self.sides.scope(target), bodies)
        except ConnectorError as exc:
            # Outcome unknown: intents stay pending; the next run looks for the stamps first.
            log.warning("create batch on %s failed: %s", target, exc)
            for c in creates:
                out.errors += 1
                out.failed.append((source, c.source_id, str(exc)))
                out.items.append(self._about("error", target, source, c.source_id, str(exc)))
            return
        links: list[tuple[int | None, str, str, str | None, Mapping[str, Any]]] = []
        done_intents: list[int] = []
        backstamps: list[tuple[str, dict[str, Any]]] = []
        created: dict[str, Create] = {}
        partial: set[str] = set()  # created, but some value (the status) did not take
        back_field = self.spec.stamp_field(source)
        for c, intent, result in zip(creates, intents, results, strict=True):
            done_intents.append(intent.id)
            if not result.ok or result.id is None:
                out.errors += 1
                message = result.error or "create failed"
                out.failed.append((source, c.source_id, message))
                out.items.append(self._about("error", target, source, c.source_id, message))
                continue
            jira_id, jira_key, b24_id = _ids(source, c.source_id, c.source_key, result)
            created[str(result.id)] = c
            if result.error:
                partial.add(str(result.id))
                out.errors += 1
                out.failed.append((source, c.source_id, result.error))
                out.items.append(self._about("error", target, source, c.source_id, result.error))
            links.append((None, jira_id, b24_id, jira_key, c.shadow))
            out.created[target.value] += 1
            out.items.append(ItemOutcome("create", target, jira_id, jira_key, b24_id, _changes(c.changes)))
            if back_field:
                stamp = (result.key or str(result.id)) if target is Side.JIRA else str(result.id)
                backstamps.append((c.source_id, {back_field: stamp}))
        fills = await self._settle(target, created, partial) if created else {}
        if fills:
            # Values the target filled in by itself go back to the source with the stamp (same write).
            stamped = {rid for rid, _ in backstamps}
            backstamps = [(rid, {**body, **fills.get(rid, {})}) for rid, body in backstamps]
            backstamps += [(rid, body) for rid, body in fills.items() if rid not in stamped]
        # Links before anything else can fail: the created records are ours now.
        self.store.save_links(self.spec.profile, links)
        self.store.clear_intents(done_intents)
        if backstamps:
            await self._plain_updates(source, backstamps, out, "id of the created counterpart")

    def _mapped_fields(self, side: Side) -> list[str]:
        """Only what the profile maps on ``side`` (plus identity, stamp and status): reading back 10,000
        new records with every field would hold far more in memory than the check needs."""
        wanted = {r.jira_field if side is Side.JIRA else r.bitrix24_field for r in self.spec.rules}
        wanted |= {self.spec.stamp_field(side)}
        if side is Side.JIRA:
            wanted |= {"status", "updated", "key"}
        else:
            item = self.sides.scope(side).entity == "item"
            wanted |= {"id", "updatedTime"} if item else {"ID", "DATE_MODIFY"}
        return sorted(f for f in wanted if f)

    async def _settle(self, target: Side, created: Mapping[str, Create], partial: set[str]
                      ) -> dict[str, dict[str, Any]]:
        """Read the created records back and make their shadows say what is really there.

        A target adds values of its own on create (Bitrix24 makes the caller responsible and defaults
        the currency) and may refuse one (a status no workflow transition reaches). A shadow that
        assumed every value landed would make the next run see those as fresh edits: defaults would be
        copied to the source a run late, and a refused status copied back over the source. So: a value
        the target added where the source is empty is returned here to be written to the source with
        the back-stamp; a value that did not take gets the target's actual value and, on the source
        side, a value nothing equals, so the next run retries the write (the item is queued for retry).
        Returns source id -> extra fields for the source.
        """
        try:
            records = await self.sides.conn(target).get_many(self.sides.scope(target), list(created),
                                                             fields=self._mapped_fields(target))
        except ConnectorError as exc:
            log.warning("could not read back %d created record(s): %s", len(created), exc)
            records = []
        found = {r.id: r for r in records}
        source = target.other
        fills: dict[str, dict[str, Any]] = {}
        for rid, create in created.items():
            record = found.get(rid)
            if record is None:
                continue
            for rule in self.spec.rules:
                read_t = rule.read_jira if target is Side.JIRA else rule.read_bitrix24
                read_s = rule.read_bitrix24 if target is Side.JIRA else rule.read_jira
                norm_t = rule.norm_jira if target is Side.JIRA else rule.norm_bitrix24
                norm_s = rule.norm_bitrix24 if target is Side.JIRA else rule.norm_jira
                target_field = rule.jira_field if target is Side.JIRA else rule.bitrix24_field
                try:
                    actual = norm_t(read_t(record.fields))
                    if rid in partial and target_field == "status" and rule.id in create.shadow:
                        pair = (actual, UNSYNCED)
                        create.shadow[rule.id] = pair if target is Side.JIRA else (pair[1], pair[0])
                        continue
                    if rule.id in create.shadow or not rule.writes_to(source) or not rule.on_create:
                        continue
                    raw_s = read_s(create.source_fields)
                    if raw_s not in (None, "", [], {}) or actual in (None, "", [], {}):
                        continue
                    write = rule.to_bitrix24 if source is Side.BITRIX24 else rule.to_jira
                    out = write(read_t(record.fields), record.fields)
                except (Deferred, ValueError, TypeError, KeyError, LookupError) as exc:
                    # A value that cannot settle now is left to the next run's merge.
                    log.debug("not settling %s of %s: %s", rule.id, rid, exc)
                    continue
                source_field = rule.bitrix24_field if source is Side.BITRIX24 else rule.jira_field
                if source_field is None or out in (None, ""):
                    continue
                fills.setdefault(create.source_id, {})[source_field] = out
                pair = (actual, norm_s(out))
                create.shadow[rule.id] = pair if target is Side.JIRA else (pair[1], pair[0])
        return fills

    async def _plain_updates(
        self, side: Side, items: list[tuple[str, dict[str, Any]]], out: ApplyResult, what: str
    ) -> None:
        try:
            results = await self.sides.conn(side).update_many(self.sides.scope(side), items)
        except ConnectorError as exc:
            results = [WriteResult(i, False, error=str(exc)) for i in range(len(items))]
        for (rid, _), result in zip(items, results, strict=True):
            if not result.ok:
                out.errors += 1
                message = f"could not write {what}: {result.error}"
                out.items.append(self._about("error", side, side, rid, message))

    # -- updates ---------------------------------------------------------------------------------
    async def _update(self, pairs: list[PairPlan], out: ApplyResult) -> None:
        ok: dict[int, bool] = {id(p): True for p in pairs}
        errors: dict[int, str] = {}
        for target in (Side.BITRIX24, Side.JIRA):
            batch = [(p, u) for p in pairs for u in p.updates if u.target is target and u.fields]
            if not batch:
                continue
            try:
                results = await self.sides.conn(target).update_many(
                    self.sides.scope(target), [(u.target_id, u.fields) for _, u in batch]
                )
            except ConnectorError as exc:
                results = [WriteResult(i, False, error=str(exc)) for i in range(len(batch))]
            for (pair, _), result in zip(batch, results, strict=True):
                if result.ok:
                    out.updated[target.value] += 1
                else:
                    ok[id(pair)] = False
                    errors[id(pair)] = result.error or "update failed"
        links: list[tuple[int | None, str, str, str | None, Mapping[str, Any]]] = []
        for pair in pairs:
            changes = [c for u in pair.updates for c in u.changes]
            if not ok[id(pair)]:
                out.errors += 1
                out.failed.append((Side.JIRA, pair.jira_id, errors[id(pair)]))
                out.items.append(
                    ItemOutcome("error", None, pair.jira_id, pair.jira_key, pair.bitrix24_id, _changes(changes),
                                errors[id(pair)])
                )
                continue
            if pair.link_id is None or pair.shadow_changed or pair.writes:
                links.append((pair.link_id, pair.jira_id, pair.bitrix24_id, pair.jira_key, pair.shadow))
            if pair.writes:
                sides = {u.target for u in pair.updates if u.fields}
                side = sides.pop() if len(sides) == 1 else None
                out.items.append(
                    ItemOutcome("update", side, pair.jira_id, pair.jira_key, pair.bitrix24_id, _changes(changes))
                )
            elif pair.link_id is None:
                out.items.append(ItemOutcome("match", None, pair.jira_id, pair.jira_key, pair.bitrix24_id))
        self.store.save_links(self.spec.profile, links)

    # -- deletions ------------------------------------------------------------------------------
    async def _deletions(self, missing: list[Missing], out: ApplyResult) -> None:
        """Apply the deletion policy to records whose partner is gone.

        Mirrored deletions drop the link once the partner is deleted too. Ignored and marked ones keep
        the link: without it the surviving record's next edit would look unlinked and re-create the
        partner that someone deliberately deleted.
        """
        forget = [m.link_id for m in missing if m.action == "forget"]
        for side in Side:
            doomed = [m for m in missing if m.present is side and m.action == "delete"]
            if doomed:
                try:
                    results = await self.sides.conn(side).delete_many(self.sides.scope(side),
                                                                        [m.present_id for m in doomed])
                except ConnectorError as exc:
                    results = [WriteResult(i, False, error=str(exc)) for i in range(len(doomed))]
                for m, result in zip(doomed, results, strict=True):
                    if result.ok or (result.error or "").lower().find("not found") >= 0:
                        forget.append(m.link_id)
                        out.deleted[side.value] += 1
                        out.items.append(self._about("delete", side, side, m.present_id, "partner was deleted"))
                    else:
                        self._failed(out, side, m.present_id, f"could not delete: {result.error}")
            marks = [m for m in missing if m.present is side and m.action == "mark"]
            if marks:
                try:
                    results = await self.sides.conn(side).update_many(self.sides.scope(side),
                                                                        [(m.present_id, m.fields) for m in marks])
                except ConnectorError as exc:
                    results = [WriteResult(i, False, error=str(exc)) for i in range(len(marks))]
                for m, result in zip(marks, results, strict=True):
                    if result.ok:
                        out.updated[side.value] += 1
                        changes = [{"field": k, "before": None, "after": v} for k, v in m.fields.items()]
                        item = self._about("mark", side, side, m.present_id, "partner was deleted")
                        item.changes = changes
                        out.items.append(item)
                    else:
                        self._failed(out, side, m.present_id, f"could not mark as deleted: {result.error}")
            for m in missing:
                if m.present is side and m.action == "ignore":
                    out.items.append(self._about("skip", None, side, m.present_id,
                                                 "partner was deleted; the profile ignores deletions"))
        if forget:
            self.store.delete_links(self.spec.profile, forget)

    def _failed(self, out: ApplyResult, side: Side, rid: str, message: str) -> None:
        out.errors += 1
        out.failed.append((side, rid, message))
        out.items.append(self._about("error", side, side, rid, message))

    def _conflicts(self, plan: Plan, run_id: int, out: ApplyResult) -> None:
        held: list[dict[str, Any]] = []
        for pair, conflict in plan.conflicts:
            held.append(
                {
                    "jira_id": pair.jira_id,
                    "jira_key": pair.jira_key,
                    "bitrix24_id": pair.bitrix24_id,
                    "rule": conflict.rule,
                    "label": conflict.label,
                    "jira_value": conflict.jira_value,
                    "bitrix24_value": conflict.bitrix24_value,
                    "base": list(conflict.base) if conflict.base else None,
                    "reason": conflict.reason,
                }
            )
            out.items.append(
                ItemOutcome("conflict", None, pair.jira_id, pair.jira_key, pair.bitrix24_id,
                            [{"field": conflict.label, "before": conflict.jira_value,
                              "after": conflict.bitrix24_value}], conflict.reason)
            )
        if held:
            self.store.hold_conflicts(self.spec.profile, run_id, held)
