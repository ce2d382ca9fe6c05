"""Worklog endpoints: list, read, add, update and delete work logged on an issue (``adjustEstimate``...)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from sync_engine.sandbox.jira.context import Context, RouteSpec, actor
from sync_engine.sandbox.jira.errors import ApiError
from sync_engine.sandbox.jira.http_util import api_version, as_int, read_json


class WorklogApi:
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.w = ctx.worklogs

    def routes(self) -> list[RouteSpec]:
        return [
            ("/issue/{key}/worklog", self.worklogs, ["GET"]),
            ("/issue/{key}/worklog", self.add, ["POST"]),
            ("/issue/{key}/worklog/{wid}", self.worklog, ["GET"]),
            ("/issue/{key}/worklog/{wid}", self.update, ["PUT"]),
            ("/issue/{key}/worklog/{wid}", self.delete, ["DELETE"]),
        ]

    def _may_change(self, worklog: dict[str, object], request: Request, what: str) -> None:
        login = actor(request)
        if worklog["author"] != login and not self.ctx.dir.is_admin(login):
            raise ApiError(403, [f"You do not have the permission to {what} this worklog."])

    async def worklogs(self, request: Request) -> Response:
        row = self.ctx.visible_issue(request.path_params["key"], request)
        q = request.query_params
        start = as_int(q.get("startAt"), "startAt", 0)
        size = as_int(q.get("maxResults"), "maxResults", 5000)
        logs = self.ctx.s.store.worklogs(row.id)
        v = api_version(request)
        return JSONResponse({"startAt": start, "maxResults": size, "total": len(logs),
                             "worklogs": [self.ctx.parts.worklog_json(w, v) for w in logs[start : start + size]]})

    async def worklog(self, request: Request) -> Response:
        row = self.ctx.visible_issue(request.path_params["key"], request)
        w = self.w.find(row, request.path_params["wid"])
        return JSONResponse(self.ctx.parts.worklog_json(w, api_version(request)))

    async def add(self, request: Request) -> Response:
        row = self.ctx.visible_issue(request.path_params["key"], request)
        w = self.w.add(row, await read_json(request), request.query_params, actor(request))
        return JSONResponse(self.ctx.parts.worklog_json(w, api_version(request)), status_code=201)

    async def update(self, request: Request) -> Response:
        row = self.ctx.visible_issue(request.path_params["key"], request)
        w = self.w.find(row, request.path_params["wid"])
        self._may_change(w, request, "edit")
        w = self.w.update(row, w, await read_json(request), request.query_params, actor(request))
        return JSONResponse(self.ctx.parts.worklog_json(w, api_version(request)))

    async def delete(self, request: Request) -> Response:
        row = self.ctx.visible_issue(request.path_params["key"], request)
        w = self.w.find(row, request.path_params["wid"])
        self._may_change(w, request, "delete")
        self.w.delete(row, w, request.query_params, actor(request))
        return Response(status_code=204)
