"""Connections: CRUD through the repository, the database's own constraints, and field validation."""

from __future__ import annotations

import traceback
from datetime import UTC, datetime, timedelta, timezone

import pytest
import sqlalchemy as sa
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from models.connections import Connection
from models.db import session_factory
from models.errors import (
    ConnectionNotFoundError,
    DuplicateConnectionError,
    InvalidFieldError,
    InvalidSecretRefError,
)
from sync_engine.store import connections as repository


def _jira(name: str = "jira-demo", **overrides: object) -> dict[str, object]:
    fields: dict[str, object] = {
        "name": name,
        "system": "jira",
        "flavour": "server",
        "base_url": "https://jira.vektorsoft.ru/",
        "secret_ref": f"keyring:b24-jira-studio/{name}",
        "username": "admin@vektorsoft.ru",
    }
    fields.update(overrides)
    return fields


def _b24(name: str = "b24-demo") -> dict[str, object]:
    return {
        "name": name,
        "system": "bitrix24",
        "flavour": "webhook",
        "base_url": "https://vektorsoft.bitrix24.ru",
        "secret_ref": "env:B24S_SECRET_B24_DEMO",
        "settings": {"app_token_ref": "keyring:b24-jira-studio/b24-demo-events", "timezone": "Europe/Moscow"},
    }


def test_add_get_list_delete(engine: Engine) -> None:
    sessions = session_factory(engine)
    with sessions.begin() as session:
        repository.add_connection(session, **_jira())  # type: ignore[arg-type]
        repository.add_connection(session, **_b24())  # type: ignore[arg-type]
        repository.add_connection(session, **_jira("another-jira", flavour="cloud"))  # type: ignore[arg-type]

    with sessions() as session:
        jira = repository.get_connection(session, "jira-demo")
        assert (jira.system, jira.flavour, jira.username) == ("jira", "server", "admin@vektorsoft.ru")
        assert jira.base_url == "https://jira.vektorsoft.ru"
        assert jira.verify_tls is True and jira.ca_file is None and jira.settings == {}
        b24 = repository.get_connection(session, "b24-demo")
        assert b24.settings == {"app_token_ref": "keyring:b24-jira-studio/b24-demo-events", "timezone": "Europe/Moscow"}
        assert [c.name for c in repository.list_connections(session)] == ["another-jira", "b24-demo", "jira-demo"]
        assert [c.name for c in repository.list_connections(session, "bitrix24")] == ["b24-demo"]

    with sessions.begin() as session:
        repository.delete_connection(session, "jira-demo")
    with sessions() as session:
        assert repository.find_connection(session, "jira-demo") is None
        with pytest.raises(ConnectionNotFoundError, match="'jira-demo'"):
            repository.get_connection(session, "jira-demo")
        with pytest.raises(ConnectionNotFoundError):
            repository.delete_connection(session, "jira-demo")


def test_duplicate_name_is_refused_and_session_stays_usable(engine: Engine) -> None:
    sessions = session_factory(engine)
    with sessions.begin() as session:
        repository.add_connection(session, **_jira())  # type: ignore[arg-type]
    with sessions() as session:
        with pytest.raises(DuplicateConnectionError, match="'jira-demo' already exists"):
            repository.add_connection(session, **_jira(flavour="cloud"))  # type: ignore[arg-type]
        repository.add_connection(session, **_jira("jira-2"))  # type: ignore[arg-type]
        session.commit()
    with sessions() as session:
        assert [c.name for c in repository.list_connections(session)] == ["jira-2", "jira-demo"]
        assert repository.get_connection(session, "jira-demo").flavour == "server"


def test_unique_name_race_is_reported_as_duplicate(engine: Engine) -> None:
    """The SAVEPOINT path: another writer inserts the name between our check and our insert."""
    sessions = session_factory(engine)
    with sessions() as session:
        session.add(Connection(**_jira()))  # pending, not yet flushed: bypasses the repository's check
        with pytest.raises(DuplicateConnectionError), session.no_autoflush:
            repository.add_connection(session, **_jira())  # type: ignore[arg-type]
        session.rollback()


def _raw_insert(engine: Engine, name: str, system: str, flavour: str) -> None:
    with engine.begin() as conn:
        conn.execute(
            sa.text(
                "INSERT INTO connections (name, system, flavour, base_url, secret_ref, verify_tls, settings) "
                "VALUES (:name, :system, :flavour, 'https://h', 'env:X', true, '{}')"
            ),
            {"name": name, "system": system, "flavour": flavour},
        )


def test_database_constraints_back_up_the_validators(engine: Engine) -> None:
    _raw_insert(engine, "ok", "jira", "cloud")
    with pytest.raises(sa.exc.IntegrityError):
        _raw_insert(engine, "ok", "bitrix24", "oauth")
    with pytest.raises(sa.exc.IntegrityError, match=r"ck_connections_(system|flavour)"):
        _raw_insert(engine, "gitlab", "gitlab", "cloud")
    with pytest.raises(sa.exc.IntegrityError, match="ck_connections_flavour"):
        _raw_insert(engine, "mixed", "jira", "webhook")


