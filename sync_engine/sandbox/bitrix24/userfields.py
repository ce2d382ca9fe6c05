"""Portal user fields (``UF_CRM_*``): definitions, enumeration items, and their storage columns.

A user field becomes a real, indexed column of the entity table (``ALTER TABLE``) so filters on it run
in SQL like filters on core fields.
"""

from __future__ import annotations

import json
import re
import sqlite3
from collections.abc import Mapping
from typing import Any

from sync_engine.sandbox.bitrix24.envelope import BitrixError, legacy_error
from sync_engine.sandbox.bitrix24.phpquery import as_list, ci_get, php_int
from sync_engine.sandbox.bitrix24.schema import FieldDef
from sync_engine.sandbox.bitrix24.values import ValueProblem

UF_TYPES = ("string", "integer", "double", "boolean", "date", "datetime", "enumeration", "employee", "money",
            "crm", "url", "address", "file", "crm_status", "iblock_section", "iblock_element")
_LABEL_KEYS = ("EDIT_FORM_LABEL", "LIST_COLUMN_LABEL", "LIST_FILTER_LABEL", "ERROR_MESSAGE", "HELP_MESSAGE")
_NAME_RE = re.compile(r"^[A-Z0-9_]+$")
CRM_ABBR = {"DEAL": "D", "CONTACT": "C", "COMPANY": "CO", "LEAD": "L"}


def _label_text(value: Any) -> str:
    if isinstance(value, Mapping):
        for lang in ("ru", "en"):
            if lang in value:
                return str(value[lang])
        return str(next(iter(value.values()), ""))
    return "" if value is None else str(value)


def _yn(value: Any, default: str = "N") -> str:
    if value is None or value == "":
        return default
    return "Y" if str(value).strip().upper() in ("Y", "1", "TRUE") or value is True else "N"


def crm_enabled_types(settings: Mapping[str, Any]) -> list[str]:
    return [t for t in ("LEAD", "CONTACT", "COMPANY", "DEAL") if _yn(settings.get(t)) == "Y"] or ["LEAD"]


def crm_reference(settings: Mapping[str, Any], value: Any) -> str:
    """``crm`` UF value: the bare ID when one entity type is allowed, ``CO_3``-style when several."""
    enabled = crm_enabled_types(settings)
    text = str(value).strip().upper()
    prefix, sep, rest = text.rpartition("_")
    if sep and rest.isdigit():
        if not any(CRM_ABBR[t] == prefix for t in enabled):
            allowed = ", ".join(enabled)
            raise ValueProblem(f"'{value}' does not point to an allowed entity type ({allowed})")
        return rest if len(enabled) == 1 else f"{prefix}_{rest}"
    if text.isdigit() and len(enabled) == 1:
        return text
    raise ValueProblem(f"'{value}' is not a CRM reference like CO_3")


