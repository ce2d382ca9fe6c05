"""Deal links (product rows, contacts, pipelines), user-field upkeep, OAuth tokens, auth_connector."""

from __future__ import annotations

import time
from typing import Any

from b24sandbox_helpers import ADMIN, Portal, serve

from sync_engine.sandbox.common.twin import TwinSettings


def test_product_rows_drive_the_amount(portal: Portal) -> None:
    deal_id = portal.result("crm.deal.add", {"fields": {"TITLE": "С товарами"}})
    sdk = portal.result("crm.product.list", {"filter": {"XML_ID": "VS-SDK-OEM"}, "select": ["ID"]})[0]["ID"]
    assert portal.result("crm.deal.productrows.set", {"id": deal_id, "rows": [
        {"PRODUCT_ID": sdk, "QUANTITY": 2},
        {"PRODUCT_NAME": "Доработка по ТЗ", "PRICE": 150000.5, "QUANTITY": 1}]}) is True
    rows = portal.result("crm.deal.productrows.get", {"id": deal_id})
    assert [(r["PRODUCT_NAME"], r["PRICE"], r["QUANTITY"]) for r in rows] == [
        ("Вектор SDK: OEM-лицензия для партнёров", 1200000, 2), ("Доработка по ТЗ", 150000.5, 1)]
    assert rows[0]["PRODUCT_ID"] == int(sdk) and rows[0]["OWNER_TYPE"] == "D"
    assert portal.result("crm.deal.get", {"id": deal_id})["OPPORTUNITY"] == "2550000.50"
    assert portal.result("crm.deal.productrows.set", {"id": deal_id, "rows": []}) is True
    assert portal.result("crm.deal.productrows.get", {"id": deal_id}) == []
    bad = portal.call("crm.deal.productrows.set", {"id": deal_id, "rows": [{"PRODUCT_ID": 99999}]})
    assert bad.status_code == 400 and bad.json()["error"] == ""


def test_deal_contact_items(portal: Portal) -> None:
    deal_id = portal.result("crm.deal.add", {"fields": {"TITLE": "С контактами", "CONTACT_IDS": [3, 4]}})
    assert portal.result("crm.deal.get", {"id": deal_id})["CONTACT_ID"] == "3"
    items = portal.result("crm.deal.contact.items.get", {"id": deal_id})
    assert [(i["CONTACT_ID"], i["IS_PRIMARY"]) for i in items] == [(3, "Y"), (4, "N")]
    assert portal.result("crm.deal.contact.items.set", {"id": deal_id, "items": [
        {"CONTACT_ID": 5}, {"CONTACT_ID": 6, "IS_PRIMARY": "Y"}]}) is True
    items = portal.result("crm.deal.contact.items.get", {"id": deal_id})
    assert [(i["CONTACT_ID"], i["IS_PRIMARY"]) for i in items] == [(6, "Y"), (5, "N")]
    item = portal.result("crm.item.get", {"entityTypeId": 2, "id": deal_id})["item"]
    assert item["contactId"] == 6 and item["contactIds"] == [6, 5]


def test_legacy_deal_categories(portal: Portal) -> None:
    listed = portal.call("crm.dealcategory.list").json()
    assert [c["NAME"] for c in listed["result"]] == ["Партнёрские проекты"] and listed["total"] == 1
    assert portal.result("crm.dealcategory.default.get") == {"ID": 0, "NAME": "Общая"}
    stages = portal.result("crm.dealcategory.stage.list", {"id": 1})
    assert stages[0] == {"NAME": "Заявка партнёра", "SORT": "10", "STATUS_ID": "C1:NEW"}
    default = portal.result("crm.dealcategory.stage.list", {"id": 0})
    assert [s["STATUS_ID"] for s in default][:2] == ["NEW", "PREPARATION"]


def test_userfield_update_and_delete(portal: Portal) -> None:
    uf_id = portal.result("crm.deal.userfield.add", {"fields": {
        "FIELD_NAME": "STAGE_REASON", "USER_TYPE_ID": "enumeration", "LABEL": "Причина",
        "LIST": [{"VALUE": "Цена"}, {"VALUE": "Сроки"}]}})
    field = portal.result("crm.deal.userfield.get", {"id": uf_id})
    price, terms = field["LIST"]
    assert portal.result("crm.deal.userfield.update", {"id": uf_id, "fields": {
        "EDIT_FORM_LABEL": "Причина отказа",
        "LIST": [{"ID": price["ID"], "VALUE": "Стоимость"}, {"ID": terms["ID"], "DEL": "Y"},
                 {"VALUE": "Иное"}]}})
    desc = portal.result("crm.deal.fields")["UF_CRM_STAGE_REASON"]
    assert desc["formLabel"] == "Причина отказа" and desc["listLabel"] == "Причина"
    assert [i["VALUE"] for i in desc["items"]] == ["Стоимость", "Иное"]
    assert portal.result("crm.deal.userfield.delete", {"id": uf_id}) is True
    assert "UF_CRM_STAGE_REASON" not in portal.result("crm.deal.fields")
    assert portal.call("crm.deal.userfield.get", {"id": uf_id}).status_code == 400
    assert "UF_CRM_JIRA_KEY" in portal.result("crm.deal.list", {"filter": {"ID": 1}})[0]


