"""What hangs on issues: worklogs and time tracking, versions, components, attachments; and the single-item
reads, user searches, assignee "-1"/null, expand=editmeta, projectKeys, rank and long JQL."""

from __future__ import annotations

import hashlib
import io
from typing import TYPE_CHECKING

import httpx
import pytest
from jira import JIRA, JIRAError

if TYPE_CHECKING:
    from conftest import Served, ServeFactory


def _project(jira: JIRA, key: str) -> str:
    jira.create_project(key, f"Parts {key}")
    return key


def test_worklogs_adjust_the_remaining_estimate(any_twin: Served) -> None:
    jira = any_twin.client()
    key = _project(jira, "WL" + ("C" if any_twin.cloud else "S"))
    issue = jira.create_issue(project=key, summary="work", issuetype={"name": "Task"})
    log = jira.add_worklog(issue.key, "3h", comment="first go")
    tracking = jira.issue(issue.key, fields="timetracking").fields.timetracking
    assert tracking.timeSpent == "3h" and tracking.remainingEstimate == "0m"
    log.update(timeSpent="2h", comment="less")
    assert log.timeSpent == "2h" and log.comment == "less"
    assert jira.issue(issue.key, fields="timetracking").fields.timetracking.remainingEstimate == "1h"
    day = jira.add_worklog(issue.key, "1d 2h")
    assert jira.worklog(issue.key, str(day)).timeSpentSeconds == 10 * 3600
    assert len(jira.worklogs(issue.key)) == 2
    day.delete()
    log.delete()
    fields = jira.issue(issue.key, fields="timetracking,worklog").fields
    # 0 after 3h, 1h after cutting it to 2h, 0 after 10h more, then both deletions give their time back
    assert fields.timetracking.remainingEstimate == "1d 4h" and fields.worklog.total == 0
    with pytest.raises(JIRAError) as bad:
        jira.add_worklog(issue.key, "soon")
    assert bad.value.status_code == 400
    issue.update(fields={"timetracking": {"originalEstimate": "1w"}})
    assert jira.issue(issue.key).fields.timeoriginalestimate == 5 * 8 * 3600
    jira.delete_project(key)


def test_versions_and_components_on_issues(any_twin: Served) -> None:
    jira = any_twin.client()
    key = _project(jira, "VC" + ("C" if any_twin.cloud else "S"))
    issue = jira.create_issue(project=key, summary="versions", issuetype={"name": "Bug"})
    v1 = jira.create_version("1.0", key, description="first", releaseDate="2015-03-11")
    assert v1.releaseDate == "2015-03-11" and v1.userReleaseDate == "11/Mar/15"
    v2 = jira.create_version("2.0", key)
    with pytest.raises(JIRAError):
        jira.create_version("1.0", key)
    v1.update(name="1.0.1", released=True)
    assert jira.version(v1.id).name == "1.0.1" and jira.version(v1.id).released is True
    lead = jira.myself()["accountId" if any_twin.cloud else "name"]
    comp = jira.create_component("API", key, description="the API", leadUserName=lead,
                                 assigneeType="COMPONENT_LEAD")
    if not any_twin.cloud:
        assert comp.lead.name == lead and comp.isAssigneeTypeValid is True
    issue.update(fields={"fixVersions": [{"id": v1.id}], "components": [{"name": "API"}]})
    fields = jira.issue(issue.key).fields
    assert [v.name for v in fields.fixVersions] == ["1.0.1"] and [c.name for c in fields.components] == ["API"]
    assert jira._get_json(f"version/{v1.id}/relatedIssueCounts")["issuesFixedCount"] == 1
    v1.delete(moveFixIssuesTo=v2.id)
    assert [v.name for v in jira.issue(issue.key).fields.fixVersions] == ["2.0"]
    with pytest.raises(JIRAError):
        jira.version(v1.id)
    jira.delete_component(comp.id)
    assert jira.issue(issue.key).fields.components == []
    with pytest.raises(JIRAError):
        issue.update(fields={"components": [{"name": "Nope"}]})
    history = jira.issue(issue.key, expand="changelog").changelog.histories
    assert any(i.field == "Component" and i.fromString == "API" for h in history for i in h.items)
    assert [v.name for v in jira.project_versions(key)] == ["2.0"]
    jira.delete_project(key)


def test_attachments_upload_download_and_limits(any_twin: Served, tmp_path: object) -> None:
    jira = any_twin.client()
    key = str(jira.create_issue(project="SALES", summary="files", issuetype={"name": "Task"}).key)
    payload = bytes(range(256)) * 4096  # 1 MiB
    made = jira.add_attachment(key, io.BytesIO(payload), "data.bin")
    assert made.size == len(payload) and made.filename == "data.bin"
    again = jira.attachment(made.id)
    assert hashlib.sha256(again.get()).hexdigest() == hashlib.sha256(payload).hexdigest()
    assert b"".join(again.iter_content(65536)) == payload
    assert [a.filename for a in jira.issue(key).fields.attachment] == ["data.bin"]
    meta = jira.attachment_meta()
    assert meta["enabled"] is True and meta["uploadLimit"] >= 10 * 1024 * 1024
    with any_twin.http() as http:
        v = "3" if any_twin.cloud else "2"
        no_token = http.post(f"/rest/api/{v}/issue/{key}/attachments", files={"file": ("x.txt", b"x")})
        assert no_token.status_code == 403  # XSRF check: X-Atlassian-Token: no-check is required
        assert any_twin.admin("POST", "attachments", {"max_bytes": 1000}).status_code == 200
        big = http.post(f"/rest/api/{v}/issue/{key}/attachments", files={"file": ("big.bin", b"y" * 2000)},
                        headers={"X-Atlassian-Token": "no-check"})
        assert big.status_code == 413
        assert any_twin.admin("POST", "attachments", {"max_bytes": 10 * 1024 * 1024}).status_code == 200
    assert made.delete().status_code == 204
    with pytest.raises(JIRAError):
        jira.attachment(made.id)
    items = [i for h in jira.issue(key, expand="changelog").changelog.histories for i in h.items]
    assert [(i.field, i.toString, i.fromString) for i in items] == [
        ("Attachment", "data.bin", None), ("Attachment", None, "data.bin")]


