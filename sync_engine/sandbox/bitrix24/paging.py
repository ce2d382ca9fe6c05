"""The portal's list paging for the non-CRM methods: 50 a page, ``start`` snapped to a page boundary
(``iNumPage = intval(start / 50) + 1``), ``total`` always, ``next`` only while more remain, and a
negative ``start`` meaning "no count" (neither ``total`` nor ``next``)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from sync_engine.sandbox.bitrix24.envelope import MethodResult
from sync_engine.sandbox.bitrix24.phpquery import php_int

PAGE = 50


def paged(rows: Sequence[Any], raw_start: Any, wrap: Callable[[list[Any]], Any] = list) -> MethodResult:
    """One page of ``rows``; ``wrap`` shapes it (``tasks.task.list`` answers ``{"tasks": [...]}``)."""
    start = php_int(raw_start)
    if start < 0:
        return MethodResult(wrap(list(rows[:PAGE])))
    start -= start % PAGE
    return MethodResult(wrap(list(rows[start:start + PAGE])), total=len(rows),
                        next=start + PAGE if start + PAGE < len(rows) else None)
