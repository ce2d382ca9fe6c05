"""Event conditions and schedules decide when a profile runs."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sync_engine.profiles.schema import EventTrigger, ScheduleTrigger
from sync_engine.triggers import Change, SyncEvent, evaluate, next_fire_time


def trig(system: str = "bitrix24", event: str = "updated", *conds: dict[str, Any]) -> EventTrigger:
    return EventTrigger.model_validate({"system": system, "event": event, "conditions": list(conds)})


def deal_moved(before: str, after: str, **fields: Any) -> SyncEvent:
    return SyncEvent("bitrix24", "updated", "deal", "17", {"STAGE_ID": after, **fields},
                     {"STAGE_ID": Change(before, after)})


def test_deal_stage_moved_to_x() -> None:
    t = trig("bitrix24", "stage_changed", {"field": "STAGE_ID", "op": "changed_to", "value": "WON"})
    assert evaluate(t, deal_moved("FINAL_INVOICE", "WON"))
    assert not evaluate(t, deal_moved("NEW", "PREPARATION"))
    # a save that did not move the stage is not a stage change, even if the field is reported
    assert not evaluate(t, deal_moved("WON", "WON"))
    assert not evaluate(t, SyncEvent("bitrix24", "updated", "deal", "17", {"STAGE_ID": "WON", "TITLE": "x"},
                                     {"TITLE": Change("a", "x")}))


def test_stage_changed_on_jira_means_status() -> None:
    t = trig("jira", "stage_changed")
    e = SyncEvent("jira", "updated", "issue", "PROC-1", {"status": {"name": "Выполнен", "id": "6"}},
                  {"status": Change({"name": "Открыт", "id": "1"}, {"name": "Выполнен", "id": "6"})})
    assert evaluate(t, e)
    assert not evaluate(trig("bitrix24", "stage_changed"), e)


def test_contact_added() -> None:
    t = trig("bitrix24", "created")
    assert evaluate(t, SyncEvent("bitrix24", "created", "contact", "5", {"NAME": "Иван"}))
    assert not evaluate(t, SyncEvent("bitrix24", "updated", "contact", "5", {"NAME": "Иван"}))
    assert not evaluate(t, SyncEvent("jira", "created", "issue", "CRM-5"))


def test_issue_created_in_project() -> None:
    t = trig("jira", "created", {"field": "project", "op": "eq", "value": "PROC"})
    assert evaluate(t, SyncEvent("jira", "created", "issue", "PROC-9", {"project": {"key": "PROC", "id": "1"}}))
    assert not evaluate(t, SyncEvent("jira", "created", "issue", "CAT-9", {"project": {"key": "CAT", "id": "2"}}))


def test_created_or_updated() -> None:
    t = trig("jira", "created_or_updated")
    assert evaluate(t, SyncEvent("jira", "created", "issue"))
    assert evaluate(t, SyncEvent("jira", "updated", "issue"))
    assert not evaluate(t, SyncEvent("jira", "deleted", "issue"))


@pytest.mark.parametrize(("cond", "fields", "changes", "expected"), [
    ({"field": "OPPORTUNITY", "op": "eq", "value": 1000}, {"OPPORTUNITY": "1000.00"}, {}, True),
    ({"field": "OPPORTUNITY", "op": "ne", "value": 1000}, {"OPPORTUNITY": "1000.00"}, {}, False),
    ({"field": "STAGE_ID", "op": "in", "value": ["WON", "LOSE"]}, {"STAGE_ID": "LOSE"}, {}, True),
    ({"field": "STAGE_ID", "op": "not_in", "value": ["WON", "LOSE"]}, {"STAGE_ID": "LOSE"}, {}, False),
    ({"field": "customfield_10104", "op": "eq", "value": "usd"}, {"customfield_10104": {"value": "USD"}}, {}, True),
    ({"field": "OPENED", "op": "eq", "value": True}, {"OPENED": "Y"}, {}, True),
    ({"field": "COMPANY_ID", "op": "empty"}, {"COMPANY_ID": ""}, {}, True),
    ({"field": "COMPANY_ID", "op": "not_empty"}, {"COMPANY_ID": "5"}, {}, True),
    ({"field": "COMPANY_ID", "op": "empty"}, {}, {}, True),
    ({"field": "assignee", "op": "eq", "value": "ivanov@vektorsoft.ru"},
     {"assignee": {"name": "ivanov", "emailAddress": "ivanov@vektorsoft.ru"}}, {}, True),
    ({"field": "OPPORTUNITY", "op": "changed"}, {}, {"OPPORTUNITY": Change("1000.00", 1000)}, False),
    ({"field": "OPPORTUNITY", "op": "changed"}, {}, {"OPPORTUNITY": Change("1000.00", 2000)}, True),
    ({"field": "COMPANY_ID", "op": "changed"}, {}, {"COMPANY_ID": Change(None, "5")}, True),
    ({"field": "STAGE_ID", "op": "changed_from", "value": "NEW"}, {}, {"STAGE_ID": Change("NEW", "WON")}, True),
    ({"field": "STAGE_ID", "op": "changed_from", "value": "NEW"}, {}, {"STAGE_ID": Change("LOSE", "WON")}, False),
])
def test_conditions(cond: dict[str, Any], fields: dict[str, Any], changes: dict[str, Change],
                    expected: bool) -> None:
    event = SyncEvent("bitrix24", "updated", "deal", "1", fields, changes)
    assert evaluate(trig("bitrix24", "updated", cond), event) is expected


def test_all_conditions_must_hold() -> None:
    t = trig("bitrix24", "updated", {"field": "STAGE_ID", "op": "eq", "value": "WON"},
             {"field": "OPPORTUNITY", "op": "eq", "value": 5})
    assert not evaluate(t, SyncEvent("bitrix24", "updated", "deal", "1", {"STAGE_ID": "WON", "OPPORTUNITY": "4"}))
    assert evaluate(t, SyncEvent("bitrix24", "updated", "deal", "1", {"STAGE_ID": "WON", "OPPORTUNITY": "5.00"}))


# -------------------------------------------------------------------------------------- schedules

NOW = datetime(2026, 11, 26, 21, 0, 5, tzinfo=UTC)


def test_interval_schedule() -> None:
    t = ScheduleTrigger(interval_seconds=300)
    assert next_fire_time(t, None, NOW) == NOW
    assert next_fire_time(t, NOW, NOW) == NOW + timedelta(seconds=300)


def test_cron_in_its_time_zone() -> None:
    t = ScheduleTrigger(cron="0 9 * * 1-5", timezone="Europe/Moscow")
    # Thursday 21:00 UTC = Friday 00:00 Moscow → Friday 09:00 Moscow = 06:00 UTC
    assert next_fire_time(t, None, NOW) == datetime(2026, 11, 27, 6, 0, tzinfo=UTC)
    friday = datetime(2026, 11, 27, 6, 0, tzinfo=UTC)
    assert next_fire_time(t, friday, friday) == datetime(2026, 11, 30, 6, 0, tzinfo=UTC)  # Monday


def test_missed_cron_run_is_due_now() -> None:
    t = ScheduleTrigger(cron="*/15 * * * *")
    long_ago = NOW - timedelta(days=3)
    assert next_fire_time(t, long_ago, NOW) <= NOW


def test_naive_times_are_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        next_fire_time(ScheduleTrigger(interval_seconds=60), None, datetime(2026, 1, 1))


NY = ZoneInfo("America/New_York")


def _cron(expr: str, last: datetime, zone: str = "America/New_York") -> datetime:
    return next_fire_time(ScheduleTrigger(cron=expr, timezone=zone), last, last)


def test_a_time_the_clocks_skip_runs_once_right_after_the_jump() -> None:
    # 2001-04-01, New York: 02:00 EST jumps to 03:00 EDT, so 02:30 does not exist that night. Like Vixie
    # cron, the nightly job runs as soon as the clocks have jumped, once, and keeps its time afterwards.
    before = datetime(2001, 3, 31, 2, 30, tzinfo=NY)
    jumped = _cron("30 2 * * *", before)
    assert jumped == datetime(2001, 4, 1, 3, 0, tzinfo=NY) == datetime(2001, 4, 1, 7, 0, tzinfo=UTC)
    assert _cron("30 2 * * *", jumped) == datetime(2001, 4, 2, 2, 30, tzinfo=NY)
    # two times in the skipped hour still make one run
    assert _cron("15,45 2 * * *", datetime(2001, 3, 31, 2, 45, tzinfo=NY)) == jumped
    assert _cron("15,45 2 * * *", jumped) == datetime(2001, 4, 2, 2, 15, tzinfo=NY)


def test_a_time_the_clocks_repeat_runs_once_at_its_first_pass() -> None:
    # 2001-10-28, New York: 02:00 EDT falls back to 01:00 EST, so 01:30 comes twice (05:30 and 06:30 UTC).
    first = _cron("30 1 * * *", datetime(2001, 10, 27, 1, 30, tzinfo=NY))
    assert first == datetime(2001, 10, 28, 5, 30, tzinfo=UTC)
    assert _cron("30 1 * * *", first) == datetime(2001, 10, 29, 6, 30, tzinfo=UTC)  # not 06:30 the same day
    assert _cron("30 1 * * 0", first) == datetime(2001, 11, 4, 6, 30, tzinfo=UTC)


def test_jobs_with_a_star_in_the_minute_or_hour_run_through_the_repeated_hour() -> None:
    # Frequent jobs run by the clock: every 20 minutes, or at half past every hour, both passes included.
    first_pass = datetime(2001, 10, 28, 5, 40, tzinfo=UTC)  # 01:40 EDT
    assert _cron("*/20 * * * *", first_pass) == datetime(2001, 10, 28, 6, 0, tzinfo=UTC)  # 01:00 EST
    assert _cron("*/20 1 * * *", first_pass) == datetime(2001, 10, 28, 6, 0, tzinfo=UTC)
    assert _cron("30 * * * *", datetime(2001, 10, 28, 5, 30, tzinfo=UTC)) == datetime(2001, 10, 28, 6, 30, tzinfo=UTC)
    assert _cron("30 1-3 * * *", datetime(2001, 10, 28, 5, 30, tzinfo=UTC)) == datetime(2001, 10, 28, 7, 30, tzinfo=UTC)


def test_fire_times_are_utc_whatever_the_machines_zone(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TZ", "Asia/Yekaterinburg")
    time.tzset()
    try:
        for trigger, last in ((ScheduleTrigger(interval_seconds=60), None), (ScheduleTrigger(interval_seconds=60), NOW),
                              (ScheduleTrigger(cron="0 9 * * *", timezone="Europe/Moscow"), NOW)):
            assert next_fire_time(trigger, last, NOW).utcoffset() == timedelta(0)
    finally:
        monkeypatch.undo()
        time.tzset()


def test_a_naive_last_fire_time_is_refused() -> None:
    with pytest.raises(ValueError, match=r"^last_fired must be timezone-aware$"):
        next_fire_time(ScheduleTrigger(interval_seconds=60), datetime(2026, 1, 1), NOW)
    with pytest.raises(ValueError, match=r"^now must be timezone-aware$"):
        next_fire_time(ScheduleTrigger(interval_seconds=60), NOW, datetime(2026, 1, 1))


def _jumped_forward(moment: datetime, zone: ZoneInfo) -> bool:
    """Did the clocks jump forward in the minute before ``moment``?"""
    before, after = (moment - timedelta(minutes=1)).astimezone(zone).utcoffset(), moment.astimezone(zone).utcoffset()
    return before is not None and after is not None and before < after


@settings(max_examples=100, deadline=None)
@given(st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2090, 1, 1), timezones=st.just(UTC)),
       st.sampled_from(["*/5 * * * *", "0 9 * * 1-5", "30 2 1 * *", "0 0 29 2 *", "30 1 * * *"]),
       st.sampled_from(["UTC", "Europe/Moscow", "America/New_York"]))
def test_cron_next_is_after_and_matches(start: datetime, expr: str, zone: str) -> None:
    t = ScheduleTrigger(cron=expr, timezone=zone)
    nxt = next_fire_time(t, start, start)
    assert nxt > start and nxt.tzinfo is not None
    tz = ZoneInfo(zone)
    local = nxt.astimezone(tz)
    minute = expr.split()[0]
    matches = local.minute % 5 == 0 if minute == "*/5" else local.minute == int(minute)
    # a local time the clocks skipped runs right after the jump (see next_fire_time)
    assert matches or _jumped_forward(nxt, tz)
    # ... and no fixed time runs twice in one night when the clocks fall back
    if not minute.startswith("*"):
        after = next_fire_time(t, nxt, nxt).astimezone(tz)
        assert after.replace(tzinfo=None, fold=0) != local.replace(tzinfo=None, fold=0)


@settings(max_examples=25, deadline=None)
@given(st.integers(min_value=0, max_value=89), st.sampled_from(["30 2 * * *", "30 1 * * *", "0 2 * * *"]))
def test_nightly_jobs_run_once_every_night_across_the_transitions(year_offset: int, expr: str) -> None:
    # Around both of a year's transitions in New York: one run a night, never two, never none.
    year = 2000 + year_offset
    for month in (3, 4, 10, 11):
        fired = datetime(year, month, 1, 12, tzinfo=UTC)
        nights = []
        for _ in range(31):
            fired = _cron(expr, fired)
            nights.append(fired.astimezone(NY).date())
        assert len(set(nights)) == len(nights) and (nights[-1] - nights[0]).days == len(nights) - 1
