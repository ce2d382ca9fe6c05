"""Random parameters never make a method answer 500: every failure is one of the portal's own errors.

Each method gets a fresh small portal with one object of every kind (a list with every field type, a
task with a comment, a Disk folder and file, a timeline comment, a feed post, a custom user field),
and each generated call starts from parameters that address those objects, so the fuzzer reaches the
value checks behind the lookups instead of stopping at "not found".
"""

from __future__ import annotations

import base64
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sync_engine.sandbox.bitrix24.app import BitrixTwin, create_twin
from sync_engine.sandbox.bitrix24.dispatch import Call, Caller
from sync_engine.sandbox.bitrix24.lists_store import CUSTOM_TYPES
from sync_engine.sandbox.common.twin import TwinSettings

PREFIXES = ("user.", "department.", "im.", "log.", "tasks.", "task.", "disk.", "lists.", "crm.timeline.")
FILE = ["a.txt", base64.b64encode(b"hello").decode()]
KEYS = ("id", "ID", "taskId", "TASKID", "ITEMID", "fields", "FIELDS", "filter", "FILTER", "select", "SELECT",
        "order", "ORDER", "start", "sort", "NAME", "PARENT", "UF_HEAD", "EMAIL", "UF_DEPARTMENT", "ACTIVE",
        "PERSONAL_PHOTO", "USER_ID", "MESSAGE", "TAG", "CLIENT_ID", "ATTACH", "POST_ID", "POST_MESSAGE", "DEST",
        "FILES", "IBLOCK_TYPE_ID", "IBLOCK_ID", "IBLOCK_CODE", "ELEMENT_ID", "ELEMENT_CODE", "FIELD_ID",
        "ELEMENT_ORDER", "data", "fileContent", "newName", "generateUniqueName", "rights", "ownerTypeId",
        "ownerId", "0", "1", "2", "TITLE", "RESPONSIBLE_ID", "TYPE", "CODE", "SORT", "LIST", "VALUE",
        "USER_TYPE_SETTINGS", "SETTINGS", "MULTIPLE", "IS_REQUIRED", "DEFAULT_VALUE", "LINK_IBLOCK_ID",
        "COMMENT", "ENTITY_TYPE", "ENTITY_ID", "FIELD_NAME", "USER_TYPE_ID", "AUTHOR_ID", "DEADLINE",
        "PARENT_ID", "AUDITORS", "UF_CRM_TASK", "STATUS", "PRIORITY", "TASK_CONTROL", "SE_PARAMETER", "DEL",
        "XML_ID", "LABEL", "SECTION_CODE", "IBLOCK_SECTION_ID", "START_DATE_PLAN", "END_DATE_PLAN",
        "LIST_TEXT_VALUES", "UF_USR_FUZZ", "OWNER_ID", "IMPORTANT", "TAGS", "LOG_RIGHTS", "LOG_DATE_FROM")
scalars = st.one_of(st.none(), st.booleans(), st.integers(-5, 10**12), st.integers(0, 5), st.sampled_from(
    ["", "0", "1", "2", "-1", "abc", "Y", "N", "lists", "deal", "company", "D_2", "CO_1", "L_1", "2026-02-03",
     "31.31.2020", "%", "%a%", "UA", "U1", "DR3", "SG1", "NAME", "S", "N", "L", "F", "E", "S:ECrm", "S:Money",
     "S:Date", "N:Sequence", "DATE_CREATE", "ASC", "desc", "x.png", "aGVsbG8=", "not base64!", "a/b", "ID",
     "SORT", "TITLE", "12|RUB", "x|EUR", "PROPERTY_1", "PROPERTY_2", "n1", "string", "enumeration",
     "dynamic_1032", "FUZZ", "fuzz"]), st.text(max_size=8), st.just(FILE))
values = st.recursive(scalars, lambda inner: st.one_of(st.lists(inner, max_size=3),
                                                       st.dictionaries(st.sampled_from(KEYS), inner, max_size=4)),
                      max_leaves=12)
extras = st.dictionaries(st.sampled_from(KEYS), values, max_size=5)


