"""The studio as a user drives it: connections, the constructor, save/dry run/run, monitor, conflicts."""

from __future__ import annotations

from typing import Any

import httpx
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QComboBox, QDialog
from studio_harness import Studio

from studio.pages.connections import ConnectionDialog


def _drag(constructor: Any, source: tuple[str, str], target: tuple[str, str]) -> None:
    """As a user with hundreds of fields would: search each column for the field, then drag."""
    constructor.set_filter(source[0], source[1])
    constructor.set_filter(target[0], target[1])
    view = constructor.view
    points = []
    for side, field_id in (source, target):
        item = constructor.scene.field_item(side, field_id)
        assert item is not None, field_id
        view.ensureVisible(item)
        points.append(view.mapFromScene(item.sceneBoundingRect().center()))
    start, end = points
    viewport = view.viewport()
    QTest.mousePress(viewport, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, start)
    for i in range(1, 7):
        QTest.mouseMove(viewport, start + (end - start) * (i / 6))
    QTest.mouseRelease(viewport, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, end)
    constructor.set_filter("jira", "")
    constructor.set_filter("bitrix24", "")


def _open_profile(studio: Studio, name: str) -> Any:
    window = studio.window
    window.show_page("profiles")
    studio.settle()
    page = window.profiles_page
    names = [p.name for p in page.profiles]
    page.list.setCurrentRow(names.index(name))
    studio.settle(0.2)
    assert page.current is not None and page.current.name == name
    return page


def test_add_a_jira_connection_to_the_twin_and_test_it(studio: Studio, monkeypatch: Any) -> None:
    info = studio.window.session.sandbox_info

    def fill_and_accept(dialog: ConnectionDialog) -> int:
        dialog.name.setText("jira-second")
        dialog.kind.setCurrentIndex(dialog.kind.findData("server"))
        dialog.url.setText(info["jira_url"])
        dialog.user.setText(info["jira_user"])
        dialog.secret.setText(info["jira_token"])
        dialog._accept()
        return int(dialog.result())

    monkeypatch.setattr(ConnectionDialog, "exec", fill_and_accept)
    window = studio.window
    window.show_page("connections")
    studio.settle()
    page = window.connections_page
    page.add_jira.click()
    studio.settle()
    names = [c.name for c in page.items]
    assert "jira-second" in names
    assert all("secret" not in c.model_dump() for c in page.items)
    page.table.selectRow(names.index("jira-second"))
    page.test_selected()
    studio.settle()
    text = page.result.toPlainText()
    assert "Connected" in text and "9.12" in text, text


def test_a_bad_token_is_reported_not_crashed(studio: Studio, monkeypatch: Any) -> None:
    info = studio.window.session.sandbox_info

    def fill(dialog: ConnectionDialog) -> int:
        dialog.name.setText("jira-wrong")
        dialog.kind.setCurrentIndex(dialog.kind.findData("server-pat"))
        dialog.url.setText(info["jira_url"])
        dialog.secret.setText("not-the-token")
        dialog._accept()
        return int(QDialog.DialogCode.Accepted)

    monkeypatch.setattr(ConnectionDialog, "exec", fill)
    page = studio.window.connections_page
    studio.window.show_page("connections")
    studio.settle()
    page.add_jira.click()
    studio.settle()
    page.table.selectRow([c.name for c in page.items].index("jira-wrong"))
    page.test_selected()
    studio.settle()
    text = page.result.toPlainText()
    assert "Failed" in text and "401" in text and "not-the-token" not in text


