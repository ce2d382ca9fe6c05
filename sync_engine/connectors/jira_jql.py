"""JQL for the JIRA connector: scope clauses, cursor windows and de-duplication of overlapping windows.

JIRA stores ``updated`` with milliseconds but JQL compares dates at minute granularity in the
searching user's time zone, so an incremental read has to start at the cursor floored to the minute
(``>=``) and then drop what the previous run already delivered. Everything here is pure so the
window arithmetic can be tested without a server.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, TypeVar

from sync_engine.connectors.base import Cursor, EntityScope, Record
from sync_engine.fieldtypes import FieldMeta, FieldType

T = TypeVar("T")
_ISSUE_KEY = re.compile(r"^[A-Za-z][A-Za-z0-9_]*-\d+$")


def quote(value: str) -> str:
    """A JQL string literal; JQL escapes ``"`` and ``\\`` with a backslash."""
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def as_aware(moment: datetime) -> datetime:
    """Cursors written by older code may be naive; they were always UTC."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def parse_jira_datetime(text: str | None) -> datetime | None:
    """``2024-01-29T02:42:10.538+0300`` (JIRA's form) or ISO with a colon offset; None if unreadable."""
    if not text:
        return None
    for fmt in ("%Y-%m-%dT%H:%M:%S.%f%z", "%Y-%m-%dT%H:%M:%S%z"):
        try:
            return datetime.strptime(text, fmt)
        except ValueError:
            continue
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    return as_aware(parsed)


def scope_clause(scope: EntityScope) -> str:
    """``project in (...) AND issuetype in (...) AND (query)``: the part every search of a scope shares."""
    parts: list[str] = []
    if scope.projects:
        parts.append(f"project in ({', '.join(quote(p) for p in scope.projects)})")
    if scope.issue_types:
        parts.append(f"issuetype in ({', '.join(quote(t) for t in scope.issue_types)})")
    if scope.query.strip():
        if re.search(r"\border\s+by\b", scope.query, re.IGNORECASE):
            raise ValueError(f"the scope's JQL filter must not contain ORDER BY: {scope.query!r}")
        parts.append(f"({scope.query.strip()})")
    return " AND ".join(parts)


def epoch_minute_ms(moment: datetime) -> int:
    """Epoch milliseconds floored to the minute: JQL reads an unquoted number as an instant, so the
    query needs no knowledge of the searching user's time zone (and no /myself call)."""
    seconds = int(as_aware(moment).timestamp())
    return (seconds - seconds % 60) * 1000


def changed_jql(scope: EntityScope, window_start: datetime | None) -> str:
    """The incremental query; an unbounded scope still gets a clause because Cloud rejects unbounded JQL."""
    parts = [p for p in (scope_clause(scope),) if p]
    if window_start is not None:
        parts.append(f"updated >= {epoch_minute_ms(window_start)}")
    if not parts:
        parts.append('created >= "1970/01/01"')
    return " AND ".join(parts) + " ORDER BY updated ASC, key ASC"


def split_ids(ids: Iterable[str]) -> tuple[list[str], list[str]]:
    """Keys (``PROC-12``) and numeric ids (``10012``) need different JQL clauses."""
    keys: list[str] = []
    numeric: list[str] = []
    for raw in ids:
        value = str(raw).strip()
        if value.isdigit():
            numeric.append(value)
        elif _ISSUE_KEY.match(value):
            keys.append(value.upper())
        else:
            raise ValueError(f"{raw!r} is neither a JIRA issue key (ABC-123) nor a numeric issue id")
    return keys, numeric


def ids_jql(keys: Sequence[str], numeric: Sequence[str]) -> str:
    clauses = []
    if keys:
        clauses.append(f"key in ({', '.join(keys)})")
    if numeric:
        clauses.append(f"id in ({', '.join(numeric)})")
    return " OR ".join(clauses)


def chunks(items: Sequence[T], size: int) -> list[Sequence[T]]:
    return [items[i : i + size] for i in range(0, len(items), size)]


class WindowFilter:
    """Drops records the caller already has: older than the cursor, or at its instant with a seen id,
    or a version this run already delivered (overlapping keyset pages re-read the last minute)."""

    def __init__(self, since: Cursor | None) -> None:
        self._since = as_aware(since.updated) if since is not None else None
        self._seen_at_cursor = frozenset(since.seen_ids) if since is not None else frozenset()
        self._delivered: dict[str, str] = {}

    def admit(self, record: Record) -> bool:
        if self._delivered.get(record.id) == record.version:
            return False
        if self._since is not None and record.updated is not None:
            if record.updated < self._since:
                return False
            if record.updated == self._since and record.id in self._seen_at_cursor:
                return False
        self._delivered[record.id] = record.version
        return True


def next_cursor(since: Cursor | None, records: Iterable[Record]) -> Cursor | None:
    """The cursor after delivering ``records``: newest ``updated`` and every id seen at that instant
    (kept from ``since`` when the instant did not move), so a same-millisecond change is not lost."""
    newest = as_aware(since.updated) if since is not None else None
    ids: set[str] = set(since.seen_ids) if since is not None else set()
    for record in records:
        if record.updated is None:
            continue
        moment = as_aware(record.updated)
        if newest is None or moment > newest:
            newest, ids = moment, {record.id}
        elif moment == newest:
            ids.add(record.id)
    if newest is None:
        return None
    return Cursor(updated=newest, seen_ids=tuple(sorted(ids)))


_LUCENE_SPECIAL = set('+-&|!(){}[]^"~*?:\\/')


def lucene_escape(text: str) -> str:
    """``~`` takes a Lucene query: its operator characters are escaped to be matched literally."""
    return "".join("\\" + ch if ch in _LUCENE_SPECIAL else ch for ch in text)


def clause_name(meta: FieldMeta) -> str:
    """How JQL names a field: ``cf[10103]`` for custom fields (``customfield_10103`` is rejected)."""
    names = meta.raw.get("clauseNames") or []
    if meta.id.startswith("customfield_"):
        return next((n for n in names if n.startswith("cf[")), f"cf[{meta.id.rsplit('_', 1)[1]}]")
    return str(names[0]) if names else meta.id


def find_jql(scope: EntityScope, meta: FieldMeta, values: Sequence[str]) -> str:
    name = clause_name(meta)
    if meta.type is FieldType.TEXT:
        match = " OR ".join(f"{name} ~ {quote(lucene_escape(v))}" for v in values)
        test = f"({match})"
    else:
        test = f"{name} in ({', '.join(quote(v) for v in values)})"
    scoped = scope_clause(scope)
    return (f"{scoped} AND {test}" if scoped else test) + " ORDER BY key ASC"


def plain_values(value: Any) -> set[str]:
    """The strings a field value can be matched by exactly: text, number, option value/id, user ids."""
    if value is None:
        return set()
    if isinstance(value, list | tuple):
        out: set[str] = set()
        for item in value:
            out |= plain_values(item)
        return out
    if isinstance(value, Mapping):
        keys = ("value", "name", "id", "key", "accountId", "emailAddress")
        return {str(value[k]) for k in keys if value.get(k) not in (None, "")}
    if isinstance(value, float) and value.is_integer():
        return {str(value), str(int(value))}
    return {str(value)}
