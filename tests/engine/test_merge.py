"""The per-field three-way merge: examples of each rule, then the laws every decision obeys.

The laws are stated over whole cases the way the planner builds them (each side's value, the shadow of
both or none, the mapping's direction and transforms, the policy, which edit is newer), so hypothesis can
look for a case that breaks one: the two sides are treated alike, a decided case is settled (deciding
again after applying it has nothing to do), a value equal to its shadow is no change, one-way fields
never write backwards and are never conflicts.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sync_engine.engine.merge import MISSING, Action, ConflictPolicy, Decision, Direction, FieldState, decide

BOTH = Direction.BOTH
MANUAL = ConflictPolicy.MANUAL


# ---------------------------------------------------------------------------------------------- examples


def test_change_on_one_side_propagates_to_the_other() -> None:
    s = FieldState(jira="B", bitrix24="A", base_jira="A", base_bitrix24="A")
    assert decide(s, direction=BOTH, policy=MANUAL) == Decision(Action.TO_BITRIX24, "changed in JIRA")
    s = FieldState(jira="A", bitrix24="B", base_jira="A", base_bitrix24="A")
    assert decide(s, direction=BOTH, policy=MANUAL) == Decision(Action.TO_JIRA, "changed in Bitrix24")


def test_echo_of_our_own_write_is_not_a_change() -> None:
    # We wrote "B" to Bitrix24; the shadow says both sides are "B" now; an event arrives: nothing to do.
    s = FieldState(jira="B", bitrix24="B", base_jira="B", base_bitrix24="B")
    assert decide(s, direction=BOTH, policy=MANUAL).action is Action.NONE


def test_lossy_transform_does_not_ping_pong() -> None:
    # A template writes "X — Y" into Bitrix24; the sides never compare equal, yet neither changed.
    s = FieldState(jira="X", bitrix24="X — Y", base_jira="X", base_bitrix24="X — Y")
    decision = decide(s, direction=BOTH, policy=ConflictPolicy.PREFER_JIRA)
    assert decision.action is Action.NONE and not decision.conflict


def test_sides_that_agree_through_the_transform_need_nothing() -> None:
    # First look at a matched pair: 1500 in JIRA is "1500.00|RUB" in Bitrix24. Compared raw they differ
    # (which on a first sync would be a conflict); carried through the mapping they are the same value.
    same = decide(FieldState(jira="Лицензии", bitrix24="Лицензии"), direction=BOTH, policy=MANUAL)
    assert same.action is Action.NONE and not same.conflict
    raw = FieldState(jira=1500.0, bitrix24="1500.00|RUB")
    assert decide(raw, direction=BOTH, policy=MANUAL).action is Action.CONFLICT
    for state in (replace(raw, jira_as_bitrix24="1500.00|RUB"), replace(raw, bitrix24_as_jira=1500.0)):
        decision = decide(state, direction=BOTH, policy=MANUAL)
        assert decision.action is Action.NONE and not decision.conflict
    # One view of the transform agreeing is enough: a many-to-one value map (JIRA "Highest" and "High" are
    # both Bitrix24 "H") maps JIRA's value onto Bitrix24's even though Bitrix24's maps back to "High".
    lossy = FieldState(jira="Highest", bitrix24="H", jira_as_bitrix24="H", bitrix24_as_jira="High")
    assert decide(lossy, direction=BOTH, policy=ConflictPolicy.PREFER_BITRIX24).action is Action.NONE
    mirrored = FieldState(jira="High", bitrix24="H2", jira_as_bitrix24="H", bitrix24_as_jira="High")
    assert decide(mirrored, direction=BOTH, policy=ConflictPolicy.PREFER_JIRA).action is Action.NONE


@pytest.mark.parametrize("blank", [None, "", [], {}])
def test_first_sync_fills_the_blank_side_without_a_conflict(blank: Any) -> None:
    to_b24 = decide(FieldState(jira="Лицензии", bitrix24=blank), direction=BOTH, policy=MANUAL)
    assert to_b24 == Decision(Action.TO_BITRIX24, "filled from JIRA", conflict=False)
    to_jira = decide(FieldState(jira=blank, bitrix24="Лицензии"), direction=BOTH, policy=MANUAL)
    assert to_jira == Decision(Action.TO_JIRA, "filled from Bitrix24", conflict=False)
    # A mapping that never writes to the blank side leaves it blank, and that is no conflict either.
    held = decide(FieldState(jira="Лицензии", bitrix24=blank), direction=Direction.TO_JIRA, policy=MANUAL)
    assert held.action is Action.NONE and not held.conflict
    held = decide(FieldState(jira=blank, bitrix24="Лицензии"), direction=Direction.TO_BITRIX24, policy=MANUAL)
    assert held.action is Action.NONE and not held.conflict


def test_a_value_emptied_since_the_last_sync_is_a_change_not_a_blank_to_fill() -> None:
    # Someone cleared the field in Bitrix24: with a shadow, that is an edit to carry to JIRA.
    s = FieldState(jira="A", bitrix24=None, base_jira="A", base_bitrix24="A")
    assert decide(s, direction=BOTH, policy=MANUAL) == Decision(Action.TO_JIRA, "changed in Bitrix24")


@pytest.mark.parametrize(
    ("policy", "newer", "expected", "reason"),
    [
        (ConflictPolicy.PREFER_JIRA, None, Action.TO_BITRIX24, "changed on both sides; policy prefers JIRA"),
        (ConflictPolicy.PREFER_BITRIX24, None, Action.TO_JIRA, "changed on both sides; policy prefers Bitrix24"),
        (ConflictPolicy.NEWEST_WINS, True, Action.TO_BITRIX24, "changed on both sides; JIRA edit is newer"),
        (ConflictPolicy.NEWEST_WINS, False, Action.TO_JIRA, "changed on both sides; Bitrix24 edit is newer"),
        (ConflictPolicy.NEWEST_WINS, None, Action.CONFLICT, "changed on both sides; held for manual resolution"),
        (ConflictPolicy.MANUAL, True, Action.CONFLICT, "changed on both sides; held for manual resolution"),
    ],
)
def test_both_changed_is_settled_by_policy(policy: ConflictPolicy, newer: bool | None, expected: Action,
                                           reason: str) -> None:
    # The reason is what the monitor and `b24sync conflicts list` show next to the two values.
    s = FieldState(jira="J", bitrix24="B", base_jira="A", base_bitrix24="A")
    assert decide(s, direction=BOTH, policy=policy, jira_is_newer=newer) == Decision(expected, reason, conflict=True)


def test_first_sync_of_a_matched_pair_uses_the_policy() -> None:
    s = FieldState(jira="J", bitrix24="B")
    assert decide(s, direction=BOTH, policy=MANUAL) == Decision(
        Action.CONFLICT, "values differ on first sync; held for manual resolution", conflict=True)
    assert decide(s, direction=BOTH, policy=ConflictPolicy.PREFER_JIRA) == Decision(
        Action.TO_BITRIX24, "values differ on first sync; policy prefers JIRA", conflict=True)


@pytest.mark.parametrize(
    ("direction", "expected", "reason"),
    [
        (Direction.TO_BITRIX24, Action.TO_BITRIX24, "one-way mapping: JIRA is the source"),
        (Direction.TO_JIRA, Action.TO_JIRA, "one-way mapping: Bitrix24 is the source"),
    ],
)
def test_a_one_way_field_changed_on_both_sides_follows_its_source(direction: Direction, expected: Action,
                                                                  reason: str) -> None:
    # Under every policy: the source side owns a one-way field, so there is nothing to settle.
    s = FieldState(jira="J", bitrix24="B", base_jira="A", base_bitrix24="A")
    for policy in ConflictPolicy:
        assert decide(s, direction=direction, policy=policy) == Decision(expected, reason, conflict=False)


def test_one_way_mapping_never_writes_backwards() -> None:
    s = FieldState(jira="A", bitrix24="B", base_jira="A", base_bitrix24="A")
    assert decide(s, direction=Direction.TO_BITRIX24, policy=MANUAL).action is Action.NONE
    assert decide(s, direction=Direction.TO_JIRA, policy=MANUAL).action is Action.TO_JIRA
    s = FieldState(jira="B", bitrix24="A", base_jira="A", base_bitrix24="A")
    assert decide(s, direction=Direction.TO_JIRA, policy=MANUAL).action is Action.NONE


def test_a_shadow_known_for_one_side_only_counts_as_none() -> None:
    # Change detection needs both sides' last synced values; half a shadow cannot tell who moved.
    none = decide(FieldState(jira="J", bitrix24="B"), direction=BOTH, policy=MANUAL)
    for half in (FieldState(jira="J", bitrix24="B", base_jira="J"),
                 FieldState(jira="J", bitrix24="B", base_bitrix24="B")):
        assert decide(half, direction=BOTH, policy=MANUAL) == none


def test_missing_is_a_falsy_singleton_that_says_what_it_is() -> None:
    # Shadows read back from the database are compared with `is MISSING`; a state prints readably.
    assert type(MISSING)() is MISSING and not MISSING
    assert repr(FieldState(jira=1, bitrix24=1)) == (
        "FieldState(jira=1, bitrix24=1, base_jira=MISSING, base_bitrix24=MISSING, "
        "jira_as_bitrix24=MISSING, bitrix24_as_jira=MISSING)")


# -------------------------------------------------------------------------------------------------- laws

VALUES = [None, "a", "b", "c"]  # normalised values: None is every blank
value = st.sampled_from(VALUES)
# A transform of one side's value into the other's: any function on the values (lossy, many-to-one...).
transform = st.fixed_dictionaries({v: value for v in VALUES}) | st.just({v: v for v in VALUES})


@dataclass(frozen=True)
class Case:
    """One field of one pair as the planner sees it, before the merge decides."""

    jira: Any
    bitrix24: Any
    shadow: tuple[Any, Any] | None  # (JIRA, Bitrix24) as last synced; None before the first sync
    direction: Direction
    policy: ConflictPolicy
    jira_is_newer: bool | None
    to_bitrix24: Mapping[Any, Any]  # the mapping's transform JIRA → Bitrix24
    to_jira: Mapping[Any, Any]

    @property
    def writes_bitrix24(self) -> bool:
        return self.direction in (Direction.TO_BITRIX24, BOTH)

    @property
    def writes_jira(self) -> bool:
        return self.direction in (Direction.TO_JIRA, BOTH)

    def state(self) -> FieldState:
        # As the planner builds it: a side's value carried across only where the mapping writes.
        return FieldState(
            jira=self.jira,
            bitrix24=self.bitrix24,
            base_jira=self.shadow[0] if self.shadow else MISSING,
            base_bitrix24=self.shadow[1] if self.shadow else MISSING,
            jira_as_bitrix24=self.to_bitrix24[self.jira] if self.writes_bitrix24 else MISSING,
            bitrix24_as_jira=self.to_jira[self.bitrix24] if self.writes_jira else MISSING,
        )

    def decide(self) -> Decision:
        return decide(self.state(), direction=self.direction, policy=self.policy, jira_is_newer=self.jira_is_newer)

    def agree(self) -> bool:
        return (self.writes_bitrix24 and self.to_bitrix24[self.jira] == self.bitrix24) or (
            self.writes_jira and self.to_jira[self.bitrix24] == self.jira)

    def applied(self, decision: Decision) -> Case:
        """The case on the next run, after the applier carried out ``decision`` and stored the shadow."""
        if decision.action is Action.TO_BITRIX24:
            written = self.to_bitrix24[self.jira]
            return replace(self, bitrix24=written, shadow=(self.jira, written))
        if decision.action is Action.TO_JIRA:
            written = self.to_jira[self.bitrix24]
            return replace(self, jira=written, shadow=(written, self.bitrix24))
        if decision.action is Action.CONFLICT:
            return self  # held: values and shadow stay until a person settles it
        return replace(self, shadow=(self.jira, self.bitrix24))


cases = st.builds(
    Case,
    jira=value,
    bitrix24=value,
    shadow=st.none() | st.tuples(value, value),
    direction=st.sampled_from(list(Direction)),
    policy=st.sampled_from(list(ConflictPolicy)),
    jira_is_newer=st.sampled_from([None, True, False]),
    to_bitrix24=transform,
    to_jira=transform,
)

_MIRROR_DIRECTION = {Direction.TO_BITRIX24: Direction.TO_JIRA, Direction.TO_JIRA: Direction.TO_BITRIX24, BOTH: BOTH}
_MIRROR_POLICY: dict[ConflictPolicy, ConflictPolicy] = {
    ConflictPolicy.PREFER_JIRA: ConflictPolicy.PREFER_BITRIX24,
    ConflictPolicy.PREFER_BITRIX24: ConflictPolicy.PREFER_JIRA,
}
_MIRROR_ACTION = {Action.TO_BITRIX24: Action.TO_JIRA, Action.TO_JIRA: Action.TO_BITRIX24}


def _swap_names(text: str) -> str:
    return text.replace("JIRA", "\0").replace("Bitrix24", "JIRA").replace("\0", "Bitrix24")


def mirror(case: Case) -> Case:
    """The same situation with the systems' roles exchanged."""
    return Case(
        jira=case.bitrix24,
        bitrix24=case.jira,
        shadow=(case.shadow[1], case.shadow[0]) if case.shadow else None,
        direction=_MIRROR_DIRECTION[case.direction],
        policy=_MIRROR_POLICY.get(case.policy, case.policy),
        jira_is_newer=None if case.jira_is_newer is None else not case.jira_is_newer,
        to_bitrix24=case.to_jira,
        to_jira=case.to_bitrix24,
    )


