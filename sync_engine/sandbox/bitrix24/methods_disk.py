"""``disk.storage.*``, ``disk.folder.*``, ``disk.file.*``: Drive as the REST docs describe it.

Uploads both ways: ``fileContent: [name, base64]`` in the call, or, without it, the two-step form
(``{"field": "file", "uploadUrl": ...}``, then a multipart POST to that URL, see ``app.py``).
Lists page by 50 with ``total``/``next``; deleted objects (trash) are not children any more.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sync_engine.sandbox.bitrix24.disk_store import (
    NOT_DELETED,
    DiskStore,
    access_denied,
    not_found,
)
from sync_engine.sandbox.bitrix24.dispatch import Call, Registry
from sync_engine.sandbox.bitrix24.envelope import BitrixError, MethodResult
from sync_engine.sandbox.bitrix24.files import FileContent, FileProblem, decode_file
from sync_engine.sandbox.bitrix24.paging import paged
from sync_engine.sandbox.bitrix24.phpquery import as_list, ci_get, php_bool
from sync_engine.sandbox.bitrix24.pyfilter import Kind, apply_filter, sort_rows

_OBJECT_KINDS: dict[str, Kind] = {"ID": "int", "NAME": "istr", "CODE": "str", "STORAGE_ID": "int", "TYPE": "str",
                                  "PARENT_ID": "int", "CREATE_TIME": "date", "UPDATE_TIME": "date",
                                  "CREATED_BY": "int", "UPDATED_BY": "int", "SIZE": "int",
                                  "GLOBAL_CONTENT_VERSION": "int", "FILE_ID": "int", "REAL_OBJECT_ID": "int"}
_STORAGE_KINDS: dict[str, Kind] = {"ID": "int", "NAME": "str", "CODE": "str", "MODULE_ID": "str",
                                   "ENTITY_TYPE": "str", "ENTITY_ID": "str", "ROOT_OBJECT_ID": "int"}


def _id(params: Mapping[str, Any], name: str, position: int) -> int:
    raw = ci_get(params, name)
    if raw is None or isinstance(raw, list | dict) or not str(raw).strip().isdigit() or int(str(raw)) <= 0:
        raise BitrixError(400, "ERROR_ARGUMENT", f"Invalid value of parameter {{Parameter #{position}}}")
    return int(str(raw))


def _paged(rows: list[dict[str, Any]], params: Mapping[str, Any]) -> MethodResult:
    return paged(rows, ci_get(params, "start", 0))


def _check_rights(params: Mapping[str, Any]) -> None:
    rights = ci_get(params, "rights")
    if rights in (None, "", [], {}):
        return
    for item in as_list(rights):
        if not isinstance(item, Mapping) or ci_get(item, "TASK_ID") is None or not ci_get(item, "ACCESS_CODE"):
            raise BitrixError(400, "", "Invalid rights format")


def register_disk(reg: Registry, disk: DiskStore) -> None:
    def storage_for(call: Call, position: int = 0) -> tuple[int, dict[str, Any]]:
        storage_id = _id(call.params, "id", position)
        data = disk.storage(storage_id)
        if data is None:
            raise not_found(storage_id)
        if not disk.can_access(data, call.caller.user_id, call.caller.admin):
            raise access_denied()
        return storage_id, data

    def object_for(call: Call, kind: str, position: int) -> tuple[int, dict[str, Any]]:
        object_id = _id(call.params, "id", position)
        data = disk.get(object_id)
        if data is None or data["TYPE"] != kind:
            raise not_found(object_id)
        if not disk.can_access(disk.storage_of(data), call.caller.user_id, call.caller.admin):
            raise access_denied()
        return object_id, data

    def listing(call: Call, folder_id: int) -> MethodResult:
        rows = [disk.view(i, d) for i, d in disk.children(folder_id)]
        rows = [dict(r) for r in apply_filter(rows, ci_get(call.params, "filter"), _OBJECT_KINDS)]
        rows = [dict(r) for r in sort_rows(rows, ci_get(call.params, "order"), _OBJECT_KINDS)]
        return _paged(rows, call.params)

    def new_name(call: Call) -> str:
        data = ci_get(call.params, "data")
        name = ci_get(data, "NAME") if isinstance(data, Mapping) else None
        return disk.check_name(name, 1)

    def upload(call: Call, folder_id: int) -> dict[str, Any]:
        _check_rights(call.params)
        unique = php_bool(ci_get(call.params, "generateUniqueName", False))
        data = ci_get(call.params, "data")
        name = ci_get(data, "NAME") if isinstance(data, Mapping) else None
        raw = ci_get(call.params, "fileContent")
        if raw in (None, "", [], {}):
            payload = f"{folder_id}|{int(unique)}|{call.caller.user_id}|{'' if name is None else name}"
            return {"field": "file", "uploadUrl": disk.signer.upload_url(payload)}
        try:
            content = decode_file(raw)
        except FileProblem as exc:
            raise BitrixError(400, "ERROR_COULD_NOT_SAVE_FILE", f"Could not save file ({exc})") from exc
        if name in (None, ""):
            raise BitrixError(400, "DISK_BASE_SERVICE_22001",
                              "Error: required parameter NAME (DISK_BASE_SERVICE_22001)")
        file_id = disk.add_file(folder_id, disk.check_name(name, 1), content, call.caller.user_id, unique=unique)
        stored = disk.get(file_id)
        assert stored is not None
        return disk.view(file_id, stored)

    # ---- storages -------------------------------------------------------------------------------
    def storage_getlist(call: Call) -> MethodResult:
        disk.common_storage()
        disk.user_storage(call.caller.user_id)
        rows = [disk.storage_view(i, d) for i, d in disk.storages()
                if disk.can_access(d, call.caller.user_id, call.caller.admin)]
        rows = [dict(r) for r in apply_filter(rows, ci_get(call.params, "filter"), _STORAGE_KINDS)]
        rows = [dict(r) for r in sort_rows(rows, ci_get(call.params, "order"), _STORAGE_KINDS)]
        return _paged(rows, call.params)

    def storage_get(call: Call) -> dict[str, Any]:
        storage_id, data = storage_for(call)
        return disk.storage_view(storage_id, data)

    def storage_children(call: Call) -> MethodResult:
        _, data = storage_for(call)
        return listing(call, int(data["ROOT_OBJECT_ID"]))

    def storage_addfolder(call: Call) -> dict[str, Any]:
        _, data = storage_for(call)
        _check_rights(call.params)
        folder_id = disk.add_folder(int(data["ROOT_OBJECT_ID"]), new_name(call), call.caller.user_id)
        stored = disk.get(folder_id)
        assert stored is not None
        return disk.view(folder_id, stored)

    def storage_upload(call: Call) -> dict[str, Any]:
        _, data = storage_for(call)
        return upload(call, int(data["ROOT_OBJECT_ID"]))

    def storage_types(call: Call) -> list[str]:
        return ["user", "common", "group"]

    # ---- folders --------------------------------------------------------------------------------
    def folder_get(call: Call) -> dict[str, Any]:
        folder_id, data = object_for(call, "folder", 1)
        return disk.view(folder_id, data)

    def folder_children(call: Call) -> MethodResult:
        folder_id, _ = object_for(call, "folder", 1)
        return listing(call, folder_id)

    def folder_addsubfolder(call: Call) -> dict[str, Any]:
        folder_id, data = object_for(call, "folder", 1)
        if data["DELETED_TYPE"] != NOT_DELETED:
            raise not_found(folder_id)
        _check_rights(call.params)
        child = disk.add_folder(folder_id, new_name(call), call.caller.user_id)
        stored = disk.get(child)
        assert stored is not None
        return disk.view(child, stored)

    def folder_upload(call: Call) -> dict[str, Any]:
        folder_id, data = object_for(call, "folder", 1)
        if data["DELETED_TYPE"] != NOT_DELETED:
            raise not_found(folder_id)
        return upload(call, folder_id)

    def is_root(data: dict[str, Any]) -> bool:
        return data["PARENT_ID"] is None

    def folder_deletetree(call: Call) -> bool:
        folder_id, data = object_for(call, "folder", 1)
        if is_root(data):
            raise BitrixError(400, "DISK_OBJ_22000", "Could not delete root folder")
        disk.delete_tree(folder_id)
        return True

    def folder_markdeleted(call: Call) -> dict[str, Any]:
        folder_id, data = object_for(call, "folder", 1)
        if is_root(data):
            raise BitrixError(400, "DISK_OBJ_22000", "Could not delete root folder")
        disk.mark_deleted(folder_id, call.caller.user_id)
        return disk.view(folder_id, disk.get(folder_id) or data)

    def restore(call: Call, kind: str, position: int) -> dict[str, Any]:
        object_id, data = object_for(call, kind, position)
        if data["DELETED_TYPE"] != NOT_DELETED:
            disk.restore(object_id, call.caller.user_id)
        return disk.view(object_id, disk.get(object_id) or data)

    def rename(call: Call, kind: str, position: int) -> dict[str, Any]:
        object_id, data = object_for(call, kind, position)
        name = disk.check_name(ci_get(call.params, "newName"), position)
        disk.rename(object_id, name, call.caller.user_id)
        return disk.view(object_id, disk.get(object_id) or data)

    # ---- files ----------------------------------------------------------------------------------
    def file_get(call: Call) -> dict[str, Any]:
        file_id, data = object_for(call, "file", 0)
        return disk.view(file_id, data)

    def file_delete(call: Call) -> bool:
        file_id, _ = object_for(call, "file", 0)
        disk.delete_tree(file_id)
        return True

    def file_markdeleted(call: Call) -> dict[str, Any]:
        file_id, data = object_for(call, "file", 0)
        disk.mark_deleted(file_id, call.caller.user_id)
        return disk.view(file_id, disk.get(file_id) or data)

    def file_uploadversion(call: Call) -> dict[str, Any]:
        file_id, data = object_for(call, "file", 0)
        raw = ci_get(call.params, "fileContent")
        if raw in (None, "", [], {}):
            raise BitrixError(400, "ERROR_ARGUMENT", "Invalid value of parameter {Parameter #0}")
        try:
            content: FileContent = decode_file(raw)
        except FileProblem as exc:
            raise BitrixError(400, "DISK_FILE_22002", f"Could not save file ({exc})") from exc
        disk.upload_version(file_id, content, call.caller.user_id)
        return disk.view(file_id, disk.get(file_id) or data)

    def file_versions(call: Call) -> MethodResult:
        file_id, _ = object_for(call, "file", 0)
        rows = [{"ID": str(vid), "OBJECT_ID": v["OBJECT_ID"], "SIZE": v["SIZE"], "NAME": v["NAME"],
                 "CREATE_TIME": v["CREATE_TIME"], "CREATED_BY": v["CREATED_BY"],
                 "GLOBAL_CONTENT_VERSION": str(v["GLOBAL_CONTENT_VERSION"]),
                 "DOWNLOAD_URL": disk.signer.disk_download(file_id, int(v["GLOBAL_CONTENT_VERSION"]))}
                for vid, v in disk.versions(file_id)]
        return _paged(rows, call.params)

    for name, handler in {
        "disk.storage.getlist": storage_getlist, "disk.storage.get": storage_get,
        "disk.storage.getchildren": storage_children, "disk.storage.addfolder": storage_addfolder,
        "disk.storage.uploadfile": storage_upload, "disk.storage.gettypes": storage_types,
        "disk.folder.get": folder_get, "disk.folder.getchildren": folder_children,
        "disk.folder.addsubfolder": folder_addsubfolder, "disk.folder.uploadfile": folder_upload,
        "disk.folder.deletetree": folder_deletetree, "disk.folder.markdeleted": folder_markdeleted,
        "disk.folder.restore": lambda c: restore(c, "folder", 1),
        "disk.folder.rename": lambda c: rename(c, "folder", 1),
        "disk.file.get": file_get, "disk.file.delete": file_delete, "disk.file.markdeleted": file_markdeleted,
        "disk.file.rename": lambda c: rename(c, "file", 0), "disk.file.restore": lambda c: restore(c, "file", 0),
        "disk.file.uploadversion": file_uploadversion, "disk.file.getversions": file_versions,
    }.items():
        reg.add(name, handler)
