"""The canvas: JIRA fields on the left, Bitrix24 fields on the right, mappings as curves between.

Items are created once per loaded profile. Filtering only hides/shows items and moves the visible
ones up (touching only items whose position changes), so typing in a search box stays fluid with
hundreds of fields per side. Lines follow their endpoints and hide when an endpoint is filtered out.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from PySide6.QtCore import QPointF, QRectF, Qt, QTimer, Signal
from PySide6.QtGui import QKeyEvent, QMouseEvent, QPainter, QResizeEvent, QUndoStack
from PySide6.QtWidgets import (
    QGraphicsItem,
    QGraphicsScene,
    QGraphicsSceneMouseEvent,
    QGraphicsView,
    QWidget,
)

from sync_engine.profiles.schema import FieldMapping
from sync_engine.sides import SIDES, Side
from widgets.mapping.items import FieldItem, LinkItem
from widgets.mapping.model import MappingModel
from widgets.mapping.proposal import normalise_search
from widgets.mapping.style import CanvasStyle

AUTOSCROLL_MARGIN = 28
AUTOSCROLL_STEP = 24


class Gesture(Protocol):
    """What the scene forwards events to while a gesture runs (see :mod:`widgets.mapping.interactions`)."""

    def mouse_move(self, pos: QPointF) -> None: ...
    def mouse_release(self, pos: QPointF) -> None: ...
    def cancel(self, reason: str = "") -> None: ...


# Makes the gesture for a press on a field; the editor that owns the scene provides it, wiring the gesture's
# feedback to the scene and calling ``end_gesture`` when it is over (as orange-canvas-core's document does).
GestureFactory = Callable[[FieldItem, QPointF], Gesture]


class MappingScene(QGraphicsScene):
    status = Signal(str)
    refused = Signal(str)
    mappingSelected = Signal(str)  # "" when no line is selected
    editRequested = Signal(str)  # a line was double-clicked
    hiddenLinksChanged = Signal(int)
    fieldWidthChanged = Signal(float)  # the boxes narrowed or widened with the view

    def __init__(self, model: MappingModel, undo_stack: QUndoStack, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.mapping_model = model
        self.undo_stack = undo_stack
        self.canvas_style = CanvasStyle()
        self.setBackgroundBrush(self.canvas_style.background)
        self.setItemIndexMethod(QGraphicsScene.ItemIndexMethod.NoIndex)
        self._items: dict[Side, list[FieldItem]] = {Side.JIRA: [], Side.BITRIX24: []}
        self._by_id: dict[Side, dict[str, FieldItem]] = {Side.JIRA: {}, Side.BITRIX24: {}}
        self._links: dict[str, LinkItem] = {}
        self._filters: dict[Side, str] = {Side.JIRA: "", Side.BITRIX24: ""}
        cs = self.canvas_style
        self._width = 2 * cs.field_width + cs.min_column_gap + 2 * cs.side_margin
        self._hidden_links = 0
        self._mapped_first = False
        self._interaction: Gesture | None = None
        self._gesture_factory: GestureFactory | None = None
        self._severity_timer = QTimer(self)
        self._severity_timer.setSingleShot(True)
        self._severity_timer.setInterval(0)
        self._severity_timer.timeout.connect(self._refresh_severity)
        model.fieldsChanged.connect(self.rebuild)
        model.mappingAdded.connect(self._on_added)
        model.mappingRemoved.connect(self._on_removed)
        model.mappingChanged.connect(self._on_changed)
        model.validityChanged.connect(self._severity_timer.start)
        self.selectionChanged.connect(self._on_selection)

    # ------------------------------------------------------------------ building
    def rebuild(self) -> None:
        """Full rebuild: only when a new profile or new field lists are loaded."""
        if self._interaction is not None:
            self._interaction.cancel()
        self.clear()
        self._links.clear()
        self._items = {Side.JIRA: [], Side.BITRIX24: []}
        self._by_id = {Side.JIRA: {}, Side.BITRIX24: {}}
        for side in SIDES:
            items = [FieldItem(side, meta, self.canvas_style) for meta in self.mapping_model.fields(side)]
            self._items[side] = items
            self._by_id[side] = {i.meta.id: i for i in items}
            for item in items:
                self.addItem(item)
                item.setVisible(self._matches(item, self._filters[side]))
            self._layout_side(side, force=True)
        for mapping in self.mapping_model.mappings():
            self._add_link(mapping)
        if self._mapped_first:
            self.tidy(True)
        self._refresh_markers()
        self._update_links()
        self._refresh_severity()

    def _column_x(self, side: Side) -> float:
        s = self.canvas_style
        return s.side_margin if side == Side.JIRA else self._width - s.side_margin - s.field_width

    def _layout_side(self, side: Side, force: bool = False) -> None:
        s = self.canvas_style
        x, y = self._column_x(side), s.top_margin
        for item in self._items[side]:
            if not item.isVisible():
                continue
            if force or item.pos().x() != x or item.pos().y() != y:
                item.setPos(x, y)
            y += s.field_height + s.field_gap
        self._update_scene_rect()

    def _update_scene_rect(self) -> None:
        s = self.canvas_style
        rows = max((sum(1 for i in self._items[side] if i.isVisible()) for side in SIDES), default=0)
        height = s.top_margin * 2 + rows * (s.field_height + s.field_gap)
        self.setSceneRect(QRectF(0, 0, self._width, max(height, 100.0)))

    def set_canvas_width(self, width: float) -> None:
        """Spreads the columns over the view's width; in a narrow view the field boxes narrow too (down to
        ``min_field_width``) before a horizontal scroll bar is needed."""
        s = self.canvas_style
        fitted = (width - 2 * s.side_margin - s.min_column_gap) / 2
        field_width = max(s.min_field_width, min(s.max_field_width, fitted))
        if abs(field_width - s.field_width) >= 0.5:
            for side in SIDES:
                for item in self._items[side]:
                    item.prepareGeometryChange()
            s.field_width = field_width
            self.fieldWidthChanged.emit(field_width)
            self._width = -1.0  # force the relayout below
        width = max(width, 2 * s.field_width + s.min_column_gap + 2 * s.side_margin)
        if abs(width - self._width) < 0.5:
            return
        self._width = width
        for side in SIDES:
            self._layout_side(side)
        self._update_links()

    def tidy(self, mapped_first: bool) -> None:
        """Re-orders the columns once: linked fields first, partners facing each other, then required ones.

        It is a view setting, not an edit (nothing in the profile changes), and it is not re-applied on
        every change so that fields never jump away from under the mouse.
        """
        self._mapped_first = mapped_first
        original = {side: {m.id: i for i, m in enumerate(self.mapping_model.fields(side))} for side in SIDES}
        if not mapped_first:
            for side in SIDES:
                self._items[side].sort(key=lambda item, o=original[side]: o[item.meta.id])  # type: ignore[misc]
        else:
            rank: dict[Side, dict[str, int]] = {Side.JIRA: {}, Side.BITRIX24: {}}
            for m in self.mapping_model.mappings():
                for side, fid in ((Side.JIRA, m.jira_field), (Side.BITRIX24, m.bitrix24_field)):
                    if fid is not None:
                        rank[side].setdefault(fid, len(rank[side]))
            for side in SIDES:
                r, o = rank[side], original[side]
                self._items[side].sort(key=lambda item, r=r, o=o: (  # type: ignore[misc]
                    0 if item.meta.id in r else 1 if item.meta.required else 2,
                    r.get(item.meta.id, 0), o[item.meta.id]))
        for side in SIDES:
            self._layout_side(side)
        self._update_links()

    def is_tidied(self) -> bool:
        return self._mapped_first

    # ------------------------------------------------------------------ filtering
    @staticmethod
    def _matches(item: FieldItem, needle: str) -> bool:
        return not needle or needle in item.haystack

    def set_filter(self, side: Side, text: str) -> None:
        needle = normalise_search(text.strip())
        if needle == self._filters[side]:
            return
        self._filters[side] = needle
        for item in self._items[side]:
            visible = self._matches(item, needle)
            if visible != item.isVisible():
                item.setVisible(visible)
        self._layout_side(side)
        self._update_links()

    def filter_text(self, side: Side) -> str:
        return self._filters[side]

    def visible_field_count(self, side: Side) -> int:
        return sum(1 for i in self._items[side] if i.isVisible())

    def hidden_link_count(self) -> int:
        return self._hidden_links

    # ------------------------------------------------------------------ links
    def _add_link(self, mapping: FieldMapping) -> None:
        jira = self._by_id[Side.JIRA].get(mapping.jira_field or "")
        b24 = self._by_id[Side.BITRIX24].get(mapping.bitrix24_field or "")
        if jira is None or b24 is None:
            return  # template/constant (one field) or a field missing from the portal: no line
        link = LinkItem(mapping, jira, b24, self.canvas_style)
        self._links[mapping.id] = link
        self.addItem(link)

    def _remove_link(self, mapping_id: str) -> None:
        link = self._links.pop(mapping_id, None)
        if link is not None:
            self.removeItem(link)

    def _update_links(self) -> None:
        hidden = 0
        for link in self._links.values():
            visible = link.jira_item.isVisible() and link.b24_item.isVisible()
            if visible:
                link.update_geometry()
            else:
                hidden += 1
                if link.isSelected():
                    link.setSelected(False)
            if visible != link.isVisible():
                link.setVisible(visible)
        if hidden != self._hidden_links:
            self._hidden_links = hidden
            self.hiddenLinksChanged.emit(hidden)

    def _refresh_markers(self) -> None:
        counts: dict[tuple[Side, str], int] = {}
        sourceless: dict[tuple[Side, str], str] = {}
        for m in self.mapping_model.mappings():
            ends: tuple[tuple[Side, str | None], ...] = ((Side.JIRA, m.jira_field), (Side.BITRIX24, m.bitrix24_field))
            for side, fid in ends:
                if fid is not None:
                    counts[(side, fid)] = counts.get((side, fid), 0) + 1
            if m.transform.type in ("constant", "template"):
                target: Side = Side.BITRIX24 if m.direction == "to_bitrix24" else Side.JIRA
                target_id = m.target_field(target)
                if target_id is not None:
                    sourceless[(target, target_id)] = "= " + m.transform.type
        for side in SIDES:
            for item in self._items[side]:
                item.set_link_count(counts.get((side, item.meta.id), 0))
                item.set_sourceless(sourceless.get((side, item.meta.id), ""))

    def _refresh_severity(self) -> None:
        worst: dict[int, tuple[str, str]] = {}
        for issue in self.mapping_model.issues():
            if not issue.path.startswith("mappings["):
                continue
            index = int(issue.path[len("mappings["):issue.path.index("]")])
            current = worst.get(index)
            if current is None or (current[0] == "warning" and issue.severity == "error"):
                worst[index] = (issue.severity, issue.message)
        for index, mapping in enumerate(self.mapping_model.mappings()):
            link = self._links.get(mapping.id)
            if link is not None:
                severity, message = worst.get(index, ("", ""))
                link.set_severity(severity, message)

    def _on_added(self, index: int, mapping: FieldMapping) -> None:
        self._add_link(mapping)
        self._refresh_markers()
        self._update_links()

    def _on_removed(self, index: int, mapping: FieldMapping) -> None:
        self._remove_link(mapping.id)
        self._refresh_markers()
        self._update_links()

    def _on_changed(self, index: int, old: FieldMapping, new: FieldMapping) -> None:
        was_selected = old.id in self.selected_mapping_ids()
        self._remove_link(old.id)
        self._add_link(new)
        self._refresh_markers()
        self._update_links()
        if was_selected:
            self.select_mapping(new.id)

    # ------------------------------------------------------------------ queries
    def field_items(self, side: str) -> list[FieldItem]:
        return list(self._items[Side.JIRA if side == Side.JIRA else Side.BITRIX24])

    def field_item(self, side: Side, field_id: str) -> FieldItem | None:
        return self._by_id[side].get(field_id)

    def link_item(self, mapping_id: str) -> LinkItem | None:
        return self._links.get(mapping_id)

    def link_items(self) -> list[LinkItem]:
        return list(self._links.values())

    def linked(self, a: FieldItem, b: FieldItem) -> bool:
        jira, b24 = (a, b) if a.side == Side.JIRA else (b, a)
        return any(link.jira_item is jira and link.b24_item is b24 for link in self._links.values())

    def field_item_at(self, pos: QPointF) -> FieldItem | None:
        for item in self.items(pos):
            if isinstance(item, FieldItem) and item.isVisible():
                return item
        return None

    def link_item_at(self, pos: QPointF) -> LinkItem | None:
        for item in self.items(pos):
            if isinstance(item, LinkItem) and item.isVisible():
                return item
        return None

    def selected_mapping_ids(self) -> list[str]:
        return [i.mapping_id for i in self.selectedItems() if isinstance(i, LinkItem)]

    def select_mapping(self, mapping_id: str) -> None:
        self.clearSelection()
        link = self._links.get(mapping_id)
        if link is not None and link.isVisible():
            link.setSelected(True)

    def interaction(self) -> Gesture | None:
        return self._interaction

    def set_gesture_factory(self, factory: GestureFactory | None) -> None:
        self._gesture_factory = factory

    def _on_selection(self) -> None:
        ids = self.selected_mapping_ids()
        self.mappingSelected.emit(ids[0] if ids else "")

    # ------------------------------------------------------------------ events
    def mousePressEvent(self, event: QGraphicsSceneMouseEvent) -> None:
        if self._interaction is not None:
            event.accept()
            return
        if event.button() == Qt.MouseButton.LeftButton:
            item = self.field_item_at(event.scenePos())
            if item is not None and self._gesture_factory is not None:
                self.clearSelection()
                self._interaction = self._gesture_factory(item, event.scenePos())
                event.accept()
                return
        super().mousePressEvent(event)

    def mouseMoveEvent(self, event: QGraphicsSceneMouseEvent) -> None:
        if self._interaction is not None:
            self._interaction.mouse_move(event.scenePos())
            event.accept()
            return
        super().mouseMoveEvent(event)

    def mouseReleaseEvent(self, event: QGraphicsSceneMouseEvent) -> None:
        if self._interaction is not None:
            if event.button() == Qt.MouseButton.LeftButton:
                self._interaction.mouse_release(event.scenePos())
            event.accept()
            return
        super().mouseReleaseEvent(event)

    def mouseDoubleClickEvent(self, event: QGraphicsSceneMouseEvent) -> None:
        link = self.link_item_at(event.scenePos())
        if link is not None and self._interaction is None:
            self.select_mapping(link.mapping_id)
            self.editRequested.emit(link.mapping_id)
            event.accept()
            return
        super().mouseDoubleClickEvent(event)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() == Qt.Key.Key_Escape and self._interaction is not None:
            self._interaction.cancel()
            event.accept()
            return
        super().keyPressEvent(event)

    def end_gesture(self) -> None:
        self._interaction = None


class MappingView(QGraphicsView):
    """The canvas view: keeps the columns spread over its width and turns Delete/Enter into requests."""

    deleteRequested = Signal()
    editRequested = Signal()

    def __init__(self, scene: MappingScene, parent: QWidget | None = None) -> None:
        super().__init__(scene, parent)
        self._scene = scene
        self.setRenderHint(QPainter.RenderHint.Antialiasing)
        self.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
        self.setViewportUpdateMode(QGraphicsView.ViewportUpdateMode.SmartViewportUpdate)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAsNeeded)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setCacheMode(QGraphicsView.CacheModeFlag.CacheBackground)
        self.setOptimizationFlag(QGraphicsView.OptimizationFlag.DontSavePainterState)
        self.setFrameShape(QGraphicsView.Shape.NoFrame)

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._scene.set_canvas_width(self.viewport().width())

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        super().mouseMoveEvent(event)
        if self._scene.interaction() is not None:  # dragging a line near an edge scrolls the long columns
            y, bar = event.position().y(), self.verticalScrollBar()
            if y < AUTOSCROLL_MARGIN:
                bar.setValue(bar.value() - AUTOSCROLL_STEP)
            elif y > self.viewport().height() - AUTOSCROLL_MARGIN:
                bar.setValue(bar.value() + AUTOSCROLL_STEP)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if self._scene.interaction() is None and self._scene.selected_mapping_ids():
            if event.key() in (Qt.Key.Key_Delete, Qt.Key.Key_Backspace):
                self.deleteRequested.emit()
                event.accept()
                return
            if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
                self.editRequested.emit()
                event.accept()
                return
        super().keyPressEvent(event)

    def ensure_field_visible(self, item: QGraphicsItem) -> None:
        self.ensureVisible(item, 20, 40)
