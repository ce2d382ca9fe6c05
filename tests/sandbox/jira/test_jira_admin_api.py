"""What an administrator (or a test suite setting itself up) does over REST: projects, schemes, users,
groups, roles, application properties, personal access tokens; and what a non-administrator may not."""

from __future__ import annotations

import io
from pathlib import Path
from typing import TYPE_CHECKING

import httpx
import pytest
from jira import JIRA, JIRAError

from sync_engine.sandbox.common.threaded import ThreadedTwinServer
from sync_engine.sandbox.common.twin import TwinSettings
from sync_engine.sandbox.jira.app import create_twin

if TYPE_CHECKING:
    from conftest import Served, ServeFactory


def test_create_project_as_the_suite_does_then_delete(any_twin: Served) -> None:
    jira = any_twin.client()
    schemes = jira.permissionschemes()
    assert [s["name"] for s in schemes] == ["Default Permission Scheme"]
    assert jira.issuesecurityschemes() and jira.projectcategories() == []
    key = "ADM" + ("C" if any_twin.cloud else "S")
    jira.create_project(key, f"Project {key}")
    project = jira.project(key)
    assert project.lead.displayName and project.assigneeType == "PROJECT_LEAD"
    assert {t.name for t in project.issueTypes} == {"Task", "Bug"}
    issue = jira.create_issue(project=key, summary="first", issuetype={"name": "Bug"})
    assert issue.key == f"{key}-1"
    assert issue.fields.assignee.displayName == project.lead.displayName  # "Automatic" is the lead
    assert jira.project_permissionscheme(key).name == "Default Permission Scheme"
    assert jira.project_notification_scheme(key).name == "Default Notification Scheme"
    with pytest.raises(JIRAError) as gone:  # a template brings no issue security
        jira.project_issue_security_level_scheme(key)
    assert gone.value.status_code == 404
    if not any_twin.cloud:
        assert jira.project_workflow_scheme(key).name == f"{key}: Software Simplified Workflow Scheme"
        assert jira.project_priority_scheme(key).name == "Default priority scheme"
    with pytest.raises(JIRAError) as dup:
        jira.create_project(key, "another name")
    assert dup.value.status_code == 400 and "uses this project key" in dup.value.text
    assert jira.delete_project(key, enable_undo=False) is True
    with pytest.raises(JIRAError, match="No project could be found with key"):
        jira.project(key)
    with pytest.raises(JIRAError, match="Issue does not exist"):  # its issues went with it
        jira.issue(issue.key)


def test_project_key_rules_and_template_mismatch(server_twin: Served) -> None:
    with server_twin.http() as http:
        base = {"name": "Bad", "lead": server_twin.twin.login, "projectTypeKey": "software"}
        assert http.post("/rest/api/2/project", json={**base, "key": "lower"}).json()["errors"]["projectKey"]
        assert http.post("/rest/api/2/project", json={**base, "key": "ABCDEFGHIJK"}).status_code == 400
        wrong = http.post("/rest/api/2/project", json={**base, "key": "TPL", "projectTemplateKey":
                                                       "com.atlassian.jira-core-project-templates:jira-core-task-management"})
        assert wrong.status_code == 400 and "projectTemplateKey" in wrong.json()["errors"]
        templates = http.get("/rest/project-templates/latest/templates").json()["projectTemplatesGroupedByType"]
    names = {t["name"] for g in templates for t in g["projectTemplates"]}
    assert names == {"Basic software development", "Kanban software development", "Scrum software development",
                     "Project management", "Task management", "Process management"}


def test_users_passwords_groups_and_roles_on_server(serve: ServeFactory) -> None:
    s = serve("server")
    admin = s.client()
    assert admin.add_user("jdoe", "jdoe@example.com", password="pa55word", fullname="John Doe")
    with pytest.raises(JIRAError) as dup:
        admin.add_user("jdoe", "jdoe@example.com", password="x")
    assert dup.value.response.json()["errors"]["username"] == "A user with that username already exists."
    john = JIRA(s.url, basic_auth=("jdoe", "pa55word"), max_retries=0)
    assert john.myself()["name"] == "jdoe"
    assert JIRA(s.url, auth=("jdoe", "pa55word"), max_retries=0).myself()["name"] == "jdoe"  # cookie login
    with pytest.raises(JIRAError) as wrong:
        JIRA(s.url, basic_auth=("jdoe", "nope"), max_retries=0).myself()
    assert wrong.value.status_code == 401
    with pytest.raises(JIRAError) as denied:  # only administrators create projects and users
        john.create_project("NOPE", "Nope")
    assert denied.value.status_code == 403
    with pytest.raises(JIRAError):
        john.add_user("other", "other@example.com")
    assert admin.add_group("reviewers")
    assert admin.groups(query="review") == ["reviewers"]
    admin.add_user_to_group("jdoe", "reviewers")
    members = admin.group_members("reviewers")
    assert members["jdoe"]["fullname"] == "John Doe" and members["jdoe"]["email"] == "jdoe@example.com"
    admin.remove_user_from_group("jdoe", "reviewers")
    assert admin.group_members("reviewers") == {}
    admin.remove_group("reviewers")
    assert admin.groups(query="review") == []
    roles = admin.project_roles("PROC")
    role = admin.project_role("PROC", roles["Administrators"]["id"])
    assert "jira-administrators" in {a.name for a in role.actors}
    role.update(users="jdoe", groups="jira-administrators")
    role = admin.project_role("PROC", roles["Administrators"]["id"])
    assert {a.name for a in role.actors} == {"jdoe", "jira-administrators"}
    role.update(users=[], groups="jira-administrators")
    assert admin.delete_user("jdoe")
    assert admin.search_users("jdoe") == []
    with pytest.raises(JIRAError):
        JIRA(s.url, basic_auth=("jdoe", "pa55word"), max_retries=0).myself()


