"""Validation of profiles against live field metadata: every problem names the fields."""

from __future__ import annotations

from typing import Any

import pytest
from mapping_demo_fields import B24_DEAL, DEMO, JIRA_PROC

from sync_engine.fieldtypes import FieldMeta, FieldType
from sync_engine.mapping.validate import ValidationIssue, compatible, errors_only, validate_profile
from sync_engine.profiles.schema import Profile
from sync_engine.profiles.yaml_io import load_profiles

ALL_DEMO_NAMES = ["purchase-requests", "companies", "contacts", "products", "projects"]


def demo() -> Profile:
    [profile] = load_profiles(DEMO / "purchase-requests.yaml")
    return profile


def modified(**changes: Any) -> Profile:
    data = demo().model_dump()
    data.update(changes)
    return Profile.model_validate(data)


def with_mapping(mapping: dict[str, Any], profile: Profile | None = None) -> Profile:
    data = (profile or demo()).model_dump()
    data["mappings"].append(mapping)
    return Profile.model_validate(data)


def codes(issues: list[ValidationIssue]) -> list[str]:
    return [i.code for i in issues]


def only(issues: list[ValidationIssue], code: str) -> ValidationIssue:
    found = [i for i in issues if i.code == code]
    assert len(found) == 1, issues
    return found[0]


def test_demo_purchase_profile_is_valid_against_the_seeded_fields() -> None:
    issues = validate_profile(demo(), JIRA_PROC, B24_DEAL, ALL_DEMO_NAMES)
    assert errors_only(issues) == []


def test_unknown_field_is_named() -> None:
    profile = with_mapping({"id": "ghost", "jira_field": "customfield_99999", "bitrix24_field": "TITLE",
                            "direction": "to_jira"})
    issue = only(validate_profile(profile, JIRA_PROC, B24_DEAL), "unknown_field")
    assert issue.severity == "error"
    assert "customfield_99999" in issue.message and "JIRA" in issue.message
    assert issue.path == f"mappings[{len(profile.mappings) - 1}]"
    assert issue.fields == ("customfield_99999",)
    b = with_mapping({"id": "ghost", "jira_field": "summary", "bitrix24_field": "UF_CRM_NOPE"})
    assert "UF_CRM_NOPE" in only(validate_profile(b, JIRA_PROC, B24_DEAL), "unknown_field").message


def test_type_mismatch_names_both_fields() -> None:
    profile = with_mapping({"id": "bad", "jira_field": "customfield_10106", "bitrix24_field": "OPPORTUNITY",
                            "direction": "to_bitrix24", "apply_on": "update"})
    issue = only(validate_profile(profile, JIRA_PROC, B24_DEAL), "type_mismatch")
    assert "customfield_10106 (Дата закрытия, date)" in issue.message
    assert "OPPORTUNITY (Сумма, money)" in issue.message
    assert issue.fields == ("customfield_10106", "OPPORTUNITY")


@pytest.mark.parametrize(("jira", "b24", "transform", "needle"), [
    ("customfield_10104", "CURRENCY_ID", {"type": "copy"}, "value map"),
    ("assignee", "ASSIGNED_BY_ID", {"type": "copy"}, "user by e-mail"),
    ("customfield_10100", "COMPANY_ID", {"type": "copy"}, "related-entity"),
    ("customfield_10101", "UF_CRM_BUDGET", {"type": "copy"}, "money transform"),
    ("customfield_10101", "TITLE", {"type": "date"}, "date transform needs dates"),
    ("customfield_10100", "TITLE", {"type": "user_by_email"}, "user fields"),
])
def test_transform_type_matrix(jira: str, b24: str, transform: dict[str, Any], needle: str) -> None:
    profile = with_mapping({"id": "x", "jira_field": jira, "bitrix24_field": b24, "transform": transform,
                            "direction": "to_bitrix24", "apply_on": "update"},
                           modified(mappings=[]))
    issue = only(validate_profile(profile, JIRA_PROC, B24_DEAL), "type_mismatch")
    assert needle in issue.message and jira in issue.message and b24 in issue.message


