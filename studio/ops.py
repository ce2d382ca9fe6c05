"""Every background operation of the studio goes through :func:`run_op` (as Anki's ``aqt.operations``).

One place decides how long work looks: a progress dialog after a short delay (a bar with "done of
total" when the work reports it, busy otherwise), a Cancel button that cancels the work, an error dialog
that shows the message (never a traceback) when it fails, and, when it succeeds, the announcement of
what it changed so the pages showing it refresh themselves. Work is a coroutine (the backends do their
own heavy lifting off the window's thread) or, with :func:`run_in_thread`, a plain function run on a
worker thread for CPU-bound work such as laying out a large chart or writing a spreadsheet.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from PySide6.QtCore import QObject, Qt, QTimer, Signal
from PySide6.QtWidgets import QMessageBox, QProgressDialog, QWidget

from studio.changes import Change, ChangeHub

T = TypeVar("T")
log = logging.getLogger(__name__)
SHOW_AFTER_MS = 400
PROGRESS_EVERY_S = 0.05


class OpTracker(QObject):
    """Counts running operations so tests and the self-test can wait for quiet."""

    started = Signal(str)
    finished = Signal(str, bool)  # label, ok

    def __init__(self) -> None:
        super().__init__()
        self.running = 0
        self.failures: list[str] = []


class OpCancelled(Exception):
    """Raised by :meth:`OpContext.check_cancelled` in work whose Cancel was pressed."""


class _Reporter(QObject):
    """Lives on the window's thread; ``progressed`` emitted from a worker thread is delivered there."""

    progressed = Signal(int, int, str)  # done, total (-1: unknown), text


class OpContext:
    """Handed to the work: report progress and see whether Cancel was pressed, from any thread.

    Reports are passed on at most every ``PROGRESS_EVERY_S`` (and always the last one, done == total): work
    reporting every row must not flood the window's event queue.
    """

    def __init__(self, reporter: _Reporter) -> None:
        self._reporter: _Reporter | None = reporter
        self._cancelled = threading.Event()
        self._last = 0.0
        self._lock = threading.Lock()  # a worker thread may report while the operation ends

    def progress(self, done: int, total: int | None, text: str = "") -> None:
        now = time.monotonic()
        if now - self._last < PROGRESS_EVERY_S and (total is None or done < total):
            return
        self._last = now
        with self._lock:
            if self._reporter is not None:  # after the end nobody listens (and the reporter is gone)
                self._reporter.progressed.emit(int(done), -1 if total is None else int(total), text)

    def close(self) -> None:
        """The operation ended: later reports (from a thread still winding down) go nowhere."""
        with self._lock:
            self._reporter = None

    def cancel(self) -> None:
        self._cancelled.set()

    @property
    def cancelled(self) -> bool:
        return self._cancelled.is_set()

    def check_cancelled(self) -> None:
        if self._cancelled.is_set():
            raise OpCancelled()


def run_op(
    parent: QWidget,
    work: Callable[[OpContext], Awaitable[T]],
    *,
    label: str,
    on_done: Callable[[T], Any] | None = None,
    on_error: Callable[[BaseException], Any] | None = None,
    tracker: OpTracker | None = None,
    hub: ChangeHub | None = None,
    changes: Change = Change.NONE,
    show_errors: bool = True,
) -> asyncio.Task[T]:
    """Start ``work`` on the event loop; returns the task (already scheduled)."""
    dialog = QProgressDialog(label, parent.tr("Cancel"), 0, 0, parent)
    dialog.setWindowTitle(parent.tr("Working…"))
    dialog.setWindowModality(Qt.WindowModality.WindowModal)
    dialog.setMinimumDuration(0)
    dialog.setAutoClose(False)
    dialog.setAutoReset(False)
    dialog.reset()  # hidden until the timer below shows it: quick work never flashes a dialog
    timer = QTimer(parent)
    timer.setSingleShot(True)
    reporter = _Reporter(parent)
    context = OpContext(reporter)

    def show_progress(done: int, total: int, text: str) -> None:
        if total > 0:
            dialog.setRange(0, total)
            dialog.setValue(min(done, total))
            dialog.setLabelText(parent.tr("{label}\n{text}: {done} of {total}").format(
                label=label, text=text, done=done, total=total) if text else f"{label}\n{done} / {total}")
        else:
            dialog.setRange(0, 0)
            dialog.setLabelText(f"{label}\n{text}" if text else label)

    reporter.progressed.connect(show_progress)

    task: asyncio.Task[T] = asyncio.ensure_future(work(context))
    def show_dialog() -> None:
        if not task.done():
            dialog.show()

    timer.timeout.connect(show_dialog)
    timer.start(SHOW_AFTER_MS)
    dialog.canceled.connect(context.cancel)
    dialog.canceled.connect(task.cancel)
    if tracker is not None:
        tracker.running += 1
        tracker.started.emit(label)

    def finish(t: asyncio.Task[T]) -> None:
        timer.stop()
        dialog.hide()
        dialog.deleteLater()
        context.close()
        reporter.deleteLater()
        ok = False
        try:
            result = t.result()
            ok = True
        except (asyncio.CancelledError, OpCancelled):
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
            if hub is not None:
                hub.announce(changes, parent)
        if tracker is not None:
            tracker.running -= 1
            tracker.finished.emit(label, ok)

    task.add_done_callback(finish)
    return task


def run_in_thread(parent: QWidget, work: Callable[[OpContext], T], **options: Any) -> asyncio.Task[T]:
    """:func:`run_op` for a plain function, run on a worker thread (it may call ``context.progress`` and
    should return early once ``context.cancelled``)."""

    async def threaded(context: OpContext) -> T:
        try:
            return await asyncio.to_thread(work, context)
        except asyncio.CancelledError:
            context.cancel()  # the thread cannot be stopped from outside: it sees the flag and returns
            raise

    return run_op(parent, threaded, **options)
