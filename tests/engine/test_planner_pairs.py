"""Linked pairs: what the planner writes for each field, the shadow it stores, and what it reports.

The shadow is the merge's memory: stored wrong (the sides swapped, a conflict's old values lost, a field
the run did not touch overwritten) it turns the next run's echo into a change or a change into an echo.
So these tests state whole pair plans, shadows included.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import pytest
from test_planner import b, j
from test_planner_matching import AMOUNT, CUSTOMER_LINE, TITLE, _get

from sync_engine.connectors.base import Record
from sync_engine.engine.merge import ConflictPolicy, Direction
from sync_engine.engine.plan import Conflict, FieldChange, ItemError, Missing, PairPlan, Plan, Update
from sync_engine.engine.planner import LinkState, PlanInput, Planner
from sync_engine.engine.spec import Deferred, FieldRule, Side, SyncSpec


def _never(value: Any, record: Any) -> Any:
    raise ValueError("a one-way field is never written back")


# Filled in Bitrix24 only. One-way fields' reverse transforms must never run (there is none to run).
DISTRIBUTOR = FieldRule("distributor", "Distributor", Direction.TO_JIRA, "customfield_10102", "UF_CRM_DISTRIBUTOR",
                        _get("customfield_10102"), _get("UF_CRM_DISTRIBUTOR"), to_bitrix24=_never)
# Written into JIRA from the whole deal.
DEAL_LINE = FieldRule("deal_line", "Deal line", Direction.TO_JIRA, "customfield_10107", None,
                      _get("customfield_10107"), _get("COMPANY_TITLE"),
                      to_jira=lambda v, rec: None if v is None else f"{v}: {rec.get('TITLE')}")
RULES = (TITLE, AMOUNT, DISTRIBUTOR, replace(CUSTOMER_LINE, to_jira=_never), DEAL_LINE)
SPEC = SyncSpec("requests", RULES)
T0 = datetime(2026, 1, 1, tzinfo=UTC)
# The state after the last sync, as the tests' records are unless they say otherwise.
SHADOW = {"title": ("Альфа", "АЛЬФА"), "amount": (1.0, 1.0), "distributor": (None, None),
          "customer": (None, None), "deal_line": (None, None)}


def issue(**fields: Any) -> Record:
    return j("1", "PROC-1", **{"summary": "Альфа", "customfield_10101": 1.0, **fields})


def deal(**fields: Any) -> Record:
    return b("9", **{"TITLE": "АЛЬФА", "OPPORTUNITY": "1.00", **fields})


def plan_for(jrec: Record, brec: Record, shadow: dict[str, tuple[Any, Any]] | None = None, spec: SyncSpec = SPEC,
             **extra: Any) -> Plan:
    link = LinkState(1, jrec.id, brec.id, jrec.key, SHADOW if shadow is None else shadow)
    return Planner(spec).plan(PlanInput({jrec.id: jrec}, {brec.id: brec}, [jrec.id], [brec.id], [link], **extra))


def pair_of(plan: Plan) -> PairPlan:
    assert plan.errors == [] and len(plan.pairs) == 1, plan
    return plan.pairs[0]


def expected(*updates: Update, shadow: dict[str, tuple[Any, Any]], changed: bool = True,
             conflicts: tuple[Conflict, ...] = (), settled: tuple[Conflict, ...] = ()) -> PairPlan:
    return PairPlan("1", "9", "PROC-1", 1, list(updates), list(conflicts), list(settled), shadow, changed)


# ---------------------------------------------------------------------------------------------- one side


def test_an_edit_in_jira_is_written_to_the_deal_and_becomes_the_shadow() -> None:
    pair = pair_of(plan_for(issue(summary="Бета"), deal()))
    assert pair == expected(
        Update(Side.BITRIX24, "9", {"TITLE": "БЕТА"}, [FieldChange("title", "TITLE", "АЛЬФА", "БЕТА")]),
        shadow={**SHADOW, "title": ("Бета", "БЕТА")})


def test_an_edit_in_bitrix24_is_written_to_the_issue_and_becomes_the_shadow() -> None:
    pair = pair_of(plan_for(issue(), deal(TITLE="БЕТА", OPPORTUNITY="2.50")))
    assert pair == expected(
        Update(Side.JIRA, "1", {"summary": "Бета", "customfield_10101": 2.5},
               [FieldChange("title", "summary", "Альфа", "Бета"),
                FieldChange("amount", "customfield_10101", 1.0, 2.5)]),
        shadow={**SHADOW, "title": ("Бета", "БЕТА"), "amount": (2.5, 2.5)})


def test_edits_on_both_records_in_different_fields_are_both_written() -> None:
    pair = pair_of(plan_for(issue(summary="Бета"), deal(OPPORTUNITY="3")))
    assert pair == expected(
        Update(Side.BITRIX24, "9", {"TITLE": "БЕТА"}, [FieldChange("title", "TITLE", "АЛЬФА", "БЕТА")]),
        Update(Side.JIRA, "1", {"customfield_10101": 3.0}, [FieldChange("amount", "customfield_10101", 1.0, 3.0)]),
        shadow={**SHADOW, "title": ("Бета", "БЕТА"), "amount": (3.0, 3.0)})


def test_a_pair_nobody_touched_writes_nothing_and_keeps_its_shadow() -> None:
    plan = plan_for(issue(), deal())
    assert pair_of(plan) == expected(shadow=SHADOW, changed=False) and plan.unchanged == 1


def test_one_way_fields_follow_their_source_values_transformed_with_the_whole_record() -> None:
    # The deal's distributor and company go to JIRA (the company line reads the deal's title too);
    # the issue's customer goes to the deal. None of them is ever written the other way.
    pair = pair_of(plan_for(issue(customfield_10100="ООО «Альфа»"),
                            deal(UF_CRM_DISTRIBUTOR="ООО «Софт»", COMPANY_TITLE="ООО «Бета»")))
    assert pair == expected(
        Update(Side.BITRIX24, "9", {"COMMENTS": "ООО «Альфа» (Альфа)"},
               [FieldChange("customer", "COMMENTS", None, "ООО «Альфа» (Альфа)")]),
        Update(Side.JIRA, "1", {"customfield_10102": "ООО «Софт»", "customfield_10107": "ООО «Бета»: АЛЬФА"},
               [FieldChange("distributor", "customfield_10102", None, "ООО «Софт»"),
                FieldChange("deal_line", "customfield_10107", None, "ООО «Бета»: АЛЬФА")]),
        shadow={**SHADOW, "customer": ("ООО «Альфа»", "ООО «Альфа» (Альфа)"),
                "distributor": ("ООО «Софт»", "ООО «Софт»"), "deal_line": ("ООО «Бета»: АЛЬФА", "ООО «Бета»")})


def test_a_value_cleared_at_the_source_of_a_one_way_field_is_cleared_at_its_target() -> None:
    shadow = {**SHADOW, "distributor": ("ООО «Софт»", "ООО «Софт»"), "customer": ("ООО «Альфа»", "ООО «Альфа» (Альфа)")}
    pair = pair_of(plan_for(issue(customfield_10102="ООО «Софт»"), deal(COMMENTS="ООО «Альфа» (Альфа)"), shadow))
    assert pair == expected(
        Update(Side.BITRIX24, "9", {"COMMENTS": None},
               [FieldChange("customer", "COMMENTS", "ООО «Альфа» (Альфа)", None)]),
        Update(Side.JIRA, "1", {"customfield_10102": None},
               [FieldChange("distributor", "customfield_10102", "ООО «Софт»", None)]),
        shadow={**SHADOW})


@pytest.mark.parametrize(("summary", "title"), [("alpha beta", "ALPHA BETA"), ("Alpha", "alpha")])
def test_a_first_look_at_values_that_agree_through_the_transform_writes_nothing(summary: str, title: str) -> None:
    # "alpha beta" is "ALPHA BETA" as a deal title (though that reads back as "Alpha beta"); the deal's
    # "alpha" reads as the issue's "Alpha". A field newly mapped (no shadow) must not turn that into a conflict.
    pair = pair_of(plan_for(issue(summary=summary), deal(TITLE=title), {}, spec=replace(SPEC, rules=(TITLE,))))
    assert pair == expected(shadow={"title": (summary, title)}) and pair.conflicts == []


# ------------------------------------------------------------------------------------------------ conflicts


def test_a_held_conflict_writes_nothing_and_keeps_the_old_shadow() -> None:
    pair = pair_of(plan_for(issue(summary="Бета"), deal(TITLE="ГАММА")))
    assert pair == expected(shadow=SHADOW, changed=False, conflicts=(
        Conflict("title", "Title", "Бета", "ГАММА", ("Альфа", "АЛЬФА"),
                 "changed on both sides; held for manual resolution"),))


def test_a_conflict_on_the_first_look_leaves_no_shadow_for_that_field() -> None:
    pair = pair_of(plan_for(issue(summary="Бета"), deal(TITLE="ГАММА"), {}, spec=replace(SPEC, rules=(TITLE,))))
    assert pair == expected(shadow={}, changed=False, conflicts=(
        Conflict("title", "Title", "Бета", "ГАММА", None, "values differ on first sync; held for manual resolution"),))


def test_a_conflict_settled_by_the_policy_is_written_and_reported_as_settled() -> None:
    spec = replace(SPEC, policy=ConflictPolicy.PREFER_JIRA)
    pair = pair_of(plan_for(issue(summary="Бета"), deal(TITLE="ГАММА"), spec=spec))
    assert pair == expected(
        Update(Side.BITRIX24, "9", {"TITLE": "БЕТА"}, [FieldChange("title", "TITLE", "ГАММА", "БЕТА")]),
        shadow={**SHADOW, "title": ("Бета", "БЕТА")},
        settled=(Conflict("title", "Title", "Бета", "ГАММА", ("Альфа", "АЛЬФА"),
                          "changed on both sides; policy prefers JIRA"),))


@pytest.mark.parametrize(("winner", "update"), [
    (Side.JIRA, Update(Side.BITRIX24, "9", {"TITLE": "БЕТА"}, [FieldChange("title", "TITLE", "ГАММА", "БЕТА")])),
    (Side.BITRIX24, Update(Side.JIRA, "1", {"summary": "Гамма"}, [FieldChange("title", "summary", "Бета", "Гамма")])),
])
def test_a_conflict_settled_by_hand_is_written_the_way_the_person_chose(winner: Side, update: Update) -> None:
    plan = plan_for(issue(summary="Бета"), deal(TITLE="ГАММА"), resolutions={("1", "9", "title"): winner})
    assert pair_of(plan) == expected(update, shadow={**SHADOW, "title": ("Бета", "БЕТА") if winner is Side.JIRA
                                                       else ("Гамма", "ГАММА")},
                                     settled=(Conflict("title", "Title", "Бета", "ГАММА", ("Альфа", "АЛЬФА"),
                                                       f"settled by hand: {winner.value} wins"),))


def test_a_choice_made_for_a_conflict_does_not_override_a_later_plain_edit() -> None:
    # The person chose JIRA's value; meanwhile JIRA went back to the old value and only the deal differs:
    # that is an ordinary edit in Bitrix24, carried to JIRA.
    plan = plan_for(issue(), deal(TITLE="ГАММА"), resolutions={("1", "9", "title"): Side.JIRA})
    assert pair_of(plan) == expected(
        Update(Side.JIRA, "1", {"summary": "Гамма"}, [FieldChange("title", "summary", "Альфа", "Гамма")]),
        shadow={**SHADOW, "title": ("Гамма", "ГАММА")})


NEWEST = replace(SPEC, rules=(TITLE,), policy=ConflictPolicy.NEWEST_WINS)
LATER = datetime(2026, 1, 2, tzinfo=UTC)


@pytest.mark.parametrize(("jira_updated", "b24_updated", "winner"), [
    (LATER, T0, Side.JIRA),
    (T0, LATER, Side.BITRIX24),
    (T0, T0, None),  # a tie says nothing about which edit came last
    (None, LATER, None),  # nor does an unknown time
    (LATER, None, None),
    (None, None, None),
])
def test_newest_wins_only_when_the_times_tell(jira_updated: datetime | None, b24_updated: datetime | None,
                                              winner: Side | None) -> None:
    plan = plan_for(issue(summary="Бета", _updated=jira_updated), deal(TITLE="ГАММА", _updated=b24_updated),
                    {"title": ("Альфа", "АЛЬФА")}, spec=NEWEST)
    pair = pair_of(plan)
    if winner is None:
        assert [c.reason for c in pair.conflicts] == ["changed on both sides; held for manual resolution"]
        assert pair.updates == []
    else:
        assert pair.conflicts == [] and [u.target for u in pair.updates] == [winner.other]


# ------------------------------------------------------------------------------------- partial and failing


def test_a_field_set_only_on_create_is_left_alone_on_linked_pairs() -> None:
    once = replace(AMOUNT, on_update=False)
    spec = replace(SPEC, rules=(once, TITLE))
    pair = pair_of(plan_for(issue(summary="Бета", customfield_10101=5.0), deal(),
                            {"amount": (1.0, 1.0), "title": ("Альфа", "АЛЬФА")}, spec=spec))
    assert pair == expected(
        Update(Side.BITRIX24, "9", {"TITLE": "БЕТА"}, [FieldChange("title", "TITLE", "АЛЬФА", "БЕТА")]),
        shadow={"amount": (1.0, 1.0), "title": ("Бета", "БЕТА")})
    # ... but a newly matched pair gets it like a create would.
    matched = Planner(replace(spec, stamp_bitrix24_field="UF_CRM_JIRA_KEY")).plan(PlanInput(
        {"1": issue(customfield_10101=5.0)}, {"9": deal(OPPORTUNITY=None, UF_CRM_JIRA_KEY="PROC-1")}, ["1"], []))
    (pair,) = matched.pairs
    assert [(u.target, u.fields) for u in pair.updates] == [(Side.BITRIX24, {"OPPORTUNITY": "5.00"})]


def test_a_value_that_cannot_be_computed_yet_keeps_its_shadow_and_the_rest_syncs() -> None:
    def not_yet(value: Any, record: Any) -> Any:
        raise Deferred("PROC-7 is not linked by profile 'companies' yet")

    company = FieldRule("company", "Company", Direction.BOTH, "customfield_10100", "COMPANY_ID",
                        _get("customfield_10100"), _get("COMPANY_ID"), to_bitrix24=not_yet)
    spec = replace(SPEC, rules=(company, TITLE))
    plan = plan_for(issue(summary="Бета", customfield_10100="PROC-7"), deal(COMPANY_ID="3"),
                    {"company": ("PROC-5", "3"), "title": ("Альфа", "АЛЬФА")}, spec=spec)
    assert plan.deferred == [(Side.JIRA, "1", "company", "PROC-7 is not linked by profile 'companies' yet")]
    assert pair_of(plan) == expected(
        Update(Side.BITRIX24, "9", {"TITLE": "БЕТА"}, [FieldChange("title", "TITLE", "АЛЬФА", "БЕТА")]),
        shadow={"company": ("PROC-5", "3"), "title": ("Бета", "БЕТА")})


def test_a_pair_that_cannot_be_mapped_is_reported_by_its_key_and_fails_alone() -> None:
    bad = issue(customfield_10101="много")
    other = j("2", "PROC-2", summary="Бета", customfield_10101=1.0)
    links = [LinkState(1, "1", "9", "PROC-1", SHADOW), LinkState(2, "2", "8", "PROC-2", SHADOW)]
    plan = Planner(SPEC).plan(PlanInput({"1": bad, "2": other}, {"9": deal(), "8": b("8", TITLE="АЛЬФА",
                                                                                    OPPORTUNITY="1")},
                                        ["1", "2"], [], links))
    assert plan.errors == [ItemError(Side.JIRA, "1", "cannot map PROC-1: could not convert string to float: 'много'")]
    assert [(p.jira_id, [u.fields for u in p.updates]) for p in plan.pairs] == [("2", [{"TITLE": "БЕТА"}])]


def test_missing_and_wrong_stamps_are_written_with_what_they_replace() -> None:
    spec = replace(SPEC, rules=(TITLE,), stamp_jira_field="customfield_10103", stamp_bitrix24_field="UF_CRM_JIRA_KEY")
    pair = pair_of(plan_for(issue(customfield_10103="8"), deal(), {"title": ("Альфа", "АЛЬФА")}, spec=spec))
    assert pair == expected(
        Update(Side.BITRIX24, "9", {"UF_CRM_JIRA_KEY": "PROC-1"},
               [FieldChange("stamp", "UF_CRM_JIRA_KEY", None, "PROC-1")]),
        Update(Side.JIRA, "1", {"customfield_10103": "9"}, [FieldChange("stamp", "customfield_10103", "8", "9")]),
        shadow={"title": ("Альфа", "АЛЬФА")}, changed=False)
    # With a stamp on one side only, that one is kept right all the same.
    only_b24 = replace(spec, stamp_jira_field=None)
    pair = pair_of(plan_for(issue(), deal(), {"title": ("Альфа", "АЛЬФА")}, spec=only_b24))
    assert [(u.target, u.fields) for u in pair.updates] == [(Side.BITRIX24, {"UF_CRM_JIRA_KEY": "PROC-1"})]


# ------------------------------------------------------------------------------------- what a plan touches


@pytest.mark.parametrize("gone", [Side.JIRA, Side.BITRIX24])
def test_a_deletion_reported_for_an_untouched_pair_is_planned(gone: Side) -> None:
    link = LinkState(4, "1", "9", "PROC-1", SHADOW)
    present = {Side.JIRA: ("1", issue()), Side.BITRIX24: ("9", deal())}[gone.other]
    records = {gone.other: {present[0]: present[1]}, gone: {}}
    plan = Planner(replace(SPEC, deletion="mirror")).plan(PlanInput(
        records[Side.JIRA], records[Side.BITRIX24], [], [], [link],
        gone_jira=frozenset({"1"} if gone is Side.JIRA else set()),
        gone_bitrix24=frozenset({"9"} if gone is Side.BITRIX24 else set())))
    assert plan == Plan("requests", missing=[Missing(4, gone.other, present[0], action="delete")])


def test_a_pair_gone_on_both_sides_is_forgotten() -> None:
    link = LinkState(4, "1", "9", "PROC-1", SHADOW)
    plan = Planner(SPEC).plan(PlanInput({}, {}, ["1"], ["9"], [link], gone_jira=frozenset({"1"}),
                                        gone_bitrix24=frozenset({"9"})))
    assert plan == Plan("requests", missing=[Missing(4, Side.JIRA, "1", action="forget")])


def test_linked_and_new_records_are_planned_together() -> None:
    # A run sees an edited linked issue and a new one: the edit is an update, the new one a create.
    new = j("2", "PROC-2", summary="Гамма")
    link = LinkState(1, "1", "9", "PROC-1", SHADOW)
    plan = Planner(SPEC).plan(PlanInput({"1": issue(summary="Бета"), "2": new}, {"9": deal()},
                                        ["1", "2", "1"], [], [link]))
    assert [(p.jira_id, p.link_id) for p in plan.pairs] == [("1", 1)]
    assert [(c.target, c.source_id, c.fields["TITLE"]) for c in plan.creates] == [(Side.BITRIX24, "2", "ГАММА")]
