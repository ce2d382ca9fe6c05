"""Unlinked changed records: found by stamp or match rule, else created as the profile allows.

A record that is matched wrongly, or created although its counterpart exists, is a duplicate a person has
to clean up by hand; a create that maps a field wrongly writes wrong data into the other system. So these
tests state whole plans: every create's fields, shadow and changes, every new pair, every skip.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest
from test_planner import SPEC, b, j

from sync_engine.connectors.base import Record
from sync_engine.engine.merge import Direction
from sync_engine.engine.plan import Create, FieldChange, ItemError, Plan
from sync_engine.engine.planner import LinkState, PlanInput, Planner
from sync_engine.engine.spec import Deferred, FieldRule, MatchRule, Side, SyncSpec


def _get(name: str) -> Any:
    return lambda fields: fields.get(name)


# The deal title is the issue summary in capitals: the two sides' forms differ, so a shadow stored the
# wrong way round, or a value read from the wrong side, shows.
TITLE = FieldRule("title", "Title", Direction.BOTH, "summary", "TITLE", _get("summary"), _get("TITLE"),
                  to_bitrix24=lambda v, rec: None if v is None else v.upper(),
                  to_jira=lambda v, rec: None if v is None else v.capitalize())
AMOUNT = FieldRule("amount", "Amount", Direction.BOTH, "customfield_10101", "OPPORTUNITY",
                   _get("customfield_10101"), _get("OPPORTUNITY"),
                   to_bitrix24=lambda v, rec: None if v is None else f"{float(v):.2f}",
                   to_jira=lambda v, rec: None if v in (None, "") else float(v),
                   norm_jira=lambda v: None if v in (None, "") else float(v),
                   norm_bitrix24=lambda v: None if v in (None, "") else float(v))
# Written into the deal from the whole issue (like a template); the issue has no field for it.
CUSTOMER_LINE = FieldRule("customer", "Customer line", Direction.TO_BITRIX24, None, "COMMENTS",
                          _get("customfield_10100"), _get("COMMENTS"),
                          to_bitrix24=lambda v, rec: None if v is None else f"{v} ({rec.get('summary')})")
# Filled in Bitrix24 only; copied into JIRA on updates, never on create.
DISTRIBUTOR = FieldRule("distributor", "Distributor", Direction.TO_JIRA, "customfield_10102", "UF_CRM_DISTRIBUTOR",
                        _get("customfield_10102"), _get("UF_CRM_DISTRIBUTOR"), on_create=False)
STAMPED = SyncSpec("requests", (DISTRIBUTOR, CUSTOMER_LINE, TITLE, AMOUNT),
                   stamp_jira_field="customfield_10103", stamp_bitrix24_field="UF_CRM_JIRA_KEY",
                   constants={Side.JIRA: {"project": {"key": "PROC"}}, Side.BITRIX24: {"CATEGORY_ID": 0}})


def plan_of(spec: SyncSpec, jira: list[Record], bitrix24: list[Record], *, changed_jira: list[str] | None = None,
            changed_bitrix24: list[str] | None = None, links: tuple[LinkState, ...] = ()) -> Plan:
    """Plan with every given record changed unless told otherwise."""
    return Planner(spec).plan(PlanInput(
        {r.id: r for r in jira}, {r.id: r for r in bitrix24},
        [r.id for r in jira] if changed_jira is None else changed_jira,
        [r.id for r in bitrix24] if changed_bitrix24 is None else changed_bitrix24,
        links))


def pairs(plan: Plan) -> list[tuple[str, str, int | None]]:
    return [(p.jira_id, p.bitrix24_id, p.link_id) for p in plan.pairs]


# ------------------------------------------------------------------------------------------------ creates


def test_a_new_issue_becomes_a_deal_with_every_mapped_value_and_its_stamp() -> None:
    issue = j("10001", "PROC-1", summary="Лицензии", customfield_10101=1500.0, customfield_10100="ООО «Альфа»",
              customfield_10102="ignored on create")
    plan = plan_of(STAMPED, [issue], [])
    assert plan == Plan("requests", creates=[Create(
        target=Side.BITRIX24, source_id="10001", source_key="PROC-1",
        fields={"CATEGORY_ID": 0, "COMMENTS": "ООО «Альфа» (Лицензии)", "TITLE": "ЛИЦЕНЗИИ", "OPPORTUNITY": "1500.00",
                "UF_CRM_JIRA_KEY": "PROC-1"},
        # each side's value in its own form: the source's as read, the target's as written
        shadow={"customer": ("ООО «Альфа»", "ООО «Альфа» (Лицензии)"), "title": ("Лицензии", "ЛИЦЕНЗИИ"),
                "amount": (1500.0, 1500.0)},
        changes=[FieldChange("customer", "COMMENTS", None, "ООО «Альфа» (Лицензии)"),
                 FieldChange("title", "TITLE", None, "ЛИЦЕНЗИИ"),
                 FieldChange("amount", "OPPORTUNITY", None, "1500.00")],
        source_fields=issue.fields)])


def test_a_new_deal_becomes_an_issue_stamped_with_the_deal_id() -> None:
    # The path the engine takes for every deal a sales person enters: it must read the deal's fields,
    # write JIRA's, and store the shadow JIRA-first like every other shadow.
    deal = b("7", TITLE="ЛИЦЕНЗИИ", OPPORTUNITY="1500.00", UF_CRM_DISTRIBUTOR="ООО «Софт»", COMMENTS="x")
    plan = plan_of(STAMPED, [], [deal])
    assert plan == Plan("requests", creates=[Create(
        target=Side.JIRA, source_id="7", source_key=None,
        fields={"project": {"key": "PROC"}, "summary": "Лицензии", "customfield_10101": 1500.0,
                "customfield_10103": "7"},
        shadow={"title": ("Лицензии", "ЛИЦЕНЗИИ"), "amount": (1500.0, 1500.0)},
        changes=[FieldChange("title", "summary", None, "Лицензии"),
                 FieldChange("amount", "customfield_10101", None, 1500.0)],
        source_fields=deal.fields)])


def test_blank_values_are_left_out_of_a_create() -> None:
    # An empty amount is not written as "" (Bitrix24 would store 0); the fields after it still are.
    spec = replace(STAMPED, rules=(AMOUNT, TITLE), stamp_bitrix24_field=None, constants={})
    blank = FieldRule("blank", "Blank", Direction.BOTH, "customfield_10104", "CURRENCY_ID",
                      _get("customfield_10104"), _get("CURRENCY_ID"), to_bitrix24=lambda v, rec: "")
    issue = j("1", "PROC-1", summary="Лицензии")
    for rules in ((AMOUNT, TITLE), (blank, TITLE)):
        (create,) = plan_of(replace(spec, rules=rules), [issue], []).creates
        assert create.fields == {"TITLE": "ЛИЦЕНЗИИ"} and list(create.shadow) == ["title"]


@pytest.mark.parametrize(("create_in", "match_only", "skipped_from"), [
    (frozenset({Side.JIRA}), False, [Side.JIRA]),
    (frozenset({Side.BITRIX24}), False, [Side.BITRIX24]),
    (frozenset({Side.JIRA, Side.BITRIX24}), True, [Side.JIRA, Side.BITRIX24]),
    (frozenset(), False, [Side.JIRA, Side.BITRIX24]),
])
def test_records_are_created_only_where_the_profile_allows(create_in: frozenset[Side], match_only: bool,
                                                           skipped_from: list[Side]) -> None:
    spec = replace(STAMPED, create_in=create_in, match_only=match_only)
    issue, deal = j("1", "PROC-1", summary="Лицензии"), b("7", TITLE="СЕРВЕРЫ")
    plan = plan_of(spec, [issue], [deal])
    reason = {Side.JIRA: "no counterpart and the profile does not create in bitrix24",
              Side.BITRIX24: "no counterpart and the profile does not create in jira"}
    ids = {Side.JIRA: "1", Side.BITRIX24: "7"}
    assert plan.skipped == [(s, ids[s], reason[s]) for s in skipped_from]
    assert sorted(c.source_id for c in plan.creates) == sorted(ids[s] for s in Side if s not in skipped_from)


def test_a_value_that_cannot_be_computed_yet_is_left_for_later_and_the_rest_is_created() -> None:
    def not_yet(value: Any, record: Any) -> Any:
        raise Deferred("no Bitrix24 user has the e-mail i.ivanov@vektorsoft.ru")

    owner = FieldRule("owner", "Owner", Direction.BOTH, "assignee", "ASSIGNED_BY_ID", _get("assignee"),
                      _get("ASSIGNED_BY_ID"), to_bitrix24=not_yet)
    issue = j("1", "PROC-1", summary="Лицензии", assignee={"name": "ivanov"})
    plan = plan_of(replace(STAMPED, rules=(owner, TITLE)), [issue], [])
    assert plan.deferred == [(Side.JIRA, "1", "owner", "no Bitrix24 user has the e-mail i.ivanov@vektorsoft.ru")]
    (create,) = plan.creates
    assert create.fields == {"CATEGORY_ID": 0, "TITLE": "ЛИЦЕНЗИИ", "UF_CRM_JIRA_KEY": "PROC-1"}


def test_a_record_that_cannot_be_mapped_fails_alone() -> None:
    bad = j("1", "PROC-1", summary="Лицензии", customfield_10101="много")
    good = j("2", "PROC-2", summary="Серверы", customfield_10101=10.0)
    plan = plan_of(replace(STAMPED, rules=(AMOUNT, TITLE)), [bad, good], [])
    why = "cannot map for create: could not convert string to float: 'много'"
    assert plan.errors == [ItemError(Side.JIRA, "1", why)]
    assert [c.source_id for c in plan.creates] == ["2"]


# ----------------------------------------------------------------------------------------------- matching


def test_a_changed_deal_finds_the_issue_stamped_with_its_id() -> None:
    # The issue was created from the deal in a run killed before the link was stored; now only the deal
    # changes. Creating again would make a second issue for one deal.
    issue = j("10001", "PROC-1", summary="Лицензии", customfield_10103="7")
    deal = b("7", TITLE="ЛИЦЕНЗИИ")
    plan = plan_of(STAMPED, [issue], [deal], changed_jira=[])
    assert plan.creates == [] and pairs(plan) == [("10001", "7", None)]
    # ... and the deal gets the key stamped back, so it is findable from both sides from now on.
    assert [(u.target, u.fields) for u in plan.pairs[0].updates] == [(Side.BITRIX24, {"UF_CRM_JIRA_KEY": "PROC-1"})]


def test_a_deal_carrying_an_issue_key_finds_that_issue() -> None:
    # A sales person typed the key of the existing request into the deal.
    issue = j("10001", "PROC-1", summary="Лицензии")
    deal = b("7", TITLE="ЛИЦЕНЗИИ", UF_CRM_JIRA_KEY=" PROC-1 ")
    plan = plan_of(STAMPED, [issue], [deal], changed_jira=[])
    assert plan.creates == [] and pairs(plan) == [("10001", "7", None)]
    assert [(u.target, u.fields) for u in plan.pairs[0].updates] == [(Side.JIRA, {"customfield_10103": "7"})]


def test_an_issue_carrying_a_deal_id_finds_that_deal() -> None:
    issue = j("10001", "PROC-1", summary="Лицензии", customfield_10103="7")
    deal = b("7", TITLE="ЛИЦЕНЗИИ")
    plan = plan_of(STAMPED, [issue], [deal], changed_bitrix24=[])
    assert plan.creates == [] and pairs(plan) == [("10001", "7", None)]


@pytest.mark.parametrize("stamp", [7.0, "7.0", 7])
def test_a_deal_id_in_a_number_field_still_finds_the_deal(stamp: Any) -> None:
    # A JIRA number field gives the deal id back as 7.0; read as text that is "7.0", not "7".
    issue = j("10001", "PROC-1", summary="Лицензии", customfield_10103=stamp)
    deal = b("7", TITLE="ЛИЦЕНЗИИ")
    for changed in ({"changed_bitrix24": []}, {"changed_jira": []}):
        plan = plan_of(STAMPED, [issue], [deal], **changed)  # type: ignore[arg-type]
        assert plan.creates == [] and pairs(plan) == [("10001", "7", None)]


def test_a_stamp_that_is_no_whole_number_names_no_deal() -> None:
    issue = j("10001", "PROC-1", summary="Лицензии", customfield_10103=7.5)
    plan = plan_of(STAMPED, [issue], [b("7", TITLE="СЕРВЕРЫ")], changed_bitrix24=[])
    assert plan.pairs == [] and [c.source_id for c in plan.creates] == ["10001"]


NAME_RULE = MatchRule("summary", "TITLE", lambda v: " ".join(str(v or "").casefold().split()))
CUSTOMER_RULE = MatchRule("customfield_10100", "COMPANY_TITLE", lambda v: str(v or "").strip().casefold())
MATCHING = SyncSpec("requests", (TITLE,), matches=(NAME_RULE, CUSTOMER_RULE), create_in=frozenset({Side.JIRA}))


def test_a_changed_deal_matches_an_existing_issue_by_rule_instead_of_creating_one() -> None:
    issue = j("10001", "PROC-1", summary="Заявка  Альфа")
    deal = b("7", TITLE="заявка альфа")
    plan = plan_of(MATCHING, [issue], [deal], changed_jira=[])
    assert plan.creates == [] and pairs(plan) == [("10001", "7", None)]


def test_match_rules_are_tried_in_order_and_a_taken_record_is_skipped() -> None:
    # Deal 5 is linked already; deal 8 is claimed by the first issue. The second issue has the same
    # title but names a customer: the second rule finds deal 9 for it. The third finds nothing free.
    taken = b("5", TITLE="Альфа", COMPANY_TITLE="ООО «Гамма»")
    first_hit = b("8", TITLE="Альфа", COMPANY_TITLE="ООО «Дельта»")
    second_hit = b("9", TITLE="Бета", COMPANY_TITLE="ООО «Бета»")
    issues = [j("1", "PROC-1", summary="Альфа"), j("2", "PROC-2", summary="Альфа", customfield_10100="ооо «бета»"),
              j("3", "PROC-3", summary="Альфа", customfield_10100="ООО «Гамма»")]
    link = LinkState(1, "50", "5", "PROC-50", {})
    spec = replace(MATCHING, create_in=frozenset({Side.BITRIX24}))
    plan = plan_of(spec, issues, [taken, first_hit, second_hit], changed_bitrix24=[], links=(link,))
    assert pairs(plan) == [("1", "8", None), ("2", "9", None)]
    assert [c.source_id for c in plan.creates] == ["3"]


def test_two_records_lacking_the_match_value_are_not_each_others_match() -> None:
    issue = j("1", "PROC-1", summary="Альфа")
    deal = b("7", TITLE="Бета")
    for rule in (CUSTOMER_RULE, MatchRule("customfield_10100", "COMPANY_TITLE")):
        plan = plan_of(SyncSpec("requests", (TITLE,), matches=(rule,)), [issue], [deal])
        assert plan.pairs == [] and sorted(c.source_id for c in plan.creates) == ["1", "7"]


def test_each_record_is_matched_at_most_once() -> None:
    # Two deals with the same title: the issue pairs with the first; the second gets an issue of its own.
    issue = j("1", "PROC-1", summary="Альфа")
    deals = [b("7", TITLE="альфа"), b("8", TITLE="АЛЬФА")]
    plan = plan_of(MATCHING, [issue], deals, changed_jira=[])
    assert pairs(plan) == [("1", "7", None)] and [c.source_id for c in plan.creates] == ["8"]


def test_a_stamp_pointing_at_a_linked_record_is_not_followed() -> None:
    # The deal carries the key of an issue that is linked to another deal already: that is no match.
    issue = j("1", "PROC-1", summary="Альфа")
    deal = b("7", TITLE="АЛЬФА", UF_CRM_JIRA_KEY="PROC-1")
    link = LinkState(1, "1", "6", "PROC-1", {})
    plan = plan_of(replace(SPEC, rules=(TITLE,)), [issue], [deal], changed_jira=[], links=(link,))
    assert plan.pairs == [] and [(c.target, c.source_id) for c in plan.creates] == [(Side.JIRA, "7")]


def test_records_sharing_a_match_value_pair_up_instead_of_being_duplicated() -> None:
    # Two yearly renewals titled alike on each side: two pairs. Remembering only the first record per
    # title would leave the second issue and the second deal unmatched, and create both again.
    issues = [j("1", "PROC-1", summary="Продление лицензий"), j("2", "PROC-2", summary="Продление лицензий")]
    deals = [b("7", TITLE="продление лицензий"), b("8", TITLE="Продление  лицензий")]
    spec = replace(MATCHING, create_in=frozenset({Side.JIRA, Side.BITRIX24}))
    plan = plan_of(spec, issues, deals)
    assert pairs(plan) == [("1", "7", None), ("2", "8", None)] and plan.creates == []


def test_a_record_paired_in_this_plan_is_not_paired_again() -> None:
    # The issue changed too and took the first deal; the second deal must not be paired with it as well.
    issue = j("1", "PROC-1", summary="Альфа")
    deals = [b("7", TITLE="альфа"), b("8", TITLE="АЛЬФА")]
    plan = plan_of(MATCHING, [issue], deals)
    assert pairs(plan) == [("1", "7", None)] and [(c.target, c.source_id) for c in plan.creates] == [(Side.JIRA, "8")]


def test_a_stamp_naming_a_taken_record_does_not_end_the_search() -> None:
    # Deal 7 was stamped with PROC-2 by mistake and is linked to PROC-1 already; PROC-2 still finds its
    # own deal by title rather than getting a new one.
    issue = j("2", "PROC-2", summary="Бета")
    wrong, right = b("7", TITLE="АЛЬФА", UF_CRM_JIRA_KEY="PROC-2"), b("8", TITLE="бета")
    spec = replace(MATCHING, stamp_jira_field="customfield_10103", stamp_bitrix24_field="UF_CRM_JIRA_KEY")
    plan = plan_of(spec, [issue], [wrong, right], changed_bitrix24=[], links=(LinkState(1, "1", "7", "PROC-1"),))
    assert pairs(plan) == [("2", "8", None)] and plan.creates == []
