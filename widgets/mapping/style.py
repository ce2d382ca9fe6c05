"""Colours, fonts and sizes of the canvas, made once per scene (fonts need a running QApplication)."""

from __future__ import annotations

from dataclasses import dataclass, field
from types import MappingProxyType

from PySide6.QtGui import QColor, QFont

from sync_engine.fieldtypes import FieldType

# (badge text, badge colour) per normalised type; immutable so it is safe at module level.
TYPE_BADGES = MappingProxyType({
    FieldType.TEXT: ("text", "#546E7A"),
    FieldType.NUMBER: ("number", "#2E7D32"),
    FieldType.MONEY: ("money", "#00897B"),
    FieldType.DATE: ("date", "#6A1B9A"),
    FieldType.DATETIME: ("datetime", "#8E24AA"),
    FieldType.BOOL: ("bool", "#EF6C00"),
    FieldType.USER: ("user", "#1565C0"),
    FieldType.ENUM: ("enum", "#AD1457"),
    FieldType.MULTI_ENUM: ("multi", "#D81B60"),
    FieldType.REFERENCE: ("ref", "#6D4C41"),
    FieldType.UNKNOWN: ("?", "#9E9E9E"),
})


def _font(point_size: float, bold: bool = False) -> QFont:
    font = QFont("DejaVu Sans")
    font.setPointSizeF(point_size)
    font.setBold(bold)
    return font


@dataclass
class CanvasStyle:
    field_width: float = 300.0
    min_field_width: float = 210.0
    max_field_width: float = 300.0
    field_height: float = 40.0
    field_gap: float = 6.0
    top_margin: float = 12.0
    side_margin: float = 16.0
    min_column_gap: float = 140.0
    label_font: QFont = field(default_factory=lambda: _font(9.5))
    id_font: QFont = field(default_factory=lambda: _font(7.5))
    badge_font: QFont = field(default_factory=lambda: _font(7, bold=True))
    link_font: QFont = field(default_factory=lambda: _font(7.5))
    background: QColor = field(default_factory=lambda: QColor("#F4F6F9"))
    field_fill: QColor = field(default_factory=lambda: QColor("#FFFFFF"))
    field_border: QColor = field(default_factory=lambda: QColor("#C5CDD8"))
    text: QColor = field(default_factory=lambda: QColor("#1F2933"))
    muted: QColor = field(default_factory=lambda: QColor("#7B8794"))
    required: QColor = field(default_factory=lambda: QColor("#D32F2F"))
    ok_fill: QColor = field(default_factory=lambda: QColor("#E3F6E5"))
    ok_border: QColor = field(default_factory=lambda: QColor("#2E7D32"))
    bad_fill: QColor = field(default_factory=lambda: QColor("#ECEFF1"))
    bad_border: QColor = field(default_factory=lambda: QColor("#B0BEC5"))
    bad_hover_border: QColor = field(default_factory=lambda: QColor("#D32F2F"))
    source_border: QColor = field(default_factory=lambda: QColor("#1E88E5"))
    link: QColor = field(default_factory=lambda: QColor("#607D8B"))
    link_selected: QColor = field(default_factory=lambda: QColor("#1E88E5"))
    link_error: QColor = field(default_factory=lambda: QColor("#E53935"))
    link_warning: QColor = field(default_factory=lambda: QColor("#F9A825"))
    anchor: QColor = field(default_factory=lambda: QColor("#90A4AE"))
    anchor_linked: QColor = field(default_factory=lambda: QColor("#1E88E5"))