def test_single_item_reads(any_twin: Served) -> None:
    jira = any_twin.client()
    assert jira.status("10001").name == "Done" and jira.status("Done").id == "10001"
    assert jira.priority("2").name == "High" and len(jira.priorities()) == 5
    assert jira.resolution("10002").name == "Duplicate"
    assert jira.statuscategory(1).name == "No Category" and len(jira.statuscategories()) == 4
    assert jira.issue_link_type("10003").name == "Relates"
    for missing in (lambda: jira.status("nope"), lambda: jira.priority("99"), lambda: jira.resolution("1"),
                    lambda: jira.statuscategory(99), lambda: jira.issue_link_type("1")):
        with pytest.raises(JIRAError) as err:
            missing()
        assert err.value.status_code == 404


def test_assignee_automatic_and_unassigned(serve: ServeFactory) -> None:
    s = serve("server")
    jira = s.client()
    jira.create_project("ASG", "Assign")
    key = str(jira.create_issue(project="ASG", summary="who", issuetype={"name": "Task"}).key)
    assert jira.issue(key).fields.assignee.name == s.twin.login  # created with no assignee: the lead
    assert jira.assign_issue(key, "e.smirnova")
    assert jira.issue(key).fields.assignee.name == "e.smirnova"
    jira.assign_issue(key, None)
    assert jira.issue(key).fields.assignee is None
    jira.assign_issue(key, "-1")
    assert jira.issue(key).fields.assignee.name == s.twin.login
    jira.assign_issue("SALES-1", "-1")  # the seeded projects assign to nobody by default
    assert jira.issue("SALES-1").fields.assignee is None


def test_user_searches_for_assignees_and_viewers(any_twin: Served) -> None:
    jira = any_twin.client()
    ident = "accountId" if any_twin.cloud else "name"
    smirnova = jira.search_users(query="e.smirnova") if any_twin.cloud else jira.search_users("e.smirnova")
    who = getattr(smirnova[0], ident)
    by_project = jira.search_assignable_users_for_issues(query="e.smirnova", project="PROC") if any_twin.cloud \
        else jira.search_assignable_users_for_issues("e.smirnova", project="PROC")
    assert [getattr(u, ident) for u in by_project] == [who]
    by_issue = jira.search_assignable_users_for_issues(query="e.smirn", issueKey="PROC-1") if any_twin.cloud \
        else jira.search_assignable_users_for_issues("e.smirn", issueKey="PROC-1")
    assert [getattr(u, ident) for u in by_issue] == [who]
    if not any_twin.cloud:
        multi = jira.search_assignable_users_for_projects("e.", "PROC,SALES", maxResults=2)
        assert len(multi) == 2
    viewers = jira.search_allowed_users_for_issue("a.", issueKey="PROC-1")
    assert len(viewers) >= 2 and all(getattr(u, ident) for u in viewers)
    with pytest.raises(JIRAError):
        jira.search_assignable_users_for_issues("x", project="NOSUCH") if not any_twin.cloud else \
            jira.search_assignable_users_for_issues(query="x", project="NOSUCH")


def test_expand_editmeta_and_project_keys(any_twin: Served) -> None:
    jira = any_twin.client()
    issue = jira.issue("PROC-1", expand="editmeta,schema")
    assert {"summary", "comment"} <= set(issue.raw["editmeta"]["fields"])
    assert not hasattr(jira.issue("PROC-1"), "editmeta")
    assert not hasattr(jira.project("PROC"), "projectKeys")
    assert jira.project("PROC", expand="projectKeys").projectKeys == ["PROC"]
    assert all(p.projectKeys == [p.key] for p in jira.projects(expand="projectKeys"))


def test_long_jql_needs_post(server_twin: Served) -> None:
    jira = server_twin.client()
    long_jql = " or ".join("key=PROC-1" for _ in range(2000))
    with pytest.raises(JIRAError) as too_long:  # 44 KB of URL: the front end refuses the request line
        jira.search_issues(long_jql)
    assert too_long.value.status_code == 400
    found = jira.search_issues(long_jql, use_post=True)
    assert [i.key for i in found] == ["PROC-1"]


def test_rank_moves_issues_before_and_after(serve: ServeFactory) -> None:
    s = serve("server")
    jira = s.client()
    a, b, c = (str(jira.create_issue(project="SALES", summary=n, issuetype={"name": "Task"}).key)
               for n in ("a", "b", "c"))

    def order() -> list[str]:
        return [i.key for i in jira.search_issues(f"key in ({a},{b},{c}) ORDER BY Rank ASC")]

    assert order() == [a, b, c]
    jira.rank(c, next_issue=a)
    assert order() == [c, a, b]
    jira.rank(c, prev_issue=b)
    assert order() == [a, b, c]
    with httpx.Client(base_url=s.url, auth=s.auth) as http:
        bad = http.put("/rest/agile/1.0/issue/rank", json={"issues": [a], "rankBeforeIssue": b, "rankAfterIssue": c})
        assert bad.status_code == 400
