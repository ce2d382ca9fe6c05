"""The engine's compiled view of a profile: plain callables per mapped field, no schema objects.

A profile (YAML / DB) is compiled once per run into a :class:`SyncSpec` against both sides' live
field metadata; the planner then works only with these, which keeps it pure and fast and lets the
profile schema evolve without touching the merge logic.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from sync_engine.engine.merge import ConflictPolicy, Direction
from sync_engine.sides import Side


class Deferred(Exception):
    """A field's value cannot be computed yet (an unknown user, a related record not linked yet).

    The planner leaves just that field out (and its shadow as it was), so the rest of the record syncs
    now and the field follows on a later run.
    """


Reader = Callable[[Mapping[str, Any]], Any]
Converter = Callable[[Any], Any]
# (raw source value, the source record's raw fields) -> raw value for the target
Writer = Callable[[Any, Mapping[str, Any]], Any]


def _identity(value: Any) -> Any:
    return value


def _pass(value: Any, record: Mapping[str, Any]) -> Any:
    return value


@dataclass(frozen=True)
class FieldRule:
    """One mapping, compiled.

    ``read_*`` take a record's raw fields and give the raw source value (a rendered text for a
    template); ``to_*`` turn a raw value of one side (with its record, for transforms that read other
    fields) into the raw value to write on the other;
    ``norm_*`` give comparable values (what the shadow stores). A side's field id is None when the
    rule can never write there (e.g. a template target is written, its sources are not).
    """

    id: str
    label: str
    direction: Direction
    jira_field: str | None
    bitrix24_field: str | None
    read_jira: Reader
    read_bitrix24: Reader
    to_bitrix24: Writer = _pass
    to_jira: Writer = _pass
    norm_jira: Converter = _identity
    norm_bitrix24: Converter = _identity
    on_create: bool = True
    on_update: bool = True

    def writes_to(self, side: Side) -> bool:
        if side is Side.BITRIX24:
            return self.bitrix24_field is not None and self.direction in (Direction.TO_BITRIX24, Direction.BOTH)
        return self.jira_field is not None and self.direction in (Direction.TO_JIRA, Direction.BOTH)


@dataclass(frozen=True)
class MatchRule:
    """How an unlinked record finds its counterpart: equal normalised values of two fields."""

    jira_field: str
    bitrix24_field: str
    normalise: Converter = _identity


@dataclass(frozen=True)
class SyncSpec:
    profile: str
    rules: tuple[FieldRule, ...]
    create_in: frozenset[Side] = frozenset({Side.JIRA, Side.BITRIX24})
    policy: ConflictPolicy = ConflictPolicy.MANUAL
    matches: tuple[MatchRule, ...] = ()  # tried in order after links and stamps
    match_only: bool = False
    # Where each side records the other's id, so a re-run after a crash finds what it created.
    stamp_jira_field: str | None = None  # JIRA field holding the Bitrix24 id
    stamp_bitrix24_field: str | None = None  # Bitrix24 field holding the JIRA key
    constants: Mapping[Side, Mapping[str, Any]] = field(default_factory=dict)  # extra values on create
    # What a deletion on one side does to its linked partner: "ignore" (keep it, keep the link so it is
    # never re-created), "mirror" (delete it too) or "mark" (write ``deletion_marks[side]`` into it).
    deletion: str = "ignore"
    deletion_marks: Mapping[Side, tuple[str, Any]] = field(default_factory=dict)

    def stamp_field(self, side: Side) -> str | None:
        return self.stamp_jira_field if side is Side.JIRA else self.stamp_bitrix24_field
