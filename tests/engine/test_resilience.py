"""The engine against misbehaving or chatty servers: injected faults, its own writes echoed back as
events, and profiles that must be refused before anything is written."""

from __future__ import annotations

import asyncio
import json
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from engine_harness import SMALL_PROFILE, Twins, add_stamp_field, agreement, profile, run, workspace

from sync_engine.engine.compile import ProfileInvalidError
from sync_engine.engine.runner import Hints
from sync_engine.engine.spec import Side
from sync_engine.store.state import SqlStateStore


@pytest.fixture
def fresh(twins: Twins) -> Twins:
    twins.reset()
    add_stamp_field(twins)
    return twins


def _deals(twins: Twins, count: int, prefix: str = "Сделка") -> None:
    for start in range(0, count, 50):
        cmd = {f"d{n}": "crm.deal.add?" + urllib.parse.urlencode(
            {"fields[TITLE]": f"{prefix} {n}", "fields[OPPORTUNITY]": 100 + n, "fields[STAGE_ID]": "NEW",
             "fields[CATEGORY_ID]": 0}) for n in range(start, min(count, start + 50))}
        twins.b24("batch", {"halt": 0, "cmd": cmd})


# -- faults -------------------------------------------------------------------------------------------
@pytest.mark.slow
def test_sync_converges_under_faults_and_records_retries(fresh: Twins, tmp_path: Path) -> None:
    _deals(fresh, 250)
    for n in range(50):
        fresh.create_issue("PROC", "Purchase request", summary=f"Заявка {n}", customfield_10101=float(n))
    # Without the stage: each JIRA create would add a status check (two calls at 200 ms each, plus
    # retries) and this test is about faults, not workflows.
    doc = {**SMALL_PROFILE, "mappings": [m for m in SMALL_PROFILE["mappings"] if m["id"] != "stage"]}
    ws = workspace(tmp_path, fresh.info, [profile(doc)])
    try:
        for admin in (fresh.jira_admin, fresh.bitrix_admin):
            admin.faults(error_rate=0.10, limit_rate=0.05, latency_ms=200, seed=11)
        summaries = []
        for _ in range(6):
            summary, _ = asyncio.run(ws.run("small"))
            summaries.append(summary)
            if summary.error is None and summary.errors == 0 and not any(summary.created.values()) \
                    and not any(summary.updated.values()):
                break
        for admin in (fresh.jira_admin, fresh.bitrix_admin):
            admin.faults(error_rate=0.0, limit_rate=0.0, latency_ms=0)
        injected = sum(a.counters()["injected"].get(k, 0) for a in (fresh.jira_admin, fresh.bitrix_admin)
                       for k in ("error", "limit"))
        assert injected > 0
        retried = sum(sum(s.retries.values()) for s in summaries)
        assert retried > 0, [s.as_json() for s in summaries]
        rows = SqlStateStore(ws.engine).runs("small")
        assert sum(r.retries_jira + r.retries_bitrix24 for r in rows) == retried
        pairs, problems = agreement(fresh, ws)
        assert problems == [] and pairs == 300, (problems, [s.as_json() for s in summaries])
    finally:
        ws.close()


# -- echo suppression ---------------------------------------------------------------------------------
class Receiver:
    """A local webhook endpoint that keeps every delivery (JIRA JSON, Bitrix24 form posts)."""

    def __init__(self) -> None:
        self.jira: list[dict[str, Any]] = []
        self.bitrix24: list[dict[str, list[str]]] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                if self.path.startswith("/jira"):
                    outer.jira.append(json.loads(body))
                else:
                    outer.bitrix24.append(urllib.parse.parse_qs(body.decode()))
                self.send_response(200)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def settle(self, quiet: float = 1.0, limit: float = 20.0) -> None:
        """Wait until no delivery arrived for ``quiet`` seconds."""
        deadline = time.monotonic() + limit
        seen = -1
        while time.monotonic() < deadline:
            now = len(self.jira) + len(self.bitrix24)
            if now == seen:
                return
            seen = now
            time.sleep(quiet)

    def clear(self) -> None:
        self.jira.clear()
        self.bitrix24.clear()

    def close(self) -> None:
        self.server.shutdown()


