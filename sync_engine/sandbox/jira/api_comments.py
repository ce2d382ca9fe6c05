"""Comment endpoints: list (paged, ordered, ``expand=renderedBody``), read, add, edit and delete, with
``visibility`` (a role or group) kept, echoed and enforced for readers as Jira does."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from sync_engine.sandbox.jira.context import Context, RouteSpec, actor
from sync_engine.sandbox.jira.errors import ApiError
from sync_engine.sandbox.jira.http_util import api_version, as_bool, as_int, expand_set, read_json
from sync_engine.sandbox.jira.project_admin import ROLES
from sync_engine.sandbox.jira.store import IssueRow
from sync_engine.sandbox.jira.values import adf_to_text

MAX_BODY = 32_767  # jira.text.field.character.limit's default


class CommentApi:
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.s = ctx.s
        self.r = ctx.r

    def routes(self) -> list[RouteSpec]:
        return [
            ("/issue/{key}/comment", self.comments, ["GET"]),
            ("/issue/{key}/comment", self.add, ["POST"]),
            ("/issue/{key}/comment/{cid}", self.comment, ["GET"]),
            ("/issue/{key}/comment/{cid}", self.edit, ["PUT"]),
            ("/issue/{key}/comment/{cid}", self.delete, ["DELETE"]),
        ]

    # -- visibility ---------------------------------------------------------------------------------------
    def can_see(self, row: IssueRow, comment: dict[str, Any], login: str) -> bool:
        vis = comment.get("visibility")
        if not vis:
            return True
        if self.ctx.dir.is_admin(login) or comment["author"] == login:
            return True
        if vis.get("type") == "group":
            return login in self.ctx.dir.groups.get(str(vis.get("value")), set())
        return self.ctx.admin.in_role(self.ctx.project_of(row), str(vis.get("value")), login)

    def _visibility(self, row: IssueRow, value: Any, login: str) -> dict[str, Any] | None:
        """A restriction as Jira accepts it: an existing role or group the author belongs to."""
        if value is None or value == {}:
            return None
        if not isinstance(value, dict) or value.get("type") not in ("role", "group") or \
                not isinstance(value.get("value", value.get("identifier")), str):
            raise ApiError(400, [], {"commentLevel": "Visibility must be {\"type\": \"role\"|\"group\", "
                                                     "\"value\": ...}."})
        kind, name = value["type"], str(value.get("value", value.get("identifier")))
        if kind == "role":
            role = next((n for n, _ in ROLES.values() if n.casefold() == name.casefold()), None)
            if role is None:
                raise ApiError(400, [], {"commentLevel": f"The project role '{name}' does not exist."})
            if not self.ctx.admin.in_role(self.ctx.project_of(row), role, login):
                raise ApiError(400, [], {"commentLevel": f"You are currently not a member of the project role: "
                                                         f"{role}."})
            return {"type": "role", "value": role}
        if name not in self.ctx.dir.groups:
            raise ApiError(400, [], {"commentLevel": f"Group: {name} does not exist."})
        if login not in self.ctx.dir.groups[name] and not self.ctx.dir.is_admin(login):
            raise ApiError(400, [], {"commentLevel": f"You are currently not a member of the group: {name}."})
        out: dict[str, Any] = {"type": "group", "value": name}
        if self.ctx.cloud:
            out["identifier"] = name
        return out

    @staticmethod
    def _body(body: Any, required: bool) -> str | None:
        text = body.get("body") if isinstance(body, dict) else None
        if isinstance(text, dict):
            text = adf_to_text(text)
        if text is None and not required:
            return None
        if not isinstance(text, str) or not text.strip():
            raise ApiError(400, [], {"comment": "Comment body can not be empty!"})
        if len(text) > MAX_BODY:
            raise ApiError(400, [], {"comment": f"The entered text is too long. It exceeds the allowed limit of "
                                                f"{MAX_BODY} characters."})
        return text

    def _visible(self, row: IssueRow, request: Request) -> list[dict[str, Any]]:
        login = actor(request)
        return [c for c in self.s.store.comments([row.id])[row.id] if self.can_see(row, c, login)]

    def _find(self, row: IssueRow, request: Request) -> dict[str, Any]:
        cid = request.path_params["cid"]
        found = next((c for c in self._visible(row, request) if str(c["id"]) == cid), None)
        if found is None:
            raise ApiError(404, [f"Can not find a comment for the id: {cid}."])
        return found

    def _json(self, row: IssueRow, c: dict[str, Any], request: Request) -> dict[str, Any]:
        rendered = "renderedbody" in expand_set(request.query_params.get("expand"))
        return self.r.comment(row.id, c, api_version(request), rendered=rendered)

    # -- endpoints -------------------------------------------------------------------------------------
    async def comments(self, request: Request) -> Response:
        row = self.ctx.visible_issue(request.path_params["key"], request)
        q = request.query_params
        start = as_int(q.get("startAt"), "startAt", 0)
        size = as_int(q.get("maxResults"), "maxResults", 5000)
        items = self._visible(row, request)
        order = (q.get("orderBy") or "").strip()
        if order.lstrip("+-") not in ("", "created"):
            raise ApiError(400, [f"The 'orderBy' parameter must be 'created', '+created' or '-created', not "
                                 f"'{order}'."])
        if order.startswith("-"):
            items.reverse()
        page = items[start : start + size]
        return JSONResponse({"startAt": start, "maxResults": size, "total": len(items),
                             "comments": [self._json(row, c, request) for c in page]})

    async def comment(self, request: Request) -> Response:
        row = self.ctx.visible_issue(request.path_params["key"], request)
        return JSONResponse(self._json(row, self._find(row, request), request))

    async def add(self, request: Request) -> Response:
        row = self.ctx.visible_issue(request.path_params["key"], request)
        body = await read_json(request)
        text = self._body(body, required=True)
        assert text is not None and isinstance(body, dict)
        visibility = self._visibility(row, body.get("visibility"), actor(request))
        properties = body.get("properties") if isinstance(body.get("properties"), list) else None
        comment = self.s.add_comment(row, text, actor(request), visibility, properties)
        return JSONResponse(self._json(row, comment, request), status_code=201)

    def _may_change(self, comment: dict[str, Any], request: Request, what: str) -> None:
        login = actor(request)
        if comment["author"] != login and not self.ctx.dir.is_admin(login):
            raise ApiError(403, [f"You do not have the permission to {what} this comment."])

    async def edit(self, request: Request) -> Response:
        row = self.ctx.visible_issue(request.path_params["key"], request)
        comment = self._find(row, request)
        self._may_change(comment, request, "edit")
        as_bool(request.query_params.get("notifyUsers"), "notifyUsers", True)
        body = await read_json(request)
        text = self._body(body, required=False)
        visibility = comment.get("visibility")
        if isinstance(body, dict) and "visibility" in body:
            visibility = self._visibility(row, body["visibility"], actor(request))
        edited = self.s.edit_comment(row, comment, text if text is not None else comment["body"], visibility,
                                     actor(request))
        return JSONResponse(self._json(row, edited, request))

    async def delete(self, request: Request) -> Response:
        row = self.ctx.visible_issue(request.path_params["key"], request)
        comment = self._find(row, request)
        self._may_change(comment, request, "delete")
        self.s.delete_comment(row, comment, actor(request))
        return Response(status_code=204)
