"""A plan as lines a person reads: what a run would create, match, update, hold or leave alone."""

from __future__ import annotations

import json
from typing import Any, Literal

from pydantic import BaseModel, Field

from sync_engine.engine.plan import FieldChange, Plan
from sync_engine.sides import Side
from sync_engine.views.runs import RunSummaryView

LineKind = Literal["create", "match", "update", "conflict", "gone", "deferred", "error"]
MISSING_ACTION_TEXT = {"none": "already marked", "forget": "forget the link", "ignore": "leave it",
                       "delete": "delete it"}


class ChangeView(BaseModel):
    rule: str
    field: str
    before: Any = None
    after: Any = None


class PlanLine(BaseModel):
    kind: LineKind
    target: Side | None = Field(None, description="the side written to (create, update, gone)")
    jira_id: str | None = None
    jira_key: str | None = None
    bitrix24_id: str | None = None
    rule: str | None = Field(None, description="the mapping a conflict or deferral concerns")
    changes: list[ChangeView] = Field(default_factory=list)
    message: str = ""

    def text(self) -> list[str]:
        """The line in the CLI's words (the first line, then indented field changes)."""
        pair = f"{self.jira_key or self.jira_id} ↔ deal/record {self.bitrix24_id}"
        where = self.target.title if self.target else ""
        if self.kind == "create":
            source = self.jira_key or self.jira_id if self.target is Side.BITRIX24 else self.bitrix24_id
            return [f"create in {where} from {source}:", *(f"    {c.field}: {short(c.after)}" for c in self.changes)]
        if self.kind == "match":
            return [f"match {pair}"]
        if self.kind == "update":
            return [f"update {where} for {pair}:",
                    *(f"    {c.field}: {short(c.before)} → {short(c.after)}" for c in self.changes)]
        if self.kind == "conflict":
            return [f"conflict {pair} on {self.message}"]
        if self.kind == "gone":
            return [f"counterpart gone: {self.message}"]
        if self.kind == "deferred":
            return [f"deferred {self.message}"]
        return [f"error {self.message}"]


def short(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= 60 else text[:57] + "..."


def _changes(changes: list[FieldChange]) -> list[ChangeView]:
    return [ChangeView(rule=c.rule, field=c.field, before=c.before, after=c.after) for c in changes]


def plan_lines(plan: Plan) -> list[PlanLine]:
    lines: list[PlanLine] = []
    for c in plan.creates:
        ids = ({"jira_id": c.source_id, "jira_key": c.source_key} if c.target is Side.BITRIX24
               else {"bitrix24_id": c.source_id})
        lines.append(PlanLine(kind="create", target=c.target, changes=_changes(c.changes), **ids))
    for p in plan.pairs:
        pair: dict[str, Any] = {"jira_id": p.jira_id, "jira_key": p.jira_key, "bitrix24_id": p.bitrix24_id}
        if p.link_id is None:
            lines.append(PlanLine(kind="match", **pair))
        for u in p.updates:
            lines.append(PlanLine(kind="update", target=u.target, changes=_changes(u.changes), **pair))
        for conflict in p.conflicts:
            lines.append(PlanLine(kind="conflict", rule=conflict.rule, **pair, message=(
                f"{conflict.label}: JIRA {short(conflict.jira_value)} / Bitrix24 {short(conflict.bitrix24_value)} "
                f"({conflict.reason})")))
    for m in plan.missing:
        what = f"mark it {m.fields}" if m.action == "mark" else MISSING_ACTION_TEXT.get(m.action, m.action)
        ids = {"jira_id": m.present_id} if m.present is Side.JIRA else {"bitrix24_id": m.present_id}
        lines.append(PlanLine(kind="gone", target=m.present, **ids,
                              message=f"{m.present.value} {m.present_id} (link {m.link_id}): {what}"))
    for side, rid, rule, why in plan.deferred:
        ids = {"jira_id": rid} if side is Side.JIRA else {"bitrix24_id": rid}
        lines.append(PlanLine(kind="deferred", rule=rule, **ids, message=f"{side.value} {rid} {rule}: {why}"))
    for e in plan.errors:
        ids = {"jira_id": e.record_id} if e.side is Side.JIRA else {"bitrix24_id": e.record_id}
        lines.append(PlanLine(kind="error", **ids, message=f"{e.side.value} {e.record_id}: {e.message}"))
    return lines


def describe_plan(plan: Plan) -> list[str]:
    """The plan as text lines (``b24sync run --dry-run``)."""
    return [text for line in plan_lines(plan) for text in line.text()]


class RunOutcome(BaseModel):
    """A run or plan started by a person: its numbers, the plan's lines and the error that stopped it."""

    summary: RunSummaryView
    plan: list[PlanLine] = Field(default_factory=list)
    error: str | None = None
