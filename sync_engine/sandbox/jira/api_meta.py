"""Read-only configuration endpoints: serverInfo, myself, fields, issue types, statuses and their
categories, priorities, resolutions, link types, and the createmeta forms."""

from __future__ import annotations

from typing import Any, ClassVar

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from sync_engine.sandbox.jira.catalog import CATEGORIES, Catalog, FieldDef, ProjectDef
from sync_engine.sandbox.jira.context import Context, RouteSpec, actor
from sync_engine.sandbox.jira.errors import ApiError
from sync_engine.sandbox.jira.http_util import api_version, as_int, expand_set, multi
from sync_engine.sandbox.jira.render import Renderer

__all__ = ["MetaApi", "actor"]

SERVER_VERSION = (9, 12, 15)
CLOUD_VERSION = (1001, 0, 0)


class MetaApi:
    def __init__(self, ctx: Context, clock: Any) -> None:
        self.ctx = ctx
        self.cat: Catalog = ctx.cat
        self.r: Renderer = ctx.r
        self.clock = clock

    def routes(self) -> list[RouteSpec]:
        table: list[RouteSpec] = [
            ("/serverInfo", self.server_info, ["GET"]),
            ("/myself", self.myself, ["GET"]),
            ("/field", self.fields, ["GET"]),
            ("/issuetype", self.issue_types, ["GET"]),
            ("/issuetype/{id}", self.issue_type, ["GET"]),
            ("/status", self.statuses, ["GET"]),
            ("/status/{idOrName}", self.status, ["GET"]),
            ("/statuscategory", self.status_categories, ["GET"]),
            ("/statuscategory/{idOrKey}", self.status_category, ["GET"]),
            ("/priority", self.priorities, ["GET"]),
            ("/priority/{id}", self.priority, ["GET"]),
            ("/resolution", self.resolutions, ["GET"]),
            ("/resolution/{id}", self.resolution, ["GET"]),
            ("/issueLinkType", self.link_types, ["GET"]),
            ("/issueLinkType/{id}", self.link_type, ["GET"]),
            ("/issue/createmeta/{project}/issuetypes", self.createmeta_types, ["GET"]),
            ("/issue/createmeta/{project}/issuetypes/{typeId}", self.createmeta_fields, ["GET"]),
        ]
        if self.cat.cloud:
            table.append(("/issue/createmeta", self.createmeta, ["GET"]))
        return table

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
        login = actor(request)
        me = self.r.user(login, api_version(request)) or {}
        groups = self.ctx.dir.groups_of(login)
        roles = [{"key": "jira-software", "name": "Jira Software"}] if "jira-software-users" in groups else []
        me.update({"locale": "ru_RU", "expand": "groups,applicationRoles",
                   "groups": {"size": len(groups), "items": [{"name": g} for g in groups]},
                   "applicationRoles": {"size": len(roles), "items": roles}})
        return JSONResponse(me)

    async def fields(self, request: Request) -> Response:
        return JSONResponse([self.r.field(f) for f in self.cat.fields.values()])

    # -- types, statuses, priorities, resolutions, link types ----------------------------------------------
    def project_or_404(self, ref: str) -> ProjectDef:
        return self.ctx.admin.project_or_404(ref)

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

    async def status(self, request: Request) -> Response:
        ref = request.path_params["idOrName"]
        st = self.cat.status(ref)
        if st is None:
            raise ApiError(404, [f"The status with id '{ref}' does not exist"])
        return JSONResponse(self.r.status(st, api_version(request)))

    async def status_categories(self, request: Request) -> Response:
        v = api_version(request)
        return JSONResponse([self.r.status_category(key, v) for key in CATEGORIES])

    async def status_category(self, request: Request) -> Response:
        ref = request.path_params["idOrKey"]
        key = next((k for k, (cid, _, _) in CATEGORIES.items() if ref in (str(cid), k)), None)
        if key is None:
            raise ApiError(404, [f"The status category with id or key '{ref}' does not exist"])
        return JSONResponse(self.r.status_category(key, api_version(request)))

    async def priorities(self, request: Request) -> Response:
        v = api_version(request)
        return JSONResponse([self.r.priority(p, v) for p in self.cat.priorities])

    async def priority(self, request: Request) -> Response:
        pid = request.path_params["id"]
        if pid not in self.cat.priorities:
            raise ApiError(404, [f"The priority with id '{pid}' does not exist"])
        return JSONResponse(self.r.priority(pid, api_version(request)))

    async def resolutions(self, request: Request) -> Response:
        v = api_version(request)
        return JSONResponse([self.r.resolution(rid, v) for rid in self.cat.resolutions])

    async def resolution(self, request: Request) -> Response:
        rid = request.path_params["id"]
        if rid not in self.cat.resolutions:
            raise ApiError(404, [f"The resolution with id '{rid}' does not exist"])
        return JSONResponse(self.r.resolution(rid, api_version(request)))

    async def link_types(self, request: Request) -> Response:
        v = api_version(request)
        return JSONResponse({"issueLinkTypes": [self.r.link_type(t, v) for t in self.cat.link_types.values()]})

    async def link_type(self, request: Request) -> Response:
        t = self.cat.link_types.get(request.path_params["id"])
        if t is None:
            raise ApiError(404, [f"No issue link type with id '{request.path_params['id']}' found."])
        return JSONResponse(self.r.link_type(t, api_version(request)))

    # -- field metadata (createmeta / editmeta) -----------------------------------------------------------
    def screen_fields(self, project: ProjectDef, create: bool, issue_type: str | None) -> list[FieldDef]:
        system = (("project", "issuetype") if create else ("issuetype",)) + project.system_fields
        if not create:
            system += ("comment",)  # the edit screen always takes a comment
        out = [self.cat.fields[f] for f in system]
        out.extend(self.cat.fields[f] for f in project.fields_for(issue_type))
        return out

    OPERATIONS: ClassVar[dict[str, list[str]]] = {
        "labels": ["add", "set", "remove"], "components": ["add", "set", "remove"],
        "versions": ["set", "add", "remove"], "comment": ["add", "edit", "remove"],
        "issuelinks": ["add"], "attachment": [], "timetracking": ["set", "edit"]}

    def field_meta(self, f: FieldDef, project: ProjectDef, version: str, with_id: bool) -> dict[str, Any]:
        ops = self.OPERATIONS.get(f.kind, ["set"])
        meta: dict[str, Any] = {"required": f.id in ("summary", "project", "issuetype"), "schema": f.schema(),
                                "name": f.name, "key": f.id, "hasDefaultValue": f.id in ("priority", "assignee"),
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
        elif f.kind in ("components", "versions"):
            kind = "component" if f.kind == "components" else "version"
            meta["allowedValues"] = [self.ctx.parts.version_json(d, version) if kind == "version"
                                     else self.ctx.parts.component_json(d, version)
                                     for d in self.ctx.admin.items(kind, project)]
        elif f.kind == "issuelinks":
            meta["allowedValues"] = [self.r.link_type(t, version) for t in self.cat.link_types.values()]
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
