"""Table models of the monitor: runs, and a windowed item model that scrolls a million rows.

The item model keeps only the pages near what is on screen (an LRU of pages), asks the backend for a
page the first time one of its rows is painted, and shows a placeholder until it arrives, so memory
stays flat however long the run and a remote backend never blocks painting.
"""

from __future__ import annotations

import asyncio
import json
import re
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

from PySide6.QtCore import (
    QT_TRANSLATE_NOOP,
    QAbstractTableModel,
    QCoreApplication,
    QModelIndex,
    QPersistentModelIndex,
    Qt,
)
from PySide6.QtGui import QBrush, QColor

from sync_engine.sides import Side
from sync_engine.views.runs import ItemView, RunView

Index = QModelIndex | QPersistentModelIndex
PAGE = 200
MAX_PAGES = 60

ACTION_COLOURS = {"error": "#c0392b", "conflict": "#d35400", "create": "#1e8449", "update": "#1f618d",
                  "deferred": "#7d6608", "skip": "#7f8c8d", "match": "#6c3483"}

# Words the engine and the service store in runs and items (actions, statuses, triggers). The tables keep
# them as stored (colours, filters and the control API use them); only what is shown goes through the
# "MonitorWords" context of the translations.
WORDS = (
    QT_TRANSLATE_NOOP("MonitorWords", "create"), QT_TRANSLATE_NOOP("MonitorWords", "update"),
    QT_TRANSLATE_NOOP("MonitorWords", "match"), QT_TRANSLATE_NOOP("MonitorWords", "conflict"),
    QT_TRANSLATE_NOOP("MonitorWords", "error"), QT_TRANSLATE_NOOP("MonitorWords", "delete"),
    QT_TRANSLATE_NOOP("MonitorWords", "mark"), QT_TRANSLATE_NOOP("MonitorWords", "deferred"),
    QT_TRANSLATE_NOOP("MonitorWords", "skip"), QT_TRANSLATE_NOOP("MonitorWords", "ok"),
    QT_TRANSLATE_NOOP("MonitorWords", "failed"), QT_TRANSLATE_NOOP("MonitorWords", "running"),
    QT_TRANSLATE_NOOP("MonitorWords", "manual"), QT_TRANSLATE_NOOP("MonitorWords", "studio"),
    QT_TRANSLATE_NOOP("MonitorWords", "schedule"), QT_TRANSLATE_NOOP("MonitorWords", "event"),
    QT_TRANSLATE_NOOP("MonitorWords", "reconcile"), QT_TRANSLATE_NOOP("MonitorWords", "retry"),
)
_COALESCED = re.compile(r"^(?P<trigger>\w+) \(\+(?P<n>\d+) coalesced\)$")


def word(value: Any) -> str:
    """A stored word in the interface language (unknown words as they are)."""
    text = "" if value is None else str(value)
    return QCoreApplication.translate("MonitorWords", text) if text in WORDS else text


def trigger_text(value: Any) -> str:
    """``event (+12 coalesced)`` as the interface says it."""
    text = "" if value is None else str(value)
    m = _COALESCED.match(text)
    if m is None:
        return word(text)
    return QCoreApplication.translate("MonitorWords", "{trigger} (+{n} coalesced)").format(
        trigger=word(m["trigger"]), n=m["n"])


def _time(value: datetime | None) -> str:
    return value.astimezone().strftime("%d.%m %H:%M:%S") if value is not None else ""


def _short(value: Any) -> str:
    if value is None or value == "":
        return "—"
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= 48 else text[:45] + "…"


