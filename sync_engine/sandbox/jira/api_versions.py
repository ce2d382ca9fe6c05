"""Version and component endpoints (``/version``, ``/component``): create, read, update, delete (taking
them off issues, or moving issues to another), and related-issue counts."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from sync_engine.sandbox.jira import timefmt
from sync_engine.sandbox.jira.catalog import ProjectDef
from sync_engine.sandbox.jira.context import Context, RouteSpec, actor
from sync_engine.sandbox.jira.errors import ApiError
from sync_engine.sandbox.jira.http_util import api_version, read_json

ASSIGNEE_TYPES = ("PROJECT_DEFAULT", "COMPONENT_LEAD", "PROJECT_LEAD", "UNASSIGNED")


class VersionApi:
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.admin = ctx.admin
        self.parts = ctx.parts

    def routes(self) -> list[RouteSpec]:
        return [
            ("/version", self.create_version, ["POST"]),
            ("/version/{id}", self.version, ["GET"]),
            ("/version/{id}", self.update_version, ["PUT"]),
            ("/version/{id}", self.delete_version, ["DELETE"]),
            ("/version/{id}/relatedIssueCounts", self.version_counts, ["GET"]),
            ("/component", self.create_component, ["POST"]),
            ("/component/{id}", self.component, ["GET"]),
            ("/component/{id}", self.update_component, ["PUT"]),
            ("/component/{id}", self.delete_component, ["DELETE"]),
            ("/component/{id}/relatedIssueCounts", self.component_counts, ["GET"]),
        ]

    # -- shared -----------------------------------------------------------------------------------------
    def _project(self, body: dict[str, Any]) -> ProjectDef:
        ref = body.get("projectId", body.get("project"))
        if ref is None:
            raise ApiError(400, [], {"project": "You must specify a valid project."})
        project = self.ctx.cat.project(str(ref))
        if project is None:
            raise ApiError(404, [f"No project could be found with key '{ref}'."])
        return project

    def _may_admin(self, request: Request, project: ProjectDef) -> None:
        if not self.ctx.perms.has(actor(request), "ADMINISTER_PROJECTS", project):
            raise ApiError(403, ["You must have the 'Administer Projects' permission for this project."])

    def _name(self, kind: str, body: dict[str, Any], project: ProjectDef, own_id: str | None) -> str:
        name = body.get("name")
        if not isinstance(name, str) or not name.strip():
            raise ApiError(400, [], {"name": f"You must specify a valid {kind} name."})
        if len(name) > 255:
            raise ApiError(400, [], {"name": f"The {kind} name must not exceed 255 characters."})
        clash = any(d["name"].casefold() == name.strip().casefold() and str(d["id"]) != own_id
                    for d in self.admin.items(kind, project))
        if clash:
            what = "A version with this name already exists in this project." if kind == "version" \
                else f"A component with the name {name.strip()} already exists in this project."
            raise ApiError(400, [], {"name": what})
        return name.strip()

    @staticmethod
    def _body(body: Any) -> dict[str, Any]:
        if not isinstance(body, dict):
            raise ApiError(400, ["The body must be a JSON object."])
        return body

    # -- versions --------------------------------------------------------------------------------------
    def _version_fields(self, body: dict[str, Any], into: dict[str, Any]) -> None:
        for key in ("releaseDate", "startDate"):
            if key in body:
                value = body[key]
                if value not in (None, "") and (not isinstance(value, str) or timefmt.parse_date(value) is None):
                    raise ApiError(400, [], {key: f"Invalid date format. Please enter the date in the format "
                                                  f"\"yyyy-MM-dd\" ({value!r})."})
                into[key] = value or None
        for key in ("archived", "released"):
            if key in body:
                if not isinstance(body[key], bool):
                    raise ApiError(400, [], {key: f"'{key}' must be true or false."})
                into[key] = body[key]
        if "description" in body:
            into["description"] = str(body["description"] or "")

    async def create_version(self, request: Request) -> Response:
        body = self._body(await read_json(request))
        project = self._project(body)
        self._may_admin(request, project)
        data: dict[str, Any] = {"id": self.admin.new_item_id("version"), "project": project.key,
                                "name": self._name("version", body, project, None), "description": "",
                                "archived": False, "released": False, "releaseDate": None, "startDate": None}
        self._version_fields(body, data)
        self.admin.save_item("version", data)
        return JSONResponse(self.parts.version_json(data, api_version(request)), status_code=201)

    async def version(self, request: Request) -> Response:
        found = self.admin.item("version", request.path_params["id"])
        return JSONResponse(self.parts.version_json(found, api_version(request)))

    async def update_version(self, request: Request) -> Response:
        found = self.admin.item("version", request.path_params["id"])
        project = self.ctx.cat.projects[found["project"]]
        self._may_admin(request, project)
        body = self._body(await read_json(request))
        if "name" in body:
            found["name"] = self._name("version", body, project, str(found["id"]))
        self._version_fields(body, found)
        self.admin.save_item("version", found)
        return JSONResponse(self.parts.version_json(found, api_version(request)))

    def _replacement(self, kind: str, ref: str | None, item: dict[str, Any]) -> str | None:
        if not ref:
            return None
        other = self.admin.item(kind, ref)
        if other["project"] != item["project"] or str(other["id"]) == str(item["id"]):
            raise ApiError(400, [f"The {kind} '{ref}' cannot take this {kind}'s issues."])
        return str(other["id"])

    async def delete_version(self, request: Request) -> Response:
        found = self.admin.item("version", request.path_params["id"])
        self._may_admin(request, self.ctx.cat.projects[found["project"]])
        q = request.query_params
        moves = {"fixVersions": self._replacement("version", q.get("moveFixIssuesTo"), found),
                 "versions": self._replacement("version", q.get("moveAffectedIssuesTo"), found)}
        self.admin.drop_item("version", found, moves, actor(request))
        return Response(status_code=204)

    def _count(self, field_id: str, item_id: str) -> int:
        return self.ctx.s.store.count(f"EXISTS (SELECT 1 FROM json_each(issues.fields, '$.{field_id}') "
                                      "WHERE json_each.value = ?)", [str(item_id)])

    async def version_counts(self, request: Request) -> Response:
        found = self.admin.item("version", request.path_params["id"])
        return JSONResponse({"self": str(request.url), "issuesFixedCount": self._count("fixVersions", found["id"]),
                             "issuesAffectedCount": self._count("versions", found["id"])})

    # -- components ------------------------------------------------------------------------------------
    def _component_fields(self, body: dict[str, Any], into: dict[str, Any]) -> None:
        if "description" in body:
            into["description"] = str(body["description"] or "")
        lead_key = "leadAccountId" if self.ctx.cloud else "leadUserName"
        if lead_key in body:
            ref = body[lead_key]
            if ref in (None, ""):
                into["lead"] = None
            else:
                user = self.ctx.cat.user(str(ref))
                if user is None:
                    raise ApiError(400, [], {"leadUserName": f"The user {ref} does not exist."})
                into["lead"] = user.login
        if "assigneeType" in body:
            if body["assigneeType"] not in ASSIGNEE_TYPES:
                raise ApiError(400, [], {"assigneeType": f"The assignee type must be one of "
                                                         f"{', '.join(ASSIGNEE_TYPES)}."})
            into["assigneeType"] = body["assigneeType"]

    async def create_component(self, request: Request) -> Response:
        body = self._body(await read_json(request))
        project = self._project(body)
        self._may_admin(request, project)
        data: dict[str, Any] = {"id": self.admin.new_item_id("component"), "project": project.key,
                                "name": self._name("component", body, project, None), "description": "",
                                "lead": None, "assigneeType": "PROJECT_DEFAULT"}
        self._component_fields(body, data)
        self.admin.save_item("component", data)
        return JSONResponse(self.parts.component_json(data, api_version(request)), status_code=201)

    async def component(self, request: Request) -> Response:
        found = self.admin.item("component", request.path_params["id"])
        return JSONResponse(self.parts.component_json(found, api_version(request)))

    async def update_component(self, request: Request) -> Response:
        found = self.admin.item("component", request.path_params["id"])
        project = self.ctx.cat.projects[found["project"]]
        self._may_admin(request, project)
        body = self._body(await read_json(request))
        if "name" in body:
            found["name"] = self._name("component", body, project, str(found["id"]))
        self._component_fields(body, found)
        self.admin.save_item("component", found)
        return JSONResponse(self.parts.component_json(found, api_version(request)))

    async def delete_component(self, request: Request) -> Response:
        found = self.admin.item("component", request.path_params["id"])
        self._may_admin(request, self.ctx.cat.projects[found["project"]])
        moves = {"components": self._replacement("component", request.query_params.get("moveIssuesTo"), found)}
        self.admin.drop_item("component", found, moves, actor(request))
        return Response(status_code=204)

    async def component_counts(self, request: Request) -> Response:
        found = self.admin.item("component", request.path_params["id"])
        return JSONResponse({"self": str(request.url), "issueCount": self._count("components", found["id"])})
