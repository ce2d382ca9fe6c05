"""Main window: a navigation sidebar and one page per area (Connections, Profiles, Monitor, ...).

The window owns the page context (backend, change hub, operation tracker) and hands it to each page;
it also follows the backend's live events and announces what they change, so pages showing runs or
conflicts refresh when the engine or the sync service did something.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, TypeVar

from PySide6.QtCore import QSettings
from PySide6.QtGui import QAction, QCloseEvent
from PySide6.QtWidgets import (
    QApplication,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMainWindow,
    QMessageBox,
    QStackedWidget,
    QWidget,
)

from studio.changes import ChangeHub
from studio.context import StudioContext
from studio.i18n import LANGUAGES, install_translator
from studio.ops import OpTracker
from studio.pages.base import Page
from studio.pages.connections import ConnectionsPage
from studio.pages.monitor import MonitorPage
from studio.pages.profiles import ProfilesPage
from sync_engine.settings.schema import RuntimeSettings

if TYPE_CHECKING:
    from studio.backend import Backend
    from studio.session import StudioSession

log = logging.getLogger(__name__)
PageT = TypeVar("PageT", bound=Page)

STYLE = """
QListWidget#nav { background: #1f2d3d; color: #dfe7ef; border: none; font-size: 14px; }
QListWidget#nav::item { padding: 12px 16px; }
QListWidget#nav::item:selected { background: #2f80ed; color: white; }
QLabel.pageTitle { font-size: 18px; font-weight: 600; }
QLabel.hint { color: #5a6a7a; }
"""


class MainWindow(QMainWindow):
    def __init__(self, session: StudioSession | None = None, *, mode: str = "local") -> None:
        """Without a session the window shows at once and :meth:`attach` plugs the backend in later
        (the demo's twins and the database start in the background, so the window is never blank)."""
        super().__init__()
        self.session: StudioSession | None = session
        self.backend: Backend | None = session.backend if session is not None else None
        self.mode = session.mode if session is not None else mode
        self.ops = OpTracker()
        self.changes = ChangeHub()
        self._events: asyncio.Task[None] | None = None
        self.page_list: list[tuple[str, Page]] = []
        self._waiters: list[asyncio.Future[None]] = []
        self.ops.finished.connect(self._release_waiters)
        self._closed: asyncio.Future[None] | None = None
        self.setStyleSheet(STYLE)
        self._build()
        geometry = QSettings().value("window/geometry")
        if geometry is not None:
            self.restoreGeometry(geometry)
        if session is not None:
            self._follow_events()

    # -- construction (also used to re-translate after a language switch) -------------------------
    def _build(self) -> None:
        self.setWindowTitle(self.tr("Bitrix24–JIRA Studio"))
        central = QWidget()
        layout = QHBoxLayout(central)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        self.nav = QListWidget()
        self.nav.setObjectName("nav")
        self.nav.setFixedWidth(190)
        self.stack = QStackedWidget()
        settings = self.session.settings if self.session is not None else RuntimeSettings()
        ctx = StudioContext(self.backend, self.changes, self.ops, self, settings)  # type: ignore[arg-type]
        # One line per page: its key (for show_page), its title, how it is made.
        pages: list[tuple[str, str, Callable[[StudioContext], Page]]] = [
            ("connections", self.tr("Connections"), ConnectionsPage),
            ("profiles", self.tr("Profiles"), ProfilesPage),
            ("monitor", self.tr("Monitor"), MonitorPage),
        ]
        self.page_list = []
        for key, title, make in pages:
            page = make(ctx)
            self.page_list.append((key, page))
            QListWidgetItem(title, self.nav)
            self.stack.addWidget(page)
        self.connections_page = self.page(ConnectionsPage)
        self.profiles_page = self.page(ProfilesPage)
        self.monitor_page = self.page(MonitorPage)
        self.nav.currentRowChanged.connect(self._show_page)
        layout.addWidget(self.nav)
        layout.addWidget(self.stack, 1)
        self.setCentralWidget(central)
        self._menus()
        mode = {"demo": self.tr("Demo: sandbox twins, temporary database"), "remote": self.tr("Service"),
                "local": self.tr("Local engine")}[self.mode]
        self.location_label = QLabel(f"{mode} · {self.session.location}" if self.session is not None else
                                     self.tr("{} · starting…").format(mode))
        self.statusBar().addPermanentWidget(self.location_label)
        self.nav.setEnabled(self.session is not None)
        if self.session is not None:
            self.nav.setCurrentRow(1 if self.mode == "demo" else 0)

    def page(self, kind: type[PageT]) -> PageT:
        """The page of that class (there is one of each)."""
        return next(p for _, p in self.page_list if isinstance(p, kind))

    def attach(self, session: StudioSession) -> None:
        """Plug in the backend once it is ready and open the first page."""
        self.session = session
        self.backend = session.backend
        self.mode = session.mode
        self._follow_events()
        row = self.nav.currentRow()
        self.statusBar().deleteLater()
        self.setStatusBar(None)  # type: ignore[arg-type]
        self._build()
        if row >= 0:
            self.nav.setCurrentRow(row)
        for note in session.notes:
            # Not exec(): attach() runs inside an asyncio task, and a nested modal loop would re-enter it.
            box = QMessageBox(QMessageBox.Icon.Information, self.tr("Where secrets are kept"), note,
                              QMessageBox.StandardButton.Ok, self)
            box.setModal(False)
            box.show()

    def _menus(self) -> None:
        bar = self.menuBar()
        bar.clear()
        file_menu = bar.addMenu(self.tr("&File"))
        quit_action = QAction(self.tr("&Quit"), self)
        quit_action.setShortcut("Ctrl+Q")
        quit_action.triggered.connect(self.close)
        file_menu.addAction(quit_action)
        settings = bar.addMenu(self.tr("&Settings"))
        language = settings.addMenu(self.tr("Language"))
        for code, name in LANGUAGES.items():
            action = QAction(name, self)
            action.triggered.connect(lambda _=False, c=code: self.set_language(c))
            language.addAction(action)

    def _show_page(self, row: int) -> None:
        if row < 0:
            return
        self.stack.setCurrentIndex(row)
        page = self.stack.widget(row)
        if isinstance(page, Page):
            page.activate()

    def show_page(self, name: str) -> None:
        self.nav.setCurrentRow([key for key, _ in self.page_list].index(name))

    def _follow_events(self) -> None:
        """Announce what the backend's live events change, for as long as the window lives."""
        backend = self.backend
        if backend is None:
            return

        async def follow() -> None:
            try:
                async for event in backend.events.stream():
                    self.changes.announce_event(event)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # the window works without live events; say why they stopped
                log.warning("live events stopped: %s", exc)

        if self._events is not None:
            self._events.cancel()
        self._events = asyncio.ensure_future(follow())

    def stop_following(self) -> None:
        if self._events is not None:
            self._events.cancel()
            self._events = None

    def set_language(self, lang: str) -> None:
        """Switch the interface language now (pages are rebuilt; unsaved edits are asked about first)."""
        if not self.confirm_discard():
            return
        QSettings().setValue("ui/language", lang)
        app = QApplication.instance()
        assert isinstance(app, QApplication)
        install_translator(app, lang)
        row = self.nav.currentRow()
        self.statusBar().deleteLater()
        self.setStatusBar(None)  # type: ignore[arg-type]
        self._build()
        self.nav.setCurrentRow(max(0, row))

    # -- lifecycle ---------------------------------------------------------------------------------
    def confirm_discard(self) -> bool:
        if not self.profiles_page.is_dirty():
            return True
        answer = QMessageBox.question(
            self, self.tr("Unsaved changes"),
            self.tr("The profile has unsaved changes. Discard them?"),
            QMessageBox.StandardButton.Discard | QMessageBox.StandardButton.Cancel,
        )
        return answer == QMessageBox.StandardButton.Discard

    def closed_future(self) -> asyncio.Future[None]:
        if self._closed is None:
            self._closed = asyncio.get_event_loop().create_future()
        return self._closed

    def closeEvent(self, event: QCloseEvent) -> None:
        if not self.confirm_discard():
            event.ignore()
            return
        QSettings().setValue("window/geometry", self.saveGeometry())
        self.stop_following()
        event.accept()
        if self._closed is not None and not self._closed.done():
            self._closed.set_result(None)

    def wait_ops(self) -> asyncio.Future[None]:
        """Resolves when no background operation is running (for tests and the self-test)."""
        future: asyncio.Future[None] = asyncio.get_event_loop().create_future()
        self._waiters.append(future)
        self._release_waiters()
        return future

    def _release_waiters(self, *_: object) -> None:
        if self.ops.running:
            return
        waiters, self._waiters = self._waiters, []
        for future in waiters:
            if not future.done():
                future.set_result(None)


