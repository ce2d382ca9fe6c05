"""Counters and gauges the service exposes at /metrics, in Prometheus' text format.

A handful of labelled counters need no client library; gauges that live in the database (queue
depth, lag) are read when scraped, so every instance reports the shared queue the same way.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

Labels = tuple[tuple[str, str], ...]

HELP: Mapping[str, tuple[str, str]] = {
    "b24s_events_received_total": ("counter", "Inbound events stored, by system and how they arrived"),
    "b24s_events_duplicate_total": ("counter", "Redelivered events dropped by the inbox"),
    "b24s_events_rejected_total": ("counter", "Deliveries refused (bad signature or token, malformed)"),
    "b24s_items_synced_total": ("counter", "Items written or examined by runs, by outcome"),
    "b24s_runs_total": ("counter", "Runs finished, by trigger kind and status"),
    "b24s_conflicts_total": ("counter", "Conflicts found by runs"),
    "b24s_events_skipped_total": ("counter", "Events whose re-read record fired no trigger (no run needed)"),
    "b24s_echoes_suppressed_total": ("counter", "Events that led to no write (our own changes coming back)"),
    "b24s_rate_limit_wait_seconds_total": ("counter", "Seconds spent waiting for the remote rate limit"),
    "b24s_api_calls_total": ("counter", "Remote API calls made by runs, by system"),
    "b24s_event_to_sync_seconds_sum": ("counter", "Sum of event-received-to-run-finished latencies"),
    "b24s_event_to_sync_seconds_count": ("counter", "Number of latencies in the sum"),
    "b24s_queue_depth": ("gauge", "Jobs pending or running"),
    "b24s_inbox_unrouted": ("gauge", "Stored events not yet turned into jobs"),
    "b24s_lag_seconds": ("gauge", "Age of the oldest event still waiting for its run"),
    "b24s_up": ("gauge", "1 while the service runs"),
}


@dataclass
class Metrics:
    _values: dict[tuple[str, Labels], float] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def inc(self, name: str, amount: float = 1.0, **labels: str) -> None:
        key = (name, tuple(sorted(labels.items())))
        with self._lock:
            self._values[key] = self._values.get(key, 0.0) + amount

    def get(self, name: str, **labels: str) -> float:
        with self._lock:
            if labels:
                return self._values.get((name, tuple(sorted(labels.items()))), 0.0)
            return sum(v for (n, _), v in self._values.items() if n == name)

    def render(self, gauges: Callable[[], Mapping[str, float]]) -> str:
        with self._lock:
            values = dict(self._values)
        for name, value in gauges().items():
            values[(name, ())] = value
        lines: list[str] = []
        for name in sorted({n for n, _ in values} | {n for n, (kind, _) in HELP.items() if kind == "counter"}):
            kind, text = HELP.get(name, ("untyped", name))
            lines.append(f"# HELP {name} {text}")
            lines.append(f"# TYPE {name} {kind}")
            series = [(labels, v) for (n, labels), v in values.items() if n == name]
            if not series:
                lines.append(f"{name} 0")
            for labels, v in sorted(series):
                shown = ",".join(f'{k}="{_escape(val)}"' for k, val in labels)
                lines.append(f"{name}{{{shown}}} {_num(v)}" if shown else f"{name} {_num(v)}")
        return "\n".join(lines) + "\n"


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


def _num(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else repr(float(value))