def test_own_writes_echoed_as_events_cause_no_writes(fresh: Twins, tmp_path: Path) -> None:
    receiver = Receiver()
    try:
        fresh.jira("POST", "/../../webhooks/1.0/webhook", {
            "name": "engine echo test", "url": receiver.url + "/jira",
            "events": ["jira:issue_created", "jira:issue_updated"]})
        fresh.bitrix_admin.post("/_sandbox/outgoing-webhook", {
            "handler_url": receiver.url + "/b24", "events": ["ONCRMDEALADD", "ONCRMDEALUPDATE"]})
        for n in range(5):
            fresh.create_issue("PROC", "Purchase request", summary=f"Эхо {n}", customfield_10101=10.0 * n)
        _deals(fresh, 5, "Эхо-сделка")
        ws = workspace(tmp_path, fresh.info, [profile(SMALL_PROFILE)])
        try:
            run(ws, "small")  # the first look: matches nothing, creates both ways
            receiver.settle()
            receiver.clear()
            # Change something on each side so the run below writes (creates, updates, back-stamps)...
            fresh.b24("crm.deal.add", {"fields": {"TITLE": "Новая", "OPPORTUNITY": 5, "STAGE_ID": "NEW",
                                                  "CATEGORY_ID": 0}})
            key = ws.store.all_links("small")[0].jira_key
            fresh.jira("PUT", f"/issue/{key}", {"fields": {"summary": "Эхо изменено"}})
            receiver.settle()
            receiver.clear()
            summary = run(ws, "small")
            assert summary.created["jira"] == 1 and summary.updated["bitrix24"] == 1
            # ... and collect what our own writes made both systems announce.
            receiver.settle()
            jira_ids = {str(e["issue"]["id"]) for e in receiver.jira if e.get("issue")}
            b24_ids = {e["data[FIELDS][ID]"][0] for e in receiver.bitrix24 if "data[FIELDS][ID]" in e}
            assert jira_ids and b24_ids, (receiver.jira, receiver.bitrix24)
            before = fresh.writes()
            echo = run(ws, "small", hints=Hints(jira=jira_ids, bitrix24=b24_ids))
            assert fresh.writes() == before
            assert echo.created == {"jira": 0, "bitrix24": 0} and echo.updated == {"jira": 0, "bitrix24": 0}
            assert echo.unchanged >= len(jira_ids)
        finally:
            ws.close()
    finally:
        receiver.close()


# -- bad input ------------------------------------------------------------------------------------------
BAD = [
    ("unknown field", {"id": "x", "jira_field": "customfield_99999", "bitrix24_field": "TITLE"}, "customfield_99999"),
    ("type mismatch", {"id": "x", "jira_field": "customfield_10101", "bitrix24_field": "BEGINDATE"}, "BEGINDATE"),
]


@pytest.mark.parametrize(("why", "mapping", "named"), BAD, ids=[b[0] for b in BAD])
def test_invalid_profile_is_refused_naming_the_field(fresh: Twins, tmp_path: Path, why: str,
                                                     mapping: dict[str, Any], named: str) -> None:
    _deals(fresh, 3)
    doc = {**SMALL_PROFILE, "mappings": [*SMALL_PROFILE["mappings"], mapping]}
    ws = workspace(tmp_path, fresh.info, [profile(doc)])
    try:
        before = fresh.writes()
        with pytest.raises(ProfileInvalidError) as err:
            asyncio.run(ws.run("small"))
        assert named in str(err.value), str(err.value)
        assert fresh.writes() == before
        assert SqlStateStore(ws.engine).runs("small") == [] and ws.store.count_links("small") == 0
    finally:
        ws.close()


def test_uncovered_required_target_is_refused(fresh: Twins, tmp_path: Path) -> None:
    """JIRA needs a summary on create: a profile creating issues without mapping one is refused."""
    doc = {**SMALL_PROFILE, "mappings": [m for m in SMALL_PROFILE["mappings"] if m["id"] != "title"]}
    _deals(fresh, 3)
    ws = workspace(tmp_path, fresh.info, [profile(doc)])
    try:
        before = fresh.writes()
        with pytest.raises(ProfileInvalidError) as err:
            asyncio.run(ws.run("small"))
        assert "summary" in str(err.value), str(err.value)
        assert fresh.writes() == before
    finally:
        ws.close()


# -- conflicts held for a person --------------------------------------------------------------------------
def test_held_conflict_is_written_once_a_person_settles_it(fresh: Twins, tmp_path: Path) -> None:
    ws = workspace(tmp_path, fresh.info, [profile({**SMALL_PROFILE, "conflict": "manual"})])
    store = SqlStateStore(ws.engine)
    try:
        deal_id = fresh.b24("crm.deal.add", {"fields": {"TITLE": "Исходное", "OPPORTUNITY": 7, "STAGE_ID": "NEW",
                                                        "CATEGORY_ID": 0}})
        run(ws, "small")
        key = fresh.b24("crm.deal.get", {"id": deal_id})["UF_CRM_JIRA_KEY"]
        fresh.jira("PUT", f"/issue/{key}", {"fields": {"summary": "Версия JIRA", "customfield_10101": 8.0}})
        fresh.b24("crm.deal.update", {"id": deal_id, "fields": {"TITLE": "Версия Bitrix24"}})
        before = fresh.writes()
        held = run(ws, "small")
        # The amount changed on one side only and is carried over; the title is held.
        assert held.conflicts == 1 and held.updated == {"jira": 0, "bitrix24": 1}
        assert fresh.writes()["jira"] == before["jira"]
        (conflict,) = store.open_conflicts("small")
        assert conflict.rule == "title"
        assert conflict.values["jira"] == "Версия JIRA" and conflict.values["bitrix24"] == "Версия Bitrix24"
        assert run(ws, "small").conflicts == 1 and len(store.open_conflicts("small")) == 1  # still held, one row

        store.settle_conflict(conflict.id, Side.BITRIX24, who="tester")
        settled = run(ws, "small")
        assert settled.updated == {"jira": 1, "bitrix24": 0} and settled.conflicts == 0
        assert fresh.issue(key)["summary"] == "Версия Bitrix24"
        assert store.pending_resolutions("small") == [] and store.open_conflicts("small") == []
        before = fresh.writes()
        assert run(ws, "small").conflicts == 0
        assert fresh.writes() == before
    finally:
        ws.close()
