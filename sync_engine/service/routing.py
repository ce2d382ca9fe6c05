"""Which profiles an inbound event concerns, and which of its records a run must read.

Routing only looks at scope (connection, project and issue type, entity) and at whether the profile
has an event trigger for that kind of event. Trigger conditions need the record as it is now and the
last synced values, so they are evaluated later, by the worker, right before the run (see
:func:`fire_filter`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sync_engine.connectors.base import Record
from sync_engine.engine.planner import LinkState
from sync_engine.profiles.schema import EventTrigger, Profile
from sync_engine.triggers import Change, SyncEvent, evaluate

# The trigger events an event kind can satisfy.
_SATISFIES: Mapping[str, tuple[str, ...]] = {
    "created": ("created", "created_or_updated"),
    "updated": ("updated", "created_or_updated", "stage_changed"),
    "deleted": ("deleted",),
}


@dataclass(frozen=True)
class RoutedProfile:
    profile: Profile
    jira_connection: str
    bitrix24_connection: str

    def event_triggers(self, system: str) -> list[EventTrigger]:
        return [t for t in self.profile.triggers if isinstance(t, EventTrigger) and t.system == system]


def wants(route: RoutedProfile, event: Mapping[str, Any], connection: str) -> bool:
    system = event.get("system")
    kind = str(event.get("kind"))
    if not any(t.event in _SATISFIES.get(kind, ()) for t in route.event_triggers(str(system))):
        return False
    p = route.profile
    if system == "jira":
        if connection != route.jira_connection or p.jira.entity != "issue":
            return False
        project = str(event.get("project") or "").upper()
        if project and project not in {k.upper() for k in p.jira.projects}:
            return False
        itype = str(event.get("issue_type") or "").casefold()
        return not (itype and p.jira.issue_types and itype not in {t.casefold() for t in p.jira.issue_types})
    if system == "bitrix24":
        if connection != route.bitrix24_connection or event.get("entity") != p.bitrix24.entity:
            return False
        return p.bitrix24.entity != "item" or event.get("entity_type_id") == p.bitrix24.entity_type_id
    return False


def route(routes: Sequence[RoutedProfile], connection: str, event: Mapping[str, Any]) -> list[str]:
    return [r.profile.name for r in routes if wants(r, event, connection)]


def needs_record(route: RoutedProfile, system: str, kind: str) -> bool:
    """Whether deciding if this event fires needs the record (conditions or a stage comparison)."""
    for t in route.event_triggers(system):
        if t.event in _SATISFIES.get(kind, ()) and not t.conditions and t.event != "stage_changed":
            return False
    return True


def shadow_changes(profile: Profile, system: str, record: Record, link: LinkState | None,
                   reported: Mapping[str, Sequence[Any]]) -> dict[str, Change]:
    """Before/after per field: JIRA's changelog where it says, else the last synced value (shadow)."""
    out: dict[str, Change] = {}
    for name, pair in reported.items():
        if len(pair) == 2:
            out[name] = Change(pair[0], pair[1])
    if link is None:
        return out
    for m in profile.mappings:
        field = m.jira_field if system == "jira" else m.bitrix24_field
        if not field or field in out or m.id not in link.shadow:
            continue
        before = link.shadow[m.id][0 if system == "jira" else 1]
        out[field] = Change(before, record.fields.get(field))
    return out


def fire_filter(route: RoutedProfile, system: str, kind: str, record: Record | None, link: LinkState | None,
                reported: Mapping[str, Sequence[Any]]) -> bool:
    """Does this (re-read) record's event fire one of the profile's triggers?"""
    if not needs_record(route, system, kind):
        return True
    if record is None:
        return kind == "deleted"
    event = SyncEvent(system=system, kind=kind, entity=route.profile.bitrix24.entity  # type: ignore[arg-type]
                      if system == "bitrix24" else "issue", record_id=record.id, fields=record.fields,
                      changes=shadow_changes(route.profile, system, record, link, reported))
    return any(evaluate(t, event) for t in route.event_triggers(system))


def merge_events(payloads: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """One entry per (system, record): a burst of edits to one record is one read of it.

    The newest kind wins except that a delete stays a delete; JIRA changelogs are merged keeping the
    first "before" and the last "after".
    """
    merged: dict[tuple[str, str], dict[str, Any]] = {}
    for ev in payloads:
        key = (str(ev.get("system")), str(ev.get("id")))
        cur = merged.get(key)
        if cur is None:
            merged[key] = {**ev, "changes": dict(ev.get("changes") or {})}
            continue
        if cur.get("kind") != "deleted":
            cur["kind"] = "created" if "created" in (cur.get("kind"), ev.get("kind")) and ev.get("kind") != \
                "deleted" else ev.get("kind")
        for name, pair in (ev.get("changes") or {}).items():
            if name in cur["changes"]:
                cur["changes"][name] = [cur["changes"][name][0], pair[1]]
            else:
                cur["changes"][name] = list(pair)
    return list(merged.values())
