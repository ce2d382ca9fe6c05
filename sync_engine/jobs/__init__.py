"""One durable job queue for everything the engine runs in the background (no Qt, no web framework).

Sync runs, deal-process timers, directory imports, holiday notices and report schedules are all jobs of
a *kind* in a *lane*; see ``models/jobs.py`` for the tables and each module for its part:
:mod:`.store` (adding, claiming, leases, generations), :mod:`.timers` (schedules and one-shot timers),
:mod:`.effects` (side effects done once), :mod:`.handler` (what a kind does) and :mod:`.worker` (the loops).
"""

from sync_engine.jobs.effects import EffectLog, EffectUncertain
from sync_engine.jobs.handler import JobBatch, JobHandler
from sync_engine.jobs.store import JobStore, Outcome
from sync_engine.jobs.timers import Schedule, TimerStore
from sync_engine.jobs.types import Claim, FiredTimer, JobRow, JobStatus, NewJob, TimerView, retry_backoff
from sync_engine.jobs.worker import JobObserver, JobWorker

__all__ = [
    "Claim", "EffectLog", "EffectUncertain", "FiredTimer", "JobBatch", "JobHandler", "JobObserver", "JobRow",
    "JobStatus", "JobStore", "JobWorker", "NewJob", "Outcome", "Schedule", "TimerStore", "TimerView",
    "retry_backoff",
]
