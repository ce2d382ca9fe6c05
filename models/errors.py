"""Errors raised by the data layer. Messages name what is wrong and never contain secret values."""

from __future__ import annotations


class DataLayerError(Exception):
    """Base class: catch this to turn any data-layer problem into a user-facing message."""


class InvalidFieldError(DataLayerError, ValueError):
    """A value given for a model field is not acceptable (the message says which field and why)."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason


class InvalidSecretRefError(InvalidFieldError):
    """A secret reference is malformed. The offending value is never echoed: it may be the secret itself."""

    def __init__(self, reason: str, field: str = "secret_ref") -> None:
        super().__init__(field, reason)


class DuplicateConnectionError(DataLayerError):
    def __init__(self, name: str) -> None:
        super().__init__(f"a connection named {name!r} already exists; choose another name or delete it first")
        self.name = name


class ConnectionNotFoundError(DataLayerError, LookupError):
    def __init__(self, name: str) -> None:
        super().__init__(f"no connection named {name!r}")
        self.name = name


class DatabaseUrlError(DataLayerError, ValueError):
    """The database URL cannot be used (unparseable or an unsupported backend)."""


class DatabaseUnavailableError(DataLayerError):
    """The database could not be reached or opened."""


class DatabaseTooNewError(DataLayerError):
    """The database was migrated by a newer build; this build must not touch it."""

    def __init__(self, revision: str, known_head: str | None) -> None:
        super().__init__(
            f"the database is at schema revision {revision!r}, which this version of b24-jira-studio does "
            f"not know (newest known revision: {known_head!r}); it was upgraded by a newer version. "
            "Upgrade b24-jira-studio, or point --db / B24S_DATABASE_URL at another database. "
            "The database was left unchanged."
        )
        self.revision = revision
        self.known_head = known_head
