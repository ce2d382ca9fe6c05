"""Graphics items of the canvas: one box per field and one curve per mapping.

Items only draw and report geometry; gestures live in :mod:`widgets.mapping.interactions` and
changes go through undo commands, so an item never edits the model.
"""

from __future__ import annotations

from enum import Enum
from types import MappingProxyType

from PySide6.QtCore import QT_TRANSLATE_NOOP, QCoreApplication, QPointF, QRectF, Qt
from PySide6.QtGui import QBrush, QColor, QFontMetricsF, QPainter, QPainterPath, QPainterPathStroker, QPen, QPolygonF
from PySide6.QtWidgets import QGraphicsItem, QStyleOptionGraphicsItem, QWidget

from sync_engine.fieldtypes import FieldMeta
from sync_engine.profiles.schema import FieldMapping
from sync_engine.sides import Side
from widgets.mapping.proposal import normalise_search
from widgets.mapping.style import TYPE_BADGES, CanvasStyle

USER_TYPE = 65536  # QGraphicsItem.UserType
FIELD_ITEM_TYPE = USER_TYPE + 1
LINK_ITEM_TYPE = USER_TYPE + 2
# Marked for lupdate; translated when shown (see transform_title).
TRANSFORM_NAMES = MappingProxyType({
    "copy": QT_TRANSLATE_NOOP("MappingCanvas", "copy"),
    "value_map": QT_TRANSLATE_NOOP("MappingCanvas", "value map"),
    "multi_value_map": QT_TRANSLATE_NOOP("MappingCanvas", "multi-value map"),
    "user_by_email": QT_TRANSLATE_NOOP("MappingCanvas", "user by e-mail"),
    "date": QT_TRANSLATE_NOOP("MappingCanvas", "date"),
    "money": QT_TRANSLATE_NOOP("MappingCanvas", "money"),
    "template": QT_TRANSLATE_NOOP("MappingCanvas", "template"),
    "constant": QT_TRANSLATE_NOOP("MappingCanvas", "constant"),
    "related_entity": QT_TRANSLATE_NOOP("MappingCanvas", "related entity"),
})


def _tr(text: str) -> str:
    return QCoreApplication.translate("MappingCanvas", text)


def transform_title(kind: str) -> str:
    """The user-facing, translated name of a transform kind."""
    return _tr(str(TRANSFORM_NAMES.get(kind, kind)))


def apply_on_title(apply_on: str) -> str:
    return {"create": _tr("create only"), "update": _tr("update only")}.get(apply_on, _tr("create and update"))


class DropState(Enum):
    """How a field looks while a link is being dragged."""

    NORMAL = 0
    SOURCE = 1
    COMPATIBLE = 2
    INCOMPATIBLE = 3
    HOVER_OK = 4
    HOVER_BAD = 5


