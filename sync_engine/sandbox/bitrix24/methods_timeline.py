"""``crm.timeline.comment.*`` and ``crm.timeline.bindings.*``: comments on a CRM item's timeline.

A comment belongs to one item (ENTITY_TYPE deal|lead|contact|company|dynamic_<typeId>, ENTITY_ID)
and may be bound to more; its FILES (``[[name, base64], ...]``) are stored on the author's Drive in
"Uploaded files", as the portal does, and come back with download links. Since crm 23.100 only the
lower-case ``fields`` key is accepted. Events ONCRMTIMELINECOMMENTADD/UPDATE/DELETE carry ``data[ID]``.
"""

from __future__ import annotations

import urllib.parse
from collections.abc import Callable, Mapping
from typing import Any

from sync_engine.sandbox.bitrix24.disk_store import DiskStore
from sync_engine.sandbox.bitrix24.dispatch import Call, Registry
from sync_engine.sandbox.bitrix24.envelope import BitrixError, MethodResult, legacy_error
from sync_engine.sandbox.bitrix24.files import FileProblem, decode_file, is_file_value
from sync_engine.sandbox.bitrix24.paging import paged
from sync_engine.sandbox.bitrix24.phpquery import as_list, ci_get, php_int
from sync_engine.sandbox.bitrix24.portal import Portal
from sync_engine.sandbox.bitrix24.pyfilter import Kind, sort_rows
from sync_engine.sandbox.bitrix24.users import display_name, get_user
from sync_engine.sandbox.bitrix24.values import now_iso

EmitData = Callable[[str, dict[str, Any], Any], None]
COMMENT = "timeline_comment"
_TYPES = {"lead": 1, "deal": 2, "contact": 3, "company": 4, "order": 14}


def _desc(type_: str, title: str, *, required: bool = False, read_only: bool = False, immutable: bool = False,
          multiple: bool = False) -> dict[str, Any]:
    return {"type": type_, "isRequired": required, "isReadOnly": read_only, "isImmutable": immutable,
            "isMultiple": multiple, "isDynamic": False, "title": title}


COMMENT_FIELDS = {
    "ID": _desc("integer", "ID", read_only=True), "CREATED": _desc("datetime", "Date added", read_only=True),
    "ENTITY_ID": _desc("integer", "ID of the element the comment is attached to", required=True, immutable=True),
    "ENTITY_TYPE": _desc("string", "Type of the element the comment is attached to", required=True,
                         immutable=True),
    "AUTHOR_ID": _desc("integer", "Author", immutable=True), "COMMENT": _desc("string", "Comment text"),
    "FILES": _desc("attached_diskfile", "File list", multiple=True),
}
BINDING_FIELDS = {
    "OWNER_ID": _desc("integer", "Timeline record ID", required=True, immutable=True),
    "ENTITY_ID": _desc("integer", "Element ID", required=True, immutable=True),
    "ENTITY_TYPE": _desc("string", "Element type", required=True, immutable=True),
}


