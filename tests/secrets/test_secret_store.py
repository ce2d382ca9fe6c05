"""SecretStore against an in-memory keyring backend, the environment, and keyrings that do not work."""

from __future__ import annotations

import logging
import re
import traceback

import pytest
from keyring.backend import KeyringBackend
from keyring.backends import fail
from keyring.errors import PasswordDeleteError

from models.connections import Connection
from sync_engine.secrets import SecretNotFoundError, SecretStore, SecretUnavailableError, env_var_for

SECRET = "ATATT3x-very-secret-token-9f8e7d"


class MemoryKeyring(KeyringBackend):
    """A working keyring held in a dict: a real backend implementation, just not persistent."""

    priority = 1

    def __init__(self) -> None:
        super().__init__()
        self.store: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.store.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.store[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        if self.store.pop((service, username), None) is None:
            raise PasswordDeleteError("not found")


class LockedKeyring(MemoryKeyring):
    """A backend that exists but fails on use (e.g. a locked Secret Service) and quotes its input."""

    def set_password(self, service: str, username: str, password: str) -> None:
        raise RuntimeError(f"collection locked while storing {password}")

    def get_password(self, service: str, username: str) -> str | None:
        raise RuntimeError("collection locked")


def _everything_said(exc: BaseException) -> str:
    return str(exc) + repr(exc) + "".join(traceback.format_exception(exc))


def test_round_trip_through_keyring() -> None:
    backend = MemoryKeyring()
    store = SecretStore(backend=backend, env={})
    ref = store.put("jira-demo", SECRET)
    assert ref == "keyring:b24-jira-studio/jira-demo"
    assert backend.store == {("b24-jira-studio", "jira-demo"): SECRET}
    assert store.get(ref) == SECRET
    assert Connection(secret_ref=ref).secret_ref == ref  # what put() returns is storable

    store.delete(ref)
    assert backend.store == {}
    with pytest.raises(SecretNotFoundError, match="B24S_SECRET_JIRA_DEMO") as info:
        store.get(ref)
    assert SECRET not in _everything_said(info.value)
    store.delete(ref)  # already gone: fine


def test_env_references_resolve_from_injected_environment() -> None:
    store = SecretStore(backend=fail.Keyring(), env={"B24S_SECRET_JIRA_DEMO": SECRET})
    assert store.get("env:B24S_SECRET_JIRA_DEMO") == SECRET
    store.delete("env:B24S_SECRET_JIRA_DEMO")  # never unsets the environment
    assert store.get("env:B24S_SECRET_JIRA_DEMO") == SECRET
    with pytest.raises(SecretNotFoundError, match="environment variable B24S_SECRET_OTHER is not set"):
        store.get("env:B24S_SECRET_OTHER")


def test_env_var_for() -> None:
    assert env_var_for("jira-demo") == "B24S_SECRET_JIRA_DEMO"
    assert SecretStore.env_var_for("b24.prod 2") == "B24S_SECRET_B24_PROD_2"
    assert re.fullmatch(r"B24S_SECRET_[A-Z0-9_]+", env_var_for("портал-1"))
    with pytest.raises(ValueError, match="empty"):
        env_var_for(" ")


def test_no_keyring_backend_tells_user_which_env_var_to_set(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    store = SecretStore(backend=fail.Keyring(), env={})
    with pytest.raises(SecretUnavailableError) as info:
        store.put("jira-demo", SECRET)
    message = str(info.value)
    assert "B24S_SECRET_JIRA_DEMO" in message and "env:B24S_SECRET_JIRA_DEMO" in message
    assert info.value.env_var == "B24S_SECRET_JIRA_DEMO"
    assert SECRET not in _everything_said(info.value)
    with pytest.raises(SecretUnavailableError, match="B24S_SECRET_JIRA_DEMO"):
        store.get("keyring:b24-jira-studio/jira-demo")
    assert SECRET not in caplog.text


def test_backend_failing_on_use_does_not_leak_the_secret(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    store = SecretStore(backend=LockedKeyring(), env={})
    with pytest.raises(SecretUnavailableError, match="storing failed: RuntimeError") as info:
        store.put("b24-demo", SECRET)
    assert "B24S_SECRET_B24_DEMO" in str(info.value)
    assert SECRET not in _everything_said(info.value)
    assert info.value.__cause__ is None and info.value.__context__ is None
    with pytest.raises(SecretUnavailableError, match="reading failed"):
        store.get("keyring:b24-jira-studio/b24-demo")
    assert SECRET not in caplog.text
    assert SECRET not in repr(store)


def test_bad_input_is_refused_clearly() -> None:
    store = SecretStore(backend=MemoryKeyring(), env={})
    with pytest.raises(ValueError, match="empty"):
        store.put("jira-demo", "")
    with pytest.raises(ValueError, match="name is empty"):
        store.put("", SECRET)
    with pytest.raises(ValueError, match="expected 'keyring:<service>/<name>'") as info:
        store.get(SECRET)
    assert SECRET not in _everything_said(info.value)
