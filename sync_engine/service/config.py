"""The service's settings: command-line values over an optional YAML file over defaults."""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml

from sync_engine.clock import Clock, OffsetFileClock, SystemClock


class ConfigError(ValueError):
    """A setting is wrong; the message names it."""


@dataclass(frozen=True)
class ServiceConfig:
    host: str = "127.0.0.1"
    port: int = 8765
    public_url: str | None = None  # where JIRA and Bitrix24 reach us; none: no online registrations
    instance_id: str = field(default_factory=lambda: f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}")
    workers: int = 2  # profiles run at once by this instance; 0: receive and store only
    lease_seconds: float = 30.0
    poll_seconds: float = 0.5  # how often idle workers look for jobs other instances queued
    debounce_seconds: float = 0.3  # a burst of events for one profile within this becomes one run
    stop_timeout_seconds: float = 20.0  # SIGTERM: let in-flight runs finish this long, then release them
    register: bool = True  # reconcile webhook registrations at start
    bitrix24_offline: bool = False  # subscribe to offline events and poll them (for hosts without a public URL)
    offline_poll_seconds: float = 5.0
    max_attempts: int = 5
    log_level: str = "INFO"
    json_logs: bool = True
    run_requests: int = 2  # Bitrix24 requests of a typical event run (one read of records and partners, one write)
    job_plugins: tuple[str, ...] = ()  # extra job kinds, "module:factory" each
    clock_offset_file: str | None = None  # rehearsals and tests: the service lives this many seconds ahead

    def clock(self) -> Clock:
        return OffsetFileClock(Path(self.clock_offset_file)) if self.clock_offset_file else SystemClock()

    def validate(self) -> ServiceConfig:
        if not 0 <= self.port <= 65535:
            raise ConfigError(f"port must be 0..65535, not {self.port}")
        if self.public_url is not None:
            parts = urlsplit(self.public_url)
            if parts.scheme not in ("http", "https") or not parts.netloc:
                raise ConfigError(f"public_url must be an absolute http(s) URL, not {self.public_url!r}")
        if self.workers < 0:
            raise ConfigError("workers must be >= 0")
        for name in ("lease_seconds", "poll_seconds", "offline_poll_seconds"):
            if getattr(self, name) <= 0:
                raise ConfigError(f"{name} must be > 0")
        if self.debounce_seconds < 0 or self.stop_timeout_seconds < 0:
            raise ConfigError("debounce_seconds and stop_timeout_seconds must be >= 0")
        if self.max_attempts < 1:
            raise ConfigError("max_attempts must be >= 1")
        if self.run_requests < 0:
            raise ConfigError("run_requests must be >= 0")
        return self

    @property
    def offline_mode(self) -> bool:
        return self.bitrix24_offline or self.public_url is None


def load_config(path: str | None, overrides: Mapping[str, Any]) -> ServiceConfig:
    """YAML file keys are the field names above; ``overrides`` (CLI values, None = unset) win."""
    values: dict[str, Any] = {}
    if path:
        file = Path(path)
        try:
            doc = yaml.safe_load(file.read_text(encoding="utf-8")) or {}
        except OSError as exc:
            raise ConfigError(f"cannot read config file {path}: {exc.strerror}") from None
        except yaml.YAMLError as exc:
            raise ConfigError(f"config file {path} is not valid YAML: {exc}") from None
        if not isinstance(doc, dict):
            raise ConfigError(f"config file {path} must hold a mapping of settings")
        known = {f.name for f in fields(ServiceConfig)}
        unknown = sorted(set(doc) - known)
        if unknown:
            raise ConfigError(f"config file {path}: unknown setting(s) {', '.join(unknown)}")
        values.update(doc)
    values.update({k: v for k, v in overrides.items() if v is not None})
    if isinstance(values.get("job_plugins"), list):
        values["job_plugins"] = tuple(str(v) for v in values["job_plugins"])
    try:
        config = replace(ServiceConfig(), **values)
    except TypeError as exc:
        raise ConfigError(str(exc)) from None
    for f in fields(ServiceConfig):
        value = getattr(config, f.name)
        if f.name in ("public_url",) and value is not None:
            config = replace(config, public_url=str(value).rstrip("/"))
    return config.validate()
