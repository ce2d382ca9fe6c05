"""Pure planning: given both sides' records, links and shadows, decide every write.

No I/O happens here: the runner fetches what the planner needs (changed records, counterparts of
linked ones, candidates for matching) and the applier executes the result. That keeps dry runs
exact and makes the merge rules testable without servers.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sync_engine.connectors.base import Record
from sync_engine.engine.merge import MISSING, Action, Decision, FieldState, decide
from sync_engine.engine.plan import Conflict, Create, FieldChange, ItemError, Missing, PairPlan, Plan, Shadow, Update
from sync_engine.engine.spec import Deferred, FieldRule, SyncSpec
from sync_engine.sides import Side


@dataclass(frozen=True)
class LinkState:
    id: int
    jira_id: str
    bitrix24_id: str
    jira_key: str | None = None
    shadow: Mapping[str, tuple[Any, Any]] = field(default_factory=dict)


@dataclass
class PlanInput:
    """What the runner gathered. ``jira``/``bitrix24`` hold every record the plan may touch, by id."""

    jira: Mapping[str, Record]
    bitrix24: Mapping[str, Record]
    changed_jira: Iterable[str]
    changed_bitrix24: Iterable[str]
    links: Sequence[LinkState] = ()
    # ids known to be deleted on a side (from events or failed fetches of linked records)
    gone_jira: frozenset[str] = frozenset()
    gone_bitrix24: frozenset[str] = frozenset()
    # conflicts a person settled: (jira id, Bitrix24 id, rule id) -> the side whose value wins
    resolutions: Mapping[tuple[str, str, str], Side] = field(default_factory=dict)


def _stamp_value(record: Record, side: Side) -> str:
    """What the other side stamps to remember ``record``: JIRA's key (what people read), B24's id."""
    return (record.key or record.id) if side is Side.JIRA else record.id


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, Mapping):
        value = value.get("value", value.get("name", ""))
    return str(value).strip()


def _stamp_text(value: Any) -> str:
    """A stamp as the id it holds: a JIRA number field gives the deal id "41" back as 41.0, and a stamp
    read as "41.0" would find no deal (and the record would be created a second time)."""
    text = _text(value)
    try:
        number = float(text)
    except ValueError:
        return text
    return str(int(number)) if number.is_integer() else text


def _same_stamp(current: Any, wanted: str) -> bool:
    return _stamp_text(current) == wanted


class Planner:
    def __init__(self, spec: SyncSpec) -> None:
        self.spec = spec
        self._resolutions: Mapping[tuple[str, str, str], Side] = {}

    # -- whole plan -------------------------------------------------------------------------------
    def plan(self, data: PlanInput) -> Plan:
        spec = self.spec
        plan = Plan(profile=spec.profile)
        self._resolutions = data.resolutions
        link_by_j = {lk.jira_id: lk for lk in data.links}
        link_by_b = {lk.bitrix24_id: lk for lk in data.links}
        changed_j = list(dict.fromkeys(data.changed_jira))
        changed_b = list(dict.fromkeys(data.changed_bitrix24))

        touched: dict[int, LinkState] = {}
        for jid in changed_j:
            if jid in link_by_j:
                touched.setdefault(link_by_j[jid].id, link_by_j[jid])
        for bid in changed_b:
            if bid in link_by_b:
                touched.setdefault(link_by_b[bid].id, link_by_b[bid])
        # Deletions found by a reconcile pass or named by events concern links nothing else touched.
        for jid in data.gone_jira:
            if jid in link_by_j:
                touched.setdefault(link_by_j[jid].id, link_by_j[jid])
        for bid in data.gone_bitrix24:
            if bid in link_by_b:
                touched.setdefault(link_by_b[bid].id, link_by_b[bid])
        for link in touched.values():
            jrec = data.jira.get(link.jira_id)
            brec = data.bitrix24.get(link.bitrix24_id)
            if link.jira_id in data.gone_jira:
                jrec = None
            if link.bitrix24_id in data.gone_bitrix24:
                brec = None
            if jrec is None and brec is None:
                # Gone on both sides: nothing left to do but forget the link.
                plan.missing.append(Missing(link.id, Side.JIRA, link.jira_id, action="forget"))
            elif jrec is None:
                assert brec is not None
                plan.missing.append(self._missing(link, brec, Side.BITRIX24))
            elif brec is None:
                plan.missing.append(self._missing(link, jrec, Side.JIRA))
            else:
                self._pair(plan, jrec, brec, link)

        # Unlinked changed records: match, else create.
        used_j = set(link_by_j)
        used_b = set(link_by_b)
        index_b = self._index(data.bitrix24, Side.BITRIX24, used_b)
        index_j = self._index(data.jira, Side.JIRA, used_j)
        for jid in changed_j:
            if jid in used_j or jid not in data.jira:
                continue
            jrec = data.jira[jid]
            partner = self._find(index_b, jrec, Side.JIRA, used_b)
            if partner is not None:
                used_j.add(jid)
                used_b.add(partner.id)
                self._pair(plan, jrec, partner, None)
            else:
                self._create(plan, jrec, Side.JIRA)
                used_j.add(jid)
        for bid in changed_b:
            if bid in used_b or bid not in data.bitrix24:
                continue
            brec = data.bitrix24[bid]
            partner = self._find(index_j, brec, Side.BITRIX24, used_j)
            if partner is not None:
                used_j.add(partner.id)
                used_b.add(bid)
                self._pair(plan, partner, brec, None)
            else:
                self._create(plan, brec, Side.BITRIX24)
                used_b.add(bid)
        return plan

    def _missing(self, link: LinkState, present: Record, side: Side) -> Missing:
        """What the profile's deletion policy does to ``present``, whose partner is gone."""
        policy = self.spec.deletion
        if policy == "mirror":
            return Missing(link.id, side, present.id, action="delete")
        if policy == "mark" and side in self.spec.deletion_marks:
            fld, value = self.spec.deletion_marks[side]
            if _text(present.fields.get(fld)) == _text(value):
                return Missing(link.id, side, present.id, action="none")  # marked already: idempotent
            return Missing(link.id, side, present.id, action="mark", fields={fld: value})
        return Missing(link.id, side, present.id, action="ignore")

    # -- matching ----------------------------------------------------------------------------------
    def _keys(self, record: Record, side: Side) -> list[tuple[str, str]]:
        """Keys under which ``record`` can be found by a record of the other side."""
        keys: list[tuple[str, str]] = []
        stamp = self.spec.stamp_field(side)
        if stamp:
            value = _stamp_text(record.fields.get(stamp))
            if value:
                keys.append(("stamp", value))
        for i, match in enumerate(self.spec.matches):
            raw = record.fields.get(match.jira_field if side is Side.JIRA else match.bitrix24_field)
            value = _text(match.normalise(raw))
            if value:
                keys.append((f"match{i}", value))
        return keys

    def _index(self, records: Mapping[str, Record], side: Side, used: set[str]) -> dict[tuple[str, str], list[Record]]:
        """Every free record under each key it can be found by. Several records may share a key (two
        requests titled alike): a key remembering only the first would, once that one is taken, leave
        the others unmatched and create them a second time."""
        index: dict[tuple[str, str], list[Record]] = {}
        for rec in records.values():
            if rec.id in used:
                continue
            index.setdefault(("self", _stamp_value(rec, side)), []).append(rec)
            for key in self._keys(rec, side):
                index.setdefault(key, []).append(rec)
        return index

    def _find(
        self, index: Mapping[tuple[str, str], list[Record]], record: Record, side: Side, used: set[str]
    ) -> Record | None:
        def free(key: tuple[str, str]) -> Record | None:
            return next((r for r in index.get(key, ()) if r.id not in used), None)

        # 1. the other side carries our stamp (we created it, maybe in a run that crashed);
        candidate = free(("stamp", _stamp_value(record, side)))
        # 2. we carry the other side's stamp (typed in by a person, or written back after a create);
        if candidate is None:
            own = self.spec.stamp_field(side)
            value = _stamp_text(record.fields.get(own)) if own else ""
            if value:
                candidate = free(("self", value))
        # 3. the profile's match rules (email, INN, name, ...), in order: the first hit wins.
        if candidate is None:
            for kind, key in self._keys(record, side):
                if kind.startswith("match"):
                    candidate = free((kind, key))
                    if candidate is not None:
                        break
        return candidate

    # -- creates -------------------------------------------------------------------------------------
    def _create(self, plan: Plan, source: Record, side: Side) -> None:
        target = side.other
        spec = self.spec
        if spec.match_only or target not in spec.create_in:
            plan.skipped.append((side, source.id, f"no counterpart and the profile does not create in {target}"))
            return
        fields: dict[str, Any] = dict(spec.constants.get(target, {}))
        shadow: Shadow = {}
        changes: list[FieldChange] = []
        try:
            for rule in spec.rules:
                if not rule.on_create or not rule.writes_to(target):
                    continue
                try:
                    raw = (rule.read_jira if side is Side.JIRA else rule.read_bitrix24)(source.fields)
                    out = (rule.to_bitrix24 if target is Side.BITRIX24 else rule.to_jira)(raw, source.fields)
                except Deferred as why:
                    plan.deferred.append((side, source.id, rule.id, str(why)))
                    continue
                target_field = rule.bitrix24_field if target is Side.BITRIX24 else rule.jira_field
                assert target_field is not None
                if out is None or out == "":
                    continue
                fields[target_field] = out
                changes.append(FieldChange(rule.id, target_field, None, out))
                if side is Side.JIRA:
                    shadow[rule.id] = (rule.norm_jira(raw), rule.norm_bitrix24(out))
                else:
                    shadow[rule.id] = (rule.norm_jira(out), rule.norm_bitrix24(raw))
        except (ValueError, TypeError, KeyError, LookupError) as exc:
            plan.errors.append(ItemError(side, source.id, f"cannot map for create: {exc}"))
            return
        stamp = spec.stamp_field(target)
        if stamp:
            fields[stamp] = _stamp_value(source, side)
        plan.creates.append(Create(target, source.id, source.key, fields, shadow, changes, source.fields))

    # -- linked pairs ------------------------------------------------------------------------------
    def _pair(self, plan: Plan, jrec: Record, brec: Record, link: LinkState | None) -> None:
        pair = PairPlan(
            jira_id=jrec.id,
            bitrix24_id=brec.id,
            jira_key=jrec.key,
            link_id=link.id if link else None,
        )
        old_shadow = dict(link.shadow) if link else {}
        to_j: dict[str, Any] = {}
        to_b: dict[str, Any] = {}
        ch_j: list[FieldChange] = []
        ch_b: list[FieldChange] = []
        jira_newer = None  # unknown: newest_wins then holds the conflict rather than guess
        if jrec.updated is not None and brec.updated is not None:
            # ... and so it does for a tie, which says nothing about which edit came last
            jira_newer = True if jrec.updated > brec.updated else False if jrec.updated < brec.updated else None
        try:
            for rule in self.spec.rules:
                if not rule.on_update and link is not None:
                    if rule.id in old_shadow:
                        pair.shadow[rule.id] = old_shadow[rule.id]
                    continue
                try:
                    self._field(rule, jrec, brec, old_shadow, jira_newer, pair, to_j, to_b, ch_j, ch_b)
                except Deferred as why:
                    plan.deferred.append((Side.JIRA, jrec.id, rule.id, str(why)))
                    if rule.id in old_shadow:
                        pair.shadow[rule.id] = old_shadow[rule.id]
        except (ValueError, TypeError, KeyError, LookupError) as exc:
            plan.errors.append(ItemError(Side.JIRA, jrec.id, f"cannot map {jrec.key or jrec.id}: {exc}"))
            return
        self._restamp(jrec, brec, to_j, to_b, ch_j, ch_b)
        if to_b:
            pair.updates.append(Update(Side.BITRIX24, brec.id, to_b, ch_b))
        if to_j:
            pair.updates.append(Update(Side.JIRA, jrec.id, to_j, ch_j))
        pair.shadow_changed = pair.shadow != old_shadow
        plan.pairs.append(pair)

    def _restamp(self, jrec: Record, brec: Record, to_j: dict[str, Any], to_b: dict[str, Any],
                 ch_j: list[FieldChange], ch_b: list[FieldChange]) -> None:
        """Write a missing or wrong stamp. A pair matched by one side's stamp (its create's run was
        killed before the back-stamp) or whose stamp someone cleared would otherwise stay findable
        from one side only, and a later crash could then create a duplicate."""
        for side, record, other in ((Side.JIRA, jrec, brec), (Side.BITRIX24, brec, jrec)):
            fld = self.spec.stamp_field(side)
            if not fld:
                continue
            wanted = _stamp_value(other, side.other)
            current = record.fields.get(fld)
            if _same_stamp(current, wanted):
                continue
            (to_j if side is Side.JIRA else to_b).setdefault(fld, wanted)
            (ch_j if side is Side.JIRA else ch_b).append(FieldChange("stamp", fld, current, wanted))

    def _field(
        self,
        rule: FieldRule,
        jrec: Record,
        brec: Record,
        old_shadow: Mapping[str, tuple[Any, Any]],
        jira_newer: bool | None,
        pair: PairPlan,
        to_j: dict[str, Any],
        to_b: dict[str, Any],
        ch_j: list[FieldChange],
        ch_b: list[FieldChange],
    ) -> None:
        jraw = rule.read_jira(jrec.fields)
        braw = rule.read_bitrix24(brec.fields)
        nj = rule.norm_jira(jraw)
        nb = rule.norm_bitrix24(braw)
        base = old_shadow.get(rule.id)
        can_b = rule.writes_to(Side.BITRIX24)
        can_j = rule.writes_to(Side.JIRA)
        out_b = rule.to_bitrix24(jraw, jrec.fields) if can_b else None
        out_j = rule.to_jira(braw, brec.fields) if can_j else None
        state = FieldState(
            jira=nj,
            bitrix24=nb,
            base_jira=base[0] if base else MISSING,
            base_bitrix24=base[1] if base else MISSING,
            jira_as_bitrix24=rule.norm_bitrix24(out_b) if can_b else MISSING,
            bitrix24_as_jira=rule.norm_jira(out_j) if can_j else MISSING,
        )
        decision = decide(state, direction=rule.direction, policy=self.spec.policy, jira_is_newer=jira_newer)
        winner = self._resolutions.get((jrec.id, brec.id, rule.id))
        if decision.action is Action.CONFLICT and winner is not None:
            # A person settled this conflict: their choice is carried over like a one-sided change.
            action = Action.TO_BITRIX24 if winner is Side.JIRA else Action.TO_JIRA
            decision = Decision(action, f"settled by hand: {winner.value} wins", conflict=True)
        if decision.action is Action.TO_BITRIX24 and can_b:
            assert rule.bitrix24_field is not None
            to_b[rule.bitrix24_field] = out_b
            ch_b.append(FieldChange(rule.id, rule.bitrix24_field, braw, out_b))
            pair.shadow[rule.id] = (nj, rule.norm_bitrix24(out_b))
        elif decision.action is Action.TO_JIRA and can_j:
            assert rule.jira_field is not None
            to_j[rule.jira_field] = out_j
            ch_j.append(FieldChange(rule.id, rule.jira_field, jraw, out_j))
            pair.shadow[rule.id] = (rule.norm_jira(out_j), nb)
        elif decision.action is Action.CONFLICT:
            pair.conflicts.append(Conflict(rule.id, rule.label, jraw, braw, base, decision.reason))
            if base is not None:
                pair.shadow[rule.id] = base
        else:
            pair.shadow[rule.id] = (nj, nb)
        if decision.conflict and decision.action is not Action.CONFLICT:
            pair.settled.append(Conflict(rule.id, rule.label, jraw, braw, base, decision.reason))