def mirror_decision(d: Decision) -> Decision:
    return Decision(_MIRROR_ACTION.get(d.action, d.action), _swap_names(d.reason), d.conflict)


def changed(case: Case) -> tuple[bool, bool]:
    """Did JIRA / Bitrix24 move since the last sync? Without a shadow nobody can say they did not."""
    if case.shadow is None:
        return True, True
    return case.jira != case.shadow[0], case.bitrix24 != case.shadow[1]


LAWS = settings(max_examples=300, deadline=None)


@LAWS
@given(cases)
def test_law_both_systems_are_treated_alike(case: Case) -> None:
    # Exchanging the systems exchanges the decision, its reason included.
    assert mirror(case).decide() == mirror_decision(case.decide())


@LAWS
@given(cases)
def test_law_a_decision_settles_the_field(case: Case) -> None:
    # Idempotence: once the decision is applied and its shadow stored, the next run has nothing to do;
    # a conflict held for a person stays held, unchanged, until they settle it.
    first = case.decide()
    again = case.applied(first).decide()
    if first.action is Action.CONFLICT:
        assert again == first
    else:
        assert again.action is Action.NONE and not again.conflict


@LAWS
@given(cases)
def test_law_a_value_equal_to_its_shadow_is_no_change(case: Case) -> None:
    d = case.decide()
    jira_moved, b24_moved = changed(case)
    if not jira_moved:
        assert d.action is not Action.TO_BITRIX24 and not d.conflict
    if not b24_moved:
        assert d.action is not Action.TO_JIRA and not d.conflict
    if not jira_moved and not b24_moved:
        assert d.action is Action.NONE