class FieldItem(QGraphicsItem):
    """A field box; its anchor (where lines attach) is on the edge facing the other column."""

    def __init__(self, side: Side, meta: FieldMeta, style: CanvasStyle) -> None:
        super().__init__()
        self.side: Side = side
        self.meta = meta
        self._style = style
        self._state = DropState.NORMAL
        self._linked = 0
        self._sourceless: str = ""
        self.haystack = normalise_search(f"{meta.label}\n{meta.id}")
        self.setAcceptHoverEvents(False)
        self.setZValue(2)
        self.setCursor(Qt.CursorShape.CrossCursor)
        self.setToolTip(self.describe())

    def type(self) -> int:
        return FIELD_ITEM_TYPE

    def describe(self) -> str:
        meta = self.meta
        parts = [f"{meta.label} ({meta.id})", _tr("type: %1").replace("%1", meta.type.value)]
        if meta.system_type:
            parts[-1] += f" [{meta.system_type}]"
        if meta.required:
            parts.append(_tr("required"))
        if meta.read_only:
            parts.append(_tr("read-only"))
        if meta.options:
            shown = ", ".join(o.label for o in meta.options[:8]) + (" …" if len(meta.options) > 8 else "")
            parts.append(_tr("options: %1").replace("%1", shown))
        return "\n".join(parts)

    # -- state
    def set_drop_state(self, state: DropState) -> None:
        if state is not self._state:
            self._state = state
            self.update()

    def drop_state(self) -> DropState:
        return self._state

    def set_link_count(self, count: int) -> None:
        if count != self._linked:
            self._linked = count
            self.update()

    def set_sourceless(self, kind: str) -> None:
        """Marks a field written by a template/constant mapping, which has no line to draw."""
        if kind != self._sourceless:
            self._sourceless = kind
            self.update()

    # -- geometry
    def boundingRect(self) -> QRectF:
        s = self._style
        return QRectF(-1, -1, s.field_width + 2, s.field_height + 2)

    def anchor_pos(self) -> QPointF:
        """The attachment point in scene coordinates."""
        s = self._style
        x = s.field_width if self.side == Side.JIRA else 0.0
        return self.mapToScene(QPointF(x, s.field_height / 2))

    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem, widget: QWidget | None = None) -> None:
        s = self._style
        w, h = s.field_width, s.field_height
        fill, border, border_w = s.field_fill, s.field_border, 1.0
        if self._state is DropState.COMPATIBLE:
            fill, border = s.ok_fill, s.ok_border
        elif self._state is DropState.HOVER_OK:
            fill, border, border_w = s.ok_fill, s.ok_border, 2.5
        elif self._state is DropState.INCOMPATIBLE:
            fill, border = s.bad_fill, s.bad_border
        elif self._state is DropState.HOVER_BAD:
            fill, border, border_w = s.bad_fill, s.bad_hover_border, 2.0
        elif self._state is DropState.SOURCE:
            border, border_w = s.source_border, 2.0
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(QPen(border, border_w))
        painter.setBrush(fill)
        painter.drawRoundedRect(QRectF(0, 0, w, h), 5, 5)
        dimmed = self._state is DropState.INCOMPATIBLE

        # badge: on the outer edge, away from the lines
        badge_text, badge_colour = TYPE_BADGES[self.meta.type]
        fm_badge = QFontMetricsF(s.badge_font)
        bw = fm_badge.horizontalAdvance(badge_text) + 10
        bx = 8.0 if self.side == Side.BITRIX24 else w - bw - 8
        badge_rect = QRectF(bx + (10 if self.side == Side.BITRIX24 else -10), (h - 16) / 2, bw, 16)
        colour = QColor(badge_colour)
        if dimmed:
            colour.setAlpha(110)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(colour)
        painter.drawRoundedRect(badge_rect, 8, 8)
        painter.setPen(QColor("white"))
        painter.setFont(s.badge_font)
        painter.drawText(badge_rect, Qt.AlignmentFlag.AlignCenter, badge_text)

        # text block
        left = badge_rect.right() + 8 if self.side == Side.BITRIX24 else 12.0
        right = w - 10 if self.side == Side.BITRIX24 else badge_rect.left() - 6
        icons = 0.0
        if self.meta.read_only:
            icons += 14
        if self._sourceless:
            icons += QFontMetricsF(s.id_font).horizontalAdvance(self._sourceless) + 12
        text_w = max(20.0, right - left - icons)
        fm_label = QFontMetricsF(s.label_font)
        label = self.meta.label or self.meta.id
        prefix = "* " if self.meta.required else ""
        prefix_w = fm_label.horizontalAdvance(prefix)
        if prefix:
            painter.setFont(s.label_font)
            painter.setPen(s.required)
            painter.drawText(QPointF(left, 17), prefix)
        painter.setFont(s.label_font)
        painter.setPen(s.muted if dimmed else s.text)
        painter.drawText(QPointF(left + prefix_w, 17),
                         fm_label.elidedText(label, Qt.TextElideMode.ElideRight, text_w - prefix_w))
        painter.setFont(s.id_font)
        painter.setPen(s.muted)
        fm_id = QFontMetricsF(s.id_font)
        painter.drawText(QPointF(left, 32), fm_id.elidedText(self.meta.id, Qt.TextElideMode.ElideMiddle, text_w))

        x = left + text_w + 4
        if self._sourceless:
            tag_w = fm_id.horizontalAdvance(self._sourceless) + 8
            tag = QRectF(x, 12, tag_w, 15)
            painter.setPen(QPen(QColor("#7E57C2"), 1))
            painter.setBrush(QColor("#EDE7F6"))
            painter.drawRoundedRect(tag, 4, 4)
            painter.setPen(QColor("#4527A0"))
            painter.drawText(tag, Qt.AlignmentFlag.AlignCenter, self._sourceless)
            x += tag_w + 4
        if self.meta.read_only:
            self._paint_lock(painter, QPointF(x + 1, 13))

        # anchor
        anchor = QPointF(w if self.side == Side.JIRA else 0.0, h / 2)
        painter.setPen(QPen(s.anchor_linked if self._linked else s.anchor, 1.5))
        painter.setBrush(s.anchor_linked if self._linked else s.field_fill)
        painter.drawEllipse(anchor, 5, 5)

    def _paint_lock(self, painter: QPainter, at: QPointF) -> None:
        """A padlock drawn with primitives: the bundled fonts do not all carry the emoji."""
        painter.setPen(QPen(self._style.muted, 1.4))
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.drawArc(QRectF(at.x() + 1.5, at.y(), 7, 8), 0, 180 * 16)
        painter.drawLine(QPointF(at.x() + 1.5, at.y() + 4), QPointF(at.x() + 1.5, at.y() + 6))
        painter.drawLine(QPointF(at.x() + 8.5, at.y() + 4), QPointF(at.x() + 8.5, at.y() + 6))
        painter.setBrush(self._style.muted)
        painter.drawRoundedRect(QRectF(at.x(), at.y() + 6, 10, 7), 1.5, 1.5)


