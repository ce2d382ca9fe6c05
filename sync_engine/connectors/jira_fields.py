"""JIRA field metadata → :class:`FieldMeta`, and plain values → the shapes JIRA's REST API accepts.

Types come from ``schema`` of ``GET /field``; required flags and allowed values only exist in
createmeta (per project and issue type), and statuses only in the project's workflow, so the three
sources are merged here. Decisions worth knowing downstream:

* ``labels`` (array of string) is MULTI_ENUM with no fixed options: a set of free tokens behaves like
  tags on the other side, not like one text.
* ``status`` is not read-only although it is never in createmeta: the connector changes it through a
  workflow transition on update (``raw["write_via"] == "transition"``); it cannot be set on create.
* ``key`` is a pseudo field (JIRA's ``issuekey``), read-only; its value is :attr:`Record.key`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, date, datetime
from typing import Any

from sync_engine.fieldtypes import FieldMeta, FieldType, Option

_SCALAR_TYPES: dict[str, FieldType] = {
    "string": FieldType.TEXT,
    "number": FieldType.NUMBER,
    "date": FieldType.DATE,
    "datetime": FieldType.DATETIME,
    "user": FieldType.USER,
    "option": FieldType.ENUM,
    "option-with-child": FieldType.ENUM,
    "priority": FieldType.ENUM,
    "status": FieldType.ENUM,
    "issuetype": FieldType.ENUM,
    "resolution": FieldType.ENUM,
    "securitylevel": FieldType.ENUM,
    "version": FieldType.ENUM,
    "component": FieldType.ENUM,
    "project": FieldType.REFERENCE,
    "issuelink": FieldType.REFERENCE,
}
_REFERENCES = {"project": "project", "issuelink": "issue"}

# Fields JIRA maintains itself (or only changes through dedicated endpoints).
ALWAYS_READ_ONLY = frozenset(
    {
        "key", "issuekey", "created", "updated", "creator", "resolutiondate", "lastViewed", "votes",
        "watches", "worklog", "comment", "issuelinks", "subtasks", "progress", "aggregateprogress",
        "timespent", "aggregatetimespent", "aggregatetimeestimate", "aggregatetimeoriginalestimate",
        "workratio", "resolution", "statuscategorychangedate", "attachment", "thumbnail",
    }
)
# Read-only system fields worth offering for mapping even though they are never on a create screen.
READABLE_SYSTEM = ("issuekey", "status", "created", "updated", "creator", "resolution", "resolutiondate")
_NAME_KEYED = frozenset(
    {"priority", "issuetype", "resolution", "status", "securitylevel", "version", "component"}
)


def field_type(schema: Mapping[str, Any] | None) -> tuple[FieldType, bool, str | None]:
    """(type, multiple, reference target) of a JIRA ``schema``; arrays take their item type."""
    if not schema:
        return FieldType.UNKNOWN, False, None
    kind = str(schema.get("type", ""))
    if kind == "array":
        item = str(schema.get("items", ""))
        if item in ("option", "version", "component", "string"):
            return FieldType.MULTI_ENUM, True, None
        if item == "user":
            return FieldType.USER, True, None
        if item in _REFERENCES:
            return FieldType.REFERENCE, True, _REFERENCES[item]
        return FieldType.UNKNOWN, True, None
    resolved = _SCALAR_TYPES.get(kind, FieldType.UNKNOWN)
    return resolved, False, _REFERENCES.get(kind)


def _options(allowed: Iterable[Mapping[str, Any]] | None) -> tuple[Option, ...]:
    out: list[Option] = []
    for item in allowed or ():
        label = item.get("value", item.get("name", item.get("key")))
        if item.get("id") is None or label is None:
            continue
        out.append(Option(id=str(item["id"]), label=str(label)))
    return tuple(out)


def createmeta_field_id(entry: Mapping[str, Any]) -> str:
    return str(entry.get("fieldId") or entry.get("key") or entry.get("id") or "")


def build_field_metas(
    all_fields: Sequence[Mapping[str, Any]],
    createmeta: Sequence[Sequence[Mapping[str, Any]]] | None,
    statuses: Sequence[Mapping[str, Any]],
) -> list[FieldMeta]:
    """Merge ``GET /field`` with createmeta field lists (one per issue type in scope) and the workflow
    statuses. A field required for any issue type in scope is required (a create there would fail)."""
    by_id = {str(f.get("id")): f for f in all_fields if f.get("id")}
    create: dict[str, dict[str, Any]] = {}
    if createmeta is not None:
        for type_fields in createmeta:
            for entry in type_fields:
                fid = createmeta_field_id(entry)
                if not fid:
                    continue
                merged = create.setdefault(fid, {"required": False, "allowed": {}, "entry": entry})
                merged["required"] = merged["required"] or bool(entry.get("required"))
                for opt in _options(entry.get("allowedValues")):
                    merged["allowed"].setdefault(opt.id, opt)

    wanted: list[str] = []
    if createmeta is None:
        wanted = [fid for fid, f in by_id.items() if f.get("navigable", True) or fid in READABLE_SYSTEM]
    else:
        wanted = [fid for fid in by_id if fid in create or fid in READABLE_SYSTEM]
        wanted += [fid for fid in create if fid not in by_id]

    metas: list[FieldMeta] = []
    for fid in wanted:
        raw = dict(by_id.get(fid) or create[fid]["entry"])
        schema = raw.get("schema") or (create.get(fid, {}).get("entry", {}).get("schema")) or {}
        ftype, multiple, reference = field_type(schema)
        options: tuple[Option, ...] = ()
        if fid in create:
            options = tuple(create[fid]["allowed"].values())
        if fid == "status":
            options = _options(statuses)
            raw["write_via"] = "transition"
        meta_id = "key" if fid == "issuekey" else fid
        off_screen = createmeta is not None and fid not in create and fid != "status"
        read_only = fid in ALWAYS_READ_ONLY or off_screen
        required = bool(create.get(fid, {}).get("required", False)) and fid not in ("project", "issuetype")
        if fid == "issuekey":
            ftype = FieldType.TEXT
        metas.append(
            FieldMeta(
                id=meta_id,
                label=str(raw.get("name") or fid),
                type=ftype,
                required=required,
                read_only=read_only,
                multiple=multiple,
                options=options,
                reference=reference,
                system_type=str(schema.get("custom") or schema.get("system") or schema.get("type") or ""),
                raw=raw,
            )
        )
    return metas


def _jira_datetime(moment: datetime) -> str:
    aware = moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
    return aware.strftime("%Y-%m-%dT%H:%M:%S.") + f"{aware.microsecond // 1000:03d}" + aware.strftime("%z")


def _option_value(meta: FieldMeta, value: Any) -> dict[str, Any]:
    name_keyed = meta.system_type in _NAME_KEYED
    if isinstance(value, Mapping):
        return dict(value)
    text = str(value).strip()
    if meta.options:
        found = meta.option_by_label(text) or meta.option_by_id(text)
        if found is None:
            labels = ", ".join(o.label for o in meta.options[:20])
            raise ValueError(
                f"{text!r} is not an option of field {meta.label} ({meta.id}); options: {labels}"
            )
        return {"id": found.id}
    return {"name": text} if name_keyed else {"value": text}


def _user_value(value: Any, cloud: bool) -> dict[str, Any]:
    if isinstance(value, Mapping):
        return dict(value)
    text = str(value).strip()
    return {"accountId": text} if cloud else {"name": text}


def _one(meta: FieldMeta, value: Any, cloud: bool) -> Any:
    if meta.type is FieldType.ENUM or (meta.type is FieldType.MULTI_ENUM and meta.options):
        return _option_value(meta, value)
    if meta.type is FieldType.USER:
        return _user_value(value, cloud)
    return value


def to_jira_value(meta: FieldMeta, value: Any, *, cloud: bool) -> Any:
    """The REST shape of ``value`` for ``meta``; raises ValueError naming the field when it cannot fit."""
    if value is None:
        return None
    if meta.type is FieldType.NUMBER:
        if isinstance(value, bool):
            raise ValueError(f"field {meta.label} ({meta.id}) is a number, got a boolean")
        if isinstance(value, int | float):
            return value
        try:
            return float(str(value).replace("\u00a0", "").replace(" ", "").replace(",", "."))
        except ValueError:
            raise ValueError(f"field {meta.label} ({meta.id}) is a number, got {value!r}") from None
    if meta.type is FieldType.DATE:
        if isinstance(value, datetime):
            return value.date().isoformat()
        return value.isoformat() if isinstance(value, date) else str(value)
    if meta.type is FieldType.DATETIME:
        return _jira_datetime(value) if isinstance(value, datetime) else str(value)
    if meta.type is FieldType.TEXT and not meta.multiple:
        return value if isinstance(value, str) else str(value)
    if meta.type is FieldType.REFERENCE and not isinstance(value, Mapping):
        text = str(value).strip()
        return {"id": text} if text.isdigit() else {"key": text}
    if meta.multiple:
        if isinstance(value, str):
            items: list[Any] = [v.strip() for v in value.split(",") if v.strip()]
        elif isinstance(value, Mapping):
            items = [value]
        else:
            items = list(value)
        return [_one(meta, v, cloud) for v in items]
    return _one(meta, value, cloud)
