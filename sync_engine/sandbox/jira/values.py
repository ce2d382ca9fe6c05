"""Turning what a client writes into a field into the twin's stored form, and back into changelog items.

Every refusal names the field, as JIRA's ``errors`` map does, so a connector bug shows up as the same
400 it would get from a real JIRA rather than as silently stored junk.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any, Protocol

from sync_engine.sandbox.jira import durations, timefmt
from sync_engine.sandbox.jira.catalog import SEED_SCREEN, Catalog, FieldDef, ProjectDef

SYSTEM_SETTABLE = SEED_SCREEN
AUTOMATIC = "-1"  # the assignee "Automatic": the project's default assignee


class ProjectItems(Protocol):
    """Versions and components of a project, as field values name them (``{"id"}`` or ``{"name"}``)."""

    def item_id(self, kind: str, project: str, ref: dict[str, Any]) -> str | None: ...

    def item_name(self, kind: str, item_id: str) -> str: ...


def not_settable(field_id: str) -> str:
    return f"Field '{field_id}' cannot be set. It is not on the appropriate screen, or unknown."


def adf_to_text(value: Any) -> str:
    """Flatten an Atlassian Document Format node (v3 bodies) to plain text."""
    if isinstance(value, str):
        return value
    if isinstance(value, dict):
        if value.get("type") == "text":
            return str(value.get("text", ""))
        parts = [adf_to_text(c) for c in value.get("content", []) or []]
        sep = "\n" if value.get("type") == "doc" else ""
        return sep.join(parts)
    if isinstance(value, list):
        return "".join(adf_to_text(v) for v in value)
    return ""


def text_to_adf(text: str | None) -> dict[str, Any] | None:
    if text is None:
        return None
    return {"type": "doc", "version": 1,
            "content": [{"type": "paragraph", "content": [{"type": "text", "text": line}] if line else []}
                        for line in text.split("\n")]}


class FieldWriter:
    """Validates one create/edit payload against the screen of a project's issue type."""

    def __init__(self, catalog: Catalog, project: ProjectDef, issue_type: str | None = None,
                 items: ProjectItems | None = None, default_assignee: Callable[[], str | None] | None = None) -> None:
        self.cat = catalog
        self.project = project
        self.screen = project.fields_for(issue_type)
        self.items = items
        self.default_assignee = default_assignee or (lambda: None)
        self.errors: dict[str, str] = {}

    def on_screen(self, field_id: str) -> FieldDef | None:
        f = self.cat.fields.get(field_id)
        if f is None:
            return None
        if f.custom and field_id not in self.screen:
            return None
        if not f.custom and field_id not in self.project.system_fields:
            return None
        return f

    def _items(self, f: FieldDef, value: Any) -> list[str] | None:
        """Component or version ids of ``[{"id"}|{"name"}, ...]`` in this project."""
        kind = "component" if f.kind == "components" else "version"
        if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
            self.errors[f.id] = f"Field '{f.id}' must be a list of objects with 'id' or 'name'."
            return None
        out: list[str] = []
        for ref in value:
            found = self.items.item_id(kind, self.project.key, ref) if self.items else None
            if found is None:
                shown = ref.get("name", ref.get("id"))
                self.errors[f.id] = (f"Component name '{shown}' is not valid" if kind == "component"
                                     else f"Version name '{shown}' is not valid")
                return None
            if found not in out:
                out.append(found)
        return out

    def _timetracking(self, f: FieldDef, value: Any, stored: dict[str, Any]) -> None:
        if not isinstance(value, dict) or not set(value) <= {"originalEstimate", "remainingEstimate",
                                                             "originalEstimateSeconds",
                                                             "remainingEstimateSeconds"}:
            self.errors[f.id] = "Time tracking takes 'originalEstimate' and 'remainingEstimate'."
            return
        for name, target in (("originalEstimate", "timeoriginalestimate"), ("remainingEstimate", "timeestimate")):
            seconds: Any = value.get(f"{name}Seconds")
            if name in value:
                seconds = durations.parse(value[name]) if value[name] not in (None, "") else None
                if value[name] not in (None, "") and seconds is None:
                    self.errors[f.id] = f"Invalid time duration entered for '{name}': {value[name]!r}."
                    return
            elif f"{name}Seconds" not in value:
                continue
            stored[target] = seconds
        if "timeoriginalestimate" in stored and "remainingEstimate" not in value \
                and "remainingEstimateSeconds" not in value and stored.get("timespent") in (None, 0):
            stored["timeestimate"] = stored["timeoriginalestimate"]  # a new estimate starts fully remaining

    def convert(self, f: FieldDef, value: Any) -> Any:
        """Stored form of ``value`` for ``f``; records an error and returns None when invalid."""
        fid = f.id
        if f.kind == "text":
            if fid == "description" and isinstance(value, dict):
                value = adf_to_text(value)
            if value is None and fid != "summary":
                return None
            if not isinstance(value, str):
                self.errors[fid] = f"Field '{fid}' must be a string." if fid != "summary" else \
                    "You must specify a summary of the issue."
                return None
            if fid == "summary":
                value = value.strip()
                if not value:
                    self.errors[fid] = "You must specify a summary of the issue."
                elif len(value) > 255:
                    self.errors[fid] = "Summary must be less than 255 characters."
            return value
        if value is None:
            return [] if f.kind == "labels" else None
        if f.kind == "string":
            if not isinstance(value, str):
                self.errors[fid] = "Operation value must be a string"
                return None
            if len(value) > 255:
                self.errors[fid] = "The entered text is too long. It exceeds the allowed limit of 255 characters."
            return value
        if f.kind == "number":
            if isinstance(value, bool) or not isinstance(value, int | float):
                self.errors[fid] = "Operation value must be a number"
                return None
            try:
                number = float(value)
            except OverflowError:
                number = math.inf
            if not math.isfinite(number):
                self.errors[fid] = f"The number '{value}' is out of range."
                return None
            return number
        if f.kind == "date":
            if not isinstance(value, str) or timefmt.parse_date(value) is None:
                self.errors[fid] = f"Error parsing date string: {value}"
                return None
            return value
        if f.kind == "option":
            if not isinstance(value, dict) or not ({"value", "id"} & set(value)):
                self.errors[fid] = "Could not find valid 'id' or 'value' in the Parent Option object."
                return None
            if "id" in value:
                opt = f.option_by_id(str(value["id"]))
                if opt is None:
                    self.errors[fid] = f"Option id '{value['id']}' is not valid"
                    return None
            else:
                opt = f.option_by_value(str(value["value"]))
                if opt is None:
                    self.errors[fid] = f"Option value '{value['value']}' is not valid"
                    return None
            return opt.value
        if f.kind == "priority":
            if not isinstance(value, dict) or not ({"name", "id"} & set(value)):
                self.errors[fid] = "Could not find valid 'id' or 'name' in priority object."
                return None
            ref = str(value.get("id", value.get("name")))
            pr = self.cat.priority(ref)
            if pr is None:
                self.errors[fid] = f"Priority name '{ref}' is not valid" if "name" in value and "id" not in value \
                    else f"Priority with id '{ref}' does not exist"
                return None
            return pr.id
        if f.kind == "user":
            if not isinstance(value, dict):
                self.errors[fid] = f"Could not find a valid user in the '{fid}' object."
                return None
            keys = ("accountId", "id") if self.cat.cloud else ("name", "key")
            who = next((value[k] for k in keys if k in value), None)
            if fid == "assignee" and str(who) == AUTOMATIC:
                return self.default_assignee()
            if who is None:
                if all(value.get(k) is None for k in keys) and set(value) & set(keys):
                    return None
                self.errors[fid] = f"Could not find a valid user in the '{fid}' object."
                return None
            user = self.cat.user(str(who))
            if user is None:
                self.errors[fid] = f"User '{who}' does not exist."
                return None
            return user.login
        if f.kind == "labels":
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                self.errors[fid] = "Field 'labels' must be an array of strings."
                return None
            for label in value:
                if not label or any(ch.isspace() for ch in label):
                    self.errors[fid] = f"The label '{label}' contains spaces which is invalid."
                    return None
                if len(label) > 255:
                    self.errors[fid] = "The label must not exceed 255 characters."
                    return None
            return list(dict.fromkeys(value))
        if f.kind in ("components", "versions"):
            return [] if value == [] else self._items(f, value)
        self.errors[fid] = not_settable(fid)
        return None

    def apply(self, stored: dict[str, Any], fields: Any, update: Any) -> dict[str, Any]:
        """Return the new stored fields; ``self.errors`` says what was refused."""
        out = dict(stored)
        if fields is not None and not isinstance(fields, dict):
            self.errors["fields"] = "The 'fields' value must be an object."
            return out
        if update is not None and not isinstance(update, dict):
            self.errors["update"] = "The 'update' value must be an object."
            return out
        for fid, value in (fields or {}).items():
            if fid in ("project", "issuetype"):
                continue  # handled by the caller
            f = self.on_screen(fid)
            if f is None:
                self.errors[fid] = not_settable(fid)
                continue
            if f.kind == "timetracking":
                self._timetracking(f, value, out)
                continue
            converted = self.convert(f, value)
            if fid not in self.errors:
                out[fid] = converted
        for fid, ops in (update or {}).items():
            if fid in ("comment", "worklog"):
                continue  # handled by the caller
            if fid in (fields or {}):
                self.errors[fid] = f"Field '{fid}' cannot be both in 'fields' and in 'update'."
                continue
            f = self.on_screen(fid)
            if f is None:
                self.errors[fid] = not_settable(fid)
                continue
            if not isinstance(ops, list):
                self.errors[fid] = f"Operations for field '{fid}' must be a list."
                continue
            for op in ops:
                if not isinstance(op, dict) or len(op) != 1:
                    self.errors[fid] = f"Each operation on field '{fid}' must be an object with one verb."
                    break
                verb, arg = next(iter(op.items()))
                if f.kind == "timetracking" and verb in ("set", "edit"):
                    self._timetracking(f, arg, out)
                elif f.kind in ("components", "versions") and verb in ("add", "remove"):
                    picked = self._items(f, [arg])
                    if picked is None:
                        break
                    current = [x for x in (out.get(fid) or []) if x not in picked]
                    out[fid] = current + picked if verb == "add" else current
                elif verb == "set":
                    converted = self.convert(f, arg)
                    if fid not in self.errors:
                        out[fid] = converted
                elif verb in ("add", "remove") and f.kind == "labels":
                    if not isinstance(arg, str):
                        self.errors[fid] = "Field 'labels' expects a string for 'add'/'remove'."
                        break
                    current = list(out.get(fid) or [])
                    if verb == "add":
                        checked = self.convert(f, [*current, arg])
                        if fid not in self.errors:
                            out[fid] = checked
                    else:
                        out[fid] = [x for x in current if x != arg]
                else:
                    self.errors[fid] = f"Field '{fid}' does not support the operation '{verb}'."
                    break
        return out


