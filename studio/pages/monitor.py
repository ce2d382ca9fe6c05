"""Monitor page: runs, their items (lazily, any number), errors with Retry, conflicts, live events, a chart."""

from __future__ import annotations

import itertools
import json
from datetime import datetime
from typing import Any

from PySide6.QtCore import QRectF, QSignalBlocker, Qt, QTimer
from PySide6.QtGui import QColor, QPainter, QPaintEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QGridLayout,
    QHBoxLayout,
    QHeaderView,
    QInputDialog,
    QLabel,
    QListWidget,
    QPushButton,
    QSplitter,
    QTableView,
    QTabWidget,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from studio.changes import Change
from studio.context import StudioContext
from studio.pages.base import Page
from studio.pages.monitor_models import ItemsModel, RunsModel, trigger_text, word
from sync_engine.views.conflicts import ConflictView
from sync_engine.views.runs import ItemView, RunView


class ActivityChart(QWidget):
    """Items synced and API calls per minute over the recent runs (bars: items; line: API calls)."""

    def __init__(self) -> None:
        super().__init__()
        self.buckets: list[tuple[str, int, int]] = []
        self.setMinimumHeight(160)

    def set_runs(self, runs: list[RunView]) -> None:
        per_minute: dict[str, list[int]] = {}
        for r in runs:
            minute = r.started_at.astimezone().strftime("%H:%M")
            items = r.created_jira + r.created_bitrix24 + r.updated_jira + r.updated_bitrix24
            calls = r.api_calls_jira + r.api_calls_bitrix24
            bucket = per_minute.setdefault(minute, [0, 0])
            bucket[0] += items
            bucket[1] += calls
        self.buckets = [(m, v[0], v[1]) for m, v in sorted(per_minute.items())][-30:]
        self.update()

    def paintEvent(self, event: QPaintEvent) -> None:
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        rect = self.rect().adjusted(48, 24, -16, -28)
        p.fillRect(self.rect(), QColor("#ffffff"))
        p.setPen(QColor("#5a6a7a"))
        p.drawText(8, 16, self.tr("Items synced (bars) and API calls (line) per minute"))
        if not self.buckets:
            p.drawText(rect, Qt.AlignmentFlag.AlignCenter, self.tr("No runs yet: run a profile to see activity."))
            return
        top = max(max(b[1] for b in self.buckets), max(b[2] for b in self.buckets), 1)
        width = rect.width() / len(self.buckets)
        p.drawLine(rect.bottomLeft(), rect.bottomRight())
        p.drawText(4, rect.top() + 10, str(top))
        p.drawText(4, rect.bottom(), "0")
        points = []
        bar = min(width * 0.6, 36.0)
        for i, (minute, items, calls) in enumerate(self.buckets):
            x = rect.left() + i * width
            h = rect.height() * items / top
            p.fillRect(QRectF(x + (width - bar) / 2, rect.bottom() - h, bar, h), QColor("#2f80ed"))
            cx, cy = x + width / 2, rect.bottom() - rect.height() * calls / top
            points.append((cx, cy))
            p.setPen(QColor("#2f80ed"))
            p.drawText(QRectF(x, rect.bottom() - h - 18, width, 16), Qt.AlignmentFlag.AlignHCenter, str(items))
            p.setPen(QColor("#eb5757"))
            p.drawText(QRectF(x, cy - 20, width, 16), Qt.AlignmentFlag.AlignHCenter, str(calls))
            if len(self.buckets) <= 12 or i % max(1, len(self.buckets) // 8) == 0:
                p.setPen(QColor("#5a6a7a"))
                p.drawText(QRectF(x, rect.bottom() + 4, width, 20), Qt.AlignmentFlag.AlignHCenter, minute)
        p.setPen(QColor("#eb5757"))
        for (x1, y1), (x2, y2) in itertools.pairwise(points):
            p.drawLine(int(x1), int(y1), int(x2), int(y2))
        for x, y in points:
            p.drawEllipse(int(x) - 3, int(y) - 3, 6, 6)


class MonitorPage(Page):
    watches = Change.RUNS | Change.CONFLICTS

    def __init__(self, ctx: StudioContext) -> None:
        super().__init__(ctx)
        self.conflict_rows: list[ConflictView] = []
        layout = QVBoxLayout(self)
        header = QHBoxLayout()
        title = QLabel(self.tr("Monitor"))
        title.setProperty("class", "pageTitle")
        header.addWidget(title, 1)
        self.refresh_button = QPushButton(self.tr("Refresh"))
        header.addWidget(self.refresh_button)
        layout.addLayout(header)
        splitter = QSplitter(Qt.Orientation.Vertical)
        self.runs_model = RunsModel()
        self.runs = QTableView()
        self.runs.setModel(self.runs_model)
        self.runs.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.runs.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.runs.verticalHeader().hide()
        self.runs.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.runs.horizontalHeader().setStretchLastSection(True)
        splitter.addWidget(self.runs)
        self.tabs = QTabWidget()
        self.tabs.addTab(self._items_tab(), self.tr("Items"))
        self.tabs.addTab(self._conflicts_tab(), self.tr("Conflicts"))
        self.feed = QListWidget()
        self.tabs.addTab(self.feed, self.tr("Live events"))
        self.chart = ActivityChart()
        self.tabs.addTab(self.chart, self.tr("Activity"))
        splitter.addWidget(self.tabs)
        splitter.setSizes([260, 420])
        layout.addWidget(splitter, 1)
        self.refresh_button.clicked.connect(lambda: self.refresh())
        self.runs.selectionModel().selectionChanged.connect(lambda *_: self._run_selected())
        # A bound method, not a lambda: Qt drops the connection when this page is rebuilt (language switch).
        ctx.changes.live_event.connect(self._live_event)
        self.timer = QTimer(self)
        self.timer.setInterval(int(1000 * ctx.settings.studio.monitor_refresh_s))
        self.timer.timeout.connect(self._tick)
        self.timer.start()

    def _items_tab(self) -> QWidget:
        tab = QWidget()
        v = QVBoxLayout(tab)
        row = QHBoxLayout()
        self.filter = QComboBox()
        for label, value in ((self.tr("All items"), None), (self.tr("Errors"), "error"),
                             (self.tr("Conflicts"), "conflict"), (self.tr("Created"), "create"),
                             (self.tr("Updated"), "update"), (self.tr("Deferred fields"), "deferred")):
            self.filter.addItem(label, value)
        self.items_label = QLabel(self.tr("Select a run above to see what it did."))
        self.retry_button = QPushButton(self.tr("Retry failed items"))
        row.addWidget(self.filter)
        row.addWidget(self.items_label, 1)
        row.addWidget(self.retry_button)
        v.addLayout(row)
        self.items_model = ItemsModel()
        self.items = QTableView()
        self.items.setModel(self.items_model)
        self.items.verticalHeader().hide()
        self.items.setWordWrap(False)
        self.items.verticalHeader().setDefaultSectionSize(22)
        self.items.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        self.items.horizontalHeader().setStretchLastSection(True)
        for col, width in enumerate((70, 80, 70, 90, 80, 520)):
            self.items.setColumnWidth(col, width)
        v.addWidget(self.items, 1)
        self.filter.currentIndexChanged.connect(lambda *_: self._run_selected())
        self.retry_button.clicked.connect(self._retry)
        return tab

    def _conflicts_tab(self) -> QWidget:
        tab = QWidget()
        grid = QGridLayout(tab)
        self.conflict_list = QListWidget()
        grid.addWidget(self.conflict_list, 0, 0, 3, 1)
        self.jira_value = QTextBrowser()
        self.b24_value = QTextBrowser()
        grid.addWidget(QLabel("JIRA"), 0, 1)
        grid.addWidget(QLabel("Bitrix24"), 0, 2)
        grid.addWidget(self.jira_value, 1, 1)
        grid.addWidget(self.b24_value, 1, 2)
        buttons = QHBoxLayout()
        self.keep_jira = QPushButton(self.tr("Keep JIRA"))
        self.keep_b24 = QPushButton(self.tr("Keep Bitrix24"))
        self.edit_value = QPushButton(self.tr("Edit…"))
        for b in (self.keep_jira, self.keep_b24, self.edit_value):
            buttons.addWidget(b)
        buttons.addStretch(1)
        grid.addLayout(buttons, 2, 1, 1, 2)
        grid.setColumnStretch(0, 1)
        grid.setColumnStretch(1, 1)
        grid.setColumnStretch(2, 1)
        self.conflict_list.currentRowChanged.connect(self._conflict_selected)
        self.keep_jira.clicked.connect(lambda: self._resolve("jira"))
        self.keep_b24.clicked.connect(lambda: self._resolve("bitrix24"))
        self.edit_value.clicked.connect(self._edit_conflict)
        self._conflict_selected(-1)
        return tab

    # -- data ---------------------------------------------------------------------------------------
    def _tick(self) -> None:
        if self.isVisible():
            self.refresh(quiet=True)

    def refresh(self, quiet: bool = False) -> None:
        backend = self.backend

        async def load(_: object) -> tuple[list[RunView], list[ConflictView]]:
            return await backend.runs.recent(), await backend.conflicts.all()

        def show(result: tuple[list[RunView], list[ConflictView]]) -> None:
            runs, conflicts = result
            selected = self._selected_run()
            self.runs_model.set_rows(runs)
            self.chart.set_runs(runs)
            ids = [r.id for r in runs]
            row = ids.index(selected.id) if selected and selected.id in ids else (0 if ids else -1)
            if row >= 0:
                # Re-selecting the run that was shown must not reset its item table (and scroll position).
                same = selected is not None and runs[row].id == selected.id
                blocker = QSignalBlocker(self.runs.selectionModel()) if same else None
                self.runs.selectRow(row)
                del blocker
                if not same:
                    self._run_selected()
            self._show_conflicts(conflicts)

        self.op(load, label=self.tr("Loading runs"), on_done=show, show_errors=not quiet)

    def _selected_run(self) -> RunView | None:
        rows = self.runs.selectionModel().selectedRows() if self.runs.selectionModel() else []
        return self.runs_model.rows[rows[0].row()] if rows else None

    def _run_selected(self) -> None:
        run = self._selected_run()
        if run is None:
            self.items_model.reset(0, None)
            return
        action = self.filter.currentData()
        backend = self.backend
        run_id = run.id

        async def fetch(offset: int, limit: int) -> list[ItemView]:
            items: list[ItemView] = await backend.runs.items_page(run_id, offset, limit, action)
            return items

        def show(total: int) -> None:
            self.items_model.reset(total, fetch)
            self.items_label.setText(self.tr("Run {id} of {profile}: {n} item(s) shown").format(
                id=run_id, profile=run.profile, n=total))
            self.retry_button.setEnabled(run.errors > 0)

        self.op(lambda _: backend.runs.count_items(run_id, action), label=self.tr("Loading items"), on_done=show)

    def _retry(self) -> None:
        run = self._selected_run()
        if run is None:
            return
        self.op(lambda ctx: self.backend.runs.retry(run.profile, progress=ctx.progress),
                label=self.tr("Retrying failed items of {}").format(run.profile),
                changes=Change.RUNS | Change.CONFLICTS)

    def _live_event(self, event: dict[str, Any]) -> None:
        """What the engine or the service did, as it happens (runs, timers, resolved conflicts)."""
        kind = str(event.get("type"))
        profile = event.get("profile") or event.get("lane") or ""
        if kind == "run.started":
            text = self.tr("run of {} started ({})").format(profile, trigger_text(event.get("trigger")))
        elif kind in ("run.finished", "run.failed"):
            s = event.get("summary") or {}
            text = self.tr("run {id} of {profile}: {status}; created {c}, updated {u}, errors {e}").format(
                id=event.get("run_id") or "—", profile=profile, status=word(event.get("status")),
                c=sum((s.get("created") or {}).values()), u=sum((s.get("updated") or {}).values()),
                e=s.get("errors", 0))
            if event.get("error"):
                text += f" — {event['error']}"
        elif kind == "timer.fired":
            text = self.tr("timer {} fired").format(event.get("name"))
        elif kind == "conflict.resolved":
            text = self.tr("conflict {} resolved").format(event.get("conflict_id"))
        else:
            text = f"{kind} {profile}".strip()
        self._event(text)

    def _event(self, text: str) -> None:
        self.feed.insertItem(0, f"{datetime.now().strftime('%H:%M:%S')}  {text}")
        while self.feed.count() > 500:
            self.feed.takeItem(self.feed.count() - 1)

    # -- conflicts ----------------------------------------------------------------------------------
    def _show_conflicts(self, conflicts: list[ConflictView]) -> None:
        self.conflict_rows = conflicts
        self.conflict_list.clear()
        for c in conflicts:
            self.conflict_list.addItem(f"{c.jira_key or c.jira_id} ↔ {c.bitrix24_id}: {c.label or c.rule}")
        self.tabs.setTabText(1, self.tr("Conflicts ({})").format(len(conflicts)) if conflicts else
                             self.tr("Conflicts"))
        self._conflict_selected(self.conflict_list.currentRow())

    def _conflict_selected(self, row: int) -> None:
        has = 0 <= row < len(self.conflict_rows)
        for b in (self.keep_jira, self.keep_b24, self.edit_value):
            b.setEnabled(has)
        if not has:
            self.jira_value.setPlainText(self.tr("No conflict selected. Conflicts appear here when a field "
                                                 "changed on both sides and the profile holds them for you."))
            self.b24_value.clear()
            return
        values = self.conflict_rows[row].values
        fmt = lambda v: json.dumps(v, ensure_ascii=False, indent=2, default=str)  # noqa: E731
        self.jira_value.setPlainText(fmt(values.get("jira")))
        self.b24_value.setPlainText(fmt(values.get("bitrix24")))

    def _resolve(self, choice: str, value: Any = None) -> None:
        row = self.conflict_list.currentRow()
        if not 0 <= row < len(self.conflict_rows):
            return
        cid = self.conflict_rows[row].id
        self.op(lambda _: self.backend.conflicts.resolve(cid, choice, value), label=self.tr("Resolving conflict"),
                changes=Change.CONFLICTS | Change.RUNS)

    def _edit_conflict(self) -> None:
        row = self.conflict_list.currentRow()
        if not 0 <= row < len(self.conflict_rows):
            return
        values = self.conflict_rows[row].values
        text, ok = QInputDialog.getText(self, self.tr("Resolve with a value"), self.tr("Value for both sides:"),
                                        text=str(values.get("jira") or ""))
        if ok:
            self._resolve("value", text)
