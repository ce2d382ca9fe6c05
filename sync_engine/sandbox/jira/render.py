"""JSON shapes as JIRA returns them: users, statuses, options, issues, comments, changelogs, field lists.

``self`` links use lower-case resource names under the twin's current base URL, because the ``jira``
library types nested objects by regex on them and re-reads issues through ``self``.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import tzinfo
from typing import Any, Protocol

from sync_engine.sandbox.jira import durations, timefmt, wiki
from sync_engine.sandbox.jira.catalog import (
    CATEGORIES,
    Catalog,
    FieldDef,
    IssueTypeDef,
    LinkTypeDef,
    ProjectDef,
    StatusDef,
)
from sync_engine.sandbox.jira.store import IssueRow
from sync_engine.sandbox.jira.values import text_to_adf


class IssueParts(Protocol):
    """What hangs on an issue beyond its fields (versions, components, attachments, worklogs, links)."""

    def items_json(self, kind: str, ids: list[str], version: str) -> list[dict[str, Any]]: ...

    def attachments_json(self, row: IssueRow, version: str) -> list[dict[str, Any]]: ...

    def worklog_page(self, row: IssueRow, version: str) -> dict[str, Any]: ...

    def links_json(self, row: IssueRow, version: str) -> list[dict[str, Any]]: ...

ISSUE_EXPAND = "renderedFields,names,schema,operations,editmeta,changelog,versionedRepresentations"


class Renderer:
    def __init__(self, catalog: Catalog, tz: tzinfo, base_url: Callable[[], str]) -> None:
        self.cat = catalog
        self.tz = tz
        self._base = base_url
        self.parts: IssueParts | None = None  # set once the stores behind them exist
        self.avatar_of: Callable[[str], str | None] = lambda login: None

    @property
    def base(self) -> str:
        return self._base()

    def api(self, version: str = "2") -> str:
        return f"{self.base}/rest/api/{version}"

    def ts(self, ms: int | None) -> str | None:
        return None if ms is None else timefmt.format_ts(int(ms), self.tz)

    def avatars(self, kind: str, ident: str, avatar_id: str | None = None) -> dict[str, str]:
        which = f"avatarId={avatar_id}" if avatar_id else f"ownerId={ident}"
        return {f"{n}x{n}": f"{self.base}/secure/useravatar?size={n}&{which}&avatarType={kind}"
                for n in (48, 24, 16, 32)}

    # -- users ---------------------------------------------------------------------------------------
    def user(self, login: str | None, version: str = "2") -> dict[str, Any] | None:
        if login is None:
            return None
        u = self.cat.users.get(login)
        if u is None:
            return None
        avatar = self.avatar_of(u.login)
        if self.cat.cloud:
            return {"self": f"{self.api(version)}/user?accountId={u.account_id}", "accountId": u.account_id,
                    "emailAddress": u.email, "avatarUrls": self.avatars("user", u.account_id, avatar),
                    "displayName": u.display_name, "active": u.active, "timeZone": self.tz_name,
                    "accountType": "atlassian"}
        return {"self": f"{self.api(version)}/user?username={u.login}", "name": u.login, "key": u.key,
                "emailAddress": u.email, "avatarUrls": self.avatars("user", u.key, avatar),
                "displayName": u.display_name, "active": u.active, "timeZone": self.tz_name}

    @property
    def tz_name(self) -> str:
        return str(self.tz)

    # -- reference objects ---------------------------------------------------------------------------
    def status_category(self, key: str, version: str = "2") -> dict[str, Any]:
        cid, color, cname = CATEGORIES[key]
        return {"self": f"{self.api(version)}/statuscategory/{cid}", "id": cid, "key": key, "colorName": color,
                "name": cname}

    def status(self, st: StatusDef, version: str = "2") -> dict[str, Any]:
        return {"self": f"{self.api(version)}/status/{st.id}", "description": "",
                "iconUrl": f"{self.base}/images/icons/statuses/generic.png", "name": st.name, "id": st.id,
                "statusCategory": self.status_category(st.category, version)}

    def link_type(self, t: LinkTypeDef, version: str = "2") -> dict[str, Any]:
        return {"id": t.id, "name": t.name, "inward": t.inward, "outward": t.outward,
                "self": f"{self.api(version)}/issueLinkType/{t.id}"}

    def issue_type(self, it: IssueTypeDef, version: str = "2") -> dict[str, Any]:
        return {"self": f"{self.api(version)}/issuetype/{it.id}", "id": it.id, "description": it.description,
                "iconUrl": f"{self.base}/secure/viewavatar?size=xsmall&avatarId={it.id}&avatarType=issuetype",
                "name": it.name, "subtask": False, "avatarId": int(it.id), "hierarchyLevel": 0}

    def project(self, p: ProjectDef, version: str = "2", full: bool = False,
                with_types: bool = False, expand: set[str] | frozenset[str] = frozenset()) -> dict[str, Any]:
        """The list form carries description and lead only when expanded, as ``GET /project`` does."""
        out: dict[str, Any] = {"self": f"{self.api(version)}/project/{p.id}", "id": p.id, "key": p.key,
                               "name": p.name, "avatarUrls": self.avatars("project", p.id),
                               "projectTypeKey": p.type_key}
        if self.cat.cloud:
            out["simplified"] = False
            out["style"] = "classic"
        if full or "description" in expand:
            out["description"] = p.description
        if full or "lead" in expand:
            out["lead"] = self.user(p.lead, version)
        if full:
            out["components"] = []
            out["versions"] = []
            out["roles"] = {}
            out["assigneeType"] = "UNASSIGNED"
        if with_types or full:
            out["issueTypes"] = [self.issue_type(self.cat.issue_types[t], version) for t in p.issue_types]
        return out

    def priority(self, pid: str, version: str = "2") -> dict[str, Any]:
        pr = self.cat.priorities[pid]
        return {"self": f"{self.api(version)}/priority/{pid}", "iconUrl": f"{self.base}/images/icons/priorities/"
                f"{pr.name.lower()}.svg", "name": pr.name, "id": pid}

    def resolution(self, rid: str, version: str = "2") -> dict[str, Any]:
        return {"self": f"{self.api(version)}/resolution/{rid}", "id": rid, "description": "",
                "name": self.cat.resolutions.get(rid, rid)}

    def option(self, f: FieldDef, value: str, version: str = "2") -> dict[str, Any] | None:
        opt = f.option_by_value(value)
        if opt is None:
            return None
        return {"self": f"{self.api(version)}/customFieldOption/{opt.id}", "value": opt.value, "id": opt.id,
                "disabled": False}

    def field(self, f: FieldDef) -> dict[str, Any]:
        out: dict[str, Any] = {"id": f.id, "name": f.name, "custom": f.custom, "orderable": f.orderable,
                               "navigable": f.navigable, "searchable": f.searchable, "clauseNames": f.clauses(),
                               "schema": f.schema()}
        if self.cat.cloud:
            out["key"] = f.id
            if f.custom:
                out["untranslatedName"] = f.name
        return out

    # -- comments and changelog ------------------------------------------------------------------------
    def comment(self, issue_id: int, c: dict[str, Any], version: str = "2", rendered: bool = False) -> dict[str, Any]:
        author = self.user(c["author"], version)
        body: Any = text_to_adf(c["body"]) if version == "3" else c["body"]
        out: dict[str, Any] = {"self": f"{self.api(version)}/issue/{issue_id}/comment/{c['id']}", "id": str(c["id"]),
                               "author": author, "body": body,
                               "updateAuthor": self.user(c.get("update_author") or c["author"], version),
                               "created": self.ts(c["created"]), "updated": self.ts(c["updated"])}
        if rendered:
            out["renderedBody"] = wiki.to_html(c["body"])
        if c.get("visibility"):
            out["visibility"] = dict(c["visibility"])
        out["jsdPublic"] = True
        return out

    def comment_page(self, issue_id: int, comments: list[dict[str, Any]], version: str = "2") -> dict[str, Any]:
        return {"comments": [self.comment(issue_id, c, version) for c in comments], "maxResults": len(comments),
                "total": len(comments), "startAt": 0}

    def timetracking(self, row: IssueRow) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for name, fid in (("originalEstimate", "timeoriginalestimate"), ("remainingEstimate", "timeestimate"),
                          ("timeSpent", "timespent")):
            seconds = row.fields.get(fid)
            if seconds is not None:
                out[name] = durations.format_seconds(int(seconds))
        for name, fid in (("originalEstimate", "timeoriginalestimate"), ("remainingEstimate", "timeestimate"),
                          ("timeSpent", "timespent")):
            seconds = row.fields.get(fid)
            if seconds is not None:
                out[f"{name}Seconds"] = int(seconds)
        return out

    def history(self, h: dict[str, Any], version: str = "2") -> dict[str, Any]:
        return {"id": str(h["id"]), "author": self.user(h["author"], version), "created": self.ts(h["created"]),
                "items": h["items"]}

    def changelog(self, histories: list[dict[str, Any]], version: str = "2") -> dict[str, Any]:
        return {"startAt": 0, "maxResults": len(histories), "total": len(histories),
                "histories": [self.history(h, version) for h in histories]}

    # -- issues --------------------------------------------------------------------------------------
    def field_value(self, row: IssueRow, f: FieldDef, comments: list[dict[str, Any]] | None,
                    version: str) -> Any:
        v = row.fields.get(f.id)
        fid = f.id
        if fid == "issuetype":
            return self.issue_type(self.cat.issue_types[row.issuetype], version)
        if fid == "project":
            return self.project(self.cat.projects[row.project], version)
        if fid == "status":
            return self.status(self.cat.statuses[row.status], version)
        if fid in ("created", "updated"):
            return self.ts(row.created if fid == "created" else row.updated)
        if fid == "comment":
            return self.comment_page(row.id, comments or [], version)
        if fid == "subtasks":
            return []
        parts = self.parts
        if f.kind in ("components", "versions"):
            kind = "component" if f.kind == "components" else "version"
            return parts.items_json(kind, list(v or []), version) if parts else []
        if f.kind == "attachment":
            return parts.attachments_json(row, version) if parts else []
        if f.kind == "issuelinks":
            return parts.links_json(row, version) if parts else []
        if f.kind == "worklog":
            return parts.worklog_page(row, version) if parts else {"startAt": 0, "maxResults": 20, "total": 0,
                                                                   "worklogs": []}
        if f.kind == "timetracking":
            return self.timetracking(row)
        if v is None:
            return [] if f.kind == "labels" else None
        if f.kind == "user":
            return self.user(v, version)
        if f.kind == "priority":
            return self.priority(v, version)
        if f.kind == "resolution":
            return self.resolution(v, version)
        if f.kind == "option":
            return self.option(f, v, version)
        if f.kind == "datetime":
            return self.ts(v)
        if fid == "description" and version == "3":
            return text_to_adf(v)
        return v

    def wanted_fields(self, spec: list[str] | None, default: str) -> list[FieldDef]:
        """Resolve a ``fields`` parameter (``*all``, ``*navigable``, ids, ``-id`` exclusions)."""
        items = [s.strip() for s in (spec if spec else [default]) if s.strip()]
        all_fields = [f for f in self.cat.fields.values() if f.id != "issuekey"]
        chosen: list[FieldDef] = []
        include_all = "*all" in items
        include_nav = "*navigable" in items
        explicit = [i for i in items if not i.startswith(("*", "-"))]
        excluded = {i[1:] for i in items if i.startswith("-")}
        if not include_all and not include_nav and not explicit:
            include_nav = True  # only exclusions given: they apply to the navigable default
        for f in all_fields:
            if f.id in excluded:
                continue
            if include_all or (include_nav and f.navigable) or f.id in explicit or f.name in explicit:
                chosen.append(f)
        return chosen

    def issue(self, row: IssueRow, fields: list[FieldDef], expand: set[str], version: str = "2",
              comments: list[dict[str, Any]] | None = None,
              histories: list[dict[str, Any]] | None = None, id_only: bool = False) -> dict[str, Any]:
        if id_only:
            return {"expand": ISSUE_EXPAND, "id": str(row.id)}
        out: dict[str, Any] = {"expand": ISSUE_EXPAND, "id": str(row.id),
                               "self": f"{self.api(version)}/issue/{row.id}", "key": row.key}
        out["fields"] = {f.id: self.field_value(row, f, comments, version) for f in fields}
        if "names" in expand:
            out["names"] = {f.id: f.name for f in fields}
        if "schema" in expand:
            out["schema"] = {f.id: f.schema() for f in fields}
        if "changelog" in expand and histories is not None:
            out["changelog"] = self.changelog(histories, version)
        if "renderedfields" in expand:
            out["renderedFields"] = {f.id: self.rendered(row, f) for f in fields}
        return out

    def rendered(self, row: IssueRow, f: FieldDef) -> Any:
        """``renderedFields``: wiki text as HTML, dates as the user reads them, the rest null (as Jira does)."""
        value = row.fields.get(f.id)
        if f.kind == "text" and f.id != "summary":
            return wiki.to_html(value) if value else None
        if f.id in ("created", "updated"):
            return timefmt.human(row.created if f.id == "created" else row.updated, self.tz)
        if f.kind == "datetime" and value is not None:
            return timefmt.human(int(value), self.tz)
        return None