def display(cat: Catalog, f: FieldDef, value: Any) -> tuple[str | None, str | None]:
    """(from/to, fromString/toString) of a stored value, as changelog items show it."""
    if value is None or value == []:
        return None, None
    if f.kind == "user":
        user = cat.users.get(value)
        ident = (user.account_id if cat.cloud else user.key) if user else str(value)
        return ident, user.display_name if user else str(value)
    if f.kind == "priority":
        pr = cat.priorities.get(value)
        return str(value), pr.name if pr else str(value)
    if f.kind == "status":
        st = cat.statuses.get(value)
        return str(value), st.name if st else str(value)
    if f.kind == "resolution":
        return str(value), cat.resolutions.get(value, str(value))
    if f.kind == "issuetype":
        it = cat.issue_types.get(value)
        return str(value), it.name if it else str(value)
    if f.kind == "option":
        opt = f.option_by_value(value)
        return (opt.id if opt else None), str(value)
    if f.kind == "labels":
        return None, " ".join(value)
    if f.kind == "number":
        num = float(value)
        return None, str(int(num)) if num.is_integer() else str(num)
    if f.kind == "date":
        return str(value), str(value)
    if f.kind == "datetime":
        return None, None
    if f.kind == "seconds":
        return str(value), str(value)
    return None, str(value)


