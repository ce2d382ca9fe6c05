"""Method registry and the call context handlers receive (who calls, with which parameters)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sync_engine.sandbox.bitrix24.envelope import MethodResult


@dataclass
class OAuthApp:
    """An installed application: its access token authenticates ``/rest/{method}?auth=`` calls."""

    app_id: int
    access_token: str
    refresh_token: str
    application_token: str
    member_id: str
    client_id: str = ""
    client_secret: str = ""
    expires_at: float = 0.0  # access token lifetime, as the portal's one hour
    user_id: int = 1
    scope: str = "crm,user,user.userfield,department,im,task,lists,log,disk,placement"


@dataclass
class Caller:
    user_id: int
    kind: str  # "webhook" or "app"
    principal: str  # identity for the operating-time limit ("webhook:1" / "app:3")
    app: OAuthApp | None = None
    scopes: frozenset[str] | None = None  # None: every scope (a webhook created with all rights)
    admin: bool = False  # a portal administrator (user.admin; may invite, edit structure, approve any task)


# Longest prefix first: ``user.userfield.*`` needs its own scope, as on the portal.
_SCOPE_PREFIXES = (("user.userfield.", "user.userfield"), ("crm.", "crm"), ("user.", "user"),
                   ("department.", "department"), ("im.", "im"), ("tasks.", "task"), ("task.", "task"),
                   ("lists.", "lists"), ("log.", "log"), ("disk.", "disk"))
GLOBAL_METHODS = frozenset({
    "batch", "methods", "scope", "server.time", "app.info", "profile", "events", "event.bind", "event.get",
    "event.unbind", "event.offline.get", "event.offline.clear", "event.offline.error", "event.offline.list",
    "user.current", "user.admin",
})


def scope_of(method: str) -> str | None:
    """The permission scope a method needs (None for the global ones every token has)."""
    if method in GLOBAL_METHODS:
        return None
    return next((scope for prefix, scope in _SCOPE_PREFIXES if method.startswith(prefix)), None)


@dataclass
class Call:
    method: str
    params: dict[str, Any]
    caller: Caller
    in_batch: bool = False
    extra: dict[str, Any] = field(default_factory=dict)


Handler = Callable[[Call], Any]


class Registry:
    def __init__(self) -> None:
        self.handlers: dict[str, Handler] = {}

    def add(self, name: str, handler: Handler) -> None:
        self.handlers[name.lower()] = handler

    def get(self, name: str) -> Handler | None:
        return self.handlers.get(name.lower())

    def names(self) -> list[str]:
        return sorted(self.handlers)


def as_result(value: Any) -> MethodResult:
    return value if isinstance(value, MethodResult) else MethodResult(value)
