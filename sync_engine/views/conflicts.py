"""A field changed on both sides, held for a person: what the monitor and the API show about it."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import Field

from sync_engine.views.runs import View


class ConflictView(View):
    id: int
    profile: str
    run_id: int | None = None
    jira_id: str
    jira_key: str | None = None
    bitrix24_id: str
    rule: str = Field(description="the mapping's id")
    label: str = ""
    values: dict[str, Any] = Field(default_factory=dict, description="jira, bitrix24 and base (the last synced)")
    reason: str = ""
    resolved: bool = False
    resolution: dict[str, Any] | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None
