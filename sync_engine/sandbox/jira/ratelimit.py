"""A token bucket per credential, answering like JIRA DC's rate limiter (429 + integer Retry-After)."""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass
class TokenBucket:
    capacity: float
    rate: float  # tokens per second
    tokens: float
    stamp: float


@dataclass
class RateLimiter:
    burst: int = 100
    per_second: float = 20.0
    clock: Callable[[], float] = time.monotonic
    _buckets: dict[str, TokenBucket] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def take(self, who: str) -> tuple[bool, int, float]:
        """(allowed, remaining tokens, seconds until one token is back)."""
        now = self.clock()
        with self._lock:
            b = self._buckets.get(who)
            if b is None:
                b = self._buckets[who] = TokenBucket(self.burst, self.per_second, float(self.burst), now)
            b.tokens = min(b.capacity, b.tokens + (now - b.stamp) * b.rate)
            b.stamp = now
            if b.tokens >= 1:
                b.tokens -= 1
                return True, int(b.tokens), 0.0
            return False, 0, (1 - b.tokens) / b.rate

    def headers(self, remaining: int, wait: float, cloud: bool) -> dict[str, str]:
        out = {"X-RateLimit-Limit": str(self.burst), "X-RateLimit-Remaining": str(remaining),
               "X-RateLimit-FillRate": str(int(self.per_second)), "X-RateLimit-Interval-Seconds": "1"}
        if wait:
            out["Retry-After"] = str(max(1, math.ceil(wait)))
            if cloud:
                reset = time.gmtime(time.time() + max(1.0, wait))
                out["X-RateLimit-Reset"] = time.strftime("%Y-%m-%dT%H:%MZ", reset)
                out["RateLimit-Reason"] = "jira-burst-based"
        return out
