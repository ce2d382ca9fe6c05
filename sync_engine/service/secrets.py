"""Service-side secrets of a connection: the JIRA webhook signing secret and the Bitrix24 application token.

The database keeps only a reference (``service_secret_refs``); the value lives in the keyring, or in
``B24S_SECRET_<CONNECTION>_<PURPOSE>`` on servers, exactly like connection secrets.
"""

from __future__ import annotations

import os
import secrets
import threading
from collections.abc import Mapping

from models.secret_refs import env_ref, env_var_for
from sync_engine.secrets import SecretError, SecretStore
from sync_engine.service.store import ServiceStore

WEBHOOK_SECRET = "webhook-secret"
APPLICATION_TOKEN = "app-token"
PURPOSES = (WEBHOOK_SECRET, APPLICATION_TOKEN)


def secret_name(connection: str, purpose: str) -> str:
    return f"{connection}-{purpose}"


class ServiceSecrets:
    def __init__(self, store: ServiceStore, secret_store: SecretStore, env: Mapping[str, str] | None = None) -> None:
        self.store = store
        self.secret_store = secret_store
        self._env = env
        self._cache: dict[tuple[str, str], str | None] = {}
        self._lock = threading.Lock()

    def _environ(self) -> Mapping[str, str]:
        return os.environ if self._env is None else self._env

    def env_var(self, connection: str, purpose: str) -> str:
        return env_var_for(secret_name(connection, purpose))

    def get(self, connection: str, purpose: str) -> str | None:
        key = (connection, purpose)
        with self._lock:
            if key in self._cache:
                return self._cache[key]
        ref = self.store.secret_ref(connection, purpose)
        if ref is None and self._environ().get(self.env_var(connection, purpose)):
            ref = env_ref(secret_name(connection, purpose))
        value: str | None = None
        if ref is not None:
            try:
                value = self.secret_store.get(ref)
            except SecretError:
                value = None
        with self._lock:
            self._cache[key] = value
        return value

    def set(self, connection: str, purpose: str, value: str) -> str:
        """Store ``value`` in the keyring (or, failing that, require the env variable); returns the ref."""
        name = secret_name(connection, purpose)
        from_env = self._environ().get(env_var_for(name)) == value
        ref = env_ref(name) if from_env else self.secret_store.put(name, value)
        self.store.set_secret_ref(connection, purpose, ref)
        with self._lock:
            self._cache[(connection, purpose)] = value
        return ref

    def ensure(self, connection: str, purpose: str) -> str:
        """The value, made up (random) and stored the first time: used for our own webhook secrets."""
        value = self.get(connection, purpose)
        if value is None:
            value = secrets.token_urlsafe(32)
            self.set(connection, purpose, value)
        return value

    def known_values(self) -> list[str]:
        """Values resolved so far, for masking in logs."""
        with self._lock:
            return [v for v in self._cache.values() if v]
