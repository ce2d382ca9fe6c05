"""All state of one portal: SQLite connection, CRM stores, directories, people and side records."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

from sync_engine.sandbox.bitrix24.schema import (
    EntityKind,
    company_kind,
    contact_kind,
    deal_kind,
    lead_kind,
    product_kind,
    spa_kind,
)
from sync_engine.sandbox.bitrix24.store import MULTIFIELD_DDL, EntityStore
from sync_engine.sandbox.bitrix24.userfields import UserFields

SPA_ENTITY_TYPE_ID = 1032
SPA_ID = 1  # the smart process's own id: UF names UF_CRM_1_*, ENTITY_ID CRM_1
SPA_CATEGORY_ID = 3
DEAL_PARTNER_CATEGORY_ID = 1

_DDL = """
CREATE TABLE IF NOT EXISTS meta (KEY TEXT PRIMARY KEY, VALUE TEXT);
CREATE TABLE IF NOT EXISTS statuses (
    ID INTEGER PRIMARY KEY AUTOINCREMENT, ENTITY_ID TEXT NOT NULL, STATUS_ID TEXT NOT NULL, NAME TEXT,
    SORT INTEGER, SYSTEM TEXT, CATEGORY_ID INTEGER, COLOR TEXT, SEMANTICS TEXT);
CREATE INDEX IF NOT EXISTS ix_statuses_entity ON statuses (ENTITY_ID, SORT);
CREATE TABLE IF NOT EXISTS categories (
    ID INTEGER NOT NULL, ENTITY_TYPE_ID INTEGER NOT NULL, NAME TEXT, SORT INTEGER, IS_DEFAULT TEXT,
    PRIMARY KEY (ENTITY_TYPE_ID, ID));