def test_timestamps_are_aware_utc_and_updated(engine: Engine) -> None:
    sessions = session_factory(engine)
    with sessions.begin() as session:
        conn = repository.add_connection(session, **_jira())  # type: ignore[arg-type]
    created, updated = conn.created_at, conn.updated_at
    with sessions() as session:
        loaded = repository.get_connection(session, "jira-demo")
        assert loaded.created_at.tzinfo is not None and loaded.created_at.utcoffset() == timedelta(0)
        assert loaded.created_at == created
        assert abs(datetime.now(UTC) - loaded.created_at) < timedelta(minutes=1)
        loaded.verify_tls = False
        session.commit()
    with sessions() as session:
        reloaded = repository.get_connection(session, "jira-demo")
        assert reloaded.verify_tls is False
        assert reloaded.updated_at > updated
        assert reloaded.created_at == created


def test_other_time_zones_are_stored_as_the_same_instant(engine: Engine) -> None:
    moscow = timezone(timedelta(hours=3))
    instant = datetime(2026, 3, 1, 12, 0, tzinfo=moscow)
    sessions = session_factory(engine)
    with sessions.begin() as session:
        repository.add_connection(session, **_jira()).created_at = instant  # type: ignore[arg-type]
    with sessions() as session:
        stored = repository.get_connection(session, "jira-demo").created_at
        assert stored == instant and stored.tzinfo == UTC and stored.hour == 9


def test_naive_datetime_is_refused(engine: Engine) -> None:
    with Session(engine) as session:
        conn = Connection(**_jira())
        conn.created_at = datetime(2026, 1, 1)
        session.add(conn)
        with pytest.raises(sa.exc.StatementError, match="naive datetime"):
            session.flush()


# ---- validation (no database needed) ----

LITERAL_SECRETS = [
    "ATATT3xFfGF0T9pYhunter2",
    "https://vektorsoft.bitrix24.ru/rest/1/abcd1234secret/",
    "hunter2",
    "keyring hunter2",
    "env:hunter2 x",
    "",
]


@pytest.mark.parametrize("literal", LITERAL_SECRETS)
def test_secret_ref_refuses_a_literal_secret_without_echoing_it(literal: str) -> None:
    with pytest.raises(InvalidSecretRefError) as info:
        Connection(**_jira(secret_ref=literal))
    rendered = "".join(traceback.format_exception(info.value)) + repr(info.value)
    assert "secret_ref" in str(info.value)
    if literal:
        assert literal not in rendered


@pytest.mark.parametrize(
    "bad_ref", ["keyring:", "keyring:no-slash", "keyring:/name", "keyring:svc/", "env:", "env:1BAD", "env:A-B"]
)
def test_malformed_refs_are_refused(bad_ref: str) -> None:
    with pytest.raises(InvalidSecretRefError, match="secret_ref"):
        Connection(**_jira(secret_ref=bad_ref))


@pytest.mark.parametrize("good_ref", ["keyring:b24-jira-studio/jira-demo", "keyring:other/a/b", "env:B24S_SECRET_X"])
def test_wellformed_refs_are_kept(good_ref: str) -> None:
    assert Connection(**_jira(secret_ref=good_ref)).secret_ref == good_ref


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("https://vektorsoft.bitrix24.ru/rest/1/abcd1234secret/", "webhook"),
        ("https://admin:topsecretpw@jira.example.com", "user name or password"),
        ("ftp://jira.example.com", "http"),
        ("jira.example.com", "http"),
        ("https://jira.example.com/?token=topsecretpw", "query"),
        ("https://jira.example.com:99999", "valid URL"),
    ],
)
def test_base_url_validation(url: str, reason: str) -> None:
    with pytest.raises(InvalidFieldError, match=reason) as info:
        Connection(**_jira(base_url=url))
    assert info.value.field == "base_url"
    assert "abcd1234secret" not in str(info.value) and "topsecretpw" not in str(info.value)


def test_system_and_flavour_must_match_in_either_assignment_order() -> None:
    with pytest.raises(InvalidFieldError, match="'webhook' is not valid for jira"):
        Connection(**_jira(flavour="webhook"))
    conn = Connection(flavour="webhook")
    with pytest.raises(InvalidFieldError, match="'webhook' is not valid for jira"):
        conn.system = "jira"
    with pytest.raises(InvalidFieldError, match="'gitlab' is not one of jira, bitrix24"):
        Connection(system="gitlab")
    assert Connection(**_b24()).flavour == "webhook"


@pytest.mark.parametrize("name", ["", "  ", " lead", "x" * 101, "tab\tname"])
def test_bad_names_are_refused(name: str) -> None:
    with pytest.raises(InvalidFieldError, match=r"^name: "):
        Connection(**_jira(name=name))


def test_settings_must_reference_secrets_not_hold_them() -> None:
    with pytest.raises(InvalidFieldError, match=r"settings\.application_token.*application_token_ref"):
        Connection(**_jira(settings={"application_token": "v3ryS3cret"}))
    with pytest.raises(InvalidSecretRefError, match=r"settings\.app_token_ref") as info:
        Connection(**_jira(settings={"app_token_ref": "v3ryS3cret"}))
    assert "v3ryS3cret" not in str(info.value)
    with pytest.raises(InvalidFieldError, match="JSON object"):
        Connection(**_jira(settings=["not", "a", "dict"]))
    assert Connection(**_jira(settings=None)).settings == {}
