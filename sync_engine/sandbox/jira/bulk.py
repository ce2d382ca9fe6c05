"""Jira Cloud's asynchronous bulk operations: a submitted task, run in the background, read at
``GET /rest/api/3/bulk/queue/{taskId}``.

Each issue of a task is changed through the same :class:`IssueService` call a single request would
make (a transition, an edit), so every issue gets its own history entry, ``updated`` stamp, journal
line and webhooks, as Cloud sends them per issue. One issue that cannot be changed (a transition not
available from its status, a value its screen refuses) fails alone, with its reason under
``failedAccessibleIssues``; the others go on. At most :data:`MAX_CONCURRENT` tasks run at once, as
Atlassian documents for these APIs.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from starlette.responses import JSONResponse

from sync_engine.sandbox.jira.errors import ApiError
from sync_engine.sandbox.jira.service import IssueService
from sync_engine.sandbox.jira.store import IssueRow

log = logging.getLogger(__name__)

MAX_ISSUES = 1000
MAX_FIELDS = 200
MAX_CONCURRENT = 5
CHUNK = 50  # issues changed between two looks at the event loop, so progress can be read meanwhile
RETENTION_MS = 14 * 86_400_000
ACTIVE = ("ENQUEUED", "RUNNING", "CANCEL_REQUESTED")

# one issue's work: (issue, actor) -> None, raising ApiError when that issue fails
Step = Callable[[IssueRow, str], None]


class BulkError(ApiError):
    """The bulk APIs answer 400 with ``{"errors": [{"message": ...}]}``, not an ErrorCollection."""

    def response(self) -> JSONResponse:
        headers = {"Retry-After": "1"} if self.status == 429 else None
        return JSONResponse({"errors": [{"message": m} for m in self.messages]}, status_code=self.status,
                            headers=headers)


@dataclass
class Task:
    id: str
    submitted_by: str
    created: int
    total: int
    work: list[tuple[int, Step]]  # (issue id, what to do with it)
    invalid: int
    status: str = "ENQUEUED"
    started: int | None = None
    updated: int | None = None
    done: int = 0
    processed: list[int] = field(default_factory=list)
    failed: dict[str, list[str]] = field(default_factory=dict)


class BulkService:
    def __init__(self, service: IssueService) -> None:
        self.s = service
        self.tasks: dict[str, Task] = {}
        self._running: set[asyncio.Task[None]] = set()

    # -- submitting ---------------------------------------------------------------------------------------
    def active(self) -> int:
        return sum(1 for t in self.tasks.values() if t.status in ACTIVE)

    def submit(self, actor: str, total: int, work: list[tuple[int, Step]], invalid: int) -> Task:
        if self.active() >= MAX_CONCURRENT:
            raise BulkError(429, [f"Only {MAX_CONCURRENT} bulk operations can run at the same time; try again when "
                                  "one of them has finished."])
        self._expire()
        now = self.s.clock()
        task = Task(str(self.s.store.next_value("task_id", 10000)), actor, now, total, work, invalid)
        self.tasks[task.id] = task
        runner = asyncio.get_running_loop().create_task(self._run(task), name=f"jira-bulk-{task.id}")
        self._running.add(runner)
        runner.add_done_callback(self._running.discard)
        return task

    def _expire(self) -> None:
        horizon = self.s.clock() - RETENTION_MS
        for tid in [t.id for t in self.tasks.values() if t.created < horizon and t.status not in ACTIVE]:
            del self.tasks[tid]

    # -- running --------------------------------------------------------------------------------------------
    async def _run(self, task: Task) -> None:
        await asyncio.sleep(0)  # the submitter gets its 201 (and may read ENQUEUED) before work starts
        task.status = "RUNNING"
        task.started = task.updated = self.s.clock()
        try:
            for n, (issue_id, step) in enumerate(task.work, 1):
                self._one(task, issue_id, step)
                task.done = n
                if n % CHUNK == 0:
                    task.updated = self.s.clock()
                    await asyncio.sleep(0)
        except Exception:  # a bug in the twin: the task fails as a whole, as Jira reports FAILED
            log.exception("bulk task %s failed", task.id)
            task.status = "FAILED"
            task.updated = self.s.clock()
            return
        task.status = "COMPLETE"
        task.updated = self.s.clock()

    def _one(self, task: Task, issue_id: int, step: Step) -> None:
        row = self.s.store.get_issue(str(issue_id))
        if row is None:  # deleted while the task waited
            task.failed[str(issue_id)] = ["The issue no longer exists."]
            return
        try:
            step(row, task.submitted_by)
        except ApiError as exc:
            task.failed[str(issue_id)] = exc.messages + [f"{k}: {v}" for k, v in exc.errors.items()] or \
                [f"The operation failed with status {exc.status}."]
            return
        task.processed.append(issue_id)

    async def drain(self) -> None:
        """Wait for the running tasks (the twin's shutdown)."""
        for runner in list(self._running):
            runner.cancel()
        for runner in list(self._running):
            try:
                await runner
            except asyncio.CancelledError:
                pass

    # -- reading ------------------------------------------------------------------------------------------
    def progress(self, task: Task, account_id: str) -> dict[str, Any]:
        out: dict[str, Any] = {"taskId": task.id, "status": task.status,
                               "progressPercent": 100 if task.status == "COMPLETE" else
                               (task.done * 100 // task.total if task.total else 0),
                               "submittedBy": {"accountId": account_id}, "created": task.created}
        if task.started is not None:
            out["started"] = task.started
        if task.updated is not None:
            out["updated"] = task.updated
        if task.status in ("COMPLETE", "FAILED"):
            out["processedAccessibleIssues"] = list(task.processed)
            if task.failed:
                out["failedAccessibleIssues"] = dict(task.failed)
            out["invalidOrInaccessibleIssueCount"] = task.invalid
            out["totalIssueCount"] = task.total
        return out
