"""Links between issues (``POST /issueLink``): both ends get a ``Link`` history item, as in Jira."""

from __future__ import annotations

from typing import Any

from sync_engine.sandbox.jira.catalog import LinkTypeDef
from sync_engine.sandbox.jira.errors import ApiError
from sync_engine.sandbox.jira.service import IssueService
from sync_engine.sandbox.jira.store import IssueRow


def _item(text: str, other: IssueRow, gone: bool) -> dict[str, Any]:
    return {"field": "Link", "fieldtype": "jira", "from": other.key if gone else None,
            "fromString": text if gone else None, "to": None if gone else other.key,
            "toString": None if gone else text}


class LinkService:
    def __init__(self, service: IssueService) -> None:
        self.s = service
        self.store = service.store
        self.cat = service.cat

    def link_type(self, ref: Any) -> LinkTypeDef:
        if not isinstance(ref, dict) or not ({"id", "name"} & set(ref)):
            raise ApiError(400, [], {"issuelinks": "The link type must be given by 'id' or 'name'."})
        found = self.cat.link_types.get(str(ref["id"])) if "id" in ref else self.cat.link_type(str(ref["name"]))
        if found is None:
            shown = ref.get("name", ref.get("id"))
            raise ApiError(404, [f"No issue link type with name '{shown}' found."])
        return found

    def _issue(self, ref: Any, side: str) -> IssueRow:
        if not isinstance(ref, dict) or not ({"id", "key"} & set(ref)):
            raise ApiError(400, [], {side: f"The '{side}' must be given by 'id' or 'key'."})
        row = self.store.get_issue(str(ref.get("key") or ref.get("id")))
        if row is None:
            raise ApiError(404, [f"Issue Does Not Exist: {ref.get('key') or ref.get('id')}"])
        return row

    def _record(self, t: LinkTypeDef, inward: IssueRow, outward: IssueRow, actor: str, gone: bool) -> None:
        for row, other, text in ((inward, outward, f"This issue {t.outward} {outward.key}"),
                                 (outward, inward, f"This issue {t.inward} {inward.key}")):
            fresh = self.s.get(str(row.id))
            self.s.change(fresh, self.s.snapshot(fresh), actor, "issue_updated", [_item(text, other, gone)])

    def create(self, body: Any, actor: str) -> dict[str, Any] | None:
        if not isinstance(body, dict):
            raise ApiError(400, ["The issue link must be a JSON object."])
        t = self.link_type(body.get("type"))
        inward = self._issue(body.get("inwardIssue"), "inwardIssue")
        outward = self._issue(body.get("outwardIssue"), "outwardIssue")
        if inward.id == outward.id:
            raise ApiError(400, ["You cannot link an issue to itself."])
        existing = next((lk for lk in self.store.links(inward.id)
                         if lk["type_id"] == t.id and lk["inward_id"] == inward.id
                         and lk["outward_id"] == outward.id), None)
        if existing is not None:  # Jira keeps one link per type and direction
            return existing
        link_id = self.store.next_value("issuelink_id", 10000)
        self.store.add_link(link_id, t.id, inward.id, outward.id, self.s.clock())
        self._record(t, inward, outward, actor, gone=False)
        comment = body.get("comment")
        if isinstance(comment, dict) and isinstance(comment.get("body"), str) and comment["body"].strip():
            self.s.add_comment(self.s.get(str(inward.id)), comment["body"], actor, comment.get("visibility"))
        return self.store.links(link_id=link_id)[0]

    def find(self, link_id: str) -> dict[str, Any]:
        found = self.store.links(link_id=int(link_id)) if link_id.isdigit() and len(link_id) < 19 else []
        if not found:
            raise ApiError(404, [f"No issue link with id '{link_id}' exists."])
        return found[0]

    def delete(self, link: dict[str, Any], actor: str) -> None:
        self.store.delete_link(int(link["id"]))
        t = self.cat.link_types.get(link["type_id"])
        inward = self.store.get_issue(str(link["inward_id"]))
        outward = self.store.get_issue(str(link["outward_id"]))
        if t is not None and inward is not None and outward is not None:
            self._record(t, inward, outward, actor, gone=True)
