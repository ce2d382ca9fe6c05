"""Tasks: deal bindings, roles, the control flow (complete -> approve/disapprove), comments and events."""

from __future__ import annotations

from typing import Any

from b24sandbox_helpers import Portal, Receiver


def _as(portal: Portal, user_id: int) -> Any:
    url = portal.admin("POST", "webhook", {"user_id": user_id, "scope": "task,user"}).json()["url"]

    def call(method: str, params: dict[str, Any] | None = None) -> dict[str, Any]:
        body: dict[str, Any] = portal.http.post(url + method, json=params or {}).json()
        return body

    return call


def test_task_control_flow_as_the_assignee(portal: Portal, receiver: Receiver) -> None:
    hook = portal.admin("POST", "outgoing-webhook", {"handler_url": receiver.url,
                                                     "events": ["ONTASKADD", "ONTASKUPDATE", "ONTASKCOMMENTADD"]})
    hook_id = hook.json()["id"]
    try:
        created = portal.result("tasks.task.add", {"fields": {
            "TITLE": "Согласовать скидку 17 %", "RESPONSIBLE_ID": 9, "CREATED_BY": 1, "TASK_CONTROL": "Y",
            "DEADLINE": "2026-03-02T18:00:00+03:00", "AUDITORS": [2], "UF_CRM_TASK": ["D_3"],
            "DESCRIPTION": "Сделка [URL=/crm/deal/details/3/]№ 3[/URL]"}})["task"]
        task_id = int(created["id"])
        assert created["status"] == "2" and created["taskControl"] == "Y" and created["auditors"] == ["2"]
        assert created["responsible"]["name"] == "Андрей Кузнецов"
        _, form, _ = receiver.next()
        assert form["event"] == ["ONTASKADD"] and form["data[FIELDS_AFTER][ID]"] == [str(task_id)]
        assert form["data[FIELDS_BEFORE]"] == ["undefined"]
        assignee, auditor, stranger = _as(portal, 9), _as(portal, 2), _as(portal, 30)
        assert stranger("tasks.task.get", {"taskId": task_id}) ["result"] == []
        not_mine = stranger("tasks.task.complete", {"taskId": task_id})
        assert not_mine["error"] == "0" and not_mine["error_description"] == "Action on the task is not allowed"
        assert auditor("tasks.task.complete", {"taskId": task_id})["error"] == "0"
        started = assignee("tasks.task.start", {"taskId": task_id})["result"]["task"]
        assert started["status"] == "3" and started["dateStart"]
        done = assignee("tasks.task.complete", {"taskId": task_id})["result"]["task"]
        assert done["status"] == "4" and done["closedBy"] == "9"  # awaiting the creator's control
        own = assignee("tasks.task.approve", {"taskId": task_id})
        assert own["error"] == "1048582"
        back = portal.result("tasks.task.disapprove", {"taskId": task_id})["task"]
        assert back["status"] == "2" and back["closedDate"] is None
        comment = assignee("task.commentitem.add", {"TASKID": task_id, "FIELDS": {"POST_MESSAGE": "Исправил"}})
        assert isinstance(comment["result"], int)
        assignee("tasks.task.complete", {"taskId": task_id})
        approved = portal.result("tasks.task.approve", {"taskId": task_id})["task"]
        assert approved["status"] == "5"
        events = [receiver.next()[1]["event"][0] for _ in range(6)]
        assert events.count("ONTASKUPDATE") == 5 and events.count("ONTASKCOMMENTADD") == 1
    finally:
        portal.admin("DELETE", f"outgoing-webhook/{hook_id}")
    substitute = _as(portal, 9)("tasks.task.delegate", {"taskId": task_id, "userId": 10})
    assert substitute["error"] == "0"  # a completed task is not delegated
    renewed = portal.result("tasks.task.renew", {"taskId": task_id})["task"]
    handed = _as(portal, 9)("tasks.task.delegate", {"taskId": task_id, "userId": 10})["result"]["task"]
    assert handed["responsibleId"] == "10" and "9" in handed["auditors"] and handed["status"] == "2"
    assert _as(portal, 9)("tasks.task.complete", {"taskId": task_id})["error"] == "0"  # now only watching
    assert renewed["status"] == "2"
    assert portal.result("tasks.task.defer", {"taskId": task_id})["task"]["status"] == "6"
    assert portal.call("tasks.task.start", {"taskId": task_id}).json()["error"] == "0"


