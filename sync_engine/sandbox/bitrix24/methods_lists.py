"""``lists.*``: universal lists, their fields, sections and elements, as Bitrix\\Lists\\Rest\\RestService.

Parameter names are upper-cased however deep (``Param``); a missing one is ``ERROR_REQUIRED_PARAMETERS_MISSING``
'Required parameter "X" is missing'; IBLOCK_ID and IBLOCK_CODE (ELEMENT_ID and ELEMENT_CODE) stand in for
each other. ``lists.element.update`` replaces every field: values not sent are cleared, as on the portal.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sync_engine.sandbox.bitrix24.dispatch import Call, Registry
from sync_engine.sandbox.bitrix24.envelope import BitrixError, MethodResult
from sync_engine.sandbox.bitrix24.files import LinkSigner
from sync_engine.sandbox.bitrix24.lists_store import (
    AUTO_FIELDS,
    CUSTOM_TYPES,
    ELEMENT,
    IBLOCK,
    IBLOCK_TYPES,
    NOT_SORTABLE,
    SECTION,
    SYSTEM_TYPES,
    ListsStore,
    site_date,
    upper_keys,
)
from sync_engine.sandbox.bitrix24.paging import paged
from sync_engine.sandbox.bitrix24.phpquery import as_list, php_int
from sync_engine.sandbox.bitrix24.portal import Portal
from sync_engine.sandbox.bitrix24.pyfilter import match_value
from sync_engine.sandbox.bitrix24.query import split_operator
from sync_engine.sandbox.bitrix24.values import now_iso

_PAIRS = {"IBLOCK_ID": "IBLOCK_CODE", "IBLOCK_CODE": "IBLOCK_ID", "ELEMENT_ID": "ELEMENT_CODE",
          "ELEMENT_CODE": "ELEMENT_ID", "SECTION_ID": "SECTION_CODE", "SECTION_CODE": "SECTION_ID"}


def _missing(name: str) -> BitrixError:
    return BitrixError(400, "ERROR_REQUIRED_PARAMETERS_MISSING", f'Required parameter "{name}" is missing')


def require(p: Mapping[str, Any], *names: str, fields: tuple[str, ...] = ()) -> None:
    """Param::checkRequiredInputParams: the last missing name is the one reported."""
    missing = None
    for name in names:
        if p.get(name) is None and p.get(_PAIRS.get(name, "")) is None:
            missing = name
    nested = p.get("FIELDS")
    for name in fields:
        if not isinstance(nested, Mapping) or nested.get(name) is None:
            missing = name
    if missing:
        raise _missing(missing)


def sub(p: Mapping[str, Any], key: str) -> dict[str, Any]:
    value = p.get(key)
    return dict(value) if isinstance(value, Mapping) else {}


def _paged(rows: list[Any], p: Mapping[str, Any]) -> MethodResult:
    return paged(rows, p.get("START", 0))


def register_lists(reg: Registry, portal: Portal, signer: LinkSigner) -> None:
    store = ListsStore(portal, signer)

    def params(call: Call) -> dict[str, Any]:
        out = upper_keys(call.params)
        return out if isinstance(out, dict) else {}

    def iblock(p: Mapping[str, Any]) -> tuple[int, dict[str, Any]]:
        require(p, "IBLOCK_TYPE_ID", "IBLOCK_CODE", "IBLOCK_ID")
        found = store.find_iblock(p)
        if found is None:
            raise BitrixError(400, "ERROR_IBLOCK_NOT_FOUND", "Iblock not found")
        return found

    def need_admin(call: Call) -> None:
        if not call.caller.admin:
            raise BitrixError(400, "ACCESS_DENIED", "Access denied")

    # ---- lists ----------------------------------------------------------------------------------
    def iblock_view(iid: int, d: Mapping[str, Any]) -> dict[str, Any]:
        m = d["MESSAGES"]
        return {"ID": str(iid), "TIMESTAMP_X": site_date(d["TIMESTAMP_X"], True), "IBLOCK_TYPE_ID": d["IBLOCK_TYPE_ID"],
                "LID": "s1", "CODE": d["CODE"], "API_CODE": None, "NAME": d["NAME"], "ACTIVE": "Y",
                "SORT": str(d["SORT"]), "PICTURE": None, "DESCRIPTION": d["DESCRIPTION"], "DESCRIPTION_TYPE": "text",
                "XML_ID": None, "BIZPROC": d["BIZPROC"], "WORKFLOW": "N", "RIGHTS_MODE": "E",
                "SOCNET_GROUP_ID": d["SOCNET_GROUP_ID"], "SECTIONS_NAME": m.get("SECTIONS_NAME", "Разделы"),
                "SECTION_NAME": m.get("SECTION_NAME", "Раздел"), "ELEMENTS_NAME": m.get("ELEMENTS_NAME", "Элементы"),
                "ELEMENT_NAME": m.get("ELEMENT_NAME", "Элемент")}

    def lists_add(call: Call) -> int:
        p = params(call)
        require(p, "IBLOCK_TYPE_ID", "IBLOCK_CODE", fields=("NAME",))
        if str(p["IBLOCK_TYPE_ID"]) not in IBLOCK_TYPES:
            raise BitrixError(400, "ERROR_IBLOCK_NOT_FOUND", "Iblock not found")
        if any(d["IBLOCK_TYPE_ID"] == p["IBLOCK_TYPE_ID"] and d["CODE"] == str(p["IBLOCK_CODE"])
               for _, d in portal.records(IBLOCK)):
            raise BitrixError(400, "ERROR_IBLOCK_ALREADY_EXISTS", "Iblock already exists")
        need_admin(call)
        f = sub(p, "FIELDS")
        messages = sub(p, "MESSAGES")
        return portal.add_record(IBLOCK, {
            "IBLOCK_TYPE_ID": str(p["IBLOCK_TYPE_ID"]), "CODE": str(p["IBLOCK_CODE"]), "NAME": str(f["NAME"]),
            "DESCRIPTION": str(f.get("DESCRIPTION") or ""), "SORT": php_int(f.get("SORT"), 500) or 500,
            "BIZPROC": "Y" if str(f.get("BIZPROC", "N")).upper() == "Y" else "N",
            "SOCNET_GROUP_ID": None if p.get("SOCNET_GROUP_ID") in (None, "") else str(p["SOCNET_GROUP_ID"]),
            "MESSAGES": {str(k): str(v) for k, v in messages.items()}, "TIMESTAMP_X": now_iso(),
            "FIELDS": {"NAME": store.name_field()}})

    def lists_get(call: Call) -> MethodResult:
        p = params(call)
        require(p, "IBLOCK_TYPE_ID")
        rows = [(i, d) for i, d in portal.records(IBLOCK) if d["IBLOCK_TYPE_ID"] == str(p["IBLOCK_TYPE_ID"])]
        if p.get("IBLOCK_ID") not in (None, ""):
            rows = [(i, d) for i, d in rows if str(i) == str(p["IBLOCK_ID"])]
        elif p.get("IBLOCK_CODE") not in (None, ""):
            rows = [(i, d) for i, d in rows if d["CODE"] == str(p["IBLOCK_CODE"])]
        if p.get("SOCNET_GROUP_ID") not in (None, ""):
            rows = [(i, d) for i, d in rows if d["SOCNET_GROUP_ID"] == str(p["SOCNET_GROUP_ID"])]
        order = p.get("IBLOCK_ORDER")
        if isinstance(order, Mapping):
            for field, direction in reversed(list(order.items())):
                key = {"IBLOCK_TYPE": "IBLOCK_TYPE_ID"}.get(field, field)
                if key in ("ID", "NAME", "CODE", "SORT", "TIMESTAMP_X", "IBLOCK_TYPE_ID"):
                    def sort_key(r: tuple[int, dict[str, Any]], k: str = key) -> Any:
                        return r[0] if k == "ID" else str(r[1].get(k) or "")

                    rows.sort(key=sort_key, reverse=str(direction).lower().startswith("desc"))
        return _paged([iblock_view(i, d) for i, d in rows], p)

    def lists_update(call: Call) -> bool:
        p = params(call)
        iid, data = iblock(p)
        need_admin(call)
        f = sub(p, "FIELDS")
        for key in ("NAME", "DESCRIPTION"):
            if f.get(key) is not None:
                data[key] = str(f[key])
        if f.get("SORT") is not None:
            data["SORT"] = php_int(f["SORT"], 500)
        if isinstance(p.get("MESSAGES"), Mapping):
            data["MESSAGES"].update({str(k): str(v) for k, v in p["MESSAGES"].items()})
        data["TIMESTAMP_X"] = now_iso()
        portal.put_record(IBLOCK, iid, data)
        return True

    def lists_delete(call: Call) -> bool:
        p = params(call)
        iid, _ = iblock(p)
        need_admin(call)
        for eid, _ in store.elements(iid):
            portal.delete_record(ELEMENT, eid)
        for sid, s in portal.records(SECTION):
            if s["IBLOCK_ID"] == iid:
                portal.delete_record(SECTION, sid)
        portal.delete_record(IBLOCK, iid)
        return True

    def type_id(call: Call) -> str | None:
        p = params(call)
        found = portal.get_record(IBLOCK, php_int(p.get("IBLOCK_ID"), 0))
        return None if found is None else str(found["IBLOCK_TYPE_ID"])

    # ---- fields ---------------------------------------------------------------------------------
    def field_add(call: Call) -> str:
        p = params(call)
        iid, data = iblock(p)
        need_admin(call)
        require(p, "IBLOCK_TYPE_ID", "IBLOCK_CODE", "IBLOCK_ID", fields=("NAME", "TYPE"))
        field = store.build_field(data, sub(p, "FIELDS"), None)
        if field["TYPE"] in SYSTEM_TYPES:
            field_id = field["TYPE"]
        else:
            prop_id = portal.next_id("list_property")
            field["ID"] = str(prop_id)
            field_id = f"PROPERTY_{prop_id}"
        field["FIELD_ID"] = field_id
        data["FIELDS"][field_id] = field
        portal.put_record(IBLOCK, iid, data)
        return field_id

    def field_for(p: Mapping[str, Any], data: Mapping[str, Any]) -> tuple[str, dict[str, Any]]:
        if p.get("FIELD_ID") in (None, ""):
            raise _missing("FIELD_ID")
        field_id = str(p["FIELD_ID"])
        if field_id not in data["FIELDS"]:
            raise BitrixError(400, "ERROR_FIELD_NOT_FOUND", "Field not found")
        return field_id, data["FIELDS"][field_id]

    def field_get(call: Call) -> dict[str, Any]:
        p = params(call)
        _, data = iblock(p)
        fields = data["FIELDS"]
        if p.get("FIELD_ID") not in (None, ""):
            wanted = str(p["FIELD_ID"])
            return {k: store.field_view(v) for k, v in fields.items() if k == wanted}
        ordered = sorted(fields.items(), key=lambda kv: (kv[1]["SORT"], kv[0]))
        return {k: store.field_view(v) for k, v in ordered}

    def field_update(call: Call) -> bool:
        p = params(call)
        iid, data = iblock(p)
        need_admin(call)
        field_id, current = field_for(p, data)
        f = sub(p, "FIELDS")
        if f.get("TYPE") not in (None, "", current["TYPE"]):
            raise BitrixError(400, "ERROR_UPDATE_FIELD", "Error updating the field")
        if field_id == "NAME":
            current.update({k: f[k] for k in ("NAME", "SORT") if f.get(k) is not None})
        else:
            data["FIELDS"][field_id] = store.build_field(data, f, current)
        portal.put_record(IBLOCK, iid, data)
        return True

    def field_delete(call: Call) -> bool:
        p = params(call)
        iid, data = iblock(p)
        need_admin(call)
        field_id, _ = field_for(p, data)
        if field_id == "NAME":
            raise BitrixError(400, "ERROR_DELETE_FIELD", "The NAME field cannot be deleted")
        del data["FIELDS"][field_id]
        portal.put_record(IBLOCK, iid, data)
        for eid, element in store.elements(iid):
            if element["PROPS"].pop(field_id, None) is not None or element.pop(field_id, None) is not None:
                portal.put_record(ELEMENT, eid, element)
        return True

    def field_types(call: Call) -> dict[str, str]:
        p = params(call)
        _, data = iblock(p)
        present = set(data["FIELDS"])
        return {**{k: v for k, v in SYSTEM_TYPES.items() if k not in present}, **CUSTOM_TYPES}

    # ---- elements -------------------------------------------------------------------------------
    def element_find(iid: int, p: Mapping[str, Any]) -> tuple[int, dict[str, Any]] | None:
        for eid, e in store.elements(iid):
            if p.get("ELEMENT_ID") not in (None, ""):
                if str(eid) == str(p["ELEMENT_ID"]).strip():
                    return eid, e
            elif p.get("ELEMENT_CODE") not in (None, "") and e["CODE"] == str(p["ELEMENT_CODE"]):
                return eid, e
        return None

    def write(iid: int, data: Mapping[str, Any], element: dict[str, Any], values: Mapping[str, Any],
              user_id: int, element_id: int | None) -> None:
        props: dict[str, list[list[Any]]] = {}
        old_props: dict[str, list[list[Any]]] = element.get("PROPS", {}) if element_id is not None else {}
        for field_id, field in data["FIELDS"].items():
            raw = values.get(field_id)
            if field["TYPE"] == "NAME":
                text = "" if raw is None else str(raw[0] if isinstance(raw, list) and raw else raw).strip()
                if not text:
                    code = "ERROR_ADD_ELEMENT" if element_id is None else "ERROR_UPDATE_ELEMENT"
                    raise BitrixError(400, code, "Element name is not entered.<br>")
                element["NAME"] = text
                continue
            empty = raw in (None, "", [], {}) and not (isinstance(raw, int | float) and not isinstance(raw, bool))
            if empty and field["IS_REQUIRED"] == "Y" and field["TYPE"] not in AUTO_FIELDS | {"N:Sequence"}:
                raise BitrixError(400, "ERROR_ELEMENT_FIELD_VALUE", f'The field "{field["NAME"]}" is required')
            if field["TYPE"] in SYSTEM_TYPES:
                if field["TYPE"] not in AUTO_FIELDS:
                    element[field_id] = None if empty else str(raw[0] if isinstance(raw, list) else raw)
                continue
            stored = store.property_values(field, raw if not empty else field.get("DEFAULT_VALUE") or None, iid,
                                           element_id, user_id)
            fresh = [[portal.next_id("list_value"), v] for v in stored]
            if field["TYPE"] == "F" and element_id is not None:
                # files stay unless their value ids are listed in PROPERTY_<id>_DEL (docs: how-to-update-files)
                doomed = values.get(f"{field_id}_DEL")
                drop = {str(k) for k, v in doomed.items() if str(v).upper() == "Y"} if isinstance(doomed, Mapping) \
                    else {str(v) for v in as_list(doomed)}
                kept = [pair for pair in old_props.get(field_id, []) if str(pair[0]) not in drop]
                fresh = (kept + fresh) if field["MULTIPLE"] == "Y" else (fresh or kept)
            if fresh:
                props[field_id] = fresh
        element["PROPS"] = props
        element["IBLOCK_SECTION_ID"] = php_int(values.get("IBLOCK_SECTION_ID"), 0) or None
        element["MODIFIED_BY"], element["TIMESTAMP_X"] = str(user_id), now_iso()

    def element_add(call: Call) -> int:
        p = params(call)
        iid, data = iblock(p)
        require(p, "IBLOCK_TYPE_ID", "IBLOCK_CODE", "IBLOCK_ID", "ELEMENT_CODE", fields=("NAME",))
        if element_find(iid, {"ELEMENT_CODE": p["ELEMENT_CODE"]}) is not None:
            raise BitrixError(400, "ERROR_ELEMENT_ALREADY_EXISTS", "Element already exists")
        element: dict[str, Any] = {"IBLOCK_ID": iid, "CODE": str(p["ELEMENT_CODE"]), "CREATED_BY": str(
            call.caller.user_id), "DATE_CREATE": now_iso()}
        write(iid, data, element, sub(p, "FIELDS"), call.caller.user_id, None)
        portal.put_record(IBLOCK, iid, data)  # sequences advanced
        return portal.add_record(ELEMENT, element)

    def element_update(call: Call) -> bool:
        p = params(call)
        iid, data = iblock(p)
        require(p, "IBLOCK_TYPE_ID", "IBLOCK_CODE", "IBLOCK_ID", "ELEMENT_CODE", "ELEMENT_ID")
        found = element_find(iid, p)
        if found is None:
            raise BitrixError(400, "ERROR_ELEMENT_NOT_FOUND", "Element not found")
        eid, element = found
        f = sub(p, "FIELDS")
        write(iid, data, element, f, call.caller.user_id, eid)
        portal.put_record(ELEMENT, eid, element)
        return True

    def element_delete(call: Call) -> bool:
        p = params(call)
        iid, _ = iblock(p)
        require(p, "IBLOCK_TYPE_ID", "IBLOCK_CODE", "IBLOCK_ID", "ELEMENT_CODE", "ELEMENT_ID")
        found = element_find(iid, p)
        if found is None:
            raise BitrixError(400, "ERROR_ELEMENT_NOT_FOUND", "Element not found")
        portal.delete_record(ELEMENT, found[0])
        return True

    def element_row(eid: int, e: Mapping[str, Any], data: Mapping[str, Any]) -> dict[str, Any]:
        row: dict[str, Any] = {"ID": str(eid), "IBLOCK_ID": str(e["IBLOCK_ID"]), "NAME": e["NAME"],
                               "IBLOCK_SECTION_ID": None if not e.get("IBLOCK_SECTION_ID") else str(
                                   e["IBLOCK_SECTION_ID"]), "CREATED_BY": e["CREATED_BY"], "BP_PUBLISHED": "Y",
                               "CODE": e["CODE"]}
        for field_id, field in data["FIELDS"].items():
            if field["TYPE"] in SYSTEM_TYPES:
                value = e.get(field_id)
                if field_id in ("DATE_CREATE", "TIMESTAMP_X", "ACTIVE_FROM", "ACTIVE_TO") and value:
                    value = site_date(value, True)
                row[field_id] = value
                if field_id == "CREATED_BY":
                    row["CREATED_USER_NAME"] = None
        for field_id, values in e["PROPS"].items():
            row[field_id] = {str(vid): v for vid, v in values}
        return row

    def matches(eid: int, e: Mapping[str, Any], data: Mapping[str, Any], key: str, value: Any) -> bool:
        op, name = split_operator(key)
        if op == "=" and key[:1] != "=":
            op = ""
        if name in ("ACTIVE", "CHECK_PERMISSIONS", "SHOW_NEW"):
            return True
        codes = {f.get("CODE"): fid for fid, f in data["FIELDS"].items() if f.get("CODE")}
        if name.startswith("PROPERTY_") and name[9:] in codes:
            name = codes[name[9:]]
        field = data["FIELDS"].get(name)
        if name == "ID":
            actual: Any = eid
            kind = "int"
        elif name in ("NAME", "CODE"):
            actual, kind = e.get(name), "istr"
        elif name in ("DATE_CREATE", "TIMESTAMP_X"):
            actual, kind = e.get(name), "date"
        elif name in ("CREATED_BY", "MODIFIED_BY", "IBLOCK_SECTION_ID", "SECTION_ID"):
            actual, kind = e.get("IBLOCK_SECTION_ID" if name == "SECTION_ID" else name), "int"
        elif field is not None and name.startswith("PROPERTY_"):
            actual = [v for _, v in e["PROPS"].get(name, [])]
            kind = "int" if field["TYPE"] in ("N", "L", "S:employee", "E", "E:EList", "G", "N:Sequence") else "str"
            if field["TYPE"] in ("S:Date", "S:DateTime"):
                kind = "date"
            if field["TYPE"] == "S:ECrm" and isinstance(value, str):
                value = store._crm(field, value) if value.strip() else value
            if not actual:
                actual = None
        else:
            return True  # unknown keys are dropped by sanitizeFilter
        if op == "":
            op = "=%" if kind in ("istr", "str") and isinstance(value, str) and "%" in value else "="
        if op == "*":
            op = "%"
        if op in ("><", "!><"):
            bounds = as_list(value)
            inside = len(bounds) == 2 and match_value(actual, ">=", bounds[0], kind) and match_value(
                actual, "<=", bounds[1], kind)
            return inside if op == "><" else not inside
        return match_value(actual, op, value, kind)

    def element_get(call: Call) -> MethodResult:
        p = params(call)
        iid, data = iblock(p)
        rows = store.elements(iid)
        if p.get("ELEMENT_ID") not in (None, ""):
            rows = [(i, e) for i, e in rows if str(i) == str(p["ELEMENT_ID"]).strip()]
        elif p.get("ELEMENT_CODE") not in (None, ""):
            rows = [(i, e) for i, e in rows if e["CODE"] == str(p["ELEMENT_CODE"])]
        flt = p.get("FILTER")
        if isinstance(flt, Mapping):
            for key, value in flt.items():
                rows = [(i, e) for i, e in rows if matches(i, e, data, str(key), value)]
        order = p.get("ELEMENT_ORDER")
        sortable = {"ID", "NAME", "SORT", "DATE_CREATE", "TIMESTAMP_X", "CREATED_BY", "MODIFIED_BY"} | {
            fid for fid, f in data["FIELDS"].items() if f["MULTIPLE"] != "Y" and f["TYPE"] not in NOT_SORTABLE}
        keys = [(str(k).upper(), str(v).lower().startswith("desc")) for k, v in order.items()
                if str(k).upper() in sortable and str(v).lower() in ("asc", "desc", "nulls,asc", "asc,nulls",
                                                                     "nulls,desc", "desc,nulls")] \
            if isinstance(order, Mapping) else []
        rows.sort(key=lambda r: r[0])
        for name, desc in reversed(keys or [("ID", False)]):
            def key(r: tuple[int, dict[str, Any]], n: str = name) -> Any:
                if n == "ID":
                    return (1, r[0])
                value = r[1]["PROPS"].get(n, [[0, None]])[0][1] if n.startswith("PROPERTY_") else r[1].get(n)
                if value in (None, ""):
                    return (0, "")
                text = str(value)
                return (1, float(text)) if text.replace(".", "", 1).lstrip("-").isdigit() else (2, text.lower())

            rows.sort(key=key, reverse=desc)
        select = [str(s).upper() for s in as_list(p.get("SELECT"))]
        views = []
        for i, e in rows:
            row = element_row(i, e, data)
            if select:
                row = {k: v for k, v in row.items() if k in select or k == "ID"}
            views.append(row)
        return _paged(views, p)

    def element_file_url(call: Call) -> list[str]:
        p = params(call)
        iid, data = iblock(p)
        require(p, "IBLOCK_CODE", "IBLOCK_ID", "ELEMENT_CODE", "ELEMENT_ID")
        if p.get("FIELD_ID") in (None, ""):
            raise _missing("FIELD_ID")
        found = element_find(iid, p)
        if found is None:
            raise BitrixError(400, "ERROR_ELEMENT_NOT_FOUND", "Element not found")
        field_id = str(p["FIELD_ID"])
        field_id = field_id if field_id.startswith("PROPERTY_") else f"PROPERTY_{field_id}"
        field = data["FIELDS"].get(field_id)
        if field is None or field["TYPE"] != "F":
            return []
        return [url for _, blob in found[1]["PROPS"].get(field_id, []) if (url := store.file_url(blob))]

    # ---- sections -------------------------------------------------------------------------------
    def section_add(call: Call) -> int:
        p = params(call)
        iid, _ = iblock(p)
        require(p, "IBLOCK_TYPE_ID", "IBLOCK_CODE", "IBLOCK_ID", "SECTION_CODE", fields=("NAME",))
        parent = php_int(p.get("IBLOCK_SECTION_ID"), 0) or None
        if parent is not None and portal.get_record(SECTION, parent) is None:
            raise BitrixError(400, "ERROR_ADD_SECTION", "Incorrect parent section!<br>")
        f = sub(p, "FIELDS")
        return portal.add_record(SECTION, {"IBLOCK_ID": iid, "CODE": str(p.get("SECTION_CODE") or ""),
                                           "NAME": str(f["NAME"]), "SORT": php_int(f.get("SORT"), 500) or 500,
                                           "IBLOCK_SECTION_ID": parent, "CREATED_BY": str(call.caller.user_id)})

    def section_find(iid: int, p: Mapping[str, Any]) -> tuple[int, dict[str, Any]]:
        require(p, "SECTION_ID", "SECTION_CODE")
        for sid, s in portal.records(SECTION):
            if s["IBLOCK_ID"] != iid:
                continue
            if (p.get("SECTION_ID") not in (None, "") and str(sid) == str(p["SECTION_ID"])) or (
                    p.get("SECTION_ID") in (None, "") and s["CODE"] == str(p.get("SECTION_CODE"))):
                return sid, s
        raise BitrixError(400, "ERROR_SECTION_NOT_FOUND", "Section not found")

    def section_view(sid: int, s: Mapping[str, Any]) -> dict[str, Any]:
        return {"ID": str(sid), "CODE": s["CODE"], "XML_ID": None, "IBLOCK_ID": str(s["IBLOCK_ID"]),
                "IBLOCK_SECTION_ID": None if s["IBLOCK_SECTION_ID"] is None else str(s["IBLOCK_SECTION_ID"]),
                "NAME": s["NAME"], "SORT": str(s["SORT"]), "ACTIVE": "Y", "CREATED_BY": s["CREATED_BY"]}

    def section_get(call: Call) -> MethodResult:
        p = params(call)
        iid, _ = iblock(p)
        rows = [(sid, s) for sid, s in portal.records(SECTION) if s["IBLOCK_ID"] == iid]
        flt = sub(p, "FILTER")
        for key in ("ID", "CODE", "NAME", "IBLOCK_SECTION_ID"):
            if flt.get(key) is not None:
                rows = [(sid, s) for sid, s in rows if str(sid if key == "ID" else s.get(key)) == str(flt[key])]
        return _paged([section_view(sid, s) for sid, s in rows], p)

    def section_update(call: Call) -> bool:
        p = params(call)
        iid, _ = iblock(p)
        sid, s = section_find(iid, p)
        f = sub(p, "FIELDS")
        if f.get("NAME") is not None:
            s["NAME"] = str(f["NAME"])
        if f.get("SORT") is not None:
            s["SORT"] = php_int(f["SORT"], 500)
        portal.put_record(SECTION, sid, s)
        return True

    def section_delete(call: Call) -> bool:
        p = params(call)
        iid, _ = iblock(p)
        sid, _ = section_find(iid, p)
        portal.delete_record(SECTION, sid)
        return True

    for name, handler in {
        "lists.get.iblock.type.id": type_id, "lists.add": lists_add, "lists.get": lists_get,
        "lists.update": lists_update, "lists.delete": lists_delete, "lists.field.add": field_add,
        "lists.field.get": field_get, "lists.field.update": field_update, "lists.field.delete": field_delete,
        "lists.field.type.get": field_types, "lists.element.add": element_add, "lists.element.get": element_get,
        "lists.element.update": element_update, "lists.element.delete": element_delete,
        "lists.element.get.file.url": element_file_url, "lists.section.add": section_add,
        "lists.section.get": section_get, "lists.section.update": section_update,
        "lists.section.delete": section_delete,
    }.items():
        reg.add(name, handler)
