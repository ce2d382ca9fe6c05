"""Deciding when a profile runs: event conditions and schedules.

Pure functions over small values, so the engine's event intake and scheduler (which own queues,
clocks and the database) can be tested apart from the rules themselves.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from types import MappingProxyType
from typing import Any, Literal
from zoneinfo import ZoneInfo

from croniter import croniter

from sync_engine.mapping.values import TransformError, is_empty, option_keys, parse_number, text_of
from sync_engine.profiles.schema import Condition, EventTrigger, ScheduleTrigger
from sync_engine.sides import Side

EventKind = Literal["created", "updated", "deleted"]

# The field whose change is a "stage change" on each side: the deal/item stage or the JIRA status.
STAGE_FIELDS: Mapping[str, tuple[str, ...]] = MappingProxyType({
    "bitrix24": ("STAGE_ID", "stageId", "STATUS_ID"),
    "jira": ("status",),
})


@dataclass(frozen=True, slots=True)
class Change:
    before: Any
    after: Any


@dataclass(frozen=True, slots=True)
class SyncEvent:
    """Something that happened to one record, as the engine sees it after reading the record.

    ``fields`` is the record after the change (raw values); ``changes`` holds the fields that changed,
    with before/after values (from the stored shadow), empty when unknown (e.g. for ``created``).
    """

    system: Side
    kind: EventKind
    entity: str
    record_id: str = ""
    fields: Mapping[str, Any] = field(default_factory=dict)
    changes: Mapping[str, Change] = field(default_factory=dict)


def _keys(value: Any) -> set[str]:
    """The strings a raw value may be named by (option id and label, user id and e-mail...)."""
    if isinstance(value, list):
        out: set[str] = set()
        for item in value:
            out |= _keys(item)
        return out
    keys = option_keys(value)
    if isinstance(value, Mapping):
        for k in ("accountId", "emailAddress", "key", "displayName"):
            if value.get(k):
                keys.add(str(value[k]).strip().casefold())
    if isinstance(value, bool):
        keys = {"y", "true"} if value else {"n", "false"}
    elif isinstance(value, int | float):
        keys.add(text_of(float(value)).casefold())
    elif isinstance(value, str):
        text = value.strip()
        try:
            keys.add(text_of(float(text)).casefold())
        except ValueError:
            pass
    return keys


def _matches(raw: Any, expected: Any) -> bool:
    if expected is None:
        return is_empty(raw)
    if is_empty(raw):
        return False
    return bool(_keys(raw) & _keys(expected))


def _changed(event: SyncEvent, name: str) -> Change | None:
    change = event.changes.get(name)
    if change is None:
        return None
    if _same(change.before, change.after):
        return None  # reported as changed but the same value (e.g. "1000.00" vs 1000)
    return change


def _same(a: Any, b: Any) -> bool:
    if is_empty(a) or is_empty(b):
        return is_empty(a) and is_empty(b)
    if isinstance(a, list) or isinstance(b, list):
        la, lb = (a if isinstance(a, list) else [a]), (b if isinstance(b, list) else [b])
        return len(la) == len(lb) and all(any(_same(x, y) for y in lb) for x in la) and all(
            any(_same(y, x) for x in la) for y in lb)
    try:
        return parse_number(a) == parse_number(b)
    except TransformError:
        pass
    return bool(_keys(a) & _keys(b))


def condition_holds(cond: Condition, event: SyncEvent) -> bool:
    value = event.fields.get(cond.field)
    if cond.field in event.changes and cond.field not in event.fields:
        value = event.changes[cond.field].after
    op = cond.op
    if op == "eq":
        return _matches(value, cond.value)
    if op == "ne":
        return not _matches(value, cond.value)
    if op in ("in", "not_in"):
        assert isinstance(cond.value, list)
        found = any(_matches(value, v) for v in cond.value)
        return found if op == "in" else not found
    if op == "empty":
        return is_empty(value)
    if op == "not_empty":
        return not is_empty(value)
    change = _changed(event, cond.field)
    if change is None:
        return False
    if op == "changed":
        return True
    if op == "changed_to":
        return _matches(change.after, cond.value)
    if op == "changed_from":
        return _matches(change.before, cond.value)
    raise ValueError(f"unknown condition op {op!r}")


def evaluate(trigger: EventTrigger, event: SyncEvent) -> bool:
    """Does ``event`` fire ``trigger``? The caller has already matched the event to the profile's scope."""
    if trigger.system != event.system:
        return False
    wanted = trigger.event
    if wanted == "created_or_updated":
        if event.kind not in ("created", "updated"):
            return False
    elif wanted == "stage_changed":
        if event.kind != "updated":
            return False
        if not any(_changed(event, f) is not None for f in STAGE_FIELDS[event.system]):
            return False
    elif wanted != event.kind:
        return False
    return all(condition_holds(c, event) for c in trigger.conditions)


def next_fire_time(trigger: ScheduleTrigger, last_fired: datetime | None, now: datetime) -> datetime:
    """When the schedule should run next (UTC, aware).

    Never run before: now. Interval: ``last_fired + interval``. Cron: the first cron time after
    ``last_fired`` (or after ``now``) read in the trigger's time zone. A result in the past means a run
    was missed (e.g. the engine was stopped) and is due now; it is run once, not once per missed slot.

    Local times that daylight saving skips or repeats are handled as Vixie cron (and cronie) do. A time
    the clocks skip (02:30 when 02:00 jumps to 03:00) runs once, right after the jump (03:00): a nightly
    job must not silently miss a night. A time the clocks repeat (01:30 when 02:00 falls back to 01:00)
    runs once, at its first occurrence, for an expression with a fixed minute and hour; one with ``*`` in
    its minute or hour field runs by the clock in both passes, as such frequent jobs run every hour anyway.
    """
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    if last_fired is not None and last_fired.tzinfo is None:
        raise ValueError("last_fired must be timezone-aware")
    if trigger.interval_seconds is not None:
        if last_fired is None:
            return now.astimezone(UTC)
        return (last_fired + timedelta(seconds=trigger.interval_seconds)).astimezone(UTC)
    assert trigger.cron is not None
    zone = ZoneInfo(trigger.timezone)
    times = croniter(trigger.cron, (last_fired or now).astimezone(zone))
    nxt = times.get_next(datetime)
    minute, hour = trigger.cron.split()[:2]
    if not minute.startswith("*") and not hour.startswith("*") and _second_pass(nxt):
        nxt = times.get_next(datetime)  # this local time already came once today, an hour ago
    return nxt.astimezone(UTC)


def _second_pass(local: datetime) -> bool:
    """Is ``local`` the repeat of a wall-clock time the clocks fell back over?"""
    return local.fold == 1 and local.replace(fold=0).utcoffset() != local.utcoffset()
