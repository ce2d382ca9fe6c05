"""Admin webhooks: registration (``/rest/webhooks/1.0/webhook``) and asynchronous, signed delivery.

Which hooks fire is decided when the change happens (the filter JQL runs against the issue as it is
then, even for deletes); the POSTs go out later from a worker task, with a few retries on 5xx and
connection errors, as JIRA delivers them: possibly late and possibly more than once.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import json
import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlparse

import httpx

from sync_engine.sandbox.jira import jql
from sync_engine.sandbox.jira.errors import ApiError
from sync_engine.sandbox.jira.render import Renderer
from sync_engine.sandbox.jira.service import IssueService
from sync_engine.sandbox.jira.store import IssueRow

log = logging.getLogger(__name__)

KNOWN_EVENTS = (
    "jira:issue_created", "jira:issue_updated", "jira:issue_deleted",
    "comment_created", "comment_updated", "comment_deleted",
)
FILTER_KEY = "issue-related-events-section"
COMMENT_EVENTS = {"issue_commented": "comment_created", "issue_comment_edited": "comment_updated",
                  "issue_comment_deleted": "comment_deleted"}
RETRY_STATUSES = frozenset({408, 409, 425, 429})


@dataclass
class Delivery:
    url: str
    body: bytes
    secret: str | None
    identifier: str
    attempt: int = 0


class WebhookHub:
    def __init__(self, service: IssueService, renderer: Renderer, retries: int = 3, retry_delay: float = 0.2,
                 clock: Callable[[], int] | None = None) -> None:
        self.service = service
        self.renderer = renderer
        self.retries = retries
        self.retry_delay = retry_delay
        self.clock = clock or service.clock
        self._pending: list[Delivery] = []
        self._queue: asyncio.Queue[Delivery] | None = None
        self._task: asyncio.Task[None] | None = None
        self._client: httpx.AsyncClient | None = None
        self.delivered = 0
        self.failed = 0
        service.listeners.append(self.on_event)

    # -- registry --------------------------------------------------------------------------------------------
    def url_of(self, webhook_id: int) -> str:
        return f"{self.renderer.base}/rest/webhooks/1.0/webhook/{webhook_id}"

    def validate(self, body: Any, actor: str, existing: dict[str, Any] | None = None) -> dict[str, Any]:
        if not isinstance(body, dict):
            raise ApiError(400, ["The webhook must be a JSON object."])
        merged = {**(existing or {}), **body}
        errors: dict[str, str] = {}
        name = merged.get("name")
        if not isinstance(name, str) or not name.strip():
            errors["name"] = "The webhook name must be specified."
        url = merged.get("url")
        if not isinstance(url, str) or urlparse(url).scheme not in ("http", "https") or not urlparse(url).netloc:
            errors["url"] = "The webhook URL must be an absolute http(s) URL."
        events = merged.get("events", [])
        if not isinstance(events, list) or not all(isinstance(e, str) for e in events):
            errors["events"] = "The events must be a list of event names."
        else:
            unknown = [e for e in events if e not in KNOWN_EVENTS]
            if unknown:
                errors["events"] = f"Unknown webhook event(s): {', '.join(unknown)}."
        filters = merged.get("filters") or {}
        if not isinstance(filters, dict):
            errors["filters"] = "The filters must be an object."
        else:
            query = filters.get(FILTER_KEY) or ""
            if not isinstance(query, str):
                errors["filters"] = f"The '{FILTER_KEY}' filter must be a JQL string."
            elif query.strip():
                try:
                    self.service.compile(query, actor, check_keys=False)
                except jql.JqlError as exc:
                    errors["filters"] = str(exc)
        secret = merged.get("secret")
        if secret is not None and not isinstance(secret, str):
            errors["secret"] = "The secret must be a string."
        if errors:
            raise ApiError(400, [], errors)
        return {"name": name, "url": url, "events": events, "filters": filters or {FILTER_KEY: ""},
                "excludeBody": bool(merged.get("excludeBody", False)),
                "enabled": merged.get("enabled", True) is not False,
                "secret": secret, "lastUpdatedUser": actor, "lastUpdated": self.clock()}

    def public(self, hook: dict[str, Any]) -> dict[str, Any]:
        user = self.renderer.cat.users.get(hook.get("lastUpdatedUser", ""))
        return {"self": self.url_of(hook["id"]), "name": hook["name"], "url": hook["url"],
                "events": hook["events"], "filters": hook["filters"], "excludeBody": hook["excludeBody"],
                "enabled": hook["enabled"], "lastUpdatedUser": hook.get("lastUpdatedUser"),
                "lastUpdatedDisplayName": user.display_name if user else None,
                "lastUpdated": hook.get("lastUpdated")}

    # -- events -------------------------------------------------------------------------------------------
    def on_event(self, event: str, type_name: str, row: IssueRow, changelog: dict[str, Any] | None,
                 comment: dict[str, Any] | None, actor: str) -> None:
        self._fire(event, type_name, row, changelog, comment, actor)
        if comment is not None:  # JIRA also raises the comment's own event
            self._fire(COMMENT_EVENTS.get(type_name, "comment_created"), type_name, row, None, comment, actor)

    def _fire(self, event: str, type_name: str, row: IssueRow, changelog: dict[str, Any] | None,
              comment: dict[str, Any] | None, actor: str) -> None:
        hooks = [h for h in self.service.store.webhooks() if h.get("enabled", True) and event in h["events"]]
        if not hooks:
            return
        payload: dict[str, Any] | None = None
        for hook in hooks:
            query = (hook.get("filters") or {}).get(FILTER_KEY) or ""
            if query.strip():
                try:
                    compiled = self.service.compile(query, actor, check_keys=False)
                except jql.JqlError:
                    continue
                if not self.service.store.matches(row.id, compiled.where, compiled.params):
                    continue
            if payload is None:
                payload = self.payload(event, type_name, row, changelog, comment, actor)
            body = payload if not hook.get("excludeBody") else {"webhookEvent": event}
            raw = json.dumps(body, ensure_ascii=False).encode()
            self.enqueue(Delivery(hook["url"], raw, hook.get("secret"), str(uuid.uuid4())))

    def payload(self, event: str, type_name: str, row: IssueRow, changelog: dict[str, Any] | None,
                comment: dict[str, Any] | None, actor: str) -> dict[str, Any]:
        r = self.renderer
        store = self.service.store
        if event.startswith("comment_"):  # comment events carry the comment and a slim issue, no user block
            slim = r.wanted_fields(["summary", "issuetype", "project", "assignee", "priority", "status"], "")
            out: dict[str, Any] = {"timestamp": self.clock(), "webhookEvent": event,
                                   "comment": r.comment(row.id, comment or {}), "issue": r.issue(row, slim, set())}
            return out
        comments = store.comments([row.id])[row.id]
        issue = r.issue(row, r.wanted_fields(["*all"], "*all"), set(), comments=comments)
        out = {"timestamp": self.clock(), "webhookEvent": event, "issue_event_type_name": type_name,
               "user": r.user(actor), "issue": issue}
        if changelog is not None:
            out["changelog"] = changelog
        if comment is not None:
            out["comment"] = r.comment(row.id, comment)
        return out

    def enqueue(self, delivery: Delivery) -> None:
        if self._queue is None:
            self._pending.append(delivery)
        else:
            self._queue.put_nowait(delivery)

    # -- worker -----------------------------------------------------------------------------------------
    async def start(self) -> None:
        if self._task is not None:
            return
        self._queue = asyncio.Queue()
        for d in self._pending:
            self._queue.put_nowait(d)
        self._pending.clear()
        self._client = httpx.AsyncClient(timeout=10.0)
        self._task = asyncio.create_task(self._run(), name="jira-webhook-worker")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        if self._client is not None:
            await self._client.aclose()
            self._client = None
        self._queue = None

    async def _run(self) -> None:
        assert self._queue is not None
        while True:
            delivery = await self._queue.get()
            try:
                await self._deliver(delivery)
            except Exception:  # a broken receiver must never kill the worker
                log.exception("webhook delivery to %s failed", delivery.url)

    async def _deliver(self, d: Delivery) -> None:
        assert self._client is not None
        headers = {"Content-Type": "application/json; charset=UTF-8", "User-Agent": "Atlassian Webhook HTTP Client",
                   "X-Atlassian-Webhook-Identifier": d.identifier}
        if d.secret:
            digest = hmac.new(d.secret.encode(), d.body, hashlib.sha256).hexdigest()
            headers["X-Hub-Signature"] = f"sha256={digest}"
        while True:
            if d.attempt:
                headers["X-Atlassian-Webhook-Retry"] = str(d.attempt)
            retry = False
            try:
                resp = await self._client.post(d.url, content=d.body, headers=headers)
                retry = resp.status_code >= 500 or resp.status_code in RETRY_STATUSES
            except httpx.HTTPError:
                retry = True
            if not retry:
                self.delivered += 1
                return
            if d.attempt >= self.retries:
                self.failed += 1
                log.warning("webhook delivery to %s gave up after %d attempts", d.url, d.attempt + 1)
                return
            d.attempt += 1
            await asyncio.sleep(self.retry_delay * (2 ** (d.attempt - 1)))
