"""The monitor shows the engine's stored words (actions, statuses, triggers, sides) in the interface
language, while its models keep them as stored for colours and filters."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from studio.i18n import install_translator
from studio.pages.monitor_models import ACTION_COLOURS, ItemsModel, RunsModel, trigger_text, word
from sync_engine.views.runs import ItemView, RunView


@pytest.fixture
def russian(qapp: QApplication) -> Iterator[QApplication]:
    assert install_translator(qapp, "ru") == "ru"
    yield qapp
    install_translator(qapp, "en")


RUN = RunView.model_validate({"id": 1, "profile": "purchase-requests", "trigger": "event (+12 coalesced)",
                              "status": "failed", "started_at": "2026-11-26T10:00:00+00:00",
                              "finished_at": "2026-11-26T10:00:02+00:00"})
ITEM = ItemView.model_validate({"id": 5, "run_id": 1, "seq": 1, "action": "create", "side": "bitrix24",
                                "jira_key": "PROC-7", "bitrix24_id": "42"})


def test_words_in_russian(russian: QApplication) -> None:
    assert word("create") == "создание" and word("failed") == "сбой"
    assert trigger_text("event (+12 coalesced)") == "по событию (+12 в пакете)"
    assert trigger_text("schedule") == "по расписанию"
    assert word("something-new") == "something-new" and word(None) == ""

    runs = RunsModel()
    runs.set_rows([RUN])
    assert runs.data(runs.index(0, 2)) == "по событию (+12 в пакете)"
    assert runs.data(runs.index(0, 3)) == "сбой"
    assert runs.rows[0].status == "failed"  # stored as it came

    items = ItemsModel()
    items.total = 1
    items.pages[0] = [ItemsModel._row(ITEM)]
    assert items.data(items.index(0, 1)) == "создание"
    assert items.data(items.index(0, 2)) == "Bitrix24"
    assert items.row_data(0)[1] == "create"  # type: ignore[index]
    colour = items.data(items.index(0, 1), Qt.ItemDataRole.ForegroundRole).color().name()
    assert colour == ACTION_COLOURS["create"]


def test_words_in_english(qapp: QApplication) -> None:
    install_translator(qapp, "en")
    assert word("create") == "create"
    assert trigger_text("event (+3 coalesced)") == "event (+3 coalesced)"
