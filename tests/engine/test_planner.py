from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sync_engine.connectors.base import Record
from sync_engine.engine.merge import ConflictPolicy, Direction
from sync_engine.engine.planner import LinkState, PlanInput, Planner
from sync_engine.engine.spec import FieldRule, MatchRule, Side, SyncSpec


def _money(v: Any) -> float | None:
    return None if v in (None, "") else round(float(v), 2)


RULES = (
    FieldRule(
        "title", "Title", Direction.BOTH, "summary", "TITLE", lambda f: f.get("summary"), lambda f: f.get("TITLE")
    ),
    FieldRule(
        "amount",
        "Amount",
        Direction.BOTH,
        "customfield_10101",
        "OPPORTUNITY",
        lambda f: f.get("customfield_10101"),
        lambda f: f.get("OPPORTUNITY"),
        to_bitrix24=lambda v, rec: None if v is None else f"{float(v):.2f}",
        to_jira=lambda v, rec: None if v in (None, "") else float(v),
        norm_jira=_money,
        norm_bitrix24=_money,
    ),
    FieldRule(
        "distributor",
        "Distributor",
        Direction.TO_JIRA,
        "customfield_10102",
        "UF_CRM_DISTRIBUTOR",
        lambda f: f.get("customfield_10102"),
        lambda f: f.get("UF_CRM_DISTRIBUTOR"),
        on_create=False,
    ),
)
SPEC = SyncSpec(
    "purchase-requests",
    RULES,
    stamp_jira_field="customfield_10103",
    stamp_bitrix24_field="UF_CRM_JIRA_KEY",
)
T0 = datetime(2026, 1, 1, tzinfo=UTC)


def j(id_: str, key: str, **fields: Any) -> Record:
    return Record(id_, fields, updated=fields.pop("_updated", T0), key=key)


def b(id_: str, **fields: Any) -> Record:
    return Record(id_, {"ID": id_, **fields}, updated=fields.pop("_updated", T0))


def test_new_issue_becomes_a_deal_stamped_with_its_key() -> None:
    issue = j("10001", "PROC-1", summary="Лицензии", customfield_10101=1500.0)
    plan = Planner(SPEC).plan(PlanInput({issue.id: issue}, {}, [issue.id], []))
    assert len(plan.creates) == 1
    create = plan.creates[0]
    assert create.target is Side.BITRIX24
    assert create.fields == {"TITLE": "Лицензии", "OPPORTUNITY": "1500.00", "UF_CRM_JIRA_KEY": "PROC-1"}
    assert create.shadow["amount"] == (1500.0, 1500.0)


def test_a_deal_carrying_our_stamp_is_matched_not_created_again() -> None:
    # A run crashed after creating the deal but before recording the link: the stamp finds it.
    issue = j("10001", "PROC-1", summary="A", customfield_10101=1.0)
    deal = b("7", TITLE="A", OPPORTUNITY="1.00", UF_CRM_JIRA_KEY="PROC-1")
    plan = Planner(SPEC).plan(PlanInput({issue.id: issue}, {deal.id: deal}, [issue.id], [deal.id]))
    assert plan.creates == []
    assert [(p.jira_id, p.bitrix24_id, p.link_id) for p in plan.pairs] == [("10001", "7", None)]
    # The crash also cost the back-stamp of the deal id into JIRA: the match writes it, nothing else.
    assert [(u.target, u.fields) for u in plan.pairs[0].updates] == [(Side.JIRA, {"customfield_10103": "7"})]
    stamped = j("10001", "PROC-1", summary="A", customfield_10101=1.0, customfield_10103=7.0)
    plan = Planner(SPEC).plan(PlanInput({stamped.id: stamped}, {deal.id: deal}, [stamped.id], [deal.id]))
    assert not plan.pairs[0].writes


def test_match_rule_links_existing_records() -> None:
    spec = SyncSpec("c", RULES, matches=(MatchRule("summary", "TITLE", lambda v: str(v or "").casefold()),))
    issue = j("1", "PROC-1", summary="Заявка Альфа", customfield_10101=2.0)
    deal = b("9", TITLE="заявка альфа", OPPORTUNITY="2.00")
    plan = Planner(spec).plan(PlanInput({"1": issue}, {"9": deal}, ["1"], ["9"]))
    assert plan.creates == [] and len(plan.matches) == 1


