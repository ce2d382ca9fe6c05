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
from sync_engine.engine.plan import Create, PairPlan, Plan
from sync_engine.engine.spec import Side, SyncSpec
from sync_engine.engine.state import ItemOutcome, StateStore

log = logging.getLogger(__name__)


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
    def __init__(self, spec: SyncSpec, sides: Sides, store: StateStore) -> None:
        self.spec = spec
        self.sides = sides
        self.store = store

    async def apply(self, plan: Plan, run_id: int) -> ApplyResult:
        out = ApplyResult()
        for target in (Side.BITRIX24, Side.JIRA):
            creates = [c for c in plan.creates if c.target is target]
            if creates:
                await self._create(target, creates, out)
        await self._update(plan.pairs, out)
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
        bodies: list[dict[str, Any]] = []
        after_create: list[dict[str, Any]] = []
        for c in creates:
            body = dict(c.fields)
            # JIRA sets status only through transitions: create first, then move it.
            follow = {"status": body.pop("status")} if target is Side.JIRA and "status" in body else {}
            bodies.append(body)
            after_create.append(follow)
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
        followups: list[tuple[str, dict[str, Any]]] = []
        backstamps: list[tuple[str, dict[str, Any]]] = []
        back_field = self.spec.stamp_field(source)
        for c, intent, result, follow in zip(creates, intents, results, after_create, strict=True):
            done_intents.append(intent.id)
            if not result.ok or result.id is None:
                out.errors += 1
                message = result.error or "create failed"
                out.failed.append((source, c.source_id, message))
                out.items.append(self._about("error", target, source, c.source_id, message))
                continue
            jira_id, jira_key, b24_id = _ids(source, c.source_id, c.source_key, result)
            links.append((None, jira_id, b24_id, jira_key, c.shadow))
            out.created[target.value] += 1
            out.items.append(ItemOutcome("create", target, jira_id, jira_key, b24_id, _changes(c.changes)))
            if follow:
                followups.append((str(result.id), follow))
            if back_field:
                stamp = (result.key or str(result.id)) if target is Side.JIRA else str(result.id)
                backstamps.append((c.source_id, {back_field: stamp}))
        # Links before anything else can fail: the created records are ours now.
        self.store.save_links(self.spec.profile, links)
        self.store.clear_intents(done_intents)
        if followups:
            await self._plain_updates(target, followups, out, "status after create")
        if backstamps:
            await self._plain_updates(source, backstamps, out, "id of the created counterpart")

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
