"""Event conditions on the values the APIs really send: options, users, numbers, flags, lists, blanks.

A condition that holds when it should not starts runs nobody asked for; one that fails silently loses the
run a business rule needed (a won deal that never becomes a purchase request).
"""

from __future__ import annotations

from typing import Any

import pytest

from sync_engine.profiles.schema import Condition, EventTrigger
from sync_engine.triggers import Change, SyncEvent, condition_holds, evaluate


def holds(op: str, raw: Any, value: Any = None, *, changes: dict[str, Change] | None = None,
          fields: dict[str, Any] | None = None) -> bool:
    cond = Condition.model_validate({"field": "F", "op": op, "value": value})
    event = SyncEvent("bitrix24", "updated", "deal", "1", {"F": raw} if fields is None else fields, changes or {})
    return condition_holds(cond, event)


@pytest.mark.parametrize(("raw", "expected", "result"), [
    (["71", "72"], "71", True),  # a multi-select holds a value if any of its options is it
    (["71", "72"], "72", True),
    (["71", "72"], "73", False),
    ({"accountId": "5b10ac8d", "displayName": "Иван Иванов"}, "5b10ac8d", True),  # JIRA Cloud user
    ({"accountId": "5b10ac8d", "displayName": "Иван Иванов"}, "иван иванов", True),
    ({"key": "PROC", "id": "1"}, "proc", True),
    (True, "Y", True), (True, "true", True), (True, "N", False),
    (False, "N", True), (False, "false", True), (False, "Y", False),
    ("N", False, True), ("Y", False, False),
    (1000.0, 1000, True),  # a float from JIRA against a whole number in the profile
    (" 1000 ", 1000.0, True),
    ("", "WON", False),  # an empty field matches no value
    (None, "WON", False),
    ([], "71", False),
    ("5", None, False),  # ... and only an empty field matches "empty"
    ("", None, True),
])
def test_eq_on_raw_api_values(raw: Any, expected: Any, result: bool) -> None:
    assert holds("eq", raw, expected) is result
    assert holds("ne", raw, expected) is not result


def test_in_and_not_in() -> None:
    assert holds("in", "LOSE", ["WON", "LOSE"]) and not holds("not_in", "LOSE", ["WON", "LOSE"])
    assert holds("not_in", "NEW", ["WON", "LOSE"]) and not holds("in", "NEW", ["WON", "LOSE"])
    assert holds("not_in", "", ["WON"])


def test_empty_and_not_empty() -> None:
    assert holds("empty", None) and holds("empty", "") and holds("empty", [])
    assert not holds("empty", "5") and holds("not_empty", "5") and not holds("not_empty", "")


def test_a_condition_on_a_field_known_only_from_the_change_reads_its_new_value() -> None:
    # A webhook names what changed; the record read may not carry that field (not selected).
    change = {"F": Change("NEW", "WON")}
    assert holds("eq", None, "WON", changes=change, fields={})
    assert not holds("eq", None, "NEW", changes=change, fields={})
    # the record, when it has the field, is what the record is now
    assert holds("eq", None, "LOSE", changes=change, fields={"F": "LOSE"})


@pytest.mark.parametrize(("before", "after", "changed"), [
    (["71", "72"], ["72", "71"], False),  # the same options in another order
    ("71", ["71"], False),  # one option, as a value or a list of one
    (["71"], ["71", "72"], True),
    (["71", "72"], ["71", "73"], True),
    (["71", "71"], ["71"], True),
    (["71"], ["71", "71"], True),
    ("5", None, True),  # cleared
    (None, "5", True),
    ("", None, False),  # blank either way
    ("1 000,50", 1000.5, False),  # the same amount written two ways
    ("1000.00", 1001, True),
    ({"value": "USD", "id": "1"}, "usd", False),
])
def test_changed_ignores_a_field_reported_as_changed_but_the_same(before: Any, after: Any, changed: bool) -> None:
    assert holds("changed", after, changes={"F": Change(before, after)}) is changed


def test_changed_to_and_from() -> None:
    change = {"F": Change(["71"], ["71", "72"])}
    assert holds("changed_to", None, "72", changes=change) and holds("changed_from", None, "71", changes=change)
    assert not holds("changed_from", None, "72", changes=change)
    assert not holds("changed_to", "WON", "WON", changes={})  # not reported as changed at all


def test_stage_changed_fires_only_on_updates() -> None:
    trigger = EventTrigger.model_validate({"system": "bitrix24", "event": "stage_changed"})
    moved = {"STAGE_ID": Change("NEW", "WON")}
    assert evaluate(trigger, SyncEvent("bitrix24", "updated", "deal", "1", {"STAGE_ID": "WON"}, moved))
    for kind in ("created", "deleted"):
        assert not evaluate(trigger, SyncEvent("bitrix24", kind, "deal", "1", {"STAGE_ID": "WON"}, moved))  # type: ignore[arg-type]
    item = {"stageId": Change("DT1_NEW", "DT1_WIN")}
    assert evaluate(trigger, SyncEvent("bitrix24", "updated", "item", "1", {}, item))


def test_an_unknown_operator_is_named() -> None:
    cond = Condition.model_construct(field="F", op="like", value="x")
    with pytest.raises(ValueError, match=r"^unknown condition op 'like'$"):
        condition_holds(cond, SyncEvent("bitrix24", "updated", "deal", "1", {}, {"F": Change("a", "b")}))
