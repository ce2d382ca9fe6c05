"""The studio under test: a real MainWindow on the demo session (twins in-process, temporary DB),
driven on a qasync loop the way the application runs."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import pytest
import qasync
from PySide6.QtWidgets import QApplication


@pytest.fixture(scope="session")
def studio_loop(qapp: QApplication) -> Iterator[asyncio.AbstractEventLoop]:
    loop = qasync.QEventLoop(qapp)
    asyncio.set_event_loop(loop)
    yield loop


class Studio:
    def __init__(self, window: Any, loop: asyncio.AbstractEventLoop) -> None:
        self.window = window
        self.loop = loop

    def settle(self, seconds: float = 0.1) -> None:
        """Let background operations finish (and the UI update)."""

        async def wait() -> None:
            await asyncio.sleep(seconds)
            await self.window.wait_ops()
            await asyncio.sleep(0.05)
            await self.window.wait_ops()

        self.loop.run_until_complete(asyncio.wait_for(wait(), 120))

    def run(self, coro: Any) -> Any:
        return self.loop.run_until_complete(coro)


@pytest.fixture
def studio(qtbot: Any, studio_loop: asyncio.AbstractEventLoop) -> Iterator[Studio]:
    from studio.main_window import MainWindow
    from studio.session import open_demo

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
