"""HTTP surface of the service: inbound hooks, the control API (/api/v1), health and metrics.

Every answer is JSON with a clear message for bad input; secrets (connection secrets, webhook
secrets, application tokens, API tokens) are never part of any answer.

No ``from __future__ import annotations`` here: FastAPI reads the route signatures at run time, and
the dependencies they name are closures of :func:`create_app`.
"""

import asyncio
import json
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Annotated, Any, Literal

from fastapi import APIRouter, Depends, FastAPI, Path, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, PlainTextResponse, Response, StreamingResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, Field, ValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException

from sync_engine.conflicts import settle
from sync_engine.connectors.base import ConnectorError
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
from sync_engine.store.runs import RetryTargets
from sync_engine.version import __version__
from sync_engine.views.conflicts import ConflictView
from sync_engine.views.connections import ConnectionTest, ConnectionView
from sync_engine.views.fields import FieldView, SidesFields
from sync_engine.views.jobs import JobView, TimerView
from sync_engine.views.runs import ErrorView, ItemsAfter, ItemView, Page, RunView, ScopeSample
from sync_engine.workspace import WorkspaceError

NAME = Annotated[str, Path(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9._-]+$")]
ID = Annotated[int, Path(ge=1, le=2**31 - 1)]
LIMIT = Annotated[int, Query(ge=1, le=500)]
CURSOR = Annotated[int | None, Query(ge=1, le=2**31 - 1)]

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


class JobStarted(BaseModel):
    job_id: int
    profile: str
    dry_run: bool = False


class TimerCreated(BaseModel):
    name: str
    profile: str
    due_at: datetime


class Resolved(BaseModel):
    conflict_id: int
    resolution: dict[str, Any]
    job_id: int


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
    def conn_view(name: str) -> ConnectionView:
        info = svc.ws.connection(name)
        reg = svc.registrations.get(name)
        location, where = svc.ws.secrets.location(info.secret_ref)
        out = ConnectionView(name=info.name, system=info.system, flavour=info.flavour, base_url=info.base_url,
                             username=info.username, verify_tls=info.verify_tls, ca_file=info.ca_file,
                             settings=dict(info.settings), secret_location=location,
                             secret_where=f"on the sync service: {where}",
                             registration=reg.as_json() if reg else None)
        if info.system == "bitrix24":
            out.application_token_set = svc.secrets.get(name, APPLICATION_TOKEN) is not None
        else:
            out.webhook_secret_set = svc.secrets.get(name, WEBHOOK_SECRET) is not None
        return out

    @v1.get("/connections", dependencies=read, tags=["connections"])
    async def list_connections() -> list[ConnectionView]:
        return [await asyncio.to_thread(conn_view, c.name) for c in svc.ws.connections()]

    @v1.get("/connections/{name}", dependencies=read, tags=["connections"])
    async def get_connection(name: NAME) -> ConnectionView:
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
    async def test_connection(name: NAME) -> ConnectionTest:
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
    async def profile_fields(doc: dict[str, Any]) -> SidesFields:
        """Both sides' fields for the profile's scope (what the mapping editor offers)."""
        profile = _parse_profile(doc)
        try:
            jf, bf = await svc.ws.describe_sides(profile)
        except (WorkspaceError, SecretError, ValueError) as exc:
            raise ApiError(422, str(exc)) from None
        except ConnectorError as exc:
            raise ApiError(502, f"reading fields failed: {str(exc)[:500]}") from None
        return SidesFields(jira=[FieldView.of(f) for f in jf], bitrix24=[FieldView.of(f) for f in bf])

    @v1.post("/profiles/scope-test", dependencies=read, tags=["profiles"])
    async def scope_test(doc: dict[str, Any]) -> ScopeSample:
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
    async def start_run(name: NAME, body: RunRequest | None = None) -> JobStarted:
        body = body or RunRequest()
        if name not in {r.profile.name for r in svc.routes}:
            raise ApiError(404, f"no enabled profile named {name!r}")
        payload: dict[str, Any] = {"trigger": "manual:api", "dry_run": body.dry_run, "reconcile": body.reconcile}
        if body.jira_ids or body.bitrix24_ids:
            payload["hints"] = {"jira": body.jira_ids, "bitrix24": body.bitrix24_ids}
        ids = await asyncio.to_thread(svc.jobs.add, [NewJob(SYNC, name, payload, origin="manual", max_attempts=1)])
        svc.worker.wake()
        return JobStarted(job_id=ids[0], profile=name, dry_run=body.dry_run)

    async def _retry(targets: RetryTargets, trigger: str) -> JobStarted:
        """What "Retry" means everywhere: read the failed records again by id and sync them now."""
        if not targets:
            raise ApiError(409, f"profile {targets.profile!r} has no failed record to retry")
        await asyncio.to_thread(svc.ws.store.make_retries_due, targets)
        payload = {"trigger": trigger, "hints": {"jira": sorted(targets.jira), "bitrix24": sorted(targets.bitrix24)}}
        ids = await asyncio.to_thread(svc.jobs.add, [NewJob(SYNC, targets.profile, payload, origin="manual")])
        svc.worker.wake()
        return JobStarted(job_id=ids[0], profile=targets.profile)

    @v1.post("/profiles/{name}/retry", dependencies=write, tags=["errors"], status_code=202)
    async def retry_profile(name: NAME) -> JobStarted:
        """Retry every record of the profile that failed and still waits for its retry."""
        if name not in {r.profile.name for r in svc.routes}:
            raise ApiError(404, f"no enabled profile named {name!r}")
        return await _retry(await asyncio.to_thread(svc.ws.store.retry_targets, name), f"retry:{name}")

    # -- jobs, timers ---------------------------------------------------------------------------------
    @v1.get("/jobs", dependencies=read, tags=["runs"])
    async def list_jobs(status: Annotated[str | None, Query(max_length=16)] = None,
                        profile: Annotated[str | None, Query(max_length=200, description="the lane")] = None,
                        kind: Annotated[str | None, Query(max_length=64)] = None,
                        limit: LIMIT = 50, before_id: CURSOR = None) -> Page[JobView]:
        rows = await asyncio.to_thread(svc.jobs.list, status=status, lane=profile, kind=kind, limit=limit,
                                       before_id=before_id)
        return Page[JobView](items=[JobView.of(r) for r in rows],
                             next_before_id=rows[-1]["id"] if len(rows) == limit else None)

    @v1.get("/jobs/{job_id}", dependencies=read, tags=["runs"])
    async def get_job(job_id: ID) -> JobView:
        row = await asyncio.to_thread(svc.jobs.get, job_id)
        if row is None:
            raise ApiError(404, f"no job with id {job_id}")
        return JobView.of(row)

    @v1.get("/timers", dependencies=read, tags=["timers"])
    async def list_timers() -> list[TimerView]:
        return [TimerView.model_validate(t) for t in await asyncio.to_thread(svc.timers.list)]

    @v1.post("/timers", dependencies=write, tags=["timers"], status_code=201)
    async def add_timer(body: TimerRequest) -> TimerCreated:
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
        return TimerCreated(name=name, profile=body.profile, due_at=due)

    # -- runs, items, errors ------------------------------------------------------------------------
    runs = svc.ws.store

    @v1.get("/runs", dependencies=read, tags=["runs"])
    async def list_runs(profile: Annotated[str | None, Query(max_length=100)] = None,
                        status: Annotated[Literal["running", "ok", "failed"] | None, Query()] = None,
                        limit: LIMIT = 50, before_id: CURSOR = None) -> Page[RunView]:
        return await asyncio.to_thread(runs.runs_page, profile, status=status, limit=limit, before_id=before_id)

    @v1.get("/runs/{run_id}", dependencies=read, tags=["runs"])
    async def get_run(run_id: ID) -> RunView:
        found = await asyncio.to_thread(runs.run, run_id)
        if found is None:
            raise ApiError(404, f"no run with id {run_id}")
        return found

    @v1.get("/runs/{run_id}/items", dependencies=read, tags=["runs"])
    async def run_items(run_id: ID, action: Annotated[str | None, Query(max_length=16)] = None,
                        limit: LIMIT = 100, after_id: Annotated[int, Query(ge=0, le=2**31 - 1)] = 0) -> ItemsAfter:
        return await asyncio.to_thread(runs.items_after, run_id, after_id, limit, action)

    @v1.get("/runs/{run_id}/items/count", dependencies=read, tags=["runs"])
    async def count_items(run_id: ID, action: Annotated[str | None, Query(max_length=16)] = None) -> dict[str, int]:
        return {"count": await asyncio.to_thread(runs.count_items, run_id, action)}

    @v1.get("/runs/{run_id}/items/page", dependencies=read, tags=["runs"])
    async def items_page(run_id: ID, offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0, limit: LIMIT = 100,
                         action: Annotated[str | None, Query(max_length=16)] = None) -> dict[str, list[ItemView]]:
        """Random access by position (a table view scrolled anywhere, by index seek); ``/items`` pages by id."""
        return {"items": await asyncio.to_thread(runs.items_page, run_id, offset, limit, action)}

    @v1.get("/errors", dependencies=read, tags=["errors"])
    async def list_errors(profile: Annotated[str | None, Query(max_length=100)] = None,
                          limit: LIMIT = 50, before_id: CURSOR = None) -> Page[ErrorView]:
        return await asyncio.to_thread(runs.errors, profile, limit=limit, before_id=before_id)

    @v1.post("/errors/{item_id}/retry", dependencies=write, tags=["errors"], status_code=202)
    async def retry_error(item_id: ID) -> JobStarted:
        item = await asyncio.to_thread(runs.error, item_id)
        if item is None:
            raise ApiError(404, f"no failed item with id {item_id}")
        targets = await asyncio.to_thread(runs.retry_targets, item.profile, [item_id])
        if not targets:
            raise ApiError(409, "the failed item names no record to read again")
        return await _retry(targets, f"retry:item:{item_id}")

    # -- conflicts ------------------------------------------------------------------------------------
    @v1.get("/conflicts", dependencies=read, tags=["conflicts"])
    async def list_conflicts(profile: Annotated[str | None, Query(max_length=100)] = None,
                             resolved: bool = False, limit: LIMIT = 50, before_id: CURSOR = None
                             ) -> Page[ConflictView]:
        return await asyncio.to_thread(runs.conflicts_page, profile, resolved=resolved, limit=limit,
                                       before_id=before_id)

    @v1.post("/conflicts/{conflict_id}/resolve", dependencies=write, tags=["conflicts"])
    async def resolve_conflict(conflict_id: ID, body: ResolveRequest) -> Resolved:
        if (body.choose is None) == ("value" not in body.model_fields_set):
            raise ApiError(422, "give exactly one of 'choose' (jira or bitrix24) or 'value'")
        row = await asyncio.to_thread(runs.conflict, conflict_id)
        if row is None:
            raise ApiError(404, f"no conflict with id {conflict_id}")
        if row.resolved:
            raise ApiError(409, f"conflict {conflict_id} is resolved already")
        if not any(r.profile.name == row.profile for r in svc.routes):
            raise ApiError(409, f"profile {row.profile!r} is not enabled in this service")
        choice = body.choose or "value"
        try:
            await settle(svc.ws, conflict_id, choice, body.value, who="api")
        except WorkspaceError as exc:
            raise ApiError(409, str(exc)) from None
        resolution = {"choose": body.choose, "value": body.value if body.choose is None else None}
        # The engine writes the recorded choice on the pair's next run: this job.
        payload = {"trigger": f"conflict:{conflict_id}",
                   "hints": {"jira": [row.jira_id], "bitrix24": [row.bitrix24_id]}}
        ids = await asyncio.to_thread(svc.jobs.add, [NewJob(SYNC, row.profile, payload, origin="manual")])
        svc.worker.wake()
        svc.bus.publish("conflict.resolved", conflict_id=conflict_id, profile=row.profile)
        return Resolved(conflict_id=conflict_id, resolution=resolution, job_id=ids[0])

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
        if len(body) > svc.config.max_hook_body_bytes:
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
