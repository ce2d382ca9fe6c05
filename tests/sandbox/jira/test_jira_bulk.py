"""Cloud's bulk operations: available transitions per workflow, asynchronous bulk transition and bulk edit
followed through the task queue, partial failures, documented limits, and Server's 404."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

import httpx

from sync_engine.sandbox.jira.catalog import TYPE_PURCHASE, TYPE_TASK

if TYPE_CHECKING:
    from conftest import Served, ServeFactory


def _create(http: httpx.Client, project: str, type_id: str, n: int) -> list[dict[str, Any]]:
    body = {"issueUpdates": [{"fields": {"project": {"key": project}, "issuetype": {"id": type_id},
                                         "summary": f"bulk {i}"}} for i in range(n)]}
    made = http.post("/rest/api/3/issue/bulk", json=body)
    assert made.status_code == 201, made.text
    return list(made.json()["issues"])


def _wait(http: httpx.Client, task_id: str, timeout: float = 30.0) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        task = http.get(f"/rest/api/3/bulk/queue/{task_id}").json()
        if task["status"] not in ("ENQUEUED", "RUNNING"):
            return dict(task)
        time.sleep(0.05)
    raise AssertionError(f"task {task_id} did not finish")


def test_available_transitions_grouped_by_workflow(cloud_twin: Served) -> None:
    with cloud_twin.http() as http:
        tasks = _create(http, "SALES", TYPE_TASK, 2)
        requests = _create(http, "PROC", TYPE_PURCHASE, 1)
        keys = ",".join([t["key"] for t in tasks] + [requests[0]["key"], "SALES-999999"])
        got = http.get("/rest/api/3/bulk/issues/transition", params={"issueIdsOrKeys": keys})
        assert got.status_code == 200
        groups = {tuple(g["issues"]): g for g in got.json()["availableTransitions"]}
        simple = groups[tuple(t["key"] for t in tasks)]
        assert {t["transitionName"] for t in simple["transitions"]} == {"In Progress", "Done"}
        assert all(isinstance(t["transitionId"], int) and isinstance(t["to"]["statusId"], int)
                   for t in simple["transitions"])
        assert simple["isTransitionsFiltered"] is False
        assert (requests[0]["key"],) in groups
        assert http.get("/rest/api/3/bulk/issues/transition").status_code == 400


def test_bulk_transition_partial_failure_journal_and_changelog(serve: ServeFactory) -> None:
    s = serve("cloud")
    with s.http() as http:
        issues = _create(http, "SALES", TYPE_TASK, 30)
        done = issues[0]["key"]
        assert http.post(f"/rest/api/3/issue/{done}/transitions", json={"transition": {"id": "31"}}).status_code == 204
        after = s.admin("GET", "journal").json()["last"]
        keys = [i["key"] for i in issues] + ["SALES-999999"]
        submitted = http.post("/rest/api/3/bulk/issues/transition", json={
            "bulkTransitionInputs": [{"selectedIssueIdsOrKeys": keys, "transitionId": "31"}],
            "sendBulkNotification": False})
        assert submitted.status_code == 201
        task = _wait(http, submitted.json()["taskId"])
        assert task["status"] == "COMPLETE" and task["progressPercent"] == 100
        assert task["totalIssueCount"] == 31 and task["invalidOrInaccessibleIssueCount"] == 1
        assert len(task["processedAccessibleIssues"]) == 29
        assert list(task["failedAccessibleIssues"]) == [issues[0]["id"]]  # already Done: no "Done" from there
        assert task["submittedBy"]["accountId"] and task["started"] >= task["created"]
        for issue in issues[1:]:
            got = http.get(f"/rest/api/3/issue/{issue['key']}", params={"expand": "changelog"}).json()
            assert got["fields"]["status"]["name"] == "Done"
            last = got["changelog"]["histories"][-1]["items"]
            status = next(i for i in last if i["field"] == "status")
            assert status["toString"] == "Done"
    entries = s.admin("GET", f"journal?after={after}").json()["entries"]
    assert len(entries) == 29 and all(e["changes"].get("status") == "Done" for e in entries)


def test_bulk_transition_limits_and_one_input_per_workflow(cloud_twin: Served) -> None:
    with cloud_twin.http() as http:
        issues = _create(http, "SALES", TYPE_TASK, 2)
        two = [{"selectedIssueIdsOrKeys": [issues[0]["key"]], "transitionId": "21"},
               {"selectedIssueIdsOrKeys": [issues[1]["key"]], "transitionId": "31"}]
        same = http.post("/rest/api/3/bulk/issues/transition", json={"bulkTransitionInputs": two})
        assert same.status_code == 400
        assert same.json() == {"errors": [{"message": "Every transition input must correspond to a distinct "
                                                      "workflow."}]}
        empty = http.post("/rest/api/3/bulk/issues/transition", json={"bulkTransitionInputs": []})
        assert empty.status_code == 400 and "must not be empty" in empty.json()["errors"][0]["message"]
        many = [f"SALES-{n}" for n in range(1, 1002)]
        over = http.post("/rest/api/3/bulk/issues/transition",
                         json={"bulkTransitionInputs": [{"selectedIssueIdsOrKeys": many, "transitionId": "21"}]})
        assert over.status_code == 400 and "1000" in over.json()["errors"][0]["message"]
        assert http.get("/rest/api/3/bulk/queue/424242").status_code == 400


def test_bulk_edit_fields_and_partial_failure(serve: ServeFactory) -> None:
    s = serve("cloud")
    with s.http() as http:
        tasks = _create(http, "SALES", TYPE_TASK, 3)
        products = _create(http, "CAT", "10007", 1)  # another project and workflow, same system fields
        keys = [t["key"] for t in tasks] + [products[0]["key"]]
        me = http.get("/rest/api/3/myself").json()["accountId"]
        submitted = http.post("/rest/api/3/bulk/issues/fields", json={
            "selectedIssueIdsOrKeys": keys,
            "selectedActions": ["priority", "labels", "assignee"],
            "editedFieldsInput": {
                "priority": {"priorityId": "1"},
                "labelsFields": [{"fieldId": "labels", "bulkEditMultiSelectFieldOption": "ADD",
                                  "labels": [{"name": "bulk"}]}],
                "singleSelectClearableUserPickerFields": [{"fieldId": "assignee", "user": {"accountId": me}}],
            }})
        assert submitted.status_code == 201
        task = _wait(http, submitted.json()["taskId"])
        assert task["status"] == "COMPLETE" and len(task["processedAccessibleIssues"]) == 4
        for key in keys:
            fields = http.get(f"/rest/api/3/issue/{key}").json()["fields"]
            assert fields["priority"]["name"] == "Highest" and "bulk" in fields["labels"]
            assert fields["assignee"]["accountId"] == me
        broken = http.post("/rest/api/3/bulk/issues/fields", json={
            "selectedIssueIdsOrKeys": keys, "selectedActions": ["priority"],
            "editedFieldsInput": {"priority": {"priorityId": "99"}}})
        failed = _wait(http, broken.json()["taskId"])
        assert failed["status"] == "COMPLETE" and failed["processedAccessibleIssues"] == []
        assert len(failed["failedAccessibleIssues"]) == 4
        missing = http.post("/rest/api/3/bulk/issues/fields", json={
            "selectedIssueIdsOrKeys": keys, "selectedActions": ["priority", "labels"],
            "editedFieldsInput": {"priority": {"priorityId": "2"}}})
        assert missing.status_code == 400 and "labels" in missing.json()["errors"][0]["message"]
        fields = http.get("/rest/api/3/bulk/issues/fields", params={"issueIdsOrKeys": ",".join(keys)}).json()
        ids = {f["id"] for f in fields["fields"]}
        assert {"priority", "labels", "assignee", "summary"} <= ids and "comment" not in ids


def test_server_has_no_bulk_operations(server_twin: Served) -> None:
    with server_twin.http() as http:
        for path in ("/rest/api/3/bulk/issues/transition?issueIdsOrKeys=PROC-1", "/rest/api/2/bulk/queue/10000"):
            assert http.get(path).status_code == 404
        assert http.post("/rest/api/2/bulk/issues/transition", json={}).status_code == 404