def register_timeline(reg: Registry, portal: Portal, disk: DiskStore, emit: EmitData) -> None:
    def owner_exists(entity_type: str, entity_id: int) -> bool:
        if entity_type == "order":
            return True
        type_id = _TYPES.get(entity_type)
        if type_id is None and entity_type.startswith("dynamic_") and entity_type[8:].isdigit():
            type_id = int(entity_type[8:])
        store = portal.by_type_id.get(type_id or -1)
        return store is not None and store.row(entity_id) is not None

    def entity_type_of(value: Any) -> str | None:
        text = str(value or "").strip().lower()
        if text in _TYPES or (text.startswith("dynamic_") and text[8:].isdigit()):
            return text
        return None

    def store_files(raw: Any, author: int) -> list[int]:
        items = as_list(raw)
        if items and not isinstance(items[0], list | dict) and is_file_value(raw):
            items = [raw]
        out: list[int] = []
        for item in items:
            try:
                content = decode_file(item)
            except FileProblem as exc:
                raise BitrixError(400, "INVALID_ARG_VALUE", f"FILES: {exc}") from exc
            out.append(disk.add_file(disk.uploaded_folder(author), content.name, content, author, unique=True))
        return out

    def file_view(file_id: int) -> dict[str, Any] | None:
        data = disk.get(file_id)
        if data is None:
            return None
        author = get_user(portal, data["CREATED_BY"]) or {}
        name = data["NAME"]
        # Links into the Drive interface that work only in a browser session, as on the portal: a client
        # downloads through disk.file.get(id) -> DOWNLOAD_URL (the key of FILES is the Drive file id).
        ui = f"{disk.base_url()}/disk/downloadFile/{file_id}/?&ncc=1&filename={urllib.parse.quote(name)}"
        show = f"{disk.base_url()}/disk/showFile/{file_id}/?&ncc=1&filename={urllib.parse.quote(name)}"
        image = name.lower().rsplit(".", 1)[-1] in ("png", "jpg", "jpeg", "gif", "webp", "bmp")
        out: dict[str, Any] = {"id": file_id, "date": data["CREATE_TIME"], "type": "image" if image else "file",
                               "name": name, "size": int(data["SIZE"]), "authorId": int(data["CREATED_BY"]),
                               "authorName": display_name(author) if author else "",
                               "urlPreview": show if image else None, "urlShow": show, "urlDownload": ui}
        if image:
            out["image"] = {"width": 0, "height": 0}
        return out

    def view(cid: int, c: Mapping[str, Any], select: list[str] | None = None) -> dict[str, Any]:
        files = {str(f): v for f in c["FILES"] if (v := file_view(f)) is not None}
        out: dict[str, Any] = {"ID": str(cid), "ENTITY_ID": str(c["ENTITY_ID"]), "ENTITY_TYPE": c["ENTITY_TYPE"],
                               "CREATED": c["CREATED"], "COMMENT": c["COMMENT"], "AUTHOR_ID": str(c["AUTHOR_ID"])}
        if files:
            out["FILES"] = files
        if select:
            out = {k: v for k, v in out.items() if k in select}
        return out

    def comment_id(call: Call) -> tuple[int, dict[str, Any]]:
        raw = ci_get(call.params, "id")
        if raw in (None, "") or not str(raw).strip().isdigit() or int(str(raw)) <= 0:
            raise legacy_error("ID is not defined or invalid.")
        cid = int(str(raw))
        data = portal.get_record(COMMENT, cid)
        if data is None:
            raise BitrixError(400, "NOT_FOUND", "Not found.")
        return cid, data

    def fields_of(call: Call) -> Mapping[str, Any]:
        fields = call.params.get("fields")  # lower-case only, as crm >= 23.100.0
        if not isinstance(fields, Mapping):
            raise BitrixError(400, "100", "Required fields are not provided")
        return fields

    def add(call: Call) -> int:
        fields = fields_of(call)
        entity_type = entity_type_of(ci_get(fields, "ENTITY_TYPE"))
        entity_id = php_int(ci_get(fields, "ENTITY_ID"), 0)
        if entity_type is None or entity_id <= 0 or ci_get(fields, "COMMENT") is None:
            raise BitrixError(400, "100", "Required fields are not provided")
        comment = ci_get(fields, "COMMENT")
        if not isinstance(comment, str | int | float) or not str(comment).strip():
            raise BitrixError(400, "INVALID_ARG_VALUE", "Empty comment")
        if not owner_exists(entity_type, entity_id):
            raise BitrixError(400, "OWNER_NOT_FOUND", "Owner of the item not found")
        author = php_int(ci_get(fields, "AUTHOR_ID"), 0)
        if author <= 0 or get_user(portal, author) is None:
            author = call.caller.user_id
        data = {"ENTITY_TYPE": entity_type, "ENTITY_ID": entity_id, "BINDINGS": [[entity_type, entity_id]],
                "CREATED": now_iso(), "COMMENT": str(comment), "AUTHOR_ID": author,
                "FILES": store_files(ci_get(fields, "FILES"), author)}
        cid = portal.add_record(COMMENT, data)
        emit("ONCRMTIMELINECOMMENTADD", {"ID": cid}, cid)
        return cid

    def owner_check(call: Call, data: Mapping[str, Any]) -> None:
        owner_type, owner_id = ci_get(call.params, "ownerTypeId"), ci_get(call.params, "ownerId")
        if owner_type is None and owner_id is None:
            if len(data["BINDINGS"]) > 1:
                raise BitrixError(400, "MULTIPLE_BINDINGS", "Element has bindings to multiple entities")
            return
        names = {v: k for k, v in _TYPES.items()}
        type_name = names.get(php_int(owner_type, 0), f"dynamic_{php_int(owner_type, 0)}")
        if [type_name, php_int(owner_id, 0)] not in [list(b) for b in data["BINDINGS"]]:
            raise BitrixError(400, "OWNER_NOT_FOUND", "Owner of the item not found")

    def update(call: Call) -> int:
        cid, data = comment_id(call)
        fields = fields_of(call)
        owner_check(call, data)
        if not (call.caller.admin or int(data["AUTHOR_ID"]) == call.caller.user_id):
            raise BitrixError(400, "ACCESS_DENIED", "Access denied.")
        comment = ci_get(fields, "COMMENT")  # required with every update, files or not
        if not isinstance(comment, str | int | float) or not str(comment).strip():
            raise BitrixError(400, "INVALID_ARG_VALUE", "Empty comment")
        data["COMMENT"] = str(comment)
        if ci_get(fields, "FILES") is not None:  # the old files go as soon as FILES is passed
            data["FILES"] = store_files(ci_get(fields, "FILES"), int(data["AUTHOR_ID"]))
        portal.put_record(COMMENT, cid, data)
        emit("ONCRMTIMELINECOMMENTUPDATE", {"ID": cid}, cid)
        return cid

    def delete(call: Call) -> None:
        cid, data = comment_id(call)
        owner_check(call, data)
        if not (call.caller.admin or int(data["AUTHOR_ID"]) == call.caller.user_id):
            raise BitrixError(400, "ACCESS_DENIED", "Access denied.")
        portal.delete_record(COMMENT, cid)
        emit("ONCRMTIMELINECOMMENTDELETE", {"ID": cid}, cid)

    def get(call: Call) -> dict[str, Any]:
        raw = ci_get(call.params, "id")
        if raw in (None, "") or not str(raw).strip().isdigit():
            raise legacy_error("ID is not defined or invalid.")
        data = portal.get_record(COMMENT, int(str(raw)))
        if data is None:
            raise legacy_error("Not found.")
        return view(int(str(raw)), data)

    def list_(call: Call) -> MethodResult:
        flt = ci_get(call.params, "filter")
        if not isinstance(flt, Mapping):
            raise legacy_error("Access denied.")
        entity_type = entity_type_of(ci_get(flt, "ENTITY_TYPE"))
        entity_id = php_int(ci_get(flt, "ENTITY_ID"), 0)
        if entity_type is None or entity_id <= 0:
            raise legacy_error("Access denied.")
        rows = [(cid, d) for cid, d in portal.records(COMMENT)
                if [entity_type, entity_id] in [list(b) for b in d["BINDINGS"]]]
        select = [str(s).strip().upper() for s in as_list(ci_get(call.params, "select"))] or None
        kinds: dict[str, Kind] = {"ID": "int", "CREATED": "date", "AUTHOR_ID": "int"}
        order = ci_get(call.params, "order")
        records = [{"ID": cid, "CREATED": d["CREATED"], "AUTHOR_ID": d["AUTHOR_ID"], "_": d} for cid, d in rows]
        records = [dict(r) for r in sort_rows(records, order, kinds, default=("CREATED", True))]
        views = [view(int(r["ID"]), r["_"], select) for r in records]
        return paged(views, ci_get(call.params, "start", 0))

    # ---- bindings -------------------------------------------------------------------------------
    def binding_fields(call: Call) -> tuple[int, dict[str, Any], str, int]:
        fields = call.params.get("fields")
        if not isinstance(fields, Mapping):
            raise legacy_error("OWNER_ID is not defined or invalid")
        owner = php_int(ci_get(fields, "OWNER_ID"), 0)
        data = portal.get_record(COMMENT, owner) if owner > 0 else None
        if data is None:
            raise legacy_error("OWNER_ID is not defined or invalid")
        entity_id = php_int(ci_get(fields, "ENTITY_ID"), 0)
        if entity_id <= 0:
            raise legacy_error("ENTITY_ID is not defined or invalid.")
        entity_type = entity_type_of(ci_get(fields, "ENTITY_TYPE"))
        if entity_type is None or not owner_exists(entity_type, entity_id):
            raise legacy_error("ENTITY_TYPE is not defined or invalid.")
        return owner, data, entity_type, entity_id

    def bind(call: Call) -> bool:
        owner, data, entity_type, entity_id = binding_fields(call)
        if [entity_type, entity_id] not in [list(b) for b in data["BINDINGS"]]:
            data["BINDINGS"].append([entity_type, entity_id])
            portal.put_record(COMMENT, owner, data)
        return True

    def unbind(call: Call) -> bool:
        owner, data, entity_type, entity_id = binding_fields(call)
        bindings = [list(b) for b in data["BINDINGS"]]
        if [entity_type, entity_id] not in bindings:
            raise legacy_error("Not found.")
        bindings.remove([entity_type, entity_id])
        data["BINDINGS"] = bindings
        portal.put_record(COMMENT, owner, data)
        return True

    def bindings_list(call: Call) -> MethodResult:
        flt = ci_get(call.params, "filter")
        owner = php_int(ci_get(flt, "OWNER_ID"), 0) if isinstance(flt, Mapping) else 0
        data = portal.get_record(COMMENT, owner) if owner > 0 else None
        if data is None:
            raise legacy_error("OWNER_ID is not defined or invalid")
        rows = [{"OWNER_ID": str(owner), "ENTITY_ID": str(b[1]), "ENTITY_TYPE": b[0]} for b in data["BINDINGS"]]
        return MethodResult(rows, total=len(rows))

    reg.add("crm.timeline.comment.add", add)
    reg.add("crm.timeline.comment.update", update)
    reg.add("crm.timeline.comment.delete", delete)
    reg.add("crm.timeline.comment.get", get)
    reg.add("crm.timeline.comment.list", list_)
    reg.add("crm.timeline.comment.fields", lambda call: COMMENT_FIELDS)
    reg.add("crm.timeline.bindings.bind", bind)
    reg.add("crm.timeline.bindings.unbind", unbind)
    reg.add("crm.timeline.bindings.list", bindings_list)
    reg.add("crm.timeline.bindings.fields", lambda call: BINDING_FIELDS)
