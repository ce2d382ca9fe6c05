"""The JIRA twin: ``create_twin(settings)`` builds the ASGI app, its state and its webhook worker.

Layers, outermost first: FaultMiddleware (counts calls, injects faults), JIRA auth + per-credential
rate limit, then the Starlette routes (``/rest/api/{2,3,latest}``, auth session, webhooks, and the
``/_sandbox`` admin mount which needs the admin token instead of JIRA credentials).
"""

from __future__ import annotations

import base64
import binascii
import hmac
import secrets
from typing import Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Match, Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from sync_engine.sandbox import seed_people
from sync_engine.sandbox.common.admin import admin_error, admin_mount, read_json_object
from sync_engine.sandbox.common.control import TwinControl
from sync_engine.sandbox.common.faults_middleware import ADMIN_PREFIX, FaultMiddleware
from sync_engine.sandbox.common.twin import TwinSettings
from sync_engine.sandbox.jira import timefmt
from sync_engine.sandbox.jira.api_issues import IssueApi
from sync_engine.sandbox.jira.api_meta import MetaApi
from sync_engine.sandbox.jira.api_search import SearchApi
from sync_engine.sandbox.jira.api_webhooks import WebhookApi
from sync_engine.sandbox.jira.catalog import CUSTOM_FIELD_IDS, TIME_ZONE, build_catalog
from sync_engine.sandbox.jira.errors import ApiError, error_response
from sync_engine.sandbox.jira.http_util import read_json
from sync_engine.sandbox.jira.ratelimit import RateLimiter
from sync_engine.sandbox.jira.render import Renderer
from sync_engine.sandbox.jira.seed import seed_bulk, seed_demo
from sync_engine.sandbox.jira.service import IssueService
from sync_engine.sandbox.jira.store import IssueRow, Store
from sync_engine.sandbox.jira.webhooks import WebhookHub

