"""An unmodified third-party client (PyPI ``fast_bitrix24``) drives the new methods against the twin.

It pages with ``batch`` and ``start`` on its own, unwraps ``{"task": ...}`` and ``{"tasks": [...]}``
answers and splits long item lists into batches of 50: if the twin's envelopes, paging or batch
results differed from the portal's, these calls would fail or return the wrong counts.
"""

from __future__ import annotations

import base64

import pytest
from b24sandbox_helpers import Portal

fast_bitrix24 = pytest.importorskip("fast_bitrix24")


def test_fast_bitrix24_reads_users_tasks_disk_and_lists(portal: Portal) -> None:
    b24 = fast_bitrix24.Bitrix(portal.hook, verbose=False, ssl=False)
    everyone = b24.get_all("user.get")
    assert len(everyone) == portal.call("user.get").json()["total"]
    assert len({u["ID"] for u in everyone}) == len(everyone)
    platform = b24.get_all("user.get", {"filter": {"UF_DEPARTMENT": 4}})
    assert "5" in {u["ID"] for u in platform}
    assert len(b24.get_all("department.get")) == portal.call("department.get").json()["total"]
    task = b24.call("tasks.task.add", {"fields": {"TITLE": "Через fast_bitrix24", "RESPONSIBLE_ID": 16,
                                                  "UF_CRM_TASK": ["D_2"]}})
    assert task["title"] == "Через fast_bitrix24"
    listed = b24.get_all("tasks.task.list", {"filter": {"UF_CRM_TASK": "D_2"}, "select": ["ID", "TITLE"]})
    assert task["id"] in {t["id"] for t in listed}
    people = b24.call("user.get", [{"ID": n} for n in range(1, 61)])
    assert len(people) == 60
    storages = b24.get_all("disk.storage.getlist")
    common = next(s for s in storages if s["ENTITY_TYPE"] == "common")
    # raw=True: one plain request (the client returns the body) instead of a one-command batch
    folder = b24.call("disk.storage.addfolder", {"id": common["ID"], "data": {"NAME": "fast_bitrix24"}},
                      raw=True)["result"]
    uploaded = b24.call("disk.folder.uploadfile", {"id": folder["ID"], "data": {"NAME": "a.txt"},
                                                   "fileContent": ["a.txt", base64.b64encode(b"abc").decode()]},
                        raw=True)["result"]
    assert portal.http.get(uploaded["DOWNLOAD_URL"]).content == b"abc"
    iblock = {"IBLOCK_TYPE_ID": "lists", "IBLOCK_CODE": "fast_bitrix24"}
    b24.call("lists.add", {**iblock, "FIELDS": {"NAME": "Через клиента"}})
    b24.call("lists.element.add", [{**iblock, "ELEMENT_CODE": f"e{n}", "FIELDS": {"NAME": f"Элемент {n}"}}
                                   for n in range(60)])
    assert len(b24.get_all("lists.element.get", iblock)) == 60
