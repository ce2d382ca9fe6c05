"""Notifications (``im.notify.*``) and the live feed (``log.blogpost.*``).

Both are what processes send to people, so the twin keeps every delivered notice and post for the
admin routes ``/_sandbox/notifications`` and ``/_sandbox/posts`` (tests assert "sent exactly once").
A notification with a TAG replaces the earlier ones with that TAG, as the docs say; feed posts
address ``UA`` (everyone), ``U<id>``, ``DR<dept>`` (with sub-departments), ``D<dept>``, ``SG<group>``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from sync_engine.sandbox.bitrix24.disk_store import DiskStore
from sync_engine.sandbox.bitrix24.dispatch import Call, Registry
from sync_engine.sandbox.bitrix24.envelope import BitrixError, MethodResult
from sync_engine.sandbox.bitrix24.files import FileProblem, decode_file, is_file_value
from sync_engine.sandbox.bitrix24.paging import paged
from sync_engine.sandbox.bitrix24.phpquery import as_list, ci_get, php_int
from sync_engine.sandbox.bitrix24.portal import Portal
from sync_engine.sandbox.bitrix24.users import get_user
from sync_engine.sandbox.bitrix24.values import ValueProblem, now_iso, parse_datetime

NOTIFY = "notify"
POST = "blogpost"
_DEST = re.compile(r"^(UA|U\d+|SG\d+|DR\d+|D\d+|G2|AU)$")
ATTACH_LIMIT = 60_000


def _blog_error(text: str, code: str = "SONET_CONTROLLER_LIVEFEED_BLOGPOST_ADD_ERROR") -> BitrixError:
    return BitrixError(400, code, text)


def register_feed(reg: Registry, portal: Portal, disk: DiskStore) -> None:
    # ---- notifications --------------------------------------------------------------------------
    def notify(call: Call, kind: str) -> int | bool:
        p = call.params
        user_id = php_int(ci_get(p, "USER_ID"), 0)
        if user_id <= 0:
            raise BitrixError(400, "USER_ID_EMPTY", "User ID can't be empty")
        message = ci_get(p, "MESSAGE")
        if not isinstance(message, str | int | float) or not str(message).strip():
            raise BitrixError(400, "MESSAGE_EMPTY", "Message can't be empty")
        attach = ci_get(p, "ATTACH")
        if attach not in (None, ""):
            if isinstance(attach, str):
                try:
                    attach = json.loads(attach)
                except ValueError:
                    raise BitrixError(400, "ATTACH_ERROR", "Incorrect attach params") from None
            if not isinstance(attach, list | dict):
                raise BitrixError(400, "ATTACH_ERROR", "Incorrect attach params")
            if len(json.dumps(attach, ensure_ascii=False)) > ATTACH_LIMIT:
                raise BitrixError(400, "ATTACH_OVERSIZE",
                                  "You have exceeded the maximum allowable size of attach")
        tag, sub_tag = ci_get(p, "TAG"), ci_get(p, "SUB_TAG")
        client_id = ci_get(p, "CLIENT_ID")
        if (tag or sub_tag) and not client_id and call.caller.kind == "webhook":
            raise BitrixError(400, "CLIENT_ID_EMPTY", "Client ID can't be empty")
        if get_user(portal, user_id) is None:
            return False  # CIMNotify::Add finds no recipient and the method answers false
        sender = call.caller.app.client_id if call.caller.app else str(client_id or "")
        if tag:
            for nid, old in portal.records(NOTIFY):
                if old["TAG"] == str(tag) and old["USER_ID"] == str(user_id) and not old["REMOVED"] \
                        and old["SENDER"] == sender:
                    old["REMOVED"] = True
                    portal.put_record(NOTIFY, nid, old)
        return portal.add_record(NOTIFY, {
            "TYPE": kind, "USER_ID": str(user_id),
            "FROM_USER_ID": "0" if kind == "SYSTEM" else str(call.caller.user_id),
            "MESSAGE": str(message).strip(), "MESSAGE_OUT": ci_get(p, "MESSAGE_OUT"),
            "TAG": None if tag is None else str(tag), "SUB_TAG": None if sub_tag is None else str(sub_tag),
            "ATTACH": attach, "CLIENT_ID": client_id, "SENDER": sender, "VIA": call.caller.principal,
            "DATE": now_iso(), "REMOVED": False})

    def notify_generic(call: Call) -> int | bool:
        kind = str(ci_get(call.params, "TYPE") or "USER").upper()
        return notify(call, "SYSTEM" if kind == "SYSTEM" else "PERSONAL")

    def notify_delete(call: Call) -> bool:
        p = call.params
        nid, tag, sub_tag = php_int(ci_get(p, "ID"), 0), ci_get(p, "TAG"), ci_get(p, "SUB_TAG")
        if nid <= 0 and not tag and not sub_tag:
            raise BitrixError(400, "PARAMS_ERROR", "Incorrect params")
        found = False
        for rid, row in portal.records(NOTIFY):
            if row["REMOVED"]:
                continue
            if (nid and rid == nid) or (tag and row["TAG"] == str(tag)) or (sub_tag and row["SUB_TAG"] == str(sub_tag)):
                row["REMOVED"] = True
                portal.put_record(NOTIFY, rid, row)
                found = True
        return found

    # ---- feed posts -----------------------------------------------------------------------------
    def destinations(raw: Any) -> list[str]:
        values = [str(v).strip().upper() for v in as_list(raw)] if raw not in (None, "") else ["UA"]
        known: list[str] = []
        for dest in values:
            if not _DEST.match(dest):
                continue
            if dest.startswith("U") and dest[1:].isdigit() and get_user(portal, dest[1:]) is None:
                continue
            if dest[:2] == "DR" or (dest[0] == "D" and dest[1:].isdigit()):
                number = dest[2:] if dest.startswith("DR") else dest[1:]
                if portal.conn.execute("SELECT 1 FROM departments WHERE ID = ?", (int(number),)).fetchone() is None:
                    continue
            known.append("UA" if dest in ("G2", "AU") else dest)
        return known

    def attach_files(raw: Any, author: int, current: list[int]) -> list[int]:
        """New files are added to the post; ``{"437": "del"}`` removes attachment 437 (docs: how-to-update-files)."""
        if raw in (None, "", [], {}):
            return current
        if isinstance(raw, Mapping) and not is_file_value(raw):
            doomed = {php_int(k, 0) for k, v in raw.items() if str(v).lower() == "del"}
            kept = [f for f in current if f not in doomed]
            new_items = [v for v in raw.values() if is_file_value(v)]
        else:
            kept = list(current)
            new_items = [raw] if is_file_value(raw) and not isinstance(as_list(raw)[0], list | dict) else as_list(raw)
        folder = disk.uploaded_folder(author)
        ids = kept
        for item in new_items:
            try:
                content = decode_file(item)
            except FileProblem as exc:
                raise _blog_error(f"Blog post hasn't been added ({exc})") from exc
            ids.append(disk.add_file(folder, content.name, content, author, unique=True))
        return ids

    def post_view(post_id: int, data: Mapping[str, Any]) -> dict[str, Any]:
        files = [str(f) for f in data["FILES"]]
        return {"ID": str(post_id), "BLOG_ID": str(data["BLOG_ID"]), "PUBLISH_STATUS": "P",
                "TITLE": data["TITLE"], "AUTHOR_ID": str(data["AUTHOR_ID"]), "ENABLE_COMMENTS": "Y",
                "NUM_COMMENTS": "0", "CODE": None, "MICRO": data["MICRO"], "DETAIL_TEXT": data["DETAIL_TEXT"],
                "DATE_PUBLISH": data["DATE_PUBLISH"], "CATEGORY_ID": data["CATEGORY_ID"],
                "HAS_SOCNET_ALL": "Y" if "UA" in data["DEST"] else "N", "HAS_TAGS": "Y" if data["TAGS"] else "N",
                "HAS_IMAGES": "N", "HAS_PROPS": "Y" if files or data["IMPORTANT"] == "Y" else "N",
                "HAS_COMMENT_IMAGES": None, "UF_BLOG_POST_FILE": files or False,
                "UF_BLOG_POST_IMPRTNT": "1" if data["IMPORTANT"] == "Y" else "0", "FILES": files}

    def visible(data: Mapping[str, Any], user_id: int, admin: bool) -> bool:
        if admin or str(data["AUTHOR_ID"]) == str(user_id) or "UA" in data["DEST"]:
            return True
        if f"U{user_id}" in data["DEST"]:
            return True
        user = get_user(portal, user_id) or {}
        mine = {int(d) for d in user.get("UF_DEPARTMENT") or []}
        parents = {int(r[0]): r[1] for r in portal.conn.execute("SELECT ID, PARENT FROM departments")}
        for dest in data["DEST"]:
            if dest.startswith("DR") or (dest[0] == "D" and dest[1:].isdigit()):
                target = int(dest[2:] if dest.startswith("DR") else dest[1:])
                for dep in mine:
                    node: int | None = dep
                    while node is not None:
                        if node == target:
                            return True
                        node = parents.get(node) if dest.startswith("DR") else None
        return False

    def fill(data: dict[str, Any], p: Mapping[str, Any], author: int, *, adding: bool) -> None:
        message = ci_get(p, "POST_MESSAGE")
        title = ci_get(p, "POST_TITLE")
        if message is not None:
            data["DETAIL_TEXT"] = str(message)
        if title is not None:
            data["TITLE"] = str(title)
        dest = ci_get(p, "DEST")
        if dest is None:
            dest = ci_get(p, "SPERM")
        if dest is not None or adding:
            data["DEST"] = destinations(dest)
            if not data["DEST"]:
                raise _blog_error("No destination specified",
                                  "SONET_CONTROLLER_LIVEFEED_BLOGPOST_ADD_ERROR" if adding
                                  else "SONET_CONTROLLER_LIVEFEED_BLOGPOST_UPDATE_ERROR")
        important = ci_get(p, "IMPORTANT")
        if important is not None:
            data["IMPORTANT"] = "Y" if str(important).upper() == "Y" else "N"
        tags = ci_get(p, "TAGS")
        if tags is not None:
            data["TAGS"] = [t.strip() for t in (tags.split(",") if isinstance(tags, str) else as_list(tags))
                            if str(t).strip()]
            data["CATEGORY_ID"] = ",".join(data["TAGS"]) or None
        data["FILES"] = attach_files(ci_get(p, "FILES"), author, list(data.get("FILES", [])))
        if [str(v).lower() for v in as_list(ci_get(p, "UF_BLOG_POST_FILE"))] == ["empty"]:
            data["FILES"] = []
        data["MICRO"] = "N" if data.get("TITLE") else "Y"

    def blogpost_add(call: Call) -> int:
        p = call.params
        message = ci_get(p, "POST_MESSAGE")
        if not isinstance(message, str | int | float) or not str(message).strip():
            raise _blog_error("Blog post hasn't been added")
        author = call.caller.user_id
        on_behalf = php_int(ci_get(p, "USER_ID"), 0)
        if on_behalf and call.caller.admin and get_user(portal, on_behalf) is not None:
            author = on_behalf
        data: dict[str, Any] = {"AUTHOR_ID": author, "BLOG_ID": 100 + author, "TITLE": "", "DETAIL_TEXT": "",
                                "IMPORTANT": "N", "TAGS": [], "CATEGORY_ID": None, "FILES": [],
                                "DATE_PUBLISH": now_iso(), "VIA": call.caller.principal, "DELETED": False}
        fill(data, p, author, adding=True)
        return portal.add_record(POST, data)

    def post_for(call: Call, code_bad: str | int, text_bad: str) -> tuple[int, dict[str, Any]]:
        post_id = php_int(ci_get(call.params, "POST_ID"), 0)
        if post_id <= 0:
            raise BitrixError(400, code_bad, text_bad)
        data = portal.get_record(POST, post_id)
        if data is None or data["DELETED"]:
            raise BitrixError(400, "SONET_CONTROLLER_LIVEFEED_BLOGPOST_UPDATE_ERROR", "No post found")
        return post_id, data

    def blogpost_update(call: Call) -> int:
        post_id, data = post_for(call, "SONET_CONTROLLER_LIVEFEED_BLOGPOST_UPDATE_ERROR", "Wrong post ID")
        if str(data["AUTHOR_ID"]) != str(call.caller.user_id) and not call.caller.admin:
            raise BitrixError(400, "SONET_CONTROLLER_LIVEFEED_BLOGPOST_UPDATE_ERROR", "No write perms")
        title, message = ci_get(call.params, "POST_TITLE"), ci_get(call.params, "POST_MESSAGE")
        if not str(title or "").strip() and not str(message or "").strip():
            raise BitrixError(400, "EMPTY_TITLE", "Message title is not specified.")
        fill(data, call.params, int(data["AUTHOR_ID"]), adding=False)
        portal.put_record(POST, post_id, data)
        return post_id

    def blogpost_delete(call: Call) -> bool:
        post_id, data = post_for(call, 100, "Wrong post ID")
        if str(data["AUTHOR_ID"]) != str(call.caller.user_id) and not call.caller.admin:
            raise BitrixError(400, 403, "You do not have permission to delete this message")
        data["DELETED"] = True
        data["DELETED_AT"] = now_iso()
        portal.put_record(POST, post_id, data)
        return True

    def blogpost_get(call: Call) -> MethodResult:
        p = call.params
        rows = [(i, d) for i, d in portal.records(POST) if not d["DELETED"]
                and visible(d, call.caller.user_id, call.caller.admin)]
        wanted = ci_get(p, "POST_ID")
        if wanted not in (None, ""):
            rows = [(i, d) for i, d in rows if str(i) == str(php_int(wanted, -1))]
        rights = ci_get(p, "LOG_RIGHTS")
        if rights not in (None, "", [], {}):
            wanted_rights = {str(r).upper() for r in as_list(rights)}
            rows = [(i, d) for i, d in rows if wanted_rights & set(d["DEST"])]
        for name, keep in (("LOG_DATE_FROM", lambda a, b: a >= b), ("LOG_DATE_TO", lambda a, b: a <= b)):
            bound = ci_get(p, name)
            if bound not in (None, ""):
                try:
                    limit = parse_datetime(bound)
                except ValueProblem as exc:
                    raise BitrixError(400, "ERROR_CORE", f"{name}: {exc}") from exc
                rows = [(i, d) for i, d in rows if keep(parse_datetime(d["DATE_PUBLISH"]), limit)]
        rows.sort(key=lambda r: -r[0])  # newest first, as the feed shows them
        views = [post_view(i, d) for i, d in rows]
        return paged(views, ci_get(p, "start", 0))

    reg.add("im.notify.system.add", lambda c: notify(c, "SYSTEM"))
    reg.add("im.notify.personal.add", lambda c: notify(c, "PERSONAL"))
    reg.add("im.notify", notify_generic)
    reg.add("im.notify.delete", notify_delete)
    reg.add("log.blogpost.add", blogpost_add)
    reg.add("log.blogpost.update", blogpost_update)
    reg.add("log.blogpost.delete", blogpost_delete)
    reg.add("log.blogpost.get", blogpost_get)


def outbox_notifications(portal: Portal) -> list[dict[str, Any]]:
    return [{"ID": i, **d} for i, d in portal.records(NOTIFY)]


def outbox_posts(portal: Portal) -> list[dict[str, Any]]:
    return [{"ID": i, **d} for i, d in portal.records(POST)]
