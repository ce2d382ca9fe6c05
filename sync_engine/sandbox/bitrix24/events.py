"""Event subscriptions and delivery: app handlers (``event.bind``), outgoing webhooks, offline queues.

Online events go out from a background worker as form-encoded POSTs and are never retried, as on a
real portal; that is exactly why a lossless sync must use offline events.
"""

from __future__ import annotations

import asyncio
import hmac
import logging
import secrets
import time
import urllib.parse
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx

from sync_engine.sandbox.bitrix24.dispatch import Call, OAuthApp, Registry
from sync_engine.sandbox.bitrix24.envelope import BitrixError, MethodResult
from sync_engine.sandbox.bitrix24.phpquery import as_list, ci_get, php_bool, php_int
from sync_engine.sandbox.bitrix24.values import now_iso

log = logging.getLogger(__name__)

_CRM = ("DEAL", "CONTACT", "COMPANY", "LEAD", "PRODUCT", "DYNAMICITEM")
KNOWN_EVENTS: frozenset[str] = frozenset(
    [f"ONCRM{e}{a}" for e in _CRM for a in ("ADD", "UPDATE", "DELETE")]
    + [f"ONCRMDYNAMICITEM{a}_1032" for a in ("ADD", "UPDATE", "DELETE")]
    + ["ONCRMDEALMOVETOCATEGORY", "ONCRMDEALUSERFIELDADD", "ONCRMDEALUSERFIELDUPDATE",
       "ONCRMDEALUSERFIELDDELETE", "ONCRMDEALUSERFIELDSETENUMVALUES", "ONTASKADD", "ONTASKUPDATE",
       "ONTASKDELETE", "ONUSERADD", "ONAPPINSTALL", "ONAPPUNINSTALL", "ONOFFLINEEVENT",
       "ONCRMTIMELINECOMMENTADD", "ONCRMTIMELINECOMMENTUPDATE", "ONCRMTIMELINECOMMENTDELETE",
       "ONTASKCOMMENTADD", "ONTASKCOMMENTUPDATE", "ONTASKCOMMENTDELETE"]
)


@dataclass
class Subscription:
    id: int
    event: str
    handler: str
    auth_type: int
    offline: bool
    app_id: int | None = None
    hook_id: int | None = None
    connector: str = ""


@dataclass
class OutgoingWebhook:
    id: int
    handler_url: str
    events: list[str]
    application_token: str


@dataclass
class OfflineRecord:
    id: int
    event: str
    data: dict[str, Any]
    timestamp: str
    message_id: str
    process_id: str | None = None
    error: int = 0

    def view(self) -> dict[str, Any]:
        return {"ID": str(self.id), "TIMESTAMP_X": self.timestamp, "EVENT_NAME": self.event,
                "EVENT_DATA": self.data, "EVENT_ADDITIONAL": {"user_id": "1"}, "MESSAGE_ID": self.message_id,
                "PROCESS_ID": self.process_id, "ERROR": str(self.error)}


@dataclass
class PortalIdentity:
    domain: str
    client_endpoint: str
    member_id: str
    server_endpoint: str = "https://oauth.bitrix.info/rest/"


