"""Qt fixtures for the mapping constructor tests (QT_QPA_PLATFORM=offscreen comes from tests/conftest.py)."""

from __future__ import annotations

import pytest
from pytestqt.qtbot import QtBot
from widget_mapping_fields import B24_DEAL, JIRA_PROC, purchase_profile

from widgets.mapping.widget import MappingConstructor


@pytest.fixture
def constructor(qtbot: QtBot) -> MappingConstructor:
    widget = MappingConstructor()
    qtbot.addWidget(widget)
    widget.resize(1366, 768)
    widget.set_profile(purchase_profile(), JIRA_PROC, B24_DEAL)
    widget.show()
    widget.activateWindow()
    qtbot.waitActive(widget)
    return widget

