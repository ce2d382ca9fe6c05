"""Normalising JIRA field metadata and shaping write values, without a server."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from sync_engine.connectors.jira_fields import build_field_metas, field_type, to_jira_value
from sync_engine.fieldtypes import FieldMeta, FieldType, Option

FIELDS = [
    {"id": "summary", "name": "Summary", "schema": {"type": "string", "system": "summary"}},
    {"id": "status", "name": "Status", "schema": {"type": "status", "system": "status"}},
    {"id": "updated", "name": "Updated", "schema": {"type": "datetime", "system": "updated"}},
    {"id": "issuekey", "name": "Key", "schema": {"type": "string"}},
    {"id": "labels", "name": "Labels", "schema": {"type": "array", "items": "string", "system": "labels"}},
    {"id": "assignee", "name": "Assignee", "schema": {"type": "user", "system": "assignee"}},
    {"id": "project", "name": "Project", "schema": {"type": "project", "system": "project"}},
    {"id": "customfield_1", "name": "Валюта",
     "schema": {"type": "option", "custom": "com.atlassian.jira.plugin.system.customfieldtypes:select"}},
    {"id": "customfield_2", "name": "Tags",
     "schema": {"type": "array", "items": "option", "custom": "x:multiselect"}},
    {"id": "customfield_3", "name": "Not on screen", "schema": {"type": "number", "custom": "x:float"}},
]
CREATEMETA = [
    [
        {"fieldId": "summary", "required": True, "schema": {"type": "string"}},
        {"fieldId": "project", "required": True},
        {"fieldId": "labels", "required": False},
        {"fieldId": "assignee", "required": False},
        {"fieldId": "customfield_1", "required": False,
         "allowedValues": [{"id": "10", "value": "RUB"}, {"id": "11", "value": "USD"}]},
        {"fieldId": "customfield_2", "required": False, "allowedValues": [{"id": "20", "value": "a"}]},
    ],
    [{"fieldId": "customfield_1", "required": True, "allowedValues": [{"id": "12", "value": "EUR"}]}],
]


def test_field_type_mapping() -> None:
    assert field_type({"type": "string"}) == (FieldType.TEXT, False, None)
    assert field_type({"type": "array", "items": "option"}) == (FieldType.MULTI_ENUM, True, None)
    assert field_type({"type": "array", "items": "user"}) == (FieldType.USER, True, None)
    assert field_type({"type": "project"}) == (FieldType.REFERENCE, False, "project")
    assert field_type({"type": "any"})[0] is FieldType.UNKNOWN


def test_build_field_metas_merges_createmeta_and_statuses() -> None:
    metas = {m.id: m for m in build_field_metas(FIELDS, CREATEMETA, [{"id": "1", "name": "To Do"}])}
    assert "customfield_3" not in metas  # neither on the create screen nor a readable system field
    assert metas["summary"].required and not metas["summary"].read_only
    assert metas["customfield_1"].type is FieldType.ENUM and metas["customfield_1"].required
    assert [o.label for o in metas["customfield_1"].options] == ["RUB", "USD", "EUR"]
    assert metas["customfield_1"].system_type.endswith(":select")
    assert metas["customfield_2"].type is FieldType.MULTI_ENUM and metas["customfield_2"].multiple
    assert metas["labels"].type is FieldType.MULTI_ENUM and metas["labels"].options == ()
    assert metas["status"].options == (Option("1", "To Do"),) and not metas["status"].read_only
    assert metas["updated"].read_only and metas["key"].read_only and metas["key"].type is FieldType.TEXT
    assert metas["project"].type is FieldType.REFERENCE and not metas["project"].required


def test_to_jira_value_shapes() -> None:
    metas = {m.id: m for m in build_field_metas(FIELDS, CREATEMETA, [])}
    assert to_jira_value(metas["customfield_1"], "usd", cloud=False) == {"id": "11"}
    assert to_jira_value(metas["customfield_1"], {"value": "RUB"}, cloud=False) == {"value": "RUB"}
    with pytest.raises(ValueError, match=r"'GBP' is not an option of field Валюта \(customfield_1\)"):
        to_jira_value(metas["customfield_1"], "GBP", cloud=False)
    assert to_jira_value(metas["customfield_2"], ["a"], cloud=False) == [{"id": "20"}]
    assert to_jira_value(metas["labels"], "x, y", cloud=False) == ["x", "y"]
    assert to_jira_value(metas["assignee"], "ivanov", cloud=False) == {"name": "ivanov"}
    assert to_jira_value(metas["assignee"], "5b10:abc", cloud=True) == {"accountId": "5b10:abc"}
    assert to_jira_value(metas["project"], "PROC", cloud=False) == {"key": "PROC"}
    num = FieldMeta("n", "Сумма", FieldType.NUMBER)
    assert to_jira_value(num, "1 234,5", cloud=False) == 1234.5
    with pytest.raises(ValueError, match="is a number"):
        to_jira_value(num, "lots", cloud=False)
    assert to_jira_value(FieldMeta("d", "D", FieldType.DATE), date(2024, 5, 1), cloud=False) == "2024-05-01"
    stamp = to_jira_value(FieldMeta("t", "T", FieldType.DATETIME), datetime(2024, 5, 1, 8, 0, tzinfo=UTC),
                          cloud=False)
    assert stamp == "2024-05-01T08:00:00.000+0000"
    assert to_jira_value(metas["summary"], 42, cloud=False) == "42"
    assert to_jira_value(metas["summary"], None, cloud=False) is None
