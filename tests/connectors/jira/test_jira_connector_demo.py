"""The connector against the twin's demo seed: the field contract of the demo profiles
(tests/mapping/mapping_demo_fields.py), workflow-only status options, and JIRA projects as an entity."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from sync_engine.connectors.base import ConnectorError, EntityScope
from sync_engine.fieldtypes import FieldMeta, FieldType
from sync_engine.sandbox import seed_catalog, seed_people

CONTRACT_PATH = Path(__file__).resolve().parents[2] / "mapping" / "mapping_demo_fields.py"
COMPANY = EntityScope("issue", projects=("CRM",), issue_types=("Company",))
CONTACT = EntityScope("issue", projects=("CRM",), issue_types=("Contact",))
PRODUCT = EntityScope("issue", projects=("CAT",), issue_types=("Product",))
PURCHASE = EntityScope("issue", projects=("PROC",), issue_types=("Purchase request",))
PROJECTS = EntityScope("project")


def contract() -> ModuleType:
    spec = importlib.util.spec_from_file_location("mapping_demo_fields_contract", CONTRACT_PATH)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def assert_meets(actual: list[FieldMeta], expected: list[FieldMeta], scope: EntityScope) -> None:
    """Every contract field exists with its type and flags, and enums offer the contract's labels; the
    connector may describe more fields (created, reporter, ...) than the contract needs."""
    by_id = {m.id: m for m in actual}
    for want in expected:
        got = by_id.get(want.id)
        assert got is not None, f"{scope.projects}/{scope.issue_types}: {want.id} ({want.label}) missing"
        assert (got.label, got.type) == (want.label, want.type), want.id
        assert got.read_only == want.read_only, want.id
        if want.id not in ("project", "issuetype"):  # JIRA requires them; the connector fills them itself
            assert got.required == want.required, want.id
        if want.options:
            assert [o.label for o in got.options] == [o.label for o in want.options], want.id
    custom = {m.id for m in actual if m.id.startswith("customfield_")}
    assert custom == {m.id for m in expected if m.id.startswith("customfield_")}, "fields of other screens leaked"


@pytest.mark.parametrize("scope, name", [(COMPANY, "JIRA_CRM_COMPANY"), (CONTACT, "JIRA_CRM_CONTACT"),
                                         (PRODUCT, "JIRA_CAT_PRODUCT"), (PURCHASE, "JIRA_PROC")])
async def test_describe_fields_meets_the_demo_contract(jira_twin: Any, scope: EntityScope, name: str) -> None:
    conn = jira_twin.connector(flavour=jira_twin.flavour)
    try:
        metas = await conn.describe_fields(scope)
        assert_meets(metas, getattr(contract(), name), scope)
    finally:
        await conn.aclose()


async def test_status_options_are_the_workflow_of_the_scope(jira_twin: Any) -> None:
    conn = jira_twin.connector(flavour=jira_twin.flavour)
    try:
        jira_twin.admin.reset()
        proc = {m.id: m for m in await conn.describe_fields(PURCHASE)}["status"]
        assert jira_twin.admin.calls("GET /rest/api/2/project/{idOrKey}/statuses") == 1
        assert [o.label for o in proc.options] == [n for n, _ in seed_catalog.PURCHASE_STATUSES]
        crm = {m.id: m for m in await conn.describe_fields(EntityScope("issue", projects=("CRM",)))}["status"]
        assert [o.label for o in crm.options] == ["Открыт", "Закрыт"]
        assert crm.option_by_label("Открыт") == proc.option_by_label("Открыт")  # one global status
    finally:
        await conn.aclose()


async def test_reference_issues_are_found_and_closed(jira_twin: Any) -> None:
    conn = jira_twin.connector(flavour=jira_twin.flavour)
    try:
        (steel,) = await conn.find(COMPANY, "customfield_10130", ["3528000011"])
        assert steel.fields["summary"] == "АО «Северная сталь»" and steel.fields["key"] == steel.key
        assert steel.fields["customfield_10131"]["value"] == "Клиент"
        (article,) = await conn.find(PRODUCT, "customfield_10110", ["VS-CLOUD-MON"])
        assert article.fields["customfield_10111"] == 150.0 and article.fields["customfield_10112"]["value"] == "USD"
        made = await conn.create_many(CONTACT, [{"summary": "Тестов Тест", "customfield_10122": "t@test.example.ru",
                                                 "customfield_10121": "Тестов", "status": "Закрыт"}])
        assert made[0].ok and made[0].error is None and (made[0].key or "").startswith("CRM-")
        (again,) = await conn.get_many(CONTACT, [made[0].key or ""])
        assert again.fields["status"]["name"] == "Закрыт" and again.fields["customfield_10121"] == "Тестов"
        wrong = await conn.update_many(COMPANY, [(steel.key or "", {"customfield_10131": "Поставщик"})])
        assert not wrong[0].ok and "Поставщик" in (wrong[0].error or "")
        assert (await conn.delete_many(CONTACT, [made[0].key or ""]))[0].ok
    finally:
        await conn.aclose()


async def test_describe_project_fields(jira_twin: Any) -> None:
    conn = jira_twin.connector(flavour=jira_twin.flavour)
    try:
        metas = await conn.describe_fields(PROJECTS)
        types = {m.id: (m.type, m.read_only) for m in metas}
        assert types == {
            "key": (FieldType.TEXT, True), "name": (FieldType.TEXT, False),
            "description": (FieldType.TEXT, False), "lead": (FieldType.USER, False),
            "projectTypeKey": (FieldType.TEXT, True),
        }
        assert_meets(metas, contract().JIRA_PROJECT, PROJECTS)
        with pytest.raises(ValueError, match="no issue types and no JQL"):
            await conn.describe_fields(EntityScope("project", query="project = PROC"))
    finally:
        await conn.aclose()


async def test_projects_are_read_in_one_call_and_recognised_unchanged(jira_twin: Any) -> None:
    conn = jira_twin.connector(flavour=jira_twin.flavour)
    try:
        await conn.whoami()
        jira_twin.admin.reset()
        pages = [page async for page in conn.iter_changed(PROJECTS, None)]
        assert jira_twin.admin.total() == 1 and jira_twin.admin.calls("GET /rest/api/2/project") == 1
        (records,) = pages
        assert [r.key for r in records] == ["PROC", "SALES", "CRM", "CAT"]
        crm = records[2]
        assert crm.id == "10002" and crm.updated is None and crm.version
        assert crm.fields["name"] == "Клиенты и контакты" and crm.fields["key"] == "CRM"
        assert crm.fields["description"].startswith("Компании из Bitrix24")
        assert crm.fields["projectTypeKey"] == "business"
        assert await conn.user_email(crm.fields["lead"]) == seed_people.head_of(7).email
        again = [r async for page in conn.iter_changed(PROJECTS, None) for r in page]
        assert [r.version for r in again] == [r.version for r in records]  # nothing changed, same versions
        assert len({r.version for r in records}) == 4
        small = [page async for page in conn.iter_changed(PROJECTS, None, page_size=3)]
        assert [len(p) for p in small] == [3, 1]
        only = [r.key async for page in conn.iter_changed(EntityScope("project", projects=("cat", "PROC")), None)
                for r in page]
        assert only == ["PROC", "CAT"]
    finally:
        await conn.aclose()


async def test_projects_get_many_and_find(jira_twin: Any) -> None:
    conn = jira_twin.connector(flavour=jira_twin.flavour)
    try:
        got = await conn.get_many(PROJECTS, ["CAT", "10000", "nope", "crm"])
        assert [r.key for r in got] == ["CAT", "PROC", "CRM"]
        assert [r.key for r in await conn.find(PROJECTS, "key", ["cat", "NOPE"])] == ["CAT"]
        assert [r.key for r in await conn.find(PROJECTS, "name", ["Продажи"])] == ["SALES"]
        assert [r.key for r in await conn.find(PROJECTS, "id", ["10001"])] == ["SALES"]
        assert await conn.find(PROJECTS, "key", []) == []
        with pytest.raises(ValueError, match="does not exist"):
            await conn.find(PROJECTS, "summary", ["x"])
    finally:
        await conn.aclose()


async def test_projects_are_never_written(jira_twin: Any) -> None:
    conn = jira_twin.connector(flavour=jira_twin.flavour)
    try:
        jira_twin.admin.reset()
        for write in (conn.create_many(PROJECTS, [{"key": "NEW", "name": "Новый"}]),
                      conn.update_many(PROJECTS, [("CRM", {"name": "Другое имя"})]),
                      conn.delete_many(PROJECTS, ["CAT"])):
            with pytest.raises(ConnectorError, match="JIRA projects are not created, edited or deleted") as err:
                await write
            assert err.value.code == "read_only_entity"
        assert jira_twin.admin.total() == 0
    finally:
        await conn.aclose()
