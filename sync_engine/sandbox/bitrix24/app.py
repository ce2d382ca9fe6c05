"""The Bitrix24 twin: routing, authentication, parameter parsing, limits, envelopes and admin routes.

Entry point: :func:`create_twin`. A client sees ``/rest/{user_id}/{secret}/{method}`` (inbound
webhook) and ``/rest/{method}?auth=`` (application), exactly as on a cloud portal, plus the token
server's refresh grant at ``/oauth/token/``.

Twin-specific admin routes (Bearer admin token, next to the common counters/faults/reset/seed) do
what a portal administrator does in the UI:
``POST /_sandbox/outgoing-webhook {"handler_url", "events"}`` -> ``{"id", "application_token", ...}``,
``GET /_sandbox/outgoing-webhook``, ``DELETE /_sandbox/outgoing-webhook/{id}``,
``POST /_sandbox/oauth-app {"expires_in"?}`` -> an installed application's tokens,
``GET /_sandbox/deliveries`` (event delivery log) and
``POST /_sandbox/limits {"enabled", "burst", "drain_per_s", "operating_limit_s", "reset"}``.
"""

from __future__ import annotations

import hmac
import json
import logging
import secrets
import time
import urllib.parse
from collections.abc import Mapping
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Scope

from sync_engine.sandbox.bitrix24.admin_people import Webhooks, admin_people_routes
from sync_engine.sandbox.bitrix24.batch import SubOutcome, run_batch
from sync_engine.sandbox.bitrix24.disk_store import DiskStore
from sync_engine.sandbox.bitrix24.dispatch import Call, Caller, OAuthApp, Registry, as_result, scope_of
from sync_engine.sandbox.bitrix24.envelope import (
    BitrixError,
    MethodResult,
    error_response,
    json_response,
    method_not_found,
    query_limit,
    time_block,
    wrong_auth,
    xml_response,
)
from sync_engine.sandbox.bitrix24.events import (
    KNOWN_EVENTS,
    EventHub,
    OutgoingWebhook,
    PortalIdentity,
    register_events,
)
from sync_engine.sandbox.bitrix24.file_routes import file_routes
from sync_engine.sandbox.bitrix24.files import LinkSigner
from sync_engine.sandbox.bitrix24.limits import Limits, LimitSettings
from sync_engine.sandbox.bitrix24.methods_crm import php_array, register_crm
from sync_engine.sandbox.bitrix24.methods_deal_links import register_deal_links
from sync_engine.sandbox.bitrix24.methods_departments import register_departments
from sync_engine.sandbox.bitrix24.methods_disk import register_disk
from sync_engine.sandbox.bitrix24.methods_feed import register_feed
from sync_engine.sandbox.bitrix24.methods_lists import register_lists
from sync_engine.sandbox.bitrix24.methods_tasks import register_tasks
from sync_engine.sandbox.bitrix24.methods_timeline import register_timeline
from sync_engine.sandbox.bitrix24.methods_users import register_users
from sync_engine.sandbox.bitrix24.phpquery import ci_get, parse_pairs, parse_str, php_cast_bool
from sync_engine.sandbox.bitrix24.portal import Portal
from sync_engine.sandbox.bitrix24.seed import seed_portal
from sync_engine.sandbox.bitrix24.users import get_user
from sync_engine.sandbox.common.admin import admin_error, admin_mount, read_json_object
from sync_engine.sandbox.common.control import TwinControl
from sync_engine.sandbox.common.faults_middleware import FaultMiddleware
from sync_engine.sandbox.common.twin import TwinSettings

log = logging.getLogger(__name__)


def split_rest_path(path: str) -> tuple[str | None, str | None, str] | None:
    """``1/abc/crm.deal.list.json/`` -> ("1", "abc", "crm.deal.list"); ``crm.deal.list`` -> (None, None, ..).

    Anything else (e.g. the webhook key without the user id) is not a method address at all."""
    parts = [p for p in path.strip("/").split("/") if p]
    if len(parts) == 3:
        user, secret, method = parts
    elif len(parts) == 1:
        user, secret, method = None, None, parts[0]
    else:
        return None
    method = urllib.parse.unquote(method).lower()
    for suffix in (".json", ".xml"):
        if method.endswith(suffix):
            method = method[: -len(suffix)]
    return user, secret, method


