"""Where the engine keeps its data (:class:`Settings`) and how it runs (:class:`RuntimeSettings`).

Both are resolved once at start-up (CLI values, environment, a settings file) and passed down; no module
reads the environment or a settings file on its own.
"""

from sync_engine.settings.load import SettingsError, describe, load_settings
from sync_engine.settings.paths import ENV_DATA_DIR, ENV_DATABASE_URL, ENV_SECRET_PREFIX, Settings
from sync_engine.settings.schema import (
    Bitrix24Settings,
    EngineSettings,
    JobsSettings,
    RuntimeSettings,
    ServiceSettings,
    StudioSettings,
)

__all__ = [
    "ENV_DATABASE_URL", "ENV_DATA_DIR", "ENV_SECRET_PREFIX", "Bitrix24Settings", "EngineSettings", "JobsSettings",
    "RuntimeSettings", "ServiceSettings", "Settings", "SettingsError", "StudioSettings", "describe",
    "load_settings",
]
