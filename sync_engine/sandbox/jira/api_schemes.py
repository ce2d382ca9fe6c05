"""Schemes and permissions: permission, notification, issue security, priority and workflow schemes
(globally and per project), ``/permissions`` and ``/mypermissions``."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from sync_engine.sandbox.jira.catalog import ProjectDef
from sync_engine.sandbox.jira.context import Context, RouteSpec, actor
from sync_engine.sandbox.jira.errors import ApiError
from sync_engine.sandbox.jira.http_util import api_version, as_int
from sync_engine.sandbox.jira.permissions import BY_KEY, PERMISSIONS

PERMISSION_SCHEMES = {"0": ("Default Permission Scheme", "This is the default Permission Scheme. Any new projects "
                            "that are created will be assigned this scheme.")}
NOTIFICATION_SCHEMES = {"10000": ("Default Notification Scheme", "")}
SECURITY_SCHEMES = {"10000": ("Default Issue Security Scheme", "Issue-level security: reporters and "
                              "administrators only."), }
SECURITY_LEVELS = {"10000": [("10000", "Reporter and administrators", "Only the reporter and administrators "
                              "see the issue.")]}
EVENTS = (("1", "Issue Created"), ("2", "Issue Updated"), ("3", "Issue Assigned"), ("4", "Issue Resolved"),
          ("5", "Issue Closed"), ("6", "Issue Commented"), ("14", "Issue Comment Edited"),
          ("17", "Issue Comment Deleted"), ("8", "Issue Deleted"), ("10", "Work Logged On Issue"),
          ("13", "Generic Event"))


def scheme_ids(store_categories: dict[str, Any]) -> dict[str, set[str]]:
    return {"permission": set(PERMISSION_SCHEMES), "notification": set(NOTIFICATION_SCHEMES),
            "security": set(SECURITY_SCHEMES), "category": set(store_categories)}


class SchemeApi:
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.cat = ctx.cat
        self.r = ctx.r

    def routes(self) -> list[RouteSpec]:
        table: list[RouteSpec] = [
            ("/permissions", self.permissions, ["GET"]),
            ("/mypermissions", self.my_permissions, ["GET"]),
            ("/permissionscheme", self.permission_schemes, ["GET"]),
            ("/permissionscheme/{id}", self.permission_scheme, ["GET"]),
            ("/project/{idOrKey}/permissionscheme", self.project_permission_scheme, ["GET"]),
            ("/notificationscheme", self.notification_schemes, ["GET"]),
            ("/notificationscheme/{id}", self.notification_scheme, ["GET"]),
            ("/project/{idOrKey}/notificationscheme", self.project_notification_scheme, ["GET"]),
            ("/issuesecurityschemes", self.security_schemes, ["GET"]),
            ("/issuesecurityschemes/{id}", self.security_scheme, ["GET"]),
            ("/project/{idOrKey}/issuesecuritylevelscheme", self.project_security_scheme, ["GET"]),
            ("/project/{idOrKey}/securitylevel", self.project_security_levels, ["GET"]),
        ]
        if not self.cat.cloud:  # Server's per-project scheme resources (Cloud moved these elsewhere)
            table += [
                ("/project/{idOrKey}/priorityscheme", self.project_priority_scheme, ["GET"]),
                ("/project/{idOrKey}/workflowscheme", self.project_workflow_scheme, ["GET"]),
            ]
        return table

    def _project(self, request: Request) -> ProjectDef:
        return self.ctx.admin.project_or_404(request.path_params["idOrKey"])

    def _admin_of(self, request: Request, project: ProjectDef | None) -> None:
        if not self.ctx.perms.has(actor(request), "ADMINISTER_PROJECTS", project):
            raise ApiError(403, ["You must have the 'Administer Projects' permission to see schemes."])

    # -- permissions -------------------------------------------------------------------------------------
    async def permissions(self, request: Request) -> Response:
        return JSONResponse({"permissions": {p.key: {"key": p.key, "name": p.name, "type": p.type,
                                                     "description": p.description} for p in PERMISSIONS}})

    async def my_permissions(self, request: Request) -> Response:
        """Server lists every permission when none are named; Cloud insists on ``permissions``."""
        q = request.query_params
        wanted = [k.strip() for k in (q.get("permissions") or "").split(",") if k.strip()]
        if self.cat.cloud and not wanted:
            raise ApiError(400, ["The permissions query parameter is required. Specify a comma-separated list of "
                                 "permission keys."])
        unknown = [k for k in wanted if k not in BY_KEY]
        if unknown:
            raise ApiError(400, [f"Invalid permission keys: {', '.join(unknown)}."])
        project: ProjectDef | None = None
        if q.get("issueKey") or q.get("issueId"):
            project = self.ctx.project_of(self.ctx.visible_issue(str(q.get("issueKey") or q.get("issueId")), request))
        elif q.get("projectKey") or q.get("projectId"):
            project = self.ctx.admin.project_or_404(str(q.get("projectKey") or q.get("projectId")))
        login = actor(request)
        out = {}
        for p in PERMISSIONS:
            if wanted and p.key not in wanted:
                continue
            out[p.key] = {"id": p.id, "key": p.key, "name": p.name, "type": p.type, "description": p.description,
                          "havePermission": self.ctx.perms.has(login, p.key, project)}
        return JSONResponse({"permissions": out})

    def _permission_scheme_json(self, sid: str, v: str) -> dict[str, Any]:
        name, description = PERMISSION_SCHEMES[sid]
        return {"expand": "permissions,user,group,projectRole,field,all", "id": int(sid),
                "self": f"{self.r.api(v)}/permissionscheme/{sid}", "name": name, "description": description}

    async def permission_schemes(self, request: Request) -> Response:
        self._admin_of(request, None)
        v = api_version(request)
        return JSONResponse({"permissionSchemes": [self._permission_scheme_json(s, v) for s in PERMISSION_SCHEMES]})

    async def permission_scheme(self, request: Request) -> Response:
        sid = request.path_params["id"]
        if sid not in PERMISSION_SCHEMES:
            raise ApiError(404, [f"A permission scheme with id '{sid}' does not exist."])
        self._admin_of(request, None)
        return JSONResponse(self._permission_scheme_json(sid, api_version(request)))

    async def project_permission_scheme(self, request: Request) -> Response:
        p = self._project(request)
        self._admin_of(request, p)
        return JSONResponse(self._permission_scheme_json(p.permission_scheme, api_version(request)))

    # -- notifications ----------------------------------------------------------------------------------
    def _notification_json(self, sid: str, v: str) -> dict[str, Any]:
        name, description = NOTIFICATION_SCHEMES[sid]
        events = [{"event": {"id": int(eid), "name": ename, "description": ""},
                   "notifications": [{"id": 10000 + int(eid), "notificationType": "CurrentAssignee"},
                                     {"id": 10100 + int(eid), "notificationType": "Reporter"}]}
                  for eid, ename in EVENTS]
        return {"expand": "notificationSchemeEvents,user,group,projectRole,field,all", "id": int(sid),
                "self": f"{self.r.api(v)}/notificationscheme/{sid}", "name": name, "description": description,
                "notificationSchemeEvents": events}

    async def notification_schemes(self, request: Request) -> Response:
        q = request.query_params
        start = as_int(q.get("startAt"), "startAt", 0)
        size = as_int(q.get("maxResults"), "maxResults", 50)
        v = api_version(request)
        items = [self._notification_json(s, v) for s in NOTIFICATION_SCHEMES]
        page = items[start : start + size]
        return JSONResponse({"maxResults": size, "startAt": start, "total": len(items),
                             "isLast": start + len(page) >= len(items), "values": page})

    async def notification_scheme(self, request: Request) -> Response:
        sid = request.path_params["id"]
        if sid not in NOTIFICATION_SCHEMES:
            raise ApiError(404, [f"A notification scheme with id '{sid}' does not exist."])
        return JSONResponse(self._notification_json(sid, api_version(request)))

    async def project_notification_scheme(self, request: Request) -> Response:
        p = self._project(request)
        self._admin_of(request, p)
        return JSONResponse(self._notification_json(p.notification_scheme, api_version(request)))

    # -- issue security ------------------------------------------------------------------------------------
    def _security_json(self, sid: str, v: str, levels: bool) -> dict[str, Any]:
        name, description = SECURITY_SCHEMES[sid]
        out: dict[str, Any] = {"self": f"{self.r.api(v)}/issuesecurityschemes/{sid}", "id": int(sid), "name": name,
                               "description": description}
        if levels:
            out["levels"] = [{"self": f"{self.r.api(v)}/securitylevel/{lid}", "id": lid, "name": lname,
                              "description": ldesc} for lid, lname, ldesc in SECURITY_LEVELS.get(sid, [])]
        return out

    async def security_schemes(self, request: Request) -> Response:
        self._admin_of(request, None)
        v = api_version(request)
        return JSONResponse({"issueSecuritySchemes": [self._security_json(s, v, False) for s in SECURITY_SCHEMES]})

    async def security_scheme(self, request: Request) -> Response:
        sid = request.path_params["id"]
        if sid not in SECURITY_SCHEMES:
            raise ApiError(404, [f"An issue security scheme with id '{sid}' does not exist."])
        self._admin_of(request, None)
        return JSONResponse(self._security_json(sid, api_version(request), True))

    async def project_security_scheme(self, request: Request) -> Response:
        p = self._project(request)
        self._admin_of(request, p)
        if p.issue_security_scheme is None:
            raise ApiError(404, [f"Project '{p.key}' is not using an issue security scheme."])
        return JSONResponse(self._security_json(p.issue_security_scheme, api_version(request), True))

    async def project_security_levels(self, request: Request) -> Response:
        p = self._project(request)
        v = api_version(request)
        levels = SECURITY_LEVELS.get(p.issue_security_scheme or "", [])
        return JSONResponse({"levels": [{"self": f"{self.r.api(v)}/securitylevel/{lid}", "id": lid, "name": name,
                                         "description": desc} for lid, name, desc in levels]})

    # -- priorities and workflows (Server) -----------------------------------------------------------------
    async def project_priority_scheme(self, request: Request) -> Response:
        p = self._project(request)
        self._admin_of(request, p)
        v = api_version(request)
        keys = sorted(self.cat.projects)
        return JSONResponse({"expand": "projectKeys", "self": f"{self.r.api(v)}/priorityschemes/1", "id": 1,
                             "name": "Default priority scheme", "description": "This is default priority scheme "
                             "used by all projects without any other scheme assigned.", "defaultOptionId": "3",
                             "optionIds": list(self.cat.priorities), "defaultScheme": True, "projectKeys": keys})

    async def project_workflow_scheme(self, request: Request) -> Response:
        p = self._project(request)
        self._admin_of(request, p)
        v = api_version(request)
        mappings = {t: self.cat.issue_types[t].workflow for t in p.issue_types}
        default = next(iter(mappings.values()), "jira")
        return JSONResponse({"id": 10000 + int(p.id) % 1000, "name": p.workflow_scheme or f"{p.key}: Workflow Scheme",
                             "description": "", "defaultWorkflow": default, "issueTypeMappings": mappings,
                             "self": f"{self.r.api(v)}/workflowscheme/{10000 + int(p.id) % 1000}"})
