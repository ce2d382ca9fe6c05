"""The plan: plain data saying what a run would write. Dry run prints it; the applier executes it."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from sync_engine.sides import Side

Shadow = dict[str, tuple[Any, Any]]  # rule id -> (normalised JIRA value, normalised Bitrix24 value)


@dataclass(frozen=True)
class FieldChange:
    rule: str
    field: str
    before: Any
    after: Any


@dataclass
class Create:
    """Create ``source``'s counterpart on ``target`` with ``fields`` (raw values for that side)."""

    target: Side
    source_id: str
    source_key: str | None
    fields: dict[str, Any]
    shadow: Shadow
    changes: list[FieldChange] = field(default_factory=list)
    source_fields: Mapping[str, Any] = field(default_factory=dict)  # to settle defaults the target added


@dataclass
class Update:
    """Write ``fields`` to record ``target_id`` on ``target``; part of a :class:`PairPlan`."""

    target: Side
    target_id: str
    fields: dict[str, Any]
    changes: list[FieldChange] = field(default_factory=list)


@dataclass
class Conflict:
    rule: str
    label: str
    jira_value: Any
    bitrix24_value: Any
    base: tuple[Any, Any] | None
    reason: str


@dataclass
class PairPlan:
    """Everything about one linked (or newly matched) pair."""

    jira_id: str
    bitrix24_id: str
    jira_key: str | None
    link_id: int | None  # None: a new link made by matching
    updates: list[Update] = field(default_factory=list)
    conflicts: list[Conflict] = field(default_factory=list)
    settled: list[Conflict] = field(default_factory=list)  # both changed, settled by policy
    shadow: Shadow = field(default_factory=dict)
    shadow_changed: bool = False

    @property
    def writes(self) -> bool:
        return any(u.fields for u in self.updates)


@dataclass
class Missing:
    """A linked record whose counterpart no longer exists (deleted on that side)."""

    link_id: int
    present: Side
    present_id: str
    action: str = "ignore"  # ignore | delete | mark | none (already marked) | forget (both gone)
    fields: dict[str, Any] = field(default_factory=dict)  # the mark to write when action is "mark"


@dataclass
class ItemError:
    side: Side
    record_id: str
    message: str


@dataclass
class Plan:
    profile: str
    creates: list[Create] = field(default_factory=list)
    pairs: list[PairPlan] = field(default_factory=list)
    missing: list[Missing] = field(default_factory=list)
    skipped: list[tuple[Side, str, str]] = field(default_factory=list)  # (side, id, reason)
    errors: list[ItemError] = field(default_factory=list)
    deferred: list[tuple[Side, str, str, str]] = field(default_factory=list)  # (side, id, rule, why)

    @property
    def deletes(self) -> list[Missing]:
        return [m for m in self.missing if m.action in ("delete", "mark")]

    @property
    def matches(self) -> list[PairPlan]:
        return [p for p in self.pairs if p.link_id is None]

    @property
    def updates(self) -> list[PairPlan]:
        return [p for p in self.pairs if p.writes]

    @property
    def conflicts(self) -> list[tuple[PairPlan, Conflict]]:
        return [(p, c) for p in self.pairs for c in p.conflicts]

    @property
    def unchanged(self) -> int:
        return sum(1 for p in self.pairs if not p.writes and not p.conflicts and p.link_id is not None)

    def counts(self) -> Mapping[str, Any]:
        def per_side(items: list[Side]) -> dict[str, int]:
            return {s.value: sum(1 for i in items if i is s) for s in Side}

        return {
            "created": per_side([c.target for c in self.creates]),
            "updated": per_side([u.target for p in self.pairs for u in p.updates if u.fields]),
            "matched": len(self.matches),
            "unchanged": self.unchanged,
            "conflicts": len(self.conflicts),
            "errors": len(self.errors),
            "deferred": len(self.deferred),
            "deleted": per_side([m.present for m in self.missing if m.action == "delete"]),
            "marked": per_side([m.present for m in self.missing if m.action == "mark"]),
        }
