"""The studio's event loop: Qt's, through qasync, with a plain thread pool for short blocking work.

qasync's own default executor makes QThreads, which Qt aborts the process over if one is still alive when
the application ends; database reads of the local backend run on Python threads instead, shut down with
the loop.
"""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor

import qasync
from PySide6.QtWidgets import QApplication

DB_THREADS = 4


def make_loop(app: QApplication) -> qasync.QEventLoop:
    loop = qasync.QEventLoop(app)
    loop.set_default_executor(ThreadPoolExecutor(DB_THREADS, thread_name_prefix="b24studio-io"))
    asyncio.set_event_loop(loop)
    return loop


def close_loop(loop: asyncio.AbstractEventLoop) -> None:
    """Finish the executor's threads, then the loop (before the QApplication goes)."""
    if not loop.is_closed():
        loop.close()
