"""Disk: storages, folders, both upload forms, unique names, versions, trash and downloads."""

from __future__ import annotations

import base64
from pathlib import Path

from b24sandbox_helpers import Portal


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def test_folders_uploads_and_downloads(portal: Portal) -> None:
    storages = portal.call("disk.storage.getlist").json()
    common = next(s for s in storages["result"] if s["ENTITY_TYPE"] == "common")
    assert common["NAME"] == "Общий диск" and storages["total"] >= 2
    assert portal.result("disk.storage.get", {"id": common["ID"]}) == common
    reports = portal.result("disk.storage.addfolder", {"id": common["ID"], "data": {"NAME": "Авансовые отчёты"}})
    assert reports["TYPE"] == "folder" and reports["PARENT_ID"] == common["ROOT_OBJECT_ID"]
    clash = portal.call("disk.storage.addfolder", {"id": common["ID"], "data": {"NAME": "авансовые ОТЧЁТЫ"}}).json()
    assert clash["error"] == "DISK_OBJ_22000" and clash["error_description"] == "A folder with this name already exists"
    sub = portal.result("disk.folder.addsubfolder", {"id": reports["ID"], "data": {"NAME": "17"}})
    found = portal.result("disk.folder.getchildren", {"id": reports["ID"], "filter": {"NAME": "17"}})
    assert [f["ID"] for f in found] == [sub["ID"]]
    content = "Аванс получен: 15000.00\n".encode()
    uploaded = portal.result("disk.folder.uploadfile", {"id": sub["ID"], "data": {"NAME": "отчёт.txt"},
                                                        "fileContent": ["отчёт.txt", _b64(content)]})
    assert uploaded["SIZE"] == str(len(content)) and uploaded["GLOBAL_CONTENT_VERSION"] == "1"
    assert portal.http.get(uploaded["DOWNLOAD_URL"]).content == content
    duplicate = portal.call("disk.folder.uploadfile", {"id": sub["ID"], "data": {"NAME": "отчёт.txt"},
                                                       "fileContent": ["x.txt", _b64(b"x")]}).json()
    assert duplicate["error"] == "DISK_OBJ_22000"
    renamed = portal.result("disk.folder.uploadfile", {"id": sub["ID"], "data": {"NAME": "отчёт.txt"},
                                                       "fileContent": ["x.txt", _b64(b"x")],
                                                       "generateUniqueName": True})
    assert renamed["NAME"] == "отчёт (1).txt"
    step = portal.result("disk.folder.uploadfile", {"id": sub["ID"]})
    assert step["field"] == "file" and "/rest/upload.json?" in step["uploadUrl"]
    posted = portal.http.post(step["uploadUrl"], files={"file": ("scan.pdf", b"%PDF-1.4 twin", "application/pdf")})
    assert posted.status_code == 200 and posted.json()["result"]["NAME"] == "scan.pdf"
    children = portal.call("disk.folder.getchildren", {"id": sub["ID"], "order": {"NAME": "ASC"}}).json()
    assert [c["NAME"] for c in children["result"]] == ["scan.pdf", "отчёт (1).txt", "отчёт.txt"]
    assert children["total"] == 3
    v2 = portal.result("disk.file.uploadversion", {"id": uploaded["ID"], "fileContent": ["v2.txt", _b64(b"v2")]})
    assert v2["GLOBAL_CONTENT_VERSION"] == "2" and portal.http.get(v2["DOWNLOAD_URL"]).content == b"v2"
    assert portal.http.get(uploaded["DOWNLOAD_URL"]).content == content  # the old version's link still works
    assert len(portal.result("disk.file.getversions", {"id": uploaded["ID"]})) == 2
    assert portal.result("disk.file.rename", {"id": uploaded["ID"], "newName": "итог.txt"})["NAME"] == "итог.txt"
    taken = portal.call("disk.file.rename", {"id": renamed["ID"], "newName": "итог.txt"}).json()
    assert taken["error"] == "DISK_OBJ_22000"
    trashed = portal.result("disk.file.markdeleted", {"id": renamed["ID"]})
    assert trashed["DELETED_TYPE"] == "3"
    assert len(portal.result("disk.folder.getchildren", {"id": sub["ID"]})) == 2
    assert portal.result("disk.file.restore", {"id": renamed["ID"]})["DELETED_TYPE"] == "0"
    assert portal.result("disk.file.delete", {"id": renamed["ID"]}) is True
    gone = portal.call("disk.file.get", {"id": renamed["ID"]}).json()
    assert gone["error"] == "ERROR_NOT_FOUND"
    assert gone["error_description"] == f"Could not find entity with id `{renamed['ID']}`"
    root = portal.call("disk.folder.deletetree", {"id": common["ROOT_OBJECT_ID"]}).json()
    assert root["error_description"] == "Could not delete root folder"
    assert portal.result("disk.folder.deletetree", {"id": sub["ID"]}) is True
    assert portal.http.get(uploaded["DOWNLOAD_URL"]).status_code == 404
    assert portal.call("disk.folder.get", {}).json()["error"] == "ERROR_ARGUMENT"
    forged = uploaded["DOWNLOAD_URL"].replace("token=disk", "token=xdisk")
    assert portal.http.get(forged).status_code == 404


def test_user_storages_are_private(portal: Portal) -> None:
    mine = portal.result("disk.storage.getlist", {"filter": {"ENTITY_TYPE": "user", "ENTITY_ID": "1"}})[0]
    portal.result("disk.storage.uploadfile", {"id": mine["ID"], "data": {"NAME": "заметка.txt"},
                                              "fileContent": ["заметка.txt", _b64(b"note")]})
    url = portal.admin("POST", "webhook", {"user_id": 17}).json()["url"]
    theirs = portal.http.post(url + "disk.storage.getlist").json()["result"]
    assert all(s["ENTITY_TYPE"] != "user" or s["ENTITY_ID"] == "17" for s in theirs)
    denied = portal.http.post(url + "disk.storage.getchildren", json={"id": mine["ID"]})
    assert denied.status_code == 403 and denied.json()["error"] == "ACCESS_DENIED"
    batch = portal.result("batch", {"cmd": {"s": f"disk.storage.getchildren?id={mine['ID']}"}})
    assert [f["NAME"] for f in batch["result"]["s"]] == ["заметка.txt"]


def test_state_file_keeps_files_tasks_and_links_across_a_restart(tmp_path: Path) -> None:
    from b24sandbox_helpers import ADMIN, serve

    from sync_engine.sandbox.common.twin import TwinSettings

    settings = TwinSettings(admin_token=ADMIN, limits=False, state_path=tmp_path / "b24.sqlite",
                            credentials={"user_id": "1", "secret": "k3y"}, company_size=60)
    for p in serve(settings):
        common = p.result("disk.storage.getlist", {"filter": {"ENTITY_TYPE": "common"}})[0]
        uploaded = p.result("disk.storage.uploadfile", {"id": common["ID"], "data": {"NAME": "план.svg"},
                                                        "fileContent": ["план.svg", _b64(b"<svg/>")]})
        task = p.result("tasks.task.add", {"fields": {"TITLE": "Пережить перезапуск", "RESPONSIBLE_ID": 5}})
    for p in serve(settings):
        link = uploaded["DOWNLOAD_URL"].split("/rest/", 1)[1]  # the same signed link, on the new port
        assert p.http.get(f"{p.url}/rest/{link}").content == b"<svg/>"
        assert p.result("tasks.task.get", {"taskId": task["task"]["id"]})["task"]["title"] == "Пережить перезапуск"
        assert p.call("user.get").json()["total"] == 60
