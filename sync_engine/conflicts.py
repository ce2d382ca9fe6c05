"""Settling a held conflict: keep one side's value (or a typed one) on both sides, then forget it.

Shared by the CLI, the studio and the service so "Keep JIRA" means the same everywhere: the chosen
value goes through the mapping's transform to the other side, and the pair's shadow is updated, so the
next run sees both sides agreeing with what was last synced and stays quiet.
"""

from __future__ import annotations

from typing import Any

from sync_engine.engine.compile import Environment, compile_profile
from sync_engine.engine.directory import StoreLinks
from sync_engine.engine.spec import Side
from sync_engine.workspace import Workspace, WorkspaceError

CHOICES = ("jira", "bitrix24", "value")


async def resolve_conflict(ws: Workspace, conflict_id: int, choice: str, value: Any = None) -> dict[str, Any]:
    """Apply ``choice`` (``jira``, ``bitrix24`` or ``value``) to open conflict ``conflict_id``."""
    if choice not in CHOICES:
        raise WorkspaceError(f"choice must be one of {', '.join(CHOICES)}, not {choice!r}")
    open_rows = {int(c["id"]): c for c in ws.store.open_conflicts()}
    row = open_rows.get(int(conflict_id))
    if row is None:
        raise WorkspaceError(f"no open conflict with id {conflict_id}")
    session = await ws.open_profile(str(row["profile"]))
    try:
        jira_fields = await session.jira.describe_fields(session.jira_scope)
        b24_fields = await session.bitrix24.describe_fields(session.b24_scope)
        env = Environment(users=session.users, links=StoreLinks(ws.store.all_links, {}),
                          jira_tz=session._tz_jira, bitrix24_tz=session._tz_b24)
        spec = compile_profile(session.profile, jira_fields, b24_fields, env)
        rule = next((r for r in spec.rules if r.id == row["rule"]), None)
        if rule is None:
            raise WorkspaceError(f"the profile no longer maps {row['rule']!r}; the conflict cannot be applied")
        jira_found = await session.jira.get_many(session.jira_scope, [str(row["jira_id"])])
        b24_found = await session.bitrix24.get_many(session.b24_scope, [str(row["bitrix24_id"])])
        if not jira_found or not b24_found:
            raise WorkspaceError("one of the two records no longer exists")
        jrec, brec = jira_found[0], b24_found[0]
        jraw = value if choice == "value" else rule.read_jira(jrec.fields)
        braw = rule.read_bitrix24(brec.fields)
        writes: list[tuple[Side, dict[str, Any]]] = []
        if choice in ("jira", "value") and rule.writes_to(Side.BITRIX24):
            out_b = rule.to_bitrix24(jraw, jrec.fields)
            writes.append((Side.BITRIX24, {str(rule.bitrix24_field): out_b}))
            braw = out_b
        if choice == "value" and rule.writes_to(Side.JIRA):
            writes.append((Side.JIRA, {str(rule.jira_field): value}))
        if choice == "bitrix24" and rule.writes_to(Side.JIRA):
            out_j = rule.to_jira(braw, brec.fields)
            writes.append((Side.JIRA, {str(rule.jira_field): out_j}))
            jraw = out_j
        for side, fields in writes:
            conn = session.jira if side is Side.JIRA else session.bitrix24
            scope = session.jira_scope if side is Side.JIRA else session.b24_scope
            record_id = jrec.id if side is Side.JIRA else brec.id
            (result,) = await conn.update_many(scope, [(record_id, fields)])
            if not result.ok:
                raise WorkspaceError(f"could not write the chosen value to {side.value}: {result.error}")
        links = ws.store.links_for(spec.profile, [jrec.id], [brec.id])
        for link in links:
            shadow = dict(link.shadow)
            shadow[rule.id] = (rule.norm_jira(jraw), rule.norm_bitrix24(braw))
            ws.store.save_links(spec.profile, [(link.id, link.jira_id, link.bitrix24_id, link.jira_key, shadow)])
        ws.store.resolve_conflict(int(conflict_id), {"choice": choice, "value": value})
        return {"id": conflict_id, "choice": choice, "writes": [s.value for s, _ in writes]}
    finally:
        await session.aclose()
