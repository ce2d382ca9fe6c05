"""Small helpers for tests to act on the twins as a user would (edit an issue, move a deal)."""

from __future__ import annotations

from typing import Any

import httpx
from sqlalchemy import create_engine, text


class Jira:
    def __init__(self, info: dict[str, Any]) -> None:
        self.client = httpx.Client(base_url=info["jira_url"], auth=(info["jira_user"], info["jira_token"]),
                                   timeout=30, trust_env=False)

    def search(self, jql: str, limit: int = 5) -> list[dict[str, Any]]:
        resp = self.client.get("/rest/api/2/search", params={"jql": jql, "maxResults": limit})
        return list(resp.raise_for_status().json()["issues"])

    def issue(self, key: str) -> dict[str, Any]:
        return dict(self.client.get(f"/rest/api/2/issue/{key}").raise_for_status().json())

    def edit(self, key: str, fields: dict[str, Any]) -> None:
        self.client.put(f"/rest/api/2/issue/{key}", json={"fields": fields}).raise_for_status()

    def webhooks(self) -> list[dict[str, Any]]:
        return list(self.client.get("/rest/webhooks/1.0/webhook").raise_for_status().json())


class Bitrix24:
    def __init__(self, info: dict[str, Any]) -> None:
        self.url = info["bitrix_webhook_url"]
        self.base = self.url.split("/rest/")[0]
        self.client = httpx.Client(timeout=30, trust_env=False)
        self.admin = httpx.Client(base_url=self.base, headers={"Authorization": f"Bearer {info['admin_token']}"},
                                  timeout=30, trust_env=False)

    def call(self, method: str, params: dict[str, Any] | None = None, token: str | None = None) -> Any:
        if token:
            resp = self.client.post(f"{self.base}/rest/{method}", json={**(params or {}), "auth": token})
        else:
            resp = self.client.post(f"{self.url}{method}", json=params or {})
        return resp.raise_for_status().json()["result"]

    def outgoing_webhook(self, handler_url: str, events: list[str]) -> dict[str, Any]:
        resp = self.admin.post("/_sandbox/outgoing-webhook", json={"handler_url": handler_url, "events": events})
        return dict(resp.raise_for_status().json())

    def oauth_app(self) -> dict[str, Any]:
        return dict(self.admin.post("/_sandbox/oauth-app", json={"expires_in": 36000}).raise_for_status().json())


def linked_deal(db_url: str, profile: str, jira_id: str) -> str | None:
    engine = create_engine(db_url)
    try:
        with engine.connect() as conn:
            return conn.execute(text("SELECT bitrix24_id FROM sync_links WHERE profile = :p AND jira_id = :j"),
                                {"p": profile, "j": jira_id}).scalar()
    finally:
        engine.dispose()
