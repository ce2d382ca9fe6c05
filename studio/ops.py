"""Every background operation of the studio goes through :func:`run_op` (as Anki's ``aqt.operations``).

One place decides how long work looks: a busy indicator after a short delay, a Cancel button that
cancels the asyncio task, and an error dialog that shows the message (never a traceback) when it
fails. Pages only say what to do and what to do with the result, so no page can freeze the window or
swallow an error.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from PySide6.QtCore import QObject, Qt, QTimer, Signal
from PySide6.QtWidgets import QMessageBox, QProgressDialog, QWidget

T = TypeVar("T")
log = logging.getLogger(__name__)


class OpTracker(QObject):
    """Counts running operations so tests and the self-test can wait for quiet."""

    started = Signal(str)
    finished = Signal(str, bool)  # label, ok

    def __init__(self) -> None:
        super().__init__()
        self.running = 0
        self.failures: list[str] = []


def run_op(
    parent: QWidget,
    work: Callable[[], Awaitable[T]],
    *,
    label: str,
    on_done: Callable[[T], Any] | None = None,
    on_error: Callable[[BaseException], Any] | None = None,
    tracker: OpTracker | None = None,
    show_errors: bool = True,
) -> asyncio.Task[T]:
    """Start ``work`` on the event loop; returns the task (already scheduled)."""
    tracker = tracker or getattr(parent.window(), "ops", None)
    dialog = QProgressDialog(label, parent.tr("Cancel"), 0, 0, parent)
    dialog.setWindowTitle(parent.tr("Working…"))
    dialog.setWindowModality(Qt.WindowModality.WindowModal)
    dialog.setMinimumDuration(0)
    dialog.setAutoClose(False)
    dialog.setAutoReset(False)
    dialog.reset()  # hidden until the timer below shows it: quick work never flashes a dialog
    timer = QTimer(parent)
    timer.setSingleShot(True)

    async def runner() -> T:
        return await work()

    task: asyncio.Task[T] = asyncio.ensure_future(runner())
    timer.timeout.connect(lambda: (not task.done()) and (dialog.setLabelText(label), dialog.show()))
    timer.start(400)
    dialog.canceled.connect(task.cancel)
    if tracker is not None:
        tracker.running += 1
        tracker.started.emit(label)

    def finish(t: asyncio.Task[T]) -> None:
        timer.stop()
        dialog.hide()
        dialog.deleteLater()
        ok = False
        try:
            result = t.result()
            ok = True
        except asyncio.CancelledError:
            log.info("%s: cancelled", label)
        except Exception as exc:  # shown to the user; the message never carries a secret
            log.warning("%s failed: %s", label, exc)
            if tracker is not None:
                tracker.failures.append(f"{label}: {exc}")
            if on_error is not None:
                on_error(exc)
            elif show_errors:
                QMessageBox.warning(parent, parent.tr("Something went wrong"), f"{label}\n\n{exc}")
        else:
            if on_done is not None:
                on_done(result)
        if tracker is not None:
            tracker.running -= 1
            tracker.finished.emit(label, ok)

    task.add_done_callback(finish)
    return task
