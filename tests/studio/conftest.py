"""The studio under test: a real MainWindow on the demo session (twins in-process, temporary DB),
driven on a qasync loop the way the application runs."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import pytest
from PySide6.QtWidgets import QApplication
from studio_harness import Studio


@pytest.fixture(scope="session")
def studio_loop(qapp: QApplication) -> Iterator[asyncio.AbstractEventLoop]:
    from studio.eventloop import make_loop

    loop = make_loop(qapp)
    yield loop


@pytest.fixture
def studio(qtbot: Any, studio_loop: asyncio.AbstractEventLoop) -> Iterator[Studio]:
    from studio.main_window import MainWindow
    from studio.session import open_demo

    asyncio.set_event_loop(studio_loop)  # another test's asyncio.run() may have cleared it
    session = open_demo()
    window = MainWindow(session)
    qtbot.addWidget(window)
    window.resize(1366, 768)
    window.show()
    s = Studio(window, studio_loop)
    s.settle()
    yield s
    window.profiles_page.constructor.mark_saved()
    window.profiles_page._form_dirty = False
    window.close()
    session.close()