@dataclass
class EventHub:
    identity: Callable[[], PortalIdentity]
    apps: dict[str, OAuthApp] = field(default_factory=dict)  # access_token -> app
    hooks: dict[int, OutgoingWebhook] = field(default_factory=dict)
    subs: list[Subscription] = field(default_factory=list)
    offline: dict[int, dict[tuple[str, str], OfflineRecord]] = field(default_factory=dict)
    deliveries: list[dict[str, Any]] = field(default_factory=list)
    _seq: int = 0
    current_connector: str = ""  # auth_connector of the call being executed (handlers run one at a time)
    _pending: list[tuple[str, Subscription, dict[str, Any]]] = field(default_factory=list)
    _queue: asyncio.Queue[tuple[str, Subscription, dict[str, Any]] | None] | None = None
    _worker: asyncio.Task[None] | None = None

    def next_id(self) -> int:
        self._seq += 1
        return self._seq

    # ---- admin-side setup -------------------------------------------------------------------------
    def create_app(self, expires_in: float = 3600.0) -> OAuthApp:
        app = OAuthApp(app_id=self.next_id(), access_token=secrets.token_hex(24),
                       refresh_token=secrets.token_hex(24), application_token=secrets.token_hex(16),
                       member_id=self.identity().member_id, client_id=f"local.{secrets.token_hex(7)}",
                       client_secret=secrets.token_urlsafe(30), expires_at=time.time() + expires_in)
        self.apps[app.access_token] = app
        return app

    def refresh(self, refresh_token: str, client_id: str | None, client_secret: str | None,
                expires_in: float = 3600.0) -> OAuthApp | None:
        """OAuth refresh grant: a new access/refresh pair for the same installed application."""
        app = next((a for a in self.apps.values() if hmac.compare_digest(a.refresh_token, refresh_token)),
                   None)
        if app is None:
            return None
        if client_id is not None and client_id != app.client_id:
            return None
        if client_secret is not None and not hmac.compare_digest(client_secret, app.client_secret):
            return None
        del self.apps[app.access_token]
        app.access_token = secrets.token_hex(24)
        app.refresh_token = secrets.token_hex(24)
        app.expires_at = time.time() + expires_in
        self.apps[app.access_token] = app
        return app

    def add_hook(self, handler_url: str, events: list[str]) -> OutgoingWebhook:
        hook = OutgoingWebhook(self.next_id(), handler_url, events, secrets.token_hex(16))
        self.hooks[hook.id] = hook
        for name in events:
            self.subs.append(Subscription(self.next_id(), name, handler_url, 0, False, hook_id=hook.id))
        return hook

    def remove_hook(self, hook_id: int) -> bool:
        if self.hooks.pop(hook_id, None) is None:
            return False
        self.subs = [s for s in self.subs if s.hook_id != hook_id]
        return True

    def reset(self) -> None:
        self.hooks.clear()
        self.subs.clear()
        self.offline.clear()
        self.deliveries.clear()
        self.apps.clear()

    # ---- emission ----------------------------------------------------------------------------------
    def emit(self, event: str, fields: Mapping[str, Any]) -> None:
        """CRM events: ``data[FIELDS][ID]`` (and ``ENTITY_TYPE_ID`` for smart processes)."""
        fields_text = {k: str(v) for k, v in fields.items()}
        self.emit_data(event, {"FIELDS": fields_text}, fields_text.get("ID", ""))

    def emit_data(self, event: str, data: Mapping[str, Any], key: Any) -> None:
        """Any event shape (tasks: ``FIELDS_BEFORE``/``FIELDS_AFTER``, timeline: ``ID``, users: the
        user's fields); ``key`` names the object, so an offline queue keeps one record per object."""
        name = event.upper()
        payload = dict(data)
        for sub in list(self.subs):
            if sub.event != name:
                continue
            if sub.offline and sub.app_id is not None:
                if sub.connector and sub.connector == self.current_connector:
                    continue  # the caller's own change: no echo back into its queue
                self._store_offline(sub.app_id, name, payload, str(key))
            else:
                self._enqueue((name, sub, payload))

    def _store_offline(self, app_id: int, event: str, data: dict[str, Any], object_key: str) -> None:
        """One record per object and event: a newer change replaces the queued one."""
        queue = self.offline.setdefault(app_id, {})
        key = (event, object_key)
        queue.pop(key, None)
        queue[key] = OfflineRecord(self.next_id(), event, data, now_iso(), secrets.token_hex(16))

    def _enqueue(self, item: tuple[str, Subscription, dict[str, Any]]) -> None:
        if self._queue is None:
            self._pending.append(item)
        else:
            self._queue.put_nowait(item)

    def form_for(self, event: str, sub: Subscription, data: dict[str, Any]) -> list[tuple[str, str]]:
        ident = self.identity()
        pairs = [("event", event), ("event_handler_id", str(sub.id))]
        pairs.extend(flatten_form("data", data))
        pairs.append(("ts", str(int(time.time()))))
        app = next((a for a in self.apps.values() if a.app_id == sub.app_id), None)
        if app is not None:
            pairs += [("auth[access_token]", app.access_token), ("auth[expires_in]", "3600"),
                      ("auth[scope]", app.scope), ("auth[domain]", ident.domain),
                      ("auth[server_endpoint]", ident.server_endpoint), ("auth[status]", "L"),
                      ("auth[client_endpoint]", ident.client_endpoint), ("auth[member_id]", ident.member_id),
                      ("auth[user_id]", str(app.user_id)), ("auth[application_token]", app.application_token)]
        else:
            hook = self.hooks.get(sub.hook_id or -1)
            pairs += [("auth[domain]", ident.domain), ("auth[client_endpoint]", ident.client_endpoint),
                      ("auth[server_endpoint]", ident.server_endpoint), ("auth[member_id]", ident.member_id),
                      ("auth[application_token]", hook.application_token if hook else "")]
        return pairs

    # ---- worker ------------------------------------------------------------------------------------
    async def start(self) -> None:
        self._queue = asyncio.Queue()
        for item in self._pending:
            self._queue.put_nowait(item)
        self._pending.clear()
        self._worker = asyncio.create_task(self._run())

    async def stop(self) -> None:
        if self._queue is not None and self._worker is not None:
            self._queue.put_nowait(None)
            try:
                await asyncio.wait_for(self._worker, 5)
            except (TimeoutError, asyncio.CancelledError):
                self._worker.cancel()
        self._queue = None
        self._worker = None

    async def _run(self) -> None:
        assert self._queue is not None
        # trust_env off: a proxy from the environment must not sit between the portal and handlers
        async with httpx.AsyncClient(timeout=10.0, follow_redirects=False, trust_env=False) as client:
            while True:
                item = await self._queue.get()
                if item is None:
                    return
                event, sub, data = item
                body = urllib.parse.urlencode(self.form_for(event, sub, data))
                record: dict[str, Any] = {"event": event, "handler": sub.handler, "id": event_object_id(data)}
                try:
                    response = await client.post(
                        sub.handler, content=body,
                        headers={"Content-Type": "application/x-www-form-urlencoded",
                                 "User-Agent": "Bitrix24 Webhook Engine"})
                    record["status"] = response.status_code
                except httpx.HTTPError as exc:  # no retry: the portal logs and forgets
                    record["status"] = None
                    record["error"] = type(exc).__name__
                    log.info("event %s to %s failed: %s", event, sub.handler, type(exc).__name__)
                self.deliveries.append(record)
                del self.deliveries[:-500]


