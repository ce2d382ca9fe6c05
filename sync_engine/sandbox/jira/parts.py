"""JSON of what hangs on an issue or a project: versions, components, attachments, worklogs, issue links.

One place renders each, so the issue's ``fields`` and the resource's own endpoint (``GET /version/{id}``,
``GET /attachment/{id}``, ``GET /issue/{key}/worklog``...) always show the same object.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sync_engine.sandbox.jira import durations
from sync_engine.sandbox.jira.catalog import Catalog
from sync_engine.sandbox.jira.project_admin import ProjectAdmin
from sync_engine.sandbox.jira.render import Renderer
from sync_engine.sandbox.jira.store import IssueRow, Store

WORKLOG_PAGE = 20  # Jira embeds at most 20 worklogs in an issue's fields


def user_date(iso: str | None) -> str | None:
    """``2015-03-11`` -> ``11/Mar/15`` (Jira's ``userReleaseDate``)."""
    if not iso:
        return None
    d = date.fromisoformat(iso)
    return f"{d.day:02d}/{d.strftime('%b')}/{d.strftime('%y')}"


class Parts:
    def __init__(self, catalog: Catalog, store: Store, renderer: Renderer, admin: ProjectAdmin) -> None:
        self.cat = catalog
        self.store = store
        self.r = renderer
        self.admin = admin

    # -- versions and components ------------------------------------------------------------------------
    def version_json(self, v: dict[str, Any], version: str = "2") -> dict[str, Any]:
        project = self.cat.projects.get(v["project"])
        out: dict[str, Any] = {"self": f"{self.r.api(version)}/version/{v['id']}", "id": str(v["id"])}
        if v.get("description"):
            out["description"] = v["description"]
        out.update({"name": v["name"], "archived": bool(v.get("archived")), "released": bool(v.get("released"))})
        if v.get("startDate"):
            out["startDate"] = v["startDate"]
            out["userStartDate"] = user_date(v["startDate"])
        if v.get("releaseDate"):
            out["releaseDate"] = v["releaseDate"]
            out["userReleaseDate"] = user_date(v["releaseDate"])
            out["overdue"] = not v.get("released") and date.fromisoformat(v["releaseDate"]) < date.today()
        out["projectId"] = int(project.id) if project else None
        return out

    def component_json(self, c: dict[str, Any], version: str = "2") -> dict[str, Any]:
        project = self.cat.projects.get(c["project"])
        lead = c.get("lead") if c.get("lead") in self.cat.users else None
        assignee_type = c.get("assigneeType") or "PROJECT_DEFAULT"
        real_type, real = self._real_assignee(assignee_type, lead, project.lead if project else None,
                                              project.assignee_type if project else "UNASSIGNED")
        out: dict[str, Any] = {"self": f"{self.r.api(version)}/component/{c['id']}", "id": str(c["id"]),
                               "name": c["name"]}
        if c.get("description"):
            out["description"] = c["description"]
        if lead:
            out["lead"] = self.r.user(lead, version)
            if not self.cat.cloud:
                out["leadUserName"] = lead
        out.update({"assigneeType": assignee_type, "realAssigneeType": real_type,
                    "isAssigneeTypeValid": real_type == assignee_type or assignee_type == "PROJECT_DEFAULT",
                    "project": c["project"], "projectId": int(project.id) if project else None})
        if real:
            out["assignee"] = out["realAssignee"] = self.r.user(real, version)
        return out

    @staticmethod
    def _real_assignee(kind: str, lead: str | None, project_lead: str | None,
                       project_default: str) -> tuple[str, str | None]:
        """Who an issue with this component would really get (Jira falls back when the choice has no user)."""
        if kind == "COMPONENT_LEAD" and lead:
            return "COMPONENT_LEAD", lead
        if kind == "UNASSIGNED":
            return "UNASSIGNED", None
        if kind == "PROJECT_LEAD" or project_default == "PROJECT_LEAD":
            return "PROJECT_LEAD", project_lead
        return "UNASSIGNED", None

    def items_json(self, kind: str, ids: list[str], version: str) -> list[dict[str, Any]]:
        if not ids:
            return []
        docs = self.store.docs(kind)
        render = self.version_json if kind == "version" else self.component_json
        return [render(docs[i], version) for i in ids if i in docs]

    # -- attachments ------------------------------------------------------------------------------------
    def content_url(self, a: dict[str, Any], version: str) -> str:
        if self.cat.cloud:
            return f"{self.r.api(version)}/attachment/content/{a['id']}"
        return f"{self.r.base}/secure/attachment/{a['id']}/{a['filename']}"

    def attachment_json(self, a: dict[str, Any], version: str = "2") -> dict[str, Any]:
        out: dict[str, Any] = {"self": f"{self.r.api(version)}/attachment/{a['id']}", "id": str(a["id"]),
                               "filename": a["filename"], "author": self.r.user(a["author"], version),
                               "created": self.r.ts(a["created"]), "size": int(a["size"]), "mimeType": a["mime"],
                               "content": self.content_url(a, version)}
        if a["mime"].startswith("image/"):
            out["thumbnail"] = (f"{self.r.api(version)}/attachment/thumbnail/{a['id']}" if self.cat.cloud
                                else f"{self.r.base}/secure/thumbnail/{a['id']}/_thumb_{a['id']}.png")
        return out

    def attachments_json(self, row: IssueRow, version: str) -> list[dict[str, Any]]:
        return [self.attachment_json(a, version) for a in self.store.attachments(row.id)]

    # -- worklogs --------------------------------------------------------------------------------------
    def worklog_json(self, w: dict[str, Any], version: str = "2") -> dict[str, Any]:
        out: dict[str, Any] = {"self": f"{self.r.api(version)}/issue/{w['issue_id']}/worklog/{w['id']}",
                               "author": self.r.user(w["author"], version),
                               "updateAuthor": self.r.user(w["update_author"], version)}
        if w.get("comment"):
            out["comment"] = w["comment"]
        out.update({"created": self.r.ts(w["created"]), "updated": self.r.ts(w["updated"]),
                    "started": self.r.ts(w["started"]), "timeSpent": durations.format_seconds(int(w["seconds"])),
                    "timeSpentSeconds": int(w["seconds"]), "id": str(w["id"]), "issueId": str(w["issue_id"])})
        if w.get("visibility"):
            out["visibility"] = w["visibility"]
        return out

    def worklog_page(self, row: IssueRow, version: str) -> dict[str, Any]:
        logs = self.store.worklogs(row.id)
        return {"startAt": 0, "maxResults": WORKLOG_PAGE, "total": len(logs),
                "worklogs": [self.worklog_json(w, version) for w in logs[:WORKLOG_PAGE]]}

    # -- issue links -----------------------------------------------------------------------------------
    def linked_issue(self, issue_id: int, version: str) -> dict[str, Any] | None:
        other = self.store.get_issue(str(issue_id))
        if other is None:
            return None
        wanted = [self.cat.fields[f] for f in ("summary", "status", "priority", "issuetype")]
        out = self.r.issue(other, wanted, set(), version)
        out.pop("expand", None)
        return out

    def link_json(self, link: dict[str, Any], version: str, seen_from: int | None = None) -> dict[str, Any] | None:
        """As ``GET /issueLink/{id}`` shows it, or (``seen_from``) as the issue's ``issuelinks`` entry:
        only the other end, under ``inwardIssue`` or ``outwardIssue``."""
        t = self.cat.link_types.get(link["type_id"])
        if t is None:
            return None
        out: dict[str, Any] = {"id": str(link["id"]), "self": f"{self.r.api(version)}/issueLink/{link['id']}",
                               "type": self.r.link_type(t, version)}
        if seen_from is None or seen_from == link["inward_id"]:
            issue = self.linked_issue(link["outward_id"], version)
            if issue is None:
                return None
            out["outwardIssue"] = issue
        if seen_from is None or seen_from == link["outward_id"]:
            issue = self.linked_issue(link["inward_id"], version)
            if issue is None:
                return None
            out["inwardIssue"] = issue
        return out

    def links_json(self, row: IssueRow, version: str) -> list[dict[str, Any]]:
        out = []
        for link in self.store.links(row.id):
            item = self.link_json(link, version, seen_from=row.id)
            if item is not None:
                out.append(item)
        return out
