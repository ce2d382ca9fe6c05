"""Canvas gestures as small state machines (after orange-canvas-core's ``interactions``).

The editor widget makes an interaction when a gesture starts and hands it to the scene, which forwards
mouse and key events to it while it runs (the scene never imports this module); the interaction
decides what they mean, draws its own feedback and, when the gesture completes,
pushes undo commands as one macro so the user undoes the whole gesture in one step.
"""

from __future__ import annotations

from enum import Enum
from typing import Protocol

from PySide6.QtCore import QLineF, QObject, QPointF, Qt, Signal
from PySide6.QtGui import QPainterPath, QPen, QUndoStack
from PySide6.QtWidgets import QGraphicsItem, QGraphicsPathItem

from sync_engine.mapping.validate import compatible
from sync_engine.sides import Side
from widgets.mapping.commands import AddMappingCommand, describe_mapping
from widgets.mapping.items import DropState, FieldItem
from widgets.mapping.model import MappingModel
from widgets.mapping.proposal import propose_mapping
from widgets.mapping.style import CanvasStyle

DRAG_THRESHOLD = 4.0


class LinkCanvas(Protocol):
    """What linking by drag needs of the canvas it draws on (the mapping scene provides it)."""

    mapping_model: MappingModel
    undo_stack: QUndoStack
    canvas_style: CanvasStyle

    def field_items(self, side: str) -> list[FieldItem]: ...
    def linked(self, a: FieldItem, b: FieldItem) -> bool: ...
    def field_item_at(self, pos: QPointF) -> FieldItem | None: ...
    def select_mapping(self, mapping_id: str) -> None: ...
    def addItem(self, item: QGraphicsItem) -> None: ...
    def removeItem(self, item: QGraphicsItem) -> None: ...


class DragState(Enum):
    ARMED = 1  # pressed on a field, not moved far enough to be a drag
    DRAGGING = 2  # rubber-band line follows the mouse
    FINISHED = 3


