"""JQL parsing and compilation to SQL, checked by what a search returns over HTTP."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sync_engine.sandbox.common.twin import TwinSettings
from sync_engine.sandbox.jira import jql
from sync_engine.sandbox.jira.app import JiraTwin, create_twin
from sync_engine.sandbox.jira.errors import ApiError

if TYPE_CHECKING:
    from conftest import Served



def _keys(s: Served, query: str) -> set[str]:
    with s.http() as http:
        resp = http.get("/rest/api/2/search" if not s.cloud else "/rest/api/2/search/jql",
                        params={"jql": query, "maxResults": 100, "fields": "key"})
    assert resp.status_code == 200, resp.text
    return {i["key"] for i in resp.json()["issues"]}


def test_parser_builds_precedence_and_order() -> None:
    q = jql.parse('project = PROC AND (status = "Открыт" OR NOT labels IS EMPTY) ORDER BY updated ASC, key DESC')
    assert isinstance(q.where, jql.BoolNode) and q.where.op == "and"
    assert q.order == [("updated", "asc"), ("key", "desc")]
    clause = jql.parse("cf[10101] not in (1, 2)").where
    assert isinstance(clause, jql.Clause) and clause.field == "cf[10101]" and clause.op == "not in"
    for bad in ('summary ~ "open', "project = PROC AND", "status in (a, b", "= 5", "project PROC"):
        with pytest.raises(jql.JqlError, match="Error in the JQL Query"):
            jql.parse(bad)


def test_jql_field_semantics(server_twin: Served) -> None:
    s = server_twin
    all_proc = _keys(s, "project = PROC")
    assert len(all_proc) == 30
    by_cf = _keys(s, 'cf[10104] = USD')
    assert by_cf and by_cf == _keys(s, '"Валюта" in (USD)') == _keys(s, "Валюта = usd")
    assert _keys(s, "Валюта != USD") == all_proc - by_cf
    with_deal = _keys(s, '"Bitrix24 deal id" IS NOT EMPTY')
    assert with_deal and with_deal | _keys(s, "project = PROC AND cf[10103] is EMPTY") == all_proc
    one = sorted(with_deal)[0]
    with s.http() as http:
        deal = http.get(f"/rest/api/2/issue/{one}").json()["fields"]["customfield_10103"]
    assert one in _keys(s, f'cf[10103] ~ "{deal}"')
    big = _keys(s, "Сумма >= 1000000")
    assert big and not big & _keys(s, "Сумма < 1000000")
    done = _keys(s, "status in (Выполнен, Отклонён)")
    assert done and not done & _keys(s, 'status = "Открыт"')
    assert _keys(s, "project = PROC AND statusCategory = Done") == done
    assert _keys(s, "project = PROC AND resolution = Unresolved") == all_proc - done
    assert _keys(s, "project = PROC AND resolution in (Done, \"Won't Do\")") == done
    assert _keys(s, "project = PROC AND NOT status in (Выполнен, Отклонён)") == all_proc - done
    assert _keys(s, "labels = госсектор") <= all_proc
    assert _keys(s, "key in (PROC-1, PROC-2) OR issuekey = PROC-3") == {"PROC-1", "PROC-2", "PROC-3"}
    platform = _keys(s, "project = PROC AND summary ~ Платформа")
    assert platform and platform == {k for k in all_proc if k in _keys(s, "summary ~ платформа")}
    assert _keys(s, "issuetype = Task") == {f"SALES-{n}" for n in (1, 2, 4)}
    assert _keys(s, "assignee = s.romanova AND project = PROC")


@pytest.mark.parametrize("query, message", [
    ('summary = "x"', "The operator '=' is not supported by the 'summary' field."),
    ("Валюта = JPY", "The option 'JPY' for field 'Валюта' does not exist."),
    ("status = Nowhere", "The value 'Nowhere' does not exist for the field 'status'."),
    ("key = PROC-999999", "An issue with key 'PROC-999999' does not exist for field 'key'."),
    ('cf[10106] > "2024.01.01"', "Date value '2024.01.01' for field 'cf[10106]' is invalid."),
    ("project = NOPE", "The value 'NOPE' does not exist for the field 'project'."),
])
def test_jql_semantic_errors(server_twin: Served, query: str, message: str) -> None:
    with server_twin.http() as http:
        resp = http.get("/rest/api/2/search", params={"jql": query})
        assert resp.status_code == 400
        assert resp.json()["errorMessages"][0].startswith(message)
        lenient = http.get("/rest/api/2/search", params={"jql": query, "validateQuery": "False"})
        assert lenient.status_code == 200 and lenient.json()["issues"] == []
        assert lenient.json()["warningMessages"][0].startswith(message)


@pytest.fixture(scope="module")
def fuzz_twin() -> JiraTwin:
    return create_twin(TwinSettings(admin_token="x", seed="demo", limits=False))


JQL_ALPHABET = st.sampled_from([
    "project", "PROC", "status", "=", "!=", "~", "!~", ">", ">=", "<", "<=", "in", "not", "is", "empty", "and",
    "or", "(", ")", ",", '"', "'", "cf[10101]", "cf[", "Сумма", "updated", '"-5d"', "now()", "order", "by",
    "asc", "desc", "key", "PROC-1", "labels", "\\", "%", "[", "]", " ", "12", "currentUser()", "text",
    "9" * 25, "-" + "9" * 19, '"-99999999w"', "id", "created", "cf[10106]", '"2024/02/30"', "statusCategory",
])


@settings(max_examples=300, deadline=None)
@given(st.lists(JQL_ALPHABET, max_size=12).map(" ".join) | st.text(max_size=40))
def test_any_jql_text_is_answered_or_refused_never_crashes(fuzz_twin: JiraTwin, text: str) -> None:
    twin = fuzz_twin
    try:
        result = twin.service.search(text, "integration", 0, 5)
    except ApiError as exc:
        assert exc.status == 400 and exc.messages and all(isinstance(m, str) for m in exc.messages)
    else:
        assert result.total >= len(result.rows)

