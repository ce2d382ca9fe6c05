"""Runs and items as the monitor and the API read them: positions, paging by seek, counts, retry targets."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import Engine, text

from sync_engine.engine.state import ItemOutcome, RunSummary
from sync_engine.sides import Side
from sync_engine.store.state import SqlStateStore


def items(n: int, offset: int = 0) -> list[ItemOutcome]:
    out = []
    for i in range(offset, offset + n):
        action = ("create", "update", "error", "unchanged")[i % 4]
        out.append(ItemOutcome(action, Side.BITRIX24, jira_id=f"j{i}", bitrix24_id=f"b{i}",
                               error="HTTP 400" if action == "error" else None))
    return out


def test_items_get_positions_in_their_run_and_action(engine: Engine) -> None:
    store = SqlStateStore(engine)
    run_id = store.start_run("p", "manual")
    other = store.start_run("q", "manual")
    store.record_items(run_id, items(10))
    store.record_items(other, items(4))
    store.record_items(run_id, items(6, offset=10))  # a second batch continues the numbering
    page = store.items_page(run_id, 0, 100)
    assert [i.seq for i in page] == list(range(1, 13))  # the "unchanged" ones are not stored
    assert [i.jira_id for i in page][:4] == ["j0", "j1", "j2", "j4"]
    errors = store.items_page(run_id, 0, 100, "error")
    assert [i.jira_id for i in errors] == ["j2", "j6", "j10", "j14"]
    assert store.count_items(run_id) == 12 and store.count_items(run_id, "error") == 4
    assert store.count_items(run_id, "delete") == 0 and store.count_items(999) == 0
    assert store.action_counts(run_id) == {"create": 4, "update": 4, "error": 4}


def test_a_page_anywhere_is_the_rows_at_that_position(engine: Engine) -> None:
    store = SqlStateStore(engine)
    run_id = store.start_run("p", "manual")
    store.record_items(run_id, items(400))
    everything = store.items_page(run_id, 0, 1000)
    for offset in (0, 1, 149, 297, 299):
        assert store.items_page(run_id, offset, 7) == everything[offset:offset + 7]
    errors = store.items_page(run_id, 0, 1000, "error")
    assert store.items_page(run_id, 50, 5, "error") == errors[50:55]
    assert store.items_page(run_id, 300, 10) == []


def test_runs_are_listed_newest_first_with_keyset_pages(engine: Engine) -> None:
    store = SqlStateStore(engine)
    ids = [store.start_run("p", "manual") for _ in range(5)]
    summary = RunSummary(ids[-1], "p", "manual", False, datetime.now(UTC), errors=2, error=None)
    store.finish_run(ids[-1], summary)
    first = store.runs_page(limit=2)
    assert [r.id for r in first.items] == ids[:-3:-1] and first.next_before_id == ids[-2]
    rest = store.runs_page(limit=10, before_id=first.next_before_id)
    assert [r.id for r in rest.items] == ids[-3::-1] and rest.next_before_id is None
    assert store.run(ids[-1]).errors == 2  # type: ignore[union-attr]
    assert store.run(12345) is None


def test_retry_targets_are_the_failed_records_wherever_retry_is_pressed(engine: Engine) -> None:
    store = SqlStateStore(engine)
    run_id = store.start_run("p", "manual")
    store.record_items(run_id, items(8))
    store.add_retries("p", [(Side.JIRA, "j2", "HTTP 400"), (Side.BITRIX24, "b6", "HTTP 400")])
    every = store.retry_targets("p")
    assert (every.jira, every.bitrix24) == ({"j2"}, {"b6"})
    (item,) = [i for i in store.items_page(run_id, 0, 10, "error") if i.jira_id == "j6"]
    one = store.retry_targets("p", [item.id])
    assert (one.jira, one.bitrix24) == ({"j6"}, {"b6"})
    assert not store.retry_targets("other-profile", [item.id])  # an item of another profile is not retried
    store.make_retries_due(every)
    due = {(r.side, r.record_id) for r in store.due_retries("p", datetime.now(UTC))}
    assert due == {(Side.JIRA, "j2"), (Side.BITRIX24, "b6")}


def test_existing_items_are_numbered_by_the_migration(db_url: str) -> None:
    from models import db

    eng = db.make_engine(db_url)
    try:
        db.migrate(eng, "0004")
        now = datetime.now(UTC)
        with eng.begin() as conn:
            for run in (1, 2):
                conn.execute(text("INSERT INTO sync_runs (id, profile, trigger, status, started_at, created_jira, "
                                  "created_bitrix24, updated_jira, updated_bitrix24, matched, unchanged, conflicts, "
                                  "errors, api_calls_jira, api_calls_bitrix24, retries_jira, retries_bitrix24) VALUES "
                                  "(:r, 'p', 'manual', 'ok', :now, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)"),
                             {"r": run, "now": now})
            for n, (run, action) in enumerate([(1, "create"), (2, "create"), (1, "error"), (1, "create"),
                                               (2, "error")]):
                conn.execute(text("INSERT INTO sync_run_items (id, run_id, action, changes) VALUES (:i, :r, :a, '{}')"),
                             {"i": n + 1, "r": run, "a": action})
        db.migrate(eng)
        with eng.connect() as conn:
            rows = conn.execute(text("SELECT id, seq, action_seq FROM sync_run_items ORDER BY id")).all()
        assert [tuple(r) for r in rows] == [(1, 1, 1), (2, 1, 1), (3, 2, 1), (4, 3, 2), (5, 2, 1)]
    finally:
        eng.dispose()
