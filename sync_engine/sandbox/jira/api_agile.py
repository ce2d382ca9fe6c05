"""Jira Software's rank (``PUT /rest/agile/1.0/issue/rank``): move issues before or after another one.

Ranks are LexoRank-style strings in the ``Rank`` field (see :mod:`lexorank`), so ``ORDER BY Rank`` is a
plain text sort and a move rewrites only the moved issues. Boards and sprints are not part of the twin.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from sync_engine.sandbox.jira import lexorank
from sync_engine.sandbox.jira.catalog import CF_RANK
from sync_engine.sandbox.jira.context import Context, RouteSpec, actor
from sync_engine.sandbox.jira.errors import ApiError
from sync_engine.sandbox.jira.http_util import read_json
from sync_engine.sandbox.jira.jql_sql import json_path
from sync_engine.sandbox.jira.store import IssueRow

MAX_ISSUES = 50
RANK_ID = int(CF_RANK.rsplit("_", 1)[1])


class AgileApi:
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.s = ctx.s

    def routes(self) -> list[RouteSpec]:
        return [("!/rest/agile/1.0/issue/rank", self.rank, ["PUT"])]

    def _rank_of(self, row: IssueRow) -> str:
        rank = row.fields.get(CF_RANK)
        if not rank:  # issues loaded in bulk have no rank until one is needed: the bottom of the backlog
            rank = self.s.next_rank()
            row.fields = {**row.fields, CF_RANK: rank}
            self.s.store.save_issue(row)
        return str(rank)

    def _neighbour(self, rank: str, below: bool, moved: list[int]) -> str | None:
        marks = ", ".join("?" for _ in moved) or "NULL"
        op, order = ("<", "DESC") if below else (">", "ASC")
        sql = (f"SELECT {json_path(CF_RANK)} AS r FROM issues WHERE r {op} ? AND id NOT IN ({marks}) "
               f"ORDER BY r {order} LIMIT 1")
        found = self.s.store.db.execute(sql, [rank, *moved]).fetchone()
        return None if found is None else str(found[0])

    async def rank(self, request: Request) -> Response:
        body = await read_json(request)
        if not isinstance(body, dict) or not isinstance(body.get("issues"), list) or not body["issues"]:
            raise ApiError(400, ["The request must name the 'issues' to rank."])
        if len(body["issues"]) > MAX_ISSUES:
            raise ApiError(400, [f"At most {MAX_ISSUES} issues can be ranked at once."])
        before, after = body.get("rankBeforeIssue"), body.get("rankAfterIssue")
        if (before is None) == (after is None):
            raise ApiError(400, ["Exactly one of 'rankBeforeIssue' and 'rankAfterIssue' must be given."])
        field_id = body.get("rankCustomFieldId")
        if field_id is not None and str(field_id) != str(RANK_ID):
            raise ApiError(400, [f"The field {field_id} is not a rank field."])
        anchor = self.ctx.visible_issue(str(before or after), request)
        rows: list[IssueRow] = []
        entries: list[dict[str, Any]] = []
        for ref in body["issues"]:
            try:
                row = self.ctx.visible_issue(str(ref), request)
            except ApiError as exc:
                entries.append({"issueId": None, "issueKey": str(ref), "status": exc.status,
                                "errors": exc.messages})
                continue
            if row.id != anchor.id and all(r.id != row.id for r in rows):
                rows.append(row)
        anchor_rank = self._rank_of(anchor)
        moved = [r.id for r in rows]
        low: str | None
        high: str | None
        if before is not None:
            low, high = self._neighbour(anchor_rank, True, moved), anchor_rank
        else:
            low, high = anchor_rank, self._neighbour(anchor_rank, False, moved)
        for row in rows:
            old = self._rank_of(row)
            new = lexorank.between(low, high)
            low = new
            snapshot = self.s.snapshot(row)
            row.fields = {**row.fields, CF_RANK: new}
            word = "higher" if new < old else "lower"
            self.s.change(row, snapshot, actor(request), "issue_updated",
                          [{"field": "Rank", "fieldtype": "custom", "from": "", "fromString": "", "to": "",
                            "toString": f"Ranked {word}"}])
            entries.append({"issueId": row.id, "issueKey": row.key, "status": 200})
        if any(e["status"] != 200 for e in entries):
            return JSONResponse({"entries": entries}, status_code=207)
        return Response(status_code=204)
