"""The canvas: drag gestures, refusals, deleting lines, filtering and undo."""

from __future__ import annotations

from PySide6.QtCore import QPoint, Qt
from PySide6.QtTest import QTest
from pytestqt.qtbot import QtBot
from widget_mapping_fields import B24_DEAL, JIRA_PROC, purchase_profile, viewport_point

from sync_engine.fieldtypes import FieldMeta, FieldType
from widgets.mapping.items import DropState
from widgets.mapping.widget import MappingConstructor


def drag(widget: MappingConstructor, start: QPoint, end: QPoint, steps: int = 6) -> None:
    viewport = widget.view.viewport()
    QTest.mousePress(viewport, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, start)
    for i in range(1, steps + 1):
        QTest.mouseMove(viewport, start + (end - start) * (i / steps))
    QTest.mouseRelease(viewport, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, end)


def field_point(widget: MappingConstructor, side: str, field_id: str) -> QPoint:
    item = widget.scene.field_item(side, field_id)  # type: ignore[arg-type]
    assert item is not None, field_id
    return viewport_point(widget, item)


def test_drag_status_to_stage_creates_value_map_in_one_undo_step(constructor: MappingConstructor) -> None:
    changes: list[None] = []
    constructor.changed.connect(lambda: changes.append(None))
    drag(constructor, field_point(constructor, "jira", "status"), field_point(constructor, "bitrix24", "STAGE_ID"))

    mappings = constructor.profile().mappings
    assert len(mappings) == 1
    m = mappings[0]
    assert (m.jira_field, m.bitrix24_field, m.direction) == ("status", "STAGE_ID", "to_bitrix24")
    assert m.transform.type == "value_map"
    assert m.transform.auto_suggested is True
    assert {(p.jira, p.bitrix24) for p in m.transform.pairs} >= {
        ("Квалификация", "PREPARATION"), ("Закупка согласована", "EXECUTING")}
    assert m.id == "status-stage_id"
    assert constructor.undo_stack.count() == 1 and constructor.is_dirty() and changes
    assert constructor.scene.link_item(m.id) is not None
    assert constructor.scene.interaction() is None

    constructor.undo_stack.undo()
    assert constructor.profile().mappings == []
    assert constructor.scene.link_item(m.id) is None
    assert not constructor.is_dirty()
    constructor.undo_stack.redo()
    assert constructor.profile().mappings == [m]
    assert constructor.scene.link_item(m.id) is not None


def test_drag_from_bitrix24_side_maps_toward_jira(constructor: MappingConstructor) -> None:
    start = field_point(constructor, "bitrix24", "ASSIGNED_BY_ID")
    drag(constructor, start, field_point(constructor, "jira", "assignee"))
    (m,) = constructor.profile().mappings
    assert (m.direction, m.transform.type) == ("to_jira", "user_by_email")


def test_drag_text_onto_date_is_refused_with_the_types(constructor: MappingConstructor, qtbot: QtBot) -> None:
    refusals: list[str] = []
    constructor.refused.connect(refusals.append)
    drag(constructor, field_point(constructor, "jira", "summary"), field_point(constructor, "bitrix24", "CLOSEDATE"))
    assert constructor.profile().mappings == []
    assert constructor.undo_stack.count() == 0
    assert len(refusals) == 1
    assert "summary (text)" in refusals[0] and "CLOSEDATE (date)" in refusals[0]
    assert "cannot copy text into date" in refusals[0]
    assert refusals[0] in constructor.status_label.text()


def test_targets_light_up_while_dragging_and_escape_cancels(constructor: MappingConstructor) -> None:
    viewport = constructor.view.viewport()
    start = field_point(constructor, "jira", "summary")
    over = field_point(constructor, "bitrix24", "CLOSEDATE")
    QTest.mousePress(viewport, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, start)
    QTest.mouseMove(viewport, start + QPoint(40, 0))
    QTest.mouseMove(viewport, over)
    scene = constructor.scene
    title = scene.field_item("bitrix24", "TITLE")
    created = scene.field_item("bitrix24", "DATE_CREATE")
    closedate = scene.field_item("bitrix24", "CLOSEDATE")
    assert title is not None and created is not None and closedate is not None
    assert title.drop_state() is DropState.COMPATIBLE
    assert created.drop_state() is DropState.INCOMPATIBLE  # read-only
    assert closedate.drop_state() is DropState.HOVER_BAD
    assert "cannot copy text into date" in closedate.toolTip()
    assert "cannot copy text into date" in constructor.status_label.text()

    QTest.keyClick(viewport, Qt.Key.Key_Escape)
    assert scene.interaction() is None
    assert title.drop_state() is DropState.NORMAL and closedate.drop_state() is DropState.NORMAL
    QTest.mouseRelease(viewport, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, over)
    assert constructor.profile().mappings == []


def test_release_on_empty_canvas_cancels(constructor: MappingConstructor) -> None:
    refusals: list[str] = []
    constructor.refused.connect(refusals.append)
    start = field_point(constructor, "jira", "summary")
    drag(constructor, start, start + QPoint(200, 0))
    assert constructor.profile().mappings == [] and len(refusals) == 1