def method_key(scope: Scope) -> str | None:
    path = scope.get("path", "")
    if not path.startswith("/rest/"):
        return None
    parsed = split_rest_path(path[len("/rest/"):])
    return parsed[2] if parsed else None


async def read_params(request: Request) -> dict[str, Any]:
    """GET query merged with the body (body wins on top-level keys), decoded the PHP way."""
    query = parse_str(request.scope.get("query_string", b"").decode("latin-1"))
    body: dict[str, Any] = {}
    if request.method not in ("GET", "HEAD"):
        ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
        raw = await request.body()
        if ctype == "multipart/form-data":
            try:
                form = await request.form()
            except Exception:  # PHP parses nothing out of a broken multipart body: an empty body, no error
                form = None
            if form is not None:
                body = parse_pairs((k, v) for k, v in form.multi_items() if isinstance(v, str))
        elif ctype == "application/json":
            # As CRestUtil::getRequestData: undecodable JSON counts as an empty body (no error of its
            # own; the method then complains about what is missing), and a JSON list gives keys 0..n.
            try:
                data = json.loads(raw) if raw.strip() else {}
            except ValueError:
                data = {}
            if isinstance(data, list):
                data = {str(i): v for i, v in enumerate(data)}
            body = data if isinstance(data, dict) else {}
        elif raw:
            body = parse_str(raw.decode("utf-8", errors="replace"))
    return {**query, **body}


WRITE_VERBS = frozenset({"add", "update", "delete", "set"})  # method name endings that change data

