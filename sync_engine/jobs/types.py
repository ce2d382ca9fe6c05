"""Plain data the queue hands around: a job to add, a claimed job, a claim, a fired timer."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

MAX_LANE = 200
MAX_KIND = 64


class JobStatus(StrEnum):
    PENDING = "pending"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"
    CANCELLED = "cancelled"


OPEN_STATUSES = (JobStatus.PENDING.value, JobStatus.RUNNING.value)


def check_name(what: str, value: str, limit: int) -> str:
    """Kinds and lanes are keys other rows point at: refuse what would be cut or unreadable in a listing."""
    if not value or len(value) > limit or any(ord(c) < 32 for c in value):
        raise ValueError(f"{what} must be 1..{limit} printable characters, not {value!r}")
    return value


@dataclass(frozen=True)
class NewJob:
    kind: str
    lane: str
    payload: Mapping[str, Any] = field(default_factory=dict)
    due_at: datetime | None = None  # None: now (by the store's clock)
    origin: str = "manual"
    received_at: datetime | None = None
    max_attempts: int = 5

    def __post_init__(self) -> None:
        check_name("a job kind", self.kind, MAX_KIND)
        check_name("a lane", self.lane, MAX_LANE)
        if self.max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")


@dataclass(frozen=True)
class JobRow:
    """A claimed job: ``attempts`` already counts the attempt now starting."""

    id: int
    kind: str
    lane: str
    origin: str
    attempts: int
    max_attempts: int
    generation: int
    payload: Mapping[str, Any]
    received_at: datetime | None

    @property
    def last_attempt(self) -> bool:
        return self.attempts >= self.max_attempts


@dataclass(frozen=True)
class Claim:
    """A lane leased to one owner with the due jobs taken with it.

    ``taken_over_from`` names the previous owner when its lease had expired (it died mid-run): handlers
    tidy up what it left behind (a run row still "running", say) before running the jobs again.
    """

    lane: str
    jobs: list[JobRow]
    lease_until: datetime
    taken_over_from: str | None = None
    previous_lease_until: datetime | None = None


@dataclass(frozen=True)
class FiredTimer:
    name: str
    lane: str
    job_kind: str
    kind: str  # schedule, once
    due_at: datetime
    job_id: int | None


@dataclass(frozen=True)
class TimerView:
    name: str
    lane: str
    job_kind: str
    kind: str
    due_at: datetime
    active: bool
    fired_count: int
    last_fired_at: datetime | None
    generation: int
    spec: Mapping[str, Any]


def retry_backoff(attempts: int, base: float = 5.0, cap: float = 600.0) -> timedelta:
    """5 s, 10 s, 20 s ... capped at 10 minutes: a remote outage is not hammered, a blip costs seconds."""
    return timedelta(seconds=min(cap, base * 2 ** max(0, attempts - 1)))
