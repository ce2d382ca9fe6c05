"""Issue endpoints: CRUD, bulk create, transitions, comments, editmeta, assignee."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from sync_engine.sandbox.jira.api_meta import MetaApi, actor
from sync_engine.sandbox.jira.catalog import TransitionDef
from sync_engine.sandbox.jira.errors import ApiError
from sync_engine.sandbox.jira.http_util import api_version, as_bool, as_int, expand_set, multi, read_json
from sync_engine.sandbox.jira.render import Renderer
from sync_engine.sandbox.jira.service import IssueService
from sync_engine.sandbox.jira.store import IssueRow
from sync_engine.sandbox.jira.values import adf_to_text

BULK_LIMIT_CLOUD = 50
REMOTE_LINKS = "_remotelinks"  # kept beside the fields; no catalog field, so never rendered or logged


class IssueApi:
    def __init__(self, service: IssueService, renderer: Renderer, meta: MetaApi) -> None:
        self.s = service
        self.r = renderer
        self.meta = meta
        self.cat = service.cat

    def render(self, row: IssueRow, request: Request, fields: list[str] | None = None,
               expand: set[str] | None = None) -> dict[str, Any]:
        v = api_version(request)
        wanted = self.r.wanted_fields(fields, "*all")
        ex = expand or set()
        comments = self.s.store.comments([row.id])[row.id] if any(f.id == "comment" for f in wanted) else None
        histories = self.s.store.histories(row.id) if "changelog" in ex else None
        out = self.r.issue(row, wanted, ex, v, comments, histories)
        if "transitions" in ex:
            out["transitions"] = [self.transition_json(t, v, False) for t in self.s.transitions(row)]
        return out

    def transition_json(self, t: TransitionDef, version: str, with_fields: bool) -> dict[str, Any]:
        item: dict[str, Any] = {"id": t.id, "name": t.name, "to": self.r.status(self.cat.statuses[t.to], version),
                                "hasScreen": False, "isGlobal": False, "isInitial": False,
                                "isAvailable": True, "isConditional": False, "isLooped": False}
        if with_fields:
            item["fields"] = {}
        return item

    def created_ref(self, row: IssueRow, request: Request) -> dict[str, Any]:
        return {"id": str(row.id), "key": row.key, "self": f"{self.r.api(api_version(request))}/issue/{row.id}"}

    # -- CRUD ----------------------------------------------------------------------------------------------
    async def get(self, request: Request) -> Response:
        row = self.s.get(request.path_params["key"])
        return JSONResponse(self.render(row, request, multi(request, "fields") or None,
                                        expand_set(request.query_params.get("expand"))))

    async def create(self, request: Request) -> Response:
        body = await read_json(request)
        row = self.s.create(body, actor(request))
        return JSONResponse(self.created_ref(row, request), status_code=201)

    async def bulk(self, request: Request) -> Response:
        body = await read_json(request)
        updates = body.get("issueUpdates") if isinstance(body, dict) else None
        if not isinstance(updates, list) or not updates:
            raise ApiError(400, ["The request must contain a non-empty 'issueUpdates' list."])
        if self.cat.cloud and len(updates) > BULK_LIMIT_CLOUD:
            raise ApiError(400, [f"The number of issues to create must not exceed {BULK_LIMIT_CLOUD}."])
        issues: list[dict[str, Any]] = []
        errors: list[dict[str, Any]] = []
        for i, item in enumerate(updates):
            try:
                row = self.s.create(item, actor(request))
            except ApiError as exc:
                errors.append({"status": exc.status, "failedElementNumber": i,
                               "elementErrors": {"errorMessages": exc.messages, "errors": exc.errors,
                                                 "status": exc.status}})
                continue
            issues.append(self.created_ref(row, request))
        return JSONResponse({"issues": issues, "errors": errors}, status_code=201 if issues else 400)

    async def edit(self, request: Request) -> Response:
        row = self.s.get(request.path_params["key"])
        as_bool(request.query_params.get("notifyUsers"), "notifyUsers", True)
        return_issue = as_bool(request.query_params.get("returnIssue"), "returnIssue", False)
        body = await read_json(request)
        row = self.s.edit(row, body, actor(request))
        if return_issue and self.cat.cloud:
            return JSONResponse(self.render(row, request, None, expand_set(request.query_params.get("expand"))))
        return Response(status_code=204)

    async def delete(self, request: Request) -> Response:
        row = self.s.get(request.path_params["key"])
        as_bool(request.query_params.get("deleteSubtasks"), "deleteSubtasks", False)
        self.s.delete(row, actor(request))
        return Response(status_code=204)

    # -- transitions ---------------------------------------------------------------------------------------
    async def transitions(self, request: Request) -> Response:
        row = self.s.get(request.path_params["key"])
        wanted = request.query_params.get("transitionId")
        with_fields = "transitions.fields" in expand_set(request.query_params.get("expand"))
        v = api_version(request)
        out = [self.transition_json(t, v, with_fields) for t in self.s.transitions(row) if not wanted or wanted == t.id]
        return JSONResponse({"expand": "transitions", "transitions": out})

    async def transition(self, request: Request) -> Response:
        row = self.s.get(request.path_params["key"])
        body = await read_json(request)
        self.s.transition(row, body, actor(request))
        return Response(status_code=204)

    # -- comments ---------------------------------------------------------------------------------------
    async def comments(self, request: Request) -> Response:
        row = self.s.get(request.path_params["key"])
        q = request.query_params
        start = as_int(q.get("startAt"), "startAt", 0)
        size = as_int(q.get("maxResults"), "maxResults", 5000)
        items = self.s.store.comments([row.id])[row.id]
        if (q.get("orderBy") or "").lstrip("+") == "-created":
            items.reverse()
        page = items[start : start + size]
        v = api_version(request)
        return JSONResponse({"startAt": start, "maxResults": size, "total": len(items),
                             "comments": [self.r.comment(row.id, c, v) for c in page]})

    async def comment(self, request: Request) -> Response:
        row = self.s.get(request.path_params["key"])
        cid = request.path_params["cid"]
        found = next((c for c in self.s.store.comments([row.id])[row.id] if str(c["id"]) == cid), None)
        if found is None:
            raise ApiError(404, [f"Can not find a comment for the id: {cid}."])
        return JSONResponse(self.r.comment(row.id, found, api_version(request)))

    async def add_comment(self, request: Request) -> Response:
        row = self.s.get(request.path_params["key"])
        body = await read_json(request)
        text = body.get("body") if isinstance(body, dict) else None
        if isinstance(text, dict):
            text = adf_to_text(text)
        if not isinstance(text, str) or not text.strip():
            raise ApiError(400, [], {"comment": "Comment body can not be empty!"})
        comment = self.s.add_comment(row, text, actor(request))
        return JSONResponse(self.r.comment(row.id, comment, api_version(request)), status_code=201)

    # -- editmeta / assignee -----------------------------------------------------------------------------
    async def editmeta(self, request: Request) -> Response:
        row = self.s.get(request.path_params["key"])
        project = self.cat.projects[row.project]
        v = api_version(request)
        return JSONResponse({"fields": {f.id: self.meta.field_meta(f, project, v, with_id=False)
                                        for f in self.meta.screen_fields(project, False, row.issuetype)}})

    async def assignee(self, request: Request) -> Response:
        row = self.s.get(request.path_params["key"])
        body = await read_json(request)
        if not isinstance(body, dict):
            raise ApiError(400, [], {"assignee": "The body must be a JSON object naming the user."})
        key = "accountId" if self.cat.cloud else "name"
        ref = body.get(key, body.get("key") if not self.cat.cloud else None)
        login: str | None = None
        if ref is not None and str(ref) != "-1":
            user = self.cat.user(str(ref))
            if user is None:
                raise ApiError(400, [], {"assignee": f"User '{ref}' does not exist."})
            login = user.login
        self.s.assign(row, login, actor(request))
        return Response(status_code=204)

    # -- remote links (e.g. the Bitrix24 deal a request came from) --------------------------------------------
    def _link_json(self, row: IssueRow, link: dict[str, Any], version: str) -> dict[str, Any]:
        return {"id": link["id"], "self": f"{self.r.api(version)}/issue/{row.key}/remotelink/{link['id']}",
                **{k: v for k, v in link.items() if k != "id"}}

    async def remote_links(self, request: Request) -> Response:
        row = self.s.get(request.path_params["key"])
        v = api_version(request)
        global_id = request.query_params.get("globalId")
        links = [lk for lk in row.fields.get(REMOTE_LINKS, []) if not global_id or lk.get("globalId") == global_id]
        return JSONResponse([self._link_json(row, lk, v) for lk in links])

    async def remote_link(self, request: Request) -> Response:
        row = self.s.get(request.path_params["key"])
        link = next((lk for lk in row.fields.get(REMOTE_LINKS, []) if str(lk["id"]) == request.path_params["lid"]),
                    None)
        if link is None:
            raise ApiError(404, [f"No remote link with id '{request.path_params['lid']}' exists on this issue."])
        return JSONResponse(self._link_json(row, link, api_version(request)))

    async def add_remote_link(self, request: Request) -> Response:
        row = self.s.get(request.path_params["key"])
        body = await read_json(request)
        obj = body.get("object") if isinstance(body, dict) else None
        if not isinstance(obj, dict) or not isinstance(obj.get("url"), str) or not isinstance(obj.get("title"), str):
            raise ApiError(400, [], {"object": "The remote link needs an 'object' with 'url' and 'title' strings."})
        assert isinstance(body, dict)
        link = {k: body.get(k) for k in ("globalId", "application", "relationship") if body.get(k) is not None}
        link["object"] = obj
        links = list(row.fields.get(REMOTE_LINKS, []))
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