ITEM_FIELDS = {"components": ("Component", "component"), "fixVersions": ("Fix Version", "version"),
               "versions": ("Version", "version")}


def _item_changes(cat: Catalog, fid: str, before: Any, after: Any,
                  names: Callable[[str, str], str] | None) -> list[dict[str, Any]]:
    """Jira writes one changelog item per component or version added or removed."""
    label, kind = ITEM_FIELDS[fid]
    old, new = list(before or []), list(after or [])
    out = []
    for gone in (i for i in old if i not in new):
        out.append({"field": label, "fieldtype": "jira", **({"fieldId": fid} if cat.cloud else {}),
                    "from": gone, "fromString": names(kind, gone) if names else gone, "to": None, "toString": None})
    for came in (i for i in new if i not in old):
        out.append({"field": label, "fieldtype": "jira", **({"fieldId": fid} if cat.cloud else {}),
                    "from": None, "fromString": None, "to": came, "toString": names(kind, came) if names else came})
    return out


def changelog_items(cat: Catalog, old: dict[str, Any], new: dict[str, Any],
                    names: Callable[[str, str], str] | None = None) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    for fid in sorted(set(old) | set(new)):
        before, after = old.get(fid), new.get(fid)
        if before == after or (before in (None, []) and after in (None, [])):
            continue
        if fid in ITEM_FIELDS:
            items.extend(_item_changes(cat, fid, before, after, names))
            continue
        f = cat.fields.get(fid)
        if f is None or f.kind in ("datetime", "rank"):
            continue
        frm, frm_s = display(cat, f, before)
        to, to_s = display(cat, f, after)
        item: dict[str, Any] = {"field": f.name if f.custom else fid, "fieldtype": "custom" if f.custom else "jira"}
        if cat.cloud:
            item["fieldId"] = fid
        item.update({"from": frm, "fromString": frm_s, "to": to, "toString": to_s})
        items.append(item)
    return items
