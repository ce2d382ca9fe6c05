"""Reading from a Bitrix24 twin with 10,000+ deals over loopback: call budgets and field metadata."""

from __future__ import annotations

import logging

import pytest
from b24_connector_harness import FAST_RETRY, ServedTwin

from sync_engine.connectors.base import AuthError, Connector, EntityScope
from sync_engine.connectors.bitrix24 import Bitrix24Connector
from sync_engine.fieldtypes import FieldType
from sync_engine.sandbox.seed_catalog import DEAL_STAGES
from sync_engine.sandbox.seed_people import PEOPLE

DEALS = EntityScope(entity="deal")


async def test_reads_all_deals_in_at_most_10_http_calls(big_twin: ServedTwin) -> None:
    async with big_twin.connector() as conn:
        assert isinstance(conn, Connector)
        total = (await conn.request("crm.deal.list", {"select": ["ID"]}))["total"]
        assert total >= 10_000
        big_twin.admin.reset_counters()
        records = [rec async for page in conn.iter_changed(DEALS, None) for rec in page]
        calls = big_twin.admin.total()
        assert calls <= 10, f"{calls} HTTP calls for {len(records)} deals"
        assert conn.api_calls == calls + 1
    ids = [int(r.id) for r in records]
    assert len(ids) == total and len(set(ids)) == total
    assert ids == sorted(ids)
    assert all(r.updated is not None and r.version == r.fields["DATE_MODIFY"] for r in records)
    newest = max(r.updated for r in records if r.updated)
    assert conn.last_cursor is not None and conn.last_cursor.updated == newest
    assert set(conn.last_cursor.seen_ids) == {r.id for r in records if r.updated == newest}


async def test_page_size_rechunks_without_extra_calls(big_twin: ServedTwin) -> None:
    scope = EntityScope(entity="deal", filter={"<=ID": 120})
    async with big_twin.connector() as conn:
        pages = [page async for page in conn.iter_changed(scope, None, page_size=40)]
        assert conn.api_calls == 1
    assert [len(p) for p in pages] == [40, 40, 40]


async def test_get_many_120_ids_in_one_call_in_request_order(big_twin: ServedTwin) -> None:
    wanted = [str(n) for n in range(9000, 8880, -1)] + ["99999999"]
    async with big_twin.connector() as conn:
        big_twin.admin.reset_counters()
        records = await conn.get_many(DEALS, wanted, fields=["TITLE", "STAGE_ID"])
        assert big_twin.admin.total() <= 3
    assert [r.id for r in records] == wanted[:120]
    assert all({"ID", "TITLE", "STAGE_ID", "DATE_MODIFY"} <= set(r.fields) for r in records)
    assert "OPPORTUNITY" not in records[0].fields


async def test_describe_deal_fields(big_twin: ServedTwin) -> None:
    async with big_twin.connector() as conn:
        metas = {m.id: m for m in await conn.describe_fields(DEALS)}
        assert conn.api_calls <= 2
        uf_list = await conn.call("crm.deal.userfield.list", {"filter": {"FIELD_NAME": "UF_CRM_DEAL_KIND"}})
    stage = metas["STAGE_ID"]
    assert stage.type is FieldType.ENUM
    assert [(o.id, o.label) for o in stage.options] == [(sid, name) for sid, name, _ in DEAL_STAGES]
    # Decision: the amount is MONEY and names its currency field so mappings move both together.
    assert metas["OPPORTUNITY"].type is FieldType.MONEY
    assert metas["OPPORTUNITY"].raw["currency_field"] == "CURRENCY_ID"
    assert metas["CURRENCY_ID"].type is FieldType.ENUM
    kind = metas["UF_CRM_DEAL_KIND"]
    assert kind.type is FieldType.ENUM and kind.label == "Вид сделки"
    assert [o.label for o in kind.options] == [item["VALUE"] for item in uf_list[0]["LIST"]]
    assert metas["UF_CRM_DISTRIBUTOR"].type is FieldType.REFERENCE
    assert metas["UF_CRM_DISTRIBUTOR"].reference in {"company", "crm"}
    assert metas["UF_CRM_JIRA_KEY"].type is FieldType.TEXT
    assert metas["COMPANY_ID"].type is FieldType.REFERENCE and metas["COMPANY_ID"].reference == "company"
    assert metas["ASSIGNED_BY_ID"].type is FieldType.USER
    assert metas["ID"].read_only and metas["DATE_MODIFY"].type is FieldType.DATETIME
    assert metas["CLOSED"].type is FieldType.BOOL


async def test_wrong_secret_is_an_auth_error_that_never_shows_the_secret(big_twin: ServedTwin) -> None:
    bad_secret = "wr0ngS3cretValue42"
    prefix, real_secret = big_twin.webhook_url.rstrip("/").rsplit("/", 1)
    async with Bitrix24Connector(f"{prefix}/{bad_secret}/", retry_policy=FAST_RETRY) as conn:
        with pytest.raises(AuthError) as info:
            await conn.call("crm.deal.list", {"select": ["ID"]})
        assert conn.retries == 0 and conn.api_calls == 1
        message = str(info.value)
        assert bad_secret not in message and "/rest/" in message and "/***/" in message
        assert info.value.status in (401, 403) and info.value.code
        assert bad_secret not in repr(conn) and "***" in repr(conn)
        with pytest.raises(AuthError) as again:
            await conn.profile()
        assert bad_secret not in str(again.value)
    async with big_twin.connector() as good:
        assert real_secret not in repr(good)
    with pytest.raises(ValueError, match="webhook URL must look like") as bad_url:
        Bitrix24Connector(f"{prefix}/{bad_secret}/crm.deal.list")
    assert bad_secret not in str(bad_url.value)


async def test_profile_and_user_lookup_by_email_are_cached(big_twin: ServedTwin) -> None:
    person = PEOPLE[5]
    async with big_twin.connector() as conn:
        profile = await conn.profile()
        assert profile.domain == "127.0.0.1" and "***" in profile.endpoint and profile.user_id
        user = await conn.find_user_by_email(person.email.upper())
        assert user is not None and user["EMAIL"].casefold() == person.email.casefold()
        calls = conn.api_calls
        assert await conn.find_user_by_email(person.email) == user
        assert await conn.find_user_by_email("nobody@example.invalid") is None
        assert await conn.find_user_by_email("nobody@example.invalid") is None
        assert conn.api_calls == calls + 1


async def test_httpx_request_log_lines_mask_the_secret(
    big_twin: ServedTwin, caplog: pytest.LogCaptureFixture
) -> None:
    secret = big_twin.webhook_url.rstrip("/").rsplit("/", 1)[1]
    with caplog.at_level(logging.INFO, logger="httpx"):
        async with big_twin.connector() as conn:
            await conn.call("user.current")
    assert "user.current" in caplog.text and "/rest/1/***/" in caplog.text
    assert secret not in caplog.text