@LAWS
@given(cases)
def test_law_one_way_fields_never_write_backwards_nor_conflict(case: Case) -> None:
    d = case.decide()
    if not case.writes_jira:
        assert d.action in (Action.NONE, Action.TO_BITRIX24) and not d.conflict
    if not case.writes_bitrix24:
        assert d.action in (Action.NONE, Action.TO_JIRA) and not d.conflict


@LAWS
@given(cases)
def test_law_agreeing_sides_are_left_alone(case: Case) -> None:
    if case.agree():
        d = case.decide()
        assert d.action is Action.NONE and not d.conflict


@LAWS
@given(cases)
def test_law_a_changed_side_is_carried_over(case: Case) -> None:
    # A move on one side only (or a blank side on the first sync) is written to the other where the
    # mapping writes there; nothing else is ever written.
    d = case.decide()
    jira_moved, b24_moved = changed(case)
    if case.shadow is None and (case.jira is None) != (case.bitrix24 is None):
        jira_moved, b24_moved = case.bitrix24 is None, case.jira is None  # the blank side is filled
    if case.agree():
        return
    if jira_moved and not b24_moved:
        assert d.action is (Action.TO_BITRIX24 if case.writes_bitrix24 else Action.NONE) and not d.conflict
    if b24_moved and not jira_moved:
        assert d.action is (Action.TO_JIRA if case.writes_jira else Action.NONE) and not d.conflict


