"""Writing through the connector to a fresh demo twin: batched creates/updates/deletes and increments."""

from __future__ import annotations

import asyncio
from typing import Any

from b24_connector_harness import ServedTwin

from sync_engine.connectors.base import EntityScope
from sync_engine.connectors.bitrix24 import Bitrix24Connector, advance_cursor

DEALS = EntityScope(entity="deal")


def bulk_items(count: int, prefix: str) -> list[dict[str, Any]]:
    return [
        {"TITLE": f"{prefix} deal {n}", "OPPORTUNITY": 1000 + n, "CURRENCY_ID": "RUB", "STAGE_ID": "NEW",
         "UF_CRM_JIRA_KEY": f"{prefix}-{n}", "COMMENTS": "a & b = c?"}
        for n in range(count)
    ]


async def deals_with_key_prefix(conn: Bitrix24Connector, prefix: str) -> list[str]:
    keys: list[str] = []
    scope = EntityScope(entity="deal", filter={"%UF_CRM_JIRA_KEY": f"{prefix}-"})
    async for page in conn.iter_changed(scope, None):
        keys.extend(str(r.fields["UF_CRM_JIRA_KEY"]) for r in page)
    return keys


async def test_write_1000_deals_within_25_calls_then_read_changes_incrementally(
    demo_twin: ServedTwin,
) -> None:
    items = bulk_items(1000, "BULK")
    async with demo_twin.connector() as conn:
        demo_twin.admin.reset_counters()
        results = await conn.create_many(DEALS, items, dedupe_field="UF_CRM_JIRA_KEY")
        assert demo_twin.admin.total() <= 25
        assert [r.index for r in results] == list(range(1000))
        assert all(r.ok and r.id for r in results), [r for r in results if not r.ok][:3]
        ids = [str(r.id) for r in results]
        assert len(set(ids)) == 1000

        stored = await conn.get_many(DEALS, ids, fields=["TITLE", "UF_CRM_JIRA_KEY", "COMMENTS"])
        assert [r.fields["UF_CRM_JIRA_KEY"] for r in stored] == [i["UF_CRM_JIRA_KEY"] for i in items]
        assert stored[0].fields["COMMENTS"] == "a & b = c?"

        cursor = None
        async for page in conn.iter_changed(DEALS, None):
            cursor = advance_cursor(cursor, page)
        assert cursor is not None and cursor == conn.last_cursor
        assert await anext(aiter(conn.iter_changed(DEALS, cursor)), None) is None  # nothing new yet

        await asyncio.sleep(1.1)  # DATE_MODIFY has one-second resolution
        edited = [ids[7], ids[500], ids[999]]
        updates = await conn.update_many(DEALS, [(i, {"TITLE": f"edited {i}"}) for i in edited])
        assert all(u.ok for u in updates)
        changed = [r async for page in conn.iter_changed(DEALS, cursor) for r in page]
        assert sorted(r.id for r in changed) == sorted(edited)
        assert all(r.fields["TITLE"] == f"edited {r.id}" for r in changed)
        after_edit = conn.last_cursor
        assert after_edit is not None and set(after_edit.seen_ids) == set(edited)
        assert [r async for page in conn.iter_changed(DEALS, after_edit) for r in page] == []


async def test_per_item_errors_and_ensure_absent_deletes(demo_twin: ServedTwin) -> None:
    async with demo_twin.connector() as conn:
        items = bulk_items(3, "ERR")
        items[1]["UF_CRM_DEAL_KIND"] = "987654"  # not an option of the enumeration
        results = await conn.create_many(DEALS, items)
        assert [r.ok for r in results] == [True, False, True]
        assert results[1].error and results[1].id is None
        keep, gone = str(results[0].id), str(results[2].id)
        deleted = await conn.delete_many(DEALS, [gone, "99999999"])
        assert [d.ok for d in deleted] == [True, True]
        assert [r.id for r in await conn.get_many(DEALS, [keep, gone])] == [keep]
        bad_update = await conn.update_many(DEALS, [(keep, {"UF_CRM_DEAL_KIND": "987654"})])
        assert not bad_update[0].ok and bad_update[0].error


async def test_universal_item_methods(demo_twin: ServedTwin) -> None:
    scope = EntityScope(entity="item", entity_type_id=2)
    async with demo_twin.connector() as conn:
        fields = {m.id: m for m in await conn.describe_fields(scope)}
        assert fields["stageId"].options and fields["opportunity"].raw["currency_field"] == "currencyId"
        created = await conn.create_many(scope, [{"title": f"item {n}", "opportunity": n} for n in range(3)])
        assert all(c.ok for c in created)
        ids = [str(c.id) for c in created]
        all_items = [r async for page in conn.iter_changed(scope, None) for r in page]
        assert set(ids) <= {r.id for r in all_items}
        cursor = conn.last_cursor
        await asyncio.sleep(1.1)
        assert all(u.ok for u in await conn.update_many(scope, [(ids[1], {"title": "renamed"})]))
        changed = [r async for page in conn.iter_changed(scope, cursor) for r in page]
        assert [r.id for r in changed] == [ids[1]] and changed[0].fields["title"] == "renamed"
        got = await conn.get_many(scope, ids)
        assert [r.id for r in got] == ids
        assert all(d.ok for d in await conn.delete_many(scope, ids))
        assert await conn.get_many(scope, ids) == []


async def test_contacts_carry_multifields_and_a_written_email_replaces_the_first(demo_twin: ServedTwin) -> None:
    contacts = EntityScope(entity="contact")
    async with demo_twin.connector() as conn:
        created = await conn.create_many(contacts, [{
            "NAME": "Анна", "LAST_NAME": "Тестова",
            "EMAIL": [{"VALUE": "old@example.ru", "VALUE_TYPE": "WORK"}],
            "PHONE": [{"VALUE": "+7 900 000-00-01", "VALUE_TYPE": "WORK"}],
        }])
        cid = str(created[0].id)
        (read,) = await conn.get_many(contacts, [cid])
        assert read.fields["EMAIL"][0]["VALUE"] == "old@example.ru", "reads must select the multi-value fields"
        assert read.fields["PHONE"][0]["VALUE"] == "+7 900 000-00-01"
        new_email = [{"VALUE": "new@example.ru", "VALUE_TYPE": "WORK"}]
        results = await conn.update_many(contacts, [(cid, {"EMAIL": new_email})])
        assert results[0].ok
        (after,) = await conn.get_many(contacts, [cid])
        assert [e["VALUE"] for e in after.fields["EMAIL"]] == ["new@example.ru"]
        assert [p["VALUE"] for p in after.fields["PHONE"]] == ["+7 900 000-00-01"]
