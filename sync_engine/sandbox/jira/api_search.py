"""Search endpoints: Server's offset-paged ``/search``, Cloud's token-paged ``/search/jql``,
``/search/approximate-count``, and Cloud's 410 for the removed ``/search``."""

from __future__ import annotations

import base64
import hashlib
import json
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from sync_engine.sandbox.jira.api_meta import actor
from sync_engine.sandbox.jira.errors import ApiError
from sync_engine.sandbox.jira.http_util import (
    api_version,
    as_bool,
    as_int,
    as_list,
    expand_set,
    multi,
    read_json,
)
from sync_engine.sandbox.jira.render import Renderer
from sync_engine.sandbox.jira.service import IssueService
from sync_engine.sandbox.jira.store import IssueRow

SERVER_MAX = 1000
CLOUD_REMOVED = (
    "The requested API has been removed. Please migrate to the /rest/api/3/search/jql API. A full migration "
    "guideline is available at https://developer.atlassian.com/changelog/#CHANGE-2046"
)


def _jql(value: Any) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise ApiError(400, ["The 'jql' parameter must be a string."])
    return value


class SearchApi:
    def __init__(self, service: IssueService, renderer: Renderer, visible_comments: Any) -> None:
        self.s = service
        self.r = renderer
        self.visible_comments = visible_comments  # (rows, login) -> {issue id: comments that login may read}

    def routes(self) -> list[tuple[str, Any, list[str]]]:
        table: list[tuple[str, Any, list[str]]] = [("/search", self.search, ["GET", "POST"])]
        if self.s.cat.cloud:
            table += [("/search/jql", self.search_jql, ["GET", "POST"]),
                      ("/search/approximate-count", self.approximate_count, ["POST"])]
        return table

    async def _params(self, request: Request) -> dict[str, Any]:
        if request.method == "POST":
            body = await read_json(request, required=False)
            if body is None:
                body = {}
            if not isinstance(body, dict):
                raise ApiError(400, ["The search request must be a JSON object."])
            return body
        q = request.query_params
        return {"jql": q.get("jql"), "startAt": q.get("startAt"), "maxResults": q.get("maxResults"),
                "validateQuery": q.get("validateQuery"), "fields": multi(request, "fields") or None,
                "expand": q.get("expand"), "nextPageToken": q.get("nextPageToken"),
                "reconcileIssues": multi(request, "reconcileIssues") or None}

    def _issues(self, rows: list[IssueRow], request: Request, fields: list[str] | None, default: str,
                expand: set[str]) -> tuple[list[dict[str, Any]], list[Any]]:
        v = api_version(request)
        wanted = self.r.wanted_fields(fields, default)
        id_only = (fields is not None and set(fields) <= {"id"}) or (fields is None and default == "id")
        comments = self.visible_comments(rows, actor(request)) if any(f.id == "comment" for f in wanted) else {}
        out = []
        for row in rows:
            histories = self.s.store.histories(row.id) if "changelog" in expand else None
            out.append(self.r.issue(row, wanted, expand, v, comments.get(row.id), histories, id_only=id_only))
        return out, wanted

    def _names_schema(self, body: dict[str, Any], wanted: list[Any], expand: set[str]) -> None:
        if "names" in expand:
            body["names"] = {f.id: f.name for f in wanted}
        if "schema" in expand:
            body["schema"] = {f.id: f.schema() for f in wanted}

    # -- Server ------------------------------------------------------------------------------------------
    async def search(self, request: Request) -> Response:
        if self.s.cat.cloud:
            raise ApiError(410, [CLOUD_REMOVED])
        p = await self._params(request)
        jql = _jql(p.get("jql"))
        start = as_int(p.get("startAt"), "startAt", 0)
        size = min(as_int(p.get("maxResults"), "maxResults", 50), SERVER_MAX)
        validate = as_bool(p.get("validateQuery"), "validateQuery", True)
        fields = as_list(p.get("fields"), "fields")
        expand = expand_set(p.get("expand"))
        result = self.s.search(jql, actor(request), start, size, validate)
        issues, wanted = self._issues(result.rows, request, fields, "*navigable", expand)
        body: dict[str, Any] = {"expand": "schema,names", "startAt": start, "maxResults": size,
                                "total": result.total, "isLast": start + len(issues) >= result.total,
                                "issues": issues}
        if result.warnings:
            body["warningMessages"] = result.warnings
        self._names_schema(body, wanted, expand)
        return JSONResponse(body)

    # -- Cloud -------------------------------------------------------------------------------------------
    @staticmethod
    def _token(jql: str, offset: int) -> str:
        digest = hashlib.sha256(jql.encode()).hexdigest()[:16]
        raw = json.dumps({"o": offset, "q": digest}).encode()
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")

    @staticmethod
    def _offset(jql: str, token: Any) -> int:
        if token in (None, ""):
            return 0
        try:
            text = str(token)
            data = json.loads(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)))
            if data["q"] == hashlib.sha256(jql.encode()).hexdigest()[:16] and int(data["o"]) >= 0:
                return int(data["o"])
        except (ValueError, KeyError, TypeError):
            pass
        raise ApiError(400, ["The provided next page token is invalid or expired."])

    async def search_jql(self, request: Request) -> Response:
        p = await self._params(request)
        jql = _jql(p.get("jql"))
        fields = as_list(p.get("fields"), "fields")
        maximum = 5000 if fields is None or set(fields) <= {"id", "key"} else 100
        requested = as_int(p.get("maxResults"), "maxResults", 50, minimum=-(2**31))
        if not 1 <= requested <= 5000:
            raise ApiError(400, ["The max results parameter has to be between 1 and 5,000."])
        size = min(requested, maximum)
        expand = expand_set(p.get("expand"))
        offset = self._offset(jql, p.get("nextPageToken"))
        result = self.s.search(jql, actor(request), offset, size + 1, validate=True, need_bounded=True, count=False)
        rows = result.rows[:size]
        more = len(result.rows) > size
        issues, wanted = self._issues(rows, request, fields, "id", expand)
        body: dict[str, Any] = {"issues": issues, "isLast": not more}
        if more:
            body["nextPageToken"] = self._token(jql, offset + size)
        self._names_schema(body, wanted, expand)
        return JSONResponse(body)

    async def approximate_count(self, request: Request) -> Response:
        body = await read_json(request)
        if not isinstance(body, dict):
            raise ApiError(400, ["The request must be a JSON object with a 'jql' string."])
        result = self.s.search(_jql(body.get("jql")), actor(request), 0, 0, need_bounded=True)
        return JSONResponse({"count": result.total})
