"""Fixtures shared by every test package: the two twins, served over loopback HTTP."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


class Admin:
    """Talks to a twin's admin endpoint, the way tests read API-call counters and inject faults."""

    def __init__(self, base_url: str, token: str) -> None:
        self._client = httpx.Client(base_url=base_url, headers={"Authorization": f"Bearer {token}"}, timeout=30)

    def counters(self) -> dict[str, Any]:
        return self._client.get("/_sandbox/counters").raise_for_status().json()

    def faults(self, **settings: Any) -> dict[str, Any]:
        return self._client.post("/_sandbox/faults", json=settings).raise_for_status().json()

    def reset(self, **what: bool) -> None:
        self._client.post("/_sandbox/reset", json=what).raise_for_status()

    def seed(self, **options: Any) -> dict[str, Any]:
        return self._client.post("/_sandbox/seed", json=options, timeout=300).raise_for_status().json()

    def post(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        return self._client.post(path, json=body).raise_for_status().json()

    def close(self) -> None:
        self._client.close()


class RunningSandbox:
    def __init__(self, info: dict[str, Any]) -> None:
        self.info = info
        self.jira_admin = Admin(info["jira_url"], info["admin_token"])
        base = info["bitrix_webhook_url"].split("/rest/")[0]
        self.bitrix_admin = Admin(base, info["admin_token"])

    def close(self) -> None:
        self.jira_admin.close()
        self.bitrix_admin.close()


@pytest.fixture(scope="session")
def sandbox() -> Iterator[RunningSandbox]:
    """Both twins with the demo seed and limits off, shared by a test session (one per xdist worker).

    Tests that change data should use their own twin (see tests/sandbox) or undo what they did.
    """
    from sync_engine.sandbox.server import Sandbox, SandboxOptions

    box = Sandbox(SandboxOptions(limits=False))
    info = box.start_in_thread()
    running = RunningSandbox(info)
    yield running
    running.close()
    box.stop()