def test_task_fields_validation_and_list(portal: Portal) -> None:
    no_fields = portal.call("tasks.task.add", {}).json()
    assert no_fields["error"] == "100"
    no_title = portal.call("tasks.task.add", {"fields": {"RESPONSIBLE_ID": 9}}).json()
    assert no_title["error"] == "ERROR_CORE" and no_title["error_description"] == "Task title is not specified<br>"
    ghost = portal.call("tasks.task.add", {"fields": {"TITLE": "x", "RESPONSIBLE_ID": 999999}}).json()
    assert ghost["error_description"] == 'The user specified in the "Responsible" field was not found<br>'
    plan = portal.call("tasks.task.add", {"fields": {"TITLE": "x", "RESPONSIBLE_ID": 9,
                                                     "START_DATE_PLAN": "2026-02-10", "END_DATE_PLAN": "2026-02-01"}})
    assert "earlier than the start date" in plan.json()["error_description"]
    assert portal.call("tasks.task.get", {"taskId": "abc"}).json()["error"] == "0"
    assert portal.call("tasks.task.get", {}).json()["error"] == "100"
    ids = [int(portal.result("tasks.task.add", {"fields": {"TITLE": f"Задача по сделке {n}", "RESPONSIBLE_ID": 23,
                                                           "UF_CRM_TASK": [f"D_{n}"], "PRIORITY": str(n % 3)}})
               ["task"]["id"]) for n in range(1, 4)]
    parent_self = portal.call("tasks.task.update", {"taskId": ids[0], "fields": {"PARENT_ID": ids[0]}}).json()
    assert parent_self["error_description"] == "Cannot bind the node to itself<br>"
    portal.result("tasks.task.update", {"taskId": ids[1], "fields": {"PARENT_ID": ids[0]}})
    cyclic = portal.call("tasks.task.update", {"taskId": ids[0], "fields": {"PARENT_ID": ids[1]}}).json()
    assert cyclic["error_description"] == "Creating cyclic links in tasks is prohibited<br>"
    listed = portal.call("tasks.task.list", {"filter": {"UF_CRM_TASK": "D_2", "RESPONSIBLE_ID": 23},
                                             "select": ["ID", "TITLE", "UF_CRM_TASK", "STATUS"]}).json()
    assert listed["total"] == 1 and listed["result"]["tasks"][0]["ufCrmTask"] == ["D_2"]
    assert set(listed["result"]["tasks"][0]) == {"id", "title", "ufCrmTask", "ufTaskWebdavFiles", "ufMailMessage",
                                                 "status", "subStatus"}
    ordered = portal.result("tasks.task.list", {"filter": {"@ID": ids}, "order": {"ID": "asc"},
                                                "select": ["ID"]})["tasks"]
    assert [int(t["id"]) for t in ordered] == ids
    newest_first = portal.result("tasks.task.list", {"filter": {"@ID": ids}, "select": ["ID"]})["tasks"]
    assert [int(t["id"]) for t in newest_first] == sorted(ids, reverse=True)
    bad_order = portal.call("tasks.task.list", {"order": {"NOPE": "asc"}}).json()
    assert bad_order["error"] == "0" and bad_order["error_description"] == "Invalid sorting key (internal error)"
    assert portal.result("tasks.task.getFields")["fields"]["STATUS"]["values"]["4"] == "Awaiting Review"
    batch = portal.result("batch", {"cmd": {
        "t": "tasks.task.add?fields[TITLE]=Из пакета&fields[RESPONSIBLE_ID]=23",
        "g": "tasks.task.get?taskId=$result[t][task][id]&select[]=TITLE"}})
    assert batch["result"]["g"]["task"]["title"] == "Из пакета"
    denied = _as(portal, 23)("tasks.task.delete", {"taskId": ids[2]})
    assert denied["error"] == "1048582" and denied["error_description"] == "No access to delete the task"
    assert portal.result("tasks.task.delete", {"taskId": ids[2]}) == {"task": True}
    assert portal.result("tasks.task.get", {"taskId": ids[2]}) == []


