"""Turning what a client writes into a field into the twin's stored form, and back into changelog items.

Every refusal names the field, as JIRA's ``errors`` map does, so a connector bug shows up as the same
400 it would get from a real JIRA rather than as silently stored junk.
"""

from __future__ import annotations

import math
from typing import Any

from sync_engine.sandbox.jira import timefmt
from sync_engine.sandbox.jira.catalog import Catalog, FieldDef, ProjectDef

SYSTEM_SETTABLE = ("summary", "description", "priority", "assignee", "reporter", "labels", "duedate")


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

    def __init__(self, catalog: Catalog, project: ProjectDef, issue_type: str | None = None) -> None:
        self.cat = catalog
        self.project = project
        self.screen = project.fields_for(issue_type)
        self.errors: dict[str, str] = {}

    def on_screen(self, field_id: str) -> FieldDef | None:
        f = self.cat.fields.get(field_id)
        if f is None:
            return None
        if f.custom and field_id not in self.screen:
            return None
        if not f.custom and field_id not in SYSTEM_SETTABLE:
            return None
        return f

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
                if verb == "set":
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
    return None, str(value)


def changelog_items(cat: Catalog, old: dict[str, Any], new: dict[str, Any]) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    for fid in sorted(set(old) | set(new)):
        before, after = old.get(fid), new.get(fid)
        if before == after or (before in (None, []) and after in (None, [])):
            continue
        f = cat.fields.get(fid)
        if f is None or f.kind == "datetime":
            continue
        frm, frm_s = display(cat, f, before)
        to, to_s = display(cat, f, after)
        item: dict[str, Any] = {"field": f.name if f.custom else fid, "fieldtype": "custom" if f.custom else "jira"}
        if cat.cloud:
            item["fieldId"] = fid
        item.update({"from": frm, "fromString": frm_s, "to": to, "toString": to_s})
        items.append(item)
    return items
