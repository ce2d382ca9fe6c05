"""MappingConstructor: the canvas, the table, the uncovered-required list and the undo stack together.

The studio embeds this widget per profile: ``set_profile`` loads, ``profile()`` reads the result,
``is_dirty``/``mark_saved`` follow the undo stack's clean state. It never imports the studio.
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import QPointF, QSize, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QActionGroup, QColor, QKeySequence, QUndoStack
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QSplitter,
    QStackedWidget,
    QStyle,
    QTableView,
    QToolBar,
    QVBoxLayout,
    QWidget,
)

from sync_engine.fieldtypes import FieldMeta
from sync_engine.mapping.validate import compatible
from sync_engine.profiles.schema import FieldMapping, Profile
from sync_engine.sides import Side
from widgets.mapping.commands import AddMappingCommand, EditMappingCommand, RemoveMappingCommand
from widgets.mapping.editor import MappingEditorDialog
from widgets.mapping.interactions import DragLinkInteraction
from widgets.mapping.items import FieldItem
from widgets.mapping.model import MappingModel
from widgets.mapping.proposal import propose_mapping
from widgets.mapping.scene import Gesture, MappingScene, MappingView
from widgets.mapping.table import ChoiceDelegate, MappingTableModel

FILTER_DELAY_MS = 120

_STYLE = """
QWidget#mappingSidePanel { background: #FAFBFC; border-left: 1px solid #DDE2E8; }
QLabel#sideTitle { font-weight: bold; color: #1F2933; padding: 2px 0; }
QLabel#columnTitle { font-weight: bold; color: #33475B; }
QLabel#hiddenLinks { color: #8A6D00; background: #FFF8E1; border: 1px solid #FFE082; border-radius: 3px;
                     padding: 2px 8px; }
