"""Work logged on issues, and what it does to time tracking (``adjustEstimate`` as Jira applies it).

Time spent and the remaining estimate live in the issue's fields (``timespent``, ``timeestimate``), so
logging work is an issue change like any other: ``updated`` moves, the history gets the
``timespent``/``timeestimate`` items and a ``WorklogId`` one, and webhooks see ``issue_work_logged``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sync_engine.sandbox.jira import durations, timefmt
from sync_engine.sandbox.jira.errors import ApiError
from sync_engine.sandbox.jira.service import IssueService
from sync_engine.sandbox.jira.store import IssueRow
from sync_engine.sandbox.jira.values import adf_to_text

ADJUST = ("auto", "leave", "new", "manual")


def _item(worklog_id: int, gone: bool = False) -> dict[str, Any]:
    text = str(worklog_id)
    return {"field": "WorklogId", "fieldtype": "jira", "from": text if gone else None,
            "fromString": text if gone else None, "to": None if gone else text, "toString": None if gone else text}


class WorklogService:
    def __init__(self, service: IssueService) -> None:
        self.s = service
        self.store = service.store

    def find(self, row: IssueRow, worklog_id: str) -> dict[str, Any]:
        found = next((w for w in self.store.worklogs(row.id) if str(w["id"]) == str(worklog_id)), None)
        if found is None:
            raise ApiError(404, [f"Cannot find worklog with id: '{worklog_id}'."])
        return found

    def _read(self, body: Any, current: dict[str, Any] | None) -> dict[str, Any]:
        if not isinstance(body, dict):
            raise ApiError(400, ["The worklog must be a JSON object."])
        out: dict[str, Any] = {}
        if "timeSpentSeconds" in body:
            raw = body["timeSpentSeconds"]
            try:
                seconds: int | None = int(raw)
            except (TypeError, ValueError):
                seconds = None
            if seconds is None or isinstance(raw, bool):
                raise ApiError(400, [], {"timeLogged": "Invalid time duration entered."})
            out["seconds"] = seconds
        elif "timeSpent" in body:
            seconds = durations.parse(body["timeSpent"])
            if seconds is None:
                raise ApiError(400, [], {"timeLogged": "Invalid time duration entered."})
            out["seconds"] = seconds
        elif current is None:
            raise ApiError(400, [], {"timeLogged": "You must indicate the time spent working."})
        if "seconds" in out and out["seconds"] <= 0:
            raise ApiError(400, [], {"timeLogged": "Time Spent must be greater than zero."})
        if "comment" in body:
            comment = body["comment"]
            if isinstance(comment, dict):  # v3 sends ADF
                comment = adf_to_text(comment)
            if comment is not None and not isinstance(comment, str):
                raise ApiError(400, [], {"comment": "The comment must be a string."})
            out["comment"] = comment
        if body.get("started") is not None:
            started = timefmt.parse_ts(str(body["started"]))
            if started is None:
                raise ApiError(400, [], {"started": f"Could not parse the date '{body['started']}'."})
            out["started"] = started
        if "visibility" in body:
            out["visibility"] = body["visibility"] or None
        return out

    @staticmethod
    def _estimate(params: Mapping[str, str], remaining: int | None, delta: int, manual_key: str) -> int | None:
        """The remaining estimate after ``delta`` more seconds were spent (negative: less spent)."""
        mode = params.get("adjustEstimate", "auto")
        if mode not in ADJUST:
            raise ApiError(400, [f"The 'adjustEstimate' parameter must be one of {', '.join(ADJUST)}."])
        if mode == "leave":
            return remaining
        if mode == "new":
            new = durations.parse(params.get("newEstimate") or "")
            if new is None:
                raise ApiError(400, [], {"newEstimate": "You must supply a valid new estimate."})
            return new
        if mode == "manual":
            amount = durations.parse(params.get(manual_key) or "")
            if amount is None:
                raise ApiError(400, [], {manual_key: f"You must supply a valid amount for '{manual_key}'."})
            signed = amount if manual_key == "reduceBy" else -amount
            return max(0, (remaining or 0) - signed)
        return max(0, (remaining or 0) - delta)

    def add(self, row: IssueRow, body: Any, params: Mapping[str, str], actor: str) -> dict[str, Any]:
        data = self._read(body, None)
        now = self.s.clock()
        before = self.s.snapshot(row)
        spent = int(row.fields.get("timespent") or 0) + data["seconds"]
        row.fields = {**row.fields, "timespent": spent,
                      "timeestimate": self._estimate(params, row.fields.get("timeestimate"), data["seconds"],
                                                     "reduceBy")}
        worklog = {"id": self.store.next_value("worklog_id", 10000), "issue_id": row.id, "author": actor,
                   "update_author": actor, "comment": data.get("comment"), "started": data.get("started", now),
                   "seconds": data["seconds"], "created": now, "updated": now, "visibility": data.get("visibility")}
        self.store.add_worklog(worklog)
        self.s.change(row, before, actor, "issue_work_logged", [_item(worklog["id"])])
        return worklog

    def update(self, row: IssueRow, worklog: dict[str, Any], body: Any, params: Mapping[str, str],
               actor: str) -> dict[str, Any]:
        data = self._read(body, worklog)
        before = self.s.snapshot(row)
        seconds = data.get("seconds", worklog["seconds"])
        delta = seconds - int(worklog["seconds"])
        if params.get("adjustEstimate") == "manual":
            raise ApiError(400, ["'manual' is not a valid 'adjustEstimate' for updating a worklog."])
        row.fields = {**row.fields, "timespent": max(0, int(row.fields.get("timespent") or 0) + delta),
                      "timeestimate": self._estimate(params, row.fields.get("timeestimate"), delta, "reduceBy")}
        updated = {**worklog, **{k: v for k, v in data.items()}, "seconds": seconds, "update_author": actor,
                   "updated": max(self.s.clock(), int(worklog["updated"]))}
        self.store.save_worklog(updated)
        self.s.change(row, before, actor, "issue_worklog_updated", [_item(worklog["id"])])
        return updated

    def delete(self, row: IssueRow, worklog: dict[str, Any], params: Mapping[str, str], actor: str) -> None:
        before = self.s.snapshot(row)
        seconds = int(worklog["seconds"])
        row.fields = {**row.fields, "timespent": max(0, int(row.fields.get("timespent") or 0) - seconds) or None,
                      "timeestimate": self._estimate(params, row.fields.get("timeestimate"), -seconds,
                                                     "increaseBy")}
        self.store.delete_worklog(int(worklog["id"]))
        self.s.change(row, before, actor, "issue_worklog_deleted", [_item(worklog["id"], gone=True)])
