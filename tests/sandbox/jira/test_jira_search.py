"""Search paging per flavour (Server offset pages, Cloud nextPageToken) and JQL date-window semantics."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

import pytest
from jira import JIRAError

if TYPE_CHECKING:
    from conftest import ServeFactory


JQL = "project = PROC ORDER BY key ASC"


def test_server_paging_over_1000_issues(serve: ServeFactory) -> None:
    s = serve("server", seed="empty", size=1000)
    jira = s.client()
    everything = jira.search_issues(JQL, maxResults=False, fields="summary")
    keys = [i.key for i in everything]
    assert len(keys) == 1000 and len(set(keys)) == 1000
    assert keys[:3] == ["PROC-1", "PROC-2", "PROC-3"]
    paged: list[str] = []
    start = 0
    while True:
        page = jira.search_issues(JQL, startAt=start, maxResults=300, fields=["summary", "status"])
        assert page.total == 1000 and page.startAt == start
        paged.extend(i.key for i in page)
        start += len(page)
        if page.isLast or not page:
            break
    assert paged == keys
    posted_page = jira.search_issues(JQL, startAt=10, maxResults=5, use_post=True, validate_query=False)
    assert [i.key for i in posted_page] == keys[10:15] and posted_page.total == 1000
    with s.http() as http:
        capped = http.get("/rest/api/2/search", params={"jql": JQL, "maxResults": 5000, "fields": "id"}).json()
        assert capped["maxResults"] == 1000 and len(capped["issues"]) == 1000
        posted = http.post("/rest/api/2/search", json={"jql": JQL, "startAt": 990, "validateQuery": True,
                                                      "fields": ["*all"], "expand": None, "maxResults": 50})
        assert posted.status_code == 200 and len(posted.json()["issues"]) == 10
        assert http.get("/rest/api/2/search/jql", params={"jql": JQL}).status_code == 404
        beyond = http.get("/rest/api/2/search", params={"jql": JQL, "startAt": 10**9}).json()
        assert beyond["issues"] == [] and beyond["total"] == 1000


def test_cloud_token_paging_over_1000_issues(serve: ServeFactory) -> None:
    s = serve("cloud", seed="empty", size=1000)
    jira = s.client()
    keys: list[str] = []
    token = None
    pages = 0
    while True:
        page = jira.enhanced_search_issues(JQL, nextPageToken=token, maxResults=250, fields=["summary"])
        keys.extend(i.key for i in page)
        pages += 1
        token = page.nextPageToken
        if not token:
            break
    assert len(keys) == 1000 and len(set(keys)) == 1000 and keys[0] == "PROC-1"
    assert pages == 10  # a page of full fields is capped at 100 issues
    everything = jira.search_issues(JQL, maxResults=False, fields="summary")
    assert [i.key for i in everything] == keys
    assert jira.approximate_issue_count("project = PROC") == 1000
    posted = jira.enhanced_search_issues(JQL, maxResults=7, use_post=True, fields="summary,status")
    assert [i.key for i in posted] == keys[:7] and posted.nextPageToken
    assert posted[0].fields.summary.startswith("Закупка") and posted[0].fields.status.statusCategory.key
    with pytest.raises(JIRAError):
        jira.search_issues(JQL, startAt=5)
    with s.http() as http:
        removed = http.get("/rest/api/2/search", params={"jql": JQL})
        assert removed.status_code == 410 and "CHANGE-2046" in removed.json()["errorMessages"][0]
        ids = http.get("/rest/api/3/search/jql", params={"jql": JQL, "maxResults": 5000}).json()
        assert len(ids["issues"]) == 1000 and set(ids["issues"][0]) == {"expand", "id"}
        unbounded = http.get("/rest/api/2/search/jql", params={"jql": "order by key desc"})
        assert unbounded.status_code == 400 and "Unbounded" in unbounded.json()["errorMessages"][0]


def _minute(text: str) -> datetime:
    stamp = datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%f%z").astimezone(ZoneInfo("Europe/Moscow"))
    return stamp.replace(second=0, microsecond=0)


@pytest.mark.parametrize("flavour", ["server", "cloud"])
def test_jql_dates_compare_whole_minutes_in_user_zone(serve: ServeFactory, flavour: str) -> None:
    s = serve(flavour, seed="empty")
    jira = s.client()
    issue = jira.create_issue(project="SALES", issuetype="Task", summary="Окно времени")
    floor = _minute(issue.fields.updated)
    slash = floor.strftime("%Y/%m/%d %H:%M")
    dash = floor.strftime("%Y-%m-%d %H:%M")
    epoch = str(int(floor.timestamp() * 1000))

    def found(clause: str) -> bool:
        return [i.key for i in jira.search_issues(f"project = SALES AND {clause}", maxResults=10)] == [issue.key]

    assert found(f'updated >= "{slash}"') and found(f'updated >= "{dash}"') and found(f"updated >= {epoch}")
    assert found(f'updated = "{slash}"') and found(f'updated <= "{slash}"')
    assert not found(f'updated > "{slash}"')  # the index keeps minutes: same-minute changes are not "after"
    assert not found(f'updated < "{slash}"')
    assert found('updated >= "-5m"') and found(f'created >= "{floor.strftime("%Y/%m/%d")}"')
    assert not found('updated <= "-1d"')
    assert found("updated >= startOfDay()")
