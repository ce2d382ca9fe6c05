"""Events: outgoing webhooks, event.bind in application context, offline queues."""

from __future__ import annotations

import queue
from typing import Any

import pytest
from b24sandbox_helpers import Portal, Receiver


def test_outgoing_webhook_delivers_form_post(portal: Portal, receiver: Receiver) -> None:
    hook = portal.admin("POST", "outgoing-webhook", {"handler_url": receiver.url,
                                                     "events": ["ONCRMDEALADD", "ONCRMDEALUPDATE"]}).json()
    token = hook["application_token"]
    assert len(token) == 32
    try:
        deal_id = portal.result("crm.deal.add", {"fields": {"TITLE": "Событие"}})
        path, form, ctype = receiver.next()
        assert path == "/hook" and ctype == "application/x-www-form-urlencoded"
        assert form["event"] == ["ONCRMDEALADD"] and form["data[FIELDS][ID]"] == [str(deal_id)]
        assert form["auth[application_token]"] == [token]
        assert form["auth[client_endpoint]"] == [portal.url + "/rest/"]
        assert form["auth[domain]"] == [portal.url.split("//")[1]]
        assert {"event_handler_id", "ts", "auth[server_endpoint]", "auth[member_id]"} <= set(form)
        assert "auth[access_token]" not in form
        portal.result("crm.deal.update", {"id": deal_id, "fields": {"TITLE": "Изменено"}})
        assert receiver.next()[1]["event"] == ["ONCRMDEALUPDATE"]
        portal.result("crm.contact.add", {"fields": {"NAME": "Не подписан"}})
        portal.result("crm.deal.delete", {"id": deal_id})
        with pytest.raises(queue.Empty):
            receiver.next(timeout=0.5)
        listed = portal.admin("GET", "outgoing-webhook").json()
        assert [h["id"] for h in listed] == [hook["id"]]
    finally:
        assert portal.admin("DELETE", f"outgoing-webhook/{hook['id']}").status_code == 200
    assert portal.admin("GET", "outgoing-webhook").json() == []
    portal.result("crm.deal.add", {"fields": {"TITLE": "После удаления"}})
    with pytest.raises(queue.Empty):
        receiver.next(timeout=0.5)


def test_failed_delivery_is_not_retried(portal: Portal) -> None:
    hook = portal.admin("POST", "outgoing-webhook", {"handler_url": "http://127.0.0.1:9/nowhere",
                                                     "events": ["ONCRMCOMPANYADD"]}).json()
    try:
        portal.result("crm.company.add", {"fields": {"TITLE": "ООО «Проверка»"}})
        import time

        deadline = time.time() + 5
        mine: list[dict[str, object]] = []
        while time.time() < deadline and not mine:
            mine = [d for d in portal.admin("GET", "deliveries").json() if d["handler"].endswith("/nowhere")]
            time.sleep(0.05)
        time.sleep(0.3)
        mine = [d for d in portal.admin("GET", "deliveries").json() if d["handler"].endswith("/nowhere")]
        assert len(mine) == 1 and mine[0]["status"] is None
    finally:
        portal.admin("DELETE", f"outgoing-webhook/{hook['id']}")


def test_admin_rejects_unknown_event(portal: Portal) -> None:
    bad = portal.admin("POST", "outgoing-webhook", {"handler_url": "http://x/", "events": ["ONNOTHING"]})
    assert bad.status_code == 400 and "ONNOTHING" in bad.json()["error"]


def test_event_bind_from_webhook_is_refused(portal: Portal) -> None:
    response = portal.call("event.bind", {"event": "ONCRMDEALADD", "handler": "http://127.0.0.1/h"})
    assert response.status_code == 403 and response.json()["error"] == "WRONG_AUTH_TYPE"


