"""A twin's record of the changes it committed, with wall-clock times, read at ``GET /_sandbox/journal``.

Benchmarks time a change from the moment one twin committed it to the moment the other twin committed
its mirror. Polling the public API for that would spend the very rate limit being measured, and a
webhook receiver would add the twin's delivery queue to every figure; the journal costs neither.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Journal:
    capacity: int = 100_000  # the oldest go first; a reader polling every few seconds misses none
    _entries: deque[dict[str, Any]] = field(default_factory=deque, repr=False)
    _seq: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def record(self, **entry: Any) -> None:
        with self._lock:
            self._seq += 1
            self._entries.append({"seq": self._seq, "at": time.time(), **entry})
            while len(self._entries) > self.capacity:
                self._entries.popleft()

    def since(self, after: int, limit: int) -> dict[str, Any]:
        """Entries with ``seq > after`` (oldest first, at most ``limit``); ``lost`` says older ones were dropped."""
        with self._lock:
            first = self._entries[0]["seq"] if self._entries else self._seq + 1
            start = max(0, after + 1 - first)
            out = [self._entries[i] for i in range(start, min(len(self._entries), start + limit))]
            return {"entries": out, "last": self._seq, "lost": after + 1 < first and after < self._seq}
