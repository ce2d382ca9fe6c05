"""Cursor windows and JQL building, without a server."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from sync_engine.connectors.base import Cursor, EntityScope, Record
from sync_engine.connectors.jira_jql import (
    WindowFilter,
    changed_jql,
    chunks,
    epoch_minute_ms,
    ids_jql,
    next_cursor,
    parse_jira_datetime,
    quote,
    split_ids,
)

MSK = ZoneInfo("Europe/Moscow")


def rec(issue_id: str, stamp: str) -> Record:
    return Record(id=issue_id, fields={"updated": stamp}, updated=parse_jira_datetime(stamp), version=stamp)


def test_parse_jira_datetime_keeps_millis_and_offset() -> None:
    parsed = parse_jira_datetime("2024-01-29T02:42:10.538+0300")
    assert parsed == datetime(2024, 1, 28, 23, 42, 10, 538000, tzinfo=UTC)
    assert parse_jira_datetime("2024-01-29T02:42:10+03:00") == datetime(2024, 1, 28, 23, 42, 10, tzinfo=UTC)
    assert parse_jira_datetime("yesterday") is None
    assert parse_jira_datetime(None) is None


def test_epoch_minute_floors_and_ignores_the_zone() -> None:
    moment = datetime(2024, 1, 28, 23, 42, 59, 999000, tzinfo=UTC)
    floor = int(datetime(2024, 1, 28, 23, 42, tzinfo=UTC).timestamp()) * 1000
    assert epoch_minute_ms(moment) == floor
    assert epoch_minute_ms(moment.astimezone(MSK)) == floor
    assert epoch_minute_ms(datetime(2024, 1, 28, 23, 42, 5)) == floor  # naive = UTC




def test_changed_jql_shape() -> None:
    scope = EntityScope("issue", projects=("PROC",), issue_types=("Purchase request",), query="labels = x")
    since = datetime(2024, 1, 28, 23, 42, 30, tzinfo=UTC)
    # An instant (epoch ms floored to the minute) needs no knowledge of the searching user's zone.
    assert changed_jql(scope, since) == (
        'project in ("PROC") AND issuetype in ("Purchase request") AND (labels = x) '
        f'AND updated >= {int(datetime(2024, 1, 28, 23, 42, tzinfo=UTC).timestamp()) * 1000} '
        'ORDER BY updated ASC, key ASC'
    )
    assert changed_jql(scope, since.astimezone(MSK)) == changed_jql(scope, since)
    assert changed_jql(EntityScope("issue"), None).startswith('created >= "1970/01/01"')
    with pytest.raises(ValueError, match="ORDER BY"):
        changed_jql(EntityScope("issue", query="project = X order by key"), None)
    assert quote('a "b" \\c') == '"a \\"b\\" \\\\c"'


def test_split_ids_and_chunks() -> None:
    keys, numeric = split_ids(["proc-1", "10002", " SALES-12 "])
    assert keys == ["PROC-1", "SALES-12"] and numeric == ["10002"]
    assert ids_jql(keys, numeric) == "key in (PROC-1, SALES-12) OR id in (10002)"
    with pytest.raises(ValueError, match="neither a JIRA issue key"):
        split_ids(["PROC 1; drop"])
    assert [len(c) for c in chunks(list(range(250)), 100)] == [100, 100, 50]


def test_window_filter_drops_what_the_cursor_already_covers() -> None:
    base = "2024-01-29T02:42:10.538+0300"
    cursor = Cursor(updated=parse_jira_datetime(base) or datetime.now(UTC), seen_ids=("1",))
    gate = WindowFilter(cursor)
    older = rec("5", "2024-01-29T02:42:01.000+0300")  # same JQL minute, before the cursor: delivered before
    same_seen = rec("1", base)
    same_new = rec("2", base)  # changed in the same millisecond as the cursor but not yet delivered
    later = rec("3", "2024-01-29T02:42:40.000+0300")
    assert [gate.admit(r) for r in (older, same_seen, same_new, later)] == [False, False, True, True]
    assert gate.admit(later) is False  # the same version twice within one run (overlapping keyset pages)
    assert gate.admit(rec("3", "2024-01-29T02:43:00.000+0300")) is True  # a newer version is news


def test_next_cursor_keeps_ids_at_the_newest_instant() -> None:
    a = rec("1", "2024-01-29T02:42:10.538+0300")
    b = rec("2", "2024-01-29T02:42:10.538+0300")
    c = rec("3", "2024-01-29T02:41:00.000+0300")
    first = next_cursor(None, [c, a])
    assert first is not None and first.seen_ids == ("1",)
    second = next_cursor(first, [b])
    assert second is not None and second.updated == first.updated and second.seen_ids == ("1", "2")
    later = rec("4", "2024-01-29T02:50:00.000+0300")
    third = next_cursor(second, [later])
    assert third is not None and third.seen_ids == ("4",) and third.updated - second.updated > timedelta(0)
    assert next_cursor(None, []) is None
