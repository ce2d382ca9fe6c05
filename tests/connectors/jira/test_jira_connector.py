"""The JIRA connector against the JIRA twin over loopback, in both flavours (Server and Cloud)."""

from __future__ import annotations

import math
from typing import Any

import pytest

from sync_engine.connectors.base import AuthError, Connector, ConnectorError, Cursor, EntityScope, Record
from sync_engine.connectors.jira import JiraConnector
from sync_engine.connectors.jira_jql import next_cursor
from sync_engine.fieldtypes import FieldType

PURCHASE = EntityScope("issue", projects=("PROC",), issue_types=("Purchase request",))


def label_of(scope: EntityScope) -> str:
    return scope.query.split("=", 1)[1].strip()


def issue(scope: EntityScope, n: int, **extra: Any) -> dict[str, Any]:
    return {
        "summary": f"Закупка {n}",
        "labels": [label_of(scope)],
        "customfield_10100": f"ООО Заказчик {n}",
        "customfield_10101": 1000 + n,
        "customfield_10104": "RUB",
        **extra,
    }


async def read_all(
    conn: JiraConnector, scope: EntityScope, since: Cursor | None, page_size: int = 0
) -> list[Record]:
    out: list[Record] = []
    async for page in conn.iter_changed(scope, since, page_size=page_size):
        assert page, "iter_changed must not yield empty pages"
        out.extend(page)
    return out


async def test_connection_helpers_detect_the_flavour(jira_twin: Any) -> None:
    conn = jira_twin.connector()
    try:
        as_protocol: object = conn  # checked apart so the concrete type keeps its extra helpers
        assert isinstance(as_protocol, Connector)
        info = await conn.server_info()
        me = await conn.whoami()
        assert conn.flavour == jira_twin.flavour
        assert info.deployment_type == ("Cloud" if jira_twin.flavour == "cloud" else "Server")
        assert info.title and info.version
        assert me.display_name and me.time_zone == "Europe/Moscow"
        assert (me.account_id if jira_twin.flavour == "cloud" else me.name)
        assert conn.api_calls == 2
    finally:
        await conn.aclose()
    if jira_twin.flavour == "server":  # Server also takes Basic user + password/token
        basic = jira_twin.connector(user=jira_twin.user, flavour="server")
        try:
            assert (await basic.whoami()).name == jira_twin.user
        finally:
            await basic.aclose()


async def test_describe_fields_purchase_request(jira_twin: Any) -> None:
    conn = jira_twin.connector(flavour=jira_twin.flavour)
    try:
        metas = {m.id: m for m in await conn.describe_fields(PURCHASE)}
        calls = conn.api_calls
        assert metas["customfield_10100"].type is FieldType.TEXT
        assert metas["customfield_10100"].label == "Заказчик"
        assert metas["customfield_10101"].type is FieldType.NUMBER
        assert metas["customfield_10103"].type is FieldType.TEXT
        currency = metas["customfield_10104"]
        assert currency.type is FieldType.ENUM
        assert [o.label for o in currency.options] == ["RUB", "USD", "EUR"]
        assert currency.system_type.endswith(":select")
        assert metas["customfield_10105"].type is FieldType.ENUM
        assert len(metas["customfield_10105"].options) > 3
        assert metas["customfield_10106"].type is FieldType.DATE
        assert metas["summary"].required and not metas["customfield_10100"].required
        assert metas["labels"].type is FieldType.MULTI_ENUM and metas["labels"].multiple
        assert metas["assignee"].type is FieldType.USER
        assert metas["priority"].type is FieldType.ENUM
        assert metas["priority"].option_by_label("High") is not None
        assert metas["project"].type is FieldType.REFERENCE
        assert metas["updated"].read_only and metas["created"].read_only and metas["key"].read_only
        status = metas["status"]
        assert status.type is FieldType.ENUM and not status.read_only
        assert {"Открыт", "Согласование", "Отклонён"} <= {o.label for o in status.options}
        assert await conn.describe_fields(PURCHASE) is not None
        assert conn.api_calls == calls  # cached per scope
    finally:
        await conn.aclose()


