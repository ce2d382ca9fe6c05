"""The deletion policy as the planner applies it, and the order ``run --all`` runs profiles in."""

from __future__ import annotations

from dataclasses import replace

import pytest
from test_planner import SPEC, b, j

from sync_engine.engine.plan import Missing
from sync_engine.engine.planner import LinkState, PlanInput, Planner
from sync_engine.engine.spec import Side

LINK = LinkState(1, "1", "9", "PROC-1", {"title": ("A", "A")})


def _missing(policy: str, **marks: tuple[str, str]) -> list[tuple[Side, str, str, dict[str, str]]]:
    spec = replace(SPEC, deletion=policy, deletion_marks={Side(k): v for k, v in marks.items()})
    deal = b("9", TITLE="A", STAGE_ID="NEW")
    plan = Planner(spec).plan(PlanInput({}, {"9": deal}, [], [], [LINK], gone_jira=frozenset({"1"})))
    assert plan.creates == [] and plan.pairs == []
    return [(m.present, m.present_id, m.action, m.fields) for m in plan.missing]


def test_a_reported_deletion_is_planned_even_when_the_survivor_did_not_change() -> None:
    assert _missing("mirror") == [(Side.BITRIX24, "9", "delete", {})]


def test_ignore_keeps_the_survivor_and_the_link() -> None:
    assert _missing("ignore") == [(Side.BITRIX24, "9", "ignore", {})]


def test_mark_writes_the_mark_once() -> None:
    assert _missing("mark", bitrix24=("STAGE_ID", "LOSE")) == [(Side.BITRIX24, "9", "mark", {"STAGE_ID": "LOSE"})]
    spec = replace(SPEC, deletion="mark", deletion_marks={Side.BITRIX24: ("STAGE_ID", "LOSE")})
    marked = b("9", TITLE="A", STAGE_ID="LOSE")
    plan = Planner(spec).plan(PlanInput({}, {"9": marked}, [], ["9"], [LINK], gone_jira=frozenset({"1"})))
    assert [m.action for m in plan.missing] == ["none"]


def test_gone_on_both_sides_forgets_the_link() -> None:
    plan = Planner(SPEC).plan(PlanInput({}, {}, [], [], [LINK], gone_jira=frozenset({"1"}),
                                        gone_bitrix24=frozenset({"9"})))
    assert [(m.link_id, m.action) for m in plan.missing] == [(1, "forget")]


def test_a_deleted_record_with_a_live_partner_is_not_recreated() -> None:
    # The surviving issue changed after its deal was deleted: it must not be created again as a new deal.
    issue = j("1", "PROC-1", summary="changed")
    plan = Planner(SPEC).plan(PlanInput({"1": issue}, {}, ["1"], [], [LINK], gone_bitrix24=frozenset({"9"})))
    assert plan.creates == [] and [(m.present, m.action) for m in plan.missing] == [(Side.JIRA, "ignore")]


@pytest.mark.parametrize("policy", ["ignore", "mirror", "mark"])
def test_counts_report_deletions(policy: str) -> None:
    spec = replace(SPEC, deletion=policy, deletion_marks={Side.BITRIX24: ("STAGE_ID", "LOSE")})
    deal = b("9", TITLE="A", STAGE_ID="NEW")
    counts = Planner(spec).plan(PlanInput({}, {"9": deal}, [], [], [LINK], gone_jira=frozenset({"1"}))).counts()
    assert counts["deleted"]["bitrix24"] == (1 if policy == "mirror" else 0)
    assert counts["marked"]["bitrix24"] == (1 if policy == "mark" else 0)


@pytest.mark.parametrize(("policy", "status", "expected"), [
    ("ignore", {"name": "Открыт", "id": "1"}, Missing(1, Side.JIRA, "1", action="ignore")),
    ("mirror", {"name": "Открыт", "id": "1"}, Missing(1, Side.JIRA, "1", action="delete")),
    ("mark", {"name": "Открыт", "id": "1"}, Missing(1, Side.JIRA, "1", action="mark", fields={"status": "Отклонён"})),
    # JIRA gives a status as an object: marked already whether its name or its option value says so
    ("mark", {"name": "Отклонён", "id": "6"}, Missing(1, Side.JIRA, "1", action="none")),
    ("mark", {"value": "Отклонён", "id": "6"}, Missing(1, Side.JIRA, "1", action="none")),
    ("mark", " Отклонён ", Missing(1, Side.JIRA, "1", action="none")),
])
def test_the_surviving_issue_of_a_deleted_deal(policy: str, status: object, expected: Missing) -> None:
    spec = replace(SPEC, deletion=policy, deletion_marks={Side.JIRA: ("status", "Отклонён")})
    issue = j("1", "PROC-1", summary="A", status=status)
    plan = Planner(spec).plan(PlanInput({"1": issue}, {}, ["1"], [], [LINK], gone_bitrix24=frozenset({"9"})))
    assert plan.missing == [expected] and plan.pairs == [] and plan.creates == []
