"""Event conditions and schedules decide when a profile runs."""

from __future__ import annotations

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


@settings(max_examples=100, deadline=None)
@given(st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2090, 1, 1), timezones=st.just(UTC)),
       st.sampled_from(["*/5 * * * *", "0 9 * * 1-5", "30 2 1 * *", "0 0 29 2 *"]),
       st.sampled_from(["UTC", "Europe/Moscow", "America/New_York"]))
def test_cron_next_is_after_and_matches(start: datetime, expr: str, zone: str) -> None:
    t = ScheduleTrigger(cron=expr, timezone=zone)
    nxt = next_fire_time(t, start, start)
    assert nxt > start and nxt.tzinfo is not None
    local = nxt.astimezone(ZoneInfo(zone))
    minute = expr.split()[0]
    assert local.minute % 5 == 0 if minute == "*/5" else local.minute == int(minute)
