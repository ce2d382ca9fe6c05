"""The unmodified ``jira`` library against both flavours of the twin, over loopback HTTP."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from jira import JIRA, JIRAError

from sync_engine.sandbox.jira.catalog import CF_AMOUNT, CF_CURRENCY, CF_CUSTOMER, CF_DEAL_ID, CF_PRODUCT

if TYPE_CHECKING:
    from conftest import Served



def test_connect_reports_flavour_and_identity(any_twin: Served) -> None:
    jira = any_twin.client()
    info = jira.server_info()
    me = jira.myself()
    if any_twin.cloud:
        assert info["deploymentType"] == "Cloud" and info["versionNumbers"][0] == 1001
        assert me["accountId"] and me["emailAddress"] == any_twin.twin.user
    else:
        assert info["deploymentType"] == "Server" and tuple(info["versionNumbers"][:2]) == (9, 12)
        assert me["name"] == "integration" and me["key"].startswith("JIRAUSER")
    assert me["timeZone"] == "Europe/Moscow"


def test_fields_projects_and_issue_types(any_twin: Served) -> None:
    jira = any_twin.client()
    by_id = {f["id"]: f for f in jira.fields()}
    assert by_id[CF_AMOUNT]["clauseNames"] == ["cf[10101]", "Сумма"]
    assert by_id[CF_AMOUNT]["schema"]["type"] == "number"
    assert by_id[CF_CURRENCY]["schema"]["custom"].endswith(":select")
    assert by_id["summary"]["schema"] == {"type": "string", "system": "summary"}
    keys = {p.key: p.name for p in jira.projects()}
    assert keys == {"PROC": "Заявки на закупку", "SALES": "Продажи", "CRM": "Клиенты и контакты",
                    "CAT": "Каталог продуктов"}
    proc = jira.project("PROC")
    assert {t.name for t in proc.issueTypes} == {"Purchase request", "Task", "Bug"}
    assert jira.issue_type_by_name("Purchase request", project=proc.id).id == "10000"


def test_createmeta_forms_per_flavour(any_twin: Served) -> None:
    jira = any_twin.client()
    if any_twin.cloud:
        meta = jira.createmeta(projectKeys="PROC", issuetypeNames="Purchase request",
                               expand="projects.issuetypes.fields")
        (project,) = meta["projects"]
        (itype,) = project["issuetypes"]
        assert project["key"] == "PROC" and itype["name"] == "Purchase request"
        values = [v["value"] for v in itype["fields"][CF_CURRENCY]["allowedValues"]]
        assert values == ["RUB", "USD", "EUR"]
        with pytest.raises(JIRAError):
            jira.project_issue_types("PROC")
    else:
        with pytest.raises(JIRAError):  # removed in Server/DC 9; the library refuses it itself
            jira.createmeta(projectKeys="PROC")
        types = jira.project_issue_types("PROC")
        assert [t.name for t in types] == ["Purchase request", "Task", "Bug"]
        fields = {f.fieldId: f for f in jira.project_issue_fields("PROC", "10000")}
        assert fields["summary"].required is True
        assert CF_PRODUCT in fields and fields[CF_AMOUNT].schema.type == "number"


def _request_fields(summary: str, **extra: object) -> dict[str, object]:
    return {"project": "PROC", "issuetype": "Purchase request", "summary": summary,
            CF_CUSTOMER: "АО «Северная сталь»", CF_AMOUNT: 450000, CF_CURRENCY: {"value": "RUB"}, **extra}


def test_create_update_transition_comment_delete(any_twin: Served) -> None:
    jira = any_twin.client()
    issue = jira.create_issue(fields=_request_fields("Закупка серверной лицензии", labels=["срочно"]))
    assert issue.key.startswith("PROC-")
    assert issue.fields.status.name == "Открыт"
    assert getattr(issue.fields, CF_AMOUNT) == 450000.0
    assert getattr(issue.fields, CF_CURRENCY).value == "RUB"
    assert issue.fields.created.endswith("+0300") and issue.fields.reporter.displayName

    issue.update(fields={"summary": "Закупка двух серверных лицензий", CF_AMOUNT: 900000, CF_DEAL_ID: "4711"})
    assert issue.fields.summary == "Закупка двух серверных лицензий"
    assert getattr(issue.fields, CF_DEAL_ID) == "4711"
    with_log = jira.issue(issue.key, expand="changelog")
    items = {i.field: i for h in with_log.changelog.histories for i in h.items}
    assert items["summary"].toString == "Закупка двух серверных лицензий"
    assert items["Сумма"].fieldtype == "custom" and items["Сумма"].toString == "900000"
    assert (getattr(items["summary"], "fieldId", None) == "summary") == any_twin.cloud

    names = {t["name"]: t["id"] for t in jira.transitions(issue)}
    assert set(names) == {"Квалификация", "Отклонён"}
    jira.transition_issue(issue, "квалификация", comment="Берём в работу")
    issue = jira.issue(issue.key)
    assert issue.fields.status.name == "Квалификация"
    assert issue.fields.status.statusCategory.key == "indeterminate"
    assert {t["name"] for t in jira.transitions(issue)} == {"Открыт", "Согласование", "Отклонён"}
    with pytest.raises(JIRAError) as err:
        jira.transition_issue(issue, "999")
    assert err.value.status_code == 400

    jira.add_comment(issue, "Коммерческое предложение отправлено")
    bodies = [c.body for c in jira.comments(issue)]
    assert bodies == ["Берём в работу", "Коммерческое предложение отправлено"]

    people = jira.search_users(query="s.romanova") if any_twin.cloud else jira.search_users(user="s.romanova")
    assert len(people) == 1
    jira.assign_issue(issue, people[0].accountId if any_twin.cloud else people[0].name)
    assignee = jira.issue(issue.key).fields.assignee
    assert assignee is not None and assignee.emailAddress == "s.romanova@vektorsoft.ru"

    issue.delete()
    with pytest.raises(JIRAError) as gone:
        jira.issue(issue.key)
    assert gone.value.status_code == 404


def test_bulk_create_with_partial_failure(any_twin: Served) -> None:
    jira = any_twin.client()
    result = jira.create_issues([
        _request_fields("Первая заявка"),
        _request_fields("Плохая валюта", **{CF_CURRENCY: {"value": "JPY"}}),
        {"project": "SALES", "issuetype": "Task", "summary": "Задача в продажах"},
    ])
    assert [r["status"] for r in result] == ["Success", "Error", "Success"]
    assert result[1]["error"] == {CF_CURRENCY: "Option value 'JPY' is not valid"}
    assert result[2]["issue"].key.startswith("SALES-")
    failed = jira.create_issues([_request_fields("Без суммы", **{CF_AMOUNT: "много"})])
    assert failed[0]["status"] == "Error" and CF_AMOUNT in failed[0]["error"]


def test_bad_jql_is_a_400(any_twin: Served) -> None:
    jira = any_twin.client()
    for jql, fragment in (
        ("project = ", "Error in the JQL Query"),
        ("nosuchfield = 1", "Field 'nosuchfield' does not exist"),
        ("customfield_10010 = x", "Field 'customfield_10010' does not exist or you do not have permission"),
        ('updated >= "2024-13-45 10:00:00"', "Valid formats include: 'yyyy/MM/dd HH:mm'"),
    ):
        with pytest.raises(JIRAError) as err:
            jira.search_issues(jql, maxResults=10)
        assert err.value.status_code == 400, jql
        assert fragment in str(err.value.text), (jql, err.value.text)


def test_bad_credentials_are_401_and_bearer_works(any_twin: Served) -> None:
    with pytest.raises(JIRAError) as err:
        JIRA(any_twin.url, basic_auth=(any_twin.twin.user, "wrong"), max_retries=0)
    assert err.value.status_code == 401
    jira = JIRA(any_twin.url, token_auth=any_twin.twin.token, max_retries=0)
    assert jira.project("PROC").key == "PROC"
    anonymous = JIRA(any_twin.url, max_retries=0)  # serverInfo is public, data is not
    with pytest.raises(JIRAError) as denied:
        anonymous.projects()
    assert denied.value.status_code == 401


def test_session_endpoint_for_validate(server_twin: Served) -> None:
    jira = JIRA(server_twin.url, basic_auth=server_twin.auth, validate=True, max_retries=0)
    assert jira.session().name == "integration"


def test_users_editmeta_and_link_types(any_twin: Served) -> None:
    jira = any_twin.client()
    person = jira.search_users(query="Смирнова") if any_twin.cloud else jira.search_users(user="e.smirnova")
    assert [p.displayName for p in person] == ["Елена Смирнова"]
    ident = person[0].accountId if any_twin.cloud else person[0].name
    assert jira.user(ident).emailAddress == "e.smirnova@vektorsoft.ru"
    meta = jira.editmeta("PROC-1")["fields"]
    assert meta[CF_CURRENCY]["allowedValues"][0]["value"] == "RUB"
    assert meta["labels"]["operations"] == ["add", "set", "remove"] and "status" not in meta
    assert [t.name for t in jira.issue_link_types()] == ["Blocks", "Cloners", "Duplicate", "Relates"]
    issue = jira.issue("PROC-1", fields="summary,status", expand="names,schema")
    assert set(issue.raw["fields"]) == {"summary", "status"}
    assert issue.raw["names"]["status"] == "Status" and issue.raw["schema"]["summary"]["type"] == "string"


def test_remote_links_and_expand_transitions(any_twin: Served) -> None:
    jira = any_twin.client()
    issue = jira.create_issue(project="PROC", issuetype="Purchase request", summary="Связь со сделкой")
    before = issue.fields.updated
    jira.add_simple_link(issue.key, {"url": "https://b24.example/crm/deal/details/42/", "title": "Сделка 42"})
    first = jira.add_remote_link(issue.key, {"url": "https://b24.example/crm/deal/details/43/", "title": "Сделка 43"},
                                 globalId="b24:deal:43")
    again = jira.add_remote_link(issue.key, {"url": "https://b24.example/crm/deal/details/43/", "title": "Сделка 43!"},
                                 globalId="b24:deal:43")
    assert again.id == first.id  # same globalId: updated in place
    links = jira.remote_links(issue)
    assert [lk.object.title for lk in links] == ["Сделка 42", "Сделка 43!"]
    assert jira.remote_link(issue, links[0].id).object.url.endswith("/42/")
    reread = jira.issue(issue.key, expand="transitions")
    assert reread.fields.updated == before and "_remotelinks" not in reread.raw["fields"]
    assert {t["name"] for t in reread.raw["transitions"]} == {"Квалификация", "Отклонён"}
