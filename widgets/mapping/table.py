"""The same mappings as a keyboard-friendly table; every edit is an undo command.

Columns: JIRA field, direction, Bitrix24 field, applies on, transform. Fields, direction and
"applies on" are edited with combo boxes; the transform's settings open the mapping editor.
"""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError
from PySide6.QtCore import (
    QAbstractItemModel,
    QAbstractTableModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
    Signal,
)
from PySide6.QtGui import QBrush, QColor, QUndoStack
from PySide6.QtWidgets import QComboBox, QStyledItemDelegate, QStyleOptionViewItem, QWidget

from sync_engine.profiles.schema import FieldMapping
from sync_engine.sides import Side
from widgets.mapping.commands import EditMappingCommand
from widgets.mapping.items import apply_on_title, transform_title
from widgets.mapping.model import MappingModel
from widgets.mapping.proposal import propose_transform, transform_fits

ModelIndex = QModelIndex | QPersistentModelIndex
COL_JIRA, COL_DIRECTION, COL_B24, COL_APPLY, COL_TRANSFORM = range(5)
CHOICES_ROLE = Qt.ItemDataRole.UserRole + 1  # list of (text, value) for the combo delegate
VALUE_ROLE = Qt.ItemDataRole.UserRole + 2


class MappingTableModel(QAbstractTableModel):
    refused = Signal(str)

    def __init__(self, model: MappingModel, undo_stack: QUndoStack, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._model = model
        self._stack = undo_stack
        self._rows: list[FieldMapping] = list(model.mappings())
        model.fieldsChanged.connect(self._reset)
        model.mappingAdded.connect(self._on_added)
        model.mappingRemoved.connect(self._on_removed)
        model.mappingChanged.connect(self._on_changed)
        model.validityChanged.connect(self._on_validity)

    # ------------------------------------------------------------------ shape
    def rowCount(self, parent: ModelIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: ModelIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else 5

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return [self.tr("JIRA field"), self.tr("Direction"), self.tr("Bitrix24 field"), self.tr("Applies on"),
                    self.tr("Transform")][section]
        return None

    def flags(self, index: ModelIndex) -> Qt.ItemFlag:
        base = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
        if index.isValid() and index.column() != COL_TRANSFORM:
            base |= Qt.ItemFlag.ItemIsEditable
        return base

    def mapping_at(self, row: int) -> FieldMapping:
        return self._rows[row]

    # ------------------------------------------------------------------ display
    def _field_text(self, side: Side, field_id: str | None) -> str:
        if field_id is None:
            return "—"
        meta = self._model.field(side, field_id)
        return f"{meta.label} · {field_id}" if meta is not None and meta.label else field_id

    def _direction_choices(self) -> list[tuple[str, str]]:
        return [(self.tr("→ to Bitrix24"), "to_bitrix24"), (self.tr("← to JIRA"), "to_jira"),
                (self.tr("↔ both ways"), "both")]

    def _apply_choices(self) -> list[tuple[str, str]]:
        return [(apply_on_title(v), v) for v in ("both", "create", "update")]

    def _field_choices(self, side: Side) -> list[tuple[str, str]]:
        return [(f"{m.label} · {m.id}" if m.label else m.id, m.id) for m in self._model.fields(side)]

    def data(self, index: ModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        m = self._rows[index.row()]
        col = index.column()
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.EditRole):
            if col == COL_JIRA:
                return self._field_text(Side.JIRA, m.jira_field)
            if col == COL_B24:
                return self._field_text(Side.BITRIX24, m.bitrix24_field)
            if col == COL_DIRECTION:
                return dict((v, t) for t, v in self._direction_choices())[m.direction]
            if col == COL_APPLY:
                return dict((v, t) for t, v in self._apply_choices())[m.apply_on]
            if col == COL_TRANSFORM:
                name = transform_title(m.transform.type)
                if getattr(m.transform, "auto_suggested", False):
                    name += self.tr(" (suggested)")
                return name
        if role == VALUE_ROLE:
            return {COL_JIRA: m.jira_field, COL_B24: m.bitrix24_field, COL_DIRECTION: m.direction,
                    COL_APPLY: m.apply_on}.get(col, m.transform.type)
        if role == CHOICES_ROLE:
            if col == COL_JIRA:
                return self._field_choices(Side.JIRA)
            if col == COL_B24:
                return self._field_choices(Side.BITRIX24)
            if col == COL_DIRECTION:
                return self._direction_choices()
            if col == COL_APPLY:
                return self._apply_choices()
            return None
        if role == Qt.ItemDataRole.ToolTipRole:
            issues = self._model.issues_for(m.id)
            return "\n".join(str(i) for i in issues) or None
        if role == Qt.ItemDataRole.ForegroundRole and col == COL_TRANSFORM:
            issues = self._model.issues_for(m.id)
            if any(i.severity == "error" for i in issues):
                return QBrush(QColor("#C62828"))
            if issues:
                return QBrush(QColor("#B26A00"))
        return None

    # ------------------------------------------------------------------ editing
    def setData(self, index: ModelIndex, value: Any, role: int = Qt.ItemDataRole.EditRole) -> bool:
        if not index.isValid() or role != Qt.ItemDataRole.EditRole or value is None:
            return False
        old = self._rows[index.row()]
        key = {COL_JIRA: "jira_field", COL_B24: "bitrix24_field", COL_DIRECTION: "direction",
               COL_APPLY: "apply_on"}.get(index.column())
        if key is None or getattr(old, key) == value:
            return False
        try:
            new = FieldMapping.model_validate({**old.model_dump(), key: value})
        except ValidationError as exc:
            self.refused.emit(self.tr("Not changed: %1").replace("%1", str(exc.errors()[0].get("msg", exc))))
            return False
        jira = self._model.field(Side.JIRA, new.jira_field)
        b24 = self._model.field(Side.BITRIX24, new.bitrix24_field)
        ok, reason = transform_fits(new, jira, b24)
        if not ok and key in ("jira_field", "bitrix24_field") and jira is not None and b24 is not None:
            # A different field may need a different transform: start from the one a drag would choose.
            source, target = (jira, b24) if new.direction != "to_jira" else (b24, jira)
            transform = propose_transform(source, target, jira, b24)
            if transform is not None:
                new = FieldMapping.model_validate({**new.model_dump(), "transform": transform.model_dump()})
                ok, reason = transform_fits(new, jira, b24)
        if not ok:
            self.refused.emit(self.tr("Not changed: %1").replace("%1", reason))
            return False
        self._stack.push(EditMappingCommand(self._model, old, new))
        return True

    # ------------------------------------------------------------------ model signals
    def _reset(self) -> None:
        self.beginResetModel()
        self._rows = list(self._model.mappings())
        self.endResetModel()

    def _on_added(self, index: int, mapping: FieldMapping) -> None:
        self.beginInsertRows(QModelIndex(), index, index)
        self._rows.insert(index, mapping)
        self.endInsertRows()

    def _on_removed(self, index: int, mapping: FieldMapping) -> None:
        self.beginRemoveRows(QModelIndex(), index, index)
        self._rows.pop(index)
        self.endRemoveRows()

    def _on_changed(self, index: int, old: FieldMapping, new: FieldMapping) -> None:
        self._rows[index] = new
        self.dataChanged.emit(self.index(index, 0), self.index(index, 4))

    def _on_validity(self) -> None:
        if self._rows:
            self.dataChanged.emit(self.index(0, COL_TRANSFORM), self.index(len(self._rows) - 1, COL_TRANSFORM),
                                  [Qt.ItemDataRole.ForegroundRole, Qt.ItemDataRole.ToolTipRole])


class ChoiceDelegate(QStyledItemDelegate):
    """A combo box over the (text, value) choices the model offers for a cell."""

    def createEditor(self, parent: QWidget, option: QStyleOptionViewItem, index: ModelIndex) -> QWidget:
        choices = index.data(CHOICES_ROLE)
        if not choices:
            return super().createEditor(parent, option, index)
        combo = QComboBox(parent)
        for text, value in choices:
            combo.addItem(text, value)
        combo.setMaxVisibleItems(20)
        return combo

    def setEditorData(self, editor: QWidget, index: ModelIndex) -> None:
        if isinstance(editor, QComboBox):
            editor.setCurrentIndex(max(0, editor.findData(index.data(VALUE_ROLE))))
            return
        super().setEditorData(editor, index)

    def setModelData(self, editor: QWidget, model: QAbstractItemModel, index: ModelIndex) -> None:
        if isinstance(editor, QComboBox):
            model.setData(index, editor.currentData(), Qt.ItemDataRole.EditRole)
            return
        super().setModelData(editor, model, index)

    def updateEditorGeometry(self, editor: QWidget, option: QStyleOptionViewItem, index: ModelIndex) -> None:
        editor.setGeometry(option.rect)
