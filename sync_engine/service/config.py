"""The service's settings: the ``service`` section of the runtime settings, with its old names.

``ServiceConfig`` is :class:`~sync_engine.settings.schema.ServiceSettings`; ``load_config`` reads a settings
file (sections, or the service's keys at the top level as before) with command-line values over it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sync_engine.settings.load import SettingsError, load_settings
from sync_engine.settings.schema import RuntimeSettings, ServiceSettings

ServiceConfig = ServiceSettings
ConfigError = SettingsError


def load_runtime(path: str | None, overrides: Mapping[str, Any], env: Mapping[str, str] | None = None
                 ) -> RuntimeSettings:
    """All settings of a ``b24sync serve`` process; ``overrides`` are its command-line service values."""
    return load_settings(path, env=env, overrides={"service": dict(overrides)})


def load_config(path: str | None, overrides: Mapping[str, Any]) -> ServiceSettings:
    return load_runtime(path, overrides).service