def flatten_form(prefix: str, value: Any) -> list[tuple[str, str]]:
    """``{"FIELDS_AFTER": {"ID": 5}}`` -> ``data[FIELDS_AFTER][ID]=5``, as PHP's http_build_query."""
    if isinstance(value, Mapping):
        out: list[tuple[str, str]] = []
        for key, inner in value.items():
            out.extend(flatten_form(f"{prefix}[{key}]", inner))
        return out
    if isinstance(value, list | tuple):
        return [pair for n, inner in enumerate(value) for pair in flatten_form(f"{prefix}[{n}]", inner)]
    if value is None:
        return [(prefix, "")]
    if isinstance(value, bool):
        return [(prefix, "1" if value else "")]
    return [(prefix, str(value))]


def event_object_id(data: Mapping[str, Any]) -> Any:
    """The object an event is about, whatever the event's data shape."""
    for part in ("FIELDS", "FIELDS_AFTER", "FIELDS_BEFORE"):
        inner = data.get(part)
        if isinstance(inner, Mapping) and "ID" in inner:
            return inner["ID"]
    return data.get("ID")


# ---- REST methods -----------------------------------------------------------------------------------------
def _app_of(call: Call) -> OAuthApp:
    if call.caller.kind != "app" or call.caller.app is None:
        # Bitrix\Rest\AuthTypeException is an AccessException, hence HTTP 403
        raise BitrixError(403, "WRONG_AUTH_TYPE", "Current authorization type is denied for this method")
    return call.caller.app


