"""The demo reference projects CRM and CAT, project details, workflow statuses per project, and
``validateQuery=false`` with a missing key, seen through the ``jira`` library and plain HTTP."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest
from jira import JIRAError

from sync_engine.sandbox import seed_catalog, seed_people
from sync_engine.sandbox.jira import catalog as c
from sync_engine.sandbox.jira.seed_reference import DEMO_CONTACTS, JIRA_COMPANIES, JIRA_PRODUCTS

if TYPE_CHECKING:
    from conftest import Served


def test_projects_carry_description_and_lead_when_expanded(any_twin: Served) -> None:
    jira = any_twin.client()
    assert {p.key: p.name for p in jira.projects()} == {
        "PROC": "Заявки на закупку", "SALES": "Продажи", "CRM": "Клиенты и контакты", "CAT": "Каталог продуктов",
    }
    crm = jira.project("CRM")
    assert crm.description.startswith("Компании из Bitrix24") and crm.projectTypeKey == "business"
    assert crm.lead.emailAddress == seed_people.head_of(7).email
    assert {t.name for t in crm.issueTypes} == {"Company", "Contact"}
    with any_twin.http() as http:
        plain = http.get("/rest/api/2/project").json()
        expanded = http.get("/rest/api/2/project", params={"expand": "description,lead"}).json()
    assert all("description" not in p and "lead" not in p for p in plain)
    cat = next(p for p in expanded if p["key"] == "CAT")
    assert cat["description"].startswith("Продукты") and cat["lead"]["emailAddress"] == seed_people.head_of(3).email
    assert next(p for p in expanded if p["key"] == "PROC")["projectTypeKey"] == "software"


def _screen(any_twin: Served, project: str, type_name: str) -> dict[str, dict[str, Any]]:
    jira = any_twin.client()
    if any_twin.cloud:
        meta = jira.createmeta(projectKeys=project, issuetypeNames=type_name, expand="projects.issuetypes.fields")
        fields: dict[str, dict[str, Any]] = meta["projects"][0]["issuetypes"][0]["fields"]
        return fields
    type_id = next(t.id for t in jira.project_issue_types(project) if t.name == type_name)
    return {f.fieldId: f.raw for f in jira.project_issue_fields(project, type_id)}


def test_reference_fields_are_only_on_their_own_screens(any_twin: Served) -> None:
    custom = {fid for fid in c.COMPANY_FIELD_IDS + c.CONTACT_FIELD_IDS + c.PRODUCT_FIELD_IDS + c.CUSTOM_FIELD_IDS}
    for project, type_name, own in (("CRM", "Company", c.COMPANY_FIELD_IDS), ("CRM", "Contact", c.CONTACT_FIELD_IDS),
                                    ("CAT", "Product", c.PRODUCT_FIELD_IDS)):
        screen = _screen(any_twin, project, type_name)
        assert {f for f in screen if f in custom} == set(own), (project, type_name)
        assert screen["summary"]["required"] is True
    kinds = _screen(any_twin, "CRM", "Company")[c.CF_COMPANY_TYPE]["allowedValues"]
    assert [(v["id"], v["value"]) for v in kinds] == [
        ("10400", "Клиент"), ("10401", "Партнёр"), ("10402", "Интегратор"), ("10403", "Госорган"),
        ("10404", "Разработчик"),
    ]
    product = _screen(any_twin, "CAT", "Product")
    assert [v["value"] for v in product[c.CF_PRICE_CURRENCY]["allowedValues"]] == ["RUB", "USD", "EUR"]
    assert product[c.CF_PRICE]["schema"]["type"] == "number"
    by_id = {f["id"]: f for f in any_twin.client().fields()}
    assert by_id[c.CF_INN]["name"] == "ИНН" and by_id[c.CF_INN]["clauseNames"] == ["cf[10130]", "ИНН"]
    assert by_id[c.CF_EMAIL]["schema"]["custom"].endswith(":textfield")


def test_reference_issues_write_and_close(any_twin: Served) -> None:
    jira = any_twin.client()
    company = jira.create_issue(fields={
        "project": {"key": "CRM"}, "issuetype": {"name": "Company"}, "summary": "ООО «Новый клиент»",
        c.CF_INN: "7700000099", c.CF_COMPANY_TYPE: {"value": "Партнёр"},
    })
    assert company.fields.status.name == "Открыт"
    assert getattr(company.fields, c.CF_COMPANY_TYPE).value == "Партнёр"
    with pytest.raises(JIRAError) as off_screen:  # a Contact field is not on the Company screen
        jira.create_issue(fields={"project": {"key": "CRM"}, "issuetype": {"name": "Company"}, "summary": "x",
                                  c.CF_EMAIL: "x@example.ru"})
    assert off_screen.value.status_code == 400 and "not on the appropriate screen" in str(off_screen.value.text)
    with pytest.raises(JIRAError):  # a purchase-request field is not on a Product screen
        jira.create_issue(fields={"project": {"key": "CAT"}, "issuetype": {"name": "Product"}, "summary": "x",
                                  c.CF_AMOUNT: 1})
    assert [t["name"] for t in jira.transitions(company)] == ["Закрыть"]
    jira.transition_issue(company, "Закрыть")
    closed = jira.issue(company.key)
    assert closed.fields.status.name == "Закрыт"
    assert closed.fields.resolution is not None and closed.fields.resolution.name == "Done"
    assert [t["name"] for t in jira.transitions(closed)] == ["Переоткрыть"]
    company.delete()


def test_project_statuses_are_the_project_workflows(any_twin: Served) -> None:
    with any_twin.http() as http:
        proc = http.get("/rest/api/2/project/PROC/statuses").json()
        crm = http.get("/rest/api/2/project/10002/statuses").json()
        missing = http.get("/rest/api/2/project/NOPE/statuses")
    purchase = next(t for t in proc if t["name"] == "Purchase request")
    assert [s["name"] for s in purchase["statuses"]] == [n for n, _ in seed_catalog.PURCHASE_STATUSES]
    assert [s["statusCategory"]["key"] for s in purchase["statuses"]] == [k for _, k in seed_catalog.PURCHASE_STATUSES]
    assert {t["name"] for t in proc} == {"Purchase request", "Task", "Bug"}
    task = next(t for t in proc if t["name"] == "Task")
    assert [s["name"] for s in task["statuses"]] == ["To Do", "In Progress", "Done"]
    assert [(t["name"], [s["name"] for s in t["statuses"]]) for t in crm] == [
        ("Company", ["Открыт", "Закрыт"]), ("Contact", ["Открыт", "Закрыт"]),
    ]
    assert missing.status_code == 404 and "NOPE" in missing.json()["errorMessages"][0]


def _search(any_twin: Served, jql: str) -> list[dict[str, Any]]:
    issues: list[dict[str, Any]] = any_twin.client().search_issues(jql, maxResults=100, json_result=True)["issues"]
    return issues


def test_seeded_reference_data(server_twin: Served) -> None:
    companies = {i["fields"]["summary"]: i["fields"] for i in
                 _search(server_twin, "project = CRM AND issuetype = Company ORDER BY key ASC")}
    assert len(companies) == len(JIRA_COMPANIES) == 10
    assert companies["АО «Северная сталь»"][c.CF_INN] == "3528000011"
    assert companies["АО «Северная сталь»"][c.CF_COMPANY_TYPE]["value"] == "Клиент"
    assert companies["Уралэнергосбыт"][c.CF_INN] == "6670000013"  # summary differs from Bitrix24: INN matches
    assert companies["ООО «Студия разработки Альфа»"][c.CF_INN] is None  # no INN: the name matches
    contacts = _search(server_twin, "project = CRM AND issuetype = Contact ORDER BY key ASC")
    assert [i["fields"][c.CF_EMAIL] for i in contacts] == [p.email for p in DEMO_CONTACTS]
    assert _search(server_twin, "project = CRM AND cf[10122] ~ ershova")[0]["fields"]["summary"] == "Ершова Ольга"
    products = _search(server_twin, "project = CAT ORDER BY key ASC")
    assert [i["fields"][c.CF_ARTICLE] for i in products] == [p.code for p in JIRA_PRODUCTS]
    assert len(products) == len(seed_catalog.PRODUCTS) // 2 + 2
    only_jira = {p.code for p in JIRA_PRODUCTS} - {p.code for p in seed_catalog.PRODUCTS}
    assert only_jira == {"VS-MOB-DEV", "VS-CLOUD-MON"}
    assert [i["key"] for i in _search(server_twin, "cf[10112] = USD")] == ["CAT-8"]
    assert {i["key"] for i in _search(server_twin, "cf[10111] >= 1000000")} == {"CAT-2"}


def test_missing_key_warns_when_validation_is_off(server_twin: Served) -> None:
    with server_twin.http() as http:
        lenient = http.get("/rest/api/2/search", params={
            "jql": "key in (PROC-1, PROC-999999, CAT-1) ORDER BY key ASC", "validateQuery": "false",
            "fields": "summary"}).json()
        strict = http.get("/rest/api/2/search", params={"jql": "key in (PROC-1, PROC-999999)"})
        none_left = http.get("/rest/api/2/search", params={
            "jql": "key = PROC-999999", "validateQuery": "false"}).json()
    assert [i["key"] for i in lenient["issues"]] == ["CAT-1", "PROC-1"] and lenient["total"] == 2
    assert lenient["warningMessages"] == ["An issue with key 'PROC-999999' does not exist for field 'key'."]
    assert strict.status_code == 400 and "PROC-999999" in strict.json()["errorMessages"][0]
    assert none_left["issues"] == [] and none_left["warningMessages"]
