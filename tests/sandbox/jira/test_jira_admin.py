"""Admin endpoint (counters, faults, seed, reset), the per-credential rate limit, and persistence."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING

import httpx
import pytest
from jira import JIRAError

from sync_engine.sandbox.common.threaded import ThreadedTwinServer
from sync_engine.sandbox.common.twin import TwinSettings
from sync_engine.sandbox.jira.app import create_twin

if TYPE_CHECKING:
    from conftest import ServeFactory



def test_counters_and_injected_faults(serve: ServeFactory) -> None:
    s = serve("server")
    jira = s.client()
    jira.issue("PROC-1")
    jira.issue("PROC-2")
    counters = s.admin("GET", "counters").json()
    assert counters["by_method"]["GET /rest/api/2/issue/{key}"] == 2
    assert counters["by_method"]["GET /rest/api/2/serverInfo"] == 1
    assert httpx.get(f"{s.url}/_sandbox/counters").status_code == 401

    assert s.admin("POST", "faults", {"limit_rate": 1.0}).status_code == 200
    with s.http() as http:
        limited = http.get("/rest/api/2/issue/PROC-1")
    assert limited.status_code == 429
    assert int(limited.headers["Retry-After"]) >= 1
    assert limited.headers["X-RateLimit-Limit"] and limited.headers["X-RateLimit-Remaining"] == "0"
    assert limited.json()["errorMessages"]
    with pytest.raises(JIRAError) as err:
        jira.issue("PROC-1")
    assert err.value.status_code == 429

    s.admin("POST", "faults", {"limit_rate": 0.0, "error_rate": 1.0})
    with s.http() as http:
        failed = http.get("/rest/api/2/issue/PROC-1")
    assert failed.status_code == 503 and failed.json()["errorMessages"]
    s.admin("POST", "reset", {})
    assert jira.issue("PROC-1").key == "PROC-1"
    assert s.admin("GET", "counters").json()["by_method"] == {"GET /rest/api/2/issue/{key}": 1}


def test_seed_and_reset_hooks(serve: ServeFactory) -> None:
    s = serve("cloud")
    jira = s.client()
    assert jira.approximate_issue_count("project = PROC") == 30
    reseeded = s.admin("POST", "seed", {"seed": "demo", "issues": 20})
    assert reseeded.status_code == 200 and reseeded.json()["issues"] == 30 + 5 + 23 + 20
    assert jira.approximate_issue_count("project = PROC") == 50
    assert s.admin("POST", "seed", {"seed": "empty"}).json()["issues"] == 0
    assert s.admin("POST", "seed", {"seed": "weird"}).status_code == 400
    assert s.admin("POST", "seed", {"issues": -1}).status_code == 400
    s.admin("POST", "seed", {"seed": "demo"})
    s.admin("POST", "reset", {"data": True})
    assert jira.approximate_issue_count("project = PROC or project = SALES") == 0
    created = jira.create_issue(project="PROC", issuetype="Purchase request", summary="После сброса")
    assert created.key == "PROC-1"
    assert {p.key for p in jira.projects()} == {"PROC", "SALES", "CRM", "CAT"}  # configuration survives a data reset


def test_rate_limit_token_bucket(serve: ServeFactory) -> None:
    limited = serve("server", limits=True, seed="empty")
    assert limited.twin.limiter is not None
    limited.twin.limiter.clock = lambda: 1000.0  # frozen time: no refill, so exactly the burst gets through
    with limited.http() as http, ThreadPoolExecutor(8) as pool:  # parallel: loopback round trips are slow
        codes = list(pool.map(lambda _: http.get("/rest/api/2/myself"), range(105)))
    refused = [r for r in codes if r.status_code == 429]
    assert len(refused) == 5, "a burst of 105 calls must get exactly 100 through the bucket"
    assert all(r.headers["Retry-After"] == "1" for r in refused)
    assert refused[0].headers["X-RateLimit-FillRate"] == "20" and refused[0].json()["errorMessages"]
    limited.twin.limiter.clock = lambda: 1001.0  # one second later 20 tokens are back
    with limited.http() as http:
        ok = http.get("/rest/api/2/myself")
        assert ok.status_code == 200 and ok.headers["X-RateLimit-Remaining"] == "19"
    unlimited = serve("server", limits=False, seed="empty")
    with unlimited.http() as http, ThreadPoolExecutor(8) as pool:
        assert all(r.status_code == 200 for r in pool.map(lambda _: http.get("/rest/api/2/myself"), range(105)))


def test_state_survives_restart(tmp_path: Path) -> None:
    path = tmp_path / "jira.sqlite"
    settings = TwinSettings(admin_token="admin", seed="empty", limits=False, state_path=path,
                            credentials={"user": "robot", "token": "fixed-token"})
    first = create_twin(settings)
    with ThreadedTwinServer(first) as url:
        r = httpx.post(f"{url}/rest/api/2/issue", auth=("robot", "fixed-token"), json={"fields": {
            "project": {"key": "SALES"}, "issuetype": {"name": "Task"}, "summary": "Переживёт перезапуск"}})
        assert r.status_code == 201
        assert first.connection_info() == {"jira_url": url, "jira_user": "robot", "jira_token": "fixed-token"}
    first.store.close()
    second = create_twin(settings)
    with ThreadedTwinServer(second) as url:
        again = httpx.get(f"{url}/rest/api/2/issue/SALES-1", auth=("robot", "fixed-token"))
        assert again.json()["fields"]["summary"] == "Переживёт перезапуск"
        nxt = httpx.post(f"{url}/rest/api/2/issue", auth=("robot", "fixed-token"), json={"fields": {
            "project": {"key": "SALES"}, "issuetype": {"name": "Task"}, "summary": "Следующая"}})
        assert nxt.json()["key"] == "SALES-2"


def test_a_person_token_authenticates_that_person_with_their_own_bucket(serve: ServeFactory) -> None:
    s = serve("server", limits=True)
    made = s.admin("POST", "api-tokens", {"user": "d.volkov"})
    assert made.status_code == 200 and made.json()["user"] == "d.volkov"
    token = made.json()["token"]
    assert s.admin("POST", "api-tokens", {"user": "nobody"}).status_code == 404
    assert httpx.post(f"{s.url}/_sandbox/api-tokens", json={"user": "d.volkov"}).status_code == 401
    with httpx.Client(base_url=s.url, auth=("d.volkov", token), timeout=30) as person, s.http() as integration:
        assert person.get("/rest/api/2/myself").json()["name"] == "d.volkov"
        by_mail = httpx.get(f"{s.url}/rest/api/2/myself", auth=(made.json()["email"], token), timeout=30)
        assert by_mail.json()["name"] == "d.volkov"
        bearer = httpx.get(f"{s.url}/rest/api/2/myself", headers={"Authorization": f"Bearer {token}"}, timeout=30)
        assert bearer.json()["name"] == "d.volkov"
        # Another user's name with this token, or this token for the integration user, is refused.
        assert httpx.get(f"{s.url}/rest/api/2/myself", auth=("s.kozlov", token), timeout=30).status_code == 401
        assert httpx.get(f"{s.url}/rest/api/2/myself", auth=(s.twin.user, token), timeout=30).status_code == 401
        # The person spends their own burst; the integration user still has all of its own.
        answers = [person.get("/rest/api/2/serverInfo").status_code for _ in range(110)]
        assert 429 in answers
        assert integration.get("/rest/api/2/serverInfo").status_code == 200
        remaining = integration.get("/rest/api/2/serverInfo").headers["X-RateLimit-Remaining"]
        assert int(remaining) >= 90


def test_journal_records_each_committed_change_with_its_author(serve: ServeFactory) -> None:
    s = serve("server")
    start = s.admin("GET", "journal").json()["last"]
    token = s.admin("POST", "api-tokens", {"user": "d.volkov"}).json()["token"]
    with httpx.Client(base_url=s.url, auth=("d.volkov", token), timeout=30) as person:
        assert person.put("/rest/api/2/issue/PROC-1", json={"fields": {"summary": "Журнал"}}).status_code == 204
    with s.http() as integration:
        assert integration.put("/rest/api/2/issue/PROC-2", json={"fields": {"summary": "Второй"}}).status_code == 204
        integration.get("/rest/api/2/issue/PROC-2")  # reads are not changes
    got = s.admin("GET", f"journal?after={start}").json()
    entries = got["entries"]
    assert [(e["key"], e["actor"], e["changes"]) for e in entries] == [
        ("PROC-1", "d.volkov", {"summary": "Журнал"}), ("PROC-2", s.twin.login, {"summary": "Второй"})]
    assert entries[0]["event"] == "jira:issue_updated" and entries[0]["at"] <= entries[1]["at"]
    assert got["last"] == entries[-1]["seq"] and got["lost"] is False
    assert s.admin("GET", f"journal?after={got['last']}").json()["entries"] == []
    assert s.admin("GET", "journal?after=-1").status_code == 400