class BitrixTwin:
    def __init__(self, settings: TwinSettings) -> None:
        self.settings = settings
        self.control = TwinControl(admin_token=settings.admin_token)
        raw_user = str(settings.credentials.get("user_id") or "1")
        if not raw_user.isdigit():
            raise ValueError(f"Bitrix24 twin credentials: user_id must be a number, got {raw_user!r}")
        self.user_id = int(raw_user)
        self.secret = settings.credentials.get("secret") or secrets.token_hex(8)
        raw_scope = settings.credentials.get("scope", "")
        self.webhook_scopes = frozenset(s.strip() for s in raw_scope.split(",") if s.strip()) or None
        self.member_id = secrets.token_hex(16)
        self.base_url = "http://127.0.0.1"
        self.portal = Portal(settings.state_path)
        self.limits = Limits(LimitSettings(enabled=settings.limits))
        self.events = EventHub(self.identity)
        self.webhooks = Webhooks(admins={1, self.user_id})
        self.signer = LinkSigner(self._link_secret, lambda: self.base_url)
        self.disk = DiskStore(self.portal, self.signer, lambda: self.base_url)
        for store in self.portal.stores.values():
            store.file_link = self.signer.blob_url
        self.registry = Registry()
        emit_data = self.events.emit_data
        register_crm(self.registry, self.portal, self.events.emit)
        register_deal_links(self.registry, self.portal, self.events.emit)
        register_users(self.registry, self.portal, emit_data, self.signer)
        register_departments(self.registry, self.portal)
        register_feed(self.registry, self.portal, self.disk)
        register_tasks(self.registry, self.portal, emit_data)
        register_disk(self.registry, self.disk)
        register_lists(self.registry, self.portal, self.signer)
        register_timeline(self.registry, self.portal, self.disk, emit_data)
        register_events(self.registry, self.events)
        self.registry.add("batch", self._batch)
        self.registry.add("methods", self._methods)
        self.registry.add("scope", self._scope)
        self.registry.add("server.time", self._server_time)
        self.registry.add("app.info", self._app_info)
        self.registry.add("profile", self._profile)
        if not self.portal.is_seeded():
            seed_portal(self.portal, settings.seed, settings.size, settings.company_size)
        self.disk.common_storage()  # every portal has the company's common Drive
        routes = [
            admin_mount(self.control, seed=self._seed_hook, reset_data=self._reset_hook,
                        extra_routes=[*self._admin_routes(),
                                      *admin_people_routes(self.portal, self.webhooks, lambda: self.base_url)]),
            *file_routes(self.portal, self.disk),
            Route("/rest/{path:path}", self._rest, methods=["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD"]),
            Route("/oauth/token/", self._oauth_token, methods=["GET", "POST"]),
            Route("/oauth/token", self._oauth_token, methods=["GET", "POST"]),
            Route("/{path:path}", self._not_found, methods=["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD"]),
        ]
        starlette = Starlette(routes=routes)
        starlette.router.redirect_slashes = False
        self._app: ASGIApp = FaultMiddleware(
            starlette, self.control, method_key=method_key,
            error_response=lambda: error_response(
                BitrixError(500, "INTERNAL_SERVER_ERROR", "Internal server error"), time.time()),
            limit_response=lambda: error_response(query_limit(), time.time()),
        )

    # ---- Twin protocol -------------------------------------------------------------------------------
    @property
    def app(self) -> ASGIApp:
        return self._app

    def set_base_url(self, url: str) -> None:
        self.base_url = url.rstrip("/")

    def connection_info(self) -> dict[str, Any]:
        return {"bitrix_webhook_url": f"{self.base_url}/rest/{self.user_id}/{self.secret}/"}

    def _link_secret(self) -> bytes:
        """The key of the portal's download links, stored with the portal (a reset makes a new one)."""
        stored = self.portal.meta("link_secret")
        if stored is None:
            stored = secrets.token_hex(32)
            self.portal.set_meta("link_secret", stored)
        return bytes.fromhex(stored)

    async def startup(self) -> None:
        await self.events.start()

    async def shutdown(self) -> None:
        await self.events.stop()

    def identity(self) -> PortalIdentity:
        domain = urllib.parse.urlparse(self.base_url).netloc or "127.0.0.1"
        return PortalIdentity(domain=domain, client_endpoint=f"{self.base_url}/rest/",
                              member_id=self.member_id)

    # ---- REST ----------------------------------------------------------------------------------------
    async def _not_found(self, request: Request) -> Response:
        return error_response(method_not_found(), time.time())

    def _authenticate(self, user: str | None, secret: str | None, params: Mapping[str, Any]) -> Caller:
        if user is not None and secret is not None:
            if user == str(self.user_id) and hmac.compare_digest(secret.encode(), self.secret.encode()):
                return Caller(self.user_id, "webhook", f"webhook:{self.user_id}", scopes=self.webhook_scopes,
                              admin=True)
            extra = self.webhooks.find(int(user), secret) if user.isdigit() else None
            person = get_user(self.portal, extra.user_id) if extra is not None else None
            if extra is None or person is None or not person.get("ACTIVE"):
                raise wrong_auth()  # a dismissed employee's webhooks stop working
            return Caller(extra.user_id, "webhook", f"webhook:{extra.user_id}:{extra.secret[:4]}",
                          scopes=extra.scopes, admin=extra.user_id in self.webhooks.admins)
        token = ci_get(params, "auth")
        app = self.events.apps.get(str(token)) if isinstance(token, str) and token else None
        if app is None:
            raise wrong_auth()
        if time.time() > app.expires_at:
            raise BitrixError(401, "expired_token", "The access token provided has expired.")
        return Caller(app.user_id, "app", f"app:{app.app_id}", app,
                      scopes=frozenset(s.strip() for s in app.scope.split(",") if s.strip()),
                      admin=app.user_id in self.webhooks.admins)

    async def _rest(self, request: Request) -> Response:
        start = time.time()
        path = request.path_params["path"]
        xml = path.rstrip("/").lower().endswith(".xml")  # the ".xml" transport answers in XML

        def failed(error: BitrixError) -> Response:
            return xml_response(error.body(), error.status) if xml else error_response(error, start)

        parsed = split_rest_path(path)
        if parsed is None or self.registry.get(parsed[2]) is None:
            return failed(method_not_found())
        user, secret, method = parsed
        try:
            params = await read_params(request)
            caller = self._authenticate(user, secret, params)
        except BitrixError as exc:
            return failed(exc)
        params = {k: v for k, v in params.items() if str(k).lower() != "auth"}
        client = request.client.host if request.client else ""
        if not self.limits.take(client):
            return failed(query_limit())
        outcome = self.invoke(method, params, Call(method, params, caller))
        if outcome.error is not None:
            return failed(outcome.error)
        assert outcome.result is not None
        body: dict[str, Any] = {"result": outcome.result.result}
        if outcome.result.next is not None:
            body["next"] = outcome.result.next
        if outcome.result.total is not None:
            body["total"] = outcome.result.total
        operating, reset_at = self.limits.operating(caller.principal, method)
        body["time"] = time_block(start, time.time(), operating, reset_at)
        body["time"]["processing"] = outcome.finish - outcome.start
        if xml:
            return xml_response(body, 200)
        return json_response(body, processing=outcome.finish - outcome.start)

    async def _oauth_token(self, request: Request) -> Response:
        """Token server (oauth.bitrix.info on the cloud); the twin does the refresh grant apps use."""
        try:
            params = await read_params(request)
        except BitrixError as exc:
            return json_response({"error": "invalid_request", "error_description": exc.description}, 400)
        grant = str(params.get("grant_type") or "")
        if grant != "refresh_token":
            return json_response({"error": "invalid_request",
                                  "error_description": "grant_type must be refresh_token in the twin"}, 400)
        client_id, client_secret = params.get("client_id"), params.get("client_secret")
        app = self.events.refresh(str(params.get("refresh_token") or ""),
                                  None if client_id is None else str(client_id),
                                  None if client_secret is None else str(client_secret))
        if app is None:
            return json_response({"error": "invalid_grant", "error_description": "Invalid refresh token"},
                                 400)
        return json_response(self.token_view(app))

    def token_view(self, app: OAuthApp) -> dict[str, Any]:
        ident = self.identity()
        return {"access_token": app.access_token, "refresh_token": app.refresh_token,
                "expires": int(app.expires_at), "expires_in": max(int(app.expires_at - time.time()), 0),
                "scope": app.scope, "domain": ident.domain, "server_endpoint": ident.server_endpoint,
                "status": "L", "client_endpoint": ident.client_endpoint, "member_id": ident.member_id,
                "user_id": app.user_id, "application_token": app.application_token,
                "client_id": app.client_id, "client_secret": app.client_secret,
                "oauth_token_url": f"{self.base_url}/oauth/token/"}

    def invoke(self, method: str, params: dict[str, Any], parent: Call) -> SubOutcome:
        """Run one method (top-level or a batch sub-call) under the operating-time limit."""
        start = time.time()
        handler = self.registry.get(method)
        if handler is None:
            return SubOutcome(None, method_not_found(), start, time.time())
        principal = parent.caller.principal
        needed = scope_of(method)
        scopes = parent.caller.scopes
        if needed is not None and scopes is not None and needed not in scopes:
            denied = BitrixError(403, "insufficient_scope",
                                 "The request requires higher privileges than provided by the access token")
            return SubOutcome(None, denied, start, time.time())
        if self.limits.blocked(principal, method):
            blocked = BitrixError(429, "OPERATION_TIME_LIMIT",
                                  f"Method is blocked due to operation time limit: {method}")
            return SubOutcome(None, blocked, start, time.time())
        call = Call(method, params, parent.caller, in_batch=parent.in_batch)
        began = time.perf_counter()
        connector = ci_get(params, "auth_connector")
        outer_connector = self.events.current_connector
        if isinstance(connector, str) and connector:
            self.events.current_connector = connector
        try:
            result: MethodResult | None = as_result(handler(call))
            error: BitrixError | None = None
        except BitrixError as exc:
            result, error = None, exc
        except Exception:  # a twin bug must still answer in the portal's vocabulary
            log.exception("bitrix twin: %s failed", method)
            result, error = None, BitrixError(500, "INTERNAL_SERVER_ERROR", "Internal server error")
        finally:
            self.events.current_connector = outer_connector
        if method != "batch":
            self.limits.record(principal, method, time.perf_counter() - began)
        if error is None and method.rsplit(".", 1)[-1].lower() in WRITE_VERBS:
            self._journal(method, params, parent.caller, result)
        return SubOutcome(result, error, start, time.time())

    def _journal(self, method: str, params: Mapping[str, Any], caller: Caller, result: MethodResult | None) -> None:
        """A committed write, with the fields it was given, for the admin journal."""
        the_id = ci_get(params, "id")
        if the_id is None and result is not None and isinstance(result.result, int | str):
            the_id = result.result  # an add answers with the new id
        fields = php_array(ci_get(params, "fields"))
        shown = {str(k): v if isinstance(v, str | int | float | bool) or v is None else json.dumps(v, default=str)
                 for k, v in fields.items()} if isinstance(fields, Mapping) else {}
        self.control.journal.record(method=method, id=str(the_id or ""), user=caller.user_id, fields=shown)

    def _batch(self, call: Call) -> dict[str, Any]:
        def sub(method: str, params: dict[str, Any], parent: Call) -> SubOutcome:
            child_parent = Call("batch", params, parent.caller, in_batch=True)
            return self.invoke(method, params, child_parent)

        return run_batch(call, sub, self.control.count_subcall)

    def _scope(self, call: Call) -> list[str]:
        every = ["crm", "user", "user.userfield", "department", "im", "task", "lists", "log", "disk"]
        scopes = call.caller.scopes
        return every if scopes is None or php_cast_bool(ci_get(call.params, "full")) else sorted(scopes)

    def _server_time(self, call: Call) -> str:
        return str(time_block(time.time(), time.time(), 0.0, None)["date_start"])

    def _methods(self, call: Call) -> list[str]:
        return self.registry.names()

    def _app_info(self, call: Call) -> dict[str, Any]:
        return {"ID": call.caller.app.app_id if call.caller.app else 0, "CODE": "local.sandbox", "VERSION": 1,
                "STATUS": "L", "INSTALLED": True, "PAYMENT_EXPIRED": "N", "DAYS": None,
                "LICENSE": "ru_project"}

    def _profile(self, call: Call) -> dict[str, Any]:
        user = self.registry.handlers["user.current"](call)
        return {"ID": user.get("ID"), "ADMIN": call.caller.admin, "NAME": user.get("NAME"),
                "LAST_NAME": user.get("LAST_NAME"), "PERSONAL_GENDER": user.get("PERSONAL_GENDER"),
                "TIME_ZONE": "Europe/Moscow"}

    # ---- admin -------------------------------------------------------------------------------------------
    async def _seed_hook(self, data: dict[str, Any]) -> dict[str, Any]:
        mode = str(data.get("seed", "demo"))
        try:
            deals = int(data.get("deals", 0))
            company_size = int(data.get("company_size", 0))
        except (TypeError, ValueError) as exc:
            raise ValueError("deals and company_size must be integers") from exc
        if mode not in ("demo", "empty") or deals < 0 or company_size < 0:
            raise ValueError("seed must be 'demo' or 'empty', deals >= 0 and company_size >= 0")
        self.portal.wipe()
        summary = seed_portal(self.portal, mode, deals, company_size)
        self.disk.common_storage()
        return {"ok": True, "seed": mode, **summary}

    async def _reset_hook(self) -> None:
        self.portal.wipe()
        seed_portal(self.portal, self.settings.seed, self.settings.size, self.settings.company_size)
        self.disk.common_storage()
        self.events.offline.clear()
        self.limits.reset()

    def _admin_routes(self) -> list[Route]:
        async def add_hook(request: Request) -> JSONResponse:
            data = await read_json_object(request)
            if isinstance(data, JSONResponse):
                return data
            url = str(data.get("handler_url") or "")
            parsed = urllib.parse.urlparse(url)
            if parsed.scheme not in ("http", "https") or not parsed.netloc:
                return admin_error(400, "handler_url must be an absolute http(s) URL")
            events = data.get("events")
            if not isinstance(events, list) or not events:
                return admin_error(400, "events must be a non-empty list of event names")
            names = [str(e).upper() for e in events]
            unknown = [n for n in names if n not in KNOWN_EVENTS]
            if unknown:
                return admin_error(400, f"unknown event(s): {', '.join(unknown)}")
            return JSONResponse(hook_view(self.events.add_hook(url, names)))

        async def list_hooks(request: Request) -> JSONResponse:
            return JSONResponse([hook_view(h) for h in self.events.hooks.values()])

        async def delete_hook(request: Request) -> JSONResponse:
            try:
                hook_id = int(request.path_params["hook_id"])
            except ValueError:
                return admin_error(400, "hook id must be an integer")
            if not self.events.remove_hook(hook_id):
                return admin_error(404, f"no outgoing webhook {hook_id}")
            return JSONResponse({"deleted": hook_id})

        async def add_app(request: Request) -> JSONResponse:
            data = await read_json_object(request)
            if isinstance(data, JSONResponse):
                return data
            try:
                expires_in = float(data.get("expires_in", 3600))
            except (TypeError, ValueError):
                return admin_error(400, "expires_in must be a number of seconds")
            app = self.events.create_app(expires_in)
            return JSONResponse(self.token_view(app))

        async def deliveries(request: Request) -> JSONResponse:
            return JSONResponse(list(self.events.deliveries))

        async def limits(request: Request) -> JSONResponse:
            data = await read_json_object(request)
            if isinstance(data, JSONResponse):
                return data
            current = self.limits.settings
            allowed = {*LimitSettings.__dataclass_fields__, "reset"}
            unknown = sorted(set(data) - allowed)
            if unknown:
                known = ", ".join(sorted(allowed))
                return admin_error(400, f"unknown limit setting(s): {', '.join(unknown)}; known: {known}")
            try:
                new = LimitSettings(
                    enabled=bool(data.get("enabled", current.enabled)),
                    burst=int(data.get("burst", current.burst)),
                    drain_per_s=float(data.get("drain_per_s", current.drain_per_s)),
                    operating_limit_s=float(data.get("operating_limit_s", current.operating_limit_s)),
                )
            except (TypeError, ValueError) as exc:
                return admin_error(400, str(exc))
            if new.burst < 1 or new.drain_per_s <= 0 or new.operating_limit_s < 0:
                return admin_error(400, "burst must be >= 1, drain_per_s > 0, operating_limit_s >= 0")
            self.limits.settings = new
            if data.get("reset", False):
                self.limits.reset()
            return JSONResponse(new.__dict__)

        return [
            Route("/outgoing-webhook", add_hook, methods=["POST"]),
            Route("/outgoing-webhook", list_hooks, methods=["GET"]),
            Route("/outgoing-webhook/{hook_id}", delete_hook, methods=["DELETE"]),
            Route("/oauth-app", add_app, methods=["POST"]),
            Route("/deliveries", deliveries, methods=["GET"]),
            Route("/limits", limits, methods=["POST"]),
        ]


def hook_view(hook: OutgoingWebhook) -> dict[str, Any]:
    return {"id": hook.id, "handler_url": hook.handler_url, "events": hook.events,
            "application_token": hook.application_token}


def create_twin(settings: TwinSettings) -> BitrixTwin:
    return BitrixTwin(settings)
