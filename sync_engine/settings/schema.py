"""Every runtime setting, declared once: its section, name, type, default and what it is for.

As qutebrowser's ``configdata.yml`` does for its settings, this one schema is the single place a tunable
is declared; the service's YAML file, ``b24sync settings``, the generated ``docs/settings.md`` and the
code all read it. Values are injected (the workspace, the service and the studio receive a
:class:`RuntimeSettings`), never read from module constants. Facts about the remote APIs (JIRA's bulk
create takes 50 issues, Bitrix24 pages by 50) are not settings: they stay constants beside the code
that speaks those APIs.
"""

from __future__ import annotations

import os
import socket
import uuid
from pathlib import Path
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from sync_engine.clock import Clock, OffsetFileClock, SystemClock


class Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, validate_default=True)


class EngineSettings(Section):
    """How the sync engine runs profiles (CLI, studio and service alike)."""

    metadata_max_age_s: float = Field(300.0, gt=0, description=(
        "Field metadata (fields, stages, currencies) of a profile's sides is read again once this old: a "
        "describe costs a Bitrix24 portal two requests, so a service running a small run a second would "
        "otherwise spend its budget describing fields that change a few times a year."))
    cursor_overlap_s: float = Field(120.0, ge=0, description=(
        "An incremental read starts this long before the previous read began, so a record changed while "
        "it ran (or in the same JIRA minute) is read again; re-reads are cheap, unchanged records are "
        "recognised from their shadows."))
    item_retry_base_s: float = Field(30.0, gt=0, description=(
        "A record whose sync failed is retried after this long, doubling with each failure."))
    item_retry_cap_s: float = Field(3600.0, gt=0, description="The longest wait before a failed record is retried.")


class Bitrix24Settings(Section):
    """The client-side pace of every connector to one portal (one bucket per portal in a process)."""

    rate_per_s: float = Field(2.0, gt=0, description=(
        "Requests per second the portal drains from its bucket (2 on all but the enterprise plans)."))
    burst: int = Field(50, ge=1, description="Requests the portal's bucket holds (50 on all but the enterprise plans).")


class JobsSettings(Section):
    """The durable job queue (sync runs, timers, imports, reports)."""

    retry_base_s: float = Field(5.0, gt=0, description=(
        "A job that failed for a passing reason (an outage) is tried again after this long, doubling per attempt."))
    retry_cap_s: float = Field(600.0, gt=0, description="The longest wait before a failed job is tried again.")


def _instance_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


class ServiceSettings(Section):
    """``b24sync serve``: where it listens, how many profiles it runs at once, how it shares work."""

    host: str = Field("127.0.0.1", description="Address to listen on.")
    port: int = Field(8765, ge=0, le=65535, description="Port to listen on (0: any free port).")
    public_url: str | None = Field(None, description=(
        "Where JIRA and Bitrix24 reach this service (used to register webhooks); none: no online "
        "registrations, Bitrix24 offline events are polled instead."))
    instance_id: str = Field(default_factory=_instance_id, description=(
        "This instance's name in leases and logs (default: host:pid:random)."))
    workers: int = Field(2, ge=0, description="Lanes (profiles) this instance runs at once; 0: receive and store only.")
    lease_seconds: float = Field(30.0, gt=0, description=(
        "A held lane is renewed every third of this; an instance that stops renewing loses its lanes after it."))
    poll_seconds: float = Field(0.5, gt=0, description="How often idle workers look for jobs other instances queued.")
    debounce_seconds: float = Field(0.3, ge=0, description=(
        "A burst of events for one profile within this becomes one run."))
    stop_timeout_seconds: float = Field(20.0, ge=0, description=(
        "On SIGTERM, running work may finish for this long; the rest is handed back to the queue."))
    register_webhooks: bool = Field(True, description="Reconcile webhook registrations at start.")
    bitrix24_offline: bool = Field(False, description=(
        "Subscribe to Bitrix24 offline events and poll them (for hosts the portal cannot reach)."))
    offline_poll_seconds: float = Field(5.0, gt=0, description="How often offline events are polled.")
    max_attempts: int = Field(5, ge=1, description="Attempts of an event's sync job before it fails for good.")
    log_level: str = Field("INFO", description="Python log level of the service's log.")
    json_logs: bool = Field(True, description="One JSON object per log line (else human-readable lines).")
    run_requests: int = Field(2, ge=0, description=(
        "Bitrix24 requests a typical event run makes (one read of records and partners, one write); a worker "
        "waits for the portal's bucket to hold them before the run rather than inside it."))
    max_hook_body_bytes: int = Field(2_000_000, ge=1024, description="Larger webhook deliveries are refused (413).")
    job_plugins: tuple[str, ...] = Field((), description=(
        "Extra job kinds, each 'module:factory' (the factory takes the service and returns a JobHandler)."))
    clock_offset_file: str | None = Field(None, description=(
        "Rehearsals and tests only: the service lives as many seconds ahead as this file says."))

    @field_validator("public_url")
    @classmethod
    def _public_url(cls, value: str | None) -> str | None:
        if value is None:
            return None
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError(f"public_url must be an absolute http(s) URL, not {value!r}")
        return value.rstrip("/")

    @property
    def offline_mode(self) -> bool:
        return self.bitrix24_offline or self.public_url is None

    def clock(self) -> Clock:
        return OffsetFileClock(Path(self.clock_offset_file)) if self.clock_offset_file else SystemClock()


class StudioSettings(Section):
    """The desktop studio."""

    monitor_refresh_s: float = Field(10.0, gt=0, description=(
        "While the monitor is shown it also looks for runs made elsewhere (another process on the same "
        "database) this often; the studio's own runs and a sync service's events update it at once."))


class RuntimeSettings(Section):
    engine: EngineSettings = Field(default_factory=EngineSettings)
    bitrix24: Bitrix24Settings = Field(default_factory=Bitrix24Settings)
    jobs: JobsSettings = Field(default_factory=JobsSettings)
    service: ServiceSettings = Field(default_factory=ServiceSettings)
    studio: StudioSettings = Field(default_factory=StudioSettings)

    @model_validator(mode="after")
    def _sane(self) -> RuntimeSettings:
        if self.engine.item_retry_cap_s < self.engine.item_retry_base_s:
            raise ValueError("engine.item_retry_cap_s must not be below engine.item_retry_base_s")
        if self.jobs.retry_cap_s < self.jobs.retry_base_s:
            raise ValueError("jobs.retry_cap_s must not be below jobs.retry_base_s")
        return self


SECTIONS: tuple[str, ...] = tuple(RuntimeSettings.model_fields)