class LinkItem(QGraphicsItem):
    """A mapping drawn as a curve from the JIRA anchor to the Bitrix24 anchor, arrows per direction."""

    def __init__(self, mapping: FieldMapping, jira_item: FieldItem, b24_item: FieldItem, style: CanvasStyle) -> None:
        super().__init__()
        self.mapping = mapping
        self.jira_item = jira_item
        self.b24_item = b24_item
        self._style = style
        self._severity = ""
        self._hovered = False
        self._path = QPainterPath()
        self._shape = QPainterPath()
        self._bounds = QRectF()
        self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemIsSelectable)
        self.setAcceptHoverEvents(True)
        self.setZValue(1)
        self.update_geometry()

    def type(self) -> int:
        return LINK_ITEM_TYPE

    @property
    def mapping_id(self) -> str:
        return self.mapping.id

    def set_mapping(self, mapping: FieldMapping) -> None:
        self.mapping = mapping
        self.update_geometry()

    def set_severity(self, severity: str, message: str = "") -> None:
        self._severity = severity
        m = self.mapping
        arrow = {"to_bitrix24": "→", "to_jira": "←"}.get(m.direction, "↔")
        text = f"{m.jira_field} {arrow} {m.bitrix24_field}"
        text += "\n" + _tr("transform: %1").replace("%1", transform_title(m.transform.type))
        if m.apply_on != "both":
            text += "\n" + apply_on_title(m.apply_on)
        if message:
            text += "\n\n" + message
        self.setToolTip(text)
        self.update()

    def update_geometry(self) -> None:
        self.prepareGeometryChange()
        p1, p2 = self.jira_item.anchor_pos(), self.b24_item.anchor_pos()
        dx = max(50.0, (p2.x() - p1.x()) * 0.45)
        path = QPainterPath(p1)
        path.cubicTo(QPointF(p1.x() + dx, p1.y()), QPointF(p2.x() - dx, p2.y()), p2)
        self._path = path
        stroker = QPainterPathStroker()
        stroker.setWidth(12)
        self._shape = stroker.createStroke(path)
        self._bounds = self._shape.boundingRect().adjusted(-14, -14, 14, 14)

    def path(self) -> QPainterPath:
        return QPainterPath(self._path)

    def boundingRect(self) -> QRectF:
        return self._bounds

    def shape(self) -> QPainterPath:
        return self._shape

    def hoverEnterEvent(self, event: object) -> None:
        self._hovered = True
        self.update()

    def hoverLeaveEvent(self, event: object) -> None:
        self._hovered = False
        self.update()

    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem, widget: QWidget | None = None) -> None:
        s = self._style
        colour = s.link
        if self._severity == "error":
            colour = s.link_error
        elif self._severity == "warning":
            colour = s.link_warning
        selected = self.isSelected()
        if selected:
            colour = s.link_selected
        width = 3.0 if selected or self._hovered else 1.8
        pen = QPen(colour, width)
        pen.setCapStyle(Qt.PenCapStyle.RoundCap)
        if self.mapping.apply_on != "both":
            pen.setStyle(Qt.PenStyle.DashLine)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(pen)
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.drawPath(self._path)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(QBrush(colour))
        if self.mapping.writes_to(Side.BITRIX24):
            painter.drawPolygon(self._arrow(self.b24_item.anchor_pos(), -1))
        if self.mapping.writes_to(Side.JIRA):
            painter.drawPolygon(self._arrow(self.jira_item.anchor_pos(), 1))
        if selected or self._hovered:
            self._paint_label(painter, colour)

    def _arrow(self, tip: QPointF, outward: int) -> QPolygonF:
        """A head at ``tip`` pointing into the field; ``outward`` is +1 when the field is to the left."""
        tip = QPointF(tip.x() + 6 * outward, tip.y())
        back = tip.x() + 11 * outward
        return QPolygonF([tip, QPointF(back, tip.y() - 5.5), QPointF(back, tip.y() + 5.5)])

    def _paint_label(self, painter: QPainter, colour: QColor) -> None:
        s = self._style
        text = transform_title(self.mapping.transform.type)
        if self.mapping.apply_on != "both":
            text += " · " + apply_on_title(self.mapping.apply_on)
        fm = QFontMetricsF(s.link_font)
        mid = self._path.pointAtPercent(0.5)
        rect = QRectF(0, 0, fm.horizontalAdvance(text) + 12, fm.height() + 4)
        rect.moveCenter(mid)
        painter.setPen(QPen(colour, 1))
        painter.setBrush(QColor("white"))
        painter.drawRoundedRect(rect, 6, 6)
        painter.setFont(s.link_font)
        painter.setPen(s.text)
        painter.drawText(rect, Qt.AlignmentFlag.AlignCenter, text)
