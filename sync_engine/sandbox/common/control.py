"""What the admin endpoint of a twin steers: injected faults and API-call counters.

Both twins share this so that tests and benchmarks read calls and inject outages the same way on
either side. The twin supplies how a request is named (``method_key``) and how its system says
"server error" and "slow down" (``error_response`` / ``limit_response``).
"""

from __future__ import annotations

import random
import threading
from collections import Counter
from dataclasses import asdict, dataclass, field
from typing import Any

from sync_engine.sandbox.common.journal import Journal


@dataclass
class Faults:
    """Shares are probabilities in [0, 1] drawn per request; latency is added before answering."""

    latency_ms: int = 0
    error_rate: float = 0.0
    limit_rate: float = 0.0
    drop_rate: float = 0.0
    seed: int | None = None

    def validate(self) -> None:
        for name in ("error_rate", "limit_rate", "drop_rate"):
            value = getattr(self, name)
            if not 0.0 <= value <= 1.0:
                raise ValueError(f"{name} must be between 0 and 1, got {value!r}")
        if self.latency_ms < 0:
            raise ValueError(f"latency_ms must be >= 0, got {self.latency_ms!r}")


@dataclass
class TwinControl:
    """Per-twin mutable control state; thread-safe because tests read it from other threads."""

    admin_token: str
    faults: Faults = field(default_factory=Faults)
    calls: Counter[str] = field(default_factory=Counter)
    subcalls: Counter[str] = field(default_factory=Counter)
    injected: Counter[str] = field(default_factory=Counter)
    journal: Journal = field(default_factory=Journal)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _rng: random.Random = field(default_factory=random.Random, repr=False)

    def count(self, key: str) -> None:
        with self._lock:
            self.calls[key] += 1

    def count_subcall(self, key: str) -> None:
        with self._lock:
            self.subcalls[key] += 1

    def set_faults(self, faults: Faults) -> None:
        faults.validate()
        with self._lock:
            self.faults = faults
            self._rng = random.Random(faults.seed)

    def draw(self) -> str | None:
        """Decide the fault for one request: 'drop', 'error', 'limit' or None."""
        with self._lock:
            f = self.faults
            roll = self._rng.random()
            for kind, share in (("drop", f.drop_rate), ("error", f.error_rate), ("limit", f.limit_rate)):
                if roll < share:
                    self.injected[kind] += 1
                    return kind
                roll -= share
            return None

    def reset_counters(self) -> None:
        with self._lock:
            self.calls.clear()
            self.subcalls.clear()
            self.injected.clear()

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            return {
                "total": sum(self.calls.values()),
                "by_method": dict(self.calls),
                "subcalls": dict(self.subcalls),
                "injected": dict(self.injected),
                "faults": asdict(self.faults),
            }