QLabel#statusLine { color: #33475B; padding: 3px 6px; border-top: 1px solid #DDE2E8; }
QLabel#issueSummary { color: #5B6B7F; }
QListWidget#uncovered { border: 1px solid #E3E7EC; background: white; }
"""


class MappingConstructor(QWidget):
    """Visual editor of a sync profile's field mappings (canvas and table over one undo stack)."""

    changed = Signal()
    refused = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setStyleSheet(_STYLE)
        self.undo_stack = QUndoStack(self)
        self.model = MappingModel(self)
        self.scene = MappingScene(self.model, self.undo_stack, self)
        self.scene.set_gesture_factory(self._start_link_gesture)
        self.table_model = MappingTableModel(self.model, self.undo_stack, self)
        self._filter_timers: dict[Side, QTimer] = {}
        self._build()
        self.undo_stack.indexChanged.connect(self._on_stack_index)
        self.model.validityChanged.connect(self._refresh_validity)
        self.scene.status.connect(self.show_status)
        self.scene.refused.connect(self.refused)
        self.table_model.refused.connect(self.refused)
        self.refused.connect(self.show_status)
        self.scene.mappingSelected.connect(self._on_selection)
        self.scene.editRequested.connect(self.edit_mapping)
        self.scene.hiddenLinksChanged.connect(self._show_hidden_links)
        self._update_actions()

    # ------------------------------------------------------------------ layout
    def _build(self) -> None:
        root = QVBoxLayout(self)
        root.setContentsMargins(0, 0, 0, 0)
        root.setSpacing(0)
        self.toolbar = QToolBar(self.tr("Mapping"))
        self.toolbar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.toolbar.setIconSize(QSize(16, 16))
        root.addWidget(self.toolbar)

        style = self.style()
        # Own actions instead of createUndoAction(): a fixed text keeps the toolbar from jumping; the
        # command's name goes to the tooltip.
        self.undo_action = QAction(style.standardIcon(QStyle.StandardPixmap.SP_ArrowBack), self.tr("Undo"), self)
        self.undo_action.setShortcut(QKeySequence.StandardKey.Undo)
        self.undo_action.triggered.connect(self.undo_stack.undo)
        self.redo_action = QAction(style.standardIcon(QStyle.StandardPixmap.SP_ArrowForward), self.tr("Redo"), self)
        self.redo_action.setShortcut(QKeySequence.StandardKey.Redo)
        self.redo_action.triggered.connect(self.undo_stack.redo)
        self.add_action = QAction(self.tr("Add mapping"), self)
        self.add_action.setToolTip(self.tr("Add a mapping for the next required or unmapped field"))
        self.add_action.triggered.connect(self.add_mapping)
        self.edit_action = QAction(self.tr("Edit…"), self)
        self.edit_action.setToolTip(self.tr("Edit the selected mapping (double-click a line or press Enter)"))
        self.edit_action.triggered.connect(lambda: self.edit_mapping(self.selected_mapping_id() or ""))
        self.delete_action = QAction(self.tr("Delete"), self)
        self.delete_action.setIcon(style.standardIcon(QStyle.StandardPixmap.SP_TrashIcon))
        self.delete_action.setToolTip(self.tr("Delete the selected mappings (Del)"))
        self.delete_action.triggered.connect(self.delete_selected)
        self.delete_action.setShortcut(QKeySequence.StandardKey.Delete)
        for action in (self.undo_action, self.redo_action, self.delete_action):
            action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            self.addAction(action)
        self.toolbar.addAction(self.undo_action)
        self.toolbar.addAction(self.redo_action)
        self.toolbar.addSeparator()
        self.toolbar.addAction(self.add_action)
        self.toolbar.addAction(self.edit_action)
        self.toolbar.addAction(self.delete_action)
        self.tidy_action = QAction(self.tr("Mapped first"), self, checkable=True)
        self.tidy_action.setToolTip(self.tr("Auto-layout: put linked fields at the top, facing their partners"))
        self.tidy_action.toggled.connect(self.scene.tidy)
        self.toolbar.addSeparator()
        self.toolbar.addAction(self.tidy_action)
        spacer = QWidget()
        spacer.setSizePolicy(spacer.sizePolicy().horizontalPolicy().Expanding,
                             spacer.sizePolicy().verticalPolicy().Preferred)
        self.toolbar.addWidget(spacer)
        self.view_group = QActionGroup(self)
        self.canvas_action = QAction(self.tr("Canvas"), self, checkable=True)
        self.table_action = QAction(self.tr("Table"), self, checkable=True)
        for action in (self.canvas_action, self.table_action):
            self.view_group.addAction(action)
            self.toolbar.addAction(action)
        self.canvas_action.setChecked(True)
        self.canvas_action.toggled.connect(lambda on: self.show_canvas() if on else self.show_table())

        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.setChildrenCollapsible(False)
        root.addWidget(splitter, 1)
        self.pages = QStackedWidget()
        splitter.addWidget(self.pages)
        self.pages.addWidget(self._build_canvas_page())
        self.pages.addWidget(self._build_table_page())
        splitter.addWidget(self._build_side_panel())
        splitter.setStretchFactor(0, 1)
        splitter.setStretchFactor(1, 0)
        splitter.setSizes([1000, 270])

        self.status_label = QLabel(self.tr("Drag from a JIRA field to a Bitrix24 field (or back) to map them."))
        self.status_label.setObjectName("statusLine")
        self.status_label.setWordWrap(False)
        self.status_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        root.addWidget(self.status_label)

    def _build_canvas_page(self) -> QWidget:
        page = QWidget()
        layout = QVBoxLayout(page)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        header = QWidget()
        header.setStyleSheet("background: #F4F6F9;")
        row = QHBoxLayout(header)
        margin = int(self.scene.canvas_style.side_margin)
        scrollbar = self.style().pixelMetric(QStyle.PixelMetric.PM_ScrollBarExtent)
        row.setContentsMargins(margin, 8, margin + scrollbar, 4)
        self.search: dict[Side, QLineEdit] = {}
        self.column_titles: dict[Side, QLabel] = {}
        columns: tuple[tuple[Side, str], ...] = ((Side.JIRA, "JIRA"), (Side.BITRIX24, "Bitrix24"))
        for side, name in columns:
            box = QVBoxLayout()
            box.setSpacing(3)
            title = QLabel(name)
            title.setObjectName("columnTitle")
            self.column_titles[side] = title
            edit = QLineEdit()
            edit.setPlaceholderText(self.tr("Search %1 fields by name or id…").replace("%1", name))
            edit.setClearButtonEnabled(True)
            edit.setFixedWidth(int(self.scene.canvas_style.field_width))
            self.scene.fieldWidthChanged.connect(lambda w, e=edit: e.setFixedWidth(int(w)))
            timer = QTimer(self)
            timer.setSingleShot(True)
            timer.setInterval(FILTER_DELAY_MS)
            timer.timeout.connect(lambda s=side: self._apply_filter(s))
            edit.textChanged.connect(timer.start)
            self._filter_timers[side] = timer
            self.search[side] = edit
            box.addWidget(title)
            box.addWidget(edit)
            row.addLayout(box)
            if side == Side.JIRA:
                row.addStretch(1)
        layout.addWidget(header)
        self.view = MappingView(self.scene)
        self.view.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOn)
        self.view.deleteRequested.connect(self.delete_selected)
        self.view.editRequested.connect(lambda: self.edit_mapping(self.selected_mapping_id() or ""))
        layout.addWidget(self.view, 1)
        self.hidden_label = QLabel()
        self.hidden_label.setObjectName("hiddenLinks")
        self.hidden_label.hide()
        hidden_row = QHBoxLayout()
        hidden_row.setContentsMargins(8, 4, 8, 4)
        hidden_row.addWidget(self.hidden_label)
        hidden_row.addStretch(1)
        layout.addLayout(hidden_row)
        return page

    def _build_table_page(self) -> QWidget:
        self.table = QTableView()
        self.table.setModel(self.table_model)
        self.table.setItemDelegate(ChoiceDelegate(self.table))
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.DoubleClicked
                                   | QAbstractItemView.EditTrigger.EditKeyPressed
                                   | QAbstractItemView.EditTrigger.AnyKeyPressed)
        self.table.setAlternatingRowColors(True)
        self.table.verticalHeader().setVisible(False)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(True)
        for col, width in enumerate((260, 130, 260, 140)):
            self.table.setColumnWidth(col, width)
        self.table.doubleClicked.connect(self._table_double_clicked)
        self.table.selectionModel().selectionChanged.connect(self._on_table_selection)
        return self.table

    def _build_side_panel(self) -> QWidget:
        panel = QWidget()
        panel.setObjectName("mappingSidePanel")
        panel.setAttribute(Qt.WidgetAttribute.WA_StyledBackground)
        panel.setMinimumWidth(220)
        layout = QVBoxLayout(panel)
        layout.setContentsMargins(10, 10, 10, 10)
        title = QLabel(self.tr("Required fields not covered"))
        title.setObjectName("sideTitle")
        layout.addWidget(title)
        hint = QLabel(self.tr("Records created on that side need a value for these fields."))
        hint.setWordWrap(True)
        hint.setObjectName("issueSummary")
        layout.addWidget(hint)
        self._warning_icon = self.style().standardIcon(QStyle.StandardPixmap.SP_MessageBoxWarning)
        self._ok_icon = self.style().standardIcon(QStyle.StandardPixmap.SP_DialogApplyButton)
        self.uncovered_list = QListWidget()
        self.uncovered_list.setSpacing(2)
        self.uncovered_list.setObjectName("uncovered")
        self.uncovered_list.itemActivated.connect(self._reveal_field)
        self.uncovered_list.itemClicked.connect(self._reveal_field)
        layout.addWidget(self.uncovered_list, 1)
        legend = QLabel(self.tr(
            "<b>Lines</b>: → writes to Bitrix24, ← writes to JIRA, ↔ both ways; dashed: only on create or "
            "only on update; orange: needs review; red: error. Double-click a line to edit it."))
        legend.setObjectName("issueSummary")
        legend.setWordWrap(True)
        layout.addWidget(legend)
        self.issue_summary = QLabel()
        self.issue_summary.setObjectName("issueSummary")
        self.issue_summary.setWordWrap(True)
        layout.addWidget(self.issue_summary)
        return panel

    # ------------------------------------------------------------------ public API
    def _start_link_gesture(self, item: FieldItem, pos: QPointF) -> Gesture:
        """The drag-to-link gesture for a press on a field; its feedback goes out through the scene."""
        gesture = DragLinkInteraction(self.scene, item, pos, parent=self.scene)
        gesture.status.connect(self.scene.status)
        gesture.refused.connect(self.scene.refused)
        gesture.finished.connect(self.scene.end_gesture)
        return gesture

    def set_profile(self, profile: Profile, jira_fields: Sequence[FieldMeta], b24_fields: Sequence[FieldMeta]) -> None:
        """Loads a profile to edit; clears undo history and marks the state as saved."""
        self.undo_stack.clear()
        self.model.set_profile(profile, jira_fields, b24_fields)
        self.scene.set_canvas_width(self.view.viewport().width())
        self.undo_stack.setClean()
        self._update_actions()

    def profile(self) -> Profile:
        return self.model.profile()

    def is_dirty(self) -> bool:
        return not self.undo_stack.isClean()

    def mark_saved(self) -> None:
        self.undo_stack.setClean()

    def show_canvas(self) -> None:
        self.canvas_action.setChecked(True)
        self.pages.setCurrentIndex(0)
        self._update_actions()

    def show_table(self) -> None:
        self.table_action.setChecked(True)
        self.pages.setCurrentIndex(1)
        self._update_actions()

    def set_filter(self, side: Side, text: str) -> None:
        """Sets a column's search text and applies it at once (typing applies it after a short pause)."""
        self.search[side].setText(text)
        self._apply_filter(side)

    def selected_mapping_id(self) -> str | None:
        ids = self.selected_mapping_ids()
        return ids[0] if ids else None

    def selected_mapping_ids(self) -> list[str]:
        if self.pages.currentIndex() == 0:
            return self.scene.selected_mapping_ids()
        rows = sorted({i.row() for i in self.table.selectionModel().selectedRows()})
        return [self.table_model.mapping_at(r).id for r in rows]

    def delete_selected(self) -> None:
        ids = self.selected_mapping_ids()
        if not ids:
            return
        if len(ids) == 1:
            self.undo_stack.push(RemoveMappingCommand(self.model, ids[0]))
        else:
            self.undo_stack.beginMacro(self.tr("Remove %n mapping(s)", "", len(ids)))
            for mapping_id in ids:
                self.undo_stack.push(RemoveMappingCommand(self.model, mapping_id))
            self.undo_stack.endMacro()
        self.show_status(self.tr("Removed %n mapping(s)", "", len(ids)))

    def add_mapping(self) -> FieldMapping | None:
        """Adds a mapping for the first uncovered required field, else the first unmapped compatible pair."""
        mapping = self._next_mapping()
        if mapping is None:
            self.refused.emit(self.tr("No unmapped pair of compatible fields is left"))
            return None
        self.undo_stack.push(AddMappingCommand(self.model, mapping))
        row = self.model.index_of(mapping.id)
        self.table.setCurrentIndex(self.table_model.index(row, 0))
        self.scene.select_mapping(mapping.id)
        self.show_status(self.tr("Added %1; change its fields in the table").replace("%1", mapping.id))
        return mapping

    def create_editor(self, mapping_id: str) -> MappingEditorDialog | None:
        mapping = self.model.mapping(mapping_id)
        return None if mapping is None else MappingEditorDialog(self.model, mapping, self)

    def apply_edit(self, old: FieldMapping, new: FieldMapping) -> None:
        if new != old:
            self.undo_stack.push(EditMappingCommand(self.model, old, new))

    def edit_mapping(self, mapping_id: str) -> None:
        dialog = self.create_editor(mapping_id)
        if dialog is None:
            return
        old = self.model.mapping(mapping_id)
        if dialog.exec() == QDialog.DialogCode.Accepted and old is not None:
            result = dialog.result_mapping()
            if result is not None:
                self.apply_edit(old, result)
        dialog.deleteLater()

    # ------------------------------------------------------------------ internals
    def _next_mapping(self) -> FieldMapping | None:
        taken = self.model.mapping_ids()
        mapped = {(Side.JIRA, m.jira_field) for m in self.model.mappings()} | {
            (Side.BITRIX24, m.bitrix24_field) for m in self.model.mappings()}
        for side, target in self.model.uncovered_required():
            source_side: Side = Side.JIRA if side == Side.BITRIX24 else Side.BITRIX24
            for source in self.model.fields(source_side):
                if (source_side, source.id) not in mapped and compatible(source, target)[0]:
                    mapping = propose_mapping(source_side, source, target, taken)
                    if mapping is not None:
                        return mapping
        for source in self.model.fields(Side.JIRA):
            if (Side.JIRA, source.id) in mapped:
                continue
            for target in self.model.fields(Side.BITRIX24):
                if (Side.BITRIX24, target.id) not in mapped and compatible(source, target)[0]:
                    mapping = propose_mapping(Side.JIRA, source, target, taken)
                    if mapping is not None:
                        return mapping
        return None

    def _apply_filter(self, side: Side) -> None:
        self._filter_timers[side].stop()
        self.scene.set_filter(side, self.search[side].text())
        total = len(self.model.fields(side))
        shown = self.scene.visible_field_count(side)
        name = "JIRA" if side == Side.JIRA else "Bitrix24"
        self.column_titles[side].setText(name if shown == total else f"{name}  ·  {shown} / {total}")

    def _show_hidden_links(self, count: int) -> None:
        self.hidden_label.setText(self.tr("%n mapping(s) hidden by the filter", "", count))
        self.hidden_label.setVisible(count > 0)

    def _refresh_validity(self) -> None:
        self.uncovered_list.clear()
        for side, meta in self.model.uncovered_required():
            name = "JIRA" if side == Side.JIRA else "Bitrix24"
            item = QListWidgetItem(self._warning_icon, f"{name} · {meta.label}\n{meta.id}")
            item.setForeground(QColor("#B71C1C"))
            item.setData(Qt.ItemDataRole.UserRole, (side, meta.id))
            item.setToolTip(self.tr("Drag a field onto it or add a constant mapping"))
            self.uncovered_list.addItem(item)
        if not self.uncovered_list.count():
            done = QListWidgetItem(self._ok_icon, self.tr("All required fields are covered"))
            done.setFlags(Qt.ItemFlag.NoItemFlags)
            self.uncovered_list.addItem(done)
        issues = self.model.issues()
        errors = sum(1 for i in issues if i.severity == "error")
        warnings = len(issues) - errors
        self.issue_summary.setText(self.tr("Errors: %1 · warnings: %2 (hover a line or a row for details)")
                                   .replace("%1", str(errors)).replace("%2", str(warnings)))

    def uncovered_entries(self) -> list[tuple[str, str]]:
        """(side, field id) pairs shown in the "Required fields not covered" list."""
        result = []
        for row in range(self.uncovered_list.count()):
            data = self.uncovered_list.item(row).data(Qt.ItemDataRole.UserRole)
            if data:
                result.append((str(data[0]), str(data[1])))
        return result

    def _reveal_field(self, item: QListWidgetItem) -> None:
        data = item.data(Qt.ItemDataRole.UserRole)
        if not data:
            return
        side, field_id = data
        if self.pages.currentIndex() != 0:
            self.show_canvas()
        if self.search[side].text():
            self.set_filter(side, "")
        field_item = self.scene.field_item(side, field_id)
        if field_item is not None:
            self.view.ensure_field_visible(field_item)

    def _on_table_selection(self, *_args: object) -> None:
        self._update_actions()

    def _table_double_clicked(self, index: object) -> None:
        from PySide6.QtCore import QModelIndex

        if isinstance(index, QModelIndex) and index.isValid() and index.column() == 4:
            self.edit_mapping(self.table_model.mapping_at(index.row()).id)

    def show_status(self, text: str) -> None:
        self.status_label.setText(text)
        self.status_label.setToolTip(text)

    def _on_stack_index(self, _index: int) -> None:
        self._update_actions()
        self.changed.emit()

    def _on_selection(self, _mapping_id: str) -> None:
        self._update_actions()

    def _update_actions(self) -> None:
        stack = self.undo_stack
        self.undo_action.setEnabled(stack.canUndo())
        self.redo_action.setEnabled(stack.canRedo())
        self.undo_action.setToolTip(self.tr("Undo %1").replace("%1", stack.undoText()) if stack.canUndo()
                                    else self.tr("Nothing to undo"))
        self.redo_action.setToolTip(self.tr("Redo %1").replace("%1", stack.redoText()) if stack.canRedo()
                                    else self.tr("Nothing to redo"))
        has = bool(self.selected_mapping_ids())
        self.delete_action.setEnabled(has)
        self.edit_action.setEnabled(has)
