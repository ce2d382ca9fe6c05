"""Side-effect methods a studio calls (notifications, tasks, list elements, feed posts, timeline).

They validate required parameters, store what they were given and return ids, so callers can read
back what they did where the real API has a matching getter.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from sync_engine.sandbox.bitrix24.dispatch import Call, Registry
from sync_engine.sandbox.bitrix24.envelope import BitrixError, MethodResult
from sync_engine.sandbox.bitrix24.phpquery import as_list, ci_get, php_int
from sync_engine.sandbox.bitrix24.portal import Portal
from sync_engine.sandbox.bitrix24.values import ValueProblem, now_iso, store_datetime

Emit = Callable[[str, dict[str, Any]], None]


def _required(params: Mapping[str, Any], name: str, code: str, text: str) -> Any:
    value = ci_get(params, name)
    if value is None or (isinstance(value, str) and not value.strip()):
        raise BitrixError(400, code, text)
    return value


def _user_exists(portal: Portal, user_id: Any) -> bool:
    number = php_int(user_id, -1)
    return portal.conn.execute("SELECT 1 FROM users WHERE ID = ?", (number,)).fetchone() is not None


def register_misc(reg: Registry, portal: Portal, emit: Emit) -> None:
    def notify_system(call: Call) -> int:
        p = call.params
        user_id = _required(p, "USER_ID", "USER_ID_EMPTY", "Recipient user ID is not specified")
        message = _required(p, "MESSAGE", "MESSAGE_EMPTY", "Message text is empty")
        if not _user_exists(portal, user_id):
            raise BitrixError(400, "USER_ID_EMPTY", "Recipient user is not found")
        tagged = ci_get(p, "TAG") or ci_get(p, "SUB_TAG")
        if tagged and not ci_get(p, "CLIENT_ID") and call.caller.kind == "webhook":
            raise BitrixError(400, "CLIENT_ID_EMPTY", "CLIENT_ID is required with TAG/SUB_TAG for webhooks")
        return portal.add_record("notify", {
            "USER_ID": str(user_id), "MESSAGE": str(message), "MESSAGE_OUT": ci_get(p, "MESSAGE_OUT"),
            "TAG": ci_get(p, "TAG"), "SUB_TAG": ci_get(p, "SUB_TAG"),
            "FROM_USER_ID": str(call.caller.user_id),
            "TYPE": "SYSTEM", "DATE": now_iso()})

    def task_view(task_id: int, data: Mapping[str, Any]) -> dict[str, Any]:
        return {"id": str(task_id), "title": data["TITLE"], "description": data.get("DESCRIPTION", ""),
                "responsibleId": data["RESPONSIBLE_ID"], "createdBy": data["CREATED_BY"], "status": "2",
                "createdDate": data["CREATED_DATE"], "deadline": data.get("DEADLINE"),
                "groupId": data.get("GROUP_ID", "0"), "ufCrmTask": data.get("UF_CRM_TASK", [])}

    def task_add(call: Call) -> dict[str, Any]:
        fields = ci_get(call.params, "fields")
        if not isinstance(fields, Mapping):
            raise BitrixError(400, "ERROR_CORE", "Parameter 'fields' must be array.")
        title = ci_get(fields, "TITLE")
        if not title or not str(title).strip():
            raise BitrixError(400, "ERROR_CORE", "Не задано название задачи / Task title is not specified")
        responsible = ci_get(fields, "RESPONSIBLE_ID") or call.caller.user_id
        if not _user_exists(portal, responsible):
            raise BitrixError(400, "ERROR_CORE", "Responsible user is not found")
        deadline = ci_get(fields, "DEADLINE")
        try:
            deadline_iso = store_datetime(deadline) if deadline else None
        except ValueProblem as exc:
            raise BitrixError(400, "ERROR_CORE", f"DEADLINE: {exc}") from exc
        creator = ci_get(fields, "CREATED_BY") or call.caller.user_id
        data = {"TITLE": str(title), "DESCRIPTION": str(ci_get(fields, "DESCRIPTION") or ""),
                "RESPONSIBLE_ID": str(responsible), "CREATED_BY": str(creator),
                "DEADLINE": deadline_iso, "CREATED_DATE": now_iso(),
                "GROUP_ID": str(ci_get(fields, "GROUP_ID") or "0"),
                "UF_CRM_TASK": [str(v) for v in as_list(ci_get(fields, "UF_CRM_TASK"))]}
        task_id = portal.add_record("task", data)
        emit("ONTASKADD", {"ID": task_id})
        return {"task": task_view(task_id, data)}

    def task_get(call: Call) -> dict[str, Any]:
        task_id = php_int(ci_get(call.params, "taskId"), -1)
        data = portal.get_record("task", task_id)
        if data is None:
            raise BitrixError(400, "ERROR_CORE", "Задача не найдена или доступ запрещён / Task not found")
        return {"task": task_view(task_id, data)}

    def lists_add(call: Call) -> int:
        p = call.params
        _required(p, "IBLOCK_TYPE_ID", "ERROR_REQUIRED_PARAMETERS_MISSING",
                  "Required parameter IBLOCK_TYPE_ID is missing")
        iblock = ci_get(p, "IBLOCK_ID") or ci_get(p, "IBLOCK_CODE")
        if not iblock:
            raise BitrixError(400, "ERROR_REQUIRED_PARAMETERS_MISSING",
                              "Required parameter IBLOCK_ID or IBLOCK_CODE is missing")
        code = _required(p, "ELEMENT_CODE", "ERROR_REQUIRED_PARAMETERS_MISSING",
                         "Required parameter ELEMENT_CODE is missing")
        fields = ci_get(p, "FIELDS")
        if not isinstance(fields, Mapping) or not ci_get(fields, "NAME"):
            raise BitrixError(400, "ERROR_REQUIRED_PARAMETERS_MISSING",
                              "Required field FIELDS[NAME] is missing")
        for _, existing in portal.records("list_element"):
            if existing["IBLOCK"] == str(iblock) and existing["CODE"] == str(code):
                raise BitrixError(400, "ERROR_ELEMENT_ALREADY_EXISTS",
                                  "Element with this code already exists")
        properties: dict[str, Any] = {}
        for key, value in fields.items():
            if str(key).upper().startswith("PROPERTY_"):
                values = as_list(value) if isinstance(value, (list, dict)) else [value]
                properties[str(key).upper()] = [str(v) for v in values]
        return portal.add_record("list_element", {
            "IBLOCK": str(iblock), "CODE": str(code), "NAME": str(ci_get(fields, "NAME")),
            "CREATED_BY": str(call.caller.user_id), "PROPERTIES": properties})

    def lists_get(call: Call) -> MethodResult:
        p = call.params
        iblock = ci_get(p, "IBLOCK_ID") or ci_get(p, "IBLOCK_CODE")
        if not iblock:
            raise BitrixError(400, "ERROR_REQUIRED_PARAMETERS_MISSING",
                              "Required parameter IBLOCK_ID or IBLOCK_CODE is missing")
        wanted_id = ci_get(p, "ELEMENT_ID")
        wanted_code = ci_get(p, "ELEMENT_CODE")
        rows = []
        for rid, data in portal.records("list_element"):
            if data["IBLOCK"] != str(iblock):
                continue
            if wanted_id not in (None, "") and str(rid) != str(wanted_id):
                continue
            if wanted_code not in (None, "") and data["CODE"] != str(wanted_code):
                continue
            row: dict[str, Any] = {"ID": str(rid), "IBLOCK_ID": str(iblock), "NAME": data["NAME"],
                                   "IBLOCK_SECTION_ID": None, "CREATED_BY": data["CREATED_BY"],
                                   "CODE": data["CODE"]}
            for prop, values in data["PROPERTIES"].items():
                row[prop] = {f"{rid}{n}": v for n, v in enumerate(values)}
            rows.append(row)
        start = max(php_int(ci_get(p, "start", 0)), 0)
        return MethodResult(rows[start:start + 50], total=len(rows),
                            next=start + 50 if start + 50 < len(rows) else None)

    def blogpost_add(call: Call) -> int:
        p = call.params
        message = _required(p, "POST_MESSAGE", "ERROR_CORE", "Message text is empty")
        return portal.add_record("blogpost", {
            "POST_MESSAGE": str(message), "POST_TITLE": str(ci_get(p, "POST_TITLE") or ""),
            "DEST": [str(d) for d in as_list(ci_get(p, "DEST"))] or ["UA"],
            "AUTHOR_ID": str(call.caller.user_id),
            "DATE_PUBLISH": now_iso()})

    def blogpost_get(call: Call) -> list[dict[str, Any]]:
        wanted = ci_get(call.params, "POST_ID")
        return [{"ID": str(rid), **data} for rid, data in portal.records("blogpost")
                if wanted in (None, "") or str(rid) == str(wanted)]

    def timeline_comment_add(call: Call) -> int:
        fields = ci_get(call.params, "fields")
        if not isinstance(fields, Mapping):
            raise BitrixError(400, "ERROR_CORE", "Parameter 'fields' must be array.")
        for name in ("ENTITY_ID", "ENTITY_TYPE", "COMMENT"):
            if ci_get(fields, name) in (None, ""):
                raise BitrixError(400, "ERROR_CORE", f"Required field {name} is missing")
        return portal.add_record("timeline_comment", {k: v for k,
                                                      v in fields.items() if k.upper() != "FILES"})

    reg.add("im.notify.system.add", notify_system)
    reg.add("im.notify.personal.add", notify_system)
    reg.add("tasks.task.add", task_add)
    reg.add("tasks.task.get", task_get)
    reg.add("lists.element.add", lists_add)
    reg.add("lists.element.get", lists_get)
    reg.add("log.blogpost.add", blogpost_add)
    reg.add("log.blogpost.get", blogpost_get)
    reg.add("crm.timeline.comment.add", timeline_comment_add)
