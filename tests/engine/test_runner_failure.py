"""A run that fails for an unforeseen reason is recorded as failed, never left "running"."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from engine_harness import SMALL_PROFILE, Twins, add_stamp_field, profile, workspace

from sync_engine.store.state import SqlStateStore


class BrokenItemLog(SqlStateStore):
    """The real store whose item log fails after the run row exists (a full disk, a dropped table...)."""

    def record_items(self, run_id: int, items: Any) -> None:
        raise OSError("disk full while writing the run's items")


@pytest.fixture(scope="module")
def twins() -> Iterator[Twins]:
    t = Twins(seed="empty")
    add_stamp_field(t)
    yield t
    t.close()


def test_an_unexpected_error_marks_the_run_failed_and_reaches_the_caller(twins: Twins, tmp_path: Path) -> None:
    twins.create_issue("PROC", "Purchase request", summary="Заявка для сбоя", customfield_10101=10)
    ws = workspace(tmp_path, twins.info, [profile(SMALL_PROFILE)])
    ws.store = BrokenItemLog(ws.engine)
    try:
        with pytest.raises(OSError, match="disk full"):
            asyncio.run(ws.run("small"))
        (run,) = ws.store.runs("small")
        assert run.status == "failed"
        assert "disk full" in (run.error or "")
        assert run.finished_at is not None
    finally:
        ws.close()
