"""Records that already exist on both sides are linked, never created a second time (over the twins).

The company had purchase requests in JIRA and deals in Bitrix24 before the sync was set up, titled the
same. An engine that creates instead of matching doubles every one of them on the first run, and a
deal entered later for an issue that already exists gets a second issue. Counted on the twins.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
from engine_harness import SMALL_PROFILE, Twins, add_stamp_field, profile, run, workspace

from sync_engine.engine.runner import Hints


def _profile(**changes: Any) -> dict[str, Any]:
    doc = copy.deepcopy(SMALL_PROFILE)
    doc["matching"]["rules"].append({"jira_field": "summary", "bitrix24_field": "TITLE", "normalise": "casefold"})
    doc.update(changes)
    return doc


@pytest.fixture
def fresh(twins: Twins) -> Twins:
    twins.reset()
    add_stamp_field(twins)
    return twins


def _titles(twins: Twins) -> tuple[list[str], list[str]]:
    issues = sorted(i["fields"]["summary"] for i in twins.jql("project = PROC", fields="summary"))
    deals = sorted(d["TITLE"] for d in twins.b24_list("crm.deal.list", {"select": ["ID", "TITLE"]}))
    return issues, deals


def _deal(twins: Twins, title: str) -> str:
    return str(twins.b24("crm.deal.add", {"fields": {"TITLE": title, "OPPORTUNITY": 100, "STAGE_ID": "NEW",
                                                     "CATEGORY_ID": 0}}))


def test_records_on_both_sides_before_the_first_run_are_matched(fresh: Twins, tmp_path: Path) -> None:
    for title in ("Лицензии САПР", "Серверы для КБ"):
        fresh.create_issue("PROC", "Purchase request", summary=title, customfield_10101=100.0)
        _deal(fresh, title)
    ws = workspace(tmp_path, fresh.info, [profile(_profile())])
    try:
        summary = run(ws, "small")
        assert summary.matched == 2 and summary.created == {"jira": 0, "bitrix24": 0}
        assert _titles(fresh) == (["Лицензии САПР", "Серверы для КБ"], ["Лицензии САПР", "Серверы для КБ"])
        assert ws.store.count_links("small") == 2
    finally:
        ws.close()


def test_a_deal_entered_later_for_an_existing_issue_is_linked_to_it(fresh: Twins, tmp_path: Path) -> None:
    # Deals become issues (create_in: jira), so the issue waits unlinked until its deal appears. The
    # deal's webhook names only the deal: the engine sees a new deal with no link, and must find the
    # issue rather than file a second one.
    fresh.create_issue("PROC", "Purchase request", summary="Лицензии САПР", customfield_10101=100.0)
    ws = workspace(tmp_path, fresh.info, [profile(_profile(create_in="jira"))])
    try:
        first = run(ws, "small")
        assert first.created == {"jira": 0, "bitrix24": 0} and ws.store.count_links("small") == 0
        deal_id = _deal(fresh, "Лицензии САПР")
        second = run(ws, "small", hints=Hints(bitrix24={deal_id}))
        assert second.matched == 1 and second.created == {"jira": 0, "bitrix24": 0}
        assert _titles(fresh) == (["Лицензии САПР"], ["Лицензии САПР"])
        (link,) = ws.store.all_links("small")
        assert link.bitrix24_id == deal_id
    finally:
        ws.close()
