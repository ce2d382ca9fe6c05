"""The document model and the link proposal rules, without views."""

from __future__ import annotations

import subprocess
import sys

import pytest
from PySide6.QtCore import QTimer
from PySide6.QtGui import QUndoStack
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot
from widget_mapping_fields import B24_DEAL, JIRA_PROC, purchase_profile

from sync_engine.fieldtypes import FieldMeta, FieldType
from sync_engine.profiles.schema import FieldMapping, MoneyTransform
from widgets.mapping.commands import AddMappingCommand, EditMappingCommand, RemoveMappingCommand
from widgets.mapping.editor import MappingEditorDialog
from widgets.mapping.model import MappingModel
from widgets.mapping.proposal import normalise_search, propose_mapping, unique_mapping_id
from widgets.mapping.widget import MappingConstructor

J = {f.id: f for f in JIRA_PROC}
B = {f.id: f for f in B24_DEAL}


def test_model_is_copy_on_write_and_commands_round_trip(qtbot: QtBot) -> None:
    loaded = purchase_profile()
    model = MappingModel()
    model.set_profile(loaded, JIRA_PROC, B24_DEAL)
    stack = QUndoStack()
    events: list[str] = []
    model.mappingAdded.connect(lambda i, m: events.append(f"add {i} {m.id}"))
    model.mappingRemoved.connect(lambda i, m: events.append(f"remove {i} {m.id}"))
    model.mappingChanged.connect(lambda i, old, new: events.append(f"change {i} {old.id}->{new.id}"))

    title = FieldMapping(id="title", jira_field="summary", bitrix24_field="TITLE", direction="to_bitrix24")
    stack.push(AddMappingCommand(model, title))
    edited = title.model_copy(update={"apply_on": "create"})
    stack.push(EditMappingCommand(model, title, edited))
    assert model.mappings() == (edited,)
    assert title.apply_on == "both"  # the old object was replaced, not changed
    assert loaded.mappings == []  # the loaded profile is never touched
    assert model.profile().mappings == [edited] and model.profile() is not model.profile()
    stack.push(RemoveMappingCommand(model, "title"))
    stack.undo()
    stack.undo()
    assert model.mappings() == (title,)
    assert events == ["add 0 title", "change 0 title->title", "remove 0 title", "add 0 title", "change 0 title->title"]
    with pytest.raises(ValueError, match="already used"):
        model.add(title)


def test_uncovered_required_matches_validate_profile() -> None:
    model = MappingModel()
    model.set_profile(purchase_profile(), JIRA_PROC, B24_DEAL)
    (issue,) = [i for i in model.issues() if i.code == "required_not_covered"]
    assert [(side, f.id) for side, f in model.uncovered_required()] == [("bitrix24", "TITLE")]
    assert issue.fields == ("TITLE",)
    model.set_profile(purchase_profile().model_copy(update={"create_in": "none"}), JIRA_PROC, B24_DEAL)
    assert model.uncovered_required() == []


@pytest.mark.parametrize(("side", "source", "target", "kind", "direction"), [
    ("jira", "status", "STAGE_ID", "value_map", "to_bitrix24"),
    ("jira", "customfield_10104", "CURRENCY_ID", "value_map", "to_bitrix24"),
    ("jira", "assignee", "ASSIGNED_BY_ID", "user_by_email", "to_bitrix24"),
    ("bitrix24", "CLOSEDATE", "customfield_10106", "date", "to_jira"),
    ("jira", "customfield_10101", "OPPORTUNITY", "money", "to_bitrix24"),
    ("jira", "summary", "TITLE", "copy", "to_bitrix24"),
    ("jira", "customfield_10102", "UF_CRM_DISTRIBUTOR", "related_entity", "to_bitrix24"),
    ("bitrix24", "COMMENTS", "customfield_10100", "copy", "to_jira"),
    ("jira", "customfield_10101", "COMMENTS", "copy", "to_bitrix24"),  # a number written as text
])
def test_proposed_transform_per_field_types(side: str, source: str, target: str, kind: str, direction: str) -> None:
    s, t = (J[source], B[target]) if side == "jira" else (B[source], J[target])
    mapping = propose_mapping(side, s, t, set())  # type: ignore[arg-type]
    assert mapping is not None
    assert (mapping.transform.type, mapping.direction) == (kind, direction)
    if kind == "money":
        assert isinstance(mapping.transform, MoneyTransform) and mapping.transform.currency == "RUB"


def test_money_to_money_of_the_same_kind_is_a_copy() -> None:
    amount = FieldMeta("customfield_1", "Сумма", FieldType.MONEY)
    mapping = propose_mapping("jira", amount, B["OPPORTUNITY"], set())
    assert mapping is not None and mapping.transform.type == "copy"


def test_mapping_ids_are_slugs_and_unique() -> None:
    assert unique_mapping_id("customfield_10101", "OPPORTUNITY", set()) == "customfield_10101-opportunity"
    assert unique_mapping_id("summary", "TITLE", {"summary-title", "summary-title-2"}) == "summary-title-3"
    assert unique_mapping_id("Сумма", "_X", set()) == "x"
    long_id = unique_mapping_id("a" * 80, "b" * 80, set())
    FieldMapping(id=long_id, jira_field="a", bitrix24_field="b")  # a valid slug
    assert normalise_search("Ёлка ПОЛЕ") == "елка поле"


def test_widget_does_not_import_the_studio() -> None:
    code = ("import sys, widgets.mapping, widgets.mapping.widget; "
            "print(sorted(m for m in sys.modules if m == 'studio' or m.startswith('studio.')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         env={"QT_QPA_PLATFORM": "offscreen", "PATH": ""})
    assert out.stdout.strip() == "[]"


def test_double_click_on_a_line_opens_the_editor(constructor: MappingConstructor, qtbot: QtBot) -> None:
    from PySide6.QtCore import Qt
    from PySide6.QtTest import QTest

    mapping = propose_mapping("jira", J["status"], B["STAGE_ID"], set())
    assert mapping is not None
    constructor.undo_stack.push(AddMappingCommand(constructor.model, mapping))
    link = constructor.scene.link_item(mapping.id)
    assert link is not None
    point = constructor.view.mapFromScene(link.path().pointAtPercent(0.5))
    seen: list[str] = []

    def close_dialog() -> None:
        dialog = QApplication.activeModalWidget()
        seen.append(type(dialog).__name__)
        if isinstance(dialog, MappingEditorDialog):
            seen.append(dialog.kind())
            dialog.reject()

    QTimer.singleShot(50, close_dialog)
    QTest.mouseDClick(constructor.view.viewport(), Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, point)
    assert seen == ["MappingEditorDialog", "value_map"]
    assert constructor.undo_stack.count() == 1  # cancelled: nothing changed