def test_click_a_line_and_delete_it_undoably(constructor: MappingConstructor) -> None:
    drag(constructor, field_point(constructor, "jira", "summary"), field_point(constructor, "bitrix24", "TITLE"))
    (m,) = constructor.profile().mappings
    link = constructor.scene.link_item(m.id)
    assert link is not None
    constructor.scene.clearSelection()
    middle = constructor.view.mapFromScene(link.path().pointAtPercent(0.5))
    QTest.mouseClick(constructor.view.viewport(), Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, middle)
    assert constructor.selected_mapping_ids() == [m.id]
    assert constructor.delete_action.isEnabled()

    QTest.keyClick(constructor.view, Qt.Key.Key_Delete)
    assert constructor.profile().mappings == []
    assert constructor.scene.link_item(m.id) is None
    QTest.keyClick(constructor.view, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert constructor.profile().mappings == [m]
    assert constructor.scene.link_item(m.id) is not None


def test_uncovered_required_list_follows_the_mappings(constructor: MappingConstructor) -> None:
    assert constructor.uncovered_entries() == [("bitrix24", "TITLE")]
    assert [i.code for i in constructor.model.issues()] == ["required_not_covered"]
    drag(constructor, field_point(constructor, "jira", "summary"), field_point(constructor, "bitrix24", "TITLE"))
    assert constructor.uncovered_entries() == []
    assert not any(i.code == "required_not_covered" for i in constructor.model.issues())
    constructor.undo_stack.undo()
    assert constructor.uncovered_entries() == [("bitrix24", "TITLE")]


def test_filter_600_fields_shows_matches_and_hides_lines(qtbot: QtBot) -> None:
    extra_j = [FieldMeta(f"customfield_{20000 + i}", f"Поле {i} Ёлка" if i % 50 == 0 else f"Поле {i}",
                         FieldType.TEXT) for i in range(600)]
    extra_b = [FieldMeta(f"UF_CRM_F{i}", f"Field {i}", FieldType.TEXT) for i in range(600)]
    widget = MappingConstructor()
    qtbot.addWidget(widget)
    widget.resize(1366, 768)
    widget.set_profile(purchase_profile(), JIRA_PROC + extra_j, B24_DEAL + extra_b)
    widget.show()
    qtbot.waitExposed(widget)
    scene = widget.scene
    drag(widget, field_point(widget, "jira", "summary"), field_point(widget, "bitrix24", "TITLE"))
    drag(widget, field_point(widget, "jira", "customfield_10101"), field_point(widget, "bitrix24", "OPPORTUNITY"))
    assert len(widget.profile().mappings) == 2
    assert scene.visible_field_count("jira") == 610

    items_before = len(scene.items())
    widget.search["jira"].setText("елка")  # typed with е, labels have Ё; applied after a short pause
    qtbot.waitUntil(lambda: scene.visible_field_count("jira") == 12, timeout=2000)
    visible = [i for i in scene.field_items("jira") if i.isVisible()]
    assert all("Ёлка" in i.meta.label for i in visible)
    assert len(scene.items()) == items_before  # hidden, not rebuilt
    assert scene.hidden_link_count() == 2
    assert all(not link.isVisible() for link in scene.link_items())
    assert widget.hidden_label.isVisibleTo(widget) and "2" in widget.hidden_label.text()
    assert visible[0].pos().y() == scene.canvas_style.top_margin  # matches moved to the top

    widget.set_filter("jira", "нет такого поля")
    assert scene.visible_field_count("jira") == 0
    widget.set_filter("jira", "сумма")
    assert [i.meta.id for i in scene.field_items("jira") if i.isVisible()] == ["customfield_10101"]
    assert scene.hidden_link_count() == 1
    money = scene.link_item("customfield_10101-opportunity")
    assert money is not None and money.isVisible()

    widget.set_filter("jira", "")
    assert scene.visible_field_count("jira") == 610 and scene.hidden_link_count() == 0
    assert not widget.hidden_label.isVisibleTo(widget)


def test_load_replaces_history_and_marks_clean(constructor: MappingConstructor) -> None:
    drag(constructor, field_point(constructor, "jira", "summary"), field_point(constructor, "bitrix24", "TITLE"))
    assert constructor.is_dirty()
    constructor.mark_saved()
    assert not constructor.is_dirty()
    constructor.undo_stack.undo()
    assert constructor.is_dirty()
    constructor.set_profile(purchase_profile(), JIRA_PROC, B24_DEAL)
    assert constructor.undo_stack.count() == 0 and not constructor.is_dirty()


def test_mapped_first_layout_puts_partners_face_to_face(constructor: MappingConstructor) -> None:
    drag(constructor, field_point(constructor, "jira", "status"), field_point(constructor, "bitrix24", "STAGE_ID"))
    drag(constructor, field_point(constructor, "bitrix24", "CLOSEDATE"),
         field_point(constructor, "jira", "customfield_10106"))
    scene = constructor.scene

    def order(side: str) -> list[str]:
        items = sorted(scene.field_items(side), key=lambda i: i.pos().y())
        return [i.meta.id for i in items]

    constructor.tidy_action.trigger()
    assert order("jira")[:3] == ["status", "customfield_10106", "summary"]
    assert order("bitrix24")[:3] == ["STAGE_ID", "CLOSEDATE", "TITLE"]
    for link in scene.link_items():
        path = link.path()
        assert path.pointAtPercent(0).y() == path.pointAtPercent(1).y()  # straight across
    assert constructor.undo_stack.count() == 2  # a view setting, not an edit
    constructor.tidy_action.trigger()
    assert order("jira") == [f.id for f in JIRA_PROC]
