"""HTTP surface of the service: inbound hooks, the control API (/api/v1), health and metrics.

Every answer is JSON with a clear message for bad input; secrets (connection secrets, webhook
secrets, application tokens, API tokens) are never part of any answer.

No ``from __future__ import annotations`` here: FastAPI reads the route signatures at run time, and
the dependencies they name are closures of :func:`create_app`.
"""

import asyncio
import dataclasses
import json
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Annotated, Any, Literal, cast

from fastapi import APIRouter, Depends, FastAPI, Path, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, PlainTextResponse, Response, StreamingResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, Field, ValidationError
from sqlalchemy import Table, func, select
from starlette.exceptions import HTTPException as StarletteHTTPException

from models.runs import SyncConflict, SyncRun, SyncRunItem
from sync_engine.conflicts import settle
from sync_engine.connectors.base import ConnectorError
from sync_engine.fieldtypes import FieldMeta
from sync_engine.jobs import NewJob
from sync_engine.profiles.schema import Profile
from sync_engine.secrets import SecretError
from sync_engine.service.inbound import (
    InboundError,
    parse_bitrix24_form,
    parse_jira,
    verify_application_token,
    verify_jira_signature,
)
from sync_engine.service.registrations import bitrix24_events, bitrix24_hook_url
from sync_engine.service.secrets import APPLICATION_TOKEN, WEBHOOK_SECRET
from sync_engine.service.sync_jobs import SYNC
from sync_engine.service.tokens import TokenInfo
from sync_engine.version import __version__
from sync_engine.workspace import WorkspaceError