def register_events(reg: Registry, hub: EventHub) -> None:
    def bind(call: Call) -> bool:
        app = _app_of(call)
        p = call.params
        event = str(ci_get(p, "event") or "").strip().upper()
        if event not in KNOWN_EVENTS:
            raise BitrixError(400, "ERROR_EVENT_NOT_FOUND", "Event not found")
        offline = str(ci_get(p, "event_type") or "online").lower() == "offline"
        handler = str(ci_get(p, "handler") or "").strip()
        if not offline:
            parsed = urllib.parse.urlparse(handler)
            if parsed.scheme not in ("http", "https") or not parsed.netloc:
                raise BitrixError(400, "WRONG_HANDLER_URL", "Wrong handler URL")
        auth_type = php_int(ci_get(p, "auth_type", 0))
        for sub in hub.subs:
            if (sub.app_id == app.app_id and sub.event == event and sub.offline == offline
                    and (offline or sub.handler == handler) and sub.auth_type == auth_type):
                raise BitrixError(400, "ERROR_HANDLER_ALREADY_EXIST", "Handler already exists!")
        hub.subs.append(Subscription(hub.next_id(), event, "" if offline else handler, auth_type, offline,
                                     app_id=app.app_id, connector=str(ci_get(p, "auth_connector") or "")))
        return True

    def get(call: Call) -> list[dict[str, Any]]:
        app = _app_of(call)
        return [{"event": s.event, "handler": s.handler, "auth_type": str(s.auth_type),
                 "offline": int(s.offline)}
                for s in hub.subs if s.app_id == app.app_id]

    def unbind(call: Call) -> dict[str, int]:
        app = _app_of(call)
        p = call.params
        event = str(ci_get(p, "event") or "").strip().upper()
        handler = ci_get(p, "handler")
        offline = str(ci_get(p, "event_type") or "online").lower() == "offline"
        keep, removed = [], 0
        for s in hub.subs:
            if (s.app_id == app.app_id and s.event == event and s.offline == offline
                    and (handler in (None, "") or s.handler == handler)):
                removed += 1
            else:
                keep.append(s)
        hub.subs = keep
        return {"count": removed}

    def events(call: Call) -> list[str]:
        return sorted(KNOWN_EVENTS)

    def offline_get(call: Call) -> dict[str, Any]:
        app = _app_of(call)
        p = call.params
        queue = hub.offline.setdefault(app.app_id, {})
        limit = max(1, min(php_int(ci_get(p, "limit", 50), 50), 1000))
        clear = php_bool(ci_get(p, "clear", 1))
        process_id = str(ci_get(p, "process_id") or "") or secrets.token_hex(16)
        want_error = php_int(ci_get(p, "error", 0))
        chosen = [r for r in queue.values() if r.process_id is None and r.error == want_error]
        chosen.sort(key=lambda r: (r.timestamp, r.id))
        chosen = chosen[:limit]
        if clear:
            ids = {r.id for r in chosen}
            for key in [k for k, r in queue.items() if r.id in ids]:
                del queue[key]
        else:
            for r in chosen:
                r.process_id = process_id
        return {"process_id": process_id, "events": [r.view() for r in chosen]}

    def offline_clear(call: Call) -> bool:
        app = _app_of(call)
        p = call.params
        process_id = str(ci_get(p, "process_id") or "")
        if not process_id:
            raise BitrixError(400, "ERROR_ARGUMENT", "Argument 'process_id' is null or empty")
        ids = {str(i) for i in as_list(ci_get(p, "id"))}
        messages = {str(m) for m in as_list(ci_get(p, "message_id"))}
        queue = hub.offline.setdefault(app.app_id, {})
        for key in [k for k, r in queue.items() if r.process_id == process_id
                    and (not ids or str(r.id) in ids) and (not messages or r.message_id in messages)]:
            del queue[key]
        return True

    def offline_error(call: Call) -> bool:
        app = _app_of(call)
        p = call.params
        process_id = str(ci_get(p, "process_id") or "")
        if not process_id:
            raise BitrixError(400, "ERROR_ARGUMENT", "Argument 'process_id' is null or empty")
        messages = {str(m) for m in as_list(ci_get(p, "message_id"))}
        for r in hub.offline.setdefault(app.app_id, {}).values():
            if r.process_id == process_id and (not messages or r.message_id in messages):
                r.error, r.process_id = 1, None
        return True

    def offline_list(call: Call) -> MethodResult:
        app = _app_of(call)
        start = max(php_int(ci_get(call.params, "start", 0)), 0)
        records = sorted(hub.offline.setdefault(app.app_id, {}).values(), key=lambda r: r.id)
        page = [r.view() for r in records[start:start + 50]]
        nxt = start + 50 if start + 50 < len(records) else None
        return MethodResult(page, total=len(records), next=nxt)

    reg.add("event.bind", bind)
    reg.add("event.get", get)
    reg.add("event.unbind", unbind)
    reg.add("events", events)
    reg.add("event.offline.get", offline_get)
    reg.add("event.offline.clear", offline_clear)
    reg.add("event.offline.error", offline_error)
    reg.add("event.offline.list", offline_list)
