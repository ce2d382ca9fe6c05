"""The table view (keyboard editing through delegates) and the mapping editor dialog."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QComboBox, QDialogButtonBox
from pytestqt.qtbot import QtBot
from widget_mapping_fields import B24_DEAL, JIRA_PROC, purchase_profile, viewport_point

from sync_engine.fieldtypes import FieldMeta
from sync_engine.profiles.schema import (
    ConstantTransform,
    DateTransform,
    FieldMapping,
    MoneyTransform,
    ValueMapPair,
    ValueMapTransform,
)
from widgets.mapping.commands import AddMappingCommand
from widgets.mapping.editor import MappingEditorDialog
from widgets.mapping.proposal import propose_mapping
from widgets.mapping.table import COL_APPLY, COL_DIRECTION, COL_JIRA
from widgets.mapping.widget import MappingConstructor

J = {f.id: f for f in JIRA_PROC}
B = {f.id: f for f in B24_DEAL}
SCREENSHOTS = Path(__file__).resolve().parents[2] / "artifacts" / "screenshots"


def link(widget: MappingConstructor, source: FieldMeta, target: FieldMeta, side: str = "jira") -> FieldMapping:
    mapping = propose_mapping(side, source, target, widget.model.mapping_ids())  # type: ignore[arg-type]
    assert mapping is not None
    widget.undo_stack.push(AddMappingCommand(widget.model, mapping))
    return mapping


def open_cell_editor(widget: MappingConstructor, row: int, column: int) -> QComboBox:
    widget.show_table()
    table = widget.table
    table.setFocus()
    table.setCurrentIndex(widget.table_model.index(row, column))
    QTest.keyClick(table, Qt.Key.Key_F2)
    editor = QApplication.focusWidget()
    assert isinstance(editor, QComboBox), editor
    return editor


def test_keyboard_edit_of_direction_in_the_table_is_undoable(constructor: MappingConstructor, qtbot: QtBot) -> None:
    m = link(constructor, J["summary"], B["TITLE"])
    assert constructor.table_model.rowCount() == 1
    combo = open_cell_editor(constructor, 0, COL_DIRECTION)
    assert combo.currentData() == "to_bitrix24"
    QTest.keyClick(combo, Qt.Key.Key_Down)
    assert combo.currentData() == "to_jira"
    QTest.keyClick(combo, Qt.Key.Key_Return)  # the view commits on the next event loop pass
    qtbot.waitUntil(lambda: constructor.undo_stack.count() == 2, timeout=2000)

    (edited,) = constructor.profile().mappings
    assert edited.direction == "to_jira" and edited.id == m.id
    assert constructor.table_model.index(0, COL_DIRECTION).data() == "← to JIRA"
    assert constructor.undo_stack.count() == 2
    assert constructor.uncovered_entries() == [("bitrix24", "TITLE")]  # no longer written to Bitrix24
    constructor.undo_stack.undo()
    assert constructor.profile().mappings[0].direction == "to_bitrix24"
    assert constructor.uncovered_entries() == []


def test_keyboard_edit_of_apply_on_redraws_the_line_dashed(constructor: MappingConstructor, qtbot: QtBot) -> None:
    m = link(constructor, J["customfield_10106"], B["CLOSEDATE"])
    combo = open_cell_editor(constructor, 0, COL_APPLY)
    QTest.keyClick(combo, Qt.Key.Key_Down)  # create and update → create only
    QTest.keyClick(combo, Qt.Key.Key_Enter)
    qtbot.waitUntil(lambda: constructor.undo_stack.count() == 2, timeout=2000)
    assert constructor.profile().mappings[0].apply_on == "create"
    line = constructor.scene.link_item(m.id)
    assert line is not None and line.mapping.apply_on == "create"


def test_changing_a_field_in_the_table_picks_a_fitting_transform(constructor: MappingConstructor, qtbot: QtBot) -> None:
    link(constructor, J["summary"], B["TITLE"])
    combo = open_cell_editor(constructor, 0, COL_JIRA)
    combo.setCurrentIndex(combo.findData("status"))
    QTest.keyClick(combo, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: constructor.undo_stack.count() == 2, timeout=2000)
    (m,) = constructor.profile().mappings
    assert m.jira_field == "status" and m.transform.type == "copy"  # enum written as text fits a copy


def test_add_and_remove_rows_from_the_table(constructor: MappingConstructor) -> None:
    constructor.show_table()
    added = constructor.add_mapping()
    assert added is not None
    assert (added.jira_field, added.bitrix24_field) == ("summary", "TITLE")  # the uncovered required field first
    assert constructor.uncovered_entries() == []
    constructor.table.selectRow(0)
    assert constructor.selected_mapping_ids() == [added.id]
    constructor.delete_action.trigger()
    assert constructor.profile().mappings == []
    constructor.undo_stack.undo()
    assert constructor.profile().mappings == [added]


def test_editor_builds_a_valid_value_map(constructor: MappingConstructor, qtbot: QtBot) -> None:
    m = link(constructor, J["status"], B["STAGE_ID"])
    dialog = constructor.create_editor(m.id)
    assert isinstance(dialog, MappingEditorDialog)
    qtbot.addWidget(dialog)
    kinds = [dialog.transform_combo.itemData(i) for i in range(dialog.transform_combo.count())]
    assert "value_map" in kinds and "copy" not in kinds and "date" not in kinds
    assert dialog.kind() == "value_map"
    page = dialog.value_map
    assert isinstance(m.transform, ValueMapTransform)
    assert page.table.rowCount() == len(m.transform.pairs)
    page.table.setRowCount(0)
    page.suggest_button.click()
    assert page.table.rowCount() == 3 and page.auto.isChecked()
    page.add_pair("Открыт", "NEW")
    page.auto.setChecked(False)
    page.default_b24.setCurrentIndex(page.default_b24.findData("LOSE"))
    dialog.direction_buttons["both"].setChecked(True)
    page.default_jira.setCurrentIndex(page.default_jira.findData("Отклонён"))
    dialog.show()
    QTest.mouseClick(dialog.buttons.button(QDialogButtonBox.StandardButton.Ok), Qt.MouseButton.LeftButton)

    new = dialog.result_mapping()
    assert new is not None, dialog.error_text()
    assert isinstance(new.transform, ValueMapTransform)
    assert new.direction == "both" and new.transform.auto_suggested is False
    assert ValueMapPair(jira="Открыт", bitrix24="NEW") in new.transform.pairs
    assert (new.transform.default_bitrix24, new.transform.default_jira) == ("LOSE", "Отклонён")
    constructor.apply_edit(m, new)
    assert constructor.profile().mappings == [new]
    assert constructor.undo_stack.count() == 2
    constructor.undo_stack.undo()
    assert constructor.profile().mappings == [m]


def test_editor_refuses_an_invalid_template_inline(constructor: MappingConstructor, qtbot: QtBot) -> None:
    m = link(constructor, J["summary"], B["TITLE"])
    dialog = constructor.create_editor(m.id)
    assert dialog is not None
    qtbot.addWidget(dialog)
    dialog.show()
    def kinds() -> list[str]:
        return [dialog.transform_combo.itemData(i) for i in range(dialog.transform_combo.count())]

    assert dialog.direction() == "to_bitrix24"
    assert kinds() == ["copy", "template", "constant"]
    dialog.direction_buttons["both"].setChecked(True)
    assert kinds() == ["copy"]  # a template or constant only writes one way
    dialog.direction_buttons["to_bitrix24"].setChecked(True)
    dialog.transform_combo.setCurrentIndex(dialog.transform_combo.findData("template"))
    dialog.template_edit.setPlainText("{summary")
    dialog.accept()
    assert dialog.isVisible() and dialog.result_mapping() is None
    assert "bad template" in dialog.error_text() and "unclosed" in dialog.error_text()

    dialog.template_edit.setPlainText("{summary} / {nosuch}")
    dialog.accept()
    assert dialog.isVisible() and "{nosuch}" in dialog.error_text()

    dialog.template_edit.setPlainText("")
    dialog.placeholder_list.itemDoubleClicked.emit(dialog.placeholder_list.item(0))
    dialog.template_edit.insertPlainText(" — закупка")
    dialog.accept()
    new = dialog.result_mapping()
    assert new is not None and not dialog.isVisible()
    assert new.transform.type == "template" and new.transform.template == "{summary} — закупка"
    assert (new.jira_field, new.bitrix24_field) == (None, "TITLE")
    constructor.apply_edit(m, new)
    assert constructor.scene.link_item(m.id) is None  # no source field, so no line
    title = constructor.scene.field_item("bitrix24", "TITLE")
    assert title is not None
    assert constructor.uncovered_entries() == []


def test_editor_money_and_constant_settings(constructor: MappingConstructor, qtbot: QtBot) -> None:
    m = link(constructor, J["customfield_10101"], B["OPPORTUNITY"])
    assert m.transform.type == "money" and m.transform.currency == "RUB"
    dialog = constructor.create_editor(m.id)
    assert dialog is not None
    qtbot.addWidget(dialog)
    dialog.money_field.setChecked(True)
    dialog.currency_field.setCurrentIndex(dialog.currency_field.findData("customfield_10104"))
    dialog.accept()
    new = dialog.result_mapping()
    assert new is not None and isinstance(new.transform, MoneyTransform)
    assert (new.transform.currency_field, new.transform.currency) == ("customfield_10104", None)

    dialog = constructor.create_editor(m.id)
    assert dialog is not None
    qtbot.addWidget(dialog)
    dialog.money_fixed.setChecked(True)
    dialog.currency.setText("RU")
    dialog.accept()
    assert dialog.result_mapping() is None and "3-letter" in dialog.error_text()
    dialog.transform_combo.setCurrentIndex(dialog.transform_combo.findData("constant"))
    dialog.constant.setEditText("12,5")
    dialog.accept()
    new = dialog.result_mapping()
    assert new is not None and isinstance(new.transform, ConstantTransform)
    assert new.transform.value == 12.5 and new.jira_field is None

    closing = link(constructor, J["customfield_10106"], B["CLOSEDATE"])
    dialog = constructor.create_editor(closing.id)
    assert dialog is not None
    qtbot.addWidget(dialog)
    assert dialog.kind() == "date"
    dialog.jira_tz.setEditText("Europe/Moskva")
    dialog.accept()
    assert dialog.result_mapping() is None and "unknown time zone 'Europe/Moskva'" in dialog.error_text()
    dialog.jira_tz.setEditText("Europe/Moscow")
    dialog.accept()
    new = dialog.result_mapping()
    assert new is not None and isinstance(new.transform, DateTransform)
    assert (new.transform.jira_tz, new.transform.bitrix24_tz) == ("Europe/Moscow", None)


def test_screenshots_at_1366x768(qtbot: QtBot) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    widget = MappingConstructor()
    qtbot.addWidget(widget)
    widget.resize(1366, 768)
    widget.set_profile(purchase_profile(), JIRA_PROC, B24_DEAL)
    widget.show()
    qtbot.waitExposed(widget)
    status = link(widget, J["status"], B["STAGE_ID"])
    link(widget, J["customfield_10101"], B["OPPORTUNITY"])
    link(widget, J["assignee"], B["ASSIGNED_BY_ID"])
    link(widget, J["customfield_10104"], B["CURRENCY_ID"])
    closing = link(widget, B["CLOSEDATE"], J["customfield_10106"], side="bitrix24")
    widget.apply_edit(closing, closing.model_copy(update={"apply_on": "update"}))
    widget.scene.select_mapping(status.id)
    widget.show_status("Linked status → STAGE_ID (value pairs suggested: review them)")
    qtbot.wait(20)
    canvas = widget.grab()
    assert (canvas.width(), canvas.height()) == (1366, 768)
    assert canvas.save(str(SCREENSHOTS / "mapping_canvas.png"))

    viewport = widget.view.viewport()  # mid-drag: targets green/grey, the refusal reason in the status line
    summary, closedate = widget.scene.field_item("jira", "summary"), widget.scene.field_item("bitrix24", "CLOSEDATE")
    assert summary is not None and closedate is not None
    start, over = viewport_point(widget, summary), viewport_point(widget, closedate)
    QTest.mousePress(viewport, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, start)
    QTest.mouseMove(viewport, start + (over - start) / 2)
    QTest.mouseMove(viewport, over)
    assert widget.grab().save(str(SCREENSHOTS / "mapping_drag.png"))
    QTest.keyClick(viewport, Qt.Key.Key_Escape)
    QTest.mouseRelease(viewport, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, over)
    widget.set_filter("bitrix24", "дата")
    assert widget.grab().save(str(SCREENSHOTS / "mapping_filtered.png"))
    widget.set_filter("bitrix24", "")
    widget.show_table()
    qtbot.wait(20)
    assert widget.grab().save(str(SCREENSHOTS / "mapping_table.png"))
    dialog = widget.create_editor(status.id)
    assert dialog is not None
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    assert dialog.grab().save(str(SCREENSHOTS / "mapping_editor.png"))
    assert (SCREENSHOTS / "mapping_canvas.png").stat().st_size > 10_000
