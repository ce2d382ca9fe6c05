"""Webhook registration and signed, filtered, retried delivery to a real HTTP receiver."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from conftest import ServeFactory


SECRET = "s3cr3t-for-tests"


class Receiver:
    """A stdlib HTTP server recording each POST; answers 500 to the first ``fail_first`` requests."""

    def __init__(self, fail_first: int = 0) -> None:
        self.calls: list[tuple[dict[str, str], bytes]] = []
        self.fail_first = fail_first
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                with receiver.lock:
                    receiver.calls.append(({k.lower(): v for k, v in self.headers.items()}, body))
                    failing = len(receiver.calls) <= receiver.fail_first
                self.send_response(500 if failing else 200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def wait(self, count: int, timeout: float = 10.0) -> list[tuple[dict[str, str], bytes]]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                if len(self.calls) >= count:
                    return list(self.calls)
            time.sleep(0.02)
        raise AssertionError(f"expected {count} webhook calls, got {len(self.calls)}")

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    yield r
    r.close()


def _verify(headers: dict[str, str], body: bytes) -> dict[str, Any]:
    expected = "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
    assert hmac.compare_digest(headers["x-hub-signature"], expected)
    assert headers["x-atlassian-webhook-identifier"]
    payload: dict[str, Any] = json.loads(body)
    return payload


@pytest.mark.parametrize("flavour", ["server", "cloud"])
def test_signed_filtered_delivery(serve: ServeFactory, receiver: Receiver, flavour: str) -> None:
    s = serve(flavour, seed="empty")
    with s.http() as http:
        created = http.post("/rest/webhooks/1.0/webhook", json={
            "name": "b24 sync", "url": receiver.url, "secret": SECRET,
            "events": ["jira:issue_created", "jira:issue_updated", "jira:issue_deleted"],
            "filters": {"issue-related-events-section": "project = PROC"}})
        assert created.status_code == 201, created.text
        hook = created.json()
        assert hook["self"].endswith(f"/rest/webhooks/1.0/webhook/{hook['self'].rsplit('/', 1)[1]}")
        assert "secret" not in hook
        assert [h["name"] for h in http.get("/rest/webhooks/1.0/webhook").json()] == ["b24 sync"]
        bad = http.post("/rest/webhooks/1.0/webhook", json={"name": "x", "url": receiver.url,
                                                            "events": ["jira:issue_created"],
                                                            "filters": {"issue-related-events-section": "foo = "}})
        assert bad.status_code == 400 and "filters" in bad.json()["errors"]
    jira = s.client()
    jira.create_issue(project="SALES", issuetype="Task", summary="Не наш проект")
    issue = jira.create_issue(project="PROC", issuetype="Purchase request", summary="Заявка с вебхуком")
    issue.update(fields={"customfield_10101": 1200.5})
    jira.transition_issue(issue, "Квалификация")
    issue.delete()
    calls = receiver.wait(4)
    time.sleep(0.3)
    assert len(receiver.calls) == 4  # the SALES issue did not match the filter
    payloads = [_verify(h, b) for h, b in calls]
    assert [p["webhookEvent"] for p in payloads] == [
        "jira:issue_created", "jira:issue_updated", "jira:issue_updated", "jira:issue_deleted"]
    assert [p["issue_event_type_name"] for p in payloads] == [
        "issue_created", "issue_updated", "issue_generic", "issue_deleted"]
    first, update, move, _ = payloads
    assert first["issue"]["key"] == issue.key and first["issue"]["fields"]["status"]["name"] == "Открыт"
    assert first["user"]["accountId" if flavour == "cloud" else "name"]
    (item,) = update["changelog"]["items"]
    assert item["field"] == "Сумма" and item["fieldtype"] == "custom" and item["toString"] == "1200.5"
    status_item = next(i for i in move["changelog"]["items"] if i["field"] == "status")
    assert (status_item["fromString"], status_item["toString"]) == ("Открыт", "Квалификация")
    assert ("fieldId" in status_item) == (flavour == "cloud")
    assert move["issue"]["fields"]["updated"] >= first["issue"]["fields"]["updated"]


def test_retry_after_receiver_error_keeps_identifier(serve: ServeFactory) -> None:
    receiver = Receiver(fail_first=1)
    try:
        s = serve("server", seed="empty")
        with s.http() as http:
            assert http.post("/rest/jira-webhook/1.0/webhooks", json={
                "name": "retry", "url": receiver.url, "events": ["jira:issue_created"]}).status_code == 201
        s.client().create_issue(project="SALES", issuetype="Task", summary="Повтор")
        (h1, b1), (h2, b2) = receiver.wait(2)
        assert b1 == b2 and "x-hub-signature" not in h1
        assert h1["x-atlassian-webhook-identifier"] == h2["x-atlassian-webhook-identifier"]
        assert h2["x-atlassian-webhook-retry"] == "1"
    finally:
        receiver.close()


def test_comment_events(serve: ServeFactory, receiver: Receiver) -> None:
    s = serve("server", seed="empty")
    with s.http() as http:
        assert http.post("/rest/webhooks/1.0/webhook", json={
            "name": "c", "url": receiver.url, "events": ["comment_created", "jira:issue_updated"]}).status_code == 201
    jira = s.client()
    issue = jira.create_issue(project="SALES", issuetype="Bug", summary="Комментарии")
    jira.add_comment(issue, "Первый комментарий")
    calls = receiver.wait(2)
    events = {json.loads(b)["webhookEvent"]: json.loads(b) for _, b in calls}
    assert events["jira:issue_updated"]["issue_event_type_name"] == "issue_commented"
    assert events["jira:issue_updated"]["comment"]["body"] == "Первый комментарий"
    assert events["comment_created"]["comment"]["author"]["name"] == "integration"
    assert events["comment_created"]["issue"]["key"] == issue.key


def test_webhook_update_and_delete(serve: ServeFactory, receiver: Receiver) -> None:
    s = serve("server", seed="empty")
    with s.http() as http:
        hook = http.post("/rest/webhooks/1.0/webhook", json={
            "name": "a", "url": receiver.url, "events": ["jira:issue_created"]}).json()
        path = "/rest/webhooks/1.0/webhook/" + hook["self"].rsplit("/", 1)[1]
        changed = http.put(path, json={"name": "renamed", "enabled": False})
        assert changed.status_code == 200 and changed.json()["name"] == "renamed"
        s.client().create_issue(project="SALES", issuetype="Task", summary="Выключен")
        assert http.delete(path).status_code == 204
        assert http.get(path).status_code == 404
    time.sleep(0.3)
    assert receiver.calls == []


def test_comment_edit_and_delete_events(serve: ServeFactory, receiver: Receiver) -> None:
    s = serve("cloud", seed="empty")
    with s.http() as http:
        assert http.post("/rest/webhooks/1.0/webhook", json={
            "name": "c", "url": receiver.url,
            "events": ["comment_created", "comment_updated", "comment_deleted"]}).status_code == 201
    jira = s.client()
    issue = jira.create_issue(project="SALES", issuetype="Bug", summary="Правки комментариев")
    comment = jira.add_comment(issue, "черновик")
    comment.update(body="исправлено")
    comment.delete()
    calls = receiver.wait(3)
    payloads = [json.loads(b) for _, b in calls]
    assert [p["webhookEvent"] for p in payloads] == ["comment_created", "comment_updated", "comment_deleted"]
    assert [p["comment"]["body"]["content"][0]["content"][0]["text"] if isinstance(p["comment"]["body"], dict)
            else p["comment"]["body"] for p in payloads] == ["черновик", "исправлено", "исправлено"]
    assert {p["comment"]["id"] for p in payloads} == {comment.id}


def test_bulk_transition_fires_one_webhook_per_issue(serve: ServeFactory, receiver: Receiver) -> None:
    s = serve("cloud", seed="empty")
    with s.http() as http:
        assert http.post("/rest/webhooks/1.0/webhook", json={
            "name": "bulk", "url": receiver.url, "events": ["jira:issue_updated"]}).status_code == 201
        body = {"issueUpdates": [{"fields": {"project": {"key": "SALES"}, "issuetype": {"name": "Task"},
                                             "summary": f"bulk hook {i}"}} for i in range(5)]}
        keys = [i["key"] for i in http.post("/rest/api/3/issue/bulk", json=body).json()["issues"]]
        task = http.post("/rest/api/3/bulk/issues/transition", json={
            "bulkTransitionInputs": [{"selectedIssueIdsOrKeys": keys, "transitionId": "21"}]}).json()
        assert task["taskId"]
    calls = receiver.wait(5)
    payloads = [json.loads(b) for _, b in calls]
    assert sorted(p["issue"]["key"] for p in payloads) == sorted(keys)
    assert {p["issue_event_type_name"] for p in payloads} == {"issue_generic"}
    assert all(p["issue"]["fields"]["status"]["name"] == "In Progress" for p in payloads)
