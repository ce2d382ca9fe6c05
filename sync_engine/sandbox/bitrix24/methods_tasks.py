"""``tasks.task.*`` and ``task.commentitem.*``: tasks with CRM bindings, roles, statuses and comments.

Statuses as the portal numbers them: 2 pending, 3 in progress, 4 supposedly completed (awaiting the
creator's control), 5 completed, 6 deferred, 7 declined. ``complete`` by anyone but the creator
of a task with TASK_CONTROL=Y stops at 4; ``approve``/``disapprove`` (creator or administrator) move
it to 5 or back to 2. Who may do what follows the roles (creator, responsible, accomplices,
auditors, administrators); a webhook of another user (``/_sandbox/webhook``) acts as that user.
Errors use the tasks module's codes (``0``, ``100``, ``1048582``, ``ERROR_CORE`` with ``<br>``).
Events ONTASKADD/ONTASKUPDATE/ONTASKDELETE and ONTASKCOMMENT* carry FIELDS_BEFORE/FIELDS_AFTER.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Callable, Mapping
from typing import Any

from sync_engine.sandbox.bitrix24.dispatch import Call, Registry
from sync_engine.sandbox.bitrix24.envelope import BitrixError, MethodResult
from sync_engine.sandbox.bitrix24.methods_task_comments import COMMENT, register_comments
from sync_engine.sandbox.bitrix24.paging import paged
from sync_engine.sandbox.bitrix24.phpquery import as_list, ci_get, php_int
from sync_engine.sandbox.bitrix24.portal import Portal
from sync_engine.sandbox.bitrix24.pyfilter import Kind, match_value
from sync_engine.sandbox.bitrix24.query import split_operator
from sync_engine.sandbox.bitrix24.task_fields import TASK_FIELDS
from sync_engine.sandbox.bitrix24.users import display_name, get_user
from sync_engine.sandbox.bitrix24.values import ValueProblem, now_iso, parse_datetime, store_datetime

EmitData = Callable[[str, dict[str, Any], Any], None]
TASK = "task"
PENDING, IN_PROGRESS, SUPPOSEDLY_COMPLETED, COMPLETED, DEFERRED, DECLINED = 2, 3, 4, 5, 6, 7
STATUSES = {1, 2, 3, 4, 5, 6, 7}
NOT_ALLOWED = "Action on the task is not allowed"
_CRM_BINDING = re.compile(r"^(L|D|C|CO|SI|Q|O|T[0-9a-fA-F]+)_\d+$")
_DATES = ("DEADLINE", "START_DATE_PLAN", "END_DATE_PLAN", "DATE_START")
_FLAGS = ("TASK_CONTROL", "ALLOW_CHANGE_DEADLINE", "ALLOW_TIME_TRACKING", "MATCH_WORK_TIME", "ADD_IN_REPORT")
_UF = ("UF_CRM_TASK", "UF_TASK_WEBDAV_FILES", "UF_MAIL_MESSAGE")
_SORTABLE = {"ID", "TITLE", "TIME_SPENT_IN_LOGS", "DATE_START", "CREATED_DATE", "CHANGED_DATE", "CLOSED_DATE",
             "ACTIVITY_DATE", "START_DATE_PLAN", "END_DATE_PLAN", "DEADLINE", "REAL_STATUS", "STATUS_COMPLETE",
             "PRIORITY", "MARK", "CREATED_BY_LAST_NAME", "RESPONSIBLE_LAST_NAME", "GROUP_ID", "TIME_ESTIMATE",
             "ALLOW_CHANGE_DEADLINE", "ALLOW_TIME_TRACKING", "MATCH_WORK_TIME", "FAVORITE", "SORTING", "IS_PINNED",
             "IS_PINNED_IN_GROUP", "STATUS", "RESPONSIBLE_ID", "CREATED_BY"}
_FILTER_KINDS: dict[str, tuple[str, Kind]] = {
    "ID": ("ID", "int"), "PARENT_ID": ("PARENT_ID", "int"), "GROUP_ID": ("GROUP_ID", "int"),
    "CREATED_BY": ("CREATED_BY", "int"), "STATUS_CHANGED_BY": ("STATUS_CHANGED_BY", "int"),
    "PRIORITY": ("PRIORITY", "int"), "RESPONSIBLE_ID": ("RESPONSIBLE_ID", "int"), "TITLE": ("TITLE", "str"),
    "TAG": ("TAGS", "str"), "REAL_STATUS": ("STATUS", "int"), "STATUS": ("STATUS", "int"),
    "MARK": ("MARK", "str"), "DATE_START": ("DATE_START", "date"), "DEADLINE": ("DEADLINE", "date"),
    "CREATED_DATE": ("CREATED_DATE", "date"), "CLOSED_DATE": ("CLOSED_DATE", "date"),
    "CHANGED_DATE": ("CHANGED_DATE", "date"), "ACCOMPLICE": ("ACCOMPLICES", "int"),
    "AUDITOR": ("AUDITORS", "int"), "UF_CRM_TASK": ("UF_CRM_TASK", "str"), "XML_ID": ("XML_ID", "str"),
    "STAGE_ID": ("STAGE_ID", "int"), "CLOSED_BY": ("CLOSED_BY", "int"), "TASK_CONTROL": ("TASK_CONTROL", "str"),
}


def camel(name: str) -> str:
    parts = name.lower().split("_")
    return parts[0] + "".join(p.capitalize() for p in parts[1:])


def _core(code: str | int, text: str) -> BitrixError:
    return BitrixError(400, code, text)


def task_id_param(params: Mapping[str, Any], name: str = "taskId", position: str | None = None) -> int:
    raw = ci_get(params, name)
    if raw is None and position is not None:
        raw = params.get(position)
    if raw is None or raw == "":
        raise _core("100", "CTaskItem All parameters in the constructor must have real class type (internal error)")
    if isinstance(raw, list | dict) or not str(raw).strip().isdigit() or int(str(raw)) <= 0:
        raise _core("0", "wrong task id")
    return int(str(raw))


class Tasks:
    def __init__(self, portal: Portal, emit: EmitData) -> None:
        self.portal = portal
        self.emit = emit

    # ---- roles ------------------------------------------------------------------------------------
    def subordinates(self, user_id: int) -> set[str]:
        """Everyone in the departments (and sub-departments) this user heads."""
        rows = self.portal.conn.execute("SELECT ID, PARENT, UF_HEAD FROM departments").fetchall()
        headed = {int(r[0]) for r in rows if r[2] is not None and int(r[2]) == user_id}
        if not headed:
            return set()
        grew = True
        while grew:
            grew = False
            for r in rows:
                if r[1] is not None and int(r[1]) in headed and int(r[0]) not in headed:
                    headed.add(int(r[0]))
                    grew = True
        found = self.portal.conn.execute("SELECT ID, DATA FROM users").fetchall()
        return {str(r[0]) for r in found if set(json.loads(r[1]).get("UF_DEPARTMENT") or []) & headed}

    @staticmethod
    def role(task: Mapping[str, Any], user_id: int) -> set[str]:
        me = str(user_id)
        roles = set()
        if task["CREATED_BY"] == me:
            roles.add("creator")
        if task["RESPONSIBLE_ID"] == me:
            roles.add("responsible")
        if me in task["ACCOMPLICES"]:
            roles.add("accomplice")
        if me in task["AUDITORS"]:
            roles.add("auditor")
        return roles

    def can_read(self, task: Mapping[str, Any], call: Call, subordinates: set[str] | None = None) -> bool:
        if call.caller.admin or self.role(task, call.caller.user_id):
            return True
        mine = self.subordinates(call.caller.user_id) if subordinates is None else subordinates
        return task["RESPONSIBLE_ID"] in mine

    # ---- values -----------------------------------------------------------------------------------
    def _user(self, value: Any, message: str) -> str:
        number = php_int(value, 0)
        if number <= 0 or get_user(self.portal, number) is None:
            raise _core("ERROR_CORE", message)
        return str(number)

    def _users(self, value: Any) -> list[str]:
        ids = [str(php_int(v, 0)) for v in (as_list(value) if isinstance(value, list | dict) else [value])
               if v not in (None, "")]
        for uid in ids:
            if get_user(self.portal, uid) is None:
                raise _core("ERROR_CORE", f"User with ID {uid} not found<br>")
        return list(dict.fromkeys(ids))

    def apply(self, task: dict[str, Any], fields: Mapping[str, Any], task_id: int | None) -> None:
        upper = {str(k).upper(): v for k, v in fields.items()}
        for key, value in upper.items():
            if key == "TITLE":
                task["TITLE"] = "" if value is None else str(value).strip()
            elif key == "DESCRIPTION":
                task["DESCRIPTION"] = "" if value is None else str(value)
            elif key == "RESPONSIBLE_ID":
                task["RESPONSIBLE_ID"] = self._user(
                    value, 'The user specified in the "Responsible" field was not found<br>')
            elif key == "CREATED_BY":
                task["CREATED_BY"] = self._user(value, 'The user specified in the "Creator" field was not found<br>')
            elif key in ("ACCOMPLICES", "AUDITORS"):
                task[key] = self._users(value)
            elif key in _DATES:
                try:
                    task[key] = store_datetime(value) if value not in (None, "") else None
                except ValueProblem as exc:
                    raise _core("ERROR_CORE", f"Invalid date in the field {key}<br>") from exc
            elif key == "PRIORITY":
                if str(value) not in ("0", "1", "2"):
                    raise _core("ERROR_CORE", "Invalid priority<br>")
                task["PRIORITY"] = str(value)
            elif key == "STATUS":
                if php_int(value, 0) not in STATUSES or not str(value).strip().isdigit():
                    raise _core("ERROR_CORE", "Invalid status<br>")
                task["STATUS"] = php_int(value)
            elif key in _FLAGS:
                task[key] = "Y" if str(value).strip().upper() in ("Y", "1", "TRUE") else "N"
            elif key == "GROUP_ID":
                task["GROUP_ID"] = str(php_int(value, 0))
            elif key == "PARENT_ID":
                parent = php_int(value, 0)
                if parent:
                    if task_id is not None and parent == task_id:
                        raise _core("ERROR_CORE", "Cannot bind the node to itself<br>")
                    if self.portal.get_record(TASK, parent) is None:
                        raise _core("ERROR_CORE", 'The task specified in the "Parent Task" field was not found<br>')
                    node = self.portal.get_record(TASK, parent)
                    while node is not None and node.get("PARENT_ID"):
                        if task_id is not None and int(node["PARENT_ID"]) == task_id:
                            raise _core("ERROR_CORE", "Creating cyclic links in tasks is prohibited<br>")
                        node = self.portal.get_record(TASK, int(node["PARENT_ID"]))
                task["PARENT_ID"] = str(parent) if parent else None
            elif key == "UF_CRM_TASK":
                values = [str(v).strip() for v in (as_list(value) if isinstance(value, list | dict) else [value])
                          if str(v or "").strip()]
                bad = [v for v in values if not _CRM_BINDING.match(v)]
                if bad:
                    raise _core("ERROR_CORE", f"Invalid CRM binding value '{bad[0]}'<br>")
                task["UF_CRM_TASK"] = list(dict.fromkeys(values))
            elif key == "UF_TASK_WEBDAV_FILES":
                task["UF_TASK_WEBDAV_FILES"] = [str(v) for v in as_list(value)]
            elif key == "TAGS":
                items = value.split(",") if isinstance(value, str) else as_list(value)
                task["TAGS"] = [str(t).strip() for t in items if str(t).strip()]
            elif key in ("XML_ID", "MARK"):
                task[key] = None if value in (None, "") else str(value)
            elif key == "SE_PARAMETER":
                for item in as_list(value):
                    if isinstance(item, Mapping) and str(ci_get(item, "CODE")) == "3":
                        task["REQUIRE_RESULT"] = "Y" if str(ci_get(item, "VALUE")).upper() == "Y" else "N"
        if not task.get("TITLE"):
            raise _core("ERROR_CORE", "Task title is not specified<br>")
        if not task.get("RESPONSIBLE_ID"):
            raise _core("ERROR_CORE", "Responsible person not specified<br>")
        start, end = task.get("START_DATE_PLAN"), task.get("END_DATE_PLAN")
        if start and end and parse_datetime(end) < parse_datetime(start):
            raise _core("ERROR_CORE", "The end date specified in the scheduling is earlier than the start date<br>")

    # ---- view -------------------------------------------------------------------------------------
    def user_card(self, user_id: str | None) -> dict[str, Any] | list[Any]:
        user = get_user(self.portal, user_id) if user_id else None
        if user is None:
            return []
        return {"id": str(user["ID"]), "name": display_name(user), "link": f"/company/personal/user/{user['ID']}/",
                "icon": "/bitrix/images/tasks/default_avatar.png",
                "workPosition": user.get("WORK_POSITION") or ""}

    def actions(self, task: Mapping[str, Any], call: Call) -> dict[str, bool]:
        roles = self.role(task, call.caller.user_id)
        admin = call.caller.admin
        doer = admin or bool(roles & {"creator", "responsible", "accomplice"})
        status = task["STATUS"]
        return {"accept": False, "decline": False,
                "complete": doer and status not in (SUPPOSEDLY_COMPLETED, COMPLETED),
                "approve": (admin or "creator" in roles) and status == SUPPOSEDLY_COMPLETED,
                "disapprove": (admin or "creator" in roles) and status == SUPPOSEDLY_COMPLETED,
                "start": doer and status in (1, PENDING), "pause": doer and status == IN_PROGRESS,
                "delegate": admin or "responsible" in roles, "remove": admin or "creator" in roles,
                "edit": admin or "creator" in roles, "defer": doer and status in (1, PENDING, IN_PROGRESS),
                "renew": doer and status in (SUPPOSEDLY_COMPLETED, COMPLETED, DEFERRED, DECLINED),
                "create": True, "changeDeadline": admin or "creator" in roles or task["ALLOW_CHANGE_DEADLINE"] == "Y"}

    def view(self, task_id: int, task: Mapping[str, Any], call: Call, select: list[str] | None = None
             ) -> dict[str, Any]:
        out: dict[str, Any] = {
            "id": str(task_id), "parentId": task.get("PARENT_ID"), "title": task["TITLE"],
            "description": task["DESCRIPTION"], "mark": task.get("MARK"), "priority": task["PRIORITY"],
            "multitask": "N", "notViewed": "N", "replicate": "N", "stageId": "0", "createdBy": task["CREATED_BY"],
            "createdDate": task["CREATED_DATE"], "responsibleId": task["RESPONSIBLE_ID"],
            "changedBy": task["CHANGED_BY"], "changedDate": task["CHANGED_DATE"],
            "statusChangedBy": task.get("STATUS_CHANGED_BY"), "closedBy": task.get("CLOSED_BY"),
            "closedDate": task.get("CLOSED_DATE"), "activityDate": task["ACTIVITY_DATE"],
            "dateStart": task.get("DATE_START"), "deadline": task.get("DEADLINE"),
            "startDatePlan": task.get("START_DATE_PLAN"), "endDatePlan": task.get("END_DATE_PLAN"),
            "guid": task["GUID"], "xmlId": task.get("XML_ID"), "commentsCount": str(task["COMMENTS_COUNT"])
            if task["COMMENTS_COUNT"] else None, "serviceCommentsCount": None,
            "allowChangeDeadline": task["ALLOW_CHANGE_DEADLINE"], "allowTimeTracking": task["ALLOW_TIME_TRACKING"],
            "taskControl": task["TASK_CONTROL"], "addInReport": task["ADD_IN_REPORT"], "forkedByTemplateId": None,
            "timeEstimate": "0", "timeSpentInLogs": None, "matchWorkTime": task["MATCH_WORK_TIME"],
            "forumTopicId": None, "forumId": None, "siteId": "s1", "subordinate": "N", "exchangeModified": None,
            "exchangeId": None, "outlookVersion": "1", "viewedDate": None, "sorting": None, "durationFact": None,
            "isMuted": "N", "isPinned": "N", "isPinnedInGroup": "N", "flowId": None, "descriptionInBbcode": "Y",
            "status": str(task["STATUS"]), "statusChangedDate": task.get("STATUS_CHANGED_DATE"),
            "durationPlan": None, "durationType": "days", "favorite": "N", "groupId": task["GROUP_ID"],
            "auditors": list(task["AUDITORS"]), "accomplices": list(task["ACCOMPLICES"]), "checklist": [],
            "group": [], "creator": self.user_card(task["CREATED_BY"]),
            "responsible": self.user_card(task["RESPONSIBLE_ID"]),
            "accomplicesData": {u: self.user_card(u) for u in task["ACCOMPLICES"]},
            "auditorsData": {u: self.user_card(u) for u in task["AUDITORS"]},
            "newCommentsCount": 0, "action": self.actions(task, call),
            "tags": {str(n + 1): {"id": n + 1, "title": t} for n, t in enumerate(task.get("TAGS") or [])},
            "subStatus": str(self.sub_status(task)), "taskRequireResult": task.get("REQUIRE_RESULT", "N"),
        }
        wanted = [s.upper() for s in select or []]
        if any(w in _UF for w in wanted) or "UF_*" in wanted:
            out.update({"ufCrmTask": list(task["UF_CRM_TASK"]) or False,
                        "ufTaskWebdavFiles": list(task["UF_TASK_WEBDAV_FILES"]) or False, "ufMailMessage": None})
        if wanted and "*" not in wanted:
            keep = {camel(w) for w in wanted} | {"id"}
            if "STATUS" in wanted or "REAL_STATUS" in wanted:
                keep |= {"status", "subStatus"}
            if "RESPONSIBLE_ID" in wanted:
                keep.add("responsible")
            if "CREATED_BY" in wanted:
                keep.add("creator")
            if "AUDITORS" in wanted:
                keep.add("auditorsData")
            if "ACCOMPLICES" in wanted:
                keep.add("accomplicesData")
            if any(w in _UF for w in wanted) or "UF_*" in wanted:
                keep |= {"ufCrmTask", "ufTaskWebdavFiles", "ufMailMessage"}
            out = {k: v for k, v in out.items() if k in keep}
        return out

    @staticmethod
    def sub_status(task: Mapping[str, Any]) -> int:
        deadline = task.get("DEADLINE")
        if deadline and task["STATUS"] in (1, PENDING, IN_PROGRESS) and parse_datetime(deadline) < parse_datetime(
                now_iso()):
            return -1  # overdue
        return int(task["STATUS"])

    # ---- persistence ------------------------------------------------------------------------------
    def load(self, task_id: int) -> dict[str, Any] | None:
        return self.portal.get_record(TASK, task_id)

    def change(self, task_id: int, task: dict[str, Any], user_id: int, *, status: int | None = None) -> None:
        now = now_iso()
        if status is not None and status != task["STATUS"]:
            task["STATUS"] = status
            task["STATUS_CHANGED_BY"] = str(user_id)
            task["STATUS_CHANGED_DATE"] = now
            if status in (SUPPOSEDLY_COMPLETED, COMPLETED):
                task["CLOSED_BY"], task["CLOSED_DATE"] = str(user_id), now
            else:
                task["CLOSED_BY"], task["CLOSED_DATE"] = None, None
            if status == IN_PROGRESS and not task.get("DATE_START"):
                task["DATE_START"] = now
        task["CHANGED_BY"], task["CHANGED_DATE"], task["ACTIVITY_DATE"] = str(user_id), now, now
        self.portal.put_record(TASK, task_id, task)
        self.emit("ONTASKUPDATE", {"FIELDS_BEFORE": {"ID": task_id}, "FIELDS_AFTER": {"ID": task_id},
                                   "IS_ACCESSIBLE_BEFORE": "undefined", "IS_ACCESSIBLE_AFTER": "undefined"},
                  task_id)


def register_tasks(reg: Registry, portal: Portal, emit: EmitData) -> None:
    t = Tasks(portal, emit)

    def readable(call: Call, code: str | int = "0", text: str = NOT_ALLOWED) -> tuple[int, dict[str, Any]]:
        task_id = task_id_param(call.params)
        task = t.load(task_id)
        if task is None or not t.can_read(task, call):
            raise _core(code, text)
        return task_id, task

    def fields_param(call: Call) -> Mapping[str, Any]:
        fields = ci_get(call.params, "fields")
        if isinstance(fields, list):
            fields = {str(i): v for i, v in enumerate(fields)}
        if not isinstance(fields, Mapping) or not fields:
            raise _core("100", "Could not find value for parameter {fields} (internal error)")
        return fields

    def select_param(call: Call) -> list[str] | None:
        raw = ci_get(call.params, "select")
        if raw is None:
            return None
        if not isinstance(raw, list | dict) or not as_list(raw):
            raise _core("100", f"Invalid value {raw!r} to match with parameter {{select}}. Should be value of type "
                               "array. (internal error)")
        return [str(s).strip().upper() for s in as_list(raw)]

    def task_add(call: Call) -> dict[str, Any]:
        fields = fields_param(call)
        now = now_iso()
        me = str(call.caller.user_id)
        task: dict[str, Any] = {
            "TITLE": "", "DESCRIPTION": "", "PRIORITY": "1", "STATUS": PENDING, "CREATED_BY": me,
            "RESPONSIBLE_ID": "", "ACCOMPLICES": [], "AUDITORS": [], "DEADLINE": None, "START_DATE_PLAN": None,
            "END_DATE_PLAN": None, "DATE_START": None, "GROUP_ID": "0", "PARENT_ID": None, "TASK_CONTROL": "N",
            "ALLOW_CHANGE_DEADLINE": "N", "ALLOW_TIME_TRACKING": "N", "MATCH_WORK_TIME": "N", "ADD_IN_REPORT": "N",
            "XML_ID": None, "MARK": None, "TAGS": [], "UF_CRM_TASK": [], "UF_TASK_WEBDAV_FILES": [],
            "CREATED_DATE": now, "CHANGED_BY": me, "CHANGED_DATE": now, "STATUS_CHANGED_BY": None,
            "STATUS_CHANGED_DATE": now, "CLOSED_BY": None, "CLOSED_DATE": None, "ACTIVITY_DATE": now,
            "GUID": "{" + str(uuid.uuid4()) + "}", "COMMENTS_COUNT": 0}
        t.apply(task, fields, None)
        if task["STATUS"] in (SUPPOSEDLY_COMPLETED, COMPLETED):
            task["CLOSED_BY"], task["CLOSED_DATE"] = me, now
        task_id = portal.add_record(TASK, task)
        emit("ONTASKADD", {"FIELDS_BEFORE": "undefined", "FIELDS_AFTER": {"ID": task_id},
                           "IS_ACCESSIBLE_BEFORE": "N", "IS_ACCESSIBLE_AFTER": "undefined"}, task_id)
        return {"task": t.view(task_id, task, call)}

    def task_get(call: Call) -> dict[str, Any] | list[Any]:
        select = select_param(call)
        task_id = task_id_param(call.params)
        task = t.load(task_id)
        if task is None or not t.can_read(task, call):
            return []
        return {"task": t.view(task_id, task, call, select)}

    def task_update(call: Call) -> dict[str, Any]:
        task_id, task = readable(call, "0", f"{NOT_ALLOWED} (internal error)")
        fields = fields_param(call)
        roles = t.role(task, call.caller.user_id)
        upper = {str(k).upper() for k in fields}
        if not call.caller.admin and "creator" not in roles:
            locked = {"CREATED_BY", "RESPONSIBLE_ID", "AUDITORS", "ACCOMPLICES", "TASK_CONTROL"}
            if task["ALLOW_CHANGE_DEADLINE"] != "Y":
                locked.add("DEADLINE")
            if not roles & {"responsible", "accomplice"} or upper & locked:
                raise _core("0", f"{NOT_ALLOWED} (internal error)")
        before = task["STATUS"]
        t.apply(task, fields, task_id)
        new_status = task["STATUS"]
        task["STATUS"] = before
        t.change(task_id, task, call.caller.user_id, status=new_status)
        return {"task": t.view(task_id, task, call)}

    def task_delete(call: Call) -> dict[str, bool]:
        task_id = task_id_param(call.params)
        task = t.load(task_id)
        if task is None or not (call.caller.admin or "creator" in t.role(task, call.caller.user_id)):
            raise _core("1048582", "No access to delete the task")
        portal.delete_record(TASK, task_id)
        for cid, comment in portal.records(COMMENT):
            if comment["TASK_ID"] == str(task_id):
                portal.delete_record(COMMENT, cid)
        emit("ONTASKDELETE", {"FIELDS_BEFORE": {"ID": task_id}, "FIELDS_AFTER": "undefined",
                              "IS_ACCESSIBLE_BEFORE": "undefined", "IS_ACCESSIBLE_AFTER": "N"}, task_id)
        return {"task": True}

    def status_action(allowed: Callable[[dict[str, Any], set[str], bool], bool],
                      target: Callable[[dict[str, Any], set[str], bool], int], code: str) -> Callable[[Call], Any]:
        def handler(call: Call) -> dict[str, Any]:
            task_id = task_id_param(call.params)
            task = t.load(task_id)
            if task is None or not t.can_read(task, call):
                raise _core(code, NOT_ALLOWED)
            roles = t.role(task, call.caller.user_id)
            if not allowed(task, roles, call.caller.admin):
                raise _core(code, NOT_ALLOWED)
            t.change(task_id, task, call.caller.user_id, status=target(task, roles, call.caller.admin))
            return {"task": t.view(task_id, task, call)}

        return handler

    def doer(roles: set[str], admin: bool) -> bool:
        return admin or bool(roles & {"creator", "responsible", "accomplice"})

    def complete_target(task: dict[str, Any], roles: set[str], admin: bool) -> int:
        controlled = task["TASK_CONTROL"] == "Y" and task["CREATED_BY"] != task["RESPONSIBLE_ID"]
        return SUPPOSEDLY_COMPLETED if controlled and "creator" not in roles else COMPLETED

    def task_delegate(call: Call) -> dict[str, Any]:
        """The responsible hands the task on: the new person is responsible, the old one watches it."""
        task_id = task_id_param(call.params)
        task = t.load(task_id)
        if task is None or not t.can_read(task, call) or task["STATUS"] in (SUPPOSEDLY_COMPLETED, COMPLETED):
            raise _core("0", NOT_ALLOWED)
        if not (call.caller.admin or "responsible" in t.role(task, call.caller.user_id)):
            raise _core("0", NOT_ALLOWED)
        new = t._user(ci_get(call.params, "userId"), 'The user specified in the "Responsible" field was not found<br>')
        old = task["RESPONSIBLE_ID"]
        task["RESPONSIBLE_ID"] = new
        if old != new and old not in task["AUDITORS"]:
            task["AUDITORS"] = [*task["AUDITORS"], old]
        t.change(task_id, task, call.caller.user_id, status=PENDING)
        return {"task": t.view(task_id, task, call)}

    reg.add("tasks.task.add", task_add)
    reg.add("tasks.task.delegate", task_delegate)
    reg.add("tasks.task.get", task_get)
    reg.add("tasks.task.update", task_update)
    reg.add("tasks.task.delete", task_delete)
    reg.add("tasks.task.list", lambda call: task_list(t, call, select_param(call)))
    reg.add("tasks.task.getfields", lambda call: {"fields": TASK_FIELDS})
    reg.add("tasks.task.complete", status_action(
        lambda task, roles, admin: doer(roles, admin) and task["STATUS"] not in (SUPPOSEDLY_COMPLETED, COMPLETED),
        complete_target, "0"))
    reg.add("tasks.task.start", status_action(
        lambda task, roles, admin: doer(roles, admin) and task["STATUS"] in (1, PENDING),
        lambda *_: IN_PROGRESS, "0"))
    reg.add("tasks.task.pause", status_action(
        lambda task, roles, admin: doer(roles, admin) and task["STATUS"] == IN_PROGRESS,
        lambda *_: PENDING, "0"))
    reg.add("tasks.task.defer", status_action(
        lambda task, roles, admin: doer(roles, admin) and task["STATUS"] in (1, PENDING, IN_PROGRESS),
        lambda *_: DEFERRED, "1048582"))
    reg.add("tasks.task.renew", status_action(
        lambda task, roles, admin: doer(roles, admin)
        and task["STATUS"] in (SUPPOSEDLY_COMPLETED, COMPLETED, DEFERRED, DECLINED),
        lambda *_: PENDING, "1048582"))
    reg.add("tasks.task.approve", status_action(
        lambda task, roles, admin: (admin or "creator" in roles) and task["STATUS"] == SUPPOSEDLY_COMPLETED,
        lambda *_: COMPLETED, "1048582"))
    reg.add("tasks.task.disapprove", status_action(
        lambda task, roles, admin: (admin or "creator" in roles) and task["STATUS"] == SUPPOSEDLY_COMPLETED,
        lambda *_: PENDING, "1048582"))
    register_comments(reg, portal, t)  # task.commentitem.*, in methods_task_comments


def task_list(t: Tasks, call: Call, select: list[str] | None) -> MethodResult:
    p = call.params
    subordinates = set() if call.caller.admin else t.subordinates(call.caller.user_id)
    rows = [(i, d) for i, d in t.portal.records(TASK) if t.can_read(d, call, subordinates)]
    flt = ci_get(p, "filter")
    if flt not in (None, "", [], {}):
        if not isinstance(flt, Mapping):
            raise _core("0", "Invalid filter (internal error)")
        for raw_key, value in flt.items():
            op, name = split_operator(str(raw_key))
            name = name.upper()
            if name in ("ONLY_ROOT_TASKS",):
                if str(value).upper() == "Y":
                    rows = [(i, d) for i, d in rows if not d.get("PARENT_ID")]
                continue
            if name == "MEMBER":
                rows = [(i, d) for i, d in rows if t.role(d, php_int(value, 0))]
                continue
            if name == "STATUS" and str(value).lstrip("-").isdigit() and int(str(value)) < 0:
                rows = [(i, d) for i, d in rows if t.sub_status(d) == int(str(value))]
                continue
            if name not in _FILTER_KINDS:
                continue
            field, kind = _FILTER_KINDS[name]
            if name == "TITLE" and str(raw_key)[:1] not in "=!<>%" and isinstance(value, str) and (
                    "%" in value or "_" in value):
                op = "=%"
            rows = [(i, d) for i, d in rows
                    if match_value(i if field == "ID" else d.get(field), op, value, kind)]
    order = ci_get(p, "order")
    keys: list[tuple[str, bool]] = []
    if isinstance(order, Mapping) and order:
        for field, direction in order.items():
            name = str(field).upper()
            if name not in _SORTABLE:
                raise _core("0", "Invalid sorting key (internal error)")
            keys.append((name, str(direction).lower().startswith("desc")))
    else:
        keys = [("ID", True)]
    for name, desc in reversed(keys):
        source = {"REAL_STATUS": "STATUS", "STATUS_COMPLETE": "STATUS"}.get(name, name)

        def key(row: tuple[int, dict[str, Any]], s: str = source) -> Any:
            value = row[0] if s == "ID" else row[1].get(s)
            if s.endswith("_LAST_NAME"):
                user = get_user(t.portal, row[1]["CREATED_BY" if s.startswith("CREATED") else "RESPONSIBLE_ID"])
                value = (user or {}).get("LAST_NAME", "")
            if value in (None, ""):
                return (0, "")
            return (1, int(value)) if str(value).lstrip("-").isdigit() else (1, str(value))

        rows.sort(key=key, reverse=desc)
    return paged(rows, ci_get(p, "start", 0), lambda page: {"tasks": [t.view(i, d, call, select) for i, d in page]})
