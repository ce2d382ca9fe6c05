"""The JIRA twin: ``create_twin(settings)`` builds the ASGI app, its state and its webhook worker.

Layers, outermost first: FaultMiddleware (counts calls, injects faults), JIRA auth + per-credential
rate limit, then the Starlette routes (``/rest/api/{2,3,latest}``, auth session, webhooks, and the
``/_sandbox`` admin mount which needs the admin token instead of JIRA credentials).
"""

from __future__ import annotations

import secrets
from typing import Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import BaseRoute, Match, Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from sync_engine.sandbox import seed_people
from sync_engine.sandbox.common.admin import admin_error, admin_mount, read_json_object
from sync_engine.sandbox.common.control import TwinControl
from sync_engine.sandbox.common.faults_middleware import ADMIN_PREFIX, FaultMiddleware
from sync_engine.sandbox.common.twin import TwinSettings
from sync_engine.sandbox.jira import timefmt
from sync_engine.sandbox.jira.api_agile import AgileApi
from sync_engine.sandbox.jira.api_attachments import AttachmentApi
from sync_engine.sandbox.jira.api_auth import AuthApi
from sync_engine.sandbox.jira.api_bulk import BulkApi
from sync_engine.sandbox.jira.api_comments import CommentApi
from sync_engine.sandbox.jira.api_groups import GroupApi
from sync_engine.sandbox.jira.api_issues import IssueApi
from sync_engine.sandbox.jira.api_links import LinkApi
from sync_engine.sandbox.jira.api_meta import MetaApi
from sync_engine.sandbox.jira.api_projects import ProjectApi
from sync_engine.sandbox.jira.api_schemes import SchemeApi, scheme_ids
from sync_engine.sandbox.jira.api_search import SearchApi
from sync_engine.sandbox.jira.api_settings import SettingsApi
from sync_engine.sandbox.jira.api_users import UserApi
from sync_engine.sandbox.jira.api_versions import VersionApi
from sync_engine.sandbox.jira.api_webhooks import WebhookApi
from sync_engine.sandbox.jira.api_worklogs import WorklogApi
from sync_engine.sandbox.jira.attachments import (
    CLOUD_LIMIT,
    SERVER_LIMIT,
    AttachmentService,
    AttachmentSettings,
    FileStore,
)
from sync_engine.sandbox.jira.bulk import BulkService
from sync_engine.sandbox.jira.catalog import CUSTOM_FIELD_IDS, TIME_ZONE, build_catalog
from sync_engine.sandbox.jira.context import Context, RouteSpec
from sync_engine.sandbox.jira.directory import Directory
from sync_engine.sandbox.jira.errors import ApiError, error_response
from sync_engine.sandbox.jira.issue_links import LinkService
from sync_engine.sandbox.jira.parts import Parts
from sync_engine.sandbox.jira.permissions import Permissions
from sync_engine.sandbox.jira.project_admin import ProjectAdmin
from sync_engine.sandbox.jira.ratelimit import RateLimiter
from sync_engine.sandbox.jira.render import Renderer
from sync_engine.sandbox.jira.seed import seed_bulk, seed_demo
from sync_engine.sandbox.jira.service import IssueService
from sync_engine.sandbox.jira.store import IssueRow, Store
from sync_engine.sandbox.jira.webhooks import WebhookHub
from sync_engine.sandbox.jira.worklogs import WorklogService

DEFAULT_SERVER_USER = "integration"
DEFAULT_CLOUD_USER = f"integration@{seed_people.DOMAIN}"
MAX_SEED_ISSUES = 1_000_000
ANONYMOUS_PATHS = frozenset({"/rest/api/2/serverInfo", "/rest/api/3/serverInfo", "/rest/api/latest/serverInfo"})
METHOD_KEY_CACHE = 8192
MAX_HEAD_BYTES = 8192  # Tomcat's maxHttpHeaderSize in Jira's server.xml: request line plus headers


def _server_error() -> Response:
    return error_response(500, ["Internal server error"])


