"""Runs driven by events (hints): what they read, counted by the twins.

An event run needs the named records and their partners (for the three-way merge). On a Bitrix24 portal
paced at two requests a second each request is latency, so both come in one read per side, and records
the caller already read after the events arrived are not read again.
"""

from __future__ import annotations

import asyncio
import urllib.parse
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from engine_harness import SMALL_PROFILE, Twins, add_stamp_field, profile, run, workspace
from sqlalchemy import text

from sync_engine.engine.runner import Hints
from sync_engine.engine.spec import Side


@pytest.fixture
def linked(twins: Twins, tmp_path: Path) -> Iterator[Twins]:
    twins.reset()
    add_stamp_field(twins)
    cmd = {f"d{n}": "crm.deal.add?" + urllib.parse.urlencode(
        {"fields[TITLE]": f"Сделка {n}", "fields[OPPORTUNITY]": 100 + n, "fields[STAGE_ID]": "NEW",
         "fields[CATEGORY_ID]": 0}) for n in range(8)}
    twins.b24("batch", {"halt": 0, "cmd": cmd})
    yield twins


def reads(twins: Twins) -> tuple[int, int]:
    """(JIRA searches, Bitrix24 deal list commands) since the counters were reset."""
    j = twins.jira_admin.counters()["by_method"]
    b = twins.bitrix_admin.counters()
    lists = b["subcalls"].get("crm.deal.list", 0) + b["by_method"].get("crm.deal.list", 0)
    return j.get("GET /rest/api/2/search", 0), lists


def test_hinted_records_and_their_partners_are_read_once_per_side(linked: Twins, tmp_path: Path) -> None:
    ws = workspace(tmp_path, linked.info, [profile(SMALL_PROFILE)])
    try:
        first = run(ws, "small")
        assert first.created["jira"] == 8
        links = ws.store.all_links("small")
        edited_issues, edited_deals = links[:3], links[3:5]
        for n, lk in enumerate(edited_issues):
            linked.jira("PUT", f"/issue/{lk.jira_key}", {"fields": {"summary": f"Правка в JIRA {n}"}})
        for n, lk in enumerate(edited_deals):
            linked.b24("crm.deal.update", {"id": lk.bitrix24_id, "fields": {"TITLE": f"Правка в сделке {n}"}})
        linked.jira_admin.reset(counters=True)
        linked.bitrix_admin.reset(counters=True)

        summary = run(ws, "small", hints=Hints(jira={lk.jira_id for lk in edited_issues},
                                               bitrix24={lk.bitrix24_id for lk in edited_deals}))
        assert summary.updated == {"jira": 2, "bitrix24": 3}
        # Five records changed, five partners needed: one search and one deal list command, not two each.
        assert reads(linked) == (1, 1)
        assert {linked.b24("crm.deal.get", {"id": lk.bitrix24_id})["TITLE"] for lk in edited_issues} == {
            f"Правка в JIRA {n}" for n in range(3)}
    finally:
        ws.close()


def test_records_read_after_the_events_are_not_read_again(linked: Twins, tmp_path: Path) -> None:
    ws = workspace(tmp_path, linked.info, [profile(SMALL_PROFILE)])
    try:
        run(ws, "small")
        lk = ws.store.all_links("small")[0]
        linked.jira("PUT", f"/issue/{lk.jira_key}", {"fields": {"summary": "Прочитано заранее"}})

        async def hinted_run() -> tuple[int, int, dict[str, int]]:
            session = await ws.open_profile("small")
            try:
                await session.describe()
                partner = await session.bitrix24.get_many(session.b24_scope, [lk.bitrix24_id])
                linked.jira_admin.reset(counters=True)
                linked.bitrix_admin.reset(counters=True)
                hints = Hints(jira={lk.jira_id}, read={"bitrix24": {r.id: r for r in partner}})
                summary, _ = await session.run(hints=hints, trigger="event")
                searches, lists = reads(linked)
                return searches, lists, summary.updated
            finally:
                await session.aclose()

        searches, lists, updated = asyncio.run(hinted_run())
        assert (searches, lists) == (1, 0)  # the partner deal came with the hints
        assert updated == {"jira": 0, "bitrix24": 1}
        assert linked.b24("crm.deal.get", {"id": lk.bitrix24_id})["TITLE"] == "Прочитано заранее"
    finally:
        ws.close()


