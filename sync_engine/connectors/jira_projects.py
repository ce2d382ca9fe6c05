"""JIRA projects as a read-only entity (``EntityScope(entity="project")``).

Projects are mirrored one way (JIRA owns them, see the "projects" demo profile). They have no
``updated`` stamp, so every read returns all of them and :attr:`Record.version` is a digest of the
mapped fields: the engine recognises an unchanged project by an unchanged version.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from sync_engine.connectors.base import ConnectorError, EntityScope, Record
from sync_engine.connectors.jira_jql import plain_values
from sync_engine.fieldtypes import FieldMeta, FieldType

PROJECT_ENTITY = "project"
PROJECTS_PATH = "project"
PROJECTS_PARAMS = {"expand": "description,lead"}
READ_ONLY_MESSAGE = (
    "JIRA projects are not created, edited or deleted by sync: the project entity is read-only "
    "(map it one way, from JIRA)"
)

PROJECT_FIELDS: tuple[FieldMeta, ...] = (
    FieldMeta("key", "Key", FieldType.TEXT, read_only=True, system_type="string"),
    FieldMeta("name", "Name", FieldType.TEXT, required=True, system_type="string"),
    FieldMeta("description", "Description", FieldType.TEXT, system_type="string"),
    FieldMeta("lead", "Project lead", FieldType.USER, system_type="user"),
    FieldMeta("projectTypeKey", "Project type", FieldType.TEXT, read_only=True, system_type="string"),
)
_FIELD_IDS = tuple(m.id for m in PROJECT_FIELDS)


def check_scope(scope: EntityScope) -> None:
    if scope.issue_types or scope.query.strip():
        raise ValueError("a JIRA project scope takes no issue types and no JQL; it may only list project keys")


def read_only_error() -> ConnectorError:
    return ConnectorError(READ_ONLY_MESSAGE, code="read_only_entity")


def _version(fields: Mapping[str, Any]) -> str:
    lead = fields.get("lead")
    who = lead
    if isinstance(lead, Mapping):  # the identity, not the avatar URLs or display name
        who = lead.get("accountId") or lead.get("name") or lead.get("key")
    plain = {k: fields.get(k) for k in _FIELD_IDS if k != "lead"} | {"lead": who}
    digest = hashlib.sha256(json.dumps(plain, sort_keys=True, ensure_ascii=False).encode()).hexdigest()
    return digest[:32]


def project_record(raw: Mapping[str, Any]) -> Record:
    fields = {k: raw.get(k) for k in _FIELD_IDS}
    fields["id"] = str(raw.get("id"))
    return Record(id=str(raw.get("id")), key=raw.get("key"), fields=fields, updated=None, version=_version(fields))


def in_scope(scope: EntityScope, records: Iterable[Record]) -> list[Record]:
    """Projects named by the scope (all when it names none), ordered by id (creation order)."""
    wanted = {p.upper() for p in scope.projects}
    chosen = [r for r in records if not wanted or (r.key or "").upper() in wanted or r.id in wanted]
    return sorted(chosen, key=lambda r: (int(r.id) if r.id.isdigit() else 0, r.id))


def pick(records: Sequence[Record], ids: Sequence[str]) -> list[Record]:
    """``get_many`` over a read list: by project key (any case) or numeric id, in the order asked."""
    index: dict[str, Record] = {}
    for r in records:
        index[r.id] = r
        if r.key:
            index[r.key.upper()] = r
    out: list[Record] = []
    for raw in ids:
        hit = index.get(str(raw).strip().upper())
        if hit is not None:
            out.append(hit)
    return out


def find_in(records: Sequence[Record], field: str, values: Sequence[str]) -> list[Record]:
    """Projects whose ``field`` equals one of ``values``; keys compare case-insensitively as JIRA does."""
    meta = next((m for m in PROJECT_FIELDS if field in (m.id, m.label) or field.casefold() == m.label.casefold()),
                None)
    if meta is None and field != "id":
        names = ", ".join(m.id for m in PROJECT_FIELDS)
        raise ValueError(f"JIRA project field {field!r} does not exist; project fields: id, {names}")
    fid = meta.id if meta is not None else "id"
    wanted = {str(v) for v in values if v not in (None, "")}
    if fid == "key":
        wanted = {v.upper() for v in wanted}
    out = []
    for r in records:
        have = plain_values(r.fields.get(fid))
        if fid == "key":
            have = {h.upper() for h in have}
        if have & wanted:
            out.append(r)
    return out
