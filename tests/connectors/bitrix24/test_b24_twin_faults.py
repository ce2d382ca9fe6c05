"""Pacing under the twin's real limiter, convergence under injected faults, and lost write answers."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from b24_connector_harness import FAST_RETRY, ServedTwin
from starlette.types import Receive, Scope, Send

from sync_engine.connectors.base import ConnectorError, EntityScope
from sync_engine.connectors.bitrix24 import Bitrix24Connector
from sync_engine.connectors.retry import RetryPolicy
from sync_engine.sandbox.common.control import TwinControl
from sync_engine.sandbox.common.threaded import ThreadedTwinServer

DEALS = EntityScope(entity="deal")


def items(count: int, prefix: str) -> list[dict[str, Any]]:
    return [{"TITLE": f"{prefix} {n}", "UF_CRM_JIRA_KEY": f"{prefix}-{n}"} for n in range(count)]


async def keys_with_prefix(conn: Bitrix24Connector, prefix: str) -> list[str]:
    scope = EntityScope(entity="deal", filter={"%UF_CRM_JIRA_KEY": f"{prefix}-"})
    return [str(r.fields["UF_CRM_JIRA_KEY"]) async for page in conn.iter_changed(scope, None) for r in page]


async def test_pacer_keeps_a_burst_of_120_calls_under_the_server_limit(demo_twin: ServedTwin) -> None:
    # Same leaky-bucket shape as a portal (burst 50) with a faster drain, so the test takes seconds.
    demo_twin.admin.post_limits(enabled=True, burst=50, drain_per_s=20)
    async with demo_twin.connector(rate=20, burst=50, retry_policy=FAST_RETRY) as conn:
        results = await asyncio.gather(*(conn.call("user.current") for _ in range(120)))
        assert all(r["ID"] for r in results)
        assert conn.rate_limit_hits == 0 and conn.retries == 0  # the server never answered 503
        assert conn.api_calls == 120
        # Pacing, not luck: the client waited, at most as long as the bucket math says for 120 calls.
        assert 1.0 < conn.rate_limit_waits <= (120 - conn.pacer.capacity) / 20 + 0.05
    # Control: without client pacing the same burst does hit the server's 503.
    patient = RetryPolicy(max_retries=40, base_delay=0.05, max_delay=0.5)
    async with demo_twin.connector(rate=10_000, burst=10_000, retry_policy=patient) as blunt:
        await asyncio.gather(*(blunt.call("user.current") for _ in range(70)))
        assert blunt.rate_limit_hits > 0 and blunt.retries > 0


async def test_1000_deal_write_and_read_converge_under_injected_faults(demo_twin: ServedTwin) -> None:
    demo_twin.admin.faults(latency_ms=20, error_rate=0.1, limit_rate=0.05, drop_rate=0.02, seed=20260101)
    async with demo_twin.connector(rate=50, burst=50) as conn:
        results = await conn.create_many(DEALS, items(1000, "FLT"), dedupe_field="UF_CRM_JIRA_KEY")
        assert all(r.ok for r in results), [r.error for r in results if not r.ok][:3]
        assert len({r.id for r in results}) == 1000
        keys = await keys_with_prefix(conn, "FLT")
        assert sorted(keys) == sorted(f"FLT-{n}" for n in range(1000))  # none missing, none twice
        assert conn.retries > 0
        stats = conn.stats()
    injected = demo_twin.admin.counters()["injected"]
    assert sum(injected.values()) > 0, injected
    assert stats["retries"] == conn.retries


class LosingProxy:
    """Forwards to the twin but throws away the answer of the first N add batches *after* they were
    applied, like a connection dropped on the way back. The twin's own drops happen before the
    request is handled, so they cannot show this case."""

    def __init__(self, target: str, lose: int) -> None:
        self.target = target
        self.lose = lose
        self.control = TwinControl(admin_token="unused")

    @property
    def app(self) -> Any:
        return self

    def set_base_url(self, url: str) -> None:
        self.base_url = url

    def connection_info(self) -> dict[str, Any]:
        return {}

    async def startup(self) -> None:
        self.client = httpx.AsyncClient(timeout=30)

    async def shutdown(self) -> None:
        await self.client.aclose()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        body, more = b"", True
        while more:
            message = await receive()
            body += message.get("body", b"")
            more = message.get("more_body", False)
        upstream = await self.client.request(
            scope["method"], self.target + scope["path"], content=body,
            headers={"content-type": "application/json"},
        )
        if self.lose > 0 and b"crm.deal.add" in body:
            self.lose -= 1
            await send({"type": "http.response.start", "status": 200,
                        "headers": [(b"content-type", b"application/json"), (b"content-length", b"4096")]})
            await send({"type": "http.response.body", "body": b'{"result":', "more_body": True})
            return
        await send({"type": "http.response.start", "status": upstream.status_code,
                    "headers": [(b"content-type", b"application/json")]})
        await send({"type": "http.response.body", "body": upstream.content})


@pytest.fixture
def losing_proxy(demo_twin: ServedTwin) -> Iterator[tuple[str, LosingProxy]]:
    proxy = LosingProxy(demo_twin.base_url, lose=1)
    server = ThreadedTwinServer(proxy)
    url = server.start()
    path = demo_twin.webhook_url[len(demo_twin.base_url):]
    try:
        yield url + path, proxy
    finally:
        server.stop()


async def test_lost_add_answer_is_not_duplicated_with_a_dedupe_field(
    demo_twin: ServedTwin, losing_proxy: tuple[str, LosingProxy]
) -> None:
    webhook, proxy = losing_proxy
    async with Bitrix24Connector(webhook, retry_policy=FAST_RETRY) as conn:
        results = await conn.create_many(DEALS, items(60, "LOST"), dedupe_field="UF_CRM_JIRA_KEY")
        assert proxy.lose == 0 and conn.ambiguous_writes == 1
        assert all(r.ok for r in results)
        assert len({r.id for r in results}) == 60
        assert sorted(await keys_with_prefix(conn, "LOST")) == sorted(f"LOST-{n}" for n in range(60))


async def test_lost_add_answer_without_dedupe_field_resends_and_duplicates(
    demo_twin: ServedTwin, losing_proxy: tuple[str, LosingProxy]
) -> None:
    """Documents the risk: without a dedupe key the connector can only resend (at-least-once)."""
    webhook, _ = losing_proxy
    async with Bitrix24Connector(webhook, retry_policy=FAST_RETRY) as conn:
        results = await conn.create_many(DEALS, items(60, "DUP"))
        assert all(r.ok for r in results) and conn.ambiguous_writes == 1
        assert len(await keys_with_prefix(conn, "DUP")) == 60 + 50


async def test_oauth_form_sends_the_token_in_the_body(demo_twin: ServedTwin) -> None:
    app = demo_twin.admin.post("/_sandbox/oauth-app", {})
    async with Bitrix24Connector.oauth(app["client_endpoint"], app["access_token"],
                                       retry_policy=FAST_RETRY) as conn:
        assert app["access_token"] not in repr(conn)
        fields = await conn.describe_fields(DEALS)
        assert any(f.id == "STAGE_ID" for f in fields)
        assert [r.ok for r in await conn.create_many(DEALS, items(2, "OAUTH"))] == [True, True]
    async with Bitrix24Connector.oauth(app["client_endpoint"], "not-a-token", retry_policy=FAST_RETRY) as bad:
        with pytest.raises(Exception) as info:
            await bad.call("user.current")
        assert type(info.value).__name__ == "AuthError" and "not-a-token" not in str(info.value)


async def test_operating_time_limit_is_retried_then_reported_per_method(demo_twin: ServedTwin) -> None:
    demo_twin.admin.post_limits(enabled=True, burst=1000, drain_per_s=1000, operating_limit_s=0)
    quick = RetryPolicy(max_retries=2, base_delay=0.01, max_delay=0.02, max_retry_after=0.05)
    async with demo_twin.connector(retry_policy=quick) as conn:
        await conn.call("crm.deal.fields")  # the first call is allowed and books operating time
        with pytest.raises(ConnectorError) as top:
            await conn.call("crm.deal.fields")
        assert top.value.code == "OPERATION_TIME_LIMIT" and top.value.status == 429
        assert conn.rate_limit_hits == 3 and conn.retries == 2
        assert (await conn.call("user.current"))["ID"]  # other methods keep working

        await conn.get_many(DEALS, ["1"])  # books crm.deal.list time inside a batch
        with pytest.raises(ConnectorError, match="OPERATION_TIME_LIMIT"):
            await conn.get_many(DEALS, ["1"])

    # The block lifts while a patient reader is backing off: the batch is resent and succeeds.
    patient = RetryPolicy(max_retries=20, base_delay=0.05, max_delay=0.1)
    async with demo_twin.connector(retry_policy=patient) as conn:
        reading = asyncio.create_task(conn.get_many(DEALS, ["1", "2"]))
        await asyncio.sleep(0.3)
        await asyncio.to_thread(demo_twin.admin.post_limits, operating_limit_s=480)
        assert [r.id for r in await reading] == ["1", "2"]
        assert conn.retries > 0
