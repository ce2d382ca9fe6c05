"""Runs, their items and failed records: written by the engine, read by the monitor, the API and the CLI.

One module so that listing, paging and "retry" mean the same wherever they are asked for. Items carry
their position in the run (``seq``) and among the run's items of their action (``action_seq``), given
when written, so a page anywhere in a million-item run is an index seek and a count is one index probe.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy import Engine, and_, func, insert, or_, select, update

from models.db import write_transaction
from models.runs import SyncRun, SyncRunItem
from models.sync_state import SyncRetry
from sync_engine.engine.state import ItemOutcome, RunSummary
from sync_engine.sides import Side
from sync_engine.store.common import chunks, json_safe, table
from sync_engine.views.runs import ErrorView, ItemsAfter, ItemView, Page, RunView

RUNS = table(SyncRun)
ITEMS = table(SyncRunItem)
RETRIES = table(SyncRetry)


@dataclass
class RetryTargets:
    """The records a retry reads again by id (and syncs now)."""

    profile: str
    jira: set[str] = field(default_factory=set)
    bitrix24: set[str] = field(default_factory=set)

    def __bool__(self) -> bool:
        return bool(self.jira or self.bitrix24)


class RunStore:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    # -- written by the engine ---------------------------------------------------------------------------
    def start_run(self, profile: str, trigger: str) -> int:
        with write_transaction(self.engine) as conn:
            pk = conn.execute(insert(RUNS).values(profile=profile, trigger=trigger[:200], status="running",
                                                  started_at=datetime.now(UTC))).inserted_primary_key
        assert pk is not None
        return int(pk[0])

    def record_items(self, run_id: int, items: Sequence[ItemOutcome]) -> None:
        kept = [i for i in items if i.action != "unchanged"]
        if not kept:
            return
        with write_transaction(self.engine) as conn:
            counts = {str(a): int(n) for a, n in conn.execute(
                select(ITEMS.c.action, func.count()).where(ITEMS.c.run_id == run_id).group_by(ITEMS.c.action))}
            seq = sum(counts.values())
            rows = []
            for i in kept:
                seq += 1
                counts[i.action] = counts.get(i.action, 0) + 1
                rows.append({"run_id": run_id, "seq": seq, "action_seq": counts[i.action], "action": i.action,
                             "side": i.side.value if i.side else None, "jira_id": i.jira_id, "jira_key": i.jira_key,
                             "bitrix24_id": i.bitrix24_id,
                             "changes": {"fields": json_safe(i.changes)} if i.changes else {}, "error": i.error})
            for chunk in chunks(rows, 1000):
                conn.execute(insert(ITEMS), list(chunk))

    def finish_run(self, run_id: int, summary: RunSummary) -> None:
        with write_transaction(self.engine) as conn:
            conn.execute(update(RUNS).where(RUNS.c.id == run_id).values(
                status="failed" if summary.error else "ok",
                # The row is written once the plan stands; the run began with its reads.
                started_at=summary.started,
                finished_at=summary.finished or datetime.now(UTC),
                created_jira=summary.created.get("jira", 0),
                created_bitrix24=summary.created.get("bitrix24", 0),
                updated_jira=summary.updated.get("jira", 0),
                updated_bitrix24=summary.updated.get("bitrix24", 0),
                matched=summary.matched,
                unchanged=summary.unchanged,
                conflicts=summary.conflicts,
                errors=summary.errors,
                api_calls_jira=summary.api_calls.get("jira", 0),
                api_calls_bitrix24=summary.api_calls.get("bitrix24", 0),
                retries_jira=summary.retries.get("jira", 0),
                retries_bitrix24=summary.retries.get("bitrix24", 0),
                error=summary.error,
            ))

    def fail_interrupted_runs(self, profile: str, started_before: datetime, error: str) -> int:
        """Runs of ``profile`` still "running" that began before ``started_before`` were cut off (their
        process died): say so, instead of leaving them running for ever."""
        with write_transaction(self.engine) as conn:
            done = conn.execute(update(RUNS).where(RUNS.c.profile == profile, RUNS.c.status == "running",
                                                   RUNS.c.started_at <= started_before).values(
                status="failed", finished_at=datetime.now(UTC), error=error[:2000]))
        return int(done.rowcount or 0)

    # -- read by people ----------------------------------------------------------------------------------
    def runs(self, profile: str | None = None, *, status: str | None = None, limit: int = 50,
             before_id: int | None = None) -> list[RunView]:
        """Newest first; ``before_id`` continues a listing."""
        stmt = select(RUNS).order_by(RUNS.c.id.desc()).limit(limit)
        if profile:
            stmt = stmt.where(RUNS.c.profile == profile)
        if status:
            stmt = stmt.where(RUNS.c.status == status)
        if before_id:
            stmt = stmt.where(RUNS.c.id < before_id)
        with self.engine.connect() as conn:
            return [RunView.model_validate(r._mapping) for r in conn.execute(stmt)]

    def runs_page(self, profile: str | None = None, *, status: str | None = None, limit: int = 50,
                  before_id: int | None = None) -> Page[RunView]:
        rows = self.runs(profile, status=status, limit=limit, before_id=before_id)
        return Page[RunView](items=rows, next_before_id=rows[-1].id if len(rows) == limit else None)

    def run(self, run_id: int) -> RunView | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(RUNS).where(RUNS.c.id == run_id)).first()
        return RunView.model_validate(row._mapping) if row is not None else None

    def count_items(self, run_id: int, action: str | None = None) -> int:
        """How many items (of ``action``): the highest position, one index probe however large the run."""
        column = ITEMS.c.action_seq if action else ITEMS.c.seq
        stmt = select(func.max(column)).where(ITEMS.c.run_id == run_id)
        if action:
            stmt = stmt.where(ITEMS.c.action == action)
        with self.engine.connect() as conn:
            return int(conn.execute(stmt).scalar() or 0)

    def action_counts(self, run_id: int) -> dict[str, int]:
        """Items of a run per action (what the monitor's filter offers)."""
        with self.engine.connect() as conn:
            rows = conn.execute(select(ITEMS.c.action, func.max(ITEMS.c.action_seq))
                                .where(ITEMS.c.run_id == run_id).group_by(ITEMS.c.action))
            return {str(a): int(n or 0) for a, n in rows}

    def items_page(self, run_id: int, offset: int, limit: int, action: str | None = None) -> list[ItemView]:
        """Items by position (a table view scrolled anywhere): an index seek on the stored positions."""
        if action:
            stmt = (select(ITEMS).where(ITEMS.c.run_id == run_id, ITEMS.c.action == action,
                                        ITEMS.c.action_seq > offset).order_by(ITEMS.c.action_seq))
        else:
            stmt = select(ITEMS).where(ITEMS.c.run_id == run_id, ITEMS.c.seq > offset).order_by(ITEMS.c.seq)
        with self.engine.connect() as conn:
            return [ItemView.model_validate(r._mapping) for r in conn.execute(stmt.limit(limit))]

    def items_after(self, run_id: int, after_id: int = 0, limit: int = 500, action: str | None = None) -> ItemsAfter:
        """Items after an id, oldest first (keyset paging for readers that walk a whole run)."""
        stmt = select(ITEMS).where(ITEMS.c.run_id == run_id, ITEMS.c.id > after_id).order_by(ITEMS.c.id).limit(limit)
        if action:
            stmt = stmt.where(ITEMS.c.action == action)
        with self.engine.connect() as conn:
            rows = [ItemView.model_validate(r._mapping) for r in conn.execute(stmt)]
        return ItemsAfter(items=rows, next_after_id=rows[-1].id if len(rows) == limit else None)

    def run_items(self, run_id: int, *, after_id: int = 0, limit: int = 500) -> list[ItemView]:
        return self.items_after(run_id, after_id, limit).items

    # -- failed items and retrying them ------------------------------------------------------------------
    def errors(self, profile: str | None = None, *, limit: int = 50, before_id: int | None = None) -> Page[ErrorView]:
        stmt = (select(ITEMS, RUNS.c.profile).join(RUNS, RUNS.c.id == ITEMS.c.run_id)
                .where(ITEMS.c.action == "error").order_by(ITEMS.c.id.desc()).limit(limit))
        if profile:
            stmt = stmt.where(RUNS.c.profile == profile)
        if before_id:
            stmt = stmt.where(ITEMS.c.id < before_id)
        with self.engine.connect() as conn:
            rows = [ErrorView.model_validate(r._mapping) for r in conn.execute(stmt)]
        return Page[ErrorView](items=rows, next_before_id=rows[-1].id if len(rows) == limit else None)

    def error(self, item_id: int) -> ErrorView | None:
        stmt = (select(ITEMS, RUNS.c.profile).join(RUNS, RUNS.c.id == ITEMS.c.run_id)
                .where(ITEMS.c.id == item_id, ITEMS.c.action == "error"))
        with self.engine.connect() as conn:
            row = conn.execute(stmt).first()
        return ErrorView.model_validate(row._mapping) if row is not None else None

    def retry_targets(self, profile: str, item_ids: Iterable[int] | None = None) -> RetryTargets:
        """What "Retry" reads again, wherever it is pressed: the records of the given failed items, or
        (no items named) every record of the profile still waiting for a retry after failing."""
        targets = RetryTargets(profile)
        if item_ids is not None:
            ids = list(item_ids)
            with self.engine.connect() as conn:
                for chunk in chunks(ids):
                    rows = conn.execute(select(ITEMS.c.jira_id, ITEMS.c.bitrix24_id)
                                        .join(RUNS, RUNS.c.id == ITEMS.c.run_id)
                                        .where(ITEMS.c.id.in_(chunk), ITEMS.c.action == "error",
                                               RUNS.c.profile == profile))
                    for r in rows:
                        if r.jira_id:
                            targets.jira.add(str(r.jira_id))
                        if r.bitrix24_id:
                            targets.bitrix24.add(str(r.bitrix24_id))
            return targets
        with self.engine.connect() as conn:
            for r in conn.execute(select(RETRIES.c.side, RETRIES.c.record_id).where(RETRIES.c.profile == profile)):
                (targets.jira if r.side == Side.JIRA else targets.bitrix24).add(str(r.record_id))
        return targets

    def make_retries_due(self, targets: RetryTargets) -> None:
        """The named records' retries are due now (their backoff is skipped: a person asked)."""
        keys = [(Side.JIRA.value, i) for i in targets.jira] + [(Side.BITRIX24.value, i) for i in targets.bitrix24]
        if not keys:
            return
        with write_transaction(self.engine) as conn:
            for chunk in chunks(keys, 200):
                conn.execute(update(RETRIES).where(RETRIES.c.profile == targets.profile, or_(
                    *[and_(RETRIES.c.side == s, RETRIES.c.record_id == r) for s, r in chunk]))
                    .values(next_attempt_at=datetime.now(UTC)))

