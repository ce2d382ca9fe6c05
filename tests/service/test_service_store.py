"""The durable queue on SQLite and PostgreSQL: dedup, claims, leases, takeover, retries, timers, tokens."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine, text

from models.db import open_database
from sync_engine.engine.sql_store import SqlStateStore
from sync_engine.service.store import NewJob, ServiceStore, retry_backoff, utcnow
from sync_engine.service.tokens import TokenError, TokenStore, token_hash


@pytest.fixture
def engine(any_db: str) -> Iterator[Engine]:
    eng = open_database(any_db)
    yield eng
    eng.dispose()


def job(profile: str = "p", kind: str = "event", due: datetime | None = None, **payload: object) -> NewJob:
    return NewJob(profile, kind, dict(payload), due or utcnow(), received_at=utcnow(), max_attempts=2)


def test_inbox_drops_redeliveries(engine: Engine) -> None:
    store = ServiceStore(engine)
    assert store.inbox_add("jira-x", "jira", "jira:abc", "jira:issue_updated", {"id": "1"})
    assert not store.inbox_add("jira-x", "jira", "jira:abc", "jira:issue_updated", {"id": "1"})
    assert store.inbox_counts() == {"new": 1}


def test_one_profile_is_claimed_by_one_owner_with_all_its_due_jobs(engine: Engine) -> None:
    store = ServiceStore(engine)
    store.add_jobs([job("p"), job("p"), job("q"), job("p", due=utcnow() + timedelta(hours=1))])
    first = store.claim("A", timedelta(seconds=30))
    second = store.claim("B", timedelta(seconds=30))
    assert first is not None and second is not None
    assert {first[0], second[0]} == {"p", "q"}
    claimed = dict([first, second])
    assert len(claimed["p"]) == 2  # the not-yet-due job stays behind
    assert store.claim("C", timedelta(seconds=30)) is None  # p is leased although it has a future job
    owner_p = "A" if first[0] == "p" else "B"
    store.finish(owner_p, "p", [j.id for j in claimed["p"]], run_id=7, result={"ok": True})
    assert store.claim("C", timedelta(seconds=30)) is None
    assert [r["status"] for r in store.jobs(profile="p")] == ["pending", "done", "done"]


def test_jobs_falling_due_during_a_held_lease_join_the_batch(engine: Engine) -> None:
    store = ServiceStore(engine)
    store.add_jobs([job("p")])
    claimed = store.claim("A", timedelta(seconds=30))
    assert claimed is not None and len(claimed[1]) == 1
    store.add_jobs([job("p"), job("p"), job("q"), job("p", due=utcnow() + timedelta(hours=1))])
    more = store.claim_more("A", "p", timedelta(seconds=30))
    assert len(more) == 2 and all(j.profile == "p" and j.attempts == 1 for j in more)
    assert store.claim_more("A", "p", timedelta(seconds=30)) == []  # taken already
    assert store.claim_more("B", "p", timedelta(seconds=30)) == []  # not B's lease
    store.finish("A", "p", [j.id for j in claimed[1] + more], run_id=1, result={})
    store.add_jobs([job("p")])
    assert store.claim_more("A", "p", timedelta(seconds=30)) == []  # the lease was let go with the batch
    assert [r["status"] for r in store.jobs(profile="p")].count("done") == 3


def test_an_expired_lease_and_its_jobs_are_taken_over(engine: Engine) -> None:
    store = ServiceStore(engine)
    store.add_jobs([job("p"), job("p")])
    taken = store.claim("dead", timedelta(seconds=0.3))
    assert taken is not None and len(taken[1]) == 2
    run_id = SqlStateStore(engine).start_run("p", "event")  # the dead instance's run, never finished
    assert store.claim("alive", timedelta(seconds=30)) is None
    time.sleep(0.5)
    again = store.claim("alive", timedelta(seconds=30))
    assert again is not None and [j.attempts for j in again[1]] == [2, 2]
    assert not store.renew("dead", "p", [j.id for j in taken[1]], timedelta(seconds=30))
    with engine.connect() as conn:
        status, error = conn.execute(text("SELECT status, error FROM sync_runs WHERE id = :i"), {"i": run_id}).one()
    assert status == "failed" and "interrupted" in error
    assert store.renew("alive", "p", [j.id for j in again[1]], timedelta(seconds=30))


def test_failed_jobs_back_off_then_fail_for_good(engine: Engine) -> None:
    store = ServiceStore(engine)
    store.add_jobs([job("p")])
    _, jobs = store.claim("A", timedelta(seconds=30)) or ("", [])
    store.finish("A", "p", [j.id for j in jobs], run_id=None, result=None, error="remote down", retry=True)
    row = store.jobs(profile="p")[0]
    assert row["status"] == "pending" and row["due_at"] > utcnow() + timedelta(seconds=3)
    with engine.begin() as conn:
        conn.execute(text("UPDATE service_jobs SET due_at = :now"), {"now": utcnow() - timedelta(seconds=1)})
    _, jobs = store.claim("A", timedelta(seconds=30)) or ("", [])
    store.finish("A", "p", [j.id for j in jobs], run_id=None, result=None, error="still down", retry=True)
    row = store.jobs(profile="p")[0]
    assert row["status"] == "failed" and row["attempts"] == 2 and row["last_error"] == "still down"
    assert retry_backoff(1) < retry_backoff(3) <= timedelta(minutes=10)


def test_release_hands_jobs_back_without_counting_an_attempt(engine: Engine) -> None:
    store = ServiceStore(engine)
    store.add_jobs([job("p")])
    _, jobs = store.claim("A", timedelta(seconds=30)) or ("", [])
    store.release("A", "p", [j.id for j in jobs])
    again = store.claim("B", timedelta(seconds=30))
    assert again is not None and again[1][0].attempts == 1


def test_lag_and_depth(engine: Engine) -> None:
    store = ServiceStore(engine)
    assert store.queue_depth() == 0 and store.oldest_waiting() is None
    store.add_jobs([job("p")])
    assert store.queue_depth() == 1
    oldest = store.oldest_waiting()
    assert oldest is not None and oldest.tzinfo is not None and utcnow() - oldest < timedelta(seconds=30)


def test_timers_fire_exactly_once_even_when_polled_concurrently(engine: Engine) -> None:
    store = ServiceStore(engine)
    assert store.add_once("t1", "p", utcnow() - timedelta(seconds=1), {"job": {"trigger": "timer:t1"}})
    assert not store.add_once("t1", "p", utcnow(), {})
    store.sync_schedules({"schedule:p:x": ("p", {"trigger": {"type": "schedule", "interval_seconds": 60}},
                                           utcnow() - timedelta(seconds=1))})
    fired: list[str] = []
    errors: list[BaseException] = []

    def poll() -> None:
        try:
            for t in store.fire_due(lambda spec, at: at + timedelta(seconds=60)):
                fired.append(t.name)
        except BaseException as exc:  # SQLite may report "locked" to one of the racers
            errors.append(exc)

    threads = [threading.Thread(target=poll) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    poll()
    assert sorted(fired) == ["schedule:p:x", "t1"]
    timers = {t["name"]: t for t in store.timers()}
    assert timers["t1"]["active"] is False and timers["t1"]["fired_count"] == 1
    assert timers["schedule:p:x"]["active"] is True and timers["schedule:p:x"]["due_at"] > utcnow()
    assert sorted(r["kind"] for r in store.jobs()) == ["schedule", "timer"]
    store.sync_schedules({})
    assert {t["name"]: t["active"] for t in store.timers()}["schedule:p:x"] is False


def test_tokens_are_kept_as_hashes(engine: Engine) -> None:
    tokens = TokenStore(engine)
    admin = tokens.create("ops")
    reader = tokens.create("viewer", "read")
    with pytest.raises(TokenError, match="exists already"):
        tokens.create("ops")
    with engine.connect() as conn:
        stored = [r[0] for r in conn.execute(text("SELECT token_hash FROM service_tokens"))]
    assert admin not in stored and token_hash(admin) in stored
    info = tokens.verify(admin)
    assert info is not None and info.role == "admin"
    read = tokens.verify(reader)
    assert read is not None and read.role == "read"
    assert tokens.verify(admin + "x") is None
    assert tokens.revoke("ops") and tokens.verify(admin) is None


def test_utc_only() -> None:
    assert utcnow().tzinfo is UTC
