"""Storing and resolving connection secrets (API tokens, passwords, webhook URLs).

The database holds only references (see :mod:`models.secret_refs`). A secret lives in the operating
system keyring, or, on machines without one (servers, CI, containers), in an environment variable
``B24S_SECRET_<NAME>``. Secret values never appear in exceptions, reprs or logs: errors from keyring
backends are reported by type only, since their messages could quote what was being stored.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Literal, TypeVar

from keyring.backend import KeyringBackend
from keyring.backends import fail
from keyring.errors import PasswordDeleteError

from models.secret_refs import KEYRING_SERVICE, SecretRef, env_ref, env_var_for, keyring_ref, parse_secret_ref

log = logging.getLogger(__name__)
T = TypeVar("T")

__all__ = [
    "KEYRING_SERVICE",
    "SecretError",
    "SecretNotFoundError",
    "SecretStore",
    "SecretUnavailableError",
    "env_var_for",
]


class SecretError(Exception):
    """Base class for secret-store problems; messages never contain secret values."""


class SecretUnavailableError(SecretError):
    """No working keyring: the user has to supply the secret through an environment variable."""

    def __init__(self, name: str, detail: str) -> None:
        self.env_var = env_var_for(name)
        super().__init__(
            f"cannot use the system keyring for connection {name!r} ({detail}). "
            f"Set the environment variable {self.env_var} to the secret instead and use the "
            f"reference {env_ref(name)!r}."
        )


class SecretNotFoundError(SecretError, LookupError):
    """The reference is well-formed but nothing is stored under it."""


def _attempt(action: Callable[[], T], ignore: type[Exception] | None = None) -> tuple[T | None, str | None]:
    """Run a keyring call; return its result, or on failure only the exception's type name.

    The exception object is dropped here, so the error the caller raises afterwards has no
    ``__context__`` through which a backend message quoting the secret could leak.
    """
    try:
        return action(), None
    except Exception as exc:
        if ignore is not None and isinstance(exc, ignore):
            return None, None
        return None, type(exc).__name__


class SecretStore:
    """Puts secrets into a keyring and resolves ``keyring:`` / ``env:`` references.

    ``backend`` defaults to :func:`keyring.get_keyring` (chosen lazily, on first use); ``env`` defaults
    to :data:`os.environ` read at call time. Both are injectable so tests need no real keyring.
    """

    def __init__(
        self,
        backend: KeyringBackend | None = None,
        env: Mapping[str, str] | None = None,
        service: str = KEYRING_SERVICE,
    ) -> None:
        self._backend = backend
        self._env = env
        self.service = service

    def __repr__(self) -> str:
        backend = "system default" if self._backend is None else type(self._backend).__name__
        return f"SecretStore(service={self.service!r}, backend={backend})"

    @staticmethod
    def env_var_for(name: str) -> str:
        return env_var_for(name)

    def _keyring(self, name: str) -> KeyringBackend:
        if self._backend is None:
            import keyring

            loaded, failure = _attempt(keyring.get_keyring)
            if loaded is None:
                raise SecretUnavailableError(name, f"keyring failed to load: {failure}")
            self._backend = loaded
        if isinstance(self._backend, fail.Keyring):
            raise SecretUnavailableError(name, "no keyring backend is available on this system")
        return self._backend

    def _environ(self) -> Mapping[str, str]:
        return os.environ if self._env is None else self._env

    def put(self, name: str, secret: str) -> str:
        """Store ``secret`` for connection ``name`` in the keyring; return the reference to save."""
        if not name or not name.strip():
            raise ValueError("connection name is empty")
        if not isinstance(secret, str) or not secret:
            raise ValueError(f"the secret for connection {name!r} is empty")
        backend = self._keyring(name)
        _, failure = _attempt(lambda: backend.set_password(self.service, name, secret))
        if failure is not None:
            raise SecretUnavailableError(name, f"storing failed: {failure}")
        log.info("stored the secret of connection %r in the keyring (%s)", name, type(backend).__name__)
        return keyring_ref(name, self.service)

    def get(self, ref: str) -> str:
        """Resolve a reference to the secret. Raises SecretNotFoundError / SecretUnavailableError."""
        parsed = parse_secret_ref(ref)
        if parsed.kind == "env":
            value = self._environ().get(parsed.key)
            if not value:
                raise SecretNotFoundError(f"environment variable {parsed.key} is not set (needed for {parsed})")
            return value
        return self._get_keyring(parsed)

    def _get_keyring(self, parsed: SecretRef) -> str:
        assert parsed.service is not None
        backend = self._keyring(parsed.key)
        service = parsed.service
        value, failure = _attempt(lambda: backend.get_password(service, parsed.key))
        if failure is not None:
            raise SecretUnavailableError(parsed.key, f"reading failed: {failure}")
        if value is None:
            raise SecretNotFoundError(
                f"nothing is stored in the keyring for {parsed}; store the secret again, or set "
                f"{env_var_for(parsed.key)} and use {env_ref(parsed.key)!r}"
            )
        return value

    def location(self, ref: str) -> tuple[Literal["keyring", "file", "env"], str]:
        """Where the secret behind ``ref`` is kept, for people: (``keyring``, ``file`` or ``env``; the detail).

        The reference alone cannot tell: a ``keyring:`` reference is served by whichever backend this store
        uses, the system keyring or (where none exists) the private file.
        """
        parsed = parse_secret_ref(ref)
        if parsed.kind == "env":
            return "env", f"environment variable {parsed.key}"
        backend = self._backend
        file_path = getattr(backend, "file_path", None) if backend is not None else None
        if file_path:
            return "file", f"private file {file_path}"
        return "keyring", "system keyring" if backend is None else f"system keyring ({type(backend).__name__})"

    def delete(self, ref: str) -> None:
        """Forget a keyring secret (already absent is fine). ``env:`` refs are left alone: not ours to unset."""
        parsed = parse_secret_ref(ref)
        if parsed.kind == "env":
            return
        assert parsed.service is not None
        backend = self._keyring(parsed.key)
        service = parsed.service
        _, failure = _attempt(lambda: backend.delete_password(service, parsed.key), ignore=PasswordDeleteError)
        if failure is not None:
            raise SecretUnavailableError(parsed.key, f"deleting failed: {failure}")
        log.info("deleted the keyring secret %s", parsed)


SECRET_STORE_ENV = "B24S_SECRET_STORE"  # auto (default) | system | file


def _private_file_keyring(path: Path) -> KeyringBackend:
    """keyrings.alt's plaintext file, kept readable by its owner only: the documented alternative
    for machines without a keyring service (servers, containers, CI)."""
    from keyrings.alt.file import PlaintextKeyring

    class PrivateFileKeyring(PlaintextKeyring):
        def set_password(self, service: str, username: str, password: str) -> None:
            path.parent.mkdir(parents=True, exist_ok=True)
            if not path.exists():
                os.close(os.open(path, os.O_WRONLY | os.O_CREAT, 0o600))
            super().set_password(service, username, password)
            os.chmod(path, 0o600)

    ring = PrivateFileKeyring()
    ring.file_path = str(path)
    return ring


def choose_backend(mode: str, data_dir: Path, warn: Callable[[str], None] | None = None) -> KeyringBackend | None:
    """The keyring backend for ``mode``: None means the system keyring (chosen lazily).

    ``auto`` uses the system keyring when one works, else the private file in ``data_dir`` and says so.
    """
    mode = (mode or "auto").strip().lower()
    if mode not in ("auto", "system", "file"):
        raise ValueError(f"{SECRET_STORE_ENV} must be auto, system or file, not {mode!r}")
    if mode == "system":
        return None
    path = data_dir / "secrets.cfg"
    if mode == "file":
        return _private_file_keyring(path)
    import keyring

    loaded, _ = _attempt(keyring.get_keyring)
    # keyrings.alt's own file backends are not an OS keyring: prefer our private file, and say so.
    if loaded is not None and not isinstance(loaded, fail.Keyring) and not type(loaded).__module__.startswith(
        "keyrings.alt"
    ):
        return loaded
    if warn is not None:
        warn(f"no system keyring is available: secrets are kept in {path} (readable only by you); "
             f"on servers prefer B24S_SECRET_<NAME> environment variables")
    return _private_file_keyring(path)
