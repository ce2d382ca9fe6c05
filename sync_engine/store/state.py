"""The engine's whole state store: pair state, runs and conflicts, as the runner's ``StateStore`` wants it.

The runner records a run's outcome through one object; each concern keeps its own module and table
set (:mod:`.sync_state`, :mod:`.runs`, :mod:`.conflicts`), which the CLI, the studio and the control API
also use directly to read and act on them.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from sqlalchemy import Engine

from sync_engine.store.conflicts import ConflictStore
from sync_engine.store.runs import RunStore
from sync_engine.store.sync_state import SyncStateStore, backoff


class SqlStateStore(SyncStateStore, RunStore, ConflictStore):
    def __init__(self, engine: Engine, retry_backoff: Callable[[int], timedelta] = backoff) -> None:
        SyncStateStore.__init__(self, engine, retry_backoff)
