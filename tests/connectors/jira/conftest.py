"""JIRA twins (Server and Cloud flavour) served over loopback for the connector tests."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from sync_engine.connectors.base import EntityScope
from sync_engine.connectors.jira import JiraConnector

ADMIN_TOKEN = "jira-connector-tests-admin"


class TwinAdmin:
    def __init__(self, base_url: str) -> None:
        self._client = httpx.Client(
            base_url=base_url, headers={"Authorization": f"Bearer {ADMIN_TOKEN}"}, timeout=60
        )

    def counters(self) -> dict[str, Any]:
        return self._client.get("/_sandbox/counters").raise_for_status().json()

    def calls(self, key: str) -> int:
        return int(self.counters()["by_method"].get(key, 0))

    def total(self) -> int:
        return int(self.counters()["total"])

    def faults(self, **settings: Any) -> dict[str, Any]:
        return self._client.post("/_sandbox/faults", json=settings).raise_for_status().json()

    def reset(self) -> None:
        self._client.post("/_sandbox/reset", json={"counters": True, "faults": True}).raise_for_status()

    def close(self) -> None:
        self._client.close()


@dataclass
class ServedJira:
    flavour: str
    url: str
    user: str
    token: str
    admin: TwinAdmin

    def connector(self, **kwargs: Any) -> JiraConnector:
        """Cloud: e-mail + API token (Basic); Server: the token as a Bearer PAT."""
        kwargs.setdefault("backoff", 0.01)
        kwargs.setdefault("max_backoff", 0.05)
        if self.flavour == "cloud":
            kwargs.setdefault("user", self.user)
        return JiraConnector(self.url, token=kwargs.pop("token", self.token), **kwargs)

    def search_key(self) -> str:
        return "GET /rest/api/2/search/jql" if self.flavour == "cloud" else "GET /rest/api/2/search"


@pytest.fixture(scope="module", params=["server", "cloud"])
def jira_twin(request: pytest.FixtureRequest) -> Iterator[ServedJira]:
    from sync_engine.sandbox.common.threaded import ThreadedTwinServer
    from sync_engine.sandbox.common.twin import TwinSettings
    from sync_engine.sandbox.jira.app import create_twin

    flavour = str(request.param)
    twin = create_twin(TwinSettings(admin_token=ADMIN_TOKEN, seed="demo", flavour=flavour, limits=False))
    server = ThreadedTwinServer(twin)
    server.start(timeout=60)
    info = twin.connection_info()
    admin = TwinAdmin(info["jira_url"])
    try:
        yield ServedJira(flavour, info["jira_url"], info["jira_user"], info["jira_token"], admin)
    finally:
        admin.close()
        server.stop()


@pytest.fixture
def tagged_scope() -> EntityScope:
    """PROC purchase requests carrying a label unique to the test, so tests sharing a twin stay apart."""
    label = f"t{uuid.uuid4().hex[:10]}"
    return EntityScope(
        "issue", projects=("PROC",), issue_types=("Purchase request",), query=f"labels = {label}"
    )

