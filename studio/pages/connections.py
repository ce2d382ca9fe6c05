"""Connections page: add JIRA / Bitrix24 endpoints, test them, see where secrets live."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QSettings
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QStackedWidget,
    QTableWidget,
    QTableWidgetItem,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from studio.changes import Change
from studio.context import StudioContext
from studio.pages.base import Page
from sync_engine.views.connections import ConnectionTest, ConnectionView


class ConnectionDialog(QDialog):
    """Add a JIRA (Cloud or Server/DC) or Bitrix24 (inbound webhook or OAuth app) connection."""

    def __init__(self, system: str, parent: QWidget) -> None:
        super().__init__(parent)
        self.system = system
        self.setWindowTitle(self.tr("Add JIRA connection") if system == "jira" else self.tr("Add Bitrix24 connection"))
        self.setMinimumWidth(560)
        form = QFormLayout(self)
        self.name = QLineEdit("jira" if system == "jira" else "bitrix24")
        form.addRow(self.tr("Name"), self.name)
        self.kind = QComboBox()
        self.url = QLineEdit()
        self.user = QLineEdit()
        self.secret = QLineEdit()
        self.secret.setEchoMode(QLineEdit.EchoMode.Password)
        if system == "jira":
            self.kind.addItem(self.tr("JIRA Cloud (e-mail + API token)"), "cloud")
            self.kind.addItem(self.tr("JIRA Server / Data Center (personal access token)"), "server-pat")
            self.kind.addItem(self.tr("JIRA Server / Data Center (user + password)"), "server")
            self.url.setPlaceholderText("https://yourcompany.atlassian.net")
        else:
            self.kind.addItem(self.tr("Inbound webhook URL"), "webhook")
            self.kind.addItem(self.tr("OAuth application (portal URL + access token)"), "oauth")
            self.url.setPlaceholderText("https://portal.bitrix24.ru/rest/1/abcdef0123456789/")
        form.addRow(self.tr("Kind"), self.kind)
        form.addRow(self.tr("URL"), self.url)
        self.user_label = QLabel(self.tr("User / e-mail"))
        form.addRow(self.user_label, self.user)
        self.secret_label = QLabel(self.tr("API token"))
        form.addRow(self.secret_label, self.secret)
        ca_row = QHBoxLayout()
        self.ca_file = QLineEdit()
        self.ca_file.setPlaceholderText(self.tr("optional: CA certificate for self-signed servers"))
        browse = QPushButton(self.tr("Browse…"))
        browse.clicked.connect(self._browse)
        ca_row.addWidget(self.ca_file)
        ca_row.addWidget(browse)
        form.addRow(self.tr("CA file"), ca_row)
        self.note = QLabel(self.tr("The secret is kept out of the database (in the system keyring, or where "
                                   "none exists in a file only you can read); it is not shown again."))
        self.note.setWordWrap(True)
        self.note.setProperty("class", "hint")
        form.addRow(self.note)
        self.error = QLabel()
        self.error.setStyleSheet("color: #c0392b;")
        self.error.setWordWrap(True)
        form.addRow(self.error)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self._accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)
        self.kind.currentIndexChanged.connect(self._kind_changed)
        self._kind_changed()

    def _browse(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, self.tr("CA certificate"), "", "PEM (*.pem *.crt);;*")
        if path:
            self.ca_file.setText(path)

    def _kind_changed(self) -> None:
        kind = self.kind.currentData()
        needs_user = kind in ("cloud", "server")
        self.user.setVisible(needs_user)
        self.user_label.setVisible(needs_user)
        webhook = kind == "webhook"
        self.secret.setVisible(not webhook)
        self.secret_label.setVisible(not webhook)
        self.secret_label.setText(self.tr("Password") if kind == "server" else
                                  self.tr("Access token") if kind == "oauth" else self.tr("API token"))
        self.user_label.setText(self.tr("E-mail") if kind == "cloud" else self.tr("User"))

    def _accept(self) -> None:
        problems = []
        if not self.name.text().strip():
            problems.append(self.tr("Name is empty."))
        url = self.url.text().strip()
        if not url.startswith(("http://", "https://")):
            problems.append(self.tr("URL must start with http:// or https://."))
        kind = self.kind.currentData()
        if kind in ("cloud", "server") and not self.user.text().strip():
            problems.append(self.tr("User / e-mail is empty."))
        if kind != "webhook" and not self.secret.text():
            problems.append(self.tr("The token or password is empty."))
        if kind == "webhook" and "/rest/" not in url:
            problems.append(self.tr("An inbound webhook URL looks like https://portal/rest/<user id>/<code>/."))
        if problems:
            self.error.setText(" ".join(problems))
            return
        self.accept()

    def values(self) -> dict[str, Any]:
        kind = self.kind.currentData()
        flavour = {"cloud": "cloud", "server": "server", "server-pat": "server", "webhook": "webhook",
                   "oauth": "oauth"}[kind]
        return {
            "name": self.name.text().strip(),
            "system": self.system,
            "url": self.url.text().strip(),
            "flavour": flavour,
            "username": self.user.text().strip() or None if kind in ("cloud", "server") else None,
            "secret": self.secret.text() or None,
            "ca_file": self.ca_file.text().strip() or None,
        }


class ConnectionsPage(Page):
    watches = Change.CONNECTIONS

    def __init__(self, ctx: StudioContext) -> None:
        super().__init__(ctx)
        self.items: list[ConnectionView] = []
        layout = QVBoxLayout(self)
        title = QLabel(self.tr("Connections"))
        title.setProperty("class", "pageTitle")
        layout.addWidget(title)
        hint = QLabel(self.tr("The JIRA instances and Bitrix24 portals the profiles sync between. "
                              "Secrets are kept out of the database; the table says where each one is."))
        hint.setProperty("class", "hint")
        hint.setWordWrap(True)
        layout.addWidget(hint)
        buttons = QHBoxLayout()
        self.add_jira = QPushButton(self.tr("Add JIRA…"))
        self.add_b24 = QPushButton(self.tr("Add Bitrix24…"))
        self.test_button = QPushButton(self.tr("Test connection"))
        self.remove_button = QPushButton(self.tr("Remove"))
        for b in (self.add_jira, self.add_b24, self.test_button, self.remove_button):
            buttons.addWidget(b)
        buttons.addStretch(1)
        layout.addLayout(buttons)
        self.table = QTableWidget(0, 5)
        self.table.setHorizontalHeaderLabels([self.tr("Name"), self.tr("System"), self.tr("Kind"), self.tr("URL"),
                                              self.tr("Secret kept in")])
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().hide()
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.horizontalHeader().setSectionResizeMode(3, QHeaderView.ResizeMode.Stretch)
        self.table.setWordWrap(False)
        layout.addWidget(self.table, 2)
        self.details = QStackedWidget()
        self.result = QTextBrowser()
        self.result.setPlaceholderText(self.tr("Select a connection and press “Test connection” to see the "
                                               "server or portal and the user it signs in as."))
        self.details.addWidget(self.result)
        layout.addWidget(self.details, 1)
        self.events_box = QGroupBox(self.tr("Events from this portal"))
        events = QFormLayout(self.events_box)
        self.public_url = QLineEdit(str(QSettings().value("service/public_url", "", type=str)))
        self.public_url.setPlaceholderText("https://sync.example.com")
        self.handler = QLineEdit()
        self.handler.setReadOnly(True)
        events.addRow(self.tr("Sync service public URL"), self.public_url)
        events.addRow(self.tr("Handler URL to paste into the portal's outgoing webhook"), self.handler)
        token_row = QHBoxLayout()
        self.app_token = QLineEdit()
        self.app_token.setEchoMode(QLineEdit.EchoMode.Password)
        self.app_token.setPlaceholderText(self.tr("the application token the portal shows for that webhook"))
        self.save_token = QPushButton(self.tr("Save token"))
        self.save_token.clicked.connect(self._save_app_token)
        token_row.addWidget(self.app_token, 1)
        token_row.addWidget(self.save_token)
        events.addRow(self.tr("Application token"), token_row)
        self.events_box.setVisible(False)
        layout.addWidget(self.events_box)
        self.add_jira.clicked.connect(lambda: self._add("jira"))
        self.add_b24.clicked.connect(lambda: self._add("bitrix24"))
        self.test_button.clicked.connect(self.test_selected)
        self.remove_button.clicked.connect(self._remove)
        self.table.itemSelectionChanged.connect(self._selection_changed)
        self.public_url.textChanged.connect(self._selection_changed)
        self._selection_changed()

    def refresh(self) -> None:
        self.op(lambda _: self.backend.connections.all(), label=self.tr("Loading connections"), on_done=self._show)

    def _where(self, c: ConnectionView) -> str:
        return {"keyring": self.tr("system keyring"), "file": self.tr("private file"),
                "env": self.tr("environment variable"), "service": self.tr("sync service")}[c.secret_location]

    def _show(self, items: list[ConnectionView]) -> None:
        self.items = items
        self.table.setRowCount(len(items))
        for row, c in enumerate(items):
            for col, text in enumerate([c.name, "JIRA" if c.system == "jira" else "Bitrix24", c.flavour,
                                        c.base_url, self._where(c)]):
                cell = QTableWidgetItem(text)
                cell.setToolTip(c.secret_where if col == 4 else text)
                self.table.setItem(row, col, cell)
        if items and not self.table.selectedItems():
            self.table.selectRow(0)
        self._selection_changed()

    def selected(self) -> ConnectionView | None:
        rows = {i.row() for i in self.table.selectedItems()}
        return self.items[rows.pop()] if rows and len(self.items) > min(rows | {0}) else None

    def _selection_changed(self) -> None:
        c = self.selected()
        self.test_button.setEnabled(c is not None)
        self.remove_button.setEnabled(c is not None)
        webhook = c is not None and c.system == "bitrix24" and c.flavour == "webhook"
        self.events_box.setVisible(webhook)
        if webhook and c is not None:
            QSettings().setValue("service/public_url", self.public_url.text().strip())
            base = self.public_url.text().strip().rstrip("/") or self.tr("https://<sync service>")
            self.handler.setText(f"{base}/hooks/bitrix24/{c.name}")

    def _save_app_token(self) -> None:
        c = self.selected()
        token = self.app_token.text().strip()
        if c is None or not token:
            return

        def saved(_: object) -> None:
            self.app_token.clear()
            self.result.setHtml(self.tr("The application token of {} is stored; events from the portal "
                                        "are accepted by the sync service.").format(c.name))

        self.op(lambda _: self.backend.connections.set_application_token(c.name, token),
                label=self.tr("Saving the application token"), on_done=saved)

    def _add(self, system: str) -> None:
        dialog = ConnectionDialog(system, self)
        if dialog.exec() != QDialog.DialogCode.Accepted:
            return
        values = dialog.values()
        values.pop("system")
        self.op(lambda _: self.backend.connections.add(system=system, **values), label=self.tr("Saving connection"),
                changes=Change.CONNECTIONS)

    def test_selected(self) -> None:
        c = self.selected()
        if c is None:
            return
        self.result.setHtml(self.tr("Testing {}…").format(c.name))

        def show(info: ConnectionTest) -> None:
            if info.system == "jira":
                html = self.tr("<b>Connected</b> to {server} {version} ({deployment}).<br>Signed in as {user} "
                               "&lt;{email}&gt;.").format(server=info.server or "", version=info.version or "",
                                                          deployment=info.deployment or "", user=info.user or "",
                                                          email=info.email or "")
            else:
                html = self.tr("<b>Connected</b> to the Bitrix24 portal {portal}.<br>Webhook of {user} "
                               "&lt;{email}&gt;{admin}.").format(
                    portal=info.portal or "", user=info.user or "", email=info.email or "",
                    admin=self.tr(", administrator") if info.admin else "")
            self.result.setHtml(html)

        def failed(exc: BaseException) -> None:
            self.result.setHtml(self.tr("<b style='color:#c0392b'>Failed:</b> {}").format(exc))

        self.op(lambda _: self.backend.connections.test(c.name), label=self.tr("Testing connection"),
                on_done=show, on_error=failed)

    def _remove(self) -> None:
        c = self.selected()
        if c is None:
            return
        if QMessageBox.question(self, self.tr("Remove connection"),
                                self.tr("Remove {} and its stored secret?").format(c.name)) \
                != QMessageBox.StandardButton.Yes:
            return
        self.op(lambda _: self.backend.connections.remove(c.name), label=self.tr("Removing"),
                changes=Change.CONNECTIONS)


