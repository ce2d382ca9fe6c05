"""Comments (edit, delete, visibility, renderedBody, paging and order), remote links (upsert, update and
delete by id and by globalId) and issue links, through the unmodified library and raw REST."""

from __future__ import annotations

from typing import TYPE_CHECKING

import httpx
import pytest
from jira import JIRAError

if TYPE_CHECKING:
    from conftest import Served, ServeFactory


def _issue(served: Served, summary: str) -> str:
    jira = served.client()
    return str(jira.create_issue(project="SALES", summary=summary, issuetype={"name": "Task"}).key)


def test_comment_edit_delete_paging_and_rendered_body(any_twin: Served) -> None:
    jira = any_twin.client()
    key = _issue(any_twin, "comments")
    made = [jira.add_comment(key, f"Comment *{i}*") for i in range(1, 6)]
    assert [c.body for c in jira.comments(key, start_at=3)] == ["Comment *4*", "Comment *5*"]
    assert [c.body for c in jira.comments(key, max_results=2)] == ["Comment *1*", "Comment *2*"]
    assert jira.comments(key, order_by="-created")[0].body == "Comment *5*"
    rendered = jira.comment(key, made[0].id, expand="renderedBody")
    assert rendered.renderedBody == "<p>Comment <b>1</b></p>"
    assert not hasattr(jira.comment(key, made[0].id), "renderedBody")
    before = jira.issue(key).fields.updated
    made[0].update(body="edited", notify=False)
    assert made[0].body == "edited" and jira.comment(key, made[0].id).body == "edited"
    assert jira.issue(key).fields.updated >= before
    for c in made:
        c.delete()
    assert jira.comments(key) == []
    with pytest.raises(JIRAError) as gone:
        jira.comment(key, made[0].id)
    assert gone.value.status_code == 404


def test_comment_visibility_kept_echoed_and_enforced(serve: ServeFactory) -> None:
    s = serve("server")
    jira = s.client()
    key = _issue(s, "restricted")
    secret = jira.add_comment(key, "only admins", visibility={"type": "role", "value": "Administrators"})
    assert secret.visibility.type == "role" and secret.visibility.value == "Administrators"
    jira.add_comment(key, "for everyone")
    by_group = jira.add_comment(key, "group only", visibility={"type": "group", "value": "jira-administrators"})
    assert by_group.raw["visibility"] == {"type": "group", "value": "jira-administrators"}
    assert jira.comment(key, secret.id).raw["visibility"] == {"type": "role", "value": "Administrators"}
    assert jira.issue(key).fields.comment.comments[0].visibility.value == "Administrators"
    with pytest.raises(JIRAError) as bad:
        jira.add_comment(key, "x", visibility={"type": "role", "value": "Nobody"})
    assert bad.value.status_code == 400
    token = s.admin("POST", "api-tokens", {"user": "e.smirnova"}).json()["token"]
    with httpx.Client(base_url=s.url, headers={"Authorization": f"Bearer {token}"}) as person:
        seen = person.get(f"/rest/api/2/issue/{key}/comment").json()["comments"]
        assert [c["body"] for c in seen] == ["for everyone"]
        assert person.get(f"/rest/api/2/issue/{key}/comment/{secret.id}").status_code == 404
        fields = person.get(f"/rest/api/2/issue/{key}", params={"fields": "comment"}).json()["fields"]
        assert [c["body"] for c in fields["comment"]["comments"]] == ["for everyone"]
        made = person.post(f"/rest/api/2/issue/{key}/comment",
                           json={"body": "mine", "visibility": {"type": "group", "value": "jira-administrators"}})
        assert made.status_code == 400 and "not a member" in made.text


def test_comment_changes_are_journaled(serve: ServeFactory) -> None:
    s = serve("server")
    jira = s.client()
    key = _issue(s, "journal")
    after = s.admin("GET", "journal").json()["last"]
    c = jira.add_comment(key, "one")
    c.update(body="two")
    c.delete()
    entries = s.admin("GET", f"journal?after={after}").json()["entries"]
    assert [(e["key"], e.get("type"), e.get("comment")) for e in entries] == [
        (key, "issue_commented", c.id), (key, "issue_comment_edited", c.id), (key, "issue_comment_deleted", c.id)]


def test_remote_links_upsert_update_and_delete(any_twin: Served) -> None:
    jira = any_twin.client()
    key = _issue(any_twin, "remote links")
    plain = jira.add_remote_link(key, destination={"url": "http://a.example", "title": "A"})
    first = jira.add_remote_link(key, {"url": "http://b.example", "title": "B"}, globalId="b24:deal:1",
                                 application={"name": "Bitrix24", "type": "bitrix24"}, relationship="deal")
    again = jira.add_remote_link(key, {"url": "http://b.example/2", "title": "B2"}, globalId="b24:deal:1")
    assert again.id == first.id and len(jira.remote_links(key)) == 2  # upsert by globalId, never a duplicate
    with any_twin.http() as http:
        v = "3" if any_twin.cloud else "2"
        one = http.get(f"/rest/api/{v}/issue/{key}/remotelink", params={"globalId": "b24:deal:1"}).json()
        assert one["object"]["title"] == "B2" and one["id"] == first.id
    link = jira.remote_link(key, first.id)
    link.update(object={"url": "http://c.example", "title": "C"}, globalId="b24:deal:1", relationship="mirror")
    assert link.object.title == "C" and link.relationship == "mirror"
    jira.delete_remote_link(key, global_id="b24:deal:1")
    with pytest.raises(JIRAError):
        jira.remote_link(key, first.id)
    jira.delete_remote_link(key, internal_id=plain.id)
    assert jira.remote_links(key) == []
    with pytest.raises(JIRAError) as missing:
        jira.delete_remote_link(key, global_id="b24:deal:1")
    assert missing.value.status_code == 404


def test_issue_links_both_ends_and_link_types(any_twin: Served) -> None:
    jira = any_twin.client()
    a, b = _issue(any_twin, "blocker"), _issue(any_twin, "blocked")
    types = jira.issue_link_types()
    assert jira.issue_link_type(types[0].id).name == types[0].name == "Blocks"
    assert jira.create_issue_link("blocks", a, b).status_code == 201  # by outward text, as the library allows
    out = jira.issue(a).fields.issuelinks
    assert len(out) == 1 and out[0].outwardIssue.key == b and out[0].type.name == "Blocks"
    back = jira.issue(b).fields.issuelinks
    assert back[0].inwardIssue.key == a
    link = jira.issue_link(out[0].id)
    assert link.inwardIssue.key == a and link.outwardIssue.key == b  # as POST /issueLink named them
    jira.create_issue_link("Blocks", a, b)
    assert len(jira.issue(a).fields.issuelinks) == 1  # one link per type and direction
    history = jira.issue(a, expand="changelog").changelog.histories[-1].items[0]
    assert history.field == "Link" and history.toString == f"This issue blocks {b}"
    jira.delete_issue_link(out[0].id)
    assert jira.issue(a).fields.issuelinks == [] and jira.issue(b).fields.issuelinks == []
    with pytest.raises(JIRAError) as missing:
        jira.issue_link(out[0].id)
    assert missing.value.status_code == 404
    with pytest.raises(JIRAError) as nope:
        jira.create_issue_link("Blocks", a, "SALES-99999")
    assert nope.value.status_code == 404
