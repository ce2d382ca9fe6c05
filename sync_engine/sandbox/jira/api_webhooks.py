"""``/rest/webhooks/1.0/webhook`` (and DC 10's ``/rest/jira-webhook/1.0/webhooks``) registration."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from sync_engine.sandbox.jira.context import actor
from sync_engine.sandbox.jira.errors import ApiError
from sync_engine.sandbox.jira.http_util import read_json
from sync_engine.sandbox.jira.webhooks import WebhookHub


class WebhookApi:
    def __init__(self, hub: WebhookHub) -> None:
        self.hub = hub
        self.store = hub.service.store

    def _find(self, request: Request) -> dict[str, object]:
        raw = request.path_params["id"]
        hook = next((h for h in self.store.webhooks() if str(h["id"]) == raw), None)
        if hook is None:
            raise ApiError(404, [f"Webhook with id '{raw}' does not exist."])
        return hook

    async def list(self, request: Request) -> Response:
        return JSONResponse([self.hub.public(h) for h in self.store.webhooks()])

    async def get(self, request: Request) -> Response:
        return JSONResponse(self.hub.public(self._find(request)))

    async def create(self, request: Request) -> Response:
        body = await read_json(request)
        hook = self.hub.validate(body, actor(request))
        hook_id = self.store.next_value("webhook_id", 1)
        self.store.save_webhook(hook_id, hook)
        return JSONResponse(self.hub.public({**hook, "id": hook_id}), status_code=201)

    async def update(self, request: Request) -> Response:
        existing = self._find(request)
        body = await read_json(request)
        hook = self.hub.validate(body, actor(request), existing=dict(existing))
        hook_id = int(str(existing["id"]))
        self.store.save_webhook(hook_id, hook)
        return JSONResponse(self.hub.public({**hook, "id": hook_id}))

    async def delete(self, request: Request) -> Response:
        hook = self._find(request)
        self.store.delete_webhook(int(str(hook["id"])))
        return Response(status_code=204)