def test_writing_a_read_only_field() -> None:
    profile = with_mapping({"id": "ro", "jira_field": "summary", "bitrix24_field": "DATE_CREATE",
                            "transform": {"type": "date"}})
    issue = only(validate_profile(profile, JIRA_PROC, B24_DEAL), "read_only_target")
    assert "DATE_CREATE" in issue.message and "read-only" in issue.message
    # the demo writes ID only towards JIRA, which is fine
    assert "read_only_target" not in codes(validate_profile(demo(), JIRA_PROC, B24_DEAL))


def test_uncovered_required_field_is_listed() -> None:
    jira = [*JIRA_PROC, FieldMeta("customfield_10199", "Отдел", FieldType.TEXT, required=True)]
    b24 = [*B24_DEAL, FieldMeta("UF_CRM_REGION", "Регион", FieldType.TEXT, required=True)]
    issues = validate_profile(demo(), jira, b24)
    found = [i for i in issues if i.code == "required_not_covered"]
    assert {i.fields for i in found} == {("customfield_10199",), ("UF_CRM_REGION",)}
    assert any("customfield_10199 (Отдел" in i.message and "JIRA" in i.message for i in found)
    # a side we never create in does not need its required fields covered
    assert "required_not_covered" not in codes(validate_profile(modified(create_in="none"), jira, b24))
    # an update-only mapping does not cover a field on create; a constant on create does
    covered = with_mapping({"id": "region", "bitrix24_field": "UF_CRM_REGION", "direction": "to_bitrix24",
                            "apply_on": "create", "transform": {"type": "constant", "value": "Москва"}},
                           modified(create_in="bitrix24"))
    assert "required_not_covered" not in codes(validate_profile(covered, jira, b24))
    update_only = with_mapping({"id": "region", "jira_field": "summary", "bitrix24_field": "UF_CRM_REGION",
                                "direction": "to_bitrix24", "apply_on": "update"}, modified(create_in="bitrix24"))
    assert "UF_CRM_REGION" in only(validate_profile(update_only, jira, b24), "required_not_covered").fields


def test_value_map_options_must_exist() -> None:
    profile = with_mapping({"id": "kind", "jira_field": "customfield_10105", "bitrix24_field": "UF_CRM_DEAL_KIND",
                            "transform": {"type": "value_map", "pairs": [
                                {"jira": "Вектор SDK: OEM-лицензия для партнёров", "bitrix24": "Лицензия"},
                                {"jira": "Нет такого продукта", "bitrix24": "Аренда"}]}})
    issues = [i for i in validate_profile(profile, JIRA_PROC, B24_DEAL) if i.code == "unknown_option"]
    assert {i.path for i in issues} == {f"mappings[{len(profile.mappings) - 1}].transform.pairs[1].jira",
                                        f"mappings[{len(profile.mappings) - 1}].transform.pairs[1].bitrix24"}
    assert any("'Аренда'" in i.message and "UF_CRM_DEAL_KIND" in i.message for i in issues)


def test_incomplete_value_map_is_a_warning() -> None:
    profile = with_mapping({"id": "cur2", "jira_field": "customfield_10104", "bitrix24_field": "CURRENCY_ID",
                            "apply_on": "update", "direction": "to_jira",
                            "transform": {"type": "value_map", "pairs": [{"jira": "RUB", "bitrix24": "RUB"}],
                                          "auto_suggested": True}},
                           modified(mappings=[]))
    issues = validate_profile(profile, JIRA_PROC, B24_DEAL)
    incomplete = only(issues, "value_map_incomplete")
    assert incomplete.severity == "warning" and "Доллар США" in incomplete.message
    assert only(issues, "unreviewed_suggestion").severity == "warning"


def test_duplicate_target_in_same_direction() -> None:
    profile = with_mapping({"id": "title2", "jira_field": "customfield_10100", "bitrix24_field": "TITLE",
                            "direction": "to_bitrix24"})
    issue = only(validate_profile(profile, JIRA_PROC, B24_DEAL), "duplicate_target")
    assert "'TITLE'" in issue.message and "mappings[0]" in issue.message
    # create-only and update-only mappings of the same field do not collide
    a = {"id": "a", "jira_field": "summary", "bitrix24_field": "TITLE", "apply_on": "create"}
    b = {"id": "b", "jira_field": "customfield_10100", "bitrix24_field": "TITLE", "apply_on": "update",
         "direction": "to_bitrix24"}
    ok = modified(mappings=[a, b])
    assert "duplicate_target" not in codes(validate_profile(ok, JIRA_PROC, B24_DEAL))