def test_build_mapping_by_drag_undo_redo_refusal_then_save_dry_run_and_run(studio: Studio) -> None:
    page = _open_profile(studio, "purchase-requests")
    constructor = page.constructor
    before = {m.id for m in constructor.profile().mappings}
    refusals: list[str] = []
    constructor.refused.connect(refusals.append)

    _drag(constructor, ("jira", "summary"), ("bitrix24", "CLOSEDATE"))  # text onto a date: refused
    assert refusals and "date" in refusals[-1]
    assert {m.id for m in constructor.profile().mappings} == before

    _drag(constructor, ("jira", "description"), ("bitrix24", "UF_CRM_REGISTRATION_INFO"))
    added = {m.id for m in constructor.profile().mappings} - before
    assert len(added) == 1
    assert page.is_dirty() and page.save_button.isEnabled()
    constructor.undo_stack.undo()
    assert {m.id for m in constructor.profile().mappings} == before
    constructor.undo_stack.redo()
    assert {m.id for m in constructor.profile().mappings} - before == added

    page.save()
    studio.settle()
    assert not page.is_dirty()
    saved = studio.run(studio.window.backend.profiles.all())
    assert added <= {m.id for m in next(p for p in saved if p.name == "purchase-requests").mappings}

    page.run(dry_run=True)
    studio.settle()
    assert "Plan" in page.run_summary.text()
    assert "create in Bitrix24" in page.plan_view.toPlainText()
    assert studio.run(studio.window.backend.runs.recent()) == []  # a dry run writes nothing, not even a run row

    page.run(dry_run=False)
    studio.settle()
    assert "Run finished" in page.run_summary.text(), page.run_summary.text()
    runs = studio.run(studio.window.backend.runs.recent())
    assert len(runs) == 1 and runs[0].created_bitrix24 > 0

    monitor = studio.window.monitor_page
    studio.window.show_page("monitor")
    studio.settle(0.3)
    assert monitor.runs_model.rowCount() == 1
    total = monitor.items_model.rowCount()
    assert total >= runs[0].created_bitrix24
    for row in range(min(total, 20)):
        monitor.items_model.data(monitor.items_model.index(row, 1))
    studio.settle(0.2)
    actions = {monitor.items_model.row_data(r)[1] for r in range(min(total, 20))}  # type: ignore[index]
    assert "create" in actions


def test_keyboard_edit_in_the_table_is_undoable(studio: Studio) -> None:
    page = _open_profile(studio, "purchase-requests")
    constructor = page.constructor
    constructor.show_table()
    table = constructor.table
    model = constructor.table_model
    assert model.rowCount() > 0
    row = 0
    direction_col = next(c for c in range(model.columnCount())
                         if "direction" in str(model.headerData(c, Qt.Orientation.Horizontal)).lower())
    index = model.index(row, direction_col)
    before = index.data()
    table.setFocus()
    table.setCurrentIndex(index)
    QTest.keyClick(table, Qt.Key.Key_F2)
    editor = QApplication.focusWidget()
    assert isinstance(editor, QComboBox), editor
    last = editor.currentIndex() == editor.count() - 1
    QTest.keyClick(editor, Qt.Key.Key_Up if last else Qt.Key.Key_Down)
    QTest.keyClick(editor, Qt.Key.Key_Return)
    studio.settle()
    assert model.index(row, direction_col).data() != before
    assert constructor.undo_stack.count() == 1
    constructor.undo_stack.undo()
    assert model.index(row, direction_col).data() == before


def test_conflict_is_shown_side_by_side_and_kept_from_jira(studio: Studio) -> None:
    window = studio.window
    page = _open_profile(studio, "purchase-requests")
    page.conflict.setCurrentIndex(page.conflict.findData("manual"))
    page.save()
    studio.settle()
    page.run(dry_run=False)
    studio.settle()
    backend = window.backend
    ws = backend.ws
    link = ws.store.all_links("purchase-requests")[0]
    info = window.session.sandbox_info
    auth = (info["jira_user"], info["jira_token"])
    # The same field edited on both sides between two runs.
    httpx.put(f"{info['jira_url']}/rest/api/2/issue/{link.jira_id}", auth=auth,
              json={"fields": {"summary": "Закупка (правка в JIRA)"}}).raise_for_status()
    httpx.post(f"{info['bitrix_webhook_url']}crm.deal.update.json",
               json={"id": link.bitrix24_id, "fields": {"TITLE": "Сделка (правка в Bitrix24)"}}).raise_for_status()
    page.run(dry_run=False)
    studio.settle()
    monitor = window.monitor_page
    window.show_page("monitor")
    studio.settle(0.3)
    assert monitor.conflict_list.count() >= 1
    monitor.tabs.setCurrentIndex(1)
    monitor.conflict_list.setCurrentRow(0)
    assert "правка в JIRA" in monitor.jira_value.toPlainText()
    assert "правка в Bitrix24" in monitor.b24_value.toPlainText()
    monitor.keep_jira.click()
    studio.settle(0.3)
    assert monitor.conflict_list.count() == 0
    deal = httpx.get(f"{info['bitrix_webhook_url']}crm.deal.get.json", params={"id": link.bitrix24_id}).json()
    assert deal["result"]["TITLE"] == "Закупка (правка в JIRA)"
    page.run(dry_run=False)
    studio.settle()
    last = studio.run(backend.runs.recent())[0]
    assert last.conflicts == 0 and last.updated_jira == 0 and last.updated_bitrix24 == 0


def test_switch_language_to_russian_and_back(studio: Studio) -> None:
    window = studio.window
    window.set_language("ru")
    studio.settle()
    assert window.nav.item(0).text() == "Подключения"
    window.set_language("en")
    studio.settle()
    assert window.nav.item(0).text() == "Connections"