def _world() -> tuple[BitrixTwin, dict[str, dict[str, Any]]]:
    twin = create_twin(TwinSettings(admin_token="fuzz", limits=False, company_size=60))
    admin = Caller(1, "webhook", "webhook:setup", admin=True)

    def run(method: str, params: dict[str, Any]) -> Any:
        outcome = twin.invoke(method, params, Call(method, params, admin))
        assert outcome.error is None and outcome.result is not None, (method, outcome.error)
        return outcome.result.result

    iblock = {"IBLOCK_TYPE_ID": "lists", "IBLOCK_CODE": "fuzz"}
    iblock_id = run("lists.add", {**iblock, "FIELDS": {"NAME": "Fuzz"}})
    props = {}
    for n, kind in enumerate(CUSTOM_TYPES):
        spec: dict[str, Any] = {"NAME": kind, "TYPE": kind, "CODE": f"C{n}", "MULTIPLE": "Y" if n % 2 else "N"}
        if kind in ("E", "E:EList", "G"):
            spec["LINK_IBLOCK_ID"] = iblock_id
        if kind == "L":
            spec["LIST"] = {"n0": {"VALUE": "one"}, "n1": {"VALUE": "two"}}
        if kind == "S:ECrm":
            spec["USER_TYPE_SETTINGS"] = {"DEAL": "Y", "COMPANY": "Y"}
        props[kind] = run("lists.field.add", {**iblock, "FIELDS": spec})
    element = run("lists.element.add", {**iblock, "ELEMENT_CODE": "e1", "FIELDS": {"NAME": "E", props["S"]: "x"}})
    task = int(run("tasks.task.add", {"fields": {"TITLE": "T", "RESPONSIBLE_ID": 17, "TASK_CONTROL": "Y"}})["task"]
               ["id"])
    item = run("task.commentitem.add", {"TASKID": task, "FIELDS": {"POST_MESSAGE": "c"}})
    storage = run("disk.storage.getlist", {})[0]
    folder = run("disk.storage.addfolder", {"id": storage["ID"], "data": {"NAME": "F"}})["ID"]
    file_id = run("disk.folder.uploadfile", {"id": folder, "data": {"NAME": "a.txt"}, "fileContent": FILE})["ID"]
    comment = run("crm.timeline.comment.add", {"fields": {"ENTITY_TYPE": "deal", "ENTITY_ID": 2, "COMMENT": "c"}})
    post = run("log.blogpost.add", {"POST_MESSAGE": "p"})
    uf = run("user.userfield.add", {"fields": {"FIELD_NAME": "FUZZ", "USER_TYPE_ID": "enumeration",
                                               "LIST": [{"VALUE": "a"}]}})
    department = run("department.add", {"NAME": "Fuzz", "PARENT": 1})
    base = {
        "lists.": {**iblock, "IBLOCK_ID": iblock_id, "ELEMENT_ID": element, "FIELD_ID": props["L"]},
        "tasks.": {"taskId": task}, "task.": {"TASKID": task, "ITEMID": item},
        "disk.storage.": {"id": storage["ID"]}, "disk.folder.": {"id": folder}, "disk.file.": {"id": file_id},
        "crm.timeline.": {"id": comment}, "log.": {"POST_ID": post}, "user.userfield.": {"id": uf},
        "user.": {"ID": 20}, "department.": {"ID": department}, "im.": {"USER_ID": 5, "MESSAGE": "m"},
    }
    return twin, base


def _methods() -> list[str]:
    probe = create_twin(TwinSettings(admin_token="fuzz", limits=False, seed="empty"))
    return [m for m in probe.registry.names() if m.startswith(PREFIXES)]


@pytest.mark.parametrize("method", _methods())
def test_no_method_answers_500(method: str) -> None:
    twin, bases = _world()
    base = next((b for prefix, b in sorted(bases.items(), key=lambda kv: -len(kv[0]))
                 if method.startswith(prefix)), {})

    @settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(body=extras, keep=st.booleans(), nested=st.booleans(), as_admin=st.booleans())
    def fuzz(body: dict[str, Any], keep: bool, nested: bool, as_admin: bool) -> None:
        params: dict[str, Any] = {**base, **body} if keep else dict(body)
        if nested and isinstance(params.get("fields"), dict):
            params["FIELDS"] = params["fields"]
        caller = Caller(1 if as_admin else 17, "webhook", "webhook:fuzz", admin=as_admin)
        outcome = twin.invoke(method, params, Call(method, params, caller))
        if outcome.error is not None:
            assert outcome.error.status != 500, (method, params)
            assert isinstance(outcome.error.description, str)

    fuzz()