def test_cloud_users_log_in_with_api_tokens(serve: ServeFactory) -> None:
    s = serve("cloud")
    with s.http() as http:
        made = http.post("/rest/api/3/user", json={"emailAddress": "ann@example.com", "products": ["jira-software"]})
        assert made.status_code == 201 and made.json()["accountId"]
        assert http.post("/rest/api/3/user", json={"emailAddress": "ann@example.com"}).status_code == 400
    token = s.admin("POST", "api-tokens", {"user": "ann"}).json()["token"]
    ann = JIRA(s.url, basic_auth=("ann@example.com", token), max_retries=0)
    assert ann.myself()["accountId"] == made.json()["accountId"]
    assert ann.search_users(query="ann@example.com")[0].accountId == made.json()["accountId"]
    with pytest.raises(JIRAError):  # Cloud takes no passwords, only the token
        JIRA(s.url, basic_auth=("ann@example.com", "a password"), max_retries=0).myself()


def test_personal_access_tokens_and_websudo(server_twin: Served) -> None:
    jira = server_twin.client()
    made = jira._session.post(f"{server_twin.url}/rest/pat/latest/tokens",
                              json={"name": "ci", "expirationDuration": 1}).json()
    assert made["name"] == "ci" and made["expiringAt"]
    assert JIRA(server_twin.url, token_auth=made["rawToken"], max_retries=0).myself() == jira.myself()
    listed = jira._session.get(f"{server_twin.url}/rest/pat/latest/tokens").json()
    assert made["id"] in [t["id"] for t in listed] and all("rawToken" not in t for t in listed)
    assert jira.kill_websudo().status_code == 204
    assert jira._session.delete(f"{server_twin.url}/rest/pat/latest/tokens/{made['id']}").status_code == 204
    with pytest.raises(JIRAError):
        JIRA(server_twin.url, token_auth=made["rawToken"], max_retries=0).myself()


def test_application_properties(serve: ServeFactory) -> None:
    jira = serve("server").client()
    props = jira.application_properties()
    assert isinstance(props, list) and all({"id", "key", "value", "name", "type"} <= set(p) for p in props)
    assert jira.application_properties(key="jira.lf.text.headingcolour")["value"] == "#172b4d"
    jira.set_application_property("jira.lf.text.headingcolour", "#123456")
    assert jira.application_properties(key="jira.lf.text.headingcolour")["value"] == "#123456"
    with pytest.raises(JIRAError) as colour:
        jira.set_application_property("jira.lf.text.headingcolour", "red")
    assert colour.value.status_code == 400
    with pytest.raises(JIRAError) as unknown:
        jira.set_application_property("random.nonexistent.property", "1")
    assert unknown.value.status_code == 404


def test_my_permissions_per_flavour(any_twin: Served) -> None:
    jira = any_twin.client()
    if any_twin.cloud:
        with pytest.raises(JIRAError) as needed:
            jira.my_permissions()
        assert needed.value.status_code == 400
        perms = jira.my_permissions(projectKey="PROC", permissions="BROWSE_PROJECTS,ADMINISTER")["permissions"]
        assert set(perms) == {"BROWSE_PROJECTS", "ADMINISTER"}
        with pytest.raises(JIRAError):
            jira.my_permissions(permissions="NOT_A_PERMISSION")
    else:
        perms = jira.my_permissions()["permissions"]
        assert len(perms) >= 40 and perms["ADMINISTER"]["havePermission"] is True
        assert jira.my_permissions(issueKey="PROC-1")["permissions"]["EDIT_ISSUES"]["havePermission"]
    with pytest.raises(JIRAError) as missing:
        jira.my_permissions(projectKey="NOSUCH", permissions="BROWSE_PROJECTS")
    assert missing.value.status_code == 404


def test_person_is_no_administrator(serve: ServeFactory) -> None:
    s = serve("server")
    token = s.admin("POST", "api-tokens", {"user": "e.smirnova"}).json()["token"]
    with httpx.Client(base_url=s.url, headers={"Authorization": f"Bearer {token}"}) as http:
        perms = http.get("/rest/api/2/mypermissions", params={"projectKey": "PROC"}).json()["permissions"]
        assert perms["ADMINISTER"]["havePermission"] is False and perms["CREATE_ISSUES"]["havePermission"] is True
        assert http.delete("/rest/api/2/project/PROC").status_code == 403
        assert http.get("/rest/api/2/project/PROC").status_code == 200


