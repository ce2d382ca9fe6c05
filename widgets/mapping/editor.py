"""The mapping editor: direction, when it applies, the transform and the transform's settings.

It produces a *new* FieldMapping (validated by pydantic) instead of changing the old one; the
caller pushes one EditMappingCommand, so the whole edit is one undo step. Errors are shown in
the dialog, which stays open until the mapping is valid or the user cancels.
"""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError
from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QPushButton,
    QRadioButton,
    QStackedWidget,
    QTableWidget,
    QVBoxLayout,
    QWidget,
)

from sync_engine.fieldtypes import FieldMeta, FieldType
from sync_engine.mapping.transforms import suggest_value_map
from sync_engine.mapping.validate import TRANSFORM_KINDS
from sync_engine.profiles.schema import FieldMapping, ValueMapPair
from sync_engine.sides import Side
from sync_engine.text_template import TemplateSyntaxError, placeholders
from widgets.mapping.items import transform_title
from widgets.mapping.model import MappingModel
from widgets.mapping.proposal import DEFAULT_CURRENCY, transform_fits

COMMON_ZONES = ("", "Europe/Moscow", "UTC", "Europe/Kaliningrad", "Europe/Samara", "Asia/Yekaterinburg",
                "Asia/Omsk", "Asia/Novosibirsk", "Asia/Krasnoyarsk", "Asia/Irkutsk", "Asia/Vladivostok")


def pydantic_message(exc: ValidationError) -> str:
    """One readable line per problem, without pydantic's URLs and input echoes."""
    lines = []
    for err in exc.errors():
        where = ".".join(str(p) for p in err.get("loc", ()) if not isinstance(p, int))
        msg = str(err.get("msg", "")).removeprefix("Value error, ")
        lines.append(f"{where}: {msg}" if where else msg)
    return "\n".join(lines)


def _option_combo(meta: FieldMeta | None, side: Side, allow_empty: bool = False) -> QComboBox:
    """Choices of one side's field; JIRA values are stored by label, Bitrix24 by id (as suggestions are)."""
    combo = QComboBox()
    if allow_empty:
        combo.addItem("—", None)
    if meta is not None and meta.options:
        for opt in meta.options:
            combo.addItem(f"{opt.label}  ·  {opt.id}" if opt.label != opt.id else opt.label,
                          opt.label if side == Side.JIRA else opt.id)
    else:
        combo.setEditable(True)
    return combo


def _combo_value(combo: QComboBox) -> str | None:
    if combo.isEditable():
        text = combo.currentText().strip()
        return text or None
    data = combo.currentData()
    return None if data is None else str(data)


def _set_combo_value(combo: QComboBox, value: str | None, meta: FieldMeta | None) -> None:
    if value is None:
        combo.setCurrentIndex(0 if combo.count() else -1)
        return
    index = combo.findData(value)
    if index < 0 and meta is not None:
        opt = meta.option_by_id(value) or meta.option_by_label(value)
        if opt is not None:
            index = max(combo.findData(opt.label), combo.findData(opt.id))
    if index >= 0:
        combo.setCurrentIndex(index)
    elif combo.isEditable():
        combo.setEditText(value)


