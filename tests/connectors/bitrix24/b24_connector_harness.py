"""Bitrix24 twins served over loopback for the connector tests, plus their admin endpoint.

A module of its own (not the conftest) so test files can import it by a unique name."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import httpx

from sync_engine.connectors.bitrix24 import Bitrix24Connector
from sync_engine.connectors.retry import RetryPolicy

ADMIN_TOKEN = "b24-connector-tests-admin"
# Tests shrink backoff so fault-injection runs finish quickly; the logic is the same as production.
FAST_RETRY = RetryPolicy(max_retries=8, base_delay=0.02, max_delay=0.2, max_retry_after=1.0)


class TwinAdmin:
    def __init__(self, base_url: str) -> None:
        self._client = httpx.Client(
            base_url=base_url, headers={"Authorization": f"Bearer {ADMIN_TOKEN}"}, timeout=60
        )

    def counters(self) -> dict[str, Any]:
        return self._client.get("/_sandbox/counters").raise_for_status().json()

    def total(self) -> int:
        return int(self.counters()["total"])

    def faults(self, **settings: Any) -> dict[str, Any]:
        return self._client.post("/_sandbox/faults", json=settings).raise_for_status().json()

    def reset_counters(self) -> None:
        self._client.post("/_sandbox/reset", json={"counters": True, "faults": False}).raise_for_status()

    def post_limits(self, **settings: Any) -> dict[str, Any]:
        return self.post("/_sandbox/limits", settings)

    def post(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        return self._client.post(path, json=body).raise_for_status().json()

    def close(self) -> None:
        self._client.close()


@dataclass
class ServedTwin:
    twin: Any
    base_url: str
    webhook_url: str
    admin: TwinAdmin

    def connector(self, **kwargs: Any) -> Bitrix24Connector:
        kwargs.setdefault("retry_policy", FAST_RETRY)
        return Bitrix24Connector(self.webhook_url, **kwargs)


@contextmanager
def serve_twin(*, seed: str = "demo", size: int = 0, limits: bool = False) -> Iterator[ServedTwin]:
    from sync_engine.sandbox.bitrix24.app import create_twin
    from sync_engine.sandbox.common.threaded import ThreadedTwinServer
    from sync_engine.sandbox.common.twin import TwinSettings

    twin = create_twin(TwinSettings(admin_token=ADMIN_TOKEN, seed=seed, size=size, limits=limits))
    server = ThreadedTwinServer(twin)
    base = server.start(timeout=120)
    admin = TwinAdmin(base)
    try:
        yield ServedTwin(twin, base, twin.connection_info()["bitrix_webhook_url"], admin)
    finally:
        admin.close()
        server.stop()