class JiraTwin:
    def __init__(self, settings: TwinSettings) -> None:
        if settings.flavour not in ("server", "cloud"):
            raise ValueError(f"JIRA flavour must be 'server' or 'cloud', not {settings.flavour!r}")
        if settings.seed not in ("demo", "empty"):
            raise ValueError(f"seed must be 'demo' or 'empty', not {settings.seed!r}")
        if settings.size < 0:
            raise ValueError("size must be >= 0")
        self.settings = settings
        self.cloud = settings.flavour == "cloud"
        self.control = TwinControl(admin_token=settings.admin_token)
        default_user = DEFAULT_CLOUD_USER if self.cloud else DEFAULT_SERVER_USER
        self.user = settings.credentials.get("user") or default_user
        self.token = settings.credentials.get("token") or secrets.token_urlsafe(24)
        login = self.user.split("@", 1)[0] if self.cloud else self.user
        email = self.user if "@" in self.user else f"{self.user}@{seed_people.DOMAIN}"
        self.login = login
        self._email = email
        self.catalog = build_catalog(settings.flavour, login, email)
        self.tz = timefmt.zone(TIME_ZONE)
        self.base_url = "http://127.0.0.1"
        self.store = Store(settings.state_path, CUSTOM_FIELD_IDS)
        self.service = IssueService(self.catalog, self.store, self.tz)
        self.renderer = Renderer(self.catalog, self.tz, lambda: self.base_url)
        self.hub = WebhookHub(self.service, self.renderer)
        self.limiter = RateLimiter() if settings.limits else None
        self.directory = Directory(self.catalog, self.store, login)
        self.admin = ProjectAdmin(self.catalog, self.service, self.directory,
                                  lambda: scheme_ids(self.store.docs("category")))
        self.service.items = self.admin
        self.parts = Parts(self.catalog, self.store, self.renderer, self.admin)
        self.renderer.parts = self.parts
        self.renderer.avatar_of = lambda who: (a.selected if (a := self.directory.avatars.get(who)) else None)
        files = FileStore(settings.state_path.parent / f"{settings.state_path.stem}-attachments"
                          if settings.state_path is not None else None)
        self.attachment_settings = AttachmentSettings(max_bytes=CLOUD_LIMIT if self.cloud else SERVER_LIMIT)
        attachments = AttachmentService(self.service, files, self.attachment_settings)
        self.admin.on_delete.append(attachments.forget_issue)
        self.ctx = Context(self.catalog, self.renderer, self.service, self.directory, self.admin, self.parts,
                           Permissions(self.directory, self.admin.in_role), WorklogService(self.service),
                           attachments, LinkService(self.service))
        self.auth = AuthApi(self.ctx, self.user, self.token, login)
        self.bulk = BulkService(self.service)
        self.service.listeners.append(self._journal)
        self.service.listeners.append(self._issue_gone)
        if self.store.get_meta("seeded") is None:
            self.reseed(settings.seed, settings.size)
        self._routes = self._build_routes()
        self._keys: dict[tuple[str, str], str | None] = {}
        starlette = Starlette(routes=self._routes, exception_handlers={
            ApiError: self._api_error, HTTPException: self._http_error, Exception: self._crash,
        })
        self._app: ASGIApp = _TrailingSlash(FaultMiddleware(
            _AuthLayer(starlette, self), self.control, method_key=self.method_key,
            error_response=self.error_response, limit_response=self.limit_response,
        ))

    # -- Twin protocol --------------------------------------------------------------------------------
    @property
    def app(self) -> ASGIApp:
        return self._app

    def set_base_url(self, url: str) -> None:
        self.base_url = url.rstrip("/")

    def connection_info(self) -> dict[str, Any]:
        return {"jira_url": self.base_url, "jira_user": self.user, "jira_token": self.token}

    async def startup(self) -> None:
        await self.hub.start()

    async def shutdown(self) -> None:
        await self.bulk.drain()
        await self.hub.stop()

    # -- data ----------------------------------------------------------------------------------------------
    def reseed(self, seed: str, issues: int) -> dict[str, Any]:
        """Back to the seed: issues, and everything an administrator added (projects, users, ...)."""
        self.catalog.restore(build_catalog(self.settings.flavour, self.login, self._email))
        self.store.clear()
        self.directory.forget()
        self.admin.load()
        self.ctx.attachments.files.clear()
        now = timefmt.now_ms()
        if seed == "demo":
            seed_demo(self.service, now)
        seed_bulk(self.service, now, issues)
        self.store.set_meta("seeded", seed)
        return {"ok": True, "seed": seed, "issues": self.store.total_issues()}

    async def _seed_hook(self, data: dict[str, Any]) -> dict[str, Any]:
        seed = data.get("seed", "demo")
        issues = data.get("issues", 0)
        if seed not in ("demo", "empty"):
            raise ValueError(f"seed must be 'demo' or 'empty', not {seed!r}")
        if isinstance(issues, bool) or not isinstance(issues, int) or not 0 <= issues <= MAX_SEED_ISSUES:
            raise ValueError(f"issues must be an integer 0..{MAX_SEED_ISSUES}, not {issues!r}")
        return self.reseed(seed, issues)

    async def _reset_hook(self) -> None:
        self.catalog.restore(build_catalog(self.settings.flavour, self.login, self._email))
        self.store.clear(webhooks=True)
        self.store.set_meta("seeded", "empty")
        self.directory.forget()
        self.admin.load()
        self.ctx.attachments.files.clear()

    # -- fault/limit answers ---------------------------------------------------------------------------
    def method_key(self, scope: Scope) -> str | None:
        """``GET /rest/api/2/issue/{key}``: the route a request matched, for the counters (memoised per path,
        since every request is counted and the table has some 400 routes)."""
        cache_key = (scope["method"], scope["path"])
        if cache_key in self._keys:
            return self._keys[cache_key]
        found = None
        for route in self._routes:
            if isinstance(route, Route):
                match, _ = route.matches(scope)
                if match == Match.FULL:
                    found = f"{scope['method']} {route.path}"
                    break
        if len(self._keys) >= METHOD_KEY_CACHE:
            self._keys.clear()
        self._keys[cache_key] = found
        return found

    @staticmethod
    def error_response() -> Response:
        return error_response(503, ["JIRA is temporarily unavailable, please try again later."],
                              headers={"Retry-After": "1"})

    def limit_response(self, wait: float = 1.0, remaining: int = 0) -> Response:
        limiter = self.limiter or RateLimiter()
        headers = limiter.headers(remaining, max(wait, 1.0), self.cloud)
        return error_response(429, ["Rate limit exceeded."], headers=headers)

    # -- auth --------------------------------------------------------------------------------------------
    def authenticate(self, scope: Scope) -> tuple[str | None, bool]:
        """(login or None, credentials were presented)."""
        return self.auth.authenticate(scope)

    def _journal(self, event: str, type_name: str, row: IssueRow, changelog: dict[str, Any] | None,
                 comment: dict[str, Any] | None, actor: str) -> None:
        changes = {str(i["field"]): i.get("toString") for i in (changelog or {}).get("items", [])}
        entry: dict[str, Any] = {"event": event, "id": str(row.id), "key": row.key, "actor": actor,
                                 "changes": changes}
        if type_name != "issue_created" and event == "jira:issue_updated":
            entry["type"] = type_name
        if comment is not None:
            entry["comment"] = str(comment["id"])
        self.control.journal.record(**entry)

    def _issue_gone(self, event: str, type_name: str, row: IssueRow, changelog: dict[str, Any] | None,
                    comment: dict[str, Any] | None, actor: str) -> None:
        if event == "jira:issue_deleted":
            self.ctx.attachments.forget_issue(row)

    async def _api_token(self, request: Request) -> JSONResponse:
        """A person's own API token (as made in their profile): their own rate-limit bucket and history."""
        data = await read_json_object(request)
        if isinstance(data, JSONResponse):
            return data
        person = self.catalog.users.get(str(data.get("user", "")))
        if person is None:
            return admin_error(404, f"no directory user with login {data.get('user')!r}")
        token, _ = self.directory.make_token(person.login, str(data.get("name") or "sandbox"), None)
        return JSONResponse({"user": person.login, "email": person.email, "token": token})

    async def _attachment_config(self, request: Request) -> JSONResponse:
        """The administrator's attachment settings (Jira's "Attachments" admin page): on/off and size limit."""
        data = await read_json_object(request)
        if isinstance(data, JSONResponse):
            return data
        settings = self.attachment_settings
        unknown = sorted(set(data) - {"enabled", "max_bytes"})
        if unknown:
            return admin_error(400, f"unknown attachment setting(s): {', '.join(unknown)}; known: enabled, max_bytes")
        if "enabled" in data:
            if not isinstance(data["enabled"], bool):
                return admin_error(400, "enabled must be true or false")
            settings.enabled = data["enabled"]
        if "max_bytes" in data:
            value = data["max_bytes"]
            if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 2**31:
                return admin_error(400, "max_bytes must be an integer 1..2147483648")
            settings.max_bytes = value
        return JSONResponse({"enabled": settings.enabled, "max_bytes": settings.max_bytes})

    def unauthorized(self, presented: bool) -> Response:
        return self.auth.unauthorized(presented)

    # -- exception handlers -------------------------------------------------------------------------------
    async def _api_error(self, request: Request, exc: Exception) -> Response:
        assert isinstance(exc, ApiError)
        return exc.response()

    async def _http_error(self, request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        if exc.status_code == 404:
            return error_response(404, [f"null for uri: {request.url}"])
        if exc.status_code == 405:
            return error_response(405, [f"Method {request.method} is not allowed for {request.url.path}."])
        return error_response(exc.status_code, [str(exc.detail)])

    async def _crash(self, request: Request, exc: Exception) -> Response:
        return _server_error()

    async def applinks(self, request: Request) -> Response:
        """No linked Confluence/Jira instances: remote links are plain web links."""
        return JSONResponse({"list": []})

    # -- routes -------------------------------------------------------------------------------------------
    def _build_routes(self) -> list[BaseRoute]:
        ctx = self.ctx
        meta = MetaApi(ctx, self.service.clock)
        comments = CommentApi(ctx)

        def visible_comments(rows: list[IssueRow], login: str) -> dict[int, list[dict[str, Any]]]:
            found = self.store.comments([r.id for r in rows])
            return {r.id: [c for c in found[r.id] if comments.can_see(r, c, login)] for r in rows}

        apis: list[Any] = [
            meta, ProjectApi(ctx), UserApi(ctx), GroupApi(ctx), SchemeApi(ctx), SettingsApi(ctx),
            SearchApi(self.service, self.renderer, visible_comments), IssueApi(ctx, meta, visible_comments),
            comments, LinkApi(ctx), WorklogApi(ctx), AttachmentApi(ctx), VersionApi(ctx), AgileApi(ctx), self.auth,
            BulkApi(ctx, self.bulk),
        ]
        extra = [Route("/api-tokens", self._api_token, methods=["POST"]),
                 Route("/attachments", self._attachment_config, methods=["POST"])]
        routes: list[BaseRoute] = [admin_mount(self.control, seed=self._seed_hook, reset_data=self._reset_hook,
                                               extra_routes=extra)]
        table: list[RouteSpec] = [spec for api in apis for spec in api.routes()]
        for v in ("2", "3", "latest"):
            routes.extend(Route(f"/rest/api/{v}{path}", fn, methods=methods)  # type: ignore[arg-type]
                          for path, fn, methods in table if not path.startswith("!"))
        routes.extend(Route(path[1:], fn, methods=methods)  # type: ignore[arg-type]
                      for path, fn, methods in table if path.startswith("!"))
        routes.append(Route("/rest/applinks/latest/listApplicationlinks", self.applinks, methods=["GET"]))
        hooks = WebhookApi(self.hub)
        for base in ("/rest/webhooks/1.0/webhook", "/rest/jira-webhook/1.0/webhooks"):
            routes += [
                Route(base, hooks.list, methods=["GET"]),
                Route(base, hooks.create, methods=["POST"]),
                Route(base + "/{id}", hooks.get, methods=["GET"]),
                Route(base + "/{id}", hooks.update, methods=["PUT"]),
                Route(base + "/{id}", hooks.delete, methods=["DELETE"]),
            ]
        return routes


class _TrailingSlash:
    """Jersey matches ``/rest/api/2/user/`` as ``/rest/api/2/user``; the library sends both forms."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        if scope["type"] == "http" and len(path) > 1 and path.endswith("/") and path.startswith("/rest/"):
            scope = {**scope, "path": path.rstrip("/") or "/", "raw_path": path.rstrip("/").encode()}
        await self.app(scope, receive, send)


class _AuthLayer:
    """JIRA credentials (Basic, Bearer PAT, session cookie) and the per-credential token bucket."""

    def __init__(self, app: ASGIApp, twin: JiraTwin) -> None:
        self.app = app
        self.twin = twin

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith(ADMIN_PREFIX):
            await self.app(scope, receive, send)
            return
        twin = self.twin
        head = len(scope.get("raw_path") or scope["path"].encode()) + len(scope.get("query_string", b"")) + \
            sum(len(k) + len(v) + 4 for k, v in scope.get("headers", []))
        if head > MAX_HEAD_BYTES:  # Jira's Tomcat refuses before any application code runs
            await PlainTextResponse("Request header is too large", status_code=400)(scope, receive, send)
            return
        login, presented = twin.authenticate(scope)
        path = scope["path"]
        login_call = path == "/rest/auth/1/session" and scope["method"] == "POST"
        if login is None and not login_call and (presented or path not in ANONYMOUS_PATHS):
            await twin.unauthorized(presented)(scope, receive, send)
            return
        scope["jira.user"] = login or ""
        if twin.limiter is None or login is None:
            await self.app(scope, receive, send)
            return
        allowed, remaining, wait = twin.limiter.take(login)
        if not allowed:
            await twin.limit_response(wait, remaining)(scope, receive, send)
            return
        extra = [(k.encode(), v.encode()) for k, v in twin.limiter.headers(remaining, 0.0, twin.cloud).items()]

        async def send_with_budget(message: Message) -> None:
            # as JIRA DC does, every answer tells the client how much of its bucket is left
            if message["type"] == "http.response.start":
                message = {**message, "headers": [*message.get("headers", []), *extra]}
            await send(message)

        await self.app(scope, receive, send_with_budget)


def create_twin(settings: TwinSettings) -> JiraTwin:
    return JiraTwin(settings)
