"""Bitrix24 Disk: storages (the common one, one per user), folders, files and their versions.

Objects are JSON records; bytes live in the portal's blob table. Names are unique within a folder
among objects not in the trash, compared case-insensitively as MySQL's collation does, and files
and folders share that namespace (``DISK_OBJ_22000``). Other modules (feed posts, timeline
comments) keep their attachments here too, in the author's "Uploaded files" folder, as the portal does.
"""

from __future__ import annotations

import json
import re
import urllib.parse
from collections.abc import Callable
from typing import Any

from sync_engine.sandbox.bitrix24.envelope import BitrixError
from sync_engine.sandbox.bitrix24.files import FileContent, LinkSigner
from sync_engine.sandbox.bitrix24.portal import Portal
from sync_engine.sandbox.bitrix24.users import get_user
from sync_engine.sandbox.bitrix24.values import now_iso

STORAGE = "disk_storage"
OBJECT = "disk_object"
VERSION = "disk_version"
COMMON_NAME = "Общий диск"
UPLOADED_FOLDER = "Загруженные файлы"
NOT_DELETED, IN_TRASH, DELETED_WITH_PARENT = 0, 3, 4


def not_found(object_id: Any) -> BitrixError:
    return BitrixError(400, "ERROR_NOT_FOUND", f"Could not find entity with id `{object_id}`")


def name_taken(kind: str) -> BitrixError:
    what = "folder" if kind == "folder" else "file"
    return BitrixError(400, "DISK_OBJ_22000", f"A {what} with this name already exists")


def access_denied() -> BitrixError:
    return BitrixError(403, "ACCESS_DENIED", "Access denied")


def _unique_variant(name: str, n: int) -> str:
    stem, dot, ext = name.rpartition(".")
    if not dot or not stem:
        return f"{name} ({n})"
    return f"{stem} ({n}).{ext}"


