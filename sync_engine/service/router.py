"""Stored webhook deliveries become sync jobs: each event is queued for every profile it concerns.

A delivery is a hint (the run reads the record again), so routing only decides *which* profiles to
wake; whether a trigger's conditions hold is decided right before the run (``SyncJobHandler``). The
job is due ``debounce_seconds`` after the event, so a burst for one profile lands in one run.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import timedelta

from sync_engine.jobs import JobStore, NewJob
from sync_engine.service.config import ServiceConfig
from sync_engine.service.routing import RoutedProfile, route
from sync_engine.service.store import ServiceStore
from sync_engine.service.sync_jobs import SYNC


class Router:
    def __init__(self, inbox: ServiceStore, jobs: JobStore, config: ServiceConfig,
                 routes: Callable[[], Sequence[RoutedProfile]]) -> None:
        self.inbox = inbox
        self.jobs = jobs
        self.config = config
        self.routes = routes

    def route_batch(self, limit: int = 200) -> int:
        """Route up to ``limit`` stored events in one transaction; how many were taken."""
        routes = list(self.routes())
        with self.inbox.write_tx() as conn:
            rows = self.inbox.inbox_claim(conn, limit)
            new: list[NewJob] = []
            routed: list[int] = []
            dropped: list[int] = []
            for row in rows:
                names = route(routes, row.connection, row.payload)
                (routed if names else dropped).append(row.id)
                due = row.received_at + timedelta(seconds=self.config.debounce_seconds)
                for name in names:
                    new.append(NewJob(SYNC, name, {"trigger": "event", "events": [dict(row.payload)]}, due,
                                      origin="event", received_at=row.received_at,
                                      max_attempts=self.config.max_attempts))
            self.inbox.inbox_mark(conn, routed, "routed")
            self.inbox.inbox_mark(conn, dropped, "dropped", "no enabled profile has a trigger for this event")
            if new:
                self.jobs.add(new, conn)
        return len(rows)