_SETTLED: dict[tuple[ConflictPolicy, bool | None], tuple[Action, str]] = {
    **{(ConflictPolicy.PREFER_JIRA, n): (Action.TO_BITRIX24, "policy prefers JIRA") for n in (None, True, False)},
    **{(ConflictPolicy.PREFER_BITRIX24, n): (Action.TO_JIRA, "policy prefers Bitrix24") for n in (None, True, False)},
    (ConflictPolicy.NEWEST_WINS, True): (Action.TO_BITRIX24, "JIRA edit is newer"),
    (ConflictPolicy.NEWEST_WINS, False): (Action.TO_JIRA, "Bitrix24 edit is newer"),
    (ConflictPolicy.NEWEST_WINS, None): (Action.CONFLICT, "held for manual resolution"),
    **{(ConflictPolicy.MANUAL, n): (Action.CONFLICT, "held for manual resolution") for n in (None, True, False)},
}


@LAWS
@given(cases)
def test_law_conflicts_arise_only_where_both_sides_changed_and_follow_the_policy(case: Case) -> None:
    d = case.decide()
    jira_moved, b24_moved = changed(case)
    blank_to_fill = case.shadow is None and (case.jira is None) != (case.bitrix24 is None)
    both = jira_moved and b24_moved and not blank_to_fill and not case.agree()
    assert d.conflict == (both and case.direction is BOTH)
    if d.conflict:
        action, why = _SETTLED[(case.policy, case.jira_is_newer)]
        first = "values differ on first sync" if case.shadow is None else "changed on both sides"
        assert (d.action, d.reason) == (action, f"{first}; {why}")