def test_edit_on_one_side_updates_the_other_and_a_second_plan_is_empty() -> None:
    shadow = {"title": ("A", "A"), "amount": (1.0, 1.0), "distributor": (None, None)}
    link = LinkState(1, "1", "9", "PROC-1", shadow)
    issue = j("1", "PROC-1", summary="A", customfield_10101=1.0, customfield_10103="9")
    deal = b("9", TITLE="A", OPPORTUNITY="1.00", UF_CRM_JIRA_KEY="PROC-1", UF_CRM_DISTRIBUTOR="ООО «СофтДистрибуция»")
    plan = Planner(SPEC).plan(PlanInput({"1": issue}, {"9": deal}, [], ["9"], [link]))
    (pair,) = plan.pairs
    assert [(u.target, u.fields) for u in pair.updates] == [(Side.JIRA, {"customfield_10102": "ООО «СофтДистрибуция»"})]
    # Apply it and plan again with the new shadow: nothing more to write (the echo is recognised).
    issue2 = j("1", "PROC-1", summary="A", customfield_10101=1.0, customfield_10103="9",
               customfield_10102="ООО «СофтДистрибуция»")
    link2 = LinkState(1, "1", "9", "PROC-1", pair.shadow)
    again = Planner(SPEC).plan(PlanInput({"1": issue2}, {"9": deal}, ["1"], ["9"], [link2]))
    assert not again.pairs[0].writes and not again.pairs[0].shadow_changed
    assert again.unchanged == 1


def test_both_sides_changed_is_held_as_a_conflict() -> None:
    link = LinkState(1, "1", "9", "PROC-1", {"title": ("A", "A"), "amount": (1.0, 1.0)})
    issue = j("1", "PROC-1", summary="J", customfield_10101=1.0, customfield_10103="9")
    deal = b("9", TITLE="B", OPPORTUNITY="1.00", UF_CRM_JIRA_KEY="PROC-1")
    plan = Planner(SPEC).plan(PlanInput({"1": issue}, {"9": deal}, ["1"], ["9"], [link]))
    assert [c.rule for _, c in plan.conflicts] == ["title"]
    assert not plan.pairs[0].writes
    newest = SyncSpec("p", RULES, policy=ConflictPolicy.NEWEST_WINS)
    later = b("9", TITLE="B", OPPORTUNITY="1.00", UF_CRM_JIRA_KEY="PROC-1", _updated=datetime(2026, 2, 1, tzinfo=UTC))
    plan = Planner(newest).plan(PlanInput({"1": issue}, {"9": later}, ["1"], ["9"], [link]))
    assert plan.pairs[0].updates[0].fields == {"summary": "B"}


def test_a_linked_pair_missing_a_stamp_gets_it_back() -> None:
    # Killed after the link was committed but before the back-stamp: the next look writes it.
    link = LinkState(1, "1", "9", "PROC-1", {"title": ("A", "A"), "amount": (1.0, 1.0), "distributor": (None, None)})
    issue = j("1", "PROC-1", summary="A", customfield_10101=1.0, customfield_10103=9.0)
    deal = b("9", TITLE="A", OPPORTUNITY="1.00")
    plan = Planner(SPEC).plan(PlanInput({"1": issue}, {"9": deal}, ["1"], ["9"], [link]))
    assert [(u.target, u.fields) for u in plan.pairs[0].updates] == [(Side.BITRIX24, {"UF_CRM_JIRA_KEY": "PROC-1"})]


def test_deleted_counterpart_is_reported_missing() -> None:
    link = LinkState(1, "1", "9", "PROC-1", {})
    issue = j("1", "PROC-1", summary="A")
    plan = Planner(SPEC).plan(PlanInput({"1": issue}, {}, ["1"], [], [link], gone_bitrix24=frozenset({"9"})))
    assert [(m.present, m.present_id) for m in plan.missing] == [(Side.JIRA, "1")]
    assert plan.creates == []
