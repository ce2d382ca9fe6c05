"""What changed, announced to every page: pages refresh themselves instead of being told by each other.

After an operation succeeds, :func:`studio.ops.run_op` announces the :class:`Change` it made (a saved profile,
a finished run...), and so does the backend's live event stream for changes made elsewhere (the sync
service, another studio). A page listens for the kinds it shows; a hidden page only notes that it is stale
and refreshes when it is shown (as Anki's ``OpChanges`` and ``refresh_if_needed`` do).
"""

from __future__ import annotations

from enum import Flag, auto
from typing import Any

from PySide6.QtCore import QObject, Signal


class Change(Flag):
    NONE = 0
    CONNECTIONS = auto()
    PROFILES = auto()
    RUNS = auto()
    CONFLICTS = auto()
    JOBS = auto()


# Live events of the engine and the service, and what they change.
EVENT_CHANGES: dict[str, Change] = {
    "run.started": Change.RUNS, "run.finished": Change.RUNS | Change.CONFLICTS, "run.failed": Change.RUNS,
    "conflict.resolved": Change.CONFLICTS, "profiles.reloaded": Change.PROFILES, "timer.fired": Change.JOBS,
    "job.finished": Change.JOBS,
}


class ChangeHub(QObject):
    changed = Signal(object, object)  # Change, the sender (or None)
    live_event = Signal(object)  # a live event of the engine or the service, as it arrives

    def announce(self, change: Change, sender: Any = None) -> None:
        if change:
            self.changed.emit(change, sender)

    def announce_event(self, event: dict[str, Any]) -> None:
        self.live_event.emit(event)
        self.announce(EVENT_CHANGES.get(str(event.get("type")), Change.NONE), None)
