"""What time it is, injected: the queue, timers and processes ask a :class:`Clock`, never ``datetime.now``.

Tests and rehearsals run 90 days of a deal's protection in seconds by giving a :class:`ManualClock`
(in one process) or an :class:`OffsetFileClock` (a service in another process, moved by writing a file).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime:
        """The current instant, timezone-aware (UTC)."""


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class ManualClock:
    """Stands still until moved (``advance``/``set``); for tests in one process."""

    def __init__(self, start: datetime | None = None) -> None:
        self._now = (start or datetime.now(UTC)).astimezone(UTC)

    def now(self) -> datetime:
        return self._now

    def set(self, when: datetime) -> None:
        if when.tzinfo is None:
            raise ValueError("ManualClock.set needs an aware datetime")
        self._now = when.astimezone(UTC)

    def advance(self, delta: timedelta) -> datetime:
        self._now += delta
        return self._now


class OffsetFileClock:
    """The system time plus the offset in seconds written in ``path`` (read at every call; absent = 0).

    For a rehearsal or a test of a service in another process: write ``86400`` and the service lives a
    day ahead. Only ever used when a deployment names the file (setting ``service.clock_offset_file``).
    """

    def __init__(self, path: Path) -> None:
        self.path = path

    def offset(self) -> timedelta:
        try:
            text = self.path.read_text(encoding="utf-8").strip()
        except FileNotFoundError:
            return timedelta(0)
        try:
            return timedelta(seconds=float(text or 0))
        except ValueError:
            raise ValueError(f"clock offset file {self.path} must hold a number of seconds, not {text!r}") from None

    def now(self) -> datetime:
        return datetime.now(UTC) + self.offset()
