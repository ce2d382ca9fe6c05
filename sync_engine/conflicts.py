"""Settling a held conflict the same way from the CLI, the studio and the service.

A person's choice is recorded with the conflict (``SqlStateStore.settle_conflict``) and the engine writes
it on the profile's next run of that pair, through the mapping's transform, updating the shadow so the run
after stays quiet. "Edit" (a typed value) first writes that value to JIRA and then keeps JIRA's side.
"""

from __future__ import annotations

from typing import Any

from sync_engine.engine.runner import Hints
from sync_engine.sides import Side
from sync_engine.views.conflicts import ConflictView
from sync_engine.workspace import Workspace, WorkspaceError

CHOICES = ("jira", "bitrix24", "value")


async def settle(ws: Workspace, conflict_id: int, choice: str, value: Any = None, who: str | None = None
                 ) -> ConflictView:
    """Record the choice for open conflict ``conflict_id``; returns the conflict as it was."""
    if choice not in CHOICES:
        raise WorkspaceError(f"choice must be one of {', '.join(CHOICES)}, not {choice!r}")
    row = ws.store.conflict(int(conflict_id))
    if row is None or row.resolved:
        raise WorkspaceError(f"no open conflict with id {conflict_id}")
    if choice == "value":
        profile = ws.profile(row.profile)
        mapping = next((m for m in profile.mappings if m.id == row.rule), None)
        if mapping is None or not mapping.jira_field:
            raise WorkspaceError(f"mapping {row.rule!r} has no JIRA field to write a chosen value to")
        session = await ws.open_profile(profile.name)
        try:
            (result,) = await session.jira.update_many(session.jira_scope,
                                                       [(row.jira_id, {mapping.jira_field: value})])
        finally:
            await session.aclose()
        if not result.ok:
            raise WorkspaceError(f"writing the chosen value to JIRA failed: {result.error}")
    ws.store.settle_conflict(int(conflict_id), Side.BITRIX24 if choice == "bitrix24" else Side.JIRA, who)
    return row


async def resolve_conflict(ws: Workspace, conflict_id: int, choice: str, value: Any = None,
                           who: str | None = None) -> dict[str, Any]:
    """Settle, then run the profile for just that pair so the choice lands now."""
    row = await settle(ws, conflict_id, choice, value, who)
    hints = Hints(jira={row.jira_id}, bitrix24={row.bitrix24_id})
    summary, _ = await ws.run(row.profile, trigger=f"conflict:{conflict_id}", hints=hints)
    if summary.error:
        raise WorkspaceError(f"the choice is recorded, but the run that writes it failed: {summary.error}")
    return {"id": conflict_id, "choice": choice, "run": summary.as_json()}
