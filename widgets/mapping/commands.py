"""Undo commands: the only way the constructor's views change the model.

Each command keeps the FieldMapping objects themselves (they are immutable), so undo puts back
exactly what was there. A gesture that makes several changes wraps them in one
``QUndoStack.beginMacro``/``endMacro`` so the user undoes it in one step.
"""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication
from PySide6.QtGui import QUndoCommand

from sync_engine.profiles.schema import FieldMapping
from widgets.mapping.model import MappingModel


def _tr(text: str) -> str:
    return QCoreApplication.translate("MappingCommands", text)


def describe_mapping(mapping: FieldMapping) -> str:
    arrow = {"to_bitrix24": "→", "to_jira": "←", "both": "↔"}[mapping.direction]
    return f"{mapping.jira_field or '∅'} {arrow} {mapping.bitrix24_field or '∅'}"


class AddMappingCommand(QUndoCommand):
    def __init__(self, model: MappingModel, mapping: FieldMapping, index: int | None = None,
                 parent: QUndoCommand | None = None) -> None:
        super().__init__(_tr("Add mapping %1").replace("%1", describe_mapping(mapping)), parent)
        self._model = model
        self._mapping = mapping
        self._index = index

    @property
    def mapping(self) -> FieldMapping:
        return self._mapping

    def redo(self) -> None:
        self._index = self._model.add(self._mapping, self._index)

    def undo(self) -> None:
        self._model.remove(self._mapping.id)


class RemoveMappingCommand(QUndoCommand):
    def __init__(self, model: MappingModel, mapping_id: str, parent: QUndoCommand | None = None) -> None:
        mapping = model.mapping(mapping_id)
        if mapping is None:
            raise KeyError(f"no mapping {mapping_id!r}")
        super().__init__(_tr("Remove mapping %1").replace("%1", describe_mapping(mapping)), parent)
        self._model = model
        self._mapping = mapping
        self._index = model.index_of(mapping_id)

    def redo(self) -> None:
        self._index, self._mapping = self._model.remove(self._mapping.id)

    def undo(self) -> None:
        self._model.add(self._mapping, self._index)


class EditMappingCommand(QUndoCommand):
    """Replaces ``old`` by ``new`` in place (same row); ``new`` may carry a different id."""

    def __init__(self, model: MappingModel, old: FieldMapping, new: FieldMapping,
                 parent: QUndoCommand | None = None) -> None:
        super().__init__(_tr("Edit mapping %1").replace("%1", describe_mapping(new)), parent)
        self._model = model
        self._old = old
        self._new = new

    def redo(self) -> None:
        self._model.replace(self._old.id, self._new)

    def undo(self) -> None:
        self._model.replace(self._new.id, self._old)