async def test_create_many_uses_chunked_bulk(jira_twin: Any, tagged_scope: EntityScope) -> None:
    conn = jira_twin.connector(flavour=jira_twin.flavour)
    try:
        await conn.describe_fields(tagged_scope)
        jira_twin.admin.reset()
        before = conn.api_calls
        items = [issue(tagged_scope, n) for n in range(120)]
        items.insert(7, issue(tagged_scope, 999, customfield_10104="GBP"))  # refused before sending
        items.insert(60, issue(tagged_scope, 998, summary=""))  # refused by JIRA inside the bulk
        results = await conn.create_many(tagged_scope, items)
        assert [r.index for r in results] == list(range(122))
        assert not results[7].ok and "GBP" in (results[7].error or "")
        assert not results[60].ok and "summary" in (results[60].error or "").lower()
        assert sum(r.ok for r in results) == 120
        assert all(r.key and r.key.startswith("PROC-") and r.id for r in results if r.ok)
        assert jira_twin.admin.calls("POST /rest/api/2/issue/bulk") == 3  # 121 sent: 50 + 50 + 21
        assert conn.api_calls - before == jira_twin.admin.total() == 3
        keys = [r.key for r in results if r.ok]
        assert len(set(keys)) == 120
    finally:
        await conn.aclose()


async def test_iter_changed_full_then_incremental(jira_twin: Any, tagged_scope: EntityScope) -> None:
    conn = jira_twin.connector()
    try:
        created = await conn.create_many(tagged_scope, [issue(tagged_scope, n) for n in range(5)])
        keys = [r.key for r in created]
        full = await read_all(conn, tagged_scope, None)
        assert sorted(r.key or "" for r in full) == sorted(k or "" for k in keys)
        assert all(r.version == r.fields["updated"] and r.updated is not None for r in full)
        cursor = next_cursor(None, full)
        assert cursor is not None

        assert await read_all(conn, tagged_scope, cursor) == []  # nothing changed since

        edited = await conn.update_many(tagged_scope, [(keys[1] or "", {"summary": "edit 1"}),
                                                       (keys[3] or "", {"customfield_10101": 5})])
        assert all(r.ok for r in edited)
        changed = await read_all(conn, tagged_scope, cursor)
        assert sorted(r.key or "" for r in changed) == sorted([keys[1] or "", keys[3] or ""])
        assert {r.key: r.fields["summary"] for r in changed}[keys[1]] == "edit 1"
        cursor2 = next_cursor(cursor, changed)
        assert cursor2 is not None

        # Changed right after the cursor (normally the same JQL minute): the query's window re-reads the
        # two already delivered issues; only the new change comes back, once.
        await conn.update_many(tagged_scope, [(keys[0] or "", {"summary": "edit 0"})])
        again = await read_all(conn, tagged_scope, cursor2)
        assert [r.key for r in again] == [keys[0]]
        cursor3 = next_cursor(cursor2, again)
        assert await read_all(conn, tagged_scope, cursor3) == []
    finally:
        await conn.aclose()


async def test_small_pages_deliver_each_issue_once(jira_twin: Any, tagged_scope: EntityScope) -> None:
    """Bulk-created issues share one ``updated`` instant: a cursor taken after a partial read must
    remember which of them were seen, and keyset pages must neither skip nor repeat."""
    conn = jira_twin.connector()
    try:
        created = await conn.create_many(tagged_scope, [issue(tagged_scope, n) for n in range(7)])
        paged = await read_all(conn, tagged_scope, None, page_size=2)
        assert sorted(r.key or "" for r in paged) == sorted(r.key or "" for r in created)

        first_page: list[Record] = []
        async for page in conn.iter_changed(tagged_scope, None, page_size=3):
            first_page = page
            break
        cursor = next_cursor(None, first_page)
        rest = await read_all(conn, tagged_scope, cursor, page_size=3)
        seen = [r.key for r in first_page] + [r.key for r in rest]
        assert sorted(k or "" for k in seen) == sorted(r.key or "" for r in created)
    finally:
        await conn.aclose()


async def test_get_many_batches_searches(jira_twin: Any, tagged_scope: EntityScope) -> None:
    conn = jira_twin.connector(flavour=jira_twin.flavour)
    try:
        created = await conn.create_many(tagged_scope, [issue(tagged_scope, n) for n in range(130)])
        keys = [r.key or "" for r in created]
        await conn.get_many(tagged_scope, keys[:1])  # warm up (field list) before counting
        jira_twin.admin.reset()
        wanted = keys[::-1]
        records = await conn.get_many(tagged_scope, wanted, fields=["summary", "customfield_10101"])
        assert [r.key for r in records] == wanted
        assert jira_twin.admin.calls(jira_twin.search_key()) == math.ceil(len(wanted) / 100) == 2
        assert records[0].fields["summary"] == "Закупка 129" and "customfield_10100" not in records[0].fields
        assert set(records[0].fields) == {"summary", "customfield_10101", "updated", "key"}
        jira_twin.admin.reset()
        # Cloud refuses a query naming a missing key, so the chunk is asked once more without it;
        # Server is asked with validateQuery=false and only warns about it.
        partly = await conn.get_many(tagged_scope, [keys[0], "PROC-999999"])
        assert [r.key for r in partly] == [keys[0]]
        assert jira_twin.admin.calls(jira_twin.search_key()) == (2 if jira_twin.flavour == "cloud" else 1)
        by_id = await conn.get_many(tagged_scope, [created[5].id or "", keys[6]])
        assert [r.key for r in by_id] == [keys[5], keys[6]]
    finally:
        await conn.aclose()


