"""Malformed requests get JIRA's ErrorCollection with a 4xx status, never a 500 or a traceback."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sync_engine.sandbox.common.twin import TwinSettings
from sync_engine.sandbox.jira.app import JiraTwin, create_twin
from sync_engine.sandbox.jira.errors import ApiError

if TYPE_CHECKING:
    from conftest import Served


GOOD = {"project": {"key": "PROC"}, "issuetype": {"name": "Purchase request"}, "summary": "x"}
GOOD_RAW = json.dumps({"fields": {**GOOD, "customfield_10101": 0}}).replace('0}}', '%s}}').encode()

# (method, path, kwargs, status, where the message must be: "messages" or an errors key)
SERVER_CASES: list[tuple[str, str, dict[str, Any], int, str]] = [
    ("POST", "/rest/api/2/issue", {"content": b"{not json"}, 400, "messages"),
    ("POST", "/rest/api/2/issue", {"content": b""}, 400, "messages"),
    ("POST", "/rest/api/2/issue", {"content": b"[" * 100_000}, 400, "messages"),
    ("POST", "/rest/api/2/issue", {"content": b"\xff\xfe{"}, 400, "messages"),
    ("POST", "/rest/api/2/issue", {"json": ["a", "list"]}, 400, "messages"),
    ("POST", "/rest/api/2/issue", {"json": {"fields": "text"}}, 400, "fields"),
    ("POST", "/rest/api/2/issue", {"json": {"fields": {}}}, 400, "project"),
    ("POST", "/rest/api/2/issue", {"json": {"fields": {**GOOD, "summary": 5}}}, 400, "summary"),
    ("POST", "/rest/api/2/issue", {"json": {"fields": {**GOOD, "summary": "  "}}}, 400, "summary"),
    ("POST", "/rest/api/2/issue", {"json": {"fields": {**GOOD, "bogus": 1}}}, 400, "bogus"),
    ("POST", "/rest/api/2/issue", {"json": {"fields": {**GOOD, "customfield_10101": "abc"}}}, 400,
     "customfield_10101"),
    ("POST", "/rest/api/2/issue", {"json": {"fields": {**GOOD, "customfield_10101": True}}}, 400,
     "customfield_10101"),
    ("POST", "/rest/api/2/issue", {"content": GOOD_RAW % b"1e999"}, 400, "customfield_10101"),
    ("POST", "/rest/api/2/issue", {"content": GOOD_RAW % (b"9" * 400)}, 400, "customfield_10101"),
    ("POST", "/rest/api/2/issue", {"json": {"fields": {**GOOD, "customfield_10104": "RUB"}}}, 400,
     "customfield_10104"),
    ("POST", "/rest/api/2/issue", {"json": {"fields": {**GOOD, "customfield_10106": "31.12.2024"}}}, 400,
     "customfield_10106"),
    ("POST", "/rest/api/2/issue", {"json": {"fields": {**GOOD, "labels": "a b"}}}, 400, "labels"),
    ("POST", "/rest/api/2/issue", {"json": {"fields": {**GOOD, "assignee": {"name": "nobody"}}}}, 400,
     "assignee"),
    ("POST", "/rest/api/2/issue", {"json": {"fields": {**GOOD, "project": {"key": "NOPE"}}}}, 400, "project"),
    ("POST", "/rest/api/2/issue", {"json": {"fields": {**GOOD, "issuetype": {"id": "99"}}}}, 400, "issuetype"),
    ("POST", "/rest/api/2/issue", {"json": {"fields": {**GOOD, "customfield_10101": 1}, "project": 1}}, 201, ""),
    ("POST", "/rest/api/2/issue/bulk", {"json": {"issueUpdates": "x"}}, 400, "messages"),
    ("POST", "/rest/api/2/issue/bulk", {"json": {"issueUpdates": [{"fields": {}}]}}, 400, "bulk"),
    ("PUT", "/rest/api/2/issue/PROC-1", {"json": {"fields": {"status": {"name": "Выполнен"}}}}, 400, "status"),
    ("PUT", "/rest/api/2/issue/PROC-1", {"json": {"fields": {"created": "2020-01-01"}}}, 400, "created"),
    ("PUT", "/rest/api/2/issue/PROC-1", {"json": {"fields": [1]}}, 400, "messages"),
    ("PUT", "/rest/api/2/issue/PROC-1", {"json": {"update": {"labels": [{"explode": "x"}]}}}, 400, "labels"),
    ("PUT", "/rest/api/2/issue/PROC-1", {"json": {"fields": {"summary": "a"}, "update": {"summary": [
        {"set": "b"}]}}}, 400, "summary"),
    ("GET", "/rest/api/2/issue/PROC-999999", {}, 404, "messages"),
    ("GET", "/rest/api/2/issue/NOPE-1", {}, 404, "messages"),
    ("GET", "/rest/api/2/issue/" + "9" * 40, {}, 404, "messages"),
    ("PUT", "/rest/api/2/issue/PROC-999999", {"json": {"fields": {}}}, 404, "messages"),
    ("DELETE", "/rest/api/2/issue/PROC-999999", {}, 404, "messages"),
    ("GET", "/rest/api/2/issue/PROC-1/transitions", {}, 200, ""),
    ("POST", "/rest/api/2/issue/PROC-1/transitions", {"json": {"transition": "21"}}, 400, "messages"),
    ("POST", "/rest/api/2/issue/PROC-1/transitions", {"json": {"transition": {"id": "9999"}}}, 400, "messages"),
    ("POST", "/rest/api/2/issue/PROC-1/comment", {"json": {"body": ""}}, 400, "comment"),
    ("POST", "/rest/api/2/issue/PROC-1/comment", {"json": {"body": 42}}, 400, "comment"),
    ("PUT", "/rest/api/2/issue/PROC-1/assignee", {"json": {"name": "ghost"}}, 400, "assignee"),
    ("GET", "/rest/api/2/issue/PROC-1/comment/424242", {}, 404, "messages"),
    ("GET", "/rest/api/2/no/such/endpoint", {}, 404, "messages"),
    ("PATCH", "/rest/api/2/issue/PROC-1", {}, 405, "messages"),
    ("GET", "/rest/api/2/search", {"params": {"jql": "project = PROC", "maxResults": -1}}, 400, "messages"),
    ("GET", "/rest/api/2/search", {"params": {"jql": "project = PROC", "startAt": -5}}, 400, "messages"),
    ("GET", "/rest/api/2/search", {"params": {"jql": "project = PROC", "maxResults": "ten"}}, 400, "messages"),
    ("GET", "/rest/api/2/search", {"params": {"jql": "project = PROC", "validateQuery": "maybe"}}, 400,
     "messages"),
    ("GET", "/rest/api/2/search", {"params": {"jql": "project = PROC", "startAt": 10**30}}, 200, ""),
    ("POST", "/rest/api/2/search", {"json": {"jql": 5}}, 400, "messages"),
    ("POST", "/rest/api/2/search", {"json": {"jql": "project = PROC", "fields": [1, 2]}}, 400, "messages"),
    ("POST", "/rest/api/2/search", {"json": {"jql": "project = PROC", "maxResults": 1.5}}, 400, "messages"),
    ("POST", "/rest/api/2/search", {"content": b"]]"}, 400, "messages"),
    ("GET", "/rest/api/2/search", {"params": {"jql": "summary ~ \"\\\"\" AND (((("}}, 400, "messages"),
    ("GET", "/rest/api/2/project/NOPE", {}, 404, "messages"),
    ("GET", "/rest/api/2/user", {"params": {"username": "ghost"}}, 404, "messages"),
    ("GET", "/rest/api/2/user/search", {}, 400, "messages"),
    ("GET", "/rest/api/2/issue/createmeta/PROC/issuetypes/777", {}, 404, "messages"),
    ("POST", "/rest/webhooks/1.0/webhook", {"json": {"name": "", "url": "ftp://x"}}, 400, "url"),
    ("GET", "/rest/webhooks/1.0/webhook/999", {}, 404, "messages"),
]


@pytest.mark.parametrize("method, path, kwargs, status, where", SERVER_CASES)
def test_malformed_requests_server(server_twin: Served, method: str, path: str, kwargs: dict[str, Any],
                                   status: int, where: str) -> None:
    with server_twin.http() as http:
        resp = http.request(method, path, **kwargs)
    assert resp.status_code == status, resp.text
    if status < 300:
        return
    body = resp.json()
    if where == "bulk":  # bulk create keeps its own shape even when every element failed
        assert body["issues"] == [] and body["errors"][0]["failedElementNumber"] == 0
        assert body["errors"][0]["elementErrors"]["errors"]["project"]
        return
    assert set(body) >= {"errorMessages", "errors"}
    assert isinstance(body["errorMessages"], list) and isinstance(body["errors"], dict)
    if where == "messages":
        assert body["errorMessages"] and all(isinstance(m, str) and m for m in body["errorMessages"])
    else:
        assert body["errors"].get(where), body


CLOUD_CASES: list[tuple[str, str, dict[str, Any], int]] = [
    ("GET", "/rest/api/2/search/jql", {"params": {"jql": "project = PROC", "maxResults": 0}}, 400),
    ("GET", "/rest/api/2/search/jql", {"params": {"jql": "project = PROC", "nextPageToken": "garbage"}}, 400),
    ("GET", "/rest/api/2/search/jql", {"params": {"jql": ""}}, 400),
    ("POST", "/rest/api/3/search/jql", {"json": {"jql": "project = PROC", "fields": "summary,bogus"}}, 200),
    ("POST", "/rest/api/2/search/approximate-count", {"json": {"jql": "project = "}}, 400),
    ("POST", "/rest/api/2/search", {"json": {"jql": "project = PROC"}}, 410),
    ("POST", "/rest/api/2/issue/bulk", {"json": {"issueUpdates": [{"fields": GOOD}] * 51}}, 400),
    ("PUT", "/rest/api/2/issue/PROC-1/assignee", {"json": {"accountId": "nope"}}, 400),
    ("GET", "/rest/api/2/user", {"params": {"username": "a.morozov"}}, 400),
]


@pytest.mark.parametrize("method, path, kwargs, status", CLOUD_CASES)
def test_malformed_requests_cloud(cloud_twin: Served, method: str, path: str, kwargs: dict[str, Any],
                                  status: int) -> None:
    with cloud_twin.http() as http:
        resp = http.request(method, path, **kwargs)
    assert resp.status_code == status, resp.text
    if status >= 400:
        body = resp.json()
        assert body["errorMessages"] or body["errors"]


def test_v3_speaks_adf_for_text(cloud_twin: Served) -> None:
    with cloud_twin.http() as http:
        adf = {"type": "doc", "version": 1, "content": [{"type": "paragraph", "content": [
            {"type": "text", "text": "Описание в ADF"}]}]}
        created = http.post("/rest/api/3/issue", json={"fields": {**GOOD, "description": adf}})
        assert created.status_code == 201 and "/rest/api/3/issue/" in created.json()["self"]
        key = created.json()["key"]
        v2 = http.get(f"/rest/api/2/issue/{key}").json()
        v3 = http.get(f"/rest/api/3/issue/{key}").json()
    assert v2["fields"]["description"] == "Описание в ADF"
    assert v3["fields"]["description"]["type"] == "doc"


def test_auth_failures(server_twin: Served, cloud_twin: Served) -> None:
    import httpx

    for s in (server_twin, cloud_twin):
        wrong = httpx.get(f"{s.url}/rest/api/2/myself", auth=(s.twin.user, "nope"))
        assert wrong.status_code == 401 and wrong.json()["errorMessages"]
        if not s.cloud:
            assert wrong.headers["X-Seraph-LoginReason"] == "AUTHENTICATED_FAILED"
        bearer = httpx.get(f"{s.url}/rest/api/2/myself", headers={"Authorization": "Bearer nope"})
        assert bearer.status_code == 401
        garbage = httpx.get(f"{s.url}/rest/api/2/myself", headers={"Authorization": "Basic %%%"})
        assert garbage.status_code == 401
        assert httpx.get(f"{s.url}/rest/api/2/serverInfo").status_code == 200
        assert httpx.get(f"{s.url}/rest/api/2/field").status_code == 401


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3),
    max_leaves=6,
)
FIELD_NAMES = st.sampled_from(["summary", "description", "labels", "assignee", "priority", "duedate", "status",
                               "customfield_10101", "customfield_10104", "customfield_10106", "bogus"])


@pytest.fixture(scope="module")
def fuzz_twin() -> JiraTwin:
    return create_twin(TwinSettings(admin_token="x", seed="demo", limits=False))


@settings(max_examples=200, deadline=None)
@given(st.dictionaries(FIELD_NAMES, JSON_VALUES, max_size=4), JSON_VALUES, JSON_VALUES)
def test_any_field_values_are_stored_or_refused(fuzz_twin: JiraTwin, fields: dict[str, Any], update: Any,
                                                edit: Any) -> None:
    service = fuzz_twin.service
    try:
        row = service.create({"fields": {**GOOD, **fields}, "update": update}, "integration")
    except ApiError as exc:
        assert exc.status == 400 and (exc.messages or exc.errors)
        row = service.get("PROC-1")
    for payload in (edit, {"fields": edit}, {"update": edit}, {"transition": edit}):
        try:
            if isinstance(payload, dict) and "transition" in payload:
                service.transition(row, payload, "integration")
            else:
                service.edit(row, payload, "integration")
        except ApiError as exc:
            assert exc.status == 400 and (exc.messages or exc.errors)
    assert service.get(row.key).fields["summary"]
