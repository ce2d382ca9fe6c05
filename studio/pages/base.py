"""What every page shares: its context, background operations, and refreshing when what it shows changed."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, TypeVar

from PySide6.QtWidgets import QWidget

from studio.changes import Change
from studio.context import StudioContext
from studio.ops import OpContext, run_in_thread, run_op

if TYPE_CHECKING:
    from studio.backend import Backend

T = TypeVar("T")


class Page(QWidget):
    """A page of the main window. ``watches`` names the changes that make it refresh."""

    watches: Change = Change.NONE

    def __init__(self, ctx: StudioContext) -> None:
        super().__init__()
        self.ctx = ctx
        self._stale = True
        ctx.changes.changed.connect(self._changed)

    @property
    def backend(self) -> Backend:
        return self.ctx.backend

    def op(self, work: Callable[[OpContext], Awaitable[T]], *, label: str, on_done: Callable[[T], Any] | None = None,
           on_error: Callable[[BaseException], Any] | None = None, changes: Change = Change.NONE,
           show_errors: bool = True) -> asyncio.Task[T]:
        return run_op(self, work, label=label, on_done=on_done, on_error=on_error, tracker=self.ctx.ops,
                      hub=self.ctx.changes, changes=changes, show_errors=show_errors)

    def op_in_thread(self, work: Callable[[OpContext], T], *, label: str, on_done: Callable[[T], Any] | None = None,
                     changes: Change = Change.NONE) -> asyncio.Task[T]:
        return run_in_thread(self, work, label=label, on_done=on_done, tracker=self.ctx.ops, hub=self.ctx.changes,
                             changes=changes)

    # -- refreshing --------------------------------------------------------------------------------------
    def activate(self) -> None:
        """The page is shown: refresh what went stale while it was hidden."""
        if self._stale:
            self._stale = False
            self.refresh()

    def refresh(self) -> None:
        """Load what the page shows (subclasses)."""

    def on_changes(self, change: Change) -> None:
        """Something this page watches changed while it is shown; by default, load again."""
        self.refresh()

    def _changed(self, change: Change, sender: Any) -> None:
        if not change & self.watches:
            return
        if self.isVisible():
            self.on_changes(change)
        else:
            self._stale = True
