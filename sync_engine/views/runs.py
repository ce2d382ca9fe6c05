"""Runs and their items as every surface shows them: the monitor, the control API, the CLI."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ConfigDict, Field

T = TypeVar("T")


class View(BaseModel):
    """A row read from the database: built from its columns, extra columns ignored."""

    model_config = ConfigDict(from_attributes=True, extra="ignore")


class RunView(View):
    id: int
    profile: str
    trigger: str
    status: str = Field(description="running, ok or failed")
    started_at: datetime
    finished_at: datetime | None = None
    created_jira: int = 0
    created_bitrix24: int = 0
    updated_jira: int = 0
    updated_bitrix24: int = 0
    matched: int = 0
    unchanged: int = 0
    conflicts: int = 0
    errors: int = 0
    api_calls_jira: int = 0
    api_calls_bitrix24: int = 0
    retries_jira: int = 0
    retries_bitrix24: int = 0
    error: str | None = None


class ItemView(View):
    id: int
    run_id: int
    seq: int = Field(0, description="1-based position in its run")
    action: str = Field(description="create, update, match, conflict, error, skip, delete")
    side: str | None = None
    jira_id: str | None = None
    jira_key: str | None = None
    bitrix24_id: str | None = None
    changes: dict[str, Any] = Field(default_factory=dict)
    error: str | None = None


class ErrorView(ItemView):
    """A failed item with the profile of its run (the monitor's and the API's error list)."""

    profile: str


class Page(BaseModel, Generic[T]):
    """One page of a newest-first listing; ``next_before_id`` continues it (keyset paging)."""

    items: list[T]
    next_before_id: int | None = None


class ItemsAfter(BaseModel):
    """A run's items after an id (keyset paging forward); ``next_after_id`` continues."""

    items: list[ItemView]
    next_after_id: int | None = None


class SideCounts(BaseModel):
    jira: int = 0
    bitrix24: int = 0


class RunSummaryView(BaseModel):
    """What one run (or plan) did, in numbers: ``RunSummary.as_json()`` as a type."""

    profile: str
    run_id: int | None = None
    dry_run: bool = False
    created: SideCounts = Field(default_factory=SideCounts)
    updated: SideCounts = Field(default_factory=SideCounts)
    deleted: SideCounts = Field(default_factory=SideCounts)
    matched: int = 0
    unchanged: int = 0
    conflicts: int = 0
    errors: int = 0
    deferred: int = 0
    api_calls: SideCounts = Field(default_factory=SideCounts)
    retries: SideCounts = Field(default_factory=SideCounts)
    seconds: float = 0.0


class ScopeSide(BaseModel):
    count: int
    first: list[dict[str, str]] = Field(default_factory=list, description="id and title of the first few")


class ScopeSample(BaseModel):
    """How many records each side's scope holds, with the first few (the scope editor's Test)."""

    jira: ScopeSide
    bitrix24: ScopeSide