CREATE TABLE IF NOT EXISTS users (ID INTEGER PRIMARY KEY, DATA TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS departments (
    ID INTEGER PRIMARY KEY AUTOINCREMENT, NAME TEXT NOT NULL, SORT INTEGER, PARENT INTEGER, UF_HEAD INTEGER);
CREATE TABLE IF NOT EXISTS productrows (
    ID INTEGER PRIMARY KEY AUTOINCREMENT, OWNER_TYPE TEXT NOT NULL, OWNER_ID INTEGER NOT NULL,
    PRODUCT_ID INTEGER, PRODUCT_NAME TEXT, PRICE REAL, QUANTITY REAL, DISCOUNT_RATE REAL, DISCOUNT_SUM REAL,
    TAX_RATE REAL, TAX_INCLUDED TEXT, MEASURE_CODE INTEGER, MEASURE_NAME TEXT, SORT INTEGER);
CREATE INDEX IF NOT EXISTS ix_productrows_owner ON productrows (OWNER_TYPE, OWNER_ID);
CREATE TABLE IF NOT EXISTS records (
    KIND TEXT NOT NULL, ID INTEGER NOT NULL, DATA TEXT NOT NULL, PRIMARY KEY (KIND, ID));
CREATE TABLE IF NOT EXISTS blobs (
    ID INTEGER PRIMARY KEY AUTOINCREMENT, NAME TEXT NOT NULL, CONTENT_TYPE TEXT, DATA BLOB NOT NULL);
"""

_TABLES_TO_CLEAR = ("meta", "statuses", "categories", "users", "departments", "records", "multifields",
                    "productrows", "uf_enums", "blobs", "sqlite_sequence")


def _ulower(value: Any) -> Any:
    return value.lower() if isinstance(value, str) else value


class Portal:
    def __init__(self, state_path: Path | None) -> None:
        self.state_path = state_path
        self.conn = self._connect()
        self._build()

    def _connect(self) -> sqlite3.Connection:
        target = str(self.state_path) if self.state_path else ":memory:"
        if self.state_path:
            self.state_path.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(target, check_same_thread=False, isolation_level=None)
        conn.row_factory = sqlite3.Row
        conn.create_function("ulower", 1, _ulower, deterministic=True)
        conn.execute("PRAGMA journal_mode=WAL" if self.state_path else "PRAGMA journal_mode=MEMORY")
        conn.execute("PRAGMA synchronous=OFF")
        return conn

    def _build(self) -> None:
        self.conn.executescript(_DDL + MULTIFIELD_DDL)
        kinds: list[EntityKind] = [deal_kind(), lead_kind(), contact_kind(), company_kind(), product_kind(),
                                   spa_kind(SPA_ENTITY_TYPE_ID, SPA_ID)]
        tables: dict[str, str | None] = {k.uf_entity_id: k.table for k in kinds if k.uf_entity_id}
        tables["USER"] = None  # user field values live in the users' JSON records
        self.ufs = UserFields(self.conn, tables)
        self.stores: dict[str, EntityStore] = {
            k.key: EntityStore(self.conn, k, self.ufs, self.stages) for k in kinds}
        self.by_type_id: dict[int, EntityStore] = {
            1: self.stores["lead"], 2: self.stores["deal"], 3: self.stores["contact"],
            4: self.stores["company"],
            SPA_ENTITY_TYPE_ID: self.stores[f"spa{SPA_ENTITY_TYPE_ID}"]}
        self.by_type_id[SPA_ENTITY_TYPE_ID].default_category = SPA_CATEGORY_ID

    def wipe(self) -> None:
        """Drop everything (user-field columns included) and rebuild empty tables."""
        for store in self.stores.values():
            self.conn.execute(f"DROP TABLE IF EXISTS {store.kind.table}")
        self.conn.execute("DELETE FROM userfields")
        for table in _TABLES_TO_CLEAR:
            exists = self.conn.execute("SELECT 1 FROM sqlite_master WHERE name = ?", (table,)).fetchone()
            if exists:
                self.conn.execute(f"DELETE FROM {table}")
        self.ufs.invalidate()
        for store in self.stores.values():
            store.create_table()  # handlers keep references to these objects, so they are reused

    def is_seeded(self) -> bool:
        return self.meta("seeded") is not None

    def meta(self, key: str) -> str | None:
        row = self.conn.execute("SELECT VALUE FROM meta WHERE KEY = ?", (key,)).fetchone()
        return None if row is None else str(row[0])

    def set_meta(self, key: str, value: str) -> None:
        self.conn.execute("INSERT OR REPLACE INTO meta (KEY, VALUE) VALUES (?, ?)", (key, value))

    # ---- stages -------------------------------------------------------------------------------------
    @staticmethod
    def stage_entity(kind_key: str, category_id: int) -> str:
        if kind_key == "deal":
            return "DEAL_STAGE" if category_id == 0 else f"DEAL_STAGE_{category_id}"
        if kind_key.startswith("spa"):
            return f"DYNAMIC_{kind_key[3:]}_STAGE_{category_id}"
        if kind_key == "lead":
            return "STATUS"
        return ""

    def stages(self, kind_key: str, category_id: int) -> list[tuple[str, str | None]]:
        entity = self.stage_entity(kind_key, category_id)
        if not entity:
            return []
        rows = self.conn.execute(
            "SELECT STATUS_ID, SEMANTICS FROM statuses WHERE ENTITY_ID = ? ORDER BY SORT, ID", (entity,)
        ).fetchall()
        return [(r[0], r[1]) for r in rows]

    # ---- generic side records (tasks, notifications, lists, posts, disk objects) ---------------------
    def next_id(self, kind: str) -> int:
        """A per-kind sequence that never hands out an id twice, even after the newest row is deleted
        (as the portal's auto-increment columns do)."""
        key = f"seq:{kind}"
        row = self.conn.execute("SELECT COALESCE(MAX(ID), 0) FROM records WHERE KIND = ?", (kind,)).fetchone()
        new_id = max(int(row[0]), int(self.meta(key) or 0)) + 1
        self.set_meta(key, str(new_id))
        return new_id

    def add_record(self, kind: str, data: dict[str, Any], record_id: int | None = None) -> int:
        new_id = self.next_id(kind) if record_id is None else record_id
        self.conn.execute("INSERT INTO records (KIND, ID, DATA) VALUES (?, ?, ?)",
                          (kind, new_id, json.dumps(data, ensure_ascii=False)))
        return new_id

    def put_record(self, kind: str, record_id: int, data: dict[str, Any]) -> None:
        self.conn.execute("UPDATE records SET DATA = ? WHERE KIND = ? AND ID = ?",
                          (json.dumps(data, ensure_ascii=False), kind, record_id))

    def delete_record(self, kind: str, record_id: int) -> None:
        self.conn.execute("DELETE FROM records WHERE KIND = ? AND ID = ?", (kind, record_id))

    def get_record(self, kind: str, record_id: int) -> dict[str, Any] | None:
        row = self.conn.execute("SELECT DATA FROM records WHERE KIND = ? AND ID = ?",
                                (kind, record_id)).fetchone()
        return None if row is None else dict(json.loads(row[0]))

    def records(self, kind: str) -> list[tuple[int, dict[str, Any]]]:
        rows = self.conn.execute("SELECT ID, DATA FROM records WHERE KIND = ? ORDER BY ID",
                                 (kind,)).fetchall()
        return [(int(r[0]), dict(json.loads(r[1]))) for r in rows]

    # ---- file contents (Disk, photos, attachments) ------------------------------------------------
    def add_blob(self, name: str, data: bytes, content_type: str | None = None) -> int:
        cur = self.conn.execute("INSERT INTO blobs (NAME, CONTENT_TYPE, DATA) VALUES (?, ?, ?)",
                                (name, content_type, data))
        return int(cur.lastrowid or 0)

    def blob(self, blob_id: int) -> tuple[str, str | None, bytes] | None:
        row = self.conn.execute("SELECT NAME, CONTENT_TYPE, DATA FROM blobs WHERE ID = ?", (blob_id,)).fetchone()
        return None if row is None else (str(row[0]), row[1], bytes(row[2]))

    def blob_size(self, blob_id: int) -> int:
        row = self.conn.execute("SELECT length(DATA) FROM blobs WHERE ID = ?", (blob_id,)).fetchone()
        return 0 if row is None else int(row[0])

    def close(self) -> None:
        self.conn.close()
