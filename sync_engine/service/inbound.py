"""Reading and checking inbound deliveries: JIRA webhooks, Bitrix24 event handlers, offline events.

Each delivery is reduced to an :class:`InboundEvent`, the few facts routing needs (which record,
what happened, what JIRA says changed). The record itself is always fetched again before anything is
written, so a forged or stale body can at worst cause a harmless re-read, and only after its
signature or application token was checked.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal
from urllib.parse import parse_qsl

from sync_engine.sides import Side

System = Side
Kind = Literal["created", "updated", "deleted"]

JIRA_KINDS: Mapping[str, Kind] = {
    "jira:issue_created": "created", "jira:issue_updated": "updated", "jira:issue_deleted": "deleted",
    "comment_created": "updated", "comment_updated": "updated", "comment_deleted": "updated",
}
JIRA_EVENTS = ("jira:issue_created", "jira:issue_updated", "jira:issue_deleted")
_B24_EVENT = re.compile(r"^ONCRM(DEAL|CONTACT|COMPANY|LEAD|PRODUCT|DYNAMICITEM)(ADD|UPDATE|DELETE)(?:_(\d+))?$")
_B24_KIND: Mapping[str, Kind] = {"ADD": "created", "UPDATE": "updated", "DELETE": "deleted"}
B24_ENTITY_EVENTS: Mapping[str, str] = {"deal": "DEAL", "contact": "CONTACT", "company": "COMPANY",
                                        "product": "PRODUCT", "item": "DYNAMICITEM"}
MAX_BODY = 1_000_000


class InboundError(Exception):
    """A delivery we refuse; ``status`` is the HTTP answer (401 bad signature/token, 400 malformed)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class InboundEvent:
    system: System
    event: str
    kind: Kind
    record_id: str
    dedup_key: str
    entity: str = ""  # bitrix24: deal, company, ...; jira: issue
    key: str | None = None
    project: str | None = None
    issue_type: str | None = None
    entity_type_id: int | None = None
    changes: Mapping[str, list[Any]] = field(default_factory=dict)  # field -> [before, after] (JIRA changelog)

    def as_payload(self) -> dict[str, Any]:
        return {"system": self.system, "event": self.event, "kind": self.kind, "id": self.record_id,
                "entity": self.entity, "key": self.key, "project": self.project, "issue_type": self.issue_type,
                "entity_type_id": self.entity_type_id, "changes": dict(self.changes)}


def content_hash(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()


def sign(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def verify_jira_signature(secret: str | None, body: bytes, header: str | None) -> None:
    if secret is None:
        return
    if not header:
        raise InboundError(401, "missing X-Hub-Signature")
    if not hmac.compare_digest(sign(secret, body), header.strip()):
        raise InboundError(401, "bad X-Hub-Signature")


def parse_jira(body: bytes, identifier: str | None) -> InboundEvent | None:
    """None for an event we do not act on (e.g. a project or version event)."""
    try:
        doc = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise InboundError(400, "the body is not JSON") from None
    if not isinstance(doc, dict):
        raise InboundError(400, "the body must be a JSON object")
    event = doc.get("webhookEvent")
    if not isinstance(event, str):
        raise InboundError(400, "webhookEvent is missing")
    kind = JIRA_KINDS.get(event)
    if kind is None:
        return None
    issue = doc.get("issue")
    if not isinstance(issue, dict) or not isinstance(issue.get("id"), str | int) or isinstance(issue.get("id"), bool):
        raise InboundError(400, "issue.id is missing")
    fields = _dict(issue.get("fields"))
    project = _dict(fields.get("project"))
    itype = _dict(fields.get("issuetype"))
    changes: dict[str, list[Any]] = {}
    changelog = doc.get("changelog")
    if isinstance(changelog, dict) and isinstance(changelog.get("items"), list):
        for item in changelog["items"]:
            if isinstance(item, dict):
                name = item.get("fieldId") or item.get("field")
                if isinstance(name, str):
                    changes[name] = [item.get("fromString", item.get("from")), item.get("toString", item.get("to"))]
    key = issue.get("key") if isinstance(issue.get("key"), str) else None
    dedup = f"jira:{identifier}" if identifier else f"jira#{content_hash(body)}"
    return InboundEvent(Side.JIRA, event, kind, str(issue["id"]), dedup, "issue", key,
                        _str(project.get("key")), _str(itype.get("name")), None, changes)


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def bitrix24_event(name: str, record_id: str, dedup_key: str) -> InboundEvent | None:
    m = _B24_EVENT.match(name.strip().upper())
    if m is None:
        return None
    entity = next(k for k, v in B24_ENTITY_EVENTS.items() if v == m.group(1)) if m.group(1) != "LEAD" else "lead"
    etid = int(m.group(3)) if m.group(3) else None
    if entity == "item" and etid is None:
        return None  # the generic ONCRMDYNAMICITEM* twin of the typed _<id> event: act on the typed one
    return InboundEvent(Side.BITRIX24, name.upper(), _B24_KIND[m.group(2)], record_id, dedup_key, entity,
                        entity_type_id=etid)


def parse_bitrix24_form(body: bytes) -> tuple[dict[str, str], InboundEvent | None]:
    """The form fields (for the token check) and the event they describe."""
    if len(body) > MAX_BODY:
        raise InboundError(413, "the body is too large")
    try:
        pairs = parse_qsl(body.decode("utf-8"), keep_blank_values=True, max_num_fields=500)
    except (UnicodeDecodeError, ValueError):
        raise InboundError(400, "the body is not a form-encoded Bitrix24 event") from None
    form = dict(pairs)
    name = form.get("event", "")
    record_id = form.get("data[FIELDS][ID]", "").strip()
    if not name:
        raise InboundError(400, "the form has no 'event'")
    if name.upper().startswith("ONCRM") and not (record_id.isascii() and record_id.isdigit()):
        raise InboundError(400, "data[FIELDS][ID] is missing or not a number")
    return form, bitrix24_event(name, record_id, f"b24#{content_hash(body)}")


def verify_application_token(expected: str | None, form: Mapping[str, str]) -> None:
    given = form.get("auth[application_token]", "")
    if expected is None:
        raise InboundError(401, "no application token is configured for this connection; set it with "
                                "'PUT /api/v1/connections/{name}/application-token'")
    if not given or not hmac.compare_digest(given.encode(), expected.encode()):
        raise InboundError(401, "wrong auth[application_token]")


def parse_offline(record: Mapping[str, Any]) -> InboundEvent | None:
    """One entry of ``event.offline.get``'s ``events``."""
    name = str(record.get("EVENT_NAME") or "")
    fields = _dict(_dict(record.get("EVENT_DATA")).get("FIELDS"))
    record_id = str(fields.get("ID") or "").strip()
    message = str(record.get("MESSAGE_ID") or record.get("ID") or "")
    if not (record_id.isascii() and record_id.isdigit()):
        return None
    return bitrix24_event(name, record_id, f"b24off:{message}")
