"""Throttles: the leaky bucket (503 QUERY_LIMIT_EXCEEDED) and the operating-time limit (429)."""

from __future__ import annotations

import time

import httpx
from b24sandbox_helpers import ADMIN, Portal, serve

from sync_engine.sandbox.common.twin import TwinSettings


def test_leaky_bucket_gives_503_after_burst_and_recovers(fresh_portal: Portal) -> None:
    statuses = [fresh_portal.http.get(fresh_portal.hook + "user.current").status_code for _ in range(60)]
    assert statuses[:45].count(200) == 45
    assert 503 in statuses
    limited = fresh_portal.http.get(fresh_portal.hook + "user.current")
    assert limited.status_code == 503
    assert limited.json() | {"time": None} == {"error": "QUERY_LIMIT_EXCEEDED",
                                               "error_description": "Too many requests", "time": None}
    time.sleep(1.2)  # drains 2 per second
    assert fresh_portal.http.get(fresh_portal.hook + "user.current").status_code == 200


def test_batch_is_one_request_for_the_bucket(fresh_portal: Portal) -> None:
    cmd = {f"c{n}": "server.time" for n in range(50)}
    for _ in range(45):
        response = fresh_portal.call("batch", {"cmd": cmd})
        assert response.status_code == 200
        assert len(response.json()["result"]["result"]) == 50
    assert fresh_portal.admin("GET", "counters").json()["subcalls"] == {"server.time": 45 * 50}


def test_operating_time_limit_blocks_one_method(fresh_portal: Portal) -> None:
    changed = fresh_portal.admin("POST", "limits", {"operating_limit_s": 0.0, "reset": True})
    assert changed.status_code == 200 and changed.json()["operating_limit_s"] == 0.0
    first = fresh_portal.call("crm.deal.list", {"select": ["ID"]})
    assert first.status_code == 200
    timing = first.json()["time"]
    assert timing["operating"] > 0 and timing["operating_reset_at"] > time.time()
    blocked = fresh_portal.call("crm.deal.list")
    assert blocked.status_code == 429 and blocked.json()["error"] == "OPERATION_TIME_LIMIT"
    assert fresh_portal.call("crm.deal.get", {"id": 1}).status_code == 200
    in_batch = fresh_portal.call("batch", {"cmd": {"l": "crm.deal.list"}}).json()["result"]
    assert in_batch["result_error"]["l"]["error"] == "OPERATION_TIME_LIMIT"
    assert fresh_portal.admin("POST", "limits", {"nonsense": 1}).status_code == 400


def test_limits_off_means_no_throttling() -> None:
    for p in serve(TwinSettings(admin_token=ADMIN, limits=False)):
        statuses = {p.http.get(p.hook + "user.current").status_code for _ in range(60)}
        assert statuses == {200}


def test_injected_faults_speak_the_portal_vocabulary(fresh_portal: Portal) -> None:
    assert fresh_portal.admin("POST", "faults", {"error_rate": 1.0}).status_code == 200
    broken = fresh_portal.call("crm.deal.list")
    assert broken.status_code == 500 and broken.json()["error"] == "INTERNAL_SERVER_ERROR"
    assert broken.headers["content-type"] == "application/json; charset=utf-8"
    fresh_portal.admin("POST", "faults", {"error_rate": 0.0, "limit_rate": 1.0})
    limited = fresh_portal.call("crm.deal.list")
    assert limited.status_code == 503 and limited.json()["error_description"] == "Too many requests"
    fresh_portal.admin("POST", "reset", {})
    assert fresh_portal.call("crm.deal.list").status_code == 200
    assert fresh_portal.admin("GET", "counters").json()["by_method"] == {"crm.deal.list": 1}


def test_the_bucket_is_per_source_address(fresh_portal: Portal) -> None:
    """Apps on one server share the portal's bucket; a client on another address has its own."""
    statuses = [fresh_portal.http.get(fresh_portal.hook + "user.current").status_code for _ in range(60)]
    assert 503 in statuses
    elsewhere = httpx.HTTPTransport(local_address="127.0.0.2")
    with httpx.Client(transport=elsewhere, timeout=30) as other:
        answers = [other.get(fresh_portal.hook + "user.current").status_code for _ in range(45)]
    assert answers == [200] * 45
    # The first address's bucket is still (nearly) full: it leaked a few while the 45 ran on a busy machine.
    again = [fresh_portal.http.get(fresh_portal.hook + "user.current").status_code for _ in range(15)]
    assert 503 in again


def test_journal_records_changes_not_reads(fresh_portal: Portal) -> None:
    start = fresh_portal.admin("GET", "journal").json()["last"]
    deal = fresh_portal.result("crm.deal.add", {"fields": {"TITLE": "Журнал"}})
    fresh_portal.result("crm.deal.update", {"id": deal, "fields": {"STAGE_ID": "PREPARATION"}})
    fresh_portal.result("crm.deal.get", {"id": deal})
    fresh_portal.result("batch", {"cmd": {"u": f"crm.deal.update?id={deal}&fields[TITLE]=Снова"}})
    fresh_portal.call("crm.deal.update", {"id": 999999, "fields": {"TITLE": "нет такой"}})  # refused: not a change
    got = fresh_portal.admin("GET", f"journal?after={start}").json()
    assert [(e["method"], e["id"], e["fields"]) for e in got["entries"]] == [
        ("crm.deal.add", str(deal), {"TITLE": "Журнал"}),
        ("crm.deal.update", str(deal), {"STAGE_ID": "PREPARATION"}),
        ("crm.deal.update", str(deal), {"TITLE": "Снова"})]  # a batch's sub-call too
    assert all(isinstance(e["at"], float) and e["user"] == 1 for e in got["entries"]) and got["lost"] is False
