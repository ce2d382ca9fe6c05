"""Links: remote links on an issue (create, upsert by ``globalId``, read, update and delete by id or by
``globalId``) and links between issues (``POST /issueLink``, read, delete)."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from sync_engine.sandbox.jira.context import Context, RouteSpec, actor
from sync_engine.sandbox.jira.errors import ApiError
from sync_engine.sandbox.jira.http_util import api_version, read_json
from sync_engine.sandbox.jira.store import IssueRow

REMOTE_LINKS = "_remotelinks"  # kept beside the fields; no catalog field, so never rendered or logged
REMOTE_KEYS = ("globalId", "application", "relationship")


class LinkApi:
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.s = ctx.s
        self.r = ctx.r

    def routes(self) -> list[RouteSpec]:
        return [
            ("/issue/{key}/remotelink", self.remote_links, ["GET"]),
            ("/issue/{key}/remotelink", self.add_remote_link, ["POST"]),
            ("/issue/{key}/remotelink", self.delete_by_global_id, ["DELETE"]),
            ("/issue/{key}/remotelink/{lid}", self.remote_link, ["GET"]),
            ("/issue/{key}/remotelink/{lid}", self.update_remote_link, ["PUT"]),
            ("/issue/{key}/remotelink/{lid}", self.delete_remote_link, ["DELETE"]),
            ("/issueLink", self.create_link, ["POST"]),
            ("/issueLink/{id}", self.link, ["GET"]),
            ("/issueLink/{id}", self.delete_link, ["DELETE"]),
        ]

    # -- remote links ----------------------------------------------------------------------------------
    def _link_json(self, row: IssueRow, link: dict[str, Any], version: str) -> dict[str, Any]:
        return {"id": link["id"], "self": f"{self.r.api(version)}/issue/{row.key}/remotelink/{link['id']}",
                **{k: v for k, v in link.items() if k != "id"}}

    @staticmethod
    def _links(row: IssueRow) -> list[dict[str, Any]]:
        return list(row.fields.get(REMOTE_LINKS, []))

    def _find(self, row: IssueRow, lid: str) -> dict[str, Any]:
        link = next((lk for lk in self._links(row) if str(lk["id"]) == lid), None)
        if link is None:
            raise ApiError(404, [f"No remote link with id '{lid}' exists on this issue."])
        return link

    @staticmethod
    def _read(body: Any) -> dict[str, Any]:
        obj = body.get("object") if isinstance(body, dict) else None
        if not isinstance(obj, dict) or not isinstance(obj.get("url"), str) or not isinstance(obj.get("title"), str):
            raise ApiError(400, [], {"object": "The remote link needs an 'object' with 'url' and 'title' strings."})
        assert isinstance(body, dict)
        if body.get("globalId") is not None and not isinstance(body["globalId"], str):
            raise ApiError(400, [], {"globalId": "The globalId must be a string."})
        link = {k: body.get(k) for k in REMOTE_KEYS if body.get(k) is not None}
        link["object"] = obj
        return link

    async def remote_links(self, request: Request) -> Response:
        row = self.ctx.visible_issue(request.path_params["key"], request)
        v = api_version(request)
        global_id = request.query_params.get("globalId")
        if global_id:  # Jira answers one object (or 404) when asked by globalId
            found = next((lk for lk in self._links(row) if lk.get("globalId") == global_id), None)
            if found is None:
                raise ApiError(404, [f"No remote link with globalId '{global_id}' exists on this issue."])
            return JSONResponse(self._link_json(row, found, v))
        return JSONResponse([self._link_json(row, lk, v) for lk in self._links(row)])

    async def remote_link(self, request: Request) -> Response:
        row = self.ctx.visible_issue(request.path_params["key"], request)
        return JSONResponse(self._link_json(row, self._find(row, request.path_params["lid"]), api_version(request)))

    async def add_remote_link(self, request: Request) -> Response:
        """A link with the ``globalId`` of an existing one replaces it in place (Jira's upsert)."""
        row = self.ctx.visible_issue(request.path_params["key"], request)
        link = self._read(await read_json(request))
        links = self._links(row)
        existing = next((lk for lk in links if link.get("globalId") and lk.get("globalId") == link["globalId"]), None)
        status = 201
        if existing is not None:
            link["id"] = existing["id"]
            links = [link if lk is existing else lk for lk in links]
            status = 200
        else:
            link["id"] = self.s.store.next_value("remotelink_id", 10000)
            links.append(link)
        self.s.set_remote_links(row, links, actor(request))
        return JSONResponse({"id": link["id"], "self": self._link_json(row, link, api_version(request))["self"]},
                            status_code=status)

    async def update_remote_link(self, request: Request) -> Response:
        row = self.ctx.visible_issue(request.path_params["key"], request)
        old = self._find(row, request.path_params["lid"])
        link = self._read(await read_json(request))
        clash = link.get("globalId") and any(lk.get("globalId") == link["globalId"] and lk["id"] != old["id"]
                                             for lk in self._links(row))
        if clash:
            raise ApiError(400, [], {"globalId": "Another remote link on this issue has that globalId."})
        link["id"] = old["id"]
        self.s.set_remote_links(row, [link if lk["id"] == old["id"] else lk for lk in self._links(row)],
                                actor(request))
        return Response(status_code=204)

    async def delete_remote_link(self, request: Request) -> Response:
        row = self.ctx.visible_issue(request.path_params["key"], request)
        old = self._find(row, request.path_params["lid"])
        self.s.set_remote_links(row, [lk for lk in self._links(row) if lk["id"] != old["id"]], actor(request))
        return Response(status_code=204)

    async def delete_by_global_id(self, request: Request) -> Response:
        row = self.ctx.visible_issue(request.path_params["key"], request)
        global_id = request.query_params.get("globalId")
        if not global_id:
            raise ApiError(400, ["The 'globalId' query parameter must be provided."])
        kept = [lk for lk in self._links(row) if lk.get("globalId") != global_id]
        if len(kept) == len(self._links(row)):
            raise ApiError(404, [f"No remote link with globalId '{global_id}' exists on this issue."])
        self.s.set_remote_links(row, kept, actor(request))
        return Response(status_code=204)

    # -- issue links -------------------------------------------------------------------------------------
    async def create_link(self, request: Request) -> Response:
        self.ctx.links.create(await read_json(request), actor(request))
        return Response(status_code=201)

    async def link(self, request: Request) -> Response:
        link = self.ctx.links.find(request.path_params["id"])
        out = self.ctx.parts.link_json(link, api_version(request))
        if out is None:
            raise ApiError(404, [f"No issue link with id '{request.path_params['id']}' exists."])
        return JSONResponse(out)

    async def delete_link(self, request: Request) -> Response:
        self.ctx.links.delete(self.ctx.links.find(request.path_params["id"]), actor(request))
        return Response(status_code=204)
