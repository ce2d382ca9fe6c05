"""The grammar of secret references stored in the database instead of secrets.

Kept in the data layer (not next to the keyring code) because the database must be able to refuse a
literal secret without importing a keyring backend. Resolution lives in :mod:`sync_engine.secrets`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from models.errors import InvalidSecretRefError

KEYRING_SERVICE = "b24-jira-studio"
KEYRING_PREFIX = "keyring:"
ENV_PREFIX = "env:"
SECRET_ENV_PREFIX = "B24S_SECRET_"
MAX_REF_LENGTH = 512

_ENV_VAR_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_NON_ENV_CHARS_RE = re.compile(r"[^A-Z0-9]")
_FORMAT_HELP = "expected 'keyring:<service>/<name>' or 'env:<VARIABLE>'"


@dataclass(frozen=True)
class SecretRef:
    """A parsed reference. ``kind`` is "keyring" (service + key) or "env" (key is the variable name)."""

    kind: Literal["keyring", "env"]
    key: str
    service: str | None = None

    def __str__(self) -> str:
        if self.kind == "env":
            return f"{ENV_PREFIX}{self.key}"
        return f"{KEYRING_PREFIX}{self.service}/{self.key}"


def env_var_for(name: str) -> str:
    """Environment variable that may hold the secret of connection ``name``: B24S_SECRET_<NAME>.

    Upper-cased, every character other than A-Z/0-9 becomes "_" (so names differing only in punctuation
    share a variable; connection names are expected to be simple slugs such as "jira-demo").
    """
    if not name or not name.strip():
        raise ValueError("connection name is empty")
    return SECRET_ENV_PREFIX + _NON_ENV_CHARS_RE.sub("_", name.strip().upper())


def keyring_ref(name: str, service: str = KEYRING_SERVICE) -> str:
    return str(SecretRef(kind="keyring", key=name, service=service))


def env_ref(name: str) -> str:
    """The ``env:`` reference for connection ``name``."""
    return f"{ENV_PREFIX}{env_var_for(name)}"


def parse_secret_ref(value: object, field: str = "secret_ref") -> SecretRef:
    """Parse and validate a reference; raise :class:`InvalidSecretRefError` without echoing ``value``."""
    if not isinstance(value, str):
        raise InvalidSecretRefError(f"must be a string ({_FORMAT_HELP})", field)
    if len(value) > MAX_REF_LENGTH:
        raise InvalidSecretRefError(f"longer than {MAX_REF_LENGTH} characters ({_FORMAT_HELP})", field)
    if value != value.strip() or any(ch.isspace() or not ch.isprintable() for ch in value):
        raise InvalidSecretRefError(f"contains whitespace or control characters ({_FORMAT_HELP})", field)
    if value.startswith(ENV_PREFIX):
        var = value[len(ENV_PREFIX) :]
        if not _ENV_VAR_RE.fullmatch(var):
            raise InvalidSecretRefError(
                "'env:' must be followed by an environment variable name (letters, digits, '_'), "
                "e.g. env:B24S_SECRET_JIRA_DEMO",
                field,
            )
        return SecretRef(kind="env", key=var)
    if value.startswith(KEYRING_PREFIX):
        service, sep, key = value[len(KEYRING_PREFIX) :].partition("/")
        if not sep or not service or not key:
            raise InvalidSecretRefError(
                f"'keyring:' must be followed by '<service>/<name>', e.g. keyring:{KEYRING_SERVICE}/jira-demo",
                field,
            )
        return SecretRef(kind="keyring", key=key, service=service)
    raise InvalidSecretRefError(
        f"{_FORMAT_HELP}; store the secret itself in the system keyring or an environment variable "
        "(the value given is not shown in case it is a secret)",
        field,
    )