async def test_update_many_changes_status_through_transitions(
    jira_twin: Any, tagged_scope: EntityScope
) -> None:
    conn = jira_twin.connector()
    try:
        created = await conn.create_many(tagged_scope, [issue(tagged_scope, n) for n in range(3)])
        k0, k1, k2 = (r.key or "" for r in created)
        jira_twin.admin.reset()
        results = await conn.update_many(
            tagged_scope,
            [
                (k0, {"status": "Квалификация", "customfield_10104": "USD"}),
                (k1, {"status": "квалификация"}),  # labels match case-insensitively; cached transition
                (k2, {"status": "Выполнен"}),  # five steps away from "Открыт": walked step by step
                ("PROC-999999", {"summary": "x"}),
                (k2, {"customfield_10104": "GBP"}),
            ],
        )
        assert [r.ok for r in results] == [True, True, True, False, False]
        assert "404" in (results[3].error or "")
        assert "GBP" in (results[4].error or "")
        # k0 reads the transitions once; k1 reuses the cached id; k2 reads once per step of its walk.
        assert jira_twin.admin.calls("GET /rest/api/2/issue/{key}/transitions") == 1 + 5
        records = {r.key: r for r in await conn.get_many(tagged_scope, [k0, k1, k2])}
        assert records[k0].fields["status"]["name"] == "Квалификация"
        assert records[k0].fields["customfield_10104"]["value"] == "USD"
        assert records[k1].fields["status"]["name"] == "Квалификация"
        assert records[k2].fields["status"]["name"] == "Выполнен"
        same = await conn.update_many(tagged_scope, [(k0, {"status": "Квалификация"})])
        assert same[0].ok  # already there: nothing to do

        # On create the status is reached by a transition after the bulk create.
        made = await conn.create_many(tagged_scope, [issue(tagged_scope, 10, status="Квалификация"),
                                                     issue(tagged_scope, 11, status="Выполнен"),
                                                     issue(tagged_scope, 12, status="Нет такого")])
        assert made[0].ok and made[0].error is None
        assert made[1].ok and made[1].error is None
        assert not made[2].ok and "not a status" in (made[2].error or "") and made[2].key is None
        after = {r.key: r for r in await conn.get_many(tagged_scope, [made[0].key or "", made[1].key or ""])}
        assert after[made[0].key].fields["status"]["name"] == "Квалификация"
        assert after[made[1].key].fields["status"]["name"] == "Выполнен"
    finally:
        await conn.aclose()


async def test_delete_many(jira_twin: Any, tagged_scope: EntityScope) -> None:
    conn = jira_twin.connector()
    try:
        created = await conn.create_many(tagged_scope, [issue(tagged_scope, n) for n in range(2)])
        keys = [r.key or "" for r in created]
        results = await conn.delete_many(tagged_scope, [*keys, "PROC-999999"])
        assert [r.ok for r in results] == [True, True, False]
        assert "404" in (results[2].error or "")
        assert await conn.get_many(tagged_scope, keys) == []
    finally:
        await conn.aclose()


async def test_bad_token_is_an_auth_error_without_the_secret(jira_twin: Any) -> None:
    secret = "definitely-wrong-secret-4711"
    conn = jira_twin.connector(token=secret, flavour=jira_twin.flavour)
    try:
        with pytest.raises(AuthError) as caught:
            await conn.whoami()
        text = str(caught.value)
        assert caught.value.status == 401 and "401" in text and "GET /rest/api/2/myself" in text
        assert secret not in text and secret not in repr(conn)
        assert caught.value.__cause__ is None and caught.value.__suppress_context__
    finally:
        await conn.aclose()


async def test_users_by_email(jira_twin: Any) -> None:
    conn = jira_twin.connector()
    try:
        me = await conn.whoami()
        assert me.email
        found = await conn.find_user_by_email(me.email.upper())
        assert found is not None and found.display_name == me.display_name
        calls = conn.api_calls
        assert await conn.find_user_by_email(me.email) == found and conn.api_calls == calls  # cached
        assert await conn.find_user_by_email("nobody@nowhere.example") is None
        assert await conn.user_email(found.ref) == me.email
        assert await conn.user_email({"emailAddress": "x@y.ru"}) == "x@y.ru"
    finally:
        await conn.aclose()


