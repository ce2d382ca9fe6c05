from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sync_engine.engine.merge import MISSING, Action, ConflictPolicy, Direction, FieldState, decide

BOTH = Direction.BOTH


def test_change_on_one_side_propagates_to_the_other() -> None:
    s = FieldState(jira="B", bitrix24="A", base_jira="A", base_bitrix24="A")
    assert decide(s, direction=BOTH, policy=ConflictPolicy.MANUAL).action is Action.TO_BITRIX24
    s = FieldState(jira="A", bitrix24="B", base_jira="A", base_bitrix24="A")
    assert decide(s, direction=BOTH, policy=ConflictPolicy.MANUAL).action is Action.TO_JIRA


def test_echo_of_our_own_write_is_not_a_change() -> None:
    # We wrote "B" to Bitrix24; the shadow says both sides are "B" now; an event arrives: nothing to do.
    s = FieldState(jira="B", bitrix24="B", base_jira="B", base_bitrix24="B")
    assert decide(s, direction=BOTH, policy=ConflictPolicy.MANUAL).action is Action.NONE


def test_lossy_transform_does_not_ping_pong() -> None:
    # A template writes "X — Y" into Bitrix24; the sides never compare equal, yet neither changed.
    s = FieldState(jira="X", bitrix24="X — Y", base_jira="X", base_bitrix24="X — Y")
    assert decide(s, direction=BOTH, policy=ConflictPolicy.PREFER_JIRA).action is Action.NONE


@pytest.mark.parametrize(
    ("policy", "newer", "expected"),
    [
        (ConflictPolicy.PREFER_JIRA, None, Action.TO_BITRIX24),
        (ConflictPolicy.PREFER_BITRIX24, None, Action.TO_JIRA),
        (ConflictPolicy.NEWEST_WINS, True, Action.TO_BITRIX24),
        (ConflictPolicy.NEWEST_WINS, False, Action.TO_JIRA),
        (ConflictPolicy.NEWEST_WINS, None, Action.CONFLICT),
        (ConflictPolicy.MANUAL, True, Action.CONFLICT),
    ],
)
def test_both_changed_is_settled_by_policy(policy: ConflictPolicy, newer: bool | None, expected: Action) -> None:
    s = FieldState(jira="J", bitrix24="B", base_jira="A", base_bitrix24="A")
    decision = decide(s, direction=BOTH, policy=policy, jira_is_newer=newer)
    assert decision.action is expected
    assert decision.conflict


def test_one_way_mapping_never_writes_backwards() -> None:
    s = FieldState(jira="A", bitrix24="B", base_jira="A", base_bitrix24="A")
    assert decide(s, direction=Direction.TO_BITRIX24, policy=ConflictPolicy.MANUAL).action is Action.NONE
    s = FieldState(jira="J", bitrix24="B", base_jira="A", base_bitrix24="A")
    assert decide(s, direction=Direction.TO_BITRIX24, policy=ConflictPolicy.MANUAL).action is Action.TO_BITRIX24


def test_first_sync_of_a_matched_pair_uses_the_policy() -> None:
    s = FieldState(jira="J", bitrix24="B")
    assert decide(s, direction=BOTH, policy=ConflictPolicy.MANUAL).action is Action.CONFLICT
    assert decide(s, direction=BOTH, policy=ConflictPolicy.PREFER_JIRA).action is Action.TO_BITRIX24
    assert MISSING is FieldState(jira=1, bitrix24=1).base_jira


values = st.sampled_from(["a", "b", "c"])


@given(j=values, b=values, bj=values, bb=values, policy=st.sampled_from(list(ConflictPolicy)))
def test_conflicts_arise_only_where_both_sides_changed(
    j: str, b: str, bj: str, bb: str, policy: ConflictPolicy
) -> None:
    d = decide(FieldState(jira=j, bitrix24=b, base_jira=bj, base_bitrix24=bb), direction=BOTH, policy=policy)
    if d.conflict:
        assert j != bj and b != bb and j != b
    if j == b:
        assert d.action is Action.NONE
