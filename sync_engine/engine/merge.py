"""Per-field three-way merge against the shadow of the last synced values.

Change detection is per side: a side "changed" a field when its current (normalised) value differs
from the shadow we stored for that side after the last sync. Comparing each side with its own
shadow, rather than the two sides with each other, is what makes echo suppression exact (what we
wrote comes back equal to the shadow, so it is no change) and keeps lossy transforms (templates,
rounding) from ping-ponging.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Final


class _Missing:
    """No shadow yet: the pair was just matched or the field was just added to the mapping."""

    _instance: _Missing | None = None

    def __new__(cls) -> _Missing:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "MISSING"

    def __bool__(self) -> bool:
        return False


MISSING: Final = _Missing()


class Direction(StrEnum):
    TO_BITRIX24 = "to_bitrix24"
    TO_JIRA = "to_jira"
    BOTH = "both"


class ConflictPolicy(StrEnum):
    PREFER_JIRA = "prefer_jira"
    PREFER_BITRIX24 = "prefer_bitrix24"
    NEWEST_WINS = "newest_wins"
    MANUAL = "manual"


class Action(StrEnum):
    NONE = "none"  # nothing to write (shadows may still be refreshed)
    TO_BITRIX24 = "to_bitrix24"
    TO_JIRA = "to_jira"
    CONFLICT = "conflict"  # held for manual resolution


@dataclass(frozen=True, slots=True)
class FieldState:
    """One mapped field of one linked pair, every value already normalised for comparison.

    ``jira_as_bitrix24`` / ``bitrix24_as_jira`` are each side's value carried through the mapping's
    transform, so "the sides agree" can be decided without knowing the transform here.
    """

    jira: Any
    bitrix24: Any
    base_jira: Any = MISSING
    base_bitrix24: Any = MISSING
    jira_as_bitrix24: Any = MISSING
    bitrix24_as_jira: Any = MISSING


@dataclass(frozen=True, slots=True)
class Decision:
    action: Action
    reason: str
    conflict: bool = False  # both sides changed: settled by policy (action says how) or held


def _empty(value: Any) -> bool:
    return value is None or value == "" or value == [] or value == {}


def _agree(state: FieldState) -> bool:
    """One side's value carried through the transform is the other's, whichever way round: a
    many-to-one value map agrees in one direction only, and which one must not depend on which system
    is called JIRA (MISSING, a direction the mapping does not write, equals nothing)."""
    if state.jira_as_bitrix24 is MISSING and state.bitrix24_as_jira is MISSING:
        return bool(state.jira == state.bitrix24)
    return bool(state.jira_as_bitrix24 == state.bitrix24) or bool(state.bitrix24_as_jira == state.jira)


def decide(
    state: FieldState,
    *,
    direction: Direction,
    policy: ConflictPolicy,
    jira_is_newer: bool | None = None,
) -> Decision:
    """What to do with one field. ``jira_is_newer`` compares the records' modification times (for
    ``newest_wins``); None when unknown, which then holds the conflict rather than guess."""
    to_b24 = direction in (Direction.TO_BITRIX24, Direction.BOTH)
    to_jira = direction in (Direction.TO_JIRA, Direction.BOTH)
    if _agree(state):
        return Decision(
            Action.NONE,
            "sides agree",  # pragma: no mutate  (the text of a decision that writes nothing is never shown)
        )

    no_base = state.base_jira is MISSING or state.base_bitrix24 is MISSING
    if no_base and _empty(state.jira) != _empty(state.bitrix24):
        # First sync of a matched pair (or a newly mapped field): fill the blank side, no conflict.
        if _empty(state.bitrix24) and to_b24:
            return Decision(Action.TO_BITRIX24, "filled from JIRA")
        if _empty(state.jira) and to_jira:
            return Decision(Action.TO_JIRA, "filled from Bitrix24")
        return Decision(
            Action.NONE,
            "one side is empty and the mapping does not write there",  # pragma: no mutate  (never shown)
        )
    jira_changed = no_base or state.jira != state.base_jira
    b24_changed = no_base or state.bitrix24 != state.base_bitrix24

    if jira_changed and not b24_changed:
        if to_b24:
            return Decision(Action.TO_BITRIX24, "changed in JIRA")
        return Decision(Action.NONE, "changed in JIRA, mapping only writes to JIRA")
    if b24_changed and not jira_changed:
        if to_jira:
            return Decision(Action.TO_JIRA, "changed in Bitrix24")
        return Decision(Action.NONE, "changed in Bitrix24, mapping only writes to Bitrix24")
    if not jira_changed:  # nor Bitrix24: the one-sided cases are done
        # Sides disagree but neither moved since the last sync: a lossy transform; leave it.
        return Decision(
            Action.NONE,
            "unchanged since last sync",  # pragma: no mutate  (never shown)
        )

    # Both changed (or first sync of a matched pair with different values). A one-way field is no
    # conflict: its source side owns it.
    if not to_jira:
        return Decision(Action.TO_BITRIX24, "one-way mapping: JIRA is the source")
    if not to_b24:
        return Decision(Action.TO_JIRA, "one-way mapping: Bitrix24 is the source")
    why = "values differ on first sync" if no_base else "changed on both sides"
    if policy is ConflictPolicy.PREFER_JIRA:
        return Decision(Action.TO_BITRIX24, f"{why}; policy prefers JIRA", conflict=True)
    if policy is ConflictPolicy.PREFER_BITRIX24:
        return Decision(Action.TO_JIRA, f"{why}; policy prefers Bitrix24", conflict=True)
    if policy is ConflictPolicy.NEWEST_WINS and jira_is_newer is not None:
        if jira_is_newer:
            return Decision(Action.TO_BITRIX24, f"{why}; JIRA edit is newer", conflict=True)
        return Decision(Action.TO_JIRA, f"{why}; Bitrix24 edit is newer", conflict=True)
    return Decision(Action.CONFLICT, f"{why}; held for manual resolution", conflict=True)
