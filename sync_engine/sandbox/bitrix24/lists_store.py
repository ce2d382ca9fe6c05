"""Universal lists (iblocks of type ``lists``/``lists_socnet``/``bitrix_processes``): lists, fields, values.

Kept as the lists module keeps them: a list has fields keyed by FIELD_ID (``NAME``, system fields
such as ``DATE_CREATE``, and ``PROPERTY_<id>`` for custom ones); an element's property values each
get their own value id, which is why ``lists.element.get`` answers ``PROPERTY_951: {"3743": "1269"}``.
Values come back in the site's formats (``31.12.2024``, ``31.12.2024 23:59:59``, ``1500|RUB``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from sync_engine.sandbox.bitrix24.envelope import BitrixError
from sync_engine.sandbox.bitrix24.files import FileProblem, LinkSigner, decode_file, is_file_value
from sync_engine.sandbox.bitrix24.phpquery import as_list, php_int
from sync_engine.sandbox.bitrix24.portal import Portal
from sync_engine.sandbox.bitrix24.userfields import CRM_ABBR
from sync_engine.sandbox.bitrix24.users import get_user
from sync_engine.sandbox.bitrix24.values import ValueProblem, parse_datetime, store_float

IBLOCK, ELEMENT, SECTION = "list_iblock", "list_element", "list_section"
IBLOCK_TYPES = ("lists", "bitrix_processes", "lists_socnet")
CUSTOM_TYPES: dict[str, str] = {
    "S": "String", "N": "Number", "L": "List", "F": "File", "G": "Binding to sections", "E": "Binding to elements",
    "S:Date": "Date", "S:DateTime": "Date/Time", "S:HTML": "HTML/text", "E:EList": "Binding to elements as a list",
    "N:Sequence": "Counter", "S:ECrm": "Binding to CRM elements", "S:Money": "Money", "S:DiskFile": "File (Disk)",
    "S:employee": "Binding to employee"}
SYSTEM_TYPES: dict[str, str] = {
    "SORT": "Sorting", "ACTIVE_FROM": "Start of activity", "ACTIVE_TO": "End of activity",
    "PREVIEW_PICTURE": "Preview image", "PREVIEW_TEXT": "Preview text", "DETAIL_PICTURE": "Detail image",
    "DETAIL_TEXT": "Detail text", "DATE_CREATE": "Creation date", "CREATED_BY": "Created by",
    "TIMESTAMP_X": "Modification date", "MODIFIED_BY": "Modified by"}
AUTO_FIELDS = {"DATE_CREATE", "CREATED_BY", "TIMESTAMP_X", "MODIFIED_BY"}
NOT_SORTABLE = {"S:Money", "PREVIEW_TEXT", "DETAIL_TEXT", "S:ECrm", "PREVIEW_PICTURE", "DETAIL_PICTURE",
                "S:DiskFile"}


def upper_keys(value: Any) -> Any:
    """Bitrix\\Lists\\Service\\Param upper-cases every key, however deep."""
    if isinstance(value, Mapping):
        return {str(k).upper(): upper_keys(v) for k, v in value.items()}
    if isinstance(value, list):
        return [upper_keys(v) for v in value]
    return value


def value_error(text: str) -> BitrixError:
    return BitrixError(400, "ERROR_ELEMENT_FIELD_VALUE", text)


def site_date(value: Any, with_time: bool) -> str:
    parsed = parse_datetime(value)
    return parsed.strftime("%d.%m.%Y %H:%M:%S" if with_time else "%d.%m.%Y")


class ListsStore:
    def __init__(self, portal: Portal, signer: LinkSigner) -> None:
        self.portal = portal
        self.signer = signer

    # ---- lookups ----------------------------------------------------------------------------------
    def find_iblock(self, p: Mapping[str, Any]) -> tuple[int, dict[str, Any]] | None:
        type_id = str(p.get("IBLOCK_TYPE_ID") or "")
        wanted_id, wanted_code = p.get("IBLOCK_ID"), p.get("IBLOCK_CODE")
        for iid, data in self.portal.records(IBLOCK):
            if data["IBLOCK_TYPE_ID"] != type_id:
                continue
            if wanted_id not in (None, "") and str(iid) == str(wanted_id).strip():
                return iid, data
            if wanted_id in (None, "") and wanted_code not in (None, "") and data["CODE"] == str(wanted_code):
                return iid, data
        return None

    def elements(self, iblock_id: int) -> list[tuple[int, dict[str, Any]]]:
        return [(i, d) for i, d in self.portal.records(ELEMENT) if d["IBLOCK_ID"] == iblock_id]

    # ---- fields -----------------------------------------------------------------------------------
    @staticmethod
    def name_field() -> dict[str, Any]:
        return {"FIELD_ID": "NAME", "SORT": 10, "NAME": "Название", "IS_REQUIRED": "Y", "MULTIPLE": "N",
                "DEFAULT_VALUE": "", "TYPE": "NAME", "PROPERTY_TYPE": False, "PROPERTY_USER_TYPE": False,
                "CODE": None, "ID": None, "LINK_IBLOCK_ID": None, "ROW_COUNT": "1", "COL_COUNT": "30",
                "USER_TYPE_SETTINGS": None, "SETTINGS": _settings(None)}

    def field_view(self, field: Mapping[str, Any]) -> dict[str, Any]:
        out = {k: v for k, v in field.items() if k not in ("ENUMS",)}
        if field["TYPE"] == "L":
            out["DISPLAY_VALUES_FORM"] = {str(e["ID"]): e["VALUE"] for e in field.get("ENUMS", [])}
        return out

    def build_field(self, iblock: dict[str, Any], f: Mapping[str, Any], existing: dict[str, Any] | None
                    ) -> dict[str, Any]:
        """A field definition from lists.field.add/update input (``existing`` when updating)."""
        old = existing or {}
        error = "ERROR_SAVE_FIELD" if existing is None else "ERROR_UPDATE_FIELD"
        general = BitrixError(400, error, "Error saving the field" if existing is None else "Error updating the field")

        def given(key: str) -> Any:
            value = f.get(key, old.get(key))
            if isinstance(value, list | dict) and key not in ("LIST", "SETTINGS", "USER_TYPE_SETTINGS"):
                raise general
            return value

        kind = str(old.get("TYPE") or given("TYPE") or "")
        if kind not in CUSTOM_TYPES and kind not in SYSTEM_TYPES:
            raise general
        system = kind in SYSTEM_TYPES
        name = given("NAME")
        if name in (None, ""):
            raise BitrixError(400, "ERROR_REQUIRED_PARAMETERS_MISSING", 'Required parameter "NAME" is missing')
        code = None if system else given("CODE")
        if not system and code in (None, ""):
            raise BitrixError(400, error, "Please fill the code fields")
        if not system and not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", str(code)):
            raise general
        if existing is None and any((system and fid == kind) or (not system and fd.get("CODE") == str(code))
                                    for fid, fd in iblock["FIELDS"].items()):
            raise BitrixError(400, error, "Property already exists")
        link = given("LINK_IBLOCK_ID")
        if kind in ("E", "E:EList", "G") and self.portal.get_record(IBLOCK, php_int(link, 0)) is None:
            raise general
        settings = _settings(old.get("SETTINGS"))
        if isinstance(f.get("SETTINGS"), Mapping):
            settings.update({str(k): "Y" if str(v).upper() == "Y" else "N" for k, v in f["SETTINGS"].items()})
        default = given("DEFAULT_VALUE")
        if settings.get("ADD_READ_ONLY_FIELD") == "Y" and default in (None, ""):
            raise BitrixError(400, error, f"The default value of the field '{name}' is required")
        uts = given("USER_TYPE_SETTINGS")
        if kind == "S:ECrm":
            chosen = uts if isinstance(uts, Mapping) else {}
            uts = {k: "Y" if str(chosen.get(k, "N")).upper() == "Y" else "N"
                   for k in ("VISIBLE", "LEAD", "CONTACT", "COMPANY", "DEAL")}
        elif kind == "N:Sequence":
            chosen = uts if isinstance(uts, Mapping) else {}
            current = chosen.get("current_value", chosen.get("VALUE", 1))
            uts = {"write": "Y" if str(chosen.get("WRITE", "N")).upper() == "Y" else "N",
                   "current_value": max(php_int(current, 1), 1)}
        elif not isinstance(uts, Mapping):
            uts = None
        prop_type, _, user_type = kind.partition(":")
        flag = lambda key: "Y" if str(given(key) or "N").upper() == "Y" else "N"  # noqa: E731
        field: dict[str, Any] = {
            "FIELD_ID": old.get("FIELD_ID") or kind, "SORT": php_int(given("SORT"), 500) or 500, "NAME": str(name),
            "IS_REQUIRED": flag("IS_REQUIRED"), "MULTIPLE": "N" if system else flag("MULTIPLE"),
            "DEFAULT_VALUE": "" if default is None else default, "TYPE": kind,
            "PROPERTY_TYPE": False if system else prop_type,
            "PROPERTY_USER_TYPE": False if system or not user_type else {"USER_TYPE": user_type},
            "CODE": None if system else str(code), "ID": old.get("ID"),
            "LINK_IBLOCK_ID": None if link in (None, "") else str(php_int(link, 0)),
            "ROW_COUNT": str(php_int(given("ROW_COUNT"), 1) or 1),
            "COL_COUNT": str(php_int(given("COL_COUNT"), 30) or 30),
            "USER_TYPE_SETTINGS": uts, "SETTINGS": settings, "ENUMS": list(old.get("ENUMS", [])),
        }
        if kind == "L":
            self._enums(field, f)
        return field

    def _enums(self, field: dict[str, Any], f: Mapping[str, Any]) -> None:
        enums: list[dict[str, Any]] = field["ENUMS"]
        items = f.get("LIST")
        if isinstance(items, Mapping):
            for key, item in items.items():
                if not isinstance(item, Mapping) or item.get("VALUE") in (None, "") or isinstance(
                        item.get("VALUE"), list | dict):
                    continue
                current = next((e for e in enums if str(e["ID"]) == str(key)), None)
                if current is not None:
                    if str(item.get("DEL", "")).upper() == "Y":
                        enums.remove(current)
                    else:
                        current.update({"VALUE": str(item["VALUE"]), "SORT": php_int(item.get("SORT"), 500)})
                    continue
                enums.append({"ID": self.portal.next_id("list_enum"), "VALUE": str(item["VALUE"]),
                              "SORT": php_int(item.get("SORT"), 500) or 500,
                              "DEF": "Y" if str(item.get("DEF", "N")).upper() == "Y" else "N"})
        elif items not in (None, ""):
            raise BitrixError(400, "ERROR_SAVE_FIELD", f"Incorrect lists specified for '{field['NAME']}' property")
        text = f.get("LIST_TEXT_VALUES")
        if isinstance(text, str):
            for line in text.splitlines():
                if line.strip():
                    enums.append({"ID": self.portal.next_id("list_enum"), "VALUE": line.strip(), "SORT": 500,
                                  "DEF": "N"})
        enums.sort(key=lambda e: (e["SORT"], e["ID"]))

    # ---- element values ---------------------------------------------------------------------------
    def property_values(self, field: Mapping[str, Any], raw: Any, iblock_id: int, element_id: int | None,
                        user_id: int) -> list[str]:
        kind = field["TYPE"]
        if raw is None or raw == "" or raw == [] or raw == {}:
            values: list[Any] = []
        elif kind in ("F",) and is_file_value(raw):
            values = [raw]
        elif isinstance(raw, Mapping) and kind == "S:HTML" and ("TEXT" in raw or "TYPE" in raw):
            values = [raw.get("TEXT", "")]
        else:
            values = as_list(raw) if isinstance(raw, list | dict) else [raw]
        values = [v for v in values if v not in (None, "")]
        if field["MULTIPLE"] != "Y":
            values = values[:1]
        out = [self._one(field, v, iblock_id, user_id) for v in values]
        if kind == "N:Sequence" and not out and element_id is None:
            settings = field.get("USER_TYPE_SETTINGS") or {}
            counter = int(settings.get("current_value", 1))
            out = [str(counter)]
            settings["current_value"] = counter + 1
        return out

    def _one(self, field: Mapping[str, Any], v: Any, iblock_id: int, user_id: int) -> str:
        kind, name = field["TYPE"], field["NAME"]
        wrong = value_error(f'Value of the "{name}" field is not correct')
        if kind in ("N", "N:Sequence"):
            text = str(v).replace(",", ".").replace(" ", "")
            try:
                number = float(text)
            except ValueError:
                raise wrong from None
            return str(int(number)) if number.is_integer() else str(number)
        if kind == "L":
            if str(v) not in {str(e["ID"]) for e in field.get("ENUMS", [])}:
                raise wrong
            return str(v)
        if kind in ("S:Date", "S:DateTime"):
            try:
                return site_date(v, kind == "S:DateTime")
            except ValueProblem:
                raise wrong from None
        if kind == "S:Money":
            amount, _, currency = str(v).partition("|")
            try:
                value = store_float(amount)
            except ValueProblem:
                raise wrong from None
            return f"{int(value) if value.is_integer() else value}|{(currency or 'RUB').strip().upper()}"
        if kind == "S:employee":
            if get_user(self.portal, v) is None:
                raise wrong
            return str(php_int(v))
        if kind == "S:ECrm":
            return self._crm(field, v)
        if kind in ("E", "E:EList"):
            target = self.portal.get_record(ELEMENT, int(str(v))) if str(v).isdigit() else None
            if target is None or str(target["IBLOCK_ID"]) != str(field["LINK_IBLOCK_ID"]):
                raise wrong
            return str(php_int(v))
        if kind == "G":
            if not str(v).isdigit() or self.portal.get_record(SECTION, int(str(v))) is None:
                raise wrong
            return str(v)
        if kind == "F":
            if not is_file_value(v):
                raise value_error("Writing file values by ID is not supported")
            try:
                content = decode_file(v)
            except FileProblem as exc:
                raise value_error(f'Value of the "{name}" field is not correct ({exc})') from exc
            return str(self.portal.add_blob(content.name, content.data, content.content_type))
        if kind == "S:DiskFile":
            text = str(v).lstrip("n")
            if not text.isdigit():
                raise wrong
            return text
        if isinstance(v, dict | list):
            raise wrong
        return str(v)

    @staticmethod
    def _crm(field: Mapping[str, Any], v: Any) -> str:
        settings = field.get("USER_TYPE_SETTINGS") or {}
        enabled = [t for t in ("LEAD", "CONTACT", "COMPANY", "DEAL") if settings.get(t) == "Y"] or ["LEAD"]
        text = str(v).strip().upper()
        prefix, sep, rest = text.rpartition("_")
        if sep and rest.isdigit():
            if not any(CRM_ABBR[t] == prefix for t in enabled):
                raise value_error(f'Value of the "{field["NAME"]}" field is not correct')
            return rest if len(enabled) == 1 else f"{prefix}_{rest}"
        if text.isdigit() and len(enabled) == 1:
            return text
        raise value_error(f'Value of the "{field["NAME"]}" field is not correct')

    def file_url(self, blob_id: str) -> str | None:
        stored = self.portal.blob(int(blob_id)) if str(blob_id).isdigit() else None
        return None if stored is None else self.signer.blob_url(int(blob_id), stored[0])


def _settings(current: Mapping[str, Any] | None) -> dict[str, str]:
    base = {"SHOW_ADD_FORM": "Y", "SHOW_EDIT_FORM": "Y", "ADD_READ_ONLY_FIELD": "N", "EDIT_READ_ONLY_FIELD": "N",
            "SHOW_FIELD_PREVIEW": "N"}
    if isinstance(current, Mapping):
        base.update({str(k): str(v) for k, v in current.items()})
    return base
