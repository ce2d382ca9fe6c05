"""Read-only configuration endpoints: serverInfo, myself, fields, projects, issue types, createmeta,
users, link types, session."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from sync_engine.sandbox.jira.catalog import Catalog, FieldDef, ProjectDef
from sync_engine.sandbox.jira.errors import ApiError
from sync_engine.sandbox.jira.http_util import api_version, as_bool, as_int, expand_set, multi
from sync_engine.sandbox.jira.render import Renderer
from sync_engine.sandbox.jira.values import SYSTEM_SETTABLE

SERVER_VERSION = (9, 12, 15)
CLOUD_VERSION = (1001, 0, 0)


def actor(request: Request) -> str:
    return str(request.scope.get("jira.user", ""))


class MetaApi:
    def __init__(self, catalog: Catalog, renderer: Renderer, clock: Any) -> None:
        self.cat = catalog
        self.r = renderer
        self.clock = clock

    # -- server / me ------------------------------------------------------------------------------------
    async def server_info(self, request: Request) -> Response:
        if self.cat.cloud:
            version, nums, build, deployment = "1001.0.0-SNAPSHOT", list(CLOUD_VERSION), 100282, "Cloud"
        else:
            version, nums, build, deployment = ".".join(map(str, SERVER_VERSION)), list(SERVER_VERSION), 9120015, \
                "Server"
        return JSONResponse({
            "baseUrl": self.r.base, "version": version, "versionNumbers": nums, "deploymentType": deployment,
            "buildNumber": build, "buildDate": "2024-11-20T00:00:00.000+0300",
            "serverTime": self.r.ts(self.clock()), "scmInfo": "b24sandbox", "serverTitle": "Вектор Софт JIRA",
            "defaultLocale": {"locale": "ru_RU"}, "serverTimeZone": self.r.tz_name,
        })

    async def myself(self, request: Request) -> Response:
        me = self.r.user(actor(request), api_version(request)) or {}
        me.update({"locale": "ru_RU", "expand": "groups,applicationRoles",
                   "groups": {"size": 2, "items": [{"name": "jira-administrators"}, {"name": "jira-software-users"}]},
                   "applicationRoles": {"size": 1, "items": [{"key": "jira-software", "name": "Jira Software"}]}})
        return JSONResponse(me)

    async def fields(self, request: Request) -> Response:
        return JSONResponse([self.r.field(f) for f in self.cat.fields.values()])

    # -- projects and types --------------------------------------------------------------------------------
    def project_or_404(self, ref: str) -> ProjectDef:
        p = self.cat.project(ref)
        if p is None:
            raise ApiError(404, [f"No project could be found with key '{ref}'."])
        return p

    async def projects(self, request: Request) -> Response:
        expand = expand_set(request.query_params.get("expand"))
        v = api_version(request)
        return JSONResponse([self.r.project(p, v, with_types="issuetypes" in expand, expand=expand)
                             for p in self.cat.projects.values()])

    async def project(self, request: Request) -> Response:
        p = self.project_or_404(request.path_params["idOrKey"])
        return JSONResponse(self.r.project(p, api_version(request), full=True))

    async def project_statuses(self, request: Request) -> Response:
        """Per issue type of the project, the statuses of its workflow in workflow order."""
        p = self.project_or_404(request.path_params["idOrKey"])
        v = api_version(request)
        out = []
        for tid in p.issue_types:
            t = self.cat.issue_types[tid]
            wf = self.cat.workflows[t.workflow]
            out.append({"self": f"{self.r.api(v)}/issuetype/{t.id}", "id": t.id, "name": t.name,
                        "subtask": False, "statuses": [self.r.status(self.cat.statuses[s], v) for s in wf.statuses]})
        return JSONResponse(out)

    async def issue_types(self, request: Request) -> Response:
        v = api_version(request)
        return JSONResponse([self.r.issue_type(t, v) for t in self.cat.issue_types.values()])

    async def issue_type(self, request: Request) -> Response:
        t = self.cat.issue_types.get(request.path_params["id"])
        if t is None:
            raise ApiError(404, [f"Issue type with id '{request.path_params['id']}' does not exist."])
        return JSONResponse(self.r.issue_type(t, api_version(request)))

    async def statuses(self, request: Request) -> Response:
        v = api_version(request)
        return JSONResponse([self.r.status(s, v) for s in self.cat.statuses.values()])

    async def priorities(self, request: Request) -> Response:
        v = api_version(request)
        return JSONResponse([self.r.priority(p, v) for p in self.cat.priorities])

    async def resolutions(self, request: Request) -> Response:
        v = api_version(request)
        return JSONResponse([self.r.resolution(rid, v) for rid in self.cat.resolutions])

    async def link_types(self, request: Request) -> Response:
        base = f"{self.r.api(api_version(request))}/issueLinkType"
        return JSONResponse({"issueLinkTypes": [
            {"id": "10000", "name": "Blocks", "inward": "is blocked by", "outward": "blocks", "self": f"{base}/10000"},
            {"id": "10001", "name": "Relates", "inward": "relates to", "outward": "relates to",
             "self": f"{base}/10001"},
        ]})

    # -- field metadata (createmeta / editmeta) -----------------------------------------------------------
    def screen_fields(self, project: ProjectDef, create: bool, issue_type: str | None) -> list[FieldDef]:
        system = (("project", "issuetype") if create else ("issuetype",)) + SYSTEM_SETTABLE
        out = [self.cat.fields[f] for f in system]
        out.extend(self.cat.fields[f] for f in project.fields_for(issue_type))
        return out

    def field_meta(self, f: FieldDef, project: ProjectDef, version: str, with_id: bool) -> dict[str, Any]:
        ops = ["add", "set", "remove"] if f.kind == "labels" else ["set"]
        meta: dict[str, Any] = {"required": f.id in ("summary", "project", "issuetype"), "schema": f.schema(),
                                "name": f.name, "key": f.id, "hasDefaultValue": f.id == "priority",
                                "operations": ops}
        if with_id:
            meta["fieldId"] = f.id
        if f.kind == "option":
            meta["allowedValues"] = [self.r.option(f, o.value, version) for o in f.options]
        elif f.kind == "priority":
            meta["allowedValues"] = [self.r.priority(p, version) for p in self.cat.priorities]
        elif f.kind == "issuetype":
            meta["allowedValues"] = [self.r.issue_type(self.cat.issue_types[t], version) for t in project.issue_types]
        elif f.kind == "project":
            meta["allowedValues"] = [self.r.project(project, version)]
        return meta

    async def createmeta_types(self, request: Request) -> Response:
        project = self.project_or_404(request.path_params["project"])
        start = as_int(request.query_params.get("startAt"), "startAt", 0)
        size = as_int(request.query_params.get("maxResults"), "maxResults", 50)
        v = api_version(request)
        types = [self.r.issue_type(self.cat.issue_types[t], v) for t in project.issue_types]
        page = types[start : start + size]
        if self.cat.cloud:
            return JSONResponse({"maxResults": size, "startAt": start, "total": len(types), "issueTypes": page})
        return JSONResponse({"maxResults": size, "startAt": start, "total": len(types),
                             "isLast": start + len(page) >= len(types), "values": page})

    async def createmeta_fields(self, request: Request) -> Response:
        project = self.project_or_404(request.path_params["project"])
        type_id = request.path_params["typeId"]
        if type_id not in project.issue_types:
            raise ApiError(404, [f"Issue type with id '{type_id}' does not exist in project '{project.key}'."])
        start = as_int(request.query_params.get("startAt"), "startAt", 0)
        size = as_int(request.query_params.get("maxResults"), "maxResults", 50)
        v = api_version(request)
        metas = [self.field_meta(f, project, v, with_id=True) for f in self.screen_fields(project, True, type_id)]
        page = metas[start : start + size]
        if self.cat.cloud:
            return JSONResponse({"maxResults": size, "startAt": start, "total": len(metas), "fields": page})
        return JSONResponse({"maxResults": size, "startAt": start, "total": len(metas),
                             "isLast": start + len(page) >= len(metas), "values": page})

    async def createmeta(self, request: Request) -> Response:
        """The old form: Cloud still answers it (deprecated); Server/DC 9 removed it (not routed there)."""
        keys = {k.upper() for k in multi(request, "projectKeys")}
        ids = set(multi(request, "projectIds"))
        type_ids = set(multi(request, "issuetypeIds"))
        type_names = {n.casefold() for n in multi(request, "issuetypeNames")}
        with_fields = "projects.issuetypes.fields" in expand_set(request.query_params.get("expand"))
        v = api_version(request)
        projects = []
        for p in self.cat.projects.values():
            if (keys or ids) and p.key not in keys and p.id not in ids:
                continue
            types = []
            for tid in p.issue_types:
                t = self.cat.issue_types[tid]
                if (type_ids or type_names) and tid not in type_ids and t.name.casefold() not in type_names:
                    continue
                entry = {**self.r.issue_type(t, v), "expand": "fields"}
                if with_fields:
                    entry["fields"] = {f.id: self.field_meta(f, p, v, with_id=False)
                                       for f in self.screen_fields(p, True, tid)}
                types.append(entry)
            proj = self.r.project(p, v)
            proj.pop("projectTypeKey", None)
            projects.append({"expand": "issuetypes", **proj, "issuetypes": types})
        return JSONResponse({"expand": "projects", "projects": projects})

    # -- users ------------------------------------------------------------------------------------------
    async def user_search(self, request: Request) -> Response:
        q = request.query_params
        text = q.get("username") or q.get("query")
        if not text:
            raise ApiError(400, ["The username query parameter was not provided"] if not self.cat.cloud
                           else ["The query parameter 'query' must be provided."])
        start = as_int(q.get("startAt"), "startAt", 0)
        size = as_int(q.get("maxResults"), "maxResults", 50, maximum=1000)
        active = as_bool(q.get("includeActive"), "includeActive", True)
        inactive = as_bool(q.get("includeInactive"), "includeInactive", False)
        needle = text.casefold()
        found = []
        for u in self.cat.users.values():
            if (u.active and not active) or (not u.active and not inactive):
                continue
            words = [u.login, u.email, u.display_name, *u.display_name.split()]
            exact_id = self.cat.cloud and u.account_id.casefold() == needle
            if exact_id or any(w.casefold().startswith(needle) for w in words) or needle in u.email.casefold():
                found.append(u.login)
        v = api_version(request)
        return JSONResponse([self.r.user(login, v) for login in found[start : start + size]])

    async def user(self, request: Request) -> Response:
        q = request.query_params
        ref = q.get("accountId") if self.cat.cloud else (q.get("username") or q.get("key"))
        if not ref:
            raise ApiError(400, ["The 'accountId' query parameter must be provided."] if self.cat.cloud
                           else ["Either the 'username' or the 'key' query parameter must be provided."])
        u = self.cat.user(ref)
        if u is None:
            raise ApiError(404, [f"The user named '{ref}' does not exist"] if not self.cat.cloud
                           else ["Specified user does not exist or you do not have required permissions"])
        return JSONResponse(self.r.user(u.login, api_version(request)))