async def test_faults_are_retried(jira_twin: Any, tagged_scope: EntityScope) -> None:
    conn = jira_twin.connector(flavour=jira_twin.flavour, max_retries=5)
    try:
        await conn.describe_fields(tagged_scope)
        jira_twin.admin.faults(error_rate=0.2, seed=1)
        created = await conn.create_many(tagged_scope, [issue(tagged_scope, n) for n in range(60)])
        assert all(r.ok for r in created)
        records = await read_all(conn, tagged_scope, None, page_size=20)
        assert len(records) == 60
        got = await conn.get_many(tagged_scope, [r.key or "" for r in created])
        assert len(got) == 60
        assert conn.retries > 0
        assert jira_twin.admin.counters()["injected"].get("error", 0) > 0

        # Dropped connections are retried by the connector at once (the library would wait 10-20 s).
        jira_twin.admin.reset()
        jira_twin.admin.faults(drop_rate=0.3, seed=3)
        retries = conn.retries
        assert len(await read_all(conn, tagged_scope, None, page_size=10)) == 60
        assert jira_twin.admin.counters()["injected"].get("drop", 0) > 0
        assert conn.retries - retries == jira_twin.admin.counters()["injected"]["drop"]
    finally:
        jira_twin.admin.reset()
        await conn.aclose()


async def test_find_matches_exactly(jira_twin: Any, tagged_scope: EntityScope) -> None:
    conn = jira_twin.connector()
    try:
        deal_ids = ["777", "777 extra", "D-1", "D-10", None]
        created = await conn.create_many(
            tagged_scope,
            [issue(tagged_scope, n, customfield_10103=d, customfield_10104="USD" if n == 4 else "RUB")
             for n, d in enumerate(deal_ids)],
        )
        keys = [r.key for r in created]
        hits = await conn.find(tagged_scope, "customfield_10103", ["777", "D-1", "nope"])
        assert sorted(r.key or "" for r in hits) == sorted([keys[0] or "", keys[2] or ""])
        by_label = await conn.find(tagged_scope, "Bitrix24 deal id", ["D-10"])
        assert [r.key for r in by_label] == [keys[3]]
        assert [r.key for r in await conn.find(tagged_scope, "customfield_10104", ["USD"])] == [keys[4]]
        assert await conn.find(tagged_scope, "customfield_10103", []) == []
        with pytest.raises(ValueError, match="not among the fields"):
            await conn.find(tagged_scope, "no such field", ["x"])
    finally:
        await conn.aclose()


def test_tls_with_a_ca_file() -> None:
    """``verify`` takes the CA file of a private JIRA; without it the error says what to change."""
    import asyncio

    from sync_engine.sandbox.server import Sandbox, SandboxOptions

    box = Sandbox(SandboxOptions(tls=True, seed="empty", limits=False))
    info = box.start_in_thread()
    try:
        url, token = info["jira_url"], info["jira_token"]
        assert url.startswith("https://")

        async def probe(verify: bool | str) -> str:
            conn = JiraConnector(url, token=token, verify=verify, max_retries=1, backoff=0.01)
            try:
                return (await conn.server_info()).deployment_type
            finally:
                await conn.aclose()

        assert asyncio.run(probe(info["ca_file"])) == "Server"
        with pytest.raises(ConnectorError, match=r"certificate verify failed.*verify=") as caught:
            asyncio.run(probe(True))
        assert token not in str(caught.value)
    finally:
        box.stop()


async def test_a_failed_bulk_chunk_keeps_the_results_of_earlier_ones(
    jira_twin: Any, tagged_scope: EntityScope
) -> None:
    conn = jira_twin.connector(flavour=jira_twin.flavour, max_retries=0)
    try:
        await conn.describe_fields(tagged_scope)
        jira_twin.admin.faults(error_rate=0.5, seed=10)  # this seed lets the first call through, fails the 2nd
        results = await conn.create_many(tagged_scope, [issue(tagged_scope, n) for n in range(60)])
        assert all(r.ok and r.key for r in results[:50])
        assert all(not r.ok and "503" in (r.error or "") for r in results[50:])
    finally:
        jira_twin.admin.reset()
        await conn.aclose()


async def test_creating_in_the_initial_status_costs_no_transition(
    jira_twin: Any, tagged_scope: EntityScope
) -> None:
    conn = jira_twin.connector()
    try:
        jira_twin.admin.reset()
        made = await conn.create_many(tagged_scope, [issue(tagged_scope, 20 + n, status="Открыт") for n in range(3)])
        assert all(r.ok and r.error is None for r in made)
        assert jira_twin.admin.calls("GET /rest/api/2/issue/{key}/transitions") == 0
        assert jira_twin.admin.calls("POST /rest/api/2/issue/{key}/transitions") == 0
    finally:
        await conn.aclose()
