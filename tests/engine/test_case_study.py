"""The case study end to end, over loopback against both twins with the demo data and the bundled demo
profiles exactly as ``b24sync demo-setup`` imports them (companies first, so customers and distributors
resolve)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from engine_harness import Twins, run, twins_fixture, workspace

from sync_engine.demo import demo_profiles
from sync_engine.workspace import Workspace


@pytest.fixture(scope="module")
def twins() -> Iterator[Twins]:
    yield from twins_fixture("demo")


@pytest.fixture(scope="module")
def ws(twins: Twins, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Workspace]:
    profiles = [p for p in demo_profiles() if p.name in ("companies", "purchase-requests", "products")]
    w = workspace(Path(tmp_path_factory.mktemp("case")), twins.info, profiles)
    for name in w.run_order():
        run(w, name)
    yield w
    w.close()


def _writes_during(twins: Twins, ws: Workspace, *names: str) -> dict[str, int]:
    before = twins.writes()
    for name in names:
        run(ws, name)
    after = twins.writes()
    return {s: after[s] - before[s] for s in after}


def _deal_for(twins: Twins, key: str) -> dict[str, Any]:
    deals = twins.b24_list("crm.deal.list", {"filter": {"UF_CRM_JIRA_KEY": key}, "select": ["*", "UF_*"]})
    assert len(deals) == 1, f"expected one deal stamped {key}, found {len(deals)}"
    return deals[0]


def test_initial_sync_then_rerun_writes_nothing(twins: Twins, ws: Workspace) -> None:
    assert ws.store.count_links("companies") > 0
    assert ws.store.count_links("purchase-requests") > 0
    assert _writes_during(twins, ws, *ws.run_order()) == {"jira": 0, "bitrix24": 0}


def test_jira_request_becomes_deal(twins: Twins, ws: Workspace) -> None:
    created = twins.create_issue("PROC", "Purchase request", summary="Лицензии САПР для КБ",
                                 customfield_10101=250000.0, customfield_10104={"value": "RUB"},
                                 assignee={"name": "e.smirnova"})
    summary = run(ws, "purchase-requests")
    assert summary.created["bitrix24"] == 1
    deal = _deal_for(twins, created["key"])
    assert deal["TITLE"] == "Лицензии САПР для КБ"
    assert float(deal["OPPORTUNITY"]) == 250000.0
    assert deal["CURRENCY_ID"] == "RUB"
    assert deal["STAGE_ID"] == "NEW"
    assert str(deal["ASSIGNED_BY_ID"]) == "8"  # e.smirnova, found by e-mail
    # The deal id is stamped back into JIRA, so a re-run after a crash finds the pair.
    assert str(twins.issue(created["key"])["customfield_10103"]) == str(deal["ID"])
    assert _writes_during(twins, ws, "purchase-requests") == {"jira": 0, "bitrix24": 0}


def test_deal_moved_to_next_stage_moves_issue(twins: Twins, ws: Workspace) -> None:
    deal_id = twins.b24("crm.deal.add", {"fields": {"TITLE": "Сервер для филиала", "OPPORTUNITY": "480000",
                                                    "CURRENCY_ID": "RUB", "STAGE_ID": "NEW", "CATEGORY_ID": 0}})
    assert run(ws, "purchase-requests").created["jira"] == 1
    key = twins.b24("crm.deal.get", {"id": deal_id})["UF_CRM_JIRA_KEY"]
    assert key and twins.issue(key)["status"]["name"] == "Открыт"
    twins.b24("crm.deal.update", {"id": deal_id, "fields": {"STAGE_ID": "PREPARATION"}})
    summary = run(ws, "purchase-requests")
    assert summary.updated == {"jira": 1, "bitrix24": 0}
    fields = twins.issue(key)
    assert fields["status"]["name"] == "Квалификация"
    assert fields["summary"] == "Сервер для филиала"
    assert _writes_during(twins, ws, "purchase-requests") == {"jira": 0, "bitrix24": 0}


def test_deal_edit_updates_distributor_and_nothing_else(twins: Twins, ws: Workspace) -> None:
    company_links = ws.store.all_links("companies")
    partner = company_links[-1]
    partner_name = twins.b24("crm.company.get", {"id": partner.bitrix24_id})["TITLE"]
    pair = ws.store.all_links("purchase-requests")[0]
    before = twins.issue(pair.jira_key or pair.jira_id)
    assert before.get("customfield_10102") != partner_name
    twins.b24("crm.deal.update", {"id": pair.bitrix24_id, "fields": {"UF_CRM_DISTRIBUTOR": partner.bitrix24_id}})
    counters_before = twins.jira_admin.counters()["by_method"]
    summary = run(ws, "purchase-requests")
    counters_after = twins.jira_admin.counters()["by_method"]
    assert summary.updated == {"jira": 1, "bitrix24": 0}
    after = twins.issue(pair.jira_key or pair.jira_id)
    assert after["customfield_10102"] == partner_name
    changed = {k for k in after if k not in ("updated", "customfield_10102") and after[k] != before.get(k)}
    assert changed == set()
    puts = {k: counters_after[k] - counters_before.get(k, 0) for k in counters_after
            if k.startswith(("PUT", "POST")) and counters_after[k] != counters_before.get(k, 0)}
    assert puts == {"PUT /rest/api/2/issue/{key}": 1}
    item = [i for i in ws.store.run_items(summary.run_id or 0) if i.action == "update"]
    assert [c["field"] for c in item[0].changes["fields"]] == ["customfield_10102"]


def test_product_created_on_either_side_appears_on_the_other(twins: Twins, ws: Workspace) -> None:
    issue = twins.create_issue("CAT", "Product", summary="Вектор Аналитика Pro", customfield_10110="VA-PRO-77",
                               customfield_10111=99000.0)
    product_id = twins.b24("crm.product.add", {"fields": {"NAME": "Модуль интеграции 1С", "XML_ID": "INT-1C-2",
                                                          "PRICE": 45000, "CURRENCY_ID": "RUB"}})
    summary = run(ws, "products")
    assert summary.created == {"jira": 1, "bitrix24": 1}
    products = twins.b24_list("crm.product.list", {"filter": {"XML_ID": "VA-PRO-77"}, "select": ["*"]})
    assert [(p["NAME"], float(p["PRICE"])) for p in products] == [("Вектор Аналитика Pro", 99000.0)]
    found = twins.jql('project = CAT AND summary ~ "Модуль интеграции 1С"')
    assert len(found) == 1
    assert found[0]["fields"]["customfield_10110"] == "INT-1C-2"
    assert float(found[0]["fields"]["customfield_10111"]) == 45000.0
    assert issue["key"] != found[0]["key"] and product_id
    assert _writes_during(twins, ws, "products") == {"jira": 0, "bitrix24": 0}


def test_everything_quiet_at_the_end(twins: Twins, ws: Workspace) -> None:
    assert _writes_during(twins, ws, *ws.run_order()) == {"jira": 0, "bitrix24": 0}
