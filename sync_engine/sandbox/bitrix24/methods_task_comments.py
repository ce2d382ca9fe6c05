"""``task.commentitem.*``: comments of a task (deprecated since tasks 25.700 but documented and in use).

Parameters by name (TASKID, ITEMID, FIELDS, ORDER, FILTER) or by position (``0=..&1[POST_MESSAGE]=..``),
errors in the tasks module's TASKS_ERROR_EXCEPTION wording; ONTASKCOMMENTADD/UPDATE/DELETE carry
``FIELDS_AFTER``/``FIELDS_BEFORE`` with ``ID`` and ``TASK_ID``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, Protocol

from sync_engine.sandbox.bitrix24.dispatch import Call, Registry
from sync_engine.sandbox.bitrix24.envelope import BitrixError
from sync_engine.sandbox.bitrix24.phpquery import as_list, ci_get, php_int
from sync_engine.sandbox.bitrix24.portal import Portal
from sync_engine.sandbox.bitrix24.pyfilter import Kind, match_value
from sync_engine.sandbox.bitrix24.query import split_operator
from sync_engine.sandbox.bitrix24.users import display_name, get_user
from sync_engine.sandbox.bitrix24.values import ValueProblem, now_iso, store_datetime

COMMENT = "task_comment"
TASK = "task"


class TaskAccess(Protocol):
    """What comments need from the task store: reading a task as the caller and raising events."""

    def load(self, task_id: int) -> dict[str, Any] | None: ...

    def can_read(self, task: Mapping[str, Any], call: Call, subordinates: set[str] | None = None) -> bool: ...

    def emit(self, event: str, data: dict[str, Any], key: Any) -> None: ...


def _core(code: str | int, text: str) -> BitrixError:
    return BitrixError(400, code, text)


def _comment_view(cid: int, c: Mapping[str, Any], portal: Portal) -> dict[str, Any]:
    author = get_user(portal, c["AUTHOR_ID"]) or {}
    return {"POST_MESSAGE_HTML": None, "ID": str(cid), "AUTHOR_ID": c["AUTHOR_ID"],
            "AUTHOR_NAME": display_name(author) if author else "", "AUTHOR_EMAIL": author.get("EMAIL", "") or "",
            "POST_DATE": c["POST_DATE"], "POST_MESSAGE": c["POST_MESSAGE"],
            "ATTACHED_OBJECTS": {str(f): {"ATTACHMENT_ID": str(f), "FILE_ID": str(f)} for f in c["FILES"]}}


def register_comments(reg: Registry, portal: Portal, t: TaskAccess) -> None:
    """``task.commentitem.*`` (deprecated since tasks 25.700 but documented): positional or named params."""

    def wrong(method: str, index: int, name: str, *, missing: bool) -> BitrixError:
        if missing:
            return _core("ERROR_CORE", f"TASKS_ERROR_EXCEPTION_#256; Param #{index} ({name}) expected by method "
                                       f"ctaskcommentitem::{method}(), but not given.; 256/TE/WRONG_ARGUMENTS<br>")
        return _core("ERROR_CORE", f"TASKS_ERROR_EXCEPTION_#256; Param #{index} ({name}) for method "
                                   f"ctaskcommentitem::{method}() expected to be of type \"integer\", but given "
                                   "something else.; 256/TE/WRONG_ARGUMENTS<br>")

    def int_arg(call: Call, names: tuple[str, str], index: int, method: str) -> int:
        raw = ci_get(call.params, names[0])
        if raw is None:
            raw = call.params.get(str(index))
        if raw is None or raw == "":
            raise wrong(method, index, names[1], missing=True)
        if isinstance(raw, list | dict) or not str(raw).strip().isdigit():
            raise wrong(method, index, names[1], missing=False)
        return int(str(raw))

    def arg(call: Call, name: str, index: int) -> Any:
        value = ci_get(call.params, name)
        return call.params.get(str(index)) if value is None else value

    def task_for(call: Call, method: str) -> tuple[int, dict[str, Any]]:
        task_id = int_arg(call, ("TASKID", "taskId"), 0, method)
        task = t.load(task_id)
        if task is None or not t.can_read(task, call):
            if method == "add":
                raise _core("ERROR_CORE", "Insufficient permissions to add a comment.<br>")
            raise _core("ERROR_CORE", "TASKS_ERROR_EXCEPTION_#8; Action failed; 8/TE/ACTION_FAILED_TO_BE_PROCESSED<br>")
        return task_id, task

    def comment_for(call: Call, task_id: int, method: str) -> tuple[int, dict[str, Any]]:
        item_id = int_arg(call, ("ITEMID", "itemId"), 1, method)
        comment = portal.get_record(COMMENT, item_id)
        if comment is None or comment["TASK_ID"] != str(task_id):
            if method == "get":
                raise _core("ERROR_CORE", "TASKS_ERROR_EXCEPTION_#512; Check listitem not found or not accessible; "
                                          "512/TE/ITEM_NOT_FOUND_OR_NOT_ACCESSIBLE<br>")
            raise _core("ERROR_CORE", "TASKS_ERROR_EXCEPTION_#4; Action is not allowed; 4/TE/ACTION_NOT_ALLOWED<br>")
        return item_id, comment

    def files(value: Any) -> list[str]:
        out = []
        for v in as_list(value):
            text = str(v).strip()
            if not re.fullmatch(r"n?\d+", text):
                raise _core("ERROR_CORE", "File not found<br>")
            out.append(text.lstrip("n"))
        return out

    def event(name: str, cid: int, task_id: int, *, before: bool, after: bool) -> None:
        body = {"ID": cid, "TASK_ID": task_id}
        t.emit(name, {"FIELDS_BEFORE": body if before else "undefined", "FIELDS_AFTER": body if after else "undefined",
                      "IS_ACCESSIBLE_BEFORE": "undefined", "IS_ACCESSIBLE_AFTER": "undefined"}, cid)

    def add(call: Call) -> int:
        task_id, task = task_for(call, "add")
        fields = arg(call, "FIELDS", 1)
        if not isinstance(fields, Mapping):
            fields = {}
        allowed = {"POST_MESSAGE", "AUTHOR_ID", "POST_DATE", "UF_FORUM_MESSAGE_DOC"}
        for key in fields:
            if str(key).upper() not in allowed:
                raise _core("ERROR_CORE", f"TASKS_ERROR_EXCEPTION_#256; Param #1 (arFields) for method "
                                          f"ctaskcommentitem::add() must not contain key \"{key}\".; "
                                          "256/TE/WRONG_ARGUMENTS<br>")
        message = ci_get(fields, "POST_MESSAGE")
        if not isinstance(message, str | int) or not str(message).strip():
            raise _core("ERROR_CORE", "Comment text is not specified<br>")
        author = php_int(ci_get(fields, "AUTHOR_ID"), 0) or call.caller.user_id
        if get_user(portal, author) is None:
            raise _core("ERROR_CORE", "Insufficient permissions to add a comment.<br>")
        date = ci_get(fields, "POST_DATE")
        try:
            post_date = store_datetime(date) if date not in (None, "") else now_iso()
        except ValueProblem as exc:
            raise _core("ERROR_CORE", "Invalid comment date<br>") from exc
        cid = portal.add_record(COMMENT, {"TASK_ID": str(task_id), "AUTHOR_ID": str(author),
                                          "POST_MESSAGE": str(message), "POST_DATE": post_date,
                                          "FILES": files(ci_get(fields, "UF_FORUM_MESSAGE_DOC"))})
        task["COMMENTS_COUNT"] = int(task.get("COMMENTS_COUNT") or 0) + 1
        task["ACTIVITY_DATE"] = now_iso()
        portal.put_record(TASK, task_id, task)
        event("ONTASKCOMMENTADD", cid, task_id, before=False, after=True)
        return cid

    def get_list(call: Call) -> list[dict[str, Any]]:
        task_id, _ = task_for(call, "getlist")
        rows = [(cid, c) for cid, c in portal.records(COMMENT) if c["TASK_ID"] == str(task_id)]
        flt = arg(call, "FILTER", 2)
        kinds: dict[str, Kind] = {"ID": "int", "AUTHOR_ID": "int", "AUTHOR_NAME": "str", "POST_DATE": "date"}
        if isinstance(flt, Mapping):
            for raw_key, value in flt.items():
                op, name = split_operator(str(raw_key))
                if name.upper() not in kinds or op in ("%", "=%", "%=", "!%", "@", "!@"):
                    raise _core("ERROR_CORE", f"TASKS_ERROR_EXCEPTION_#256; Param #2 (arFilter) for method "
                                              f"ctaskcommentitem::getlist() must not contain key \"{raw_key}\".; "
                                              "256/TE/WRONG_ARGUMENTS<br>")
                rows = [(cid, c) for cid, c in rows if match_value(
                    cid if name.upper() == "ID" else _comment_view(cid, c, portal).get(name.upper()), op, value,
                    kinds[name.upper()])]
        order = arg(call, "ORDER", 1)
        keys = [("ID", True)]
        if isinstance(order, Mapping) and order:
            keys = []
            for field, direction in order.items():
                if str(field).upper() not in ("ID", "AUTHOR_ID", "AUTHOR_NAME", "AUTHOR_EMAIL", "POST_DATE"):
                    raise _core("ERROR_CORE", f"TASKS_ERROR_EXCEPTION_#256; Param #1 (arOrder) for method "
                                              f"ctaskcommentitem::getlist() must not contain key \"{field}\".; "
                                              "256/TE/WRONG_ARGUMENTS<br>")
                keys.append((str(field).upper(), str(direction).lower().startswith("desc")))
        views = [_comment_view(cid, c, portal) for cid, c in rows]
        for name, desc in reversed(keys):
            def key(v: dict[str, Any], n: str = name) -> tuple[int, Any]:
                return (0, int(v[n])) if str(v[n]).isdigit() else (1, str(v[n]))

            views.sort(key=key, reverse=desc)
        return views

    def get(call: Call) -> dict[str, Any]:
        task_id, _ = task_for(call, "get")
        cid, comment = comment_for(call, task_id, "get")
        return _comment_view(cid, comment, portal)

    def update(call: Call) -> bool:
        task_id, _ = task_for(call, "update")
        cid, comment = comment_for(call, task_id, "update")
        if not (call.caller.admin or comment["AUTHOR_ID"] == str(call.caller.user_id)):
            raise _core("ERROR_CORE", "TASKS_ERROR_EXCEPTION_#4; Action is not allowed; 4/TE/ACTION_NOT_ALLOWED<br>")
        fields = arg(call, "FIELDS", 2)
        message = ci_get(fields, "POST_MESSAGE") if isinstance(fields, Mapping) else None
        if not isinstance(message, str | int) or not str(message).strip():
            raise _core("ERROR_CORE", "Comment text not specified.<br>")
        comment["POST_MESSAGE"] = str(message)
        if isinstance(fields, Mapping) and ci_get(fields, "UF_FORUM_MESSAGE_DOC") is not None:
            comment["FILES"] = files(ci_get(fields, "UF_FORUM_MESSAGE_DOC"))
        portal.put_record(COMMENT, cid, comment)
        event("ONTASKCOMMENTUPDATE", cid, task_id, before=True, after=True)
        return True

    def delete(call: Call) -> bool:
        task_id, task = task_for(call, "delete")
        cid, comment = comment_for(call, task_id, "delete")
        if not (call.caller.admin or comment["AUTHOR_ID"] == str(call.caller.user_id)):
            raise _core("ERROR_CORE", "TASKS_ERROR_EXCEPTION_#4; Action is not allowed; 4/TE/ACTION_NOT_ALLOWED<br>")
        portal.delete_record(COMMENT, cid)
        task["COMMENTS_COUNT"] = max(int(task.get("COMMENTS_COUNT") or 1) - 1, 0)
        portal.put_record(TASK, task_id, task)
        event("ONTASKCOMMENTDELETE", cid, task_id, before=True, after=False)
        return True

    reg.add("task.commentitem.add", add)
    reg.add("task.commentitem.getlist", get_list)
    reg.add("task.commentitem.get", get)
    reg.add("task.commentitem.update", update)
    reg.add("task.commentitem.delete", delete)