RUNS = cast(Table, SyncRun.__table__)
ITEMS = cast(Table, SyncRunItem.__table__)
CONFLICTS = cast(Table, SyncConflict.__table__)
NAME = Annotated[str, Path(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9._-]+$")]
ID = Annotated[int, Path(ge=1, le=2**31 - 1)]
LIMIT = Annotated[int, Query(ge=1, le=500)]
CURSOR = Annotated[int | None, Query(ge=1, le=2**31 - 1)]
MAX_HOOK_BODY = 2_000_000

if TYPE_CHECKING:
    from sync_engine.service.service import SyncService


class ApiError(Exception):
    def __init__(self, status: int, message: str, **extra: Any) -> None:
        super().__init__(message)
        self.status = status
        self.extra = extra


class RunRequest(BaseModel):
    dry_run: bool = False
    reconcile: bool = Field(False, description="also re-read every linked record (notices deletions)")
    jira_ids: list[Annotated[str, Field(min_length=1, max_length=64)]] = Field(default_factory=list, max_length=500)
    bitrix24_ids: list[Annotated[str, Field(min_length=1, max_length=64)]] = Field(default_factory=list,
                                                                                    max_length=500)


class ResolveRequest(BaseModel):
    choose: Literal["jira", "bitrix24"] | None = Field(None, description="keep this side's value")
    value: Any = Field(None, description="or write this value to both sides")


class TokenRequest(BaseModel):
    token: str = Field(min_length=8, max_length=512)


class TimerRequest(BaseModel):
    profile: str = Field(min_length=1, max_length=100)
    name: str | None = Field(None, min_length=1, max_length=150, pattern=r"^[A-Za-z0-9._:-]+$")
    due_at: datetime | None = Field(None, description="aware ISO 8601 instant")
    in_seconds: float | None = Field(None, ge=0, le=366 * 86400)
    dry_run: bool = False


def _field_json(meta: FieldMeta) -> dict[str, Any]:
    return {"id": meta.id, "label": meta.label, "type": meta.type.value, "required": meta.required,
            "read_only": meta.read_only, "multiple": meta.multiple,
            "options": [{"id": o.id, "label": o.label} for o in meta.options], "reference": meta.reference,
            "system_type": meta.system_type, "raw": _jsonable(dict(meta.raw))}


def _jsonable(row: dict[str, Any]) -> dict[str, Any]:
    return json.loads(json.dumps(row, default=str))


def _job_json(row: dict[str, Any]) -> dict[str, Any]:
    """A job row for the API; a sync job also says its profile and the run it made."""
    out = _jsonable(row)
    if row["kind"] == SYNC:
        out["profile"] = row["lane"]
        out["run_id"] = (row.get("result") or {}).get("run_id")
    return out


def create_app(svc: "SyncService") -> FastAPI:
    app = FastAPI(title="b24sync service", version=__version__, openapi_url="/api/v1/openapi.json",
                  docs_url="/api/v1/docs", redoc_url=None)
    bearer = HTTPBearer(auto_error=False)

    @app.exception_handler(ApiError)
    async def _api_error(request: Request, exc: ApiError) -> JSONResponse:
        return JSONResponse({"error": str(exc), **exc.extra}, status_code=exc.status)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [{"loc": [str(p) for p in e.get("loc", ())], "msg": str(e.get("msg"))} for e in exc.errors()]
        return JSONResponse({"error": "invalid request", "details": errors}, status_code=422)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        return JSONResponse({"error": str(exc.detail)}, status_code=exc.status_code, headers=exc.headers)

    async def caller(creds: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]) -> TokenInfo:
        if creds is None or creds.scheme.lower() != "bearer" or not creds.credentials:
            raise ApiError(401, "a bearer token is required (create one with 'b24sync serve token create')")
        info = await asyncio.to_thread(svc.tokens.verify, creds.credentials)
        if info is None:
            raise ApiError(401, "unknown or revoked token")
        return info

    async def admin(who: Annotated[TokenInfo, Depends(caller)]) -> TokenInfo:
        if who.role != "admin":
            raise ApiError(403, f"token {who.name!r} is read-only")
        return who

    read = [Depends(caller)]
    write = [Depends(admin)]
    v1 = APIRouter(prefix="/api/v1")

    # -- connections ----------------------------------------------------------------------------------
    def conn_view(name: str) -> dict[str, Any]:
        info = svc.ws.connection(name)
        reg = svc.registrations.get(name)
        out: dict[str, Any] = {"name": info.name, "system": info.system, "flavour": info.flavour,
                               "base_url": info.base_url, "username": info.username, "verify_tls": info.verify_tls,
                               "registration": reg.as_json() if reg else None}
        if info.system == "bitrix24":
            out["application_token_set"] = svc.secrets.get(name, APPLICATION_TOKEN) is not None
        else:
            out["webhook_secret_set"] = svc.secrets.get(name, WEBHOOK_SECRET) is not None
        return out

    @v1.get("/connections", dependencies=read, tags=["connections"])
    async def list_connections() -> list[dict[str, Any]]:
        return [await asyncio.to_thread(conn_view, c.name) for c in svc.ws.connections()]

    @v1.get("/connections/{name}", dependencies=read, tags=["connections"])
    async def get_connection(name: NAME) -> dict[str, Any]:
        try:
            return await asyncio.to_thread(conn_view, name)
        except WorkspaceError as exc:
            raise ApiError(404, str(exc)) from None

    @v1.get("/connections/{name}/webhook-setup", dependencies=read, tags=["connections"])
    async def webhook_setup(name: NAME) -> dict[str, Any]:
        """What a Bitrix24 admin enters for an outgoing webhook (portals connected by inbound webhook)."""
        try:
            info = svc.ws.connection(name, "bitrix24")
        except WorkspaceError as exc:
            raise ApiError(404, str(exc)) from None
        if svc.config.public_url is None:
            raise ApiError(409, "the service has no --public-url, so Bitrix24 cannot reach it")
        return {"connection": info.name, "handler_url": bitrix24_hook_url(svc.config.public_url, info.name),
                "events": bitrix24_events(svc.routes, info.name),
                "application_token_set": svc.secrets.get(info.name, APPLICATION_TOKEN) is not None}

    @v1.post("/connections/{name}/test", dependencies=read, tags=["connections"])
    async def test_connection(name: NAME) -> dict[str, Any]:
        """Who we are on the remote system (what the studio's "Test connection" shows)."""
        try:
            await asyncio.to_thread(svc.ws.connection, name)
            return await asyncio.wait_for(svc.ws.test_connection(name), 60)
        except WorkspaceError as exc:
            raise ApiError(404, str(exc)) from None
        except (ConnectorError, SecretError, OSError, TimeoutError) as exc:
            raise ApiError(502, f"connection {name!r} does not answer: {str(exc)[:500]}") from None

    @v1.put("/connections/{name}/application-token", dependencies=write, tags=["connections"])
    async def set_application_token(name: NAME, body: TokenRequest) -> dict[str, Any]:
        try:
            info = svc.ws.connection(name, "bitrix24")
        except WorkspaceError as exc:
            raise ApiError(404, str(exc)) from None
        if info.system != "bitrix24":
            raise ApiError(400, f"{name!r} is not a Bitrix24 connection")
        try:
            ref = await asyncio.to_thread(svc.secrets.set, info.name, APPLICATION_TOKEN, body.token.strip())
        except SecretError as exc:
            raise ApiError(409, str(exc)) from None
        return {"connection": info.name, "stored_as": ref.split(":", 1)[0]}

    # -- profiles -------------------------------------------------------------------------------------
    @v1.get("/profiles", dependencies=read, tags=["profiles"])
    async def list_profiles() -> list[dict[str, Any]]:
        return [p.model_dump(mode="json") for p in await asyncio.to_thread(svc.ws.profiles)]

    @v1.get("/profiles/{name}", dependencies=read, tags=["profiles"])
    async def get_profile(name: NAME) -> dict[str, Any]:
        try:
            return (await asyncio.to_thread(svc.ws.profile, name)).model_dump(mode="json")
        except WorkspaceError as exc:
            raise ApiError(404, str(exc)) from None

    def _parse_profile(doc: dict[str, Any]) -> Profile:
        try:
            return Profile.model_validate(doc)
        except ValidationError as exc:
            details = [{"loc": [str(p) for p in e["loc"]], "msg": e["msg"]} for e in exc.errors()]
            raise ApiError(422, "the profile is not valid", details=details) from None

    @v1.post("/profiles/validate", dependencies=read, tags=["profiles"])
    async def validate_profile(doc: dict[str, Any]) -> dict[str, Any]:
        try:
            profile = _parse_profile(doc)
            svc.build_routes([profile])
        except ApiError as exc:
            return {"valid": False, "error": str(exc), **exc.extra}
        except WorkspaceError as exc:
            return {"valid": False, "error": str(exc)}
        return {"valid": True, "name": profile.name}

    @v1.post("/profiles/fields", dependencies=read, tags=["profiles"])
    async def profile_fields(doc: dict[str, Any]) -> dict[str, Any]:
        """Both sides' fields for the profile's scope (what the mapping editor offers)."""
        profile = _parse_profile(doc)
        try:
            jf, bf = await svc.ws.describe_sides(profile)
        except (WorkspaceError, SecretError, ValueError) as exc:
            raise ApiError(422, str(exc)) from None
        except ConnectorError as exc:
            raise ApiError(502, f"reading fields failed: {str(exc)[:500]}") from None
        return {"jira": [_field_json(f) for f in jf], "bitrix24": [_field_json(f) for f in bf]}

    @v1.post("/profiles/scope-test", dependencies=read, tags=["profiles"])
    async def scope_test(doc: dict[str, Any]) -> dict[str, Any]:
        """How many records each side's scope holds, with the first few."""
        profile = _parse_profile(doc)
        try:
            return await svc.ws.sample_scope(profile)
        except (WorkspaceError, SecretError, ValueError) as exc:
            raise ApiError(422, str(exc)) from None
        except ConnectorError as exc:
            raise ApiError(502, f"reading the scope failed: {str(exc)[:500]}") from None

    @v1.put("/profiles/{name}", dependencies=write, tags=["profiles"])
    async def put_profile(name: NAME, doc: dict[str, Any]) -> dict[str, Any]:
        profile = _parse_profile({**doc, "name": doc.get("name", name)})
        if profile.name != name:
            raise ApiError(422, f"the body names profile {profile.name!r}, the URL {name!r}")
        try:
            svc.build_routes([profile])
        except WorkspaceError as exc:
            raise ApiError(422, str(exc)) from None
        await asyncio.to_thread(svc.ws.save_profiles, [profile])
        await svc.reload_async()
        return profile.model_dump(mode="json")

    @v1.delete("/profiles/{name}", dependencies=write, tags=["profiles"], status_code=204)
    async def delete_profile(name: NAME) -> Response:
        try:
            await asyncio.to_thread(svc.ws.profile, name)
        except WorkspaceError as exc:
            raise ApiError(404, str(exc)) from None
        await asyncio.to_thread(svc.ws.delete_profile, name)
        await svc.reload_async()
        return Response(status_code=204)

    @v1.post("/profiles/{name}/run", dependencies=write, tags=["runs"], status_code=202)
    async def start_run(name: NAME, body: RunRequest | None = None) -> dict[str, Any]:
        body = body or RunRequest()
        if name not in {r.profile.name for r in svc.routes}:
            raise ApiError(404, f"no enabled profile named {name!r}")
        payload: dict[str, Any] = {"trigger": "manual:api", "dry_run": body.dry_run, "reconcile": body.reconcile}
        if body.jira_ids or body.bitrix24_ids:
            payload["hints"] = {"jira": body.jira_ids, "bitrix24": body.bitrix24_ids}
        ids = await asyncio.to_thread(svc.jobs.add, [NewJob(SYNC, name, payload, origin="manual", max_attempts=1)])
        svc.worker.wake()
        return {"job_id": ids[0], "profile": name, "dry_run": body.dry_run}

    # -- jobs, timers ---------------------------------------------------------------------------------
    @v1.get("/jobs", dependencies=read, tags=["runs"])
    async def list_jobs(status: Annotated[str | None, Query(max_length=16)] = None,
                        profile: Annotated[str | None, Query(max_length=200, description="the lane")] = None,
                        kind: Annotated[str | None, Query(max_length=64)] = None,
                        limit: LIMIT = 50, before_id: CURSOR = None) -> dict[str, Any]:
        rows = await asyncio.to_thread(svc.jobs.list, status=status, lane=profile, kind=kind, limit=limit,
                                       before_id=before_id)
        return {"items": [_job_json(r) for r in rows], "next_before_id": rows[-1]["id"] if len(rows) == limit else None}

    @v1.get("/jobs/{job_id}", dependencies=read, tags=["runs"])
    async def get_job(job_id: ID) -> dict[str, Any]:
        row = await asyncio.to_thread(svc.jobs.get, job_id)
        if row is None:
            raise ApiError(404, f"no job with id {job_id}")
        return {**_job_json(row), "error": row["last_error"]}

    @v1.get("/timers", dependencies=read, tags=["timers"])
    async def list_timers() -> list[dict[str, Any]]:
        return [_jsonable(dataclasses.asdict(t)) for t in await asyncio.to_thread(svc.timers.list)]

    @v1.post("/timers", dependencies=write, tags=["timers"], status_code=201)
    async def add_timer(body: TimerRequest) -> dict[str, Any]:
        if (body.due_at is None) == (body.in_seconds is None):
            raise ApiError(422, "give exactly one of due_at or in_seconds")
        if body.due_at is not None and body.due_at.tzinfo is None:
            raise ApiError(422, "due_at needs a time zone (e.g. 2026-12-01T09:00:00Z)")
        now = svc.clock.now()
        due = body.due_at if body.due_at is not None else now + timedelta(seconds=body.in_seconds or 0)
        try:
            svc.timers.check_due(due)
        except (OverflowError, ValueError) as exc:
            raise ApiError(422, str(exc)) from None
        if body.profile not in {r.profile.name for r in svc.routes}:
            raise ApiError(404, f"no enabled profile named {body.profile!r}")
        name = body.name or f"once:{body.profile}:{now.timestamp():.6f}"
        payload = {"trigger": f"timer:{name}", "dry_run": body.dry_run}
        created = await asyncio.to_thread(svc.timers.add_once, name, body.profile, SYNC, due, payload)
        if not created:
            raise ApiError(409, f"a timer named {name!r} exists already")
        return {"name": name, "profile": body.profile, "due_at": due.isoformat()}

    # -- runs, items, errors ------------------------------------------------------------------------
    def _query(stmt: Any) -> list[dict[str, Any]]:
        with svc.ws.engine.connect() as conn:
            return [_jsonable(dict(r._mapping)) for r in conn.execute(stmt)]

    async def _newest_first(stmt: Any, id_column: Any, limit: int, before_id: int | None) -> dict[str, Any]:
        """One page of a newest-first listing; ``next_before_id`` continues it (keyset paging)."""
        if before_id:
            stmt = stmt.where(id_column < before_id)
        rows = await asyncio.to_thread(_query, stmt.order_by(id_column.desc()).limit(limit))
        return {"items": rows, "next_before_id": rows[-1]["id"] if len(rows) == limit else None}

    @v1.get("/runs", dependencies=read, tags=["runs"])
    async def list_runs(profile: Annotated[str | None, Query(max_length=100)] = None,
                        status: Annotated[Literal["running", "ok", "failed"] | None, Query()] = None,
                        limit: LIMIT = 50, before_id: CURSOR = None) -> dict[str, Any]:
        stmt = select(RUNS)
        if profile:
            stmt = stmt.where(RUNS.c.profile == profile)
        if status:
            stmt = stmt.where(RUNS.c.status == status)
        return await _newest_first(stmt, RUNS.c.id, limit, before_id)

    @v1.get("/runs/{run_id}", dependencies=read, tags=["runs"])
    async def get_run(run_id: ID) -> dict[str, Any]:
        rows = await asyncio.to_thread(_query, select(RUNS).where(RUNS.c.id == run_id))
        if not rows:
            raise ApiError(404, f"no run with id {run_id}")
        return rows[0]

    @v1.get("/runs/{run_id}/items", dependencies=read, tags=["runs"])
    async def run_items(run_id: ID, action: Annotated[str | None, Query(max_length=16)] = None,
                        limit: LIMIT = 100, after_id: Annotated[int, Query(ge=0, le=2**31 - 1)] = 0) -> dict[str, Any]:
        stmt = select(ITEMS).where(ITEMS.c.run_id == run_id, ITEMS.c.id > after_id).order_by(ITEMS.c.id).limit(limit)
        if action:
            stmt = stmt.where(ITEMS.c.action == action)
        rows = await asyncio.to_thread(_query, stmt)
        return {"items": rows, "next_after_id": rows[-1]["id"] if len(rows) == limit else None}

    def _items_stmt(run_id: int, action: str | None) -> Any:
        stmt = select(ITEMS).where(ITEMS.c.run_id == run_id)
        return stmt.where(ITEMS.c.action == action) if action else stmt

    @v1.get("/runs/{run_id}/items/count", dependencies=read, tags=["runs"])
    async def count_items(run_id: ID, action: Annotated[str | None, Query(max_length=16)] = None) -> dict[str, int]:
        sub = _items_stmt(run_id, action).subquery()
        rows = await asyncio.to_thread(_query, select(func.count().label("count")).select_from(sub))
        return {"count": int(rows[0]["count"])}

    @v1.get("/runs/{run_id}/items/page", dependencies=read, tags=["runs"])
    async def items_page(run_id: ID, offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0, limit: LIMIT = 100,
                         action: Annotated[str | None, Query(max_length=16)] = None) -> dict[str, Any]:
        """Random access by position (a table view scrolled anywhere); ``/items`` pages by id instead."""
        stmt = _items_stmt(run_id, action).order_by(ITEMS.c.id).offset(offset).limit(limit)
        return {"items": await asyncio.to_thread(_query, stmt)}

    @v1.get("/errors", dependencies=read, tags=["errors"])
    async def list_errors(profile: Annotated[str | None, Query(max_length=100)] = None,
                          limit: LIMIT = 50, before_id: CURSOR = None) -> dict[str, Any]:
        stmt = select(ITEMS, RUNS.c.profile).join(RUNS, RUNS.c.id == ITEMS.c.run_id).where(ITEMS.c.action == "error")
        if profile:
            stmt = stmt.where(RUNS.c.profile == profile)
        return await _newest_first(stmt, ITEMS.c.id, limit, before_id)

    @v1.post("/errors/{item_id}/retry", dependencies=write, tags=["errors"], status_code=202)
    async def retry_error(item_id: ID) -> dict[str, Any]:
        stmt = (select(ITEMS, RUNS.c.profile).join(RUNS, RUNS.c.id == ITEMS.c.run_id)
                .where(ITEMS.c.id == item_id, ITEMS.c.action == "error"))
        rows = await asyncio.to_thread(_query, stmt)
        if not rows:
            raise ApiError(404, f"no failed item with id {item_id}")
        row = rows[0]
        hints = {"jira": [row["jira_id"]] if row.get("jira_id") else [],
                 "bitrix24": [row["bitrix24_id"]] if row.get("bitrix24_id") else []}
        if not hints["jira"] and not hints["bitrix24"]:
            raise ApiError(409, "the failed item names no record to read again")
        payload = {"trigger": f"retry:item:{item_id}", "hints": hints}
        ids = await asyncio.to_thread(svc.jobs.add, [NewJob(SYNC, row["profile"], payload, origin="manual")])
        svc.worker.wake()
        return {"job_id": ids[0], "profile": row["profile"]}

    # -- conflicts ------------------------------------------------------------------------------------
    @v1.get("/conflicts", dependencies=read, tags=["conflicts"])
    async def list_conflicts(profile: Annotated[str | None, Query(max_length=100)] = None,
                             resolved: bool = False, limit: LIMIT = 50, before_id: CURSOR = None) -> dict[str, Any]:
        stmt = select(CONFLICTS).where(CONFLICTS.c.resolved.is_(resolved))
        if profile:
            stmt = stmt.where(CONFLICTS.c.profile == profile)
        return await _newest_first(stmt, CONFLICTS.c.id, limit, before_id)

    @v1.post("/conflicts/{conflict_id}/resolve", dependencies=write, tags=["conflicts"])
    async def resolve_conflict(conflict_id: ID, body: ResolveRequest) -> dict[str, Any]:
        if (body.choose is None) == ("value" not in body.model_fields_set):
            raise ApiError(422, "give exactly one of 'choose' (jira or bitrix24) or 'value'")
        rows = await asyncio.to_thread(_query, select(CONFLICTS).where(CONFLICTS.c.id == conflict_id))
        if not rows:
            raise ApiError(404, f"no conflict with id {conflict_id}")
        row = rows[0]
        if row["resolved"]:
            raise ApiError(409, f"conflict {conflict_id} is resolved already")
        if not any(r.profile.name == row["profile"] for r in svc.routes):
            raise ApiError(409, f"profile {row['profile']!r} is not enabled in this service")
        choice = body.choose or "value"
        try:
            await settle(svc.ws, conflict_id, choice, body.value, who="api")
        except WorkspaceError as exc:
            raise ApiError(409, str(exc)) from None
        resolution = {"choose": body.choose, "value": body.value if body.choose is None else None}
        # The engine writes the recorded choice on the pair's next run: this job.
        payload = {"trigger": f"conflict:{conflict_id}",
                   "hints": {"jira": [row["jira_id"]], "bitrix24": [row["bitrix24_id"]]}}
        ids = await asyncio.to_thread(svc.jobs.add, [NewJob(SYNC, row["profile"], payload, origin="manual")])
        svc.worker.wake()
        svc.bus.publish("conflict.resolved", conflict_id=conflict_id, profile=row["profile"])
        return {"conflict_id": conflict_id, "resolution": resolution, "job_id": ids[0]}

    # -- stream, reload, status -----------------------------------------------------------------------
    @v1.get("/events", dependencies=read, tags=["events"], response_class=StreamingResponse)
    async def event_stream(request: Request, limit: Annotated[int | None, Query(ge=1, le=100000)] = None
                           ) -> StreamingResponse:
        """Server-sent events: run.finished, run.failed, timer.fired, profiles.reloaded, ... (``limit``
        closes the stream after that many events)."""
        async def gen() -> AsyncIterator[bytes]:
            sent = 0
            async with svc.bus.subscribe() as queue:
                yield b": connected\n\n"
                while limit is None or sent < limit:
                    if await request.is_disconnected():
                        return
                    try:
                        event = await asyncio.wait_for(queue.get(), 15)
                    except TimeoutError:
                        yield b": keep-alive\n\n"
                        continue
                    sent += 1
                    yield f"event: {event['type']}\ndata: {json.dumps(event, default=str)}\n\n".encode()
        return StreamingResponse(gen(), media_type="text/event-stream", headers={"Cache-Control": "no-cache"})

    @v1.post("/reload", dependencies=write, tags=["service"])
    async def reload() -> dict[str, Any]:
        try:
            names = await asyncio.to_thread(svc.reload)
        except WorkspaceError as exc:
            raise ApiError(422, f"reload refused, the running profiles stay: {exc}") from None
        await svc.sync.sessions.retire()
        return {"profiles": names}

    @v1.get("/status", dependencies=read, tags=["service"])
    async def status() -> dict[str, Any]:
        return {"version": __version__, "instance": svc.config.instance_id, "url": svc.url,
                "public_url": svc.config.public_url, "profiles": [r.profile.name for r in svc.routes],
                "running": svc.worker.running, **(await asyncio.to_thread(svc.gauges))}

    app.include_router(v1)

    # -- inbound hooks --------------------------------------------------------------------------------
    async def _body(request: Request) -> bytes:
        body = await request.body()
        if len(body) > MAX_HOOK_BODY:
            raise InboundError(413, "the body is too large")
        return body

    def _known(name: str, system: str) -> None:
        try:
            svc.ws.connection(name, system)
        except WorkspaceError:
            raise InboundError(404, f"no {system} connection named {name!r}") from None

    @app.post("/hooks/jira/{connection}", tags=["hooks"], include_in_schema=False)
    async def jira_hook(connection: str, request: Request) -> JSONResponse:
        try:
            await asyncio.to_thread(_known, connection, "jira")
            body = await _body(request)
            secret = await asyncio.to_thread(svc.secrets.get, connection, WEBHOOK_SECRET)
            verify_jira_signature(secret, body, request.headers.get("x-hub-signature"))
            event = parse_jira(body, request.headers.get("x-atlassian-webhook-identifier"))
        except InboundError as exc:
            svc.metrics.inc("b24s_events_rejected_total", system="jira", status=str(exc.status))
            return JSONResponse({"error": str(exc)}, status_code=exc.status)
        if event is None:
            return JSONResponse({"ignored": True})
        stored = await asyncio.to_thread(svc.accept, connection, event, "webhook")
        svc.wake_router.set()
        return JSONResponse({"stored": stored})

    @app.post("/hooks/bitrix24/{connection}", tags=["hooks"], include_in_schema=False)
    async def bitrix24_hook(connection: str, request: Request) -> JSONResponse:
        try:
            await asyncio.to_thread(_known, connection, "bitrix24")
            form, event = parse_bitrix24_form(await _body(request))
            expected = await asyncio.to_thread(svc.secrets.get, connection, APPLICATION_TOKEN)
            verify_application_token(expected, form)
        except InboundError as exc:
            svc.metrics.inc("b24s_events_rejected_total", system="bitrix24", status=str(exc.status))
            return JSONResponse({"error": str(exc)}, status_code=exc.status)
        if event is None:
            return JSONResponse({"ignored": True})
        stored = await asyncio.to_thread(svc.accept, connection, event, "webhook")
        svc.wake_router.set()
        return JSONResponse({"stored": stored})

    # -- operations -----------------------------------------------------------------------------------
    @app.get("/healthz", tags=["operations"])
    async def healthz() -> dict[str, Any]:
        return {"status": "ok", "version": __version__, "instance": svc.config.instance_id}

    @app.get("/readyz", tags=["operations"])
    async def readyz() -> JSONResponse:
        result = await svc.readiness()
        return JSONResponse(result, status_code=200 if result["ready"] else 503)

    @app.get("/metrics", tags=["operations"], response_class=PlainTextResponse)
    async def metrics() -> PlainTextResponse:
        text = await asyncio.to_thread(svc.metrics.render, svc.gauges)
        return PlainTextResponse(text, media_type="text/plain; version=0.0.4")

    return app
