"""SQLite storage of the twin's mutable data: issues, comments, change histories, webhooks.

Issue field values live in one JSON column (the twin's stored form, see :mod:`values`), with the
columns JQL filters and sorts on most pulled out and indexed; custom fields get expression indexes on
``json_extract`` so a 100,000-issue project still answers a page in milliseconds.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sync_engine.sandbox.jira.jql_sql import json_path, text_match

_SCHEMA = """
CREATE TABLE IF NOT EXISTS issues (
    id INTEGER PRIMARY KEY,
    key TEXT NOT NULL UNIQUE,
    project TEXT NOT NULL,
    num INTEGER NOT NULL,
    issuetype TEXT NOT NULL,
    status TEXT NOT NULL,
    created INTEGER NOT NULL,
    updated INTEGER NOT NULL,
    fields TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS ix_issues_project_updated ON issues(project, updated);
CREATE INDEX IF NOT EXISTS ix_issues_project_num ON issues(project, num);
CREATE INDEX IF NOT EXISTS ix_issues_updated ON issues(updated);
CREATE INDEX IF NOT EXISTS ix_issues_created ON issues(created);
CREATE INDEX IF NOT EXISTS ix_issues_status ON issues(status);
CREATE INDEX IF NOT EXISTS ix_issues_issuetype ON issues(issuetype);
CREATE TABLE IF NOT EXISTS comments (
    id INTEGER PRIMARY KEY,
    issue_id INTEGER NOT NULL,
    author TEXT NOT NULL,
    body TEXT NOT NULL,
    created INTEGER NOT NULL,
    updated INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS ix_comments_issue ON comments(issue_id, id);
CREATE TABLE IF NOT EXISTS histories (
    id INTEGER PRIMARY KEY,
    issue_id INTEGER NOT NULL,
    author TEXT NOT NULL,
    created INTEGER NOT NULL,
    items TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS ix_histories_issue ON histories(issue_id, id);
CREATE TABLE IF NOT EXISTS webhooks (id INTEGER PRIMARY KEY, data TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value TEXT NOT NULL);
"""


@dataclass
class IssueRow:
    id: int
    key: str
    project: str
    num: int
    issuetype: str
    status: str
    created: int
    updated: int
    fields: dict[str, Any]


_COLUMNS = "id, key, project, num, issuetype, status, created, updated, fields"


def _row(r: Sequence[Any]) -> IssueRow:
    return IssueRow(r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7], json.loads(r[8]))


class Store:
    def __init__(self, path: Path | None, indexed_fields: Iterable[str]) -> None:
        target = str(path) if path is not None else ":memory:"
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
        self.db = sqlite3.connect(target, check_same_thread=False, isolation_level=None)
        self.db.execute("PRAGMA journal_mode=WAL" if path is not None else "PRAGMA journal_mode=MEMORY")
        self.db.execute("PRAGMA synchronous=NORMAL")
        self.db.create_function("jql_match", 2, text_match, deterministic=True)
        self.db.executescript(_SCHEMA)
        self.indexed_fields = tuple(indexed_fields)
        self._create_field_indexes()

    def _create_field_indexes(self) -> None:
        for fid in self.indexed_fields:
            self.db.execute(f"CREATE INDEX IF NOT EXISTS ix_issues_{fid} ON issues({json_path(fid)})")

    def close(self) -> None:
        self.db.close()

    # -- meta / counters ------------------------------------------------------------------------------
    def get_meta(self, name: str) -> str | None:
        row = self.db.execute("SELECT value FROM meta WHERE name = ?", (name,)).fetchone()
        return None if row is None else str(row[0])

    def set_meta(self, name: str, value: str) -> None:
        self.db.execute("INSERT OR REPLACE INTO meta(name, value) VALUES (?, ?)", (name, value))

    def next_value(self, name: str, start: int, count: int = 1) -> int:
        """Reserve ``count`` values of a never-reused sequence (issue ids, per-project key numbers)."""
        row = self.db.execute("SELECT value FROM counters WHERE name = ?", (name,)).fetchone()
        first = start if row is None else int(row[0])
        self.db.execute("INSERT OR REPLACE INTO counters(name, value) VALUES (?, ?)", (name, first + count))
        return first

    def clear(self, webhooks: bool = False) -> None:
        """Forget issues (and with ``webhooks`` the registrations too); webhook ids are never reused."""
        self.db.execute("BEGIN")
        for table in ("issues", "comments", "histories"):
            self.db.execute(f"DELETE FROM {table}")
        self.db.execute("DELETE FROM counters WHERE name != 'webhook_id'")
        if webhooks:
            self.db.execute("DELETE FROM webhooks")
        self.db.execute("COMMIT")

    # -- issues ---------------------------------------------------------------------------------------
    def insert_issue(self, row: IssueRow) -> None:
        self.db.execute(
            f"INSERT INTO issues({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (row.id, row.key, row.project, row.num, row.issuetype, row.status, row.created, row.updated,
             json.dumps(row.fields, ensure_ascii=False)),
        )

    def insert_many(self, rows: Iterable[tuple[Any, ...]]) -> None:
        """Bulk load: the custom-field indexes are rebuilt once afterwards (a sort beats 100k B-tree inserts)."""
        self.db.execute("BEGIN")
        try:
            for fid in self.indexed_fields:
                self.db.execute(f"DROP INDEX IF EXISTS ix_issues_{fid}")
            self.db.executemany(f"INSERT INTO issues({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
            self._create_field_indexes()
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        self.db.execute("COMMIT")

    def save_issue(self, row: IssueRow) -> None:
        self.db.execute(
            "UPDATE issues SET issuetype = ?, status = ?, updated = ?, fields = ? WHERE id = ?",
            (row.issuetype, row.status, row.updated, json.dumps(row.fields, ensure_ascii=False), row.id),
        )

    def delete_issue(self, issue_id: int) -> None:
        self.db.execute("DELETE FROM issues WHERE id = ?", (issue_id,))
        self.db.execute("DELETE FROM comments WHERE issue_id = ?", (issue_id,))
        self.db.execute("DELETE FROM histories WHERE issue_id = ?", (issue_id,))

    def get_issue(self, ref: str) -> IssueRow | None:
        if ref.isdigit():
            if len(ref) > 18:  # beyond SQLite's INTEGER: no such issue
                return None
            r = self.db.execute(f"SELECT {_COLUMNS} FROM issues WHERE id = ?", (int(ref),)).fetchone()
        else:
            r = self.db.execute(f"SELECT {_COLUMNS} FROM issues WHERE key = ?", (ref.upper(),)).fetchone()
        return None if r is None else _row(r)

    def key_exists(self, key: str) -> bool:
        return self.db.execute("SELECT 1 FROM issues WHERE key = ?", (key,)).fetchone() is not None

    def count(self, where: str, params: Sequence[object]) -> int:
        return int(self.db.execute(f"SELECT COUNT(*) FROM issues WHERE {where}", params).fetchone()[0])

    def search(self, where: str, params: Sequence[object], order: str, limit: int, offset: int) -> list[IssueRow]:
        sql = f"SELECT {_COLUMNS} FROM issues WHERE {where} ORDER BY {order} LIMIT ? OFFSET ?"
        return [_row(r) for r in self.db.execute(sql, [*params, limit, offset])]

    def matches(self, issue_id: int, where: str, params: Sequence[object]) -> bool:
        sql = f"SELECT 1 FROM issues WHERE id = ? AND ({where})"
        return self.db.execute(sql, [issue_id, *params]).fetchone() is not None

    def total_issues(self) -> int:
        return int(self.db.execute("SELECT COUNT(*) FROM issues").fetchone()[0])

    # -- comments and histories ------------------------------------------------------------------------
    def add_comment(self, comment_id: int, issue_id: int, author: str, body: str, at: int) -> None:
        self.db.execute("INSERT INTO comments(id, issue_id, author, body, created, updated) VALUES (?,?,?,?,?,?)",
                        (comment_id, issue_id, author, body, at, at))

    def comments(self, issue_ids: Sequence[int]) -> dict[int, list[dict[str, Any]]]:
        out: dict[int, list[dict[str, Any]]] = {i: [] for i in issue_ids}
        if not issue_ids:
            return out
        marks = ", ".join("?" for _ in issue_ids)
        sql = ("SELECT id, issue_id, author, body, created, updated FROM comments "
               f"WHERE issue_id IN ({marks}) ORDER BY id")
        for cid, iid, author, body, created, updated in self.db.execute(sql, list(issue_ids)):
            out[iid].append({"id": cid, "author": author, "body": body, "created": created, "updated": updated})
        return out

    def add_history(self, history_id: int, issue_id: int, author: str, at: int, items: list[dict[str, Any]]) -> None:
        self.db.execute("INSERT INTO histories(id, issue_id, author, created, items) VALUES (?,?,?,?,?)",
                        (history_id, issue_id, author, at, json.dumps(items, ensure_ascii=False)))

    def histories(self, issue_id: int) -> list[dict[str, Any]]:
        sql = "SELECT id, author, created, items FROM histories WHERE issue_id = ? ORDER BY id"
        return [{"id": hid, "author": author, "created": created, "items": json.loads(items)}
                for hid, author, created, items in self.db.execute(sql, (issue_id,))]

    # -- webhooks -------------------------------------------------------------------------------------
    def webhooks(self) -> list[dict[str, Any]]:
        return [{**json.loads(data), "id": wid} for wid, data in self.db.execute("SELECT id, data FROM webhooks")]

    def save_webhook(self, webhook_id: int, data: dict[str, Any]) -> None:
        body = {k: v for k, v in data.items() if k != "id"}
        self.db.execute("INSERT OR REPLACE INTO webhooks(id, data) VALUES (?, ?)",
                        (webhook_id, json.dumps(body, ensure_ascii=False)))

    def delete_webhook(self, webhook_id: int) -> bool:
        return self.db.execute("DELETE FROM webhooks WHERE id = ?", (webhook_id,)).rowcount > 0
