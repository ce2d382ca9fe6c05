"""The portal's two throttles: the leaky bucket per portal and source address, and the operating-time limit
per method."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field


@dataclass
class LimitSettings:
    enabled: bool = True
    burst: int = 50  # X: requests above this level get 503
    drain_per_s: float = 2.0  # Y: leak rate
    operating_limit_s: float = 480.0  # per method per app/webhook over 10 minutes


@dataclass
class Bucket:
    level: float = 0.0
    last: float = field(default_factory=time.monotonic)


@dataclass
class Limits:
    settings: LimitSettings = field(default_factory=LimitSettings)
    _buckets_by_source: dict[str, Bucket] = field(default_factory=dict)
    _operating: dict[tuple[str, str], dict[int, float]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def take(self, source: str = "") -> bool:
        """Admit one HTTP request (a batch is one); False means 503 QUERY_LIMIT_EXCEEDED.

        The bucket is the portal's per source address, as on the real portal: apps on one server
        share it, a client elsewhere has its own."""
        if not self.settings.enabled:
            return True
        with self._lock:
            now = time.monotonic()
            bucket = self._buckets_by_source.setdefault(source, Bucket(0.0, now))
            bucket.level = max(0.0, bucket.level - (now - bucket.last) * self.settings.drain_per_s)
            bucket.last = now
            if bucket.level + 1 > self.settings.burst:
                return False
            bucket.level += 1
            return True

    def _buckets(self, principal: str, method: str, now: float) -> dict[int, float]:
        buckets = self._operating.setdefault((principal, method), {})
        current = int(now // 60)
        for minute in [m for m in buckets if m <= current - 10]:
            del buckets[minute]
        return buckets

    def operating(self, principal: str, method: str) -> tuple[float, int]:
        """Accumulated seconds of ``method`` in the last 10 minutes and when the oldest minute drops."""
        now = time.time()
        with self._lock:
            buckets = self._buckets(principal, method, now)
            total = sum(buckets.values())
            oldest = min(buckets) if buckets else int(now // 60)
        return total, oldest * 60 + 600

    def blocked(self, principal: str, method: str) -> bool:
        if not self.settings.enabled:
            return False
        return self.operating(principal, method)[0] > self.settings.operating_limit_s

    def record(self, principal: str, method: str, seconds: float) -> None:
        now = time.time()
        with self._lock:
            buckets = self._buckets(principal, method, now)
            minute = int(now // 60)
            buckets[minute] = buckets.get(minute, 0.0) + seconds

    def reset(self) -> None:
        with self._lock:
            self._buckets_by_source.clear()
            self._operating.clear()