def test_comment_items(portal: Portal) -> None:
    task_id = int(portal.result("tasks.task.add", {"fields": {"TITLE": "Обсуждение", "RESPONSIBLE_ID": 16}})
                  ["task"]["id"])
    first = portal.result("task.commentitem.add", {"0": task_id, "1": {"POST_MESSAGE": "Позиционные параметры"}})
    second = portal.result("task.commentitem.add", {"TASKID": task_id, "FIELDS": {
        "POST_MESSAGE": "От исполнителя", "AUTHOR_ID": 16}})
    rows = portal.result("task.commentitem.getlist", {"TASKID": task_id, "ORDER": {"ID": "asc"}})
    assert [(r["ID"], r["AUTHOR_ID"]) for r in rows] == [(str(first), "1"), (str(second), "16")]
    assert rows[1]["AUTHOR_NAME"] == "Артём Никитин"
    only_16 = portal.result("task.commentitem.getlist", {"TASKID": task_id, "ORDER": {}, "FILTER": {"AUTHOR_ID": 16}})
    assert [r["ID"] for r in only_16] == [str(second)]
    assert portal.result("task.commentitem.get", {"TASKID": task_id, "ITEMID": second})["POST_MESSAGE"] == \
        "От исполнителя"
    assert portal.result("task.commentitem.update", {"TASKID": task_id, "ITEMID": first,
                                                     "FIELDS": {"POST_MESSAGE": "Исправлено"}}) is True
    empty = portal.call("task.commentitem.add", {"TASKID": task_id, "FIELDS": {"POST_MESSAGE": " "}}).json()
    assert empty["error"] == "ERROR_CORE"
    wrong_key = portal.call("task.commentitem.add", {"TASKID": task_id, "FIELDS": {"POST_MESSAGE": "x",
                                                                                  "ID": 5}}).json()
    assert "must not contain key" in wrong_key["error_description"]
    assert portal.result("tasks.task.get", {"taskId": task_id})["task"]["commentsCount"] == "2"
    assert portal.result("task.commentitem.delete", {"TASKID": task_id, "ITEMID": first}) is True
    gone = portal.call("task.commentitem.get", {"TASKID": task_id, "ITEMID": first}).json()
    assert "ITEM_NOT_FOUND" in gone["error_description"]


def test_task_events_reach_offline_queues_and_scopes_hold(portal: Portal) -> None:
    app = portal.admin("POST", "oauth-app").json()
    rest = app["client_endpoint"]

    def call(method: str, **params: Any) -> dict[str, Any]:
        body: dict[str, Any] = portal.http.post(rest + method, json={"auth": app["access_token"], **params}).json()
        return body

    assert call("event.bind", event="ONTASKUPDATE", event_type="offline")["result"] is True
    task_id = int(portal.result("tasks.task.add", {"fields": {"TITLE": "Офлайн", "RESPONSIBLE_ID": 16}})
                  ["task"]["id"])
    portal.result("tasks.task.update", {"taskId": task_id, "fields": {"DEADLINE": "2026-05-08T12:00:00"}})
    portal.result("tasks.task.start", {"taskId": task_id})  # same task: one queued record, the newest
    events = call("event.offline.get")["result"]["events"]
    assert [(e["EVENT_NAME"], e["EVENT_DATA"]["FIELDS_AFTER"]["ID"]) for e in events] == [("ONTASKUPDATE", task_id)]
    narrow = portal.admin("POST", "webhook", {"user_id": 1, "scope": "task"}).json()["url"]
    denied = portal.http.post(narrow + "disk.storage.getlist")
    assert denied.status_code == 403 and denied.json()["error"] == "insufficient_scope"
    assert portal.http.post(narrow + "user.userfield.list").json()["error"] == "insufficient_scope"
    assert portal.http.post(narrow + "tasks.task.list").status_code == 200
    counted = portal.admin("GET", "counters").json()["by_method"]
    assert counted["tasks.task.add"] >= 1 and counted["disk.storage.getlist"] >= 1
