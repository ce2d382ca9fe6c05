"""Issue endpoints: CRUD, bulk create, transitions, editmeta, assignee."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from sync_engine.sandbox.jira.api_meta import MetaApi
from sync_engine.sandbox.jira.catalog import TransitionDef
from sync_engine.sandbox.jira.context import Context, RouteSpec, actor
from sync_engine.sandbox.jira.errors import ApiError
from sync_engine.sandbox.jira.http_util import api_version, as_bool, expand_set, multi, read_json
from sync_engine.sandbox.jira.store import IssueRow
from sync_engine.sandbox.jira.values import AUTOMATIC

BULK_LIMIT_CLOUD = 50


class IssueApi:
    def __init__(self, ctx: Context, meta: MetaApi, visible_comments: Any) -> None:
        self.ctx = ctx
        self.s = ctx.s
        self.r = ctx.r
        self.meta = meta
        self.cat = ctx.cat
        # (rows, login) -> {issue id: the comments that login may read}
        self.visible_comments = visible_comments

    def routes(self) -> list[RouteSpec]:
        return [
            ("/issue", self.create, ["POST"]),
            ("/issue/bulk", self.bulk, ["POST"]),
            ("/issue/{key}", self.get, ["GET"]),
            ("/issue/{key}", self.edit, ["PUT"]),
            ("/issue/{key}", self.delete, ["DELETE"]),
            ("/issue/{key}/transitions", self.transitions, ["GET"]),
            ("/issue/{key}/transitions", self.transition, ["POST"]),
            ("/issue/{key}/editmeta", self.editmeta, ["GET"]),
            ("/issue/{key}/assignee", self.assignee, ["PUT"]),
        ]

    def render(self, row: IssueRow, request: Request, fields: list[str] | None = None,
               expand: set[str] | None = None) -> dict[str, Any]:
        v = api_version(request)
        wanted = self.r.wanted_fields(fields, "*all")
        ex = expand or set()
        comments = self.visible_comments([row], actor(request))[row.id] \
            if any(f.id == "comment" for f in wanted) else None
        histories = self.s.store.histories(row.id) if "changelog" in ex else None
        out = self.r.issue(row, wanted, ex, v, comments, histories)
        if "transitions" in ex:
            out["transitions"] = [self.transition_json(t, v, False) for t in self.s.transitions(row)]
        if "editmeta" in ex:
            out["editmeta"] = self.editmeta_json(row, v)
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
        row = self.ctx.visible_issue(request.path_params["key"], request)
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
        row = self.ctx.visible_issue(request.path_params["key"], request)
        as_bool(request.query_params.get("notifyUsers"), "notifyUsers", True)
        return_issue = as_bool(request.query_params.get("returnIssue"), "returnIssue", False)
        body = await read_json(request)
        row = self.s.edit(row, body, actor(request))
        if return_issue and self.cat.cloud:
            return JSONResponse(self.render(row, request, None, expand_set(request.query_params.get("expand"))))
        return Response(status_code=204)

    async def delete(self, request: Request) -> Response:
        row = self.ctx.visible_issue(request.path_params["key"], request)
        as_bool(request.query_params.get("deleteSubtasks"), "deleteSubtasks", False)
        self.s.delete(row, actor(request))
        return Response(status_code=204)

    # -- transitions ---------------------------------------------------------------------------------------
    async def transitions(self, request: Request) -> Response:
        row = self.ctx.visible_issue(request.path_params["key"], request)
        wanted = request.query_params.get("transitionId")
        with_fields = "transitions.fields" in expand_set(request.query_params.get("expand"))
        v = api_version(request)
        out = [self.transition_json(t, v, with_fields) for t in self.s.transitions(row) if not wanted or wanted == t.id]
        return JSONResponse({"expand": "transitions", "transitions": out})

    async def transition(self, request: Request) -> Response:
        row = self.ctx.visible_issue(request.path_params["key"], request)
        body = await read_json(request)
        self.s.transition(row, body, actor(request))
        return Response(status_code=204)

    # -- editmeta / assignee -----------------------------------------------------------------------------
    def editmeta_json(self, row: IssueRow, v: str) -> dict[str, Any]:
        project = self.cat.projects[row.project]
        return {"fields": {f.id: self.meta.field_meta(f, project, v, with_id=False)
                           for f in self.meta.screen_fields(project, False, row.issuetype)}}

    async def editmeta(self, request: Request) -> Response:
        row = self.ctx.visible_issue(request.path_params["key"], request)
        return JSONResponse(self.editmeta_json(row, api_version(request)))

    async def assignee(self, request: Request) -> Response:
        """``{"name": "-1"}`` (``accountId`` on Cloud) is "Automatic", the project's default assignee;
        ``null`` unassigns."""
        row = self.ctx.visible_issue(request.path_params["key"], request)
        body = await read_json(request)
        if not isinstance(body, dict):
            raise ApiError(400, [], {"assignee": "The body must be a JSON object naming the user."})
        key = "accountId" if self.cat.cloud else "name"
        ref = body.get(key, body.get("key") if not self.cat.cloud else None)
        login: str | None = None
        if ref is not None and str(ref) == AUTOMATIC:
            login = self.s.default_assignee(self.cat.projects[row.project])
        elif ref is not None:
            user = self.cat.user(str(ref))
            if user is None:
                raise ApiError(400, [], {"assignee": f"User '{ref}' does not exist."})
            if not self.ctx.perms.has(user.login, "ASSIGNABLE_USER", self.cat.projects[row.project]):
                raise ApiError(400, [], {"assignee": f"User '{ref}' cannot be assigned issues."})
            login = user.login
        self.s.assign(row, login, actor(request))
        return Response(status_code=204)
