"""The queue on SQLite and PostgreSQL: claims by lane, leases, takeover, retries, generations, cancelling."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine, text

from sync_engine.clock import ManualClock
from sync_engine.jobs import JobStore, NewJob, Outcome, retry_backoff

LEASE = timedelta(seconds=30)


def job(lane: str = "p", kind: str = "sync", due: datetime | None = None, **payload: object) -> NewJob:
    return NewJob(kind, lane, dict(payload), due, origin="event", received_at=datetime.now(UTC), max_attempts=2)


def test_one_lane_is_claimed_by_one_owner_with_all_its_due_jobs(engine: Engine) -> None:
    store = JobStore(engine)
    store.add([job("p"), job("p"), job("q"), job("p", due=store.now() + timedelta(hours=1))])
    first = store.claim("A", LEASE)
    second = store.claim("B", LEASE)
    assert first is not None and second is not None
    assert {first.lane, second.lane} == {"p", "q"}
    claimed = {c.lane: c for c in (first, second)}
    assert len(claimed["p"].jobs) == 2  # the not-yet-due job stays behind
    assert store.claim("C", LEASE) is None  # p is leased although it has a future job
    owner_p = "A" if first.lane == "p" else "B"
    store.close(owner_p, "p", [Outcome([j.id for j in claimed["p"].jobs], "done", {"run_id": 7})])
    assert store.claim("C", LEASE) is None
    assert [r["status"] for r in store.list(lane="p")] == ["pending", "done", "done"]
    assert store.list(lane="p")[1]["result"] == {"run_id": 7}


def test_a_worker_claims_only_the_kinds_it_runs(engine: Engine) -> None:
    store = JobStore(engine)
    store.add([job("p", "sync"), job("p", "report.build"), job("r", "report.build")])
    claim = store.claim("A", LEASE, kinds=["sync"])
    assert claim is not None and claim.lane == "p" and [j.kind for j in claim.jobs] == ["sync"]
    assert store.claim("B", LEASE, kinds=["sync"]) is None
    other = store.claim("B", LEASE, kinds=["report.build"])
    assert other is not None and other.lane == "r"  # p is held by A, whatever the kind


def test_jobs_falling_due_during_a_held_lease_join_the_batch(engine: Engine) -> None:
    store = JobStore(engine)
    store.add([job("p")])
    claim = store.claim("A", LEASE)
    assert claim is not None and len(claim.jobs) == 1
    store.add([job("p"), job("p"), job("q"), job("p", due=store.now() + timedelta(hours=1))])
    more = store.claim_more("A", "p", LEASE)
    assert len(more) == 2 and all(j.lane == "p" and j.attempts == 1 for j in more)
    assert store.claim_more("A", "p", LEASE) == []  # taken already
    assert store.claim_more("B", "p", LEASE) == []  # not B's lease
    store.close("A", "p", [Outcome([j.id for j in claim.jobs + more], "done")])
    store.add([job("p")])
    assert store.claim_more("A", "p", LEASE) == []  # the lease was let go with the batch
    assert [r["status"] for r in store.list(lane="p")].count("done") == 3


def test_an_expired_lease_and_its_jobs_are_taken_over(engine: Engine) -> None:
    store = JobStore(engine)
    store.add([job("p"), job("p")])
    taken = store.claim("dead", timedelta(seconds=0.3))
    assert taken is not None and len(taken.jobs) == 2 and taken.taken_over_from is None
    assert store.claim("alive", LEASE) is None
    time.sleep(0.5)
    again = store.claim("alive", LEASE)
    assert again is not None and [j.attempts for j in again.jobs] == [2, 2]
    assert again.taken_over_from == "dead" and again.previous_lease_until is not None
    assert not store.renew("dead", "p", [j.id for j in taken.jobs], LEASE)
    assert store.renew("alive", "p", [j.id for j in again.jobs], LEASE)


def test_failed_jobs_back_off_then_fail_for_good(engine: Engine) -> None:
    clock = ManualClock()
    store = JobStore(engine, clock)
    store.add([job("p")])
    claim = store.claim("A", LEASE)
    assert claim is not None
    store.close("A", "p", [Outcome([j.id for j in claim.jobs], "retry", error="remote down")])
    row = store.list(lane="p")[0]
    assert row["status"] == "pending" and row["due_at"] >= clock.now() + retry_backoff(1)
    assert store.claim("A", LEASE) is None  # not due yet
    clock.advance(retry_backoff(1) + timedelta(seconds=1))
    claim = store.claim("A", LEASE)
    assert claim is not None
    store.close("A", "p", [Outcome([j.id for j in claim.jobs], "retry", error="still down")])
    row = store.list(lane="p")[0]
    assert row["status"] == "failed" and row["attempts"] == 2 and row["last_error"] == "still down"
    assert retry_backoff(1) < retry_backoff(3) <= timedelta(minutes=10)


def test_outcomes_of_one_batch_differ_per_job(engine: Engine) -> None:
    store = JobStore(engine)
    ids = store.add([job("p"), job("p"), job("p")])
    claim = store.claim("A", LEASE)
    assert claim is not None
    store.close("A", "p", [Outcome([ids[0]], "done", {"n": 1}), Outcome([ids[1]], "failed", error="bad record"),
                           Outcome([ids[2]], "cancelled", error="not wanted")])
    rows = {r["id"]: r for r in store.list(lane="p")}
    assert [rows[i]["status"] for i in ids] == ["done", "failed", "cancelled"]
    assert rows[ids[1]]["last_error"] == "bad record"


def test_release_hands_jobs_back_without_counting_an_attempt(engine: Engine) -> None:
    store = JobStore(engine)
    store.add([job("p")])
    claim = store.claim("A", LEASE)
    assert claim is not None
    store.release("A", "p", [j.id for j in claim.jobs])
    again = store.claim("B", LEASE)
    assert again is not None and again.jobs[0].attempts == 1


def test_a_generation_bump_makes_older_jobs_stale(engine: Engine) -> None:
    store = JobStore(engine)
    old = store.add([job("deal-protection:7", "process"), job("deal-protection:7", "process")])
    assert store.generation("deal-protection:7") == 0
    assert store.bump_generation("deal-protection:7") == 1
    new = store.add([job("deal-protection:7", "process")])
    claim = store.claim("A", LEASE)
    assert claim is not None and [j.id for j in claim.jobs] == new and claim.jobs[0].generation == 1
    rows = {r["id"]: r for r in store.list(lane="deal-protection:7")}
    assert {rows[i]["status"] for i in old} == {"cancelled"}
    assert "generation 1" in rows[old[0]]["last_error"]


def test_cancel_takes_only_pending_jobs_of_the_lane(engine: Engine) -> None:
    store = JobStore(engine)
    store.add([job("l"), job("m")])
    claim = store.claim("A", LEASE)
    assert claim is not None
    running_lane = claim.lane
    store.add([job(running_lane, "other")])
    idle_lane = "m" if running_lane == "l" else "l"
    assert store.cancel(idle_lane, reason="deal closed") == 1
    assert store.cancel(running_lane, kinds=["sync"]) == 0  # its sync job is running, not pending
    assert store.cancel(running_lane) == 1  # the "other" job was pending
    assert {r["status"] for r in store.list(lane=idle_lane)} == {"cancelled"}


def test_lag_and_depth(engine: Engine) -> None:
    store = JobStore(engine)
    assert store.queue_depth() == 0 and store.oldest_waiting() is None
    store.add([job("p"), job("q", "report.build")])
    assert store.queue_depth() == 2 and store.queue_depth(kinds=["sync"]) == 1
    oldest = store.oldest_waiting()
    assert oldest is not None and oldest.tzinfo is not None and datetime.now(UTC) - oldest < timedelta(seconds=30)


@pytest.mark.parametrize("lane", ["", "x" * 201, "bad\nlane"])
def test_lanes_are_named_sensibly(lane: str) -> None:
    with pytest.raises(ValueError, match="lane"):
        NewJob("sync", lane)


def test_the_0003_queue_moves_into_the_shared_one_and_back(db_url: str) -> None:
    """Rows of the profile-keyed queue (0003) arrive as sync jobs in their profile's lane, and go back."""
    from alembic import command

    from models import db

    eng = db.make_engine(db_url)
    try:
        db.migrate(eng, "0003")
        now = datetime.now(UTC)
        with eng.begin() as conn:
            conn.execute(text(
                "INSERT INTO service_jobs (id, profile, kind, status, due_at, attempts, max_attempts, payload, run_id, "
                "result, created_at, updated_at) VALUES (41, 'deals', 'event', 'done', :now, 1, 5, '{\"trigger\": "
                "\"event\"}', 9, '{\"created\": 1}', :now, :now)"), {"now": now})
            conn.execute(text("INSERT INTO service_profile_leases (profile, owner) VALUES ('deals', NULL)"))
            conn.execute(text(
                "INSERT INTO service_timers (id, name, profile, kind, spec, due_at, fired_count, active, created_at, "
                "updated_at) VALUES (5, 'schedule:deals:x', 'deals', 'schedule', '{\"trigger\": {\"type\": "
                "\"schedule\", \"interval_seconds\": 60}, \"job\": {\"trigger\": \"schedule\"}}', :now, 3, "
                ":t, :now, :now)"), {"now": now, "t": True})
        db.migrate(eng)
        store = JobStore(eng)
        (row,) = store.list()
        assert (row["id"], row["kind"], row["lane"], row["origin"], row["status"]) == (41, "sync", "deals", "event",
                                                                                       "done")
        assert row["result"] == {"created": 1, "run_id": 9} and row["payload"] == {"trigger": "event"}
        from sync_engine.jobs import TimerStore

        (timer,) = TimerStore(store).list()
        assert (timer.name, timer.lane, timer.job_kind, timer.fired_count) == ("schedule:deals:x", "deals", "sync", 3)
        assert timer.spec == {"payload": {"trigger": "schedule"}, "origin": "schedule",
                              "schedule": {"type": "schedule", "interval_seconds": 60}}
        assert store.add([job("deals")]) == [42]  # the id sequence moved past the rows that kept their ids
        with eng.connect() as conn:
            command.downgrade(db.alembic_config(connection=conn), "0003")
            conn.commit()
        with eng.connect() as conn:
            back = conn.execute(text("SELECT id, profile, kind, run_id FROM service_jobs ORDER BY id")).all()
            timers = conn.execute(text("SELECT name, profile FROM service_timers")).all()
        assert [tuple(r) for r in back] == [(41, "deals", "event", 9), (42, "deals", "event", None)]
        assert [tuple(r) for r in timers] == [("schedule:deals:x", "deals")]
    finally:
        eng.dispose()
