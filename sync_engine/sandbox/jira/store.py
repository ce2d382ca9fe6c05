"""SQLite storage of the twin's mutable data: issues and what hangs on them (comments, change histories,
worklogs, attachments' metadata, issue links), webhooks, and the administrator's configuration documents.

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
CREATE TABLE IF NOT EXISTS worklogs (
    id INTEGER PRIMARY KEY,
    issue_id INTEGER NOT NULL,
    author TEXT NOT NULL,
    update_author TEXT NOT NULL,
    comment TEXT,
    started INTEGER NOT NULL,
    seconds INTEGER NOT NULL,
    created INTEGER NOT NULL,
    updated INTEGER NOT NULL,
    visibility TEXT
);
CREATE INDEX IF NOT EXISTS ix_worklogs_issue ON worklogs(issue_id, id);
CREATE TABLE IF NOT EXISTS attachments (
    id INTEGER PRIMARY KEY,
    issue_id INTEGER NOT NULL,
    filename TEXT NOT NULL,
    size INTEGER NOT NULL,
    mime TEXT NOT NULL,
    author TEXT NOT NULL,
    created INTEGER NOT NULL,
    sha256 TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS ix_attachments_issue ON attachments(issue_id, id);
CREATE TABLE IF NOT EXISTS issuelinks (
    id INTEGER PRIMARY KEY,
    type_id TEXT NOT NULL,
    inward_id INTEGER NOT NULL,
    outward_id INTEGER NOT NULL,
    created INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS ix_issuelinks_inward ON issuelinks(inward_id);
CREATE INDEX IF NOT EXISTS ix_issuelinks_outward ON issuelinks(outward_id);
CREATE TABLE IF NOT EXISTS docs (kind TEXT NOT NULL, id TEXT NOT NULL, data TEXT NOT NULL, PRIMARY KEY (kind, id));
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


def _dump(value: Any) -> str | None:
    return None if value is None else json.dumps(value, ensure_ascii=False)


def _load(text: str | None) -> Any:
    return None if text is None else json.loads(text)


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
        self._add_columns("comments", {"visibility": "TEXT", "update_author": "TEXT", "properties": "TEXT"})
        self.indexed_fields = tuple(indexed_fields)
        self._create_field_indexes()

    def _add_columns(self, table: str, columns: dict[str, str]) -> None:
        """Columns added after a state file was first written (a twin restarted on an older file)."""
        have = {row[1] for row in self.db.execute(f"PRAGMA table_info({table})")}
        for name, kind in columns.items():
            if name not in have:
                self.db.execute(f"ALTER TABLE {table} ADD COLUMN {name} {kind}")

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
        for table in ("issues", "comments", "histories", "worklogs", "attachments", "issuelinks", "docs"):
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
        for table in ("comments", "histories", "worklogs", "attachments"):
            self.db.execute(f"DELETE FROM {table} WHERE issue_id = ?", (issue_id,))
        self.db.execute("DELETE FROM issuelinks WHERE inward_id = ? OR outward_id = ?", (issue_id, issue_id))

    def project_issue_ids(self, project: str) -> list[int]:
        return [int(r[0]) for r in self.db.execute("SELECT id FROM issues WHERE project = ?", (project,))]

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
    def add_comment(self, comment_id: int, issue_id: int, author: str, body: str, at: int,
                    visibility: dict[str, Any] | None = None, properties: list[Any] | None = None) -> None:
        self.db.execute(
            "INSERT INTO comments(id, issue_id, author, body, created, updated, visibility, update_author, properties) "
            "VALUES (?,?,?,?,?,?,?,?,?)",
            (comment_id, issue_id, author, body, at, at, _dump(visibility), author, _dump(properties)))

    def update_comment(self, comment_id: int, body: str, visibility: dict[str, Any] | None, author: str,
                       at: int) -> None:
        self.db.execute("UPDATE comments SET body = ?, visibility = ?, update_author = ?, updated = ? WHERE id = ?",
                        (body, _dump(visibility), author, at, comment_id))

    def delete_comment(self, comment_id: int) -> None:
        self.db.execute("DELETE FROM comments WHERE id = ?", (comment_id,))

    def comments(self, issue_ids: Sequence[int]) -> dict[int, list[dict[str, Any]]]:
        out: dict[int, list[dict[str, Any]]] = {i: [] for i in issue_ids}
        if not issue_ids:
            return out
        marks = ", ".join("?" for _ in issue_ids)
        sql = ("SELECT id, issue_id, author, body, created, updated, visibility, update_author, properties "
               f"FROM comments WHERE issue_id IN ({marks}) ORDER BY id")
        for cid, iid, author, body, created, updated, vis, upd, props in self.db.execute(sql, list(issue_ids)):
            out[iid].append({"id": cid, "author": author, "body": body, "created": created, "updated": updated,
                             "visibility": _load(vis), "update_author": upd or author, "properties": _load(props)})
        return out

    def add_history(self, history_id: int, issue_id: int, author: str, at: int, items: list[dict[str, Any]]) -> None:
        self.db.execute("INSERT INTO histories(id, issue_id, author, created, items) VALUES (?,?,?,?,?)",
                        (history_id, issue_id, author, at, json.dumps(items, ensure_ascii=False)))

    def histories(self, issue_id: int) -> list[dict[str, Any]]:
        sql = "SELECT id, author, created, items FROM histories WHERE issue_id = ? ORDER BY id"
        return [{"id": hid, "author": author, "created": created, "items": json.loads(items)}
                for hid, author, created, items in self.db.execute(sql, (issue_id,))]

    # -- worklogs ---------------------------------------------------------------------------------------
    def add_worklog(self, w: dict[str, Any]) -> None:
        self.db.execute(
            "INSERT INTO worklogs(id, issue_id, author, update_author, comment, started, seconds, created, updated, "
            "visibility) VALUES (?,?,?,?,?,?,?,?,?,?)",
            (w["id"], w["issue_id"], w["author"], w["update_author"], w["comment"], w["started"], w["seconds"],
             w["created"], w["updated"], _dump(w.get("visibility"))))

    def save_worklog(self, w: dict[str, Any]) -> None:
        self.db.execute("UPDATE worklogs SET update_author = ?, comment = ?, started = ?, seconds = ?, updated = ?, "
                        "visibility = ? WHERE id = ?",
                        (w["update_author"], w["comment"], w["started"], w["seconds"], w["updated"],
                         _dump(w.get("visibility")), w["id"]))

    def delete_worklog(self, worklog_id: int) -> None:
        self.db.execute("DELETE FROM worklogs WHERE id = ?", (worklog_id,))

    def worklogs(self, issue_id: int) -> list[dict[str, Any]]:
        sql = ("SELECT id, issue_id, author, update_author, comment, started, seconds, created, updated, visibility "
               "FROM worklogs WHERE issue_id = ? ORDER BY id")
        names = ("id", "issue_id", "author", "update_author", "comment", "started", "seconds", "created", "updated")
        out = []
        for r in self.db.execute(sql, (issue_id,)):
            item = dict(zip(names, r[:9], strict=True))
            item["visibility"] = _load(r[9])
            out.append(item)
        return out

    # -- attachments ------------------------------------------------------------------------------------
    def add_attachment(self, a: dict[str, Any]) -> None:
        self.db.execute("INSERT INTO attachments(id, issue_id, filename, size, mime, author, created, sha256) "
                        "VALUES (?,?,?,?,?,?,?,?)", (a["id"], a["issue_id"], a["filename"], a["size"], a["mime"],
                                                   a["author"], a["created"], a["sha256"]))

    def delete_attachment(self, attachment_id: int) -> None:
        self.db.execute("DELETE FROM attachments WHERE id = ?", (attachment_id,))

    def attachments(self, issue_id: int | None = None, attachment_id: int | None = None) -> list[dict[str, Any]]:
        names = ("id", "issue_id", "filename", "size", "mime", "author", "created", "sha256")
        sql = f"SELECT {', '.join(names)} FROM attachments"
        if attachment_id is not None:
            rows = self.db.execute(sql + " WHERE id = ?", (attachment_id,))
        else:
            rows = self.db.execute(sql + " WHERE issue_id = ? ORDER BY id", (issue_id,))
        return [dict(zip(names, r, strict=True)) for r in rows]

    # -- issue links -----------------------------------------------------------------------------------
    def add_link(self, link_id: int, type_id: str, inward_id: int, outward_id: int, at: int) -> None:
        self.db.execute("INSERT INTO issuelinks(id, type_id, inward_id, outward_id, created) VALUES (?,?,?,?,?)",
                        (link_id, type_id, inward_id, outward_id, at))

    def delete_link(self, link_id: int) -> None:
        self.db.execute("DELETE FROM issuelinks WHERE id = ?", (link_id,))

    def links(self, issue_id: int | None = None, link_id: int | None = None) -> list[dict[str, Any]]:
        names = ("id", "type_id", "inward_id", "outward_id", "created")
        sql = f"SELECT {', '.join(names)} FROM issuelinks"
        if link_id is not None:
            rows = self.db.execute(sql + " WHERE id = ?", (link_id,))
        else:
            rows = self.db.execute(sql + " WHERE inward_id = ? OR outward_id = ? ORDER BY id", (issue_id, issue_id))
        return [dict(zip(names, r, strict=True)) for r in rows]

    # -- configuration documents (projects, users, versions, ... an administrator made) ----------------------
    def put_doc(self, kind: str, doc_id: str, data: Any) -> None:
        self.db.execute("INSERT OR REPLACE INTO docs(kind, id, data) VALUES (?, ?, ?)",
                        (kind, doc_id, json.dumps(data, ensure_ascii=False)))

    def delete_doc(self, kind: str, doc_id: str) -> bool:
        return self.db.execute("DELETE FROM docs WHERE kind = ? AND id = ?", (kind, doc_id)).rowcount > 0

    def docs(self, kind: str) -> dict[str, Any]:
        rows = self.db.execute("SELECT id, data FROM docs WHERE kind = ? ORDER BY rowid", (kind,))
        return {str(i): json.loads(d) for i, d in rows}

    # -- webhooks -------------------------------------------------------------------------------------
    def webhooks(self) -> list[dict[str, Any]]:
        return [{**json.loads(data), "id": wid} for wid, data in self.db.execute("SELECT id, data FROM webhooks")]

    def save_webhook(self, webhook_id: int, data: dict[str, Any]) -> None:
        body = {k: v for k, v in data.items() if k != "id"}
        self.db.execute("INSERT OR REPLACE INTO webhooks(id, data) VALUES (?, ?)",
                        (webhook_id, json.dumps(body, ensure_ascii=False)))

    def delete_webhook(self, webhook_id: int) -> bool:
        return self.db.execute("DELETE FROM webhooks WHERE id = ?", (webhook_id,)).rowcount > 0
