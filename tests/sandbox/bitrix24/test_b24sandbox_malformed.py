"""Malformed requests get the portal's error envelope and status, never a 500."""

from __future__ import annotations

from typing import Any

import pytest
from b24sandbox_helpers import Portal

# (name, verb, path ("{hook}" = webhook base), request kwargs, status, error code, description or None)
CASES: list[tuple[str, str, str, dict[str, Any], int, str, str | None]] = [
    ("unknown method before auth", "GET", "/rest/1/WRONG/no.such.method", {}, 404, "ERROR_METHOD_NOT_FOUND",
     "Method not found!"),
    ("unknown method", "GET", "{hook}crm.deal.nothing", {}, 404, "ERROR_METHOD_NOT_FOUND",
     "Method not found!"),
    ("key without user id", "GET", "/rest/k3y/crm.deal.list", {}, 404, "ERROR_METHOD_NOT_FOUND", None),
    ("path outside /rest", "GET", "/crm.deal.list", {}, 404, "ERROR_METHOD_NOT_FOUND", None),
    ("bad secret", "GET", "/rest/1/WRONG/crm.deal.list", {}, 401, "NO_AUTH_FOUND",
     "Wrong authorization data"),
    ("wrong user id", "GET", "/rest/7/k3y/crm.deal.list", {}, 401, "NO_AUTH_FOUND",
     "Wrong authorization data"),
    ("oauth without auth", "GET", "/rest/crm.deal.list", {}, 401, "NO_AUTH_FOUND", None),
    ("oauth bad token", "GET", "/rest/crm.deal.list.json?auth=nope", {}, 401, "NO_AUTH_FOUND", None),
    # undecodable JSON is an empty body on the portal: the method reports what is then missing
    ("bad JSON", "POST", "{hook}crm.deal.add", {"content": b"{not json", "headers": {
        "Content-Type": "application/json"}}, 400, "", "Parameter 'fields' must be array."),
    ("JSON array body", "POST", "{hook}crm.deal.get", {"content": b"[1,2]", "headers": {
        "Content-Type": "application/json"}}, 400, "", "ID is not defined or invalid."),
    ("fields not array", "POST", "{hook}crm.deal.add", {"json": {"fields": "TITLE"}}, 400, "",
     "Parameter 'fields' must be array."),
    ("fields missing", "POST", "{hook}crm.deal.update", {"json": {"id": 1}}, 400, "",
     "Parameter 'fields' must be array."),
    ("no id", "POST", "{hook}crm.deal.get", {"json": {}}, 400, "", "ID is not defined or invalid."),
    ("id not a number", "GET", "{hook}crm.deal.get?id=abc", {}, 400, "", "ID is not defined or invalid."),
    ("id negative", "GET", "{hook}crm.contact.delete?id=-5", {}, 400, "", "ID is not defined or invalid."),
    ("unknown id", "GET", "{hook}crm.deal.get?id=987654", {}, 400, "", "Not found"),
    ("unknown id update", "POST", "{hook}crm.deal.update", {"json": {"id": 987654, "fields": {"TITLE": "x"}}},
     400, "", "Not found"),
    ("filter value not int", "POST", "{hook}crm.deal.list", {"json": {"filter": {">ID": "abc"}}}, 400,
     "INVALID_ARG_VALUE", None),
    ("filter date garbage", "POST", "{hook}crm.deal.list",
     {"json": {"filter": {">DATE_MODIFY": "yesterday"}}},
     400, "INVALID_ARG_VALUE", None),
    ("filter as string", "POST", "{hook}crm.deal.list", {"json": {"filter": "ID=1"}}, 400,
     "INVALID_ARG_VALUE",
     None),
    ("filter nested array for scalar", "POST", "{hook}crm.deal.list", {"json": {"filter": {">ID": {"a": 1}}}},
     400, "INVALID_ARG_VALUE", None),
    ("bad date in fields", "POST", "{hook}crm.deal.add", {"json": {"fields": {"CLOSEDATE": "31/31/2020"}}},
     400,
     "", None),
    ("bad number in fields", "POST", "{hook}crm.deal.add", {"json": {"fields": {"OPPORTUNITY": "много"}}},
     400,
     "", None),
    ("array for scalar field", "POST", "{hook}crm.deal.add", {"json": {"fields": {"TITLE": ["a", "b"]}}}, 400,
     "", None),
    ("crm item without type", "POST", "{hook}crm.item.list", {"json": {}}, 400, "NOT_FOUND", None),
    ("crm item fields not array", "POST", "{hook}crm.item.add", {"json": {"entityTypeId": 2, "fields": 5}},
     400,
     "INVALID_ARG_VALUE", None),
    ("batch cmd not array", "POST", "{hook}batch", {"json": {"cmd": "crm.deal.list"}}, 400, "ERROR_ARGUMENT",
     None),
    ("userfield unknown type", "POST", "{hook}crm.deal.userfield.add", {"json": {"fields": {
        "FIELD_NAME": "X1", "USER_TYPE_ID": "hologram"}}}, 400, "ERROR_CORE", None),
    ("department bad id", "GET", "{hook}department.update?ID=abc", {}, 400, "ERROR_CORE", None),
    ("offline clear from a webhook", "GET", "{hook}event.offline.clear", {}, 403, "WRONG_AUTH_TYPE", None),
]


@pytest.mark.parametrize(("name", "verb", "path", "kwargs", "status", "code", "description"), CASES,
                         ids=[c[0] for c in CASES])
def test_malformed_request(portal: Portal, name: str, verb: str, path: str, kwargs: dict[str, Any],
                           status: int,
                           code: str, description: str | None) -> None:
    url = path.replace("{hook}", portal.hook) if path.startswith("{hook}") else portal.url + path
    response = portal.http.request(verb, url, **kwargs)
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/json; charset=utf-8"
    body = response.json()
    assert body["error"] == code
    assert isinstance(body["error_description"], str)
    if description is not None:
        assert body["error_description"] == description
    assert "result" not in body


def test_bad_json_on_a_list_is_an_empty_body(portal: Portal) -> None:
    response = portal.http.post(portal.hook + "crm.deal.list?select[]=ID&filter[ID]=3", content=b"{oops",
                                headers={"Content-Type": "application/json"})
    assert response.status_code == 200 and response.json()["result"] == [{"ID": "3"}]


def test_multipart_garbage_is_an_empty_body(portal: Portal) -> None:
    response = portal.http.post(portal.hook + "crm.deal.list?filter[ID]=2&select[]=ID",
                                content=b"--x\r\ngarbage",
                                headers={"Content-Type": "multipart/form-data; boundary=zzz"})
    assert response.status_code == 200
    assert response.json()["result"] == [{"ID": "2"}]


def test_unencoded_plus_in_a_date_is_named(portal: Portal) -> None:
    response = portal.http.get(portal.hook + "crm.deal.list?filter[>DATE_MODIFY]=2026-01-01T00:00:00+03:00")
    assert response.status_code == 400 and "%2B" in response.json()["error_description"]
    encoded = portal.http.get(portal.hook + "crm.deal.list?filter[>DATE_MODIFY]=2026-01-01T00:00:00%2B03:00")
    assert encoded.status_code == 200