def test_event_bind_with_oauth_delivers_with_tokens(portal: Portal, receiver: Receiver) -> None:
    app = portal.admin("POST", "oauth-app").json()
    rest = app["client_endpoint"]

    def call(method: str, **params: Any) -> dict[str, Any]:
        return portal.http.post(rest + method, json={"auth": app["access_token"], **params}).json()

    assert call("event.bind", event="onCrmContactAdd", handler=receiver.url)["result"] is True
    dup = call("event.bind", event="ONCRMCONTACTADD", handler=receiver.url)
    assert dup["error"] == "ERROR_HANDLER_ALREADY_EXIST"
    assert call("event.bind", event="ONNOSUCHEVENT", handler=receiver.url)["error"] == "ERROR_EVENT_NOT_FOUND"
    assert call("event.get")["result"] == [{"event": "ONCRMCONTACTADD", "handler": receiver.url,
                                            "auth_type": "0",
                                            "offline": 0}]
    contact_id = portal.result("crm.contact.add", {"fields": {"NAME": "Из события"}})
    _, form, _ = receiver.next()
    assert form["event"] == ["ONCRMCONTACTADD"] and form["data[FIELDS][ID]"] == [str(contact_id)]
    assert form["auth[access_token]"] == [app["access_token"]]
    assert form["auth[application_token]"] == [app["application_token"]]
    assert call("event.unbind", event="ONCRMCONTACTADD", handler=receiver.url)["result"] == {"count": 1}
    assert call("event.get")["result"] == []


def test_spa_items_raise_dynamic_item_events(portal: Portal, receiver: Receiver) -> None:
    hook = portal.admin("POST", "outgoing-webhook", {"handler_url": receiver.url,
                                                     "events": ["ONCRMDYNAMICITEMADD"]}).json()
    try:
        item = portal.result("crm.item.add", {"entityTypeId": 1032,
                                              "fields": {"title": "Событийный"}})["item"]
        _, form, _ = receiver.next()
        assert form["event"] == ["ONCRMDYNAMICITEMADD"]
        assert form["data[FIELDS][ID]"] == [str(item["id"])]
        assert form["data[FIELDS][ENTITY_TYPE_ID]"] == ["1032"]
    finally:
        portal.admin("DELETE", f"outgoing-webhook/{hook['id']}")


def test_offline_events_get_and_clear(portal: Portal) -> None:
    app = portal.admin("POST", "oauth-app").json()
    rest = app["client_endpoint"]

    def call(method: str, **params: Any) -> dict[str, Any]:
        return portal.http.post(rest + method, json={"auth": app["access_token"], **params}).json()

    assert call("event.bind", event="ONCRMDEALUPDATE", event_type="offline")["result"] is True
    first = portal.result("crm.deal.add", {"fields": {"TITLE": "Офлайн 1"}})
    second = portal.result("crm.deal.add", {"fields": {"TITLE": "Офлайн 2"}})
    for n in range(3):  # three changes of one deal keep one record
        portal.result("crm.deal.update", {"id": first, "fields": {"TITLE": f"Офлайн 1.{n}"}})
    portal.result("crm.deal.update", {"id": second, "fields": {"TITLE": "Офлайн 2.1"}})
    listed = call("event.offline.list")
    assert listed["total"] == 2
    peek = call("event.offline.get", clear=0, limit=1)["result"]
    assert [e["EVENT_DATA"]["FIELDS"]["ID"] for e in peek["events"]] == [str(first)]
    assert peek["events"][0]["EVENT_NAME"] == "ONCRMDEALUPDATE" and peek["process_id"]
    rest_of = call("event.offline.get", clear=0)["result"]
    assert [e["EVENT_DATA"]["FIELDS"]["ID"] for e in rest_of["events"]] == [str(second)]
    assert call("event.offline.clear", process_id=peek["process_id"])["result"] is True
    assert call("event.offline.list")["total"] == 1
    assert call("event.offline.clear", process_id=rest_of["process_id"],
                message_id=[rest_of["events"][0]["MESSAGE_ID"]])["result"] is True
    portal.result("crm.deal.update", {"id": second, "fields": {"TITLE": "Ещё раз"}})
    taken = call("event.offline.get")["result"]
    assert [e["EVENT_DATA"]["FIELDS"]["ID"] for e in taken["events"]] == [str(second)]
    assert call("event.offline.get")["result"]["events"] == []
    webhook_try = portal.call("event.offline.get")
    assert webhook_try.status_code == 403 and webhook_try.json()["error"] == "WRONG_AUTH_TYPE"