class ValueMapPage(QWidget):
    def __init__(self, jira: FieldMeta | None, b24: FieldMeta | None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._jira, self._b24 = jira, b24
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.table = QTableWidget(0, 2)
        self.table.setHorizontalHeaderLabels([self.tr("JIRA value"), self.tr("Bitrix24 value")])
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.table.verticalHeader().setVisible(False)
        self.table.setMinimumHeight(160)
        layout.addWidget(self.table)
        buttons = QHBoxLayout()
        self.add_button = QPushButton(self.tr("Add pair"))
        self.remove_button = QPushButton(self.tr("Remove pair"))
        self.suggest_button = QPushButton(self.tr("Auto-suggest"))
        self.suggest_button.setToolTip(self.tr("Pair the options whose labels match"))
        self.add_button.clicked.connect(lambda: self.add_pair(None, None))
        self.remove_button.clicked.connect(self.remove_current)
        self.suggest_button.clicked.connect(self.suggest)
        for b in (self.add_button, self.remove_button):
            buttons.addWidget(b)
        buttons.addStretch(1)
        buttons.addWidget(self.suggest_button)
        layout.addLayout(buttons)
        self.defaults_box = QWidget()
        form = QFormLayout(self.defaults_box)
        form.setContentsMargins(0, 0, 0, 0)
        self.default_jira = _option_combo(jira, Side.JIRA, allow_empty=True)
        self.default_b24 = _option_combo(b24, Side.BITRIX24, allow_empty=True)
        form.addRow(self.tr("Default written to JIRA:"), self.default_jira)
        form.addRow(self.tr("Default written to Bitrix24:"), self.default_b24)
        layout.addWidget(self.defaults_box)
        self.auto = QCheckBox(self.tr("Suggested automatically, not reviewed yet"))
        layout.addWidget(self.auto)

    def add_pair(self, jira_value: str | None, b24_value: str | None) -> None:
        row = self.table.rowCount()
        self.table.insertRow(row)
        jc, bc = _option_combo(self._jira, Side.JIRA), _option_combo(self._b24, Side.BITRIX24)
        _set_combo_value(jc, jira_value, self._jira)
        _set_combo_value(bc, b24_value, self._b24)
        self.table.setCellWidget(row, 0, jc)
        self.table.setCellWidget(row, 1, bc)

    def remove_current(self) -> None:
        row = self.table.currentRow()
        if row < 0:
            row = self.table.rowCount() - 1
        if row >= 0:
            self.table.removeRow(row)

    def suggest(self) -> None:
        if self._jira is None or self._b24 is None:
            return
        self.set_pairs(suggest_value_map(self._jira, self._b24))
        self.auto.setChecked(True)

    def set_pairs(self, pairs: list[ValueMapPair]) -> None:
        self.table.setRowCount(0)
        for p in pairs:
            self.add_pair(p.jira, p.bitrix24)

    def pairs(self) -> list[dict[str, Any]]:
        result = []
        for row in range(self.table.rowCount()):
            jc, bc = self.table.cellWidget(row, 0), self.table.cellWidget(row, 1)
            assert isinstance(jc, QComboBox) and isinstance(bc, QComboBox)
            result.append({"jira": _combo_value(jc) or "", "bitrix24": _combo_value(bc) or ""})
        return result


class EditorError(ValueError):
    """A setting the user must fix; the text is shown in the dialog."""


class MappingEditorDialog(QDialog):
    """Edits one mapping; :meth:`result_mapping` is the new mapping once accepted."""

    def __init__(self, model: MappingModel, mapping: FieldMapping, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("Edit mapping %1").replace("%1", mapping.id))
        self.setMinimumWidth(700)
        self._model = model
        self._original = mapping
        self._result: FieldMapping | None = None
        self._jira = model.field(Side.JIRA, mapping.jira_field)
        self._b24 = model.field(Side.BITRIX24, mapping.bitrix24_field)
        # A template/constant keeps only its target; the other field comes back if the user picks another kind.
        layout = QVBoxLayout(self)
        header = QLabel(self._header_text())
        header.setTextFormat(Qt.TextFormat.RichText)
        header.setWordWrap(True)
        layout.addWidget(header)
        notes = [i.message for i in model.issues_for(mapping.id)]
        self.issues_label = QLabel("\n".join("• " + n for n in notes))
        self.issues_label.setWordWrap(True)
        self.issues_label.setStyleSheet("color: #8A6D00; background: #FFF8E1; border: 1px solid #FFE082;"
                                        " border-radius: 4px; padding: 6px;")
        self.issues_label.setVisible(bool(notes))
        layout.addWidget(self.issues_label)

        row = QHBoxLayout()
        self.direction_group = QButtonGroup(self)
        dir_box = QGroupBox(self.tr("Direction"))
        dir_layout = QVBoxLayout(dir_box)
        self.direction_buttons: dict[str, QRadioButton] = {}
        for value, text in (("to_bitrix24", self.tr("→  JIRA to Bitrix24")),
                            ("to_jira", self.tr("←  Bitrix24 to JIRA")), ("both", self.tr("↔  both ways"))):
            button = QRadioButton(text)
            self.direction_buttons[value] = button
            self.direction_group.addButton(button)
            dir_layout.addWidget(button)
        row.addWidget(dir_box)
        apply_box = QGroupBox(self.tr("Apply on"))
        apply_layout = QVBoxLayout(apply_box)
        self.apply_group = QButtonGroup(self)
        self.apply_buttons: dict[str, QRadioButton] = {}
        for value, text in (("create", self.tr("create only")), ("update", self.tr("update only")),
                            ("both", self.tr("create and update"))):
            button = QRadioButton(text)
            self.apply_buttons[value] = button
            self.apply_group.addButton(button)
            apply_layout.addWidget(button)
        row.addWidget(apply_box)
        layout.addLayout(row)

        form = QFormLayout()
        self.transform_combo = QComboBox()
        form.addRow(self.tr("Transform:"), self.transform_combo)
        layout.addLayout(form)
        self.pages = QStackedWidget()
        layout.addWidget(self.pages, 1)
        self._build_pages()

        self.error_label = QLabel()
        self.error_label.setWordWrap(True)
        self.error_label.setStyleSheet("color: #C62828; background: #FDECEA; border: 1px solid #F5C6CB;"
                                       " border-radius: 4px; padding: 6px;")
        self.error_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.error_label.hide()
        layout.addWidget(self.error_label)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout.addWidget(self.buttons)

        self.direction_buttons[mapping.direction].setChecked(True)
        self.apply_buttons[mapping.apply_on].setChecked(True)
        self.direction_group.buttonToggled.connect(lambda *_: self._refresh_kinds())
        self.transform_combo.currentIndexChanged.connect(self._show_page)
        self._refresh_kinds(mapping.transform.type)
        self._load_settings(mapping)

    # ------------------------------------------------------------------ building
    def _header_text(self) -> str:
        def side(name: str, meta: FieldMeta | None, fid: str | None) -> str:
            if meta is None:
                return f"<b>{name}:</b> <i>{fid or self.tr('(not used)')}</i>"
            return f"<b>{name}:</b> {meta.label} <span style='color:#7B8794'>{meta.id} · {meta.type.value}</span>"
        return side("JIRA", self._jira, self._original.jira_field) + "<br>" + side(
            "Bitrix24", self._b24, self._original.bitrix24_field)

    def _build_pages(self) -> None:
        self.page_index: dict[str, int] = {}

        def add(kind: str, widget: QWidget) -> None:
            self.page_index[kind] = self.pages.addWidget(widget)

        add("copy", QLabel(self.tr("Values are copied as they are (converted between compatible types).")))
        self.value_map = ValueMapPage(self._jira, self._b24)
        add("value_map", self.value_map)
        add("user_by_email", QLabel(self.tr("Users are matched by e-mail address; no settings.")))

        date_page = QWidget()
        date_form = QFormLayout(date_page)
        self.jira_tz = QComboBox()
        self.b24_tz = QComboBox()
        for combo in (self.jira_tz, self.b24_tz):
            combo.setEditable(True)
            combo.addItems(list(COMMON_ZONES))
            combo.setToolTip(self.tr("IANA time zone; empty means the connection's own zone"))
        date_form.addRow(self.tr("JIRA time zone:"), self.jira_tz)
        date_form.addRow(self.tr("Bitrix24 time zone:"), self.b24_tz)
        add("date", date_page)

        money_page = QWidget()
        money_form = QFormLayout(money_page)
        self.money_fixed = QRadioButton(self.tr("Fixed currency"))
        self.money_field = QRadioButton(self.tr("Currency from a JIRA field"))
        self.currency = QLineEdit(DEFAULT_CURRENCY)
        self.currency.setMaxLength(3)
        self.currency_field = QComboBox()
        for meta in self._model.fields(Side.JIRA):
            if meta.type in (FieldType.ENUM, FieldType.TEXT):
                self.currency_field.addItem(f"{meta.label}  ·  {meta.id}", meta.id)
        money_form.addRow(self.money_fixed, self.currency)
        money_form.addRow(self.money_field, self.currency_field)
        self.money_fixed.setChecked(True)
        add("money", money_page)

        template_page = QWidget()
        template_layout = QVBoxLayout(template_page)
        template_layout.setContentsMargins(0, 0, 0, 0)
        self.template_edit = QPlainTextEdit()
        self.template_edit.setPlaceholderText(self.tr("e.g. {summary} — {customfield_10101}"))
        self.template_edit.setMaximumHeight(90)
        template_layout.addWidget(self.template_edit)
        template_layout.addWidget(QLabel(self.tr("Placeholders (double-click to insert):")))
        self.placeholder_list = QListWidget()
        self.placeholder_list.itemDoubleClicked.connect(self._insert_placeholder)
        template_layout.addWidget(self.placeholder_list)
        add("template", template_page)

        constant_page = QWidget()
        constant_form = QFormLayout(constant_page)
        self.constant = QComboBox()
        self.constant.setEditable(True)
        constant_form.addRow(self.tr("Value:"), self.constant)
        add("constant", constant_page)

        related_page = QWidget()
        related_form = QFormLayout(related_page)
        self.related_profile = QLineEdit()
        self.related_profile.setPlaceholderText(self.tr("profile name, e.g. companies"))
        self.jira_attribute = QComboBox()
        self.jira_attribute.addItem(self.tr("issue key"), "key")
        self.jira_attribute.addItem(self.tr("issue summary"), "summary")
        related_form.addRow(self.tr("Profile linking the records:"), self.related_profile)
        related_form.addRow(self.tr("JIRA field holds:"), self.jira_attribute)
        add("related_entity", related_page)
        self.page_index["multi_value_map"] = self.page_index["value_map"]

    def _load_settings(self, mapping: FieldMapping) -> None:
        t = mapping.transform
        if t.type in ("value_map", "multi_value_map"):
            self.value_map.set_pairs(list(t.pairs))
            self.value_map.auto.setChecked(bool(t.auto_suggested))
            if t.type == "value_map":
                _set_combo_value(self.value_map.default_jira, t.default_jira, self._jira)
                _set_combo_value(self.value_map.default_b24, t.default_bitrix24, self._b24)
        elif t.type == "date":
            self.jira_tz.setEditText(t.jira_tz or "")
            self.b24_tz.setEditText(t.bitrix24_tz or "")
        elif t.type == "money":
            if t.currency_field:
                self.money_field.setChecked(True)
                _set_combo_value(self.currency_field, t.currency_field, None)
            else:
                self.currency.setText(t.currency or DEFAULT_CURRENCY)
        elif t.type == "template":
            self.template_edit.setPlainText(t.template)
        elif t.type == "constant":
            value = t.value
            text = ", ".join(str(v) for v in value) if isinstance(value, list) else (
                "" if value is None else str(value))
            _set_combo_value(self.constant, text, None)
        elif t.type == "related_entity":
            self.related_profile.setText(t.profile)
            self.jira_attribute.setCurrentIndex(self.jira_attribute.findData(t.jira_attribute))
        if not self.value_map.table.rowCount() and self._jira is not None and self._b24 is not None:
            self.value_map.set_pairs(suggest_value_map(self._jira, self._b24))

    # ------------------------------------------------------------------ reactions
    def direction(self) -> str:
        return next(v for v, b in self.direction_buttons.items() if b.isChecked())

    def apply_on(self) -> str:
        return next(v for v, b in self.apply_buttons.items() if b.isChecked())

    def kind(self) -> str:
        return str(self.transform_combo.currentData())

    def _fits(self, kind: str, direction: str) -> bool:
        jira_id = self._jira.id if self._jira else None
        b24_id = self._b24.id if self._b24 else None
        probe = {"id": "probe", "jira_field": jira_id, "bitrix24_field": b24_id, "direction": direction}
        if kind in ("template", "constant"):
            if direction == "both":
                return False
            # The source field is dropped for these kinds; the target must exist.
            if direction == "to_bitrix24":
                probe["jira_field"] = None
            else:
                probe["bitrix24_field"] = None
        try:
            mapping = FieldMapping.model_validate({**probe, "transform": _probe_transform(kind)})
        except ValidationError:
            return False
        return transform_fits(mapping, self._jira, self._b24)[0]

    def _refresh_kinds(self, prefer: str | None = None) -> None:
        prefer = prefer or (self.kind() if self.transform_combo.count() else None)
        direction = self.direction()
        kinds = [k for k in TRANSFORM_KINDS if self._fits(k, direction)]
        if prefer and prefer not in kinds:
            kinds.append(prefer)  # keep what the mapping has; OK explains why it does not fit
        self.transform_combo.blockSignals(True)
        self.transform_combo.clear()
        for k in kinds:
            self.transform_combo.addItem(transform_title(k), k)
        index = self.transform_combo.findData(prefer) if prefer else 0
        self.transform_combo.setCurrentIndex(max(index, 0))
        self.transform_combo.blockSignals(False)
        self._show_page()

    def _show_page(self) -> None:
        kind = self.kind()
        self.pages.setCurrentIndex(self.page_index.get(kind, 0))
        self.value_map.defaults_box.setVisible(kind == "value_map")
        target_side: Side = Side.BITRIX24 if self.direction() != "to_jira" else Side.JIRA
        source_side: Side = Side.JIRA if target_side == Side.BITRIX24 else Side.BITRIX24
        if kind == "template":
            self.placeholder_list.clear()
            for meta in self._model.fields(source_side):
                item = QListWidgetItem(f"{{{meta.id}}}  —  {meta.label}")
                item.setData(Qt.ItemDataRole.UserRole, meta.id)
                self.placeholder_list.addItem(item)
        if kind == "constant":
            target = self._b24 if target_side == Side.BITRIX24 else self._jira
            current = self.constant.currentText()
            self.constant.clear()
            if target is not None:
                for opt in target.options:
                    self.constant.addItem(opt.id)
            self.constant.setEditText(current)
        self.error_label.hide()

    def _insert_placeholder(self, item: QListWidgetItem) -> None:
        self.template_edit.insertPlainText("{" + str(item.data(Qt.ItemDataRole.UserRole)) + "}")
        self.template_edit.setFocus()

    # ------------------------------------------------------------------ result
    def _transform_data(self, kind: str) -> dict[str, Any]:
        data: dict[str, Any] = {"type": kind}
        if kind in ("value_map", "multi_value_map"):
            data["pairs"] = self.value_map.pairs()
            data["auto_suggested"] = self.value_map.auto.isChecked()
            if kind == "value_map":
                data["default_jira"] = _combo_value(self.value_map.default_jira)
                data["default_bitrix24"] = _combo_value(self.value_map.default_b24)
        elif kind == "date":
            data["jira_tz"] = self.jira_tz.currentText().strip() or None
            data["bitrix24_tz"] = self.b24_tz.currentText().strip() or None
        elif kind == "money":
            if self.money_fixed.isChecked():
                data["currency"] = self.currency.text().strip().upper() or None
            else:
                data["currency_field"] = self.currency_field.currentData()
        elif kind == "template":
            data["template"] = self.template_edit.toPlainText()
        elif kind == "constant":
            data["value"] = self._constant_value()
        elif kind == "related_entity":
            data["profile"] = self.related_profile.text().strip()
            data["jira_attribute"] = self.jira_attribute.currentData()
        return data

    def _constant_value(self) -> Any:
        text = self.constant.currentText().strip()
        target = self._b24 if self.direction() == "to_bitrix24" else self._jira
        kind = target.type if target is not None else FieldType.TEXT
        if not text:
            return None
        if kind is FieldType.MULTI_ENUM:
            return [p.strip() for p in text.split(",") if p.strip()]
        if kind in (FieldType.NUMBER, FieldType.MONEY):
            try:
                return int(text) if text.lstrip("-").isdigit() else float(text.replace(",", "."))
            except ValueError as exc:
                raise EditorError(self.tr("%1 is not a number").replace("%1", repr(text))) from exc
        if kind is FieldType.BOOL:
            lowered = text.casefold()
            if lowered in ("true", "yes", "1", "да", "y"):
                return True
            if lowered in ("false", "no", "0", "нет", "n"):
                return False
            raise EditorError(self.tr("%1 is not yes/no").replace("%1", repr(text)))
        return text

    def build_mapping(self) -> FieldMapping:
        """The mapping the dialog describes; raises EditorError with a message the user can act on."""
        kind, direction = self.kind(), self.direction()
        jira_id = self._original.jira_field if self._jira is None else self._jira.id
        b24_id = self._original.bitrix24_field if self._b24 is None else self._b24.id
        if kind in ("template", "constant"):
            if direction == "to_bitrix24":
                jira_id = None
            elif direction == "to_jira":
                b24_id = None
        data = {"id": self._original.id, "jira_field": jira_id, "bitrix24_field": b24_id, "direction": direction,
                "apply_on": self.apply_on(), "transform": self._transform_data(kind)}
        try:
            mapping = FieldMapping.model_validate(data)
        except ValidationError as exc:
            raise EditorError(pydantic_message(exc)) from exc
        ok, reason = transform_fits(mapping, self._jira, self._b24)
        if not ok:
            raise EditorError(self.tr("This transform does not fit the fields: %1").replace("%1", reason))
        if kind == "template":
            source_side: Side = Side.JIRA if direction == "to_bitrix24" else Side.BITRIX24
            known = {m.id for m in self._model.fields(source_side)}
            try:
                unknown = [p for p in placeholders(self.template_edit.toPlainText()) if p not in known]
            except TemplateSyntaxError as exc:  # already refused by the schema; kept for safety
                raise EditorError(str(exc)) from exc
            if unknown:
                raise EditorError(self.tr("Unknown placeholders: %1").replace(
                    "%1", ", ".join("{" + p + "}" for p in unknown)))
        return mapping

    def accept(self) -> None:
        try:
            self._result = self.build_mapping()
        except EditorError as exc:
            self.show_error(str(exc))
            return
        super().accept()

    def show_error(self, message: str) -> None:
        self.error_label.setText(message)
        self.error_label.show()

    def error_text(self) -> str:
        return self.error_label.text() if self.error_label.isVisibleTo(self) else ""

    def result_mapping(self) -> FieldMapping | None:
        return self._result


def _probe_transform(kind: str) -> dict[str, Any]:
    """Minimal valid settings of ``kind``, to ask the schema whether the kind fits at all."""
    pair = [{"jira": "x", "bitrix24": "x"}]
    settings: dict[str, dict[str, Any]] = {
        "value_map": {"type": kind, "pairs": pair}, "multi_value_map": {"type": kind, "pairs": pair},
        "money": {"type": kind, "currency": DEFAULT_CURRENCY}, "template": {"type": kind, "template": "x"},
        "constant": {"type": kind, "value": None}, "related_entity": {"type": kind, "profile": "probe"},
    }
    return settings.get(kind, {"type": kind})
