"""The profile schema refuses inconsistent profiles with messages that say what to change."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from sync_engine.profiles.schema import (
    FieldMapping,
    Profile,
    ScheduleTrigger,
    TemplateTransform,
    ValueMapTransform,
)


def _profile(**over: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "name": "purchase-requests",
        "title": "Заявки",
        "jira": {"projects": ["PROC"], "issue_types": ["Purchase request"]},
        "bitrix24": {"entity": "deal"},
    }
    base.update(over)
    return base


def _error(data: dict[str, Any]) -> str:
    with pytest.raises(ValidationError) as info:
        Profile.model_validate(data)
    return str(info.value)


def test_minimal_profile_gets_safe_defaults() -> None:
    p = Profile.model_validate(_profile())
    assert p.create_in == "both"
    assert p.matching.mode == "match_then_create"
    assert p.deletion.policy == "ignore"
    assert p.conflict == "newest_wins"
    assert [t.type for t in p.triggers] == ["manual"]
    assert p.may_create_in("jira") and p.may_create_in("bitrix24")


def test_unknown_keys_are_refused() -> None:
    assert "extra" in _error(_profile(colour="red")).lower()
    assert "jira.jql_query" in _error(_profile(jira={"projects": ["PROC"], "jql_query": "x"})).replace("\n", ".")


def test_name_must_be_a_slug() -> None:
    assert "name" in _error(_profile(name="Purchase Requests"))


def test_item_needs_a_smart_process_type_id() -> None:
    assert "entity_type_id" in _error(_profile(bitrix24={"entity": "item"}))
    assert "smart process" in _error(_profile(bitrix24={"entity": "item", "entity_type_id": 3}))
    assert Profile.model_validate(_profile(bitrix24={"entity": "item", "entity_type_id": 1032}))


def test_issue_profile_needs_a_project() -> None:
    assert "at least one project" in _error(_profile(jira={"projects": []}))


def test_project_profiles_cannot_create_jira_projects() -> None:
    msg = _error(_profile(jira={"entity": "project"}, create_in="both"))
    assert "create_in" in msg


def test_match_only_needs_a_rule_and_create_only_none() -> None:
    assert "needs at least one rule" in _error(_profile(matching={"mode": "match_only"}))
    rules = [{"jira_field": "customfield_10103", "bitrix24_field": "ID", "normalise": "digits"}]
    assert "must be empty" in _error(_profile(matching={"mode": "create_only", "rules": rules}))


def test_mark_deletion_needs_a_mark() -> None:
    assert "mark_in_jira" in _error(_profile(deletion={"policy": "mark"}))
    assert "only apply" in _error(_profile(deletion={"policy": "ignore",
                                                     "mark_in_bitrix24": {"field": "STAGE_ID", "value": "LOSE"}}))


def test_mapping_ids_unique() -> None:
    m = {"id": "a", "jira_field": "summary", "bitrix24_field": "TITLE"}
    assert "used twice" in _error(_profile(mappings=[m, m]))


def test_copy_needs_both_fields_and_constant_only_target() -> None:
    with pytest.raises(ValidationError, match="bitrix24_field required"):
        FieldMapping(id="x", jira_field="summary")
    with pytest.raises(ValidationError, match="only writes one way"):
        FieldMapping(id="x", bitrix24_field="TITLE", transform={"type": "constant", "value": 1})  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="jira_field must be empty"):
        FieldMapping.model_validate({"id": "x", "jira_field": "a", "bitrix24_field": "TITLE",
                                     "direction": "to_bitrix24", "transform": {"type": "constant", "value": 1}})
    ok = FieldMapping.model_validate({"id": "x", "bitrix24_field": "TYPE_ID", "direction": "to_bitrix24",
                                      "transform": {"type": "constant", "value": "SALE"}})
    assert ok.writes_to("bitrix24") and not ok.writes_to("jira")


def test_template_syntax_checked() -> None:
    assert TemplateTransform(template="{summary} — {customfield_10011}")
    for bad in ("{summary", "{}", "x } y", "{a.__class__ }x{0!r}"):
        with pytest.raises(ValidationError, match="bad template"):
            TemplateTransform(template=bad)


def test_value_map_needs_pairs() -> None:
    with pytest.raises(ValidationError):
        ValueMapTransform(pairs=[])


def test_money_needs_exactly_one_currency_source() -> None:
    assert "exactly one" in _error(_profile(mappings=[{
        "id": "m", "jira_field": "customfield_10101", "bitrix24_field": "UF_CRM_SUM",
        "transform": {"type": "money", "currency": "RUB", "currency_field": "customfield_10104"}}]))
    assert "3-letter" in _error(_profile(mappings=[{
        "id": "m", "jira_field": "customfield_10101", "bitrix24_field": "UF_CRM_SUM",
        "transform": {"type": "money", "currency": "rubles"}}]))


def test_related_entity_cannot_point_at_itself() -> None:
    assert "own profile" in _error(_profile(mappings=[{
        "id": "c", "jira_field": "customfield_10100", "bitrix24_field": "COMPANY_ID",
        "transform": {"type": "related_entity", "profile": "purchase-requests"}}]))


def test_schedule_validation() -> None:
    assert ScheduleTrigger(cron="*/15 8-20 * * 1-5", timezone="Europe/Moscow").cron == "*/15 8-20 * * 1-5"
    with pytest.raises(ValidationError, match="exactly one"):
        ScheduleTrigger()
    with pytest.raises(ValidationError, match="exactly one"):
        ScheduleTrigger(interval_seconds=60, cron="* * * * *")
    with pytest.raises(ValidationError, match="invalid cron"):
        ScheduleTrigger(cron="61 * * * *")
    with pytest.raises(ValidationError, match="invalid cron"):
        ScheduleTrigger(cron="* * * *")
    with pytest.raises(ValidationError, match="unknown time zone"):
        ScheduleTrigger(cron="* * * * *", timezone="Moscow")
    with pytest.raises(ValidationError):
        ScheduleTrigger(interval_seconds=1)


def test_condition_value_shapes() -> None:
    def trig(cond: dict[str, Any]) -> dict[str, Any]:
        return _profile(triggers=[{"type": "event", "system": "bitrix24", "event": "updated", "conditions": [cond]}])

    assert "needs a list" in _error(trig({"field": "STAGE_ID", "op": "in", "value": "WON"}))
    assert "takes no value" in _error(trig({"field": "STAGE_ID", "op": "changed", "value": "WON"}))
    assert Profile.model_validate(trig({"field": "STAGE_ID", "op": "changed_to", "value": "WON"}))


def test_unknown_transform_type_lists_the_known_ones() -> None:
    msg = _error(_profile(mappings=[{"id": "x", "jira_field": "a", "bitrix24_field": "b",
                                     "transform": {"type": "python", "code": "1"}}]))
    assert "value_map" in msg and "python" in msg