DEFAULT_SERVER_USER = "integration"
DEFAULT_CLOUD_USER = f"integration@{seed_people.DOMAIN}"
MAX_SEED_ISSUES = 1_000_000
ANONYMOUS_PATHS = frozenset({"/rest/api/2/serverInfo", "/rest/api/3/serverInfo", "/rest/api/latest/serverInfo"})


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
        self.catalog = build_catalog(settings.flavour, login, email)
        self.tz = timefmt.zone(TIME_ZONE)
        self.base_url = "http://127.0.0.1"
        self.store = Store(settings.state_path, CUSTOM_FIELD_IDS)
        self.service = IssueService(self.catalog, self.store, self.tz)
        self.renderer = Renderer(self.catalog, self.tz, lambda: self.base_url)
        self.hub = WebhookHub(self.service, self.renderer)
        self.limiter = RateLimiter() if settings.limits else None
        self.sessions: dict[str, str] = {}
        self.person_tokens: dict[str, str] = {}  # API token -> login of the directory user who made it
        self.service.listeners.append(self._journal)
        if self.store.get_meta("seeded") is None:
            self.reseed(settings.seed, settings.size)
        self._routes = self._build_routes()
        starlette = Starlette(routes=self._routes, exception_handlers={
            ApiError: self._api_error, HTTPException: self._http_error, Exception: self._crash,
        })
        self._app: ASGIApp = FaultMiddleware(
            _AuthLayer(starlette, self), self.control, method_key=self.method_key,
            error_response=self.error_response, limit_response=self.limit_response,
        )

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
        await self.hub.stop()

    # -- data ----------------------------------------------------------------------------------------------
    def reseed(self, seed: str, issues: int) -> dict[str, Any]:
        self.store.clear()
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
        self.store.clear(webhooks=True)
        self.store.set_meta("seeded", "empty")
        self.person_tokens.clear()

    # -- fault/limit answers ---------------------------------------------------------------------------
    def method_key(self, scope: Scope) -> str | None:
        for route in self._routes:
            if isinstance(route, Route):
                match, _ = route.matches(scope)
                if match == Match.FULL:
                    return f"{scope['method']} {route.path}"
        return None

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
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
        header = headers.get("authorization", "")
        scheme, _, value = header.partition(" ")
        if scheme.lower() == "basic":
            try:
                user, _, password = base64.b64decode(value.strip()).decode("utf-8").partition(":")
            except (binascii.Error, UnicodeDecodeError, ValueError):
                return None, True
            same_user = user.casefold() == self.user.casefold()
            ok = hmac.compare_digest(password.encode(), self.token.encode()) and same_user
            return (self.login if ok else self._person(password, user)), True
        if scheme.lower() == "bearer":
            ok = hmac.compare_digest(value.strip().encode(), self.token.encode())
            return (self.login if ok else self._person(value.strip(), None)), True
        for part in headers.get("cookie", "").split(";"):
            name, _, val = part.strip().partition("=")
            if name == "JSESSIONID" and val in self.sessions:
                return self.sessions[val], True
        return None, bool(header)

    def _person(self, token: str, user: str | None) -> str | None:
        """The login behind a personal API token (Basic needs that user's login or e-mail with it)."""
        login = self.person_tokens.get(token)
        if login is None or user is None:
            return login
        person = self.catalog.users.get(login)
        names = {login.casefold(), person.email.casefold()} if person else {login.casefold()}
        return login if user.casefold() in names else None

    def _journal(self, event: str, type_name: str, row: IssueRow, changelog: dict[str, Any] | None,
                 comment: dict[str, Any] | None, actor: str) -> None:
        changes = {str(i["field"]): i.get("toString") for i in (changelog or {}).get("items", [])}
        self.control.journal.record(event=event, id=str(row.id), key=row.key, actor=actor, changes=changes)

    async def _api_token(self, request: Request) -> JSONResponse:
        """A person's own API token (as made in their profile): their own rate-limit bucket and history."""
        data = await read_json_object(request)
        if isinstance(data, JSONResponse):
            return data
        person = self.catalog.users.get(str(data.get("user", "")))
        if person is None:
            return admin_error(404, f"no directory user with login {data.get('user')!r}")
        token = secrets.token_urlsafe(24)
        self.person_tokens[token] = person.login
        return JSONResponse({"user": person.login, "email": person.email, "token": token})

    def unauthorized(self, presented: bool) -> Response:
        if self.cloud:
            return error_response(401, ["Client must be authenticated to access this resource."])
        headers = {"X-Seraph-LoginReason": "AUTHENTICATED_FAILED" if presented else "AUTHENTICATION_DENIED"}
        msg = "You are not authenticated. Authentication required to perform this operation."
        return error_response(401, [msg], headers=headers)

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

    # -- session ------------------------------------------------------------------------------------------
    async def session_get(self, request: Request) -> Response:
        login = str(request.scope.get("jira.user"))
        return JSONResponse({"self": f"{self.renderer.api()}/user?username={login}", "name": login,
                             "loginInfo": {"failedLoginCount": 0, "loginCount": 1}})

    async def session_login(self, request: Request) -> Response:
        body = await read_json(request)
        if not isinstance(body, dict) or not isinstance(body.get("username"), str) \
                or not isinstance(body.get("password"), str):
            raise ApiError(400, ["The body must be {\"username\": ..., \"password\": ...}."])
        if body["username"].casefold() != self.user.casefold() or \
                not hmac.compare_digest(body["password"].encode(), self.token.encode()):
            return self.unauthorized(True)
        sid = secrets.token_hex(16)
        self.sessions[sid] = self.login
        resp = JSONResponse({"session": {"name": "JSESSIONID", "value": sid},
                             "loginInfo": {"failedLoginCount": 0, "loginCount": 1}})
        resp.set_cookie("JSESSIONID", sid, httponly=True)
        return resp

    async def session_logout(self, request: Request) -> Response:
        for part in request.headers.get("cookie", "").split(";"):
            name, _, val = part.strip().partition("=")
            if name == "JSESSIONID":
                self.sessions.pop(val, None)
        return Response(status_code=204)

    # -- routes -------------------------------------------------------------------------------------------
    def _build_routes(self) -> list[BaseRoute]:
        meta = MetaApi(self.catalog, self.renderer, self.service.clock)
        issues = IssueApi(self.service, self.renderer, meta)
        search = SearchApi(self.service, self.renderer)
        hooks = WebhookApi(self.hub)
        routes: list[BaseRoute] = [admin_mount(self.control, seed=self._seed_hook, reset_data=self._reset_hook,
                                               extra_routes=[Route("/api-tokens", self._api_token, methods=["POST"])])]
        for v in ("2", "3", "latest"):
            p = f"/rest/api/{v}"
            table: list[tuple[str, Any, list[str]]] = [
                ("/serverInfo", meta.server_info, ["GET"]),
                ("/myself", meta.myself, ["GET"]),
                ("/field", meta.fields, ["GET"]),
                ("/project", meta.projects, ["GET"]),
                ("/project/{idOrKey}", meta.project, ["GET"]),
                ("/project/{idOrKey}/statuses", meta.project_statuses, ["GET"]),
                ("/issuetype", meta.issue_types, ["GET"]),
                ("/issuetype/{id}", meta.issue_type, ["GET"]),
                ("/status", meta.statuses, ["GET"]),
                ("/priority", meta.priorities, ["GET"]),
                ("/resolution", meta.resolutions, ["GET"]),
                ("/issueLinkType", meta.link_types, ["GET"]),
                ("/user/search", meta.user_search, ["GET"]),
                ("/user", meta.user, ["GET"]),
                ("/issue/createmeta/{project}/issuetypes", meta.createmeta_types, ["GET"]),
                ("/issue/createmeta/{project}/issuetypes/{typeId}", meta.createmeta_fields, ["GET"]),
            ]
            if self.cloud:
                table += [
                    ("/issue/createmeta", meta.createmeta, ["GET"]),
                    ("/search/jql", search.search_jql, ["GET", "POST"]),
                    ("/search/approximate-count", search.approximate_count, ["POST"]),
                ]
            table += [
                ("/search", search.search, ["GET", "POST"]),
                ("/issue", issues.create, ["POST"]),
                ("/issue/bulk", issues.bulk, ["POST"]),
                ("/issue/{key}", issues.get, ["GET"]),
                ("/issue/{key}", issues.edit, ["PUT"]),
                ("/issue/{key}", issues.delete, ["DELETE"]),
                ("/issue/{key}/transitions", issues.transitions, ["GET"]),
                ("/issue/{key}/transitions", issues.transition, ["POST"]),
                ("/issue/{key}/comment", issues.comments, ["GET"]),
                ("/issue/{key}/comment", issues.add_comment, ["POST"]),
                ("/issue/{key}/comment/{cid}", issues.comment, ["GET"]),
                ("/issue/{key}/editmeta", issues.editmeta, ["GET"]),
                ("/issue/{key}/assignee", issues.assignee, ["PUT"]),
                ("/issue/{key}/remotelink", issues.remote_links, ["GET"]),
                ("/issue/{key}/remotelink", issues.add_remote_link, ["POST"]),
                ("/issue/{key}/remotelink/{lid}", issues.remote_link, ["GET"]),
            ]
            routes.extend(Route(p + path, fn, methods=methods) for path, fn, methods in table)
        routes += [
            Route("/rest/applinks/latest/listApplicationlinks", self.applinks, methods=["GET"]),
            Route("/rest/auth/1/session", self.session_get, methods=["GET"]),
            Route("/rest/auth/1/session", self.session_login, methods=["POST"]),
            Route("/rest/auth/1/session", self.session_logout, methods=["DELETE"]),
        ]
        for base in ("/rest/webhooks/1.0/webhook", "/rest/jira-webhook/1.0/webhooks"):
            routes += [
                Route(base, hooks.list, methods=["GET"]),
                Route(base, hooks.create, methods=["POST"]),
                Route(base + "/{id}", hooks.get, methods=["GET"]),
                Route(base + "/{id}", hooks.update, methods=["PUT"]),
                Route(base + "/{id}", hooks.delete, methods=["DELETE"]),
            ]
        return routes


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