class RunsModel(QAbstractTableModel):
    HEADERS = ("Started", "Profile", "Trigger", "Status", "Created J/B", "Updated J/B", "Conflicts", "Errors",
               "Seconds", "API calls J/B")

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[RunView] = []

    def set_rows(self, rows: list[RunView]) -> None:
        self.beginResetModel()
        self.rows = rows
        self.endResetModel()

    def rowCount(self, parent: Index = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:
        return len(self.HEADERS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal:
            return QCoreApplication.translate("RunsModel", self.HEADERS[section])
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        r = self.rows[index.row()]
        if role == Qt.ItemDataRole.ForegroundRole and index.column() == 3:
            return QBrush(QColor("#c0392b" if r.status == "failed" else "#1e8449"))
        if role == Qt.ItemDataRole.ToolTipRole and r.error:
            return r.error
        if role != Qt.ItemDataRole.DisplayRole:
            return None
        seconds = f"{(r.finished_at - r.started_at).total_seconds():.1f}" if r.finished_at else ""
        return (
            _time(r.started_at), r.profile, trigger_text(r.trigger), word(r.status),
            f"{r.created_jira} / {r.created_bitrix24}", f"{r.updated_jira} / {r.updated_bitrix24}",
            r.conflicts, r.errors, seconds, f"{r.api_calls_jira} / {r.api_calls_bitrix24}",
        )[index.column()]


class ItemsModel(QAbstractTableModel):
    HEADERS = ("#", "Action", "Side", "JIRA", "Bitrix24", "Fields before → after", "Error")

    def __init__(self, fetch: Callable[[int, int], Awaitable[list[ItemView]]] | None = None) -> None:
        super().__init__()
        self.total = 0
        self.fetch = fetch
        self.pages: OrderedDict[int, list[tuple[Any, ...]]] = OrderedDict()
        self.loading: set[int] = set()
        self.generation = 0
        self._tasks: set[asyncio.Future[None]] = set()

    def reset(self, total: int, fetch: Callable[[int, int], Awaitable[list[ItemView]]] | None) -> None:
        self.beginResetModel()
        self.total = total
        self.fetch = fetch
        self.pages.clear()
        self.loading.clear()
        self.generation += 1
        self.endResetModel()

    def rowCount(self, parent: Index = QModelIndex()) -> int:
        return 0 if parent.isValid() else self.total

    def columnCount(self, parent: Index = QModelIndex()) -> int:
        return len(self.HEADERS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal:
            return QCoreApplication.translate("ItemsModel", self.HEADERS[section])
        return None

    @staticmethod
    def _row(item: ItemView) -> tuple[Any, ...]:
        changes = item.changes.get("fields") or []
        text = "; ".join(f"{c.get('field')}: {_short(c.get('before'))} → {_short(c.get('after'))}" for c in changes)
        return (item.seq or item.id, item.action, item.side or "", item.jira_key or item.jira_id or "",
                item.bitrix24_id or "", text, item.error or "")

    def row_data(self, row: int) -> tuple[Any, ...] | None:
        page = self.pages.get(row // PAGE)
        if page is None:
            return None
        offset = row % PAGE
        return page[offset] if offset < len(page) else None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        row = self.row_data(index.row())
        if row is None:
            if role == Qt.ItemDataRole.DisplayRole:
                self._request(index.row() // PAGE)
                return "…" if index.column() == 1 else ""
            return None
        self.pages.move_to_end(index.row() // PAGE)
        if role == Qt.ItemDataRole.DisplayRole:
            if index.column() == 1:
                return word(row[1])
            if index.column() == 2:
                return Side(row[2]).title if row[2] in ("jira", "bitrix24") else row[2]
            return row[index.column()]
        if role == Qt.ItemDataRole.ToolTipRole and index.column() >= 5:
            return row[index.column()]
        if role == Qt.ItemDataRole.ForegroundRole and index.column() == 1:
            return QBrush(QColor(ACTION_COLOURS.get(str(row[1]), "#2c3e50")))
        return None

    def _request(self, page: int) -> None:
        if page in self.loading or self.fetch is None:
            return
        self.loading.add(page)
        generation = self.generation
        fetch = self.fetch

        async def load() -> None:
            try:
                items = await fetch(page * PAGE, PAGE)
            finally:
                self.loading.discard(page)
            if generation != self.generation:
                return
            self.pages[page] = [self._row(i) for i in items]
            while len(self.pages) > MAX_PAGES:
                self.pages.popitem(last=False)
            first = page * PAGE
            last = min(self.total, first + PAGE) - 1
            if last >= first:
                self.dataChanged.emit(self.index(first, 0), self.index(last, self.columnCount() - 1))

        task = asyncio.ensure_future(load())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
