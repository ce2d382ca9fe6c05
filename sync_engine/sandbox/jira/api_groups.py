"""Group endpoints: read with members (``expand=users[0:49]``), members page, picker, create and delete,
add and remove a member."""

from __future__ import annotations

import re
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from sync_engine.sandbox.jira.context import Context, RouteSpec
from sync_engine.sandbox.jira.errors import ApiError
from sync_engine.sandbox.jira.http_util import api_version, as_int, read_json

_RANGE = re.compile(r"users\[(\d+):(\d+)\]")
PAGE = 50


class GroupApi:
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.cat = ctx.cat
        self.r = ctx.r
        self.dir = ctx.dir

    def routes(self) -> list[RouteSpec]:
        return [
            ("/group", self.group, ["GET"]),
            ("/group", self.create, ["POST"]),
            ("/group", self.delete, ["DELETE"]),
            ("/group/member", self.members, ["GET"]),
            ("/group/user", self.add_member, ["POST"]),
            ("/group/user", self.remove_member, ["DELETE"]),
            ("/groups/picker", self.picker, ["GET"]),
        ]

    def _name(self, request: Request) -> str:
        return self.dir.group_or_404(request.query_params.get("groupname"))

    def _members(self, name: str) -> list[str]:
        return sorted(self.dir.groups[name], key=lambda login: self.cat.users[login].display_name.casefold())

    def group_json(self, name: str, v: str, start: int = 0, end: int = PAGE - 1,
                   expanded: bool = False) -> dict[str, Any]:
        members = self._members(name)
        page = members[start : end + 1] if expanded else []
        return {"name": name, "self": f"{self.r.api(v)}/group?groupname={name}",
                "users": {"size": len(members), "items": [self.r.user(m, v) for m in page],
                          "max-results": end - start + 1, "start-index": start,
                          "end-index": start + len(page) - 1 if page else 0},
                "expand": "users"}

    async def group(self, request: Request) -> Response:
        name = self._name(request)
        expand = request.query_params.get("expand") or ""
        start, end, expanded = 0, PAGE - 1, "users" in expand
        match = _RANGE.search(expand)
        if match:
            start, end = int(match.group(1)), int(match.group(2))
        return JSONResponse(self.group_json(name, api_version(request), start, end, expanded))

    async def members(self, request: Request) -> Response:
        name = self._name(request)
        q = request.query_params
        start = as_int(q.get("startAt"), "startAt", 0)
        size = as_int(q.get("maxResults"), "maxResults", PAGE)
        members = self._members(name)
        page = members[start : start + size]
        v = api_version(request)
        return JSONResponse({"self": str(request.url), "maxResults": size, "startAt": start, "total": len(members),
                             "isLast": start + len(page) >= len(members),
                             "values": [self.r.user(m, v) for m in page]})

    async def picker(self, request: Request) -> Response:
        q = request.query_params
        text = (q.get("query") or "").casefold()
        exclude = set(q.getlist("exclude"))
        size = as_int(q.get("maxResults"), "maxResults", 20)
        found = [g for g in sorted(self.dir.groups) if text in g.casefold() and g not in exclude]
        shown = found[:size]
        return JSONResponse({"header": f"Showing {len(shown)} of {len(found)} matching groups", "total": len(found),
                             "groups": [{"name": g, "html": g, "labels": []} for g in shown]})

    async def create(self, request: Request) -> Response:
        self.ctx.require_admin(request, "create groups")
        body = await read_json(request)
        name = self.dir.add_group(body.get("name") if isinstance(body, dict) else None)
        return JSONResponse(self.group_json(name, api_version(request)), status_code=201)

    async def delete(self, request: Request) -> Response:
        self.ctx.require_admin(request, "delete groups")
        self.dir.delete_group(self._name(request))
        return Response(status_code=200)

    async def add_member(self, request: Request) -> Response:
        self.ctx.require_admin(request, "change group membership")
        name = self._name(request)
        body = await read_json(request)
        ref = body.get("accountId" if self.cat.cloud else "name") if isinstance(body, dict) else None
        user = self.dir.user_or_404(str(ref) if ref is not None else None)
        if user.login in self.dir.groups[name]:
            raise ApiError(400, [f"Cannot add user. '{user.login}' is already a member of '{name}'"])
        self.dir.add_member(name, user.login)
        return JSONResponse(self.group_json(name, api_version(request)), status_code=201)

    async def remove_member(self, request: Request) -> Response:
        self.ctx.require_admin(request, "change group membership")
        name = self._name(request)
        q = request.query_params
        user = self.dir.user_or_404(q.get("accountId") if self.cat.cloud else (q.get("username") or q.get("key")))
        if user.login not in self.dir.groups[name]:
            raise ApiError(400, [f"Cannot remove user. '{user.login}' is not a member of '{name}'"])
        self.dir.remove_member(name, user.login)
        return Response(status_code=200)