def test_reseed_forgets_what_the_administrator_added(serve: ServeFactory) -> None:
    s = serve("server")
    jira = s.client()
    jira.create_project("TMP", "Temporary")
    jira.add_user("temp", "temp@example.com", password="pw")
    assert s.admin("POST", "seed", {"seed": "demo"}).status_code == 200
    with pytest.raises(JIRAError):
        jira.project("TMP")
    assert jira.search_users("temp") == []
    assert jira.project("PROC").key == "PROC"


def test_admin_state_and_files_survive_restart(tmp_path: Path) -> None:
    settings = TwinSettings(admin_token="admin", seed="empty", limits=False, state_path=tmp_path / "jira.sqlite",
                            credentials={"user": "robot", "token": "fixed-token"})
    first = create_twin(settings)
    with ThreadedTwinServer(first) as url:
        jira = JIRA(url, basic_auth=("robot", "fixed-token"), max_retries=0)
        jira.create_project("KEPT", "Kept project")
        jira.add_user("kept", "kept@example.com", password="pw")
        key = jira.create_issue(project="KEPT", summary="with a file", issuetype={"name": "Task"}).key
        attachment = jira.add_attachment(key, io.BytesIO(b"file body"), "kept.txt")
        version = jira.create_version("1.0", "KEPT")
    first.store.close()
    second = create_twin(settings)
    with ThreadedTwinServer(second) as url:
        jira = JIRA(url, basic_auth=("robot", "fixed-token"), max_retries=0)
        assert jira.project("KEPT").name == "Kept project"
        assert JIRA(url, basic_auth=("kept", "pw"), max_retries=0).myself()["name"] == "kept"
        assert jira.attachment(attachment.id).get() == b"file body"
        assert jira.version(version.id).name == "1.0"
        assert jira.create_issue(project="KEPT", summary="next", issuetype={"name": "Task"}).key == "KEPT-2"


def test_avatars_categories_members_and_paged_lists(serve: ServeFactory) -> None:
    s = serve("server")
    jira = s.client()
    png = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + (64).to_bytes(4, "big") * 2 + b"\x08\x06\x00\x00\x00" * 4
    with s.http() as http:
        crop = http.post("/rest/api/2/user/avatar/temporary", params={"username": s.twin.login, "filename": "a.png"},
                         content=png, headers={"X-Atlassian-Token": "no-check"})
        assert crop.status_code == 201 and crop.json()["needsCropping"] is True
        assert http.post("/rest/api/2/user/avatar/temporary", params={"username": s.twin.login},
                         content=b"not an image").status_code == 400
        made = http.post("/rest/api/2/user/avatar", params={"username": s.twin.login}, json=crop.json()).json()
        assert made["owner"] == s.twin.login
        assert http.put("/rest/api/2/user/avatar", params={"username": s.twin.login},
                        json={"id": made["id"]}).status_code == 204
        avatars = jira.user_avatars(s.twin.login)
        assert [a["id"] for a in avatars["custom"] if a["isSelected"]] == [made["id"]]
        assert f"avatarId={made['id']}" in jira.user(s.twin.login).raw["avatarUrls"]["48x48"]
        category = http.post("/rest/api/2/projectCategory", json={"name": "Внутренние"})
        assert category.status_code == 201
        assert http.post("/rest/api/2/projectCategory", json={"name": "Внутренние"}).status_code == 409
        assert [c["name"] for c in jira.projectcategories()] == ["Внутренние"]
        created = http.post("/rest/api/2/project", json={
            "key": "CATG", "name": "Categorised", "lead": s.twin.login, "projectTypeKey": "business",
            "categoryId": int(category.json()["id"])})
        assert created.status_code == 201
        assert jira.project("CATG").projectCategory.name == "Внутренние"
        renamed = http.put("/rest/api/2/project/CATG", json={"name": "Renamed", "assigneeType": "UNASSIGNED"})
        assert renamed.json()["name"] == "Renamed" and renamed.json()["assigneeType"] == "UNASSIGNED"
        for n in range(3):
            jira.create_version(f"v{n}", "CATG")
        page = http.get("/rest/api/2/project/CATG/version", params={"startAt": 1, "maxResults": 1}).json()
        assert (page["total"], page["isLast"], [v["name"] for v in page["values"]]) == (3, False, ["v1"])
        members = http.get("/rest/api/2/group/member", params={"groupname": "jira-administrators"}).json()
        assert [m["name"] for m in members["values"]] == [s.twin.login]
        allowed = http.get("/rest/api/2/user/permission/search",
                           params={"permissions": "ADMINISTER", "username": ""}).json()
        assert [u["name"] for u in allowed] == [s.twin.login]
        assert len(http.get("/rest/api/2/permissions").json()["permissions"]) >= 40
        assert http.get("/rest/api/2/notificationscheme").json()["values"][0]["name"] == "Default Notification Scheme"
        assert http.get("/rest/api/2/application-properties/advanced-settings").status_code == 200