class UserFields:
    """Registry of user fields per ``ENTITY_ID`` (``CRM_DEAL`` ...); tables maps ENTITY_ID -> SQL table."""

    def __init__(self, conn: sqlite3.Connection, tables: dict[str, str | None]) -> None:
        """``tables`` maps ENTITY_ID to the SQL table whose column holds the values; None means the
        entity keeps its values elsewhere (users keep them in their JSON record)."""
        self.conn = conn
        self.tables = tables
        self._cache: dict[str, list[FieldDef]] = {}
        conn.executescript(
            """
            CREATE TABLE IF NOT EXISTS userfields (
                ID INTEGER PRIMARY KEY AUTOINCREMENT, ENTITY_ID TEXT NOT NULL, FIELD_NAME TEXT NOT NULL,
                USER_TYPE_ID TEXT NOT NULL, XML_ID TEXT, SORT INTEGER, MULTIPLE TEXT, MANDATORY TEXT,
                SHOW_FILTER TEXT, SHOW_IN_LIST TEXT, EDIT_IN_LIST TEXT, IS_SEARCHABLE TEXT,
                SETTINGS TEXT, LABELS TEXT, UNIQUE (ENTITY_ID, FIELD_NAME));
            CREATE TABLE IF NOT EXISTS uf_enums (
                ID INTEGER PRIMARY KEY AUTOINCREMENT, FIELD_ID INTEGER NOT NULL, VALUE TEXT, DEF TEXT,
                SORT INTEGER, XML_ID TEXT);
            """
        )

    def invalidate(self) -> None:
        self._cache.clear()

    def defs(self, entity_id: str | None) -> list[FieldDef]:
        if entity_id is None:
            return []
        if entity_id not in self._cache:
            self._cache[entity_id] = [self._to_def(row) for row in self._rows(entity_id)]
        return self._cache[entity_id]

    def _rows(self, entity_id: str) -> list[sqlite3.Row]:
        return self.conn.execute(
            "SELECT * FROM userfields WHERE ENTITY_ID = ? ORDER BY SORT, ID", (entity_id,)
        ).fetchall()

    def _items(self, field_id: int) -> list[dict[str, str]]:
        rows = self.conn.execute(
            "SELECT ID, VALUE, DEF, SORT, XML_ID FROM uf_enums WHERE FIELD_ID = ? ORDER BY SORT, ID",
            (field_id,)
        ).fetchall()
        return [{"ID": str(r["ID"]), "SORT": str(r["SORT"]), "VALUE": r["VALUE"], "DEF": r["DEF"],
                 "XML_ID": r["XML_ID"]} for r in rows]

    def _to_def(self, row: sqlite3.Row) -> FieldDef:
        labels = json.loads(row["LABELS"] or "{}")
        settings = json.loads(row["SETTINGS"] or "{}")
        return FieldDef(
            row["FIELD_NAME"], row["USER_TYPE_ID"], row["FIELD_NAME"], required=row["MANDATORY"] == "Y",
            multiple=row["MULTIPLE"] == "Y", uf=True, uf_id=row["ID"], labels=labels, settings=settings,
            items=self._items(row["ID"]) if row["USER_TYPE_ID"] == "enumeration" else [],
        )

    def add(self, entity_id: str, fields: Any, prefix: str = "UF_CRM_") -> int:
        if not isinstance(fields, Mapping):
            raise legacy_error("Parameter 'fields' must be array.")
        raw_name = ci_get(fields, "FIELD_NAME")
        if raw_name in (None, ""):
            raise legacy_error("The 'FIELD_NAME' field is not found.")
        type_id = ci_get(fields, "USER_TYPE_ID")
        if type_id in (None, ""):
            raise legacy_error("The 'USER_TYPE_ID' field is not found.")
        type_id = str(type_id).strip().lower()
        if type_id not in UF_TYPES:
            raise BitrixError(400, "ERROR_CORE", f"Unknown user field type '{type_id}'")
        name = str(raw_name).strip().upper()
        if name.startswith(prefix):
            pass
        elif name.startswith("UF_CRM_"):
            name = prefix + name[len("UF_CRM_"):]
        elif name.startswith("UF_"):
            name = prefix + name[3:]
        else:
            name = prefix + name
        if not _NAME_RE.match(name) or len(name) > 50:
            raise BitrixError(400, "ERROR_CORE",
                              "Field name may contain only A-Z, 0-9 and _ and be at most 50 characters long")
        if self.conn.execute("SELECT 1 FROM userfields WHERE ENTITY_ID=? AND FIELD_NAME=?",
                             (entity_id, name)).fetchone():
            # CUserTypeEntity::Add's wording (USER_TYPE_ADD_ALREADY_ERROR), the same for every entity
            raise BitrixError(400, "ERROR_CORE", f"Field {name} for {entity_id} object already exists")
        multiple = _yn(ci_get(fields, "MULTIPLE"))
        if type_id == "boolean":
            multiple = "N"
        label = ci_get(fields, "LABEL")
        labels = {key: _label_text(ci_get(fields, key, label)) for key in _LABEL_KEYS}
        settings = ci_get(fields, "SETTINGS") or {}
        if not isinstance(settings, Mapping):
            settings = {}
        settings = dict(settings)
        if type_id == "crm":
            settings = {t: _yn(settings.get(t)) for t in ("LEAD", "CONTACT", "COMPANY", "DEAL")}
            if "Y" not in settings.values():
                settings["LEAD"] = "Y"
        if type_id == "string":
            settings = {"SIZE": 20, "ROWS": 1, "REGEXP": "", "MIN_LENGTH": 0, "MAX_LENGTH": 0,
                        "DEFAULT_VALUE": "", **settings}
        items = as_list(ci_get(fields, "LIST")) if type_id == "enumeration" else []
        xml_ids = [str(ci_get(i, "XML_ID")) for i in items if isinstance(i, Mapping) and ci_get(i, "XML_ID")]
        if len(xml_ids) != len(set(xml_ids)):
            raise BitrixError(400, "ERROR_CORE", "Enumeration items have duplicate XML_ID")
        if entity_id not in self.tables:
            raise BitrixError(400, "ERROR_CORE", f"Entity {entity_id} has no user fields")
        table = self.tables[entity_id]
        cur = self.conn.execute(
            "INSERT INTO userfields (ENTITY_ID, FIELD_NAME, USER_TYPE_ID, XML_ID, SORT, MULTIPLE, MANDATORY,"
            " SHOW_FILTER, SHOW_IN_LIST, EDIT_IN_LIST, IS_SEARCHABLE, SETTINGS, LABELS)"
            " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
            (entity_id, name, type_id, ci_get(fields, "XML_ID"), php_int(ci_get(fields, "SORT"), 0) or 100,
             multiple,
             _yn(ci_get(fields, "MANDATORY")), _yn(ci_get(fields, "SHOW_FILTER")),
             _yn(ci_get(fields, "SHOW_IN_LIST"), "Y"), _yn(ci_get(fields, "EDIT_IN_LIST"), "Y"),
             _yn(ci_get(fields, "IS_SEARCHABLE")), json.dumps(settings, ensure_ascii=False),
             json.dumps(labels, ensure_ascii=False)),
        )
        field_id = int(cur.lastrowid or 0)
        for n, item in enumerate(items):
            if not isinstance(item, Mapping):
                item = {"VALUE": item}
            self.conn.execute(
                "INSERT INTO uf_enums (FIELD_ID, VALUE, DEF, SORT, XML_ID) VALUES (?,?,?,?,?)",
                (field_id, str(ci_get(item, "VALUE", "")), _yn(ci_get(item, "DEF")),
                 php_int(ci_get(item, "SORT"), 0) or (n + 1) * 10, ci_get(item, "XML_ID")),
            )
        if table is not None:
            sql_type = "TEXT" if multiple == "Y" else self._to_def(self._row(field_id)).sql_type
            self.conn.execute(f'ALTER TABLE {table} ADD COLUMN "{name}" {sql_type}')
            self.conn.execute(f'CREATE INDEX IF NOT EXISTS "ix_{table}_{name}" ON {table} ("{name}")')
        self.invalidate()
        return field_id

    def update(self, entity_id: str, field_id: int, fields: Any) -> None:
        """Labels, flags, settings and enumeration items change; name, type and MULTIPLE are fixed."""
        if not isinstance(fields, Mapping):
            raise legacy_error("Parameter 'fields' must be array.")
        row = self._row(field_id)
        if row["ENTITY_ID"] != entity_id:
            raise legacy_error("Not found")
        sets: dict[str, Any] = {}
        for flag in ("MANDATORY", "SHOW_FILTER", "SHOW_IN_LIST", "EDIT_IN_LIST", "IS_SEARCHABLE"):
            if ci_get(fields, flag) is not None:
                sets[flag] = _yn(ci_get(fields, flag))
        if ci_get(fields, "SORT") is not None:
            sets["SORT"] = php_int(ci_get(fields, "SORT"), 100)
        if ci_get(fields, "XML_ID") is not None:
            sets["XML_ID"] = str(ci_get(fields, "XML_ID"))
        settings = ci_get(fields, "SETTINGS")
        if isinstance(settings, Mapping):
            sets["SETTINGS"] = json.dumps({**json.loads(row["SETTINGS"] or "{}"), **settings},
                                          ensure_ascii=False)
        labels = json.loads(row["LABELS"] or "{}")
        label = ci_get(fields, "LABEL")
        for key in _LABEL_KEYS:
            value = ci_get(fields, key, label)
            if value is not None:
                labels[key] = _label_text(value)
        sets["LABELS"] = json.dumps(labels, ensure_ascii=False)
        assignments = ", ".join(f"{k} = ?" for k in sets)
        self.conn.execute(f"UPDATE userfields SET {assignments} WHERE ID = ?", (*sets.values(), field_id))
        if row["USER_TYPE_ID"] == "enumeration":
            for n, item in enumerate(as_list(ci_get(fields, "LIST"))):
                if not isinstance(item, Mapping):
                    continue
                item_id = php_int(ci_get(item, "ID"), 0)
                if item_id and _yn(ci_get(item, "DEL")) == "Y":
                    self.conn.execute("DELETE FROM uf_enums WHERE ID = ? AND FIELD_ID = ?",
                                      (item_id, field_id))
                elif item_id:
                    default = ci_get(item, "DEF")
                    sort = ci_get(item, "SORT")
                    self.conn.execute(
                        "UPDATE uf_enums SET VALUE = COALESCE(?, VALUE), DEF = COALESCE(?, DEF),"
                        " SORT = COALESCE(?, SORT), XML_ID = COALESCE(?, XML_ID)"
                        " WHERE ID = ? AND FIELD_ID = ?",
                        (ci_get(item, "VALUE"), None if default is None else _yn(default),
                         None if sort is None else php_int(sort, 500), ci_get(item, "XML_ID"),
                         item_id, field_id))
                elif ci_get(item, "VALUE") not in (None, ""):
                    self.conn.execute(
                        "INSERT INTO uf_enums (FIELD_ID, VALUE, DEF, SORT, XML_ID) VALUES (?,?,?,?,?)",
                        (field_id, str(ci_get(item, "VALUE")), _yn(ci_get(item, "DEF")),
                         php_int(ci_get(item, "SORT"), 0) or 500 + n, ci_get(item, "XML_ID")))
        self.invalidate()

    def delete(self, entity_id: str, field_id: int) -> None:
        row = self._row(field_id)
        if row["ENTITY_ID"] != entity_id:
            raise legacy_error("Not found")
        table = self.tables.get(entity_id)
        name = row["FIELD_NAME"]
        if table is not None:
            self.conn.execute(f'DROP INDEX IF EXISTS "ix_{table}_{name}"')
            self.conn.execute(f'ALTER TABLE {table} DROP COLUMN "{name}"')
        self.conn.execute("DELETE FROM uf_enums WHERE FIELD_ID = ?", (field_id,))
        self.conn.execute("DELETE FROM userfields WHERE ID = ?", (field_id,))
        self.invalidate()

    def _row(self, field_id: int) -> sqlite3.Row:
        row = self.conn.execute("SELECT * FROM userfields WHERE ID = ?", (field_id,)).fetchone()
        if row is None:
            raise legacy_error("Not found")
        return row

    def describe(self, row: sqlite3.Row) -> dict[str, Any]:
        labels = json.loads(row["LABELS"] or "{}")
        out: dict[str, Any] = {
            "ID": str(row["ID"]), "ENTITY_ID": row["ENTITY_ID"], "FIELD_NAME": row["FIELD_NAME"],
            "USER_TYPE_ID": row["USER_TYPE_ID"], "XML_ID": row["XML_ID"], "SORT": str(row["SORT"]),
            "MULTIPLE": row["MULTIPLE"], "MANDATORY": row["MANDATORY"], "SHOW_FILTER": row["SHOW_FILTER"],
            "SHOW_IN_LIST": row["SHOW_IN_LIST"], "EDIT_IN_LIST": row["EDIT_IN_LIST"],
            "IS_SEARCHABLE": row["IS_SEARCHABLE"], "SETTINGS": json.loads(row["SETTINGS"] or "{}"),
        }
        out.update({key: labels.get(key, "") for key in _LABEL_KEYS})
        if row["USER_TYPE_ID"] == "enumeration":
            out["LIST"] = self._items(row["ID"])
        return out

    def list(self, entity_id: str, flt: Any) -> list[dict[str, Any]]:
        rows = [self.describe(r) for r in self._rows(entity_id)]
        if isinstance(flt, Mapping):
            for key, value in flt.items():
                k = str(key).upper()
                if k == "LANG":
                    continue
                rows = [r for r in rows if k in r and str(r[k]) == str(value)]
        return rows

    def get(self, entity_id: str, field_id: Any) -> dict[str, Any]:
        row = self.conn.execute("SELECT * FROM userfields WHERE ID = ? AND ENTITY_ID = ?",
                                (field_id, entity_id)).fetchone()
        if row is None:
            raise legacy_error("Not found")
        return self.describe(row)