def test_oauth_refresh_and_expiry(portal: Portal) -> None:
    app = portal.admin("POST", "oauth-app", {"expires_in": 0.3}).json()
    rest = app["client_endpoint"]
    assert portal.http.get(rest + "user.current", params={"auth": app["access_token"]}).status_code == 200
    time.sleep(0.4)
    expired = portal.http.get(rest + "user.current", params={"auth": app["access_token"]})
    assert expired.status_code == 401 and expired.json()["error"] == "expired_token"
    token_url = app["oauth_token_url"]
    assert token_url == portal.url + "/oauth/token/"
    wrong = portal.http.get(token_url, params={"grant_type": "refresh_token", "refresh_token": "nope"})
    assert wrong.status_code == 400 and wrong.json()["error"] == "invalid_grant"
    fresh = portal.http.get(token_url, params={
        "grant_type": "refresh_token", "client_id": app["client_id"], "client_secret": app["client_secret"],
        "refresh_token": app["refresh_token"]}).json()
    assert fresh["access_token"] != app["access_token"] and fresh["expires_in"] > 3500
    assert fresh["application_token"] == app["application_token"]
    ok = portal.http.get(rest + "user.current", params={"auth": fresh["access_token"]})
    assert ok.status_code == 200
    reused = portal.http.get(token_url, params={"grant_type": "refresh_token",
                                                "refresh_token": app["refresh_token"]})
    assert reused.status_code == 400


def test_auth_connector_suppresses_own_offline_echo(portal: Portal) -> None:
    app = portal.admin("POST", "oauth-app").json()
    rest = app["client_endpoint"]

    def call(method: str, **params: Any) -> dict[str, Any]:
        return portal.http.post(rest + method, json={"auth": app["access_token"], **params}).json()

    assert call("event.bind", event="ONCRMCOMPANYUPDATE", event_type="offline",
                auth_connector="b24sync")["result"] is True
    assert call("crm.company.update", id=1, fields={"COMMENTS": "из синхронизации"},
                auth_connector="b24sync")["result"] is True
    assert call("event.offline.list")["total"] == 0
    portal.result("crm.company.update", {"id": 1, "fields": {"COMMENTS": "вручную"}})
    events = call("event.offline.get")["result"]["events"]
    assert [e["EVENT_DATA"]["FIELDS"]["ID"] for e in events] == ["1"]


def test_crm_item_moves_deal_between_categories(portal: Portal) -> None:
    deal_id = portal.result("crm.deal.add", {"fields": {"TITLE": "Переезд", "STAGE_ID": "PREPARATION"}})
    portal.result("crm.deal.update", {"id": deal_id, "fields": {"CATEGORY_ID": 1}})
    assert portal.result("crm.deal.get", {"id": deal_id})["CATEGORY_ID"] == "0"
    moved = portal.result("crm.item.update", {"entityTypeId": 2, "id": deal_id, "fields": {"categoryId": 1}})
    assert moved["item"]["categoryId"] == 1 and moved["item"]["stageId"] == "C1:NEW"
    assert portal.result("crm.deal.update", {"id": deal_id, "fields": []}) is True


def test_leads_currencies_and_admin_flag(portal: Portal) -> None:
    select = ["ID", "TITLE", "STATUS_ID", "STATUS_SEMANTIC_ID"]
    leads = portal.call("crm.lead.list", {"select": select}).json()
    assert leads["total"] == 6
    junk = [lead for lead in leads["result"] if lead["STATUS_ID"] == "JUNK"]
    assert junk and junk[0]["STATUS_SEMANTIC_ID"] == "F"
    phone = [{"VALUE": "+7 999", "VALUE_TYPE": "WORK"}]
    fields = {"TITLE": "Новый лид", "NAME": "Олег", "PHONE": phone}
    lead_id = portal.result("crm.lead.add", {"fields": fields})
    lead = portal.result("crm.lead.get", {"id": lead_id})
    assert lead["STATUS_ID"] == "NEW" and lead["STATUS_SEMANTIC_ID"] == "P" and lead["HAS_PHONE"] == "Y"
    item = portal.result("crm.item.get", {"entityTypeId": 1, "id": lead_id})["item"]
    assert item["stageId"] == "NEW" and item["title"] == "Новый лид"
    statuses = portal.result("crm.status.list", {"filter": {"ENTITY_ID": "STATUS"}})
    assert [s["STATUS_ID"] for s in statuses] == ["NEW", "IN_PROCESS", "PROCESSED", "CONVERTED", "JUNK"]
    currencies = portal.result("crm.currency.list")
    assert [c["CURRENCY"] for c in currencies] == ["RUB", "USD", "EUR"] and currencies[0]["BASE"] == "Y"
    assert portal.result("user.admin") is True
    assert portal.result("crm.lead.fields")["STATUS_ID"]["statusType"] == "STATUS"


def test_webhook_scopes_limit_methods() -> None:
    settings = TwinSettings(admin_token=ADMIN, limits=False, credentials={"secret": "s", "scope": "crm"})
    for p in serve(settings):
        assert p.call("crm.deal.get", {"id": 1}).status_code == 200
        denied = p.call("department.get")
        assert denied.status_code == 403 and denied.json()["error"] == "insufficient_scope"
        in_batch = p.call("batch", {"cmd": {"d": "department.get", "u": "user.current"}}).json()["result"]
        assert in_batch["result_error"]["d"]["error"] == "insufficient_scope" and "u" in in_batch["result"]
        assert p.result("scope") == ["crm"]