def test_unknown_template_placeholder() -> None:
    profile = modified(mappings=[{"id": "c", "bitrix24_field": "COMMENTS", "direction": "to_bitrix24",
                                  "transform": {"type": "template", "template": "{summary} / {customfield_404}"}}])
    issue = only(validate_profile(profile, JIRA_PROC, B24_DEAL), "unknown_placeholder")
    assert "{customfield_404}" in issue.message and issue.fields == ("customfield_404",)


def test_related_entity_profile_must_exist() -> None:
    issues = [i for i in validate_profile(demo(), JIRA_PROC, B24_DEAL, ["purchase-requests"])
              if i.code == "unknown_profile"]
    ids = [m.id for m in demo().mappings]
    assert [i.path for i in issues] == [f"mappings[{ids.index('customer')}].transform.profile",
                                        f"mappings[{ids.index('distributor')}].transform.profile"]
    assert all("'companies'" in i.message for i in issues)


def test_match_rule_deletion_mark_and_condition_fields_checked() -> None:
    data = demo().model_dump()
    data["matching"]["rules"].append({"jira_field": "customfield_1", "bitrix24_field": "UF_X", "normalise": "exact"})
    data["deletion"] = {"policy": "mark", "mark_in_bitrix24": {"field": "UF_CRM_DELETED", "value": "Y"}}
    data["triggers"] = [{"type": "event", "system": "bitrix24", "event": "updated",
                         "conditions": [{"field": "STAGE", "op": "changed"}]}]
    issues = validate_profile(Profile.model_validate(data), JIRA_PROC, B24_DEAL)
    unknown = {i.fields[0]: i.path for i in issues if i.code == "unknown_field"}
    assert unknown == {"customfield_1": "matching.rules[2].jira_field", "UF_X": "matching.rules[2].bitrix24_field",
                       "UF_CRM_DELETED": "deletion.mark_in_bitrix24.field",
                       "STAGE": "triggers[0].conditions[0].field"}


def test_constant_must_be_an_option() -> None:
    profile = with_mapping({"id": "kind", "bitrix24_field": "UF_CRM_DEAL_KIND", "direction": "to_bitrix24",
                            "transform": {"type": "constant", "value": "Аренда"}})
    assert "'Аренда'" in only(validate_profile(profile, JIRA_PROC, B24_DEAL), "unknown_option").message


def _f(t: FieldType, **kw: Any) -> FieldMeta:
    return FieldMeta(kw.pop("id", "f"), kw.pop("label", "F"), t, **kw)


@pytest.mark.parametrize(("s", "t", "ok", "needle"), [
    (_f(FieldType.TEXT), _f(FieldType.TEXT), True, "copy"),
    (_f(FieldType.NUMBER), _f(FieldType.MONEY, system_type="double"), True, "copy"),
    (_f(FieldType.NUMBER), _f(FieldType.MONEY, system_type="money"), True, "money"),
    (_f(FieldType.DATE), _f(FieldType.DATETIME), True, "copy"),
    (_f(FieldType.ENUM), _f(FieldType.ENUM), True, "value_map"),
    (_f(FieldType.MULTI_ENUM), _f(FieldType.MULTI_ENUM), True, "multi_value_map"),
    (_f(FieldType.USER), _f(FieldType.USER), True, "user_by_email"),
    (_f(FieldType.TEXT), _f(FieldType.REFERENCE), True, "related_entity"),
    (_f(FieldType.NUMBER), _f(FieldType.TEXT), True, "as text"),
    (_f(FieldType.TEXT), _f(FieldType.NUMBER), False, "cannot copy text into number"),
    (_f(FieldType.DATE), _f(FieldType.BOOL), False, "cannot copy"),
    (_f(FieldType.TEXT), _f(FieldType.TEXT, read_only=True), False, "read-only"),
    (_f(FieldType.UNKNOWN, system_type="file"), _f(FieldType.TEXT), False, "not supported (file)"),
])
def test_compatible_for_drag_targets(s: FieldMeta, t: FieldMeta, ok: bool, needle: str) -> None:
    result, reason = compatible(s, t)
    assert result is ok
    assert needle in reason
