"""Admin routes for what people receive and who acts: webhooks of other users and the outbox.

``POST /_sandbox/webhook {"user_id", "scope"?, "admin"?}`` creates an inbound webhook of any user
(what that user would make in their own profile), so a test can complete or reject a task as its
assignee. ``GET /_sandbox/notifications``, ``/_sandbox/posts`` and ``/_sandbox/invitations`` list
what the portal delivered (filters: ``user_id``, ``tag``), so tests can assert "sent exactly once".
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass, field

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from sync_engine.sandbox.bitrix24.methods_feed import outbox_notifications, outbox_posts
from sync_engine.sandbox.bitrix24.portal import Portal
from sync_engine.sandbox.bitrix24.users import get_user
from sync_engine.sandbox.common.admin import admin_error, read_json_object


@dataclass
class ExtraWebhook:
    user_id: int
    secret: str
    scopes: frozenset[str] | None


@dataclass
class Webhooks:
    """Inbound webhooks besides the settings' one, and who counts as an administrator."""

    hooks: dict[tuple[int, str], ExtraWebhook] = field(default_factory=dict)
    admins: set[int] = field(default_factory=lambda: {1})

    def create(self, user_id: int, scopes: frozenset[str] | None) -> ExtraWebhook:
        hook = ExtraWebhook(user_id, secrets.token_hex(8), scopes)
        self.hooks[(user_id, hook.secret)] = hook
        return hook

    def find(self, user_id: int, secret: str) -> ExtraWebhook | None:
        return next((h for (uid, s), h in self.hooks.items()
                     if uid == user_id and secrets.compare_digest(s, secret)), None)


def admin_people_routes(portal: Portal, webhooks: Webhooks, base_url: Callable[[], str]) -> list[Route]:
    async def add_webhook(request: Request) -> JSONResponse:
        data = await read_json_object(request)
        if isinstance(data, JSONResponse):
            return data
        raw = data.get("user_id")
        if isinstance(raw, bool) or not str(raw).strip().isdigit():
            return admin_error(400, "user_id must be the id of a portal user")
        user_id = int(str(raw))
        user = get_user(portal, user_id)
        if user is None:
            return admin_error(404, f"no user {user_id} on the portal")
        if not user.get("ACTIVE"):
            return admin_error(400, f"user {user_id} is dismissed (ACTIVE=N) and cannot have webhooks")
        scope = data.get("scope")
        if scope is not None and not isinstance(scope, str):
            return admin_error(400, "scope must be a comma-separated string such as 'task,user'")
        scopes = frozenset(s.strip() for s in (scope or "").split(",") if s.strip()) or None
        if data.get("admin"):
            webhooks.admins.add(user_id)
        hook = webhooks.create(user_id, scopes)
        return JSONResponse({"user_id": user_id, "secret": hook.secret,
                             "url": f"{base_url()}/rest/{user_id}/{hook.secret}/",
                             "scope": sorted(scopes) if scopes else None, "admin": user_id in webhooks.admins})

    def filtered(rows: list[dict[str, object]], request: Request, user_key: str) -> JSONResponse:
        user = request.query_params.get("user_id")
        tag = request.query_params.get("tag")
        if user is not None:
            rows = [r for r in rows if str(r.get(user_key)) == user]
        if tag is not None:
            rows = [r for r in rows if r.get("TAG") == tag]
        return JSONResponse(rows)

    async def notifications(request: Request) -> JSONResponse:
        return filtered(outbox_notifications(portal), request, "USER_ID")

    async def posts(request: Request) -> JSONResponse:
        return filtered(outbox_posts(portal), request, "AUTHOR_ID")

    async def invitations(request: Request) -> JSONResponse:
        return filtered([{"ID": i, **d} for i, d in portal.records("invite")], request, "USER_ID")

    return [
        Route("/webhook", add_webhook, methods=["POST"]),
        Route("/notifications", notifications, methods=["GET"]),
        Route("/posts", posts, methods=["GET"]),
        Route("/invitations", invitations, methods=["GET"]),
    ]
