"""URL forms, parameter encodings and envelopes of the Bitrix24 twin, over loopback HTTP."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

import pytest
from b24sandbox_helpers import Portal

TIME_KEYS = {"start", "finish", "duration", "processing", "date_start", "date_finish", "operating",
             "operating_reset_at"}


@pytest.mark.parametrize("suffix", ["crm.deal.list", "crm.deal.list.json", "crm.deal.list/",
                                    "crm.deal.list.json/", "CRM.Deal.List", "Crm.DEAL.list.JSON/"])
def test_url_forms_answer_without_redirect(portal: Portal, suffix: str) -> None:
    response = portal.http.get(portal.hook + suffix)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/json; charset=utf-8"
    body = response.json()
    assert len(body["result"]) == 40
    assert body["total"] == 40 and "next" not in body
    assert set(body["time"]) == TIME_KEYS
    assert body["time"]["date_start"].endswith("+03:00")


def test_get_query_with_php_nesting(portal: Portal) -> None:
    response = portal.http.get(portal.hook + "crm.deal.list.json",
                               params={"filter[>ID]": "35", "select[]": ["ID", "TITLE"], "order[ID]": "DESC"})
    body = response.json()
    assert [d["ID"] for d in body["result"]] == ["40", "39", "38", "37", "36"]
    assert set(body["result"][0]) == {"ID", "TITLE"}


def test_raw_query_with_encoded_operators(portal: Portal) -> None:
    response = portal.http.get(portal.hook + "crm.deal.list?FILTER%5B%3E%3DID%5D=39&SELECT%5B%5D=ID")
    assert [d["ID"] for d in response.json()["result"]] == ["39", "40"]


def test_form_body_with_nested_keys_and_upper_case_params(portal: Portal) -> None:
    response = portal.http.post(portal.hook + "crm.contact.add", data={
        "FIELDS[NAME]": "Пётр", "FIELDS[LAST_NAME]": "Формов",
        "FIELDS[PHONE][0][VALUE]": "+7 900 000-00-01", "FIELDS[PHONE][0][VALUE_TYPE]": "WORK",
        "FIELDS[EMAIL][0][VALUE]": "p.formov@example.ru"})
    assert response.status_code == 200, response.text
    contact_id = response.json()["result"]
    got = portal.result("crm.contact.get", {"id": contact_id})
    assert got["NAME"] == "Пётр" and got["HAS_PHONE"] == "Y" and got["HAS_EMAIL"] == "Y"
    assert got["PHONE"][0]["VALUE"] == "+7 900 000-00-01" and got["PHONE"][0]["TYPE_ID"] == "PHONE"


def test_multipart_form_body(portal: Portal) -> None:
    parts = {"filter[ID]": (None, "7"), "select[]": (None, "ID")}
    response = portal.http.post(portal.hook + "crm.deal.list", files=parts)
    assert response.status_code == 200, response.text
    assert response.json()["result"] == [{"ID": "7"}]


def test_json_body_wins_over_query(portal: Portal) -> None:
    response = portal.http.post(portal.hook + "crm.deal.get?id=1", json={"id": 2})
    assert response.json()["result"]["ID"] == "2"


def test_oauth_route_with_auth_in_query_form_and_json(portal: Portal) -> None:
    app = portal.admin("POST", "oauth-app").json()
    assert app["client_endpoint"] == portal.url + "/rest/"
    base = app["client_endpoint"]
    by_query = portal.http.get(base + "user.current.json", params={"auth": app["access_token"]})
    assert by_query.status_code == 200 and by_query.json()["result"]["ID"] == "1"
    by_form = portal.http.post(base + "crm.deal.get", data={"auth": app["access_token"], "id": "3"})
    assert by_form.json()["result"]["ID"] == "3"
    by_json = portal.http.post(base + "crm.deal.get/", json={"auth": app["access_token"], "ID": 4})
    assert by_json.json()["result"]["ID"] == "4"


def test_unicode_answer_is_utf8_json(portal: Portal) -> None:
    raw = portal.http.get(portal.hook + "crm.status.list", params={"filter[ENTITY_ID]": "DEAL_STAGE"}).content
    stages = json.loads(raw.decode("utf-8"))["result"]
    assert stages[0]["NAME"] == "Новая заявка"
    assert [s["STATUS_ID"] for s in stages][-3:] == ["WON", "LOSE", "APOLOGY"]
    assert stages[5]["SEMANTICS"] == "S" and stages[0]["EXTRA"]["SEMANTICS"] == "process"


def test_connection_info_and_admin_needs_token(portal: Portal) -> None:
    assert portal.hook == f"{portal.url}/rest/1/k3y/"
    assert portal.http.get(portal.url + "/_sandbox/counters").status_code == 401
    assert portal.admin("GET", "counters").status_code == 200


def test_xml_transport(portal: Portal) -> None:
    params = {"select[]": "ID", "filter[<ID]": "3"}
    response = portal.http.get(portal.hook + "crm.deal.list.xml", params=params)
    assert response.status_code == 200 and response.headers["content-type"] == "text/xml; charset=utf-8"
    root = ET.fromstring(response.content)
    assert [e.text for e in root.findall("./result/item/ID")] == ["1", "2"] and root.findtext("total") == "2"
    missing = portal.http.get(portal.hook + "crm.deal.get.xml", params={"id": 999999})
    assert missing.status_code == 400
    assert ET.fromstring(missing.content).findtext("error_description") == "Not found"


def test_or_logic_groups(portal: Portal) -> None:
    legacy = portal.result("crm.deal.list", {"filter": {"LOGIC": "OR", "0": {"ID": 1}, "1": {"ID": 2}},
                                             "select": ["ID"]})
    assert legacy == [{"ID": "1"}, {"ID": "2"}]
    items = portal.result("crm.item.list", {"entityTypeId": 2, "select": ["id"], "filter": {
        "0": {"logic": "OR", "0": {"id": 3}, "1": {"id": 4}}, "<id": 4}})["items"]
    assert items == [{"id": 3}]


def test_json_is_encoded_like_php(portal: Portal) -> None:
    deal_id = portal.result("crm.deal.add", {"fields": {"TITLE": "A & B </x> 'q' \"dq\" — сделка"}})
    raw = portal.http.get(portal.hook + "crm.deal.get", params={"id": deal_id}).content.decode("utf-8")
    assert '"TITLE":"A \\u0026 B \\u003C\\/x\\u003E \\u0027q\\u0027 \\u0022dq\\u0022 — сделка"' in raw
    assert json.loads(raw)["result"]["TITLE"] == "A & B </x> 'q' \"dq\" — сделка"