class DiskStore:
    def __init__(self, portal: Portal, signer: LinkSigner, base_url: Callable[[], str]) -> None:
        self.portal = portal
        self.signer = signer
        self.base_url = base_url

    # ---- storages -------------------------------------------------------------------------------
    def storages(self) -> list[tuple[int, dict[str, Any]]]:
        return self.portal.records(STORAGE)

    def storage(self, storage_id: int) -> dict[str, Any] | None:
        return self.portal.get_record(STORAGE, storage_id)

    def _new_storage(self, name: str, entity_type: str, entity_id: str, code: str | None) -> int:
        storage_id = self.portal.next_id(STORAGE)
        root = self.portal.add_record(OBJECT, self._object(name, storage_id, "folder", None, 1))
        self.portal.add_record(STORAGE, {"NAME": name, "CODE": code, "MODULE_ID": "disk",
                                         "ENTITY_TYPE": entity_type, "ENTITY_ID": entity_id,
                                         "ROOT_OBJECT_ID": str(root)}, storage_id)
        return storage_id

    def common_storage(self) -> int:
        for sid, data in self.storages():
            if data["ENTITY_TYPE"] == "common":
                return sid
        return self._new_storage(COMMON_NAME, "common", "shared_files_s1", None)

    def user_storage(self, user_id: int) -> int:
        for sid, data in self.storages():
            if data["ENTITY_TYPE"] == "user" and data["ENTITY_ID"] == str(user_id):
                return sid
        user = get_user(self.portal, user_id)
        name = " ".join(str(user.get(k) or "") for k in ("NAME", "LAST_NAME")).strip() if user else ""
        return self._new_storage(name or f"user {user_id}", "user", str(user_id), None)

    def can_access(self, storage: dict[str, Any], user_id: int, admin: bool) -> bool:
        if admin or storage["ENTITY_TYPE"] != "user":
            return True
        return storage["ENTITY_ID"] == str(user_id)

    def storage_view(self, storage_id: int, data: dict[str, Any]) -> dict[str, Any]:
        return {"ID": str(storage_id), "NAME": data["NAME"], "CODE": data["CODE"], "MODULE_ID": data["MODULE_ID"],
                "ENTITY_TYPE": data["ENTITY_TYPE"], "ENTITY_ID": data["ENTITY_ID"],
                "ROOT_OBJECT_ID": data["ROOT_OBJECT_ID"]}

    # ---- objects --------------------------------------------------------------------------------
    @staticmethod
    def _object(name: str, storage_id: int, kind: str, parent: int | None, user_id: int) -> dict[str, Any]:
        now = now_iso()
        return {"NAME": name, "CODE": None, "STORAGE_ID": str(storage_id), "TYPE": kind,
                "PARENT_ID": None if parent is None else str(parent), "DELETED_TYPE": NOT_DELETED,
                "CREATE_TIME": now, "UPDATE_TIME": now, "DELETE_TIME": None, "CREATED_BY": str(user_id),
                "UPDATED_BY": str(user_id), "DELETED_BY": "0"}

    def get(self, object_id: int) -> dict[str, Any] | None:
        return self.portal.get_record(OBJECT, object_id)

    def children(self, folder_id: int, *, with_deleted: bool = False) -> list[tuple[int, dict[str, Any]]]:
        rows = self.portal.conn.execute(
            "SELECT ID, DATA FROM records WHERE KIND = ? AND json_extract(DATA, '$.PARENT_ID') = ? ORDER BY ID",
            (OBJECT, str(folder_id))).fetchall()
        out = [(int(r[0]), dict(json.loads(r[1]))) for r in rows]
        return out if with_deleted else [(i, d) for i, d in out if d["DELETED_TYPE"] == NOT_DELETED]

    def storage_of(self, data: dict[str, Any]) -> dict[str, Any]:
        storage = self.storage(int(data["STORAGE_ID"]))
        assert storage is not None
        return storage

    def _free_name(self, folder_id: int, name: str, kind: str, *, unique: bool, skip: int | None = None) -> str:
        taken = {d["NAME"].lower() for i, d in self.children(folder_id) if i != skip}
        if name.lower() not in taken:
            return name
        if not unique:
            raise name_taken(kind)
        n = 1
        while _unique_variant(name, n).lower() in taken:
            n += 1
        return _unique_variant(name, n)

    @staticmethod
    def check_name(name: Any, param: int) -> str:
        if not isinstance(name, str | int) or not str(name).strip():
            raise BitrixError(400, "ERROR_ARGUMENT", f"Invalid value of parameter {{Parameter #{param}}}")
        text = str(name).strip()
        if re.search(r'[\\/:*?"<>|]', text) or text in (".", ".."):
            raise BitrixError(400, "DISK_OBJ_22001", "Name contains invalid characters")
        return text

    def add_folder(self, parent_id: int, name: str, user_id: int) -> int:
        parent = self.get(parent_id)
        assert parent is not None
        name = self._free_name(parent_id, name, "folder", unique=False)
        return self.portal.add_record(OBJECT, self._object(name, int(parent["STORAGE_ID"]), "folder", parent_id,
                                                           user_id))

    def add_file(self, parent_id: int, name: str, content: FileContent, user_id: int, *, unique: bool) -> int:
        parent = self.get(parent_id)
        assert parent is not None
        name = self._free_name(parent_id, name, "file", unique=unique)
        blob = self.portal.add_blob(name, content.data, content.content_type)
        data = self._object(name, int(parent["STORAGE_ID"]), "file", parent_id, user_id)
        data.update({"GLOBAL_CONTENT_VERSION": 1, "FILE_ID": blob, "SIZE": str(len(content.data))})
        file_id = self.portal.add_record(OBJECT, data)
        self.portal.add_record(VERSION, {"OBJECT_ID": str(file_id), "FILE_ID": blob, "SIZE": str(len(content.data)),
                                         "NAME": name, "CREATE_TIME": data["CREATE_TIME"],
                                         "CREATED_BY": str(user_id), "GLOBAL_CONTENT_VERSION": 1})
        return file_id

    def upload_version(self, file_id: int, content: FileContent, user_id: int) -> None:
        data = self.get(file_id)
        assert data is not None
        blob = self.portal.add_blob(data["NAME"], content.data, content.content_type)
        version = int(data.get("GLOBAL_CONTENT_VERSION") or 1) + 1
        data.update({"FILE_ID": blob, "SIZE": str(len(content.data)), "GLOBAL_CONTENT_VERSION": version,
                     "UPDATE_TIME": now_iso(), "UPDATED_BY": str(user_id)})
        self.portal.put_record(OBJECT, file_id, data)
        self.portal.add_record(VERSION, {"OBJECT_ID": str(file_id), "FILE_ID": blob, "SIZE": data["SIZE"],
                                         "NAME": data["NAME"], "CREATE_TIME": data["UPDATE_TIME"],
                                         "CREATED_BY": str(user_id), "GLOBAL_CONTENT_VERSION": version})

    def rename(self, object_id: int, new_name: str, user_id: int) -> None:
        data = self.get(object_id)
        assert data is not None
        if data["PARENT_ID"] is not None:
            self._free_name(int(data["PARENT_ID"]), new_name, data["TYPE"], unique=False, skip=object_id)
        data.update({"NAME": new_name, "UPDATE_TIME": now_iso(), "UPDATED_BY": str(user_id)})
        self.portal.put_record(OBJECT, object_id, data)

    def subtree(self, object_id: int) -> list[int]:
        out = [object_id]
        for child_id, _ in self.children(object_id, with_deleted=True):
            out.extend(self.subtree(child_id))
        return out

    def mark_deleted(self, object_id: int, user_id: int) -> None:
        now = now_iso()
        for n, oid in enumerate(self.subtree(object_id)):
            data = self.get(oid)
            assert data is not None
            if n and data["DELETED_TYPE"] != NOT_DELETED:
                continue
            data.update({"DELETED_TYPE": IN_TRASH if n == 0 else DELETED_WITH_PARENT, "DELETE_TIME": now,
                         "DELETED_BY": str(user_id)})
            self.portal.put_record(OBJECT, oid, data)

    def restore(self, object_id: int, user_id: int) -> None:
        data = self.get(object_id)
        assert data is not None
        if data["PARENT_ID"] is not None:
            data["NAME"] = self._free_name(int(data["PARENT_ID"]), data["NAME"], data["TYPE"], unique=True,
                                           skip=object_id)
        for oid in self.subtree(object_id):
            row = self.get(oid)
            assert row is not None
            if oid == object_id or row["DELETED_TYPE"] == DELETED_WITH_PARENT:
                if oid == object_id:
                    row["NAME"] = data["NAME"]
                row.update({"DELETED_TYPE": NOT_DELETED, "DELETE_TIME": None, "DELETED_BY": "0",
                            "UPDATE_TIME": now_iso(), "UPDATED_BY": str(user_id)})
                self.portal.put_record(OBJECT, oid, row)

    def delete_tree(self, object_id: int) -> None:
        for oid in reversed(self.subtree(object_id)):
            self.portal.delete_record(OBJECT, oid)
            self.portal.conn.execute(
                "DELETE FROM records WHERE KIND = ? AND json_extract(DATA, '$.OBJECT_ID') = ?", (VERSION, str(oid)))

    def versions(self, file_id: int) -> list[tuple[int, dict[str, Any]]]:
        rows = self.portal.conn.execute(
            "SELECT ID, DATA FROM records WHERE KIND = ? AND json_extract(DATA, '$.OBJECT_ID') = ? ORDER BY ID",
            (VERSION, str(file_id))).fetchall()
        return [(int(r[0]), dict(json.loads(r[1]))) for r in rows]

    def uploaded_folder(self, user_id: int) -> int:
        """The author's "Uploaded files" folder, where attachments of posts and comments go."""
        storage = self.storage(self.user_storage(user_id))
        assert storage is not None
        root = int(storage["ROOT_OBJECT_ID"])
        for child_id, data in self.children(root):
            if data["TYPE"] == "folder" and data["NAME"] == UPLOADED_FOLDER:
                return child_id
        return self.add_folder(root, UPLOADED_FOLDER, user_id)

    # ---- views ----------------------------------------------------------------------------------
    def path(self, object_id: int) -> list[str]:
        names: list[str] = []
        data = self.get(object_id)
        while data is not None and data["PARENT_ID"] is not None:
            names.append(data["NAME"])
            data = self.get(int(data["PARENT_ID"]))
        return list(reversed(names))

    def detail_url(self, object_id: int, data: dict[str, Any]) -> str:
        storage = self.storage_of(data)
        base = (f"{self.base_url()}/company/personal/user/{storage['ENTITY_ID']}/disk"
                if storage["ENTITY_TYPE"] == "user" else f"{self.base_url()}/docs")
        kind = "file" if data["TYPE"] == "file" else "path"
        return f"{base}/{kind}/" + "/".join(urllib.parse.quote(n) for n in self.path(object_id))

    def view(self, object_id: int, data: dict[str, Any]) -> dict[str, Any]:
        out: dict[str, Any] = {"ID": str(object_id), "NAME": data["NAME"], "CODE": data["CODE"],
                               "STORAGE_ID": data["STORAGE_ID"], "TYPE": data["TYPE"]}
        if data["TYPE"] == "folder":
            out["REAL_OBJECT_ID"] = str(object_id)
        out.update({"PARENT_ID": data["PARENT_ID"], "DELETED_TYPE": str(data["DELETED_TYPE"])})
        if data["TYPE"] == "file":
            out.update({"GLOBAL_CONTENT_VERSION": str(data["GLOBAL_CONTENT_VERSION"]),
                        "FILE_ID": str(data["FILE_ID"]), "SIZE": data["SIZE"]})
        out.update({k: data[k] for k in ("CREATE_TIME", "UPDATE_TIME", "DELETE_TIME", "CREATED_BY", "UPDATED_BY",
                                         "DELETED_BY")})
        if data["TYPE"] == "file":
            out["DOWNLOAD_URL"] = self.signer.disk_download(object_id, int(data["GLOBAL_CONTENT_VERSION"]))
        out["DETAIL_URL"] = self.detail_url(object_id, data)
        return out

    def content(self, object_id: int, version: int | None = None) -> tuple[str, str | None, bytes] | None:
        data = self.get(object_id)
        if data is None or data["TYPE"] != "file":
            return None
        blob_id = int(data["FILE_ID"])
        if version is not None and version != int(data["GLOBAL_CONTENT_VERSION"]):
            match = next((v for _, v in self.versions(object_id) if int(v["GLOBAL_CONTENT_VERSION"]) == version),
                         None)
            if match is None:
                return None
            blob_id = int(match["FILE_ID"])
        stored = self.portal.blob(blob_id)
        if stored is None:
            return None
        return data["NAME"], stored[1], stored[2]
