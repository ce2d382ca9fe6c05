"""Project endpoints: list, read (with ``expand``), create, update and delete for an administrator,
statuses, roles and their actors, components and versions of a project, templates and categories."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from sync_engine.sandbox.jira.catalog import ProjectDef
from sync_engine.sandbox.jira.context import Context, RouteSpec, actor
from sync_engine.sandbox.jira.errors import ApiError
from sync_engine.sandbox.jira.http_util import api_version, as_bool, as_int, expand_set, read_json
from sync_engine.sandbox.jira.project_admin import ROLES


class ProjectApi:
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.cat = ctx.cat
        self.r = ctx.r
        self.admin = ctx.admin

    def routes(self) -> list[RouteSpec]:
        table: list[RouteSpec] = [
            ("/project", self.projects, ["GET"]),
            ("/project", self.create, ["POST"]),
            ("/project/{idOrKey}", self.project, ["GET"]),
            ("/project/{idOrKey}", self.update, ["PUT"]),
            ("/project/{idOrKey}", self.delete, ["DELETE"]),
            ("/project/{idOrKey}/statuses", self.statuses, ["GET"]),
            ("/project/{idOrKey}/role", self.roles, ["GET"]),
            ("/project/{idOrKey}/role/{roleId}", self.role, ["GET"]),
            ("/project/{idOrKey}/role/{roleId}", self.set_role, ["PUT"]),
            ("/project/{idOrKey}/role/{roleId}", self.add_to_role, ["POST"]),
            ("/project/{idOrKey}/components", self.components, ["GET"]),
            ("/project/{idOrKey}/versions", self.versions, ["GET"]),
            ("/project/{idOrKey}/version", self.versions_page, ["GET"]),
            ("/projectCategory", self.categories, ["GET"]),
            ("/projectCategory", self.create_category, ["POST"]),
            ("/projectCategory/{id}", self.category, ["GET"]),
            ("/projectCategory/{id}", self.delete_category, ["DELETE"]),
        ]
        if not self.cat.cloud:  # Server's project-templates plugin; Cloud has no such resource
            table.append(("!/rest/project-templates/{v}/templates", self.templates, ["GET"]))
        return table

    # -- rendering -----------------------------------------------------------------------------------------
    def project_json(self, p: ProjectDef, request: Request, full: bool) -> dict[str, Any]:
        v = api_version(request)
        expand = expand_set(request.query_params.get("expand"))
        out = self.r.project(p, v, full=full, with_types="issuetypes" in expand, expand=expand)
        if full:
            out["components"] = [self.ctx.parts.component_json(c, v) for c in self.admin.items("component", p)]
            out["versions"] = [self.ctx.parts.version_json(d, v) for d in self.admin.items("version", p)]
            out["roles"] = {name: f"{self.r.api(v)}/project/{p.id}/role/{rid}" for rid, (name, _) in ROLES.items()}
            out["assigneeType"] = p.assignee_type
        if (full or "url" in expand) and p.url:
            out["url"] = p.url
        if p.category and (full or "projectcategory" in expand):
            category = self._categories().get(p.category)
            if category:
                out["projectCategory"] = self._category_json(category, v)
        if "projectkeys" in expand:
            out["projectKeys"] = [p.key]
        return out

    # -- projects ---------------------------------------------------------------------------------------
    async def projects(self, request: Request) -> Response:
        return JSONResponse([self.project_json(p, request, full=False) for p in self.cat.projects.values()])

    async def project(self, request: Request) -> Response:
        p = self.admin.project_or_404(request.path_params["idOrKey"])
        return JSONResponse(self.project_json(p, request, full=True))

    async def create(self, request: Request) -> Response:
        p = self.admin.create(await read_json(request), actor(request))
        v = api_version(request)
        return JSONResponse({"self": f"{self.r.api(v)}/project/{p.id}", "id": int(p.id), "key": p.key},
                            status_code=201)

    async def update(self, request: Request) -> Response:
        p = self.admin.project_or_404(request.path_params["idOrKey"])
        p = self.admin.update(p, await read_json(request), actor(request))
        return JSONResponse(self.project_json(p, request, full=True))

    async def delete(self, request: Request) -> Response:
        p = self.admin.project_or_404(request.path_params["idOrKey"])
        as_bool(request.query_params.get("enableUndo"), "enableUndo", True)
        self.admin.delete(p, actor(request))
        return Response(status_code=204)

    async def statuses(self, request: Request) -> Response:
        """Per issue type of the project, the statuses of its workflow in workflow order."""
        p = self.admin.project_or_404(request.path_params["idOrKey"])
        v = api_version(request)
        out = []
        for tid in p.issue_types:
            t = self.cat.issue_types[tid]
            wf = self.cat.workflows[t.workflow]
            out.append({"self": f"{self.r.api(v)}/issuetype/{t.id}", "id": t.id, "name": t.name,
                        "subtask": False, "statuses": [self.r.status(self.cat.statuses[s], v) for s in wf.statuses]})
        return JSONResponse(out)

    # -- roles -----------------------------------------------------------------------------------------
    def _role_or_404(self, request: Request) -> tuple[ProjectDef, str]:
        p = self.admin.project_or_404(request.path_params["idOrKey"])
        rid = request.path_params["roleId"]
        if rid not in ROLES:
            raise ApiError(404, [f"Can not retrieve a role actor for a null project role. ({rid})"])
        return p, rid

    def role_json(self, p: ProjectDef, rid: str, v: str) -> dict[str, Any]:
        name, description = ROLES[rid]
        actors: list[dict[str, Any]] = []
        found = self.admin.actors(p, rid)
        n = 10000
        for group in found["groups"]:
            n += 1
            actors.append({"id": n, "displayName": group, "type": "atlassian-group-role-actor", "name": group,
                           "avatarUrl": f"{self.r.base}/secure/useravatar?size=xsmall&avatarId=10123"})
        for login in found["users"]:
            n += 1
            user = self.cat.users[login]
            item: dict[str, Any] = {"id": n, "displayName": user.display_name, "type": "atlassian-user-role-actor",
                                    "avatarUrl": self.r.avatars("user", user.key)["16x16"]}
            if self.cat.cloud:
                item["actorUser"] = {"accountId": user.account_id}
            else:
                item["name"] = user.login
            actors.append(item)
        return {"self": f"{self.r.api(v)}/project/{p.id}/role/{rid}", "name": name, "id": int(rid),
                "description": description, "actors": actors}

    async def roles(self, request: Request) -> Response:
        p = self.admin.project_or_404(request.path_params["idOrKey"])
        v = api_version(request)
        return JSONResponse({name: f"{self.r.api(v)}/project/{p.id}/role/{rid}" for rid, (name, _) in ROLES.items()})

    async def role(self, request: Request) -> Response:
        p, rid = self._role_or_404(request)
        return JSONResponse(self.role_json(p, rid, api_version(request)))

    def _names(self, value: Any, what: str) -> list[str]:
        if value is None:
            return []
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or not all(isinstance(x, str) for x in value):
            raise ApiError(400, [f"The {what} must be a list of names."])
        return value

    def _check_actors(self, users: list[str], groups: list[str]) -> list[str]:
        logins = []
        for ref in users:
            user = self.cat.user(ref)
            if user is None:
                raise ApiError(400, [f"The user '{ref}' does not exist."])
            logins.append(user.login)
        for group in groups:
            self.ctx.dir.group_or_404(group)
        return logins

    async def set_role(self, request: Request) -> Response:
        """``{"categorisedActors": {"atlassian-user-role-actor": [...], "atlassian-group-role-actor": [...]}}``
        replaces the role's actors (the library's ``Role.update``)."""
        p, rid = self._role_or_404(request)
        self.admin.require_admin(actor(request), "change project roles")
        body = await read_json(request)
        actors = body.get("categorisedActors") if isinstance(body, dict) else None
        if not isinstance(actors, dict):
            raise ApiError(400, ["The body must name 'categorisedActors'."])
        key = "atlassian-user-role-actor-id" if self.cat.cloud else "atlassian-user-role-actor"
        users = self._names(actors.get(key, actors.get("atlassian-user-role-actor")), "users")
        groups = self._names(actors.get("atlassian-group-role-actor"), "groups")
        self.admin.set_actors(p, rid, self._check_actors(users, groups), groups)
        return JSONResponse(self.role_json(p, rid, api_version(request)))

    async def add_to_role(self, request: Request) -> Response:
        p, rid = self._role_or_404(request)
        self.admin.require_admin(actor(request), "change project roles")
        body = await read_json(request)
        if not isinstance(body, dict):
            raise ApiError(400, ["The body must name 'user' and/or 'group'."])
        users = self._names(body.get("user"), "users")
        groups = self._names(body.get("group") or body.get("groupId"), "groups")
        current = self.admin.actors(p, rid)
        logins = self._check_actors(users, groups)
        self.admin.set_actors(p, rid, list(dict.fromkeys(current["users"] + logins)),
                              list(dict.fromkeys(current["groups"] + groups)))
        return JSONResponse(self.role_json(p, rid, api_version(request)))

    # -- components and versions of a project ---------------------------------------------------------------
    async def components(self, request: Request) -> Response:
        p = self.admin.project_or_404(request.path_params["idOrKey"])
        v = api_version(request)
        return JSONResponse([self.ctx.parts.component_json(c, v) for c in self.admin.items("component", p)])

    async def versions(self, request: Request) -> Response:
        p = self.admin.project_or_404(request.path_params["idOrKey"])
        v = api_version(request)
        return JSONResponse([self.ctx.parts.version_json(d, v) for d in self.admin.items("version", p)])

    async def versions_page(self, request: Request) -> Response:
        p = self.admin.project_or_404(request.path_params["idOrKey"])
        q = request.query_params
        start = as_int(q.get("startAt"), "startAt", 0)
        size = as_int(q.get("maxResults"), "maxResults", 50)
        v = api_version(request)
        items = [self.ctx.parts.version_json(d, v) for d in self.admin.items("version", p)]
        page = items[start : start + size]
        return JSONResponse({"self": str(request.url), "maxResults": size, "startAt": start, "total": len(items),
                             "isLast": start + len(page) >= len(items), "values": page})

    # -- templates and categories ---------------------------------------------------------------------------
    async def templates(self, request: Request) -> Response:
        groups: dict[str, list[dict[str, Any]]] = {}
        for t in self.admin.templates():
            groups.setdefault(t.type_key, []).append({
                "projectTemplateModuleCompleteKey": t.key, "name": t.name, "projectTypeKey": t.type_key,
                "description": f"{t.name} project template", "weight": 10 * (len(groups.get(t.type_key, [])) + 1),
            })
        return JSONResponse({"projectTemplatesGroupedByType": [
            {"applicationInfo": {"applicationName": "Jira Software" if key == "software" else "Jira Core"},
             "projectTypeBean": {"projectTypeKey": key, "projectTypeDisplayKey": key.title()},
             "projectTemplates": items} for key, items in groups.items()]})

    def _categories(self) -> dict[str, Any]:
        return self.ctx.s.store.docs("category")

    def _category_json(self, c: dict[str, Any], v: str) -> dict[str, Any]:
        return {"self": f"{self.r.api(v)}/projectCategory/{c['id']}", "id": str(c["id"]), "name": c["name"],
                "description": c.get("description", "")}

    async def categories(self, request: Request) -> Response:
        v = api_version(request)
        return JSONResponse([self._category_json(c, v) for c in self._categories().values()])

    async def category(self, request: Request) -> Response:
        found = self._categories().get(request.path_params["id"])
        if found is None:
            raise ApiError(404, [f"No project category with id '{request.path_params['id']}' exists."])
        return JSONResponse(self._category_json(found, api_version(request)))

    async def create_category(self, request: Request) -> Response:
        self.ctx.require_admin(request, "create a project category")
        body = await read_json(request)
        name = body.get("name") if isinstance(body, dict) else None
        if not isinstance(name, str) or not name.strip():
            raise ApiError(400, [], {"name": "The project category name must be specified."})
        if any(c["name"].casefold() == name.strip().casefold() for c in self._categories().values()):
            raise ApiError(409, ["A project category with that name already exists."])
        assert isinstance(body, dict)
        cid = str(self.ctx.s.store.next_value("category_id", 10000))
        data = {"id": cid, "name": name.strip(), "description": str(body.get("description") or "")}
        self.ctx.s.store.put_doc("category", cid, data)
        return JSONResponse(self._category_json(data, api_version(request)), status_code=201)

    async def delete_category(self, request: Request) -> Response:
        self.ctx.require_admin(request, "delete a project category")
        if not self.ctx.s.store.delete_doc("category", request.path_params["id"]):
            raise ApiError(404, [f"No project category with id '{request.path_params['id']}' exists."])
        return Response(status_code=204)
