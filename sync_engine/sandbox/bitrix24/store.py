"""SQLite storage of CRM entities with typed columns, multifields and user-field columns.

Legacy (``crm.deal.*``) and universal (``crm.item.*``) methods share these rows; only the view
differs (strings and UPPER_CASE vs native values and camelCase).
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Mapping
from typing import Any

from sync_engine.sandbox.bitrix24.envelope import legacy_error
from sync_engine.sandbox.bitrix24.files import FileProblem, decode_file, is_file_value
from sync_engine.sandbox.bitrix24.phpquery import as_list, ci_get
from sync_engine.sandbox.bitrix24.query import FilterCompiler, compile_order, quote
from sync_engine.sandbox.bitrix24.schema import EntityKind, FieldDef, camel_name
from sync_engine.sandbox.bitrix24.userfields import UserFields, crm_reference
from sync_engine.sandbox.bitrix24.values import (
    ValueProblem,
    money_text,
    now_iso,
    number_native,
    store_bool01,
    store_date,
    store_datetime,
    store_float,
    store_int,
    store_yn,
)

PAGE = 50
# Per-kind defaults applied on add (what a portal fills in when the client leaves a field out).
DEFAULTS: dict[str, dict[str, Any]] = {
    "deal": {"CATEGORY_ID": 0, "TYPE_ID": "SALE", "CURRENCY_ID": "RUB", "OPPORTUNITY": 0.0, "OPENED": "Y",
             "IS_NEW": "Y", "IS_RECURRING": "N", "IS_RETURN_CUSTOMER": "N", "IS_REPEATED_APPROACH": "N",
             "IS_MANUAL_OPPORTUNITY": "N", "TAX_VALUE": 0.0, "SOURCE_ID": "WEB"},
    "contact": {"TYPE_ID": "CLIENT", "OPENED": "Y", "EXPORT": "Y", "HAS_PHONE": "N", "HAS_EMAIL": "N",
                "SOURCE_ID": "SELF"},
    "company": {"COMPANY_TYPE": "CUSTOMER", "CURRENCY_ID": "RUB", "OPENED": "Y", "IS_MY_COMPANY": "N",
                "HAS_PHONE": "N", "HAS_EMAIL": "N", "REVENUE": 0.0},
    "lead": {"OPENED": "Y", "CURRENCY_ID": "RUB", "OPPORTUNITY": 0.0, "SOURCE_ID": "WEB", "HAS_PHONE": "N",
             "HAS_EMAIL": "N", "IS_RETURN_CUSTOMER": "N", "IS_MANUAL_OPPORTUNITY": "N"},
    "product": {"ACTIVE": "Y", "CURRENCY_ID": "RUB", "CATALOG_ID": 25, "SORT": 500, "VAT_INCLUDED": "Y",
                "DESCRIPTION_TYPE": "text", "MEASURE": 9, "PRICE": 0.0},
}
SPA_DEFAULTS: dict[str, Any] = {"OPENED": "Y", "CURRENCY_ID": "RUB", "OPPORTUNITY": 0.0,
                                "IS_MANUAL_OPPORTUNITY": "N"}

# (category_id) -> ordered [(STATUS_ID, semantics None|"S"|"F")]
StageLookup = Callable[[str, int], list[tuple[str, str | None]]]


class EntityStore:
    def __init__(self, conn: sqlite3.Connection, kind: EntityKind, ufs: UserFields,
                 stages: StageLookup) -> None:
        self.conn = conn
        self.kind = kind
        self.ufs = ufs
        self.stages = stages
        self.default_category = 0
        # Signed link to a stored file (set by the twin, which knows its URL); file user fields need it.
        self.file_link: Callable[[int, str], str] | None = None
        self.create_table()

    # ---- schema -------------------------------------------------------------------------------
    def create_table(self) -> None:
        cols = ['"ID" INTEGER PRIMARY KEY AUTOINCREMENT']
        for f in self.kind.core:
            if f.name == "ID" or f.type == "crm_multifield":
                continue
            cols.append(f"{quote(f.name)} {f.sql_type}")
        self.conn.execute(f"CREATE TABLE IF NOT EXISTS {self.kind.table} ({', '.join(cols)})")
        existing = {r[1] for r in self.conn.execute(f"PRAGMA table_info({self.kind.table})")}
        for index_col in ("DATE_MODIFY", "TIMESTAMP_X", "UPDATED_TIME", "STAGE_ID", "STATUS_ID",
                          "CATEGORY_ID", "COMPANY_ID", "ASSIGNED_BY_ID", "XML_ID", "TITLE", "NAME",
                          "LAST_NAME", "ORIGIN_ID"):
            if index_col in existing:
                self.conn.execute(f'CREATE INDEX IF NOT EXISTS "ix_{self.kind.table}_{index_col}" '
                                  f'ON {self.kind.table} ("{index_col}")')

    def fields(self) -> dict[str, FieldDef]:
        out = self.kind.core_map()
        for f in self.ufs.defs(self.kind.uf_entity_id):
            out[f.name] = f
        return out

    def resolve(self, name: str) -> FieldDef | None:
        return self.fields().get(name.strip().upper())

    def camel_map(self) -> dict[str, FieldDef]:
        return {self.camel(f.name): f for f in self.fields().values()}

    def camel(self, name: str) -> str:
        return self.kind.camel_overrides.get(name) or camel_name(name, self.kind.uf_prefix)

    def resolve_camel(self, name: str) -> FieldDef | None:
        by_camel = {k.lower(): f for k, f in self.camel_map().items()}
        return by_camel.get(name.strip().lower()) or self.resolve(name)

    # ---- value conversion -----------------------------------------------------------------------
    def _file(self, value: Any) -> int | None:
        """A ``file`` user field value: ``[name, base64]`` / ``{"fileData": [...]}`` stores a new file,
        ``{"id": n}`` (or ``n``) keeps a file the field already has, ``""`` clears it."""
        if value in (None, "", [], {}):
            return None
        if is_file_value(value):
            try:
                content = decode_file(value)
            except FileProblem as exc:
                raise ValueProblem(str(exc)) from exc
            cur = self.conn.execute("INSERT INTO blobs (NAME, CONTENT_TYPE, DATA) VALUES (?, ?, ?)",
                                    (content.name, content.content_type, content.data))
            return int(cur.lastrowid or 0)
        raw = ci_get(value, "id") if isinstance(value, Mapping) else value
        if isinstance(raw, list | dict) or not str(raw).strip().isdigit():
            raise ValueProblem("a file must be given as [file name, base64 content] or {\"id\": <file id>}")
        if self.conn.execute("SELECT 1 FROM blobs WHERE ID = ?", (int(str(raw)),)).fetchone() is None:
            raise ValueProblem(f"file {raw} does not exist")
        return int(str(raw))

    def file_view(self, blob_id: Any, *, item: bool) -> dict[str, Any] | None:
        if blob_id in (None, ""):
            return None
        row = self.conn.execute("SELECT NAME FROM blobs WHERE ID = ?", (int(blob_id),)).fetchone()
        if row is None:
            return None
        url = self.file_link(int(blob_id), str(row[0])) if self.file_link else ""
        if item:
            return {"id": int(blob_id), "url": url, "urlMachine": url}
        return {"id": int(blob_id), "showUrl": url, "downloadUrl": url}

    def _one(self, f: FieldDef, value: Any) -> Any:
        if f.type == "file":
            return self._file(value)
        kind = "int" if f.type in ("integer", "user", "employee", "enumeration", "crm_company", "crm_contact",
                                   "crm_lead", "crm_quote", "crm_category") else f.storage
        if value is None or (isinstance(value, str) and value == "" and kind not in ("text",)):
            return None
        if kind == "int":
            number = store_int(value)
            if f.type == "enumeration" and f.items and str(number) not in {i["ID"] for i in f.items}:
                raise ValueProblem(f"'{value}' is not an item of the list")
            return number
        if kind == "float":
            return store_float(value)
        if kind == "yn":
            return store_yn(value)
        if kind == "bool01":
            return store_bool01(value)
        if kind == "datetime":
            return store_datetime(value)
        if kind == "date":
            return store_date(value)
        if f.type == "crm":
            return crm_reference(f.settings, value)
        if f.type == "money":
            text = str(value)
            amount, _, currency = text.partition("|")
            if not amount.strip():
                return None
            return f"{number_native(store_float(amount))}|{(currency or 'RUB').strip().upper()}"
        if isinstance(value, (dict, list)):
            raise ValueProblem("an array is not allowed here")
        return str(value)

    def to_storage(self, f: FieldDef, value: Any) -> Any:
        try:
            if f.multiple:
                values = [value] if f.type == "file" and is_file_value(value) and not isinstance(
                    as_list(value)[0], list | dict) else as_list(value)
                items = [self._one(f, v) for v in values]
                return json.dumps([i for i in items if i is not None], ensure_ascii=False)
            if isinstance(value, (dict, list)) and f.type not in ("crm_multifield", "file"):
                raise ValueProblem("an array is not allowed here")
            return self._one(f, value)
        except ValueProblem as exc:
            raise legacy_error(f"Field '{f.name}': {exc}") from exc

    def legacy_value(self, f: FieldDef, value: Any) -> Any:
        if f.type == "file":
            return self._files_view(f, value, item=False)
        if f.multiple:
            items = json.loads(value) if value else []
            return [str(self.legacy_scalar(f, i)) for i in items]
        return self.legacy_scalar(f, value)

    @staticmethod
    def legacy_scalar(f: FieldDef, value: Any) -> Any:
        if value is None:
            return "0" if f.type == "boolean" else None
        if f.storage == "float" or f.type == "double":
            return money_text(float(value)) if f.money else str(number_native(float(value)))
        if f.storage == "bool01":
            return "1" if value else "0"
        return str(value)

    def _files_view(self, f: FieldDef, value: Any, *, item: bool) -> Any:
        if f.multiple:
            ids = json.loads(value) if value else []
            return [v for i in ids if (v := self.file_view(i, item=item)) is not None]
        return self.file_view(value, item=item)

    def item_value(self, f: FieldDef, value: Any) -> Any:
        if f.type == "file":
            return self._files_view(f, value, item=True)
        if f.multiple:
            items = json.loads(value) if value else []
            return [self.item_scalar(f, i) for i in items]
        return self.item_scalar(f, value)

    @staticmethod
    def item_scalar(f: FieldDef, value: Any) -> Any:
        if value is None:
            return None
        if f.type == "double":
            return number_native(float(value))
        if f.storage == "bool01":
            return "Y" if value else "N"
        if f.type in ("crm_status", "crm_currency", "string", "crm", "money", "url", "location"):
            return str(value)
        return value

    # ---- reads -------------------------------------------------------------------------------------
    def row(self, item_id: Any) -> dict[str, Any] | None:
        try:
            number = store_int(item_id)
        except ValueProblem:
            return None
        cur = self.conn.execute(f'SELECT * FROM {self.kind.table} WHERE "ID" = ?', (number,))
        found = cur.fetchone()
        return dict(found) if found is not None else None

    def multifields(self, ids: list[int], types: list[str]) -> dict[int, dict[str, list[dict[str, str]]]]:
        out: dict[int, dict[str, list[dict[str, str]]]] = {}
        if not ids or not types:
            return out
        marks = ",".join("?" * len(ids))
        tmarks = ",".join("?" * len(types))
        rows = self.conn.execute(
            f"SELECT * FROM multifields WHERE ENTITY = ? AND OWNER_ID IN ({marks}) AND TYPE_ID IN ({tmarks})"
            " ORDER BY ID", (self.kind.key, *ids, *types)).fetchall()
        for r in rows:
            out.setdefault(r["OWNER_ID"], {}).setdefault(r["TYPE_ID"], []).append(
                {"ID": str(r["ID"]), "VALUE_TYPE": r["VALUE_TYPE"], "VALUE": r["VALUE"],
                 "TYPE_ID": r["TYPE_ID"]})
        return out

    def multifield_sql(self, type_id: str) -> str:
        return (f"SELECT 1 FROM multifields m WHERE m.ENTITY = '{self.kind.key}' AND m.OWNER_ID = "
                f"{self.kind.table}.\"ID\" AND m.TYPE_ID = '{type_id}'")

    def query(self, flt: Any, order: Any, start: int, *, strict: bool, camel: bool = False,
              count: bool = True, limit: int = PAGE) -> tuple[list[dict[str, Any]], int | None]:
        resolve = self.resolve_camel if camel else self.resolve
        compiler = FilterCompiler(resolve, strict=strict, multifield_sql=self.multifield_sql)
        where, params = compiler.compile(flt)
        order_sql = compile_order(order, resolve, strict=strict)
        sql = f"SELECT * FROM {self.kind.table} WHERE {where} ORDER BY {order_sql} LIMIT ? OFFSET ?"
        rows = [dict(r) for r in self.conn.execute(sql, (*params, limit, max(start, 0))).fetchall()]
        total = None
        if count:
            total = int(self.conn.execute(f"SELECT COUNT(*) FROM {self.kind.table} WHERE {where}",
                                          params).fetchone()[0])
        return rows, total

    # ---- writes ------------------------------------------------------------------------------------
    def _values(self, data: Mapping[str, Any], *, camel: bool) -> tuple[dict[str, Any], dict[str, Any]]:
        """Split client input into storable column values and multifield updates; skip read-only."""
        columns: dict[str, Any] = {}
        multi: dict[str, Any] = {}
        resolve = self.resolve_camel if camel else self.resolve
        for key, value in data.items():
            f = resolve(str(key))
            if f is None or f.read_only or f.name == "ID":
                continue
            if f.type == "crm_multifield":
                multi[f.name] = value
                continue
            columns[f.name] = self.to_storage(f, value)
        if "CONTACT_IDS" in columns and "CONTACT_ID" not in columns:
            ids = json.loads(columns["CONTACT_IDS"] or "[]")
            columns["CONTACT_ID"] = ids[0] if ids else None  # the first contact is the primary one
        return columns, multi

    def _apply_stage(self, columns: dict[str, Any], existing: dict[str, Any] | None, now: str,
                     user_id: int) -> None:
        fields = self.kind.core_map()
        stage_field = self.kind.stage_field
        if stage_field not in fields:
            return
        category: Any = 0
        if "CATEGORY_ID" in fields:
            category = columns.get("CATEGORY_ID", existing.get("CATEGORY_ID") if existing else None)
            if category is None:
                category = self.default_category
                columns["CATEGORY_ID"] = category
        stages = self.stages(self.kind.key, int(category))
        if not stages:
            return
        stage = columns.get(stage_field)
        if stage is None and (existing is None or category != existing.get("CATEGORY_ID", 0)):
            stage = stages[0][0]
            columns[stage_field] = stage
        if stage is None:
            return
        semantics = dict(stages)
        if stage not in semantics:
            raise legacy_error(f"Stage '{stage}' is not found in the category {category}")
        if existing is None or existing.get(stage_field) != stage:
            if "MOVED_TIME" in fields:
                columns["MOVED_TIME"] = now
            if "MOVED_BY_ID" in fields:
                columns["MOVED_BY_ID"] = user_id
            if "MOVED_BY" in fields:
                columns["MOVED_BY"] = user_id
            if existing is not None and "PREVIOUS_STAGE_ID" in fields:
                columns["PREVIOUS_STAGE_ID"] = existing.get("STAGE_ID")
        sem = semantics[stage]
        if "IS_NEW" in fields:
            columns["IS_NEW"] = "Y" if stage == stages[0][0] else "N"  # "new" = the funnel's first stage
        semantic_field = stage_field.replace("_ID", "_SEMANTIC_ID")
        if semantic_field in fields:
            columns[semantic_field] = sem or "P"
        if "CLOSED" in fields:
            columns["CLOSED"] = "Y" if sem else "N"

    def add(self, data: Mapping[str, Any], user_id: int, *, camel: bool = False) -> int:
        columns, multi = self._values(data, camel=camel)
        now = now_iso()
        defaults = DEFAULTS.get(self.kind.key, SPA_DEFAULTS)
        for key, value in defaults.items():
            columns.setdefault(key, value)
        if "ASSIGNED_BY_ID" in self.kind.core_map():
            columns.setdefault("ASSIGNED_BY_ID", user_id)
        for f in self.ufs.defs(self.kind.uf_entity_id):
            default = next((i["ID"] for i in f.items if i.get("DEF") == "Y"), None)
            if default is not None and f.name not in columns:
                columns[f.name] = json.dumps([int(default)]) if f.multiple else int(default)
        columns[self.kind.created_field] = now
        columns[self.kind.modified_field] = now
        columns[self.kind.created_by] = user_id
        columns[self.kind.modified_by] = user_id
        self._apply_stage(columns, None, now, user_id)
        if self.kind.key in ("deal",) and not columns.get("TITLE"):
            columns["TITLE"] = None
        names = list(columns)
        cur = self.conn.execute(
            f"INSERT INTO {self.kind.table} ({', '.join(quote(n) for n in names)}) "
            f"VALUES ({', '.join('?' * len(names))})", [columns[n] for n in names])
        item_id = int(cur.lastrowid or 0)
        if self.kind.key == "deal" and not columns.get("TITLE"):
            self.conn.execute('UPDATE deal SET "TITLE" = ? WHERE "ID" = ?', (f"Сделка #{item_id}", item_id))
        self._write_multi(item_id, multi, adding=True)
        return item_id

    def update(self, item_id: int, data: Mapping[str, Any], user_id: int, *, camel: bool = False) -> bool:
        """Apply a change; True when the item moved to another category (only ``crm.item`` may move it)."""
        existing = self.row(item_id)
        if existing is None:
            raise legacy_error("Not found")
        columns, multi = self._values(data, camel=camel)
        moved = "CATEGORY_ID" in columns and columns["CATEGORY_ID"] != existing.get("CATEGORY_ID")
        if moved and not camel:
            columns.pop("CATEGORY_ID")  # immutable for legacy crm.*.update, as on the portal
            moved = False
        now = now_iso()
        columns[self.kind.modified_field] = now
        columns[self.kind.modified_by] = user_id
        self._apply_stage(columns, existing, now, user_id)
        sets = ", ".join(f"{quote(n)} = ?" for n in columns)
        self.conn.execute(f'UPDATE {self.kind.table} SET {sets} WHERE "ID" = ?', [*columns.values(), item_id])
        self._write_multi(item_id, multi, adding=False)
        return moved

    def delete(self, item_id: int) -> None:
        if self.row(item_id) is None:
            raise legacy_error("Not found")
        self.conn.execute(f'DELETE FROM {self.kind.table} WHERE "ID" = ?', (item_id,))
        self.conn.execute("DELETE FROM multifields WHERE ENTITY = ? AND OWNER_ID = ?",
                          (self.kind.key, item_id))

    def _write_multi(self, item_id: int, multi: Mapping[str, Any], *, adding: bool) -> None:
        """PHONE/EMAIL semantics: no ID adds; ID changes; ID with DELETE=Y or empty VALUE removes."""
        if not multi:
            return
        for type_id, raw in multi.items():
            for entry in as_list(raw):
                if not isinstance(entry, Mapping):
                    entry = {"VALUE": entry}
                value = ci_get(entry, "VALUE")
                value_type = str(ci_get(entry, "VALUE_TYPE") or "WORK").upper()
                entry_id = ci_get(entry, "ID")
                delete = str(ci_get(entry, "DELETE") or "").upper() == "Y"
                if entry_id not in (None, "") and not adding:
                    try:
                        mid = store_int(entry_id)
                    except ValueProblem as exc:
                        raise legacy_error(f"Field '{type_id}': bad ID {entry_id!r}") from exc
                    if delete or value in (None, ""):
                        self.conn.execute("DELETE FROM multifields WHERE ID = ? AND ENTITY = ?"
                                          " AND OWNER_ID = ?",
                                          (mid, self.kind.key, item_id))
                    else:
                        self.conn.execute(
                            "UPDATE multifields SET VALUE = ?, VALUE_TYPE = ? WHERE ID = ? AND ENTITY = ?"
                            " AND OWNER_ID = ?", (str(value), value_type, mid, self.kind.key, item_id))
                    continue
                if value in (None, "") or delete:
                    continue
                self.conn.execute(
                    "INSERT INTO multifields (ENTITY, OWNER_ID, TYPE_ID, VALUE_TYPE, VALUE)"
                    " VALUES (?,?,?,?,?)",
                    (self.kind.key, item_id, type_id, value_type, str(value)))
        self._refresh_has(item_id)

    def _refresh_has(self, item_id: int) -> None:
        core = self.kind.core_map()
        for flag, type_id in (("HAS_PHONE", "PHONE"), ("HAS_EMAIL", "EMAIL")):
            if flag in core:
                has = self.conn.execute(
                    "SELECT 1 FROM multifields WHERE ENTITY = ? AND OWNER_ID = ? AND TYPE_ID = ? LIMIT 1",
                    (self.kind.key, item_id, type_id)).fetchone()
                self.conn.execute(f'UPDATE {self.kind.table} SET "{flag}" = ? WHERE "ID" = ?',
                                  ("Y" if has else "N", item_id))


MULTIFIELD_DDL = """
CREATE TABLE IF NOT EXISTS multifields (
    ID INTEGER PRIMARY KEY AUTOINCREMENT, ENTITY TEXT NOT NULL, OWNER_ID INTEGER NOT NULL,
    TYPE_ID TEXT NOT NULL, VALUE_TYPE TEXT, VALUE TEXT);
CREATE INDEX IF NOT EXISTS ix_multifields_owner ON multifields (ENTITY, OWNER_ID);
CREATE INDEX IF NOT EXISTS ix_multifields_value ON multifields (ENTITY, TYPE_ID, VALUE);
"""
