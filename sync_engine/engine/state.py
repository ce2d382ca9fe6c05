"""What the engine needs to remember between runs, as a protocol the SQL store implements.

Kept as a protocol so the runner reads as the algorithm it is; the store decides tables and
transactions (``models/sync_state.py``, ``models/runs.py``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from sync_engine.connectors.base import Cursor
from sync_engine.engine.planner import LinkState
from sync_engine.sides import Side


@dataclass(frozen=True)
class Intent:
    """A create about to happen: recorded (and committed) before the remote call."""

    id: int
    target: Side
    source_id: str
    source_key: str | None
    stamp: str  # the value stamped into the target, used to find it after a crash


@dataclass(frozen=True)
class Resolution:
    """A held conflict settled by a person: ``winner``'s value is written to the other side."""

    conflict_id: int
    jira_id: str
    bitrix24_id: str
    rule: str
    winner: Side


@dataclass(frozen=True)
class RetryItem:
    side: Side
    record_id: str
    attempts: int
    error: str


@dataclass
class ItemOutcome:
    """One row of a run's item log (what the monitor shows)."""

    action: str  # create, update, match, unchanged, conflict, error, skip, delete
    side: Side | None
    jira_id: str | None = None
    jira_key: str | None = None
    bitrix24_id: str | None = None
    changes: list[dict[str, Any]] = field(default_factory=list)  # {"field","before","after"}
    error: str | None = None


@dataclass
class RunSummary:
    run_id: int | None
    profile: str
    trigger: str
    dry_run: bool
    started: datetime
    finished: datetime | None = None
    created: dict[str, int] = field(default_factory=lambda: {"jira": 0, "bitrix24": 0})
    updated: dict[str, int] = field(default_factory=lambda: {"jira": 0, "bitrix24": 0})
    matched: int = 0
    unchanged: int = 0
    conflicts: int = 0
    errors: int = 0
    deferred: int = 0  # fields left for a later run (unknown user, related record not linked yet)
    deleted: dict[str, int] = field(default_factory=lambda: {"jira": 0, "bitrix24": 0})
    api_calls: dict[str, int] = field(default_factory=lambda: {"jira": 0, "bitrix24": 0})
    retries: dict[str, int] = field(default_factory=lambda: {"jira": 0, "bitrix24": 0})
    error: str | None = None

    @property
    def seconds(self) -> float:
        end = self.finished or self.started
        return round((end - self.started).total_seconds(), 3)

    def as_json(self) -> dict[str, Any]:
        return {
            "profile": self.profile,
            "run_id": self.run_id,
            "dry_run": self.dry_run,
            "created": dict(self.created),
            "updated": dict(self.updated),
            "matched": self.matched,
            "unchanged": self.unchanged,
            "conflicts": self.conflicts,
            "errors": self.errors,
            "deferred": self.deferred,
            "deleted": dict(self.deleted),
            "api_calls": dict(self.api_calls),
            "retries": dict(self.retries),
            "seconds": self.seconds,
        }


class StateStore(Protocol):
    # links and shadows
    def links_for(self, profile: str, jira_ids: Iterable[str], bitrix24_ids: Iterable[str]) -> list[LinkState]: ...

    def save_links(
        self, profile: str, pairs: Sequence[tuple[int | None, str, str, str | None, Mapping[str, Any]]]
    ) -> None:
        """Insert (link id None) or update links with their new shadows, in one transaction."""

    def delete_links(self, profile: str, link_ids: Iterable[int]) -> None: ...

    def count_links(self, profile: str) -> int: ...

    def all_links(self, profile: str) -> list[LinkState]: ...

    # cursors
    def get_cursor(self, profile: str, side: Side) -> Cursor | None: ...

    def set_cursor(self, profile: str, side: Side, cursor: Cursor) -> None: ...

    # create intents
    def add_intents(self, profile: str, intents: Sequence[tuple[Side, str, str | None, str]]) -> list[Intent]: ...

    def pending_intents(self, profile: str) -> list[Intent]: ...

    def clear_intents(self, intent_ids: Iterable[int]) -> None: ...

    # retries of failed items
    def add_retries(self, profile: str, items: Sequence[tuple[Side, str, str]]) -> None: ...

    def due_retries(self, profile: str, now: datetime) -> list[RetryItem]: ...

    def clear_retries(self, profile: str, items: Iterable[tuple[Side, str]]) -> None: ...

    # runs, items and conflicts
    def start_run(self, profile: str, trigger: str) -> int: ...

    def record_items(self, run_id: int, items: Sequence[ItemOutcome]) -> None: ...

    def finish_run(self, run_id: int, summary: RunSummary) -> None: ...

    def hold_conflicts(self, profile: str, run_id: int, conflicts: Sequence[dict[str, Any]]) -> None: ...

    def pending_resolutions(self, profile: str) -> list[Resolution]:
        """Conflicts a person settled that no run has carried out yet."""

    def mark_resolutions_applied(self, conflict_ids: Iterable[int]) -> None: ...