class DragLinkInteraction(QObject):
    """Press on a field, drag to a field of the other column, release to link them.

    While dragging, every field of the other column is marked compatible or not (with the reason
    as its tooltip); releasing anywhere else, on an incompatible field, or pressing Escape cancels.
    """

    finished = Signal()
    refused = Signal(str)
    status = Signal(str)

    def __init__(self, canvas: LinkCanvas, source: FieldItem, press_pos: QPointF,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._scene = canvas
        self.source = source
        self._press_pos = QPointF(press_pos)
        self.state = DragState.ARMED
        self._line: QGraphicsPathItem | None = None
        self._verdicts: dict[FieldItem, tuple[bool, str]] = {}
        self._hover: FieldItem | None = None

    # ------------------------------------------------------------------ events from the scene
    def mouse_move(self, pos: QPointF) -> None:
        if self.state is DragState.ARMED and QLineF(self._press_pos, pos).length() >= DRAG_THRESHOLD:
            self._start_drag()
        if self.state is DragState.DRAGGING:
            self._follow(pos)

    def mouse_release(self, pos: QPointF) -> None:
        if self.state is DragState.ARMED:  # a click, not a drag
            self.status.emit(self.tr("Drag from a field to a field of the other column to link them"))
            self._end()
            return
        if self.state is not DragState.DRAGGING:
            return
        target = self._target_at(pos)
        if target is None:
            self._refuse(self.tr("Not linked: release the line on a field of the other column"))
            return
        ok, reason = self._verdicts.get(target, (False, ""))
        if not ok:
            self._refuse(self._refusal(target, reason))
            return
        self._link(target)

    def cancel(self, reason: str = "") -> None:
        if self.state is DragState.FINISHED:
            return
        if reason:
            self._refuse(reason)
        else:
            self.status.emit(self.tr("Linking cancelled"))
            self._end()

    # ------------------------------------------------------------------ states
    def _start_drag(self) -> None:
        self.state = DragState.DRAGGING
        self.source.set_drop_state(DropState.SOURCE)
        source_meta = self.source.meta
        for item in self._scene.field_items(self._other_side()):
            ok, reason = compatible(source_meta, item.meta)
            if ok and self._scene.linked(self.source, item):
                ok, reason = False, self.tr("these two fields are already linked")
            self._verdicts[item] = (ok, reason)
            item.set_drop_state(DropState.COMPATIBLE if ok else DropState.INCOMPATIBLE)
            if not ok:
                item.setToolTip(self._refusal(item, reason))
        pen = QPen(self._scene.canvas_style.link_selected, 2, Qt.PenStyle.DashLine)
        self._line = QGraphicsPathItem()
        self._line.setPen(pen)
        self._line.setZValue(10)
        self._scene.addItem(self._line)
        self.status.emit(self.tr("Drop on a green field to link; grey fields do not fit %1")
                         .replace("%1", self.source.meta.id))

    def _follow(self, pos: QPointF) -> None:
        assert self._line is not None
        start = self.source.anchor_pos()
        dx = (pos.x() - start.x()) * 0.45
        path = QPainterPath(start)
        path.cubicTo(QPointF(start.x() + dx, start.y()), QPointF(pos.x() - dx, pos.y()), pos)
        self._line.setPath(path)
        target = self._target_at(pos)
        if target is self._hover:
            return
        if self._hover is not None:
            ok = self._verdicts.get(self._hover, (False, ""))[0]
            self._hover.set_drop_state(DropState.COMPATIBLE if ok else DropState.INCOMPATIBLE)
        self._hover = target
        if target is None:
            return
        ok, reason = self._verdicts.get(target, (False, ""))
        target.set_drop_state(DropState.HOVER_OK if ok else DropState.HOVER_BAD)
        self.status.emit(self.tr("Release to link: %1").replace("%1", reason) if ok else self._refusal(target, reason))

    def _link(self, target: FieldItem) -> None:
        model = self._scene.mapping_model
        mapping = propose_mapping(self.source.side, self.source.meta, target.meta, model.mapping_ids())
        if mapping is None:
            self._refuse(self._refusal(target, self.tr("no transform fits these fields")))
            return
        self._end()
        stack = self._scene.undo_stack
        stack.beginMacro(self.tr("Link %1").replace("%1", describe_mapping(mapping)))
        stack.push(AddMappingCommand(model, mapping))
        stack.endMacro()
        self._scene.select_mapping(mapping.id)
        note = self.tr(" (value pairs suggested: review them)") if getattr(
            mapping.transform, "auto_suggested", False) else ""
        self.status.emit(self.tr("Linked %1").replace("%1", describe_mapping(mapping)) + note)

    def _refuse(self, reason: str) -> None:
        self._end()
        self.status.emit(reason)
        self.refused.emit(reason)

    def _end(self) -> None:
        if self.state is DragState.FINISHED:
            return
        self.state = DragState.FINISHED
        if self._line is not None:
            self._scene.removeItem(self._line)
            self._line = None
        self.source.set_drop_state(DropState.NORMAL)
        for item in self._verdicts:
            item.set_drop_state(DropState.NORMAL)
            item.setToolTip(item.describe())
        self._verdicts.clear()
        self._hover = None
        self.finished.emit()

    # ------------------------------------------------------------------ helpers
    def _other_side(self) -> str:
        return Side.BITRIX24 if self.source.side == Side.JIRA else Side.JIRA

    def _target_at(self, pos: QPointF) -> FieldItem | None:
        item = self._scene.field_item_at(pos)
        return item if item is not None and item.side != self.source.side and item.isVisible() else None

    def _refusal(self, target: FieldItem, reason: str) -> str:
        s, t = self.source.meta, target.meta
        return self.tr("Cannot link %1 (%2) → %3 (%4): %5").replace("%1", s.id).replace("%2", s.type.value) \
            .replace("%3", t.id).replace("%4", t.type.value).replace("%5", reason)
