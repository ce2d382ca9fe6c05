"""Jobs and timers of the shared queue as the monitor and the control API show them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import Field

from sync_engine.views.runs import View


class JobView(View):
    id: int
    kind: str = Field(description="what the job does: sync, or a process, import, report kind")
    lane: str = Field(description="jobs of one lane run one at a time, in order (a sync lane is a profile)")
    origin: str = Field(description="event, schedule, timer, manual")
    status: str = Field(description="pending, running, done, failed, cancelled")
    due_at: datetime
    attempts: int
    max_attempts: int
    generation: int = 0
    payload: dict[str, Any] = Field(default_factory=dict)
    owner: str | None = None
    received_at: datetime | None = None
    finished_at: datetime | None = None
    last_error: str | None = None
    error: str | None = Field(None, description="the last error (same as last_error)")
    result: dict[str, Any] | None = None
    profile: str | None = Field(None, description="a sync job's profile")
    run_id: int | None = Field(None, description="the run a sync job made")
    created_at: datetime | None = None
    updated_at: datetime | None = None

    @classmethod
    def of(cls, row: dict[str, Any]) -> JobView:
        result = row.get("result") or {}
        extra: dict[str, Any] = {"error": row.get("last_error")}
        if row.get("kind") == "sync":
            extra |= {"profile": row.get("lane"), "run_id": result.get("run_id")}
        return cls.model_validate({**row, **extra})


class TimerView(View):
    name: str
    lane: str
    job_kind: str
    kind: str = Field(description="schedule (re-armed after firing) or once")
    due_at: datetime
    active: bool
    fired_count: int
    last_fired_at: datetime | None = None
    generation: int = 0
    spec: dict[str, Any] = Field(default_factory=dict)