def test_field_metadata_is_described_again_only_when_stale(linked: Twins, tmp_path: Path) -> None:
    ws = workspace(tmp_path, linked.info, [profile(SMALL_PROFILE)])
    try:
        async def three_runs(max_age: float) -> list[int]:
            session = await ws.open_profile("small")
            session.metadata_max_age = max_age
            describes = []
            try:
                for _ in range(3):
                    linked.bitrix_admin.reset(counters=True)
                    await session.run(trigger="manual")
                    describes.append(linked.bitrix_admin.counters()["by_method"].get("crm.deal.fields", 0))
            finally:
                await session.aclose()
            return describes

        assert asyncio.run(three_runs(300.0)) == [1, 0, 0]
        assert asyncio.run(three_runs(0.0)) == [1, 1, 1]
    finally:
        ws.close()


def test_a_hint_may_name_an_issue_by_its_key(linked: Twins, tmp_path: Path) -> None:
    """``b24sync run --jira-ids PROC-7`` and the control API pass what a person typed: keys, not ids."""
    ws = workspace(tmp_path, linked.info, [profile(SMALL_PROFILE)])
    try:
        run(ws, "small")
        lk = ws.store.all_links("small")[2]
        linked.jira("PUT", f"/issue/{lk.jira_key}", {"fields": {"summary": "Названа ключом"}})
        summary = run(ws, "small", hints=Hints(jira={str(lk.jira_key).lower()}))
        assert summary.updated == {"jira": 0, "bitrix24": 1}
        assert linked.b24("crm.deal.get", {"id": lk.bitrix24_id})["TITLE"] == "Названа ключом"
    finally:
        ws.close()


def test_a_due_retry_that_is_also_a_partner_is_retried(linked: Twins, tmp_path: Path) -> None:
    """A partner read ahead for the merge still counts as changed when a retry of it is due."""
    ws = workspace(tmp_path, linked.info, [profile(SMALL_PROFILE)])
    try:
        run(ws, "small")
        lk = ws.store.all_links("small")[1]
        linked.jira("PUT", f"/issue/{lk.jira_key}", {"fields": {"summary": "Ждёт повтора"}})
        ws.store.add_retries("small", [(Side.JIRA, lk.jira_id, "earlier failure")])
        with ws.engine.begin() as conn:  # due now rather than after its backoff
            conn.execute(text("UPDATE sync_retries SET next_attempt_at = '2000-01-01 00:00:00'"))
        assert len(ws.store.due_retries("small", datetime.now(UTC))) == 1
        # An event names only the deal; the issue comes along as its partner and is also due for a retry.
        summary = run(ws, "small", hints=Hints(bitrix24={lk.bitrix24_id}))
        assert summary.updated == {"jira": 0, "bitrix24": 1}
        assert linked.b24("crm.deal.get", {"id": lk.bitrix24_id})["TITLE"] == "Ждёт повтора"
        with ws.engine.connect() as conn:
            assert conn.execute(text("SELECT count(*) FROM sync_retries")).scalar() == 0
    finally:
        ws.close()


def test_a_run_row_starts_when_its_reads_did(linked: Twins, tmp_path: Path) -> None:
    """The monitor's duration of a run covers its reads and planning, not only its writes."""
    ws = workspace(tmp_path, linked.info, [profile(SMALL_PROFILE)])
    try:
        summary = run(ws, "small")
        row = ws.store.runs("small")[0]
        started = row.started_at if row.started_at.tzinfo else row.started_at.replace(tzinfo=UTC)
        assert summary.finished is not None
        assert started == summary.started
        assert (summary.finished - started).total_seconds() == pytest.approx(summary.seconds, abs=0.01)
    finally:
        ws.close()
