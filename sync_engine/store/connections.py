"""Connections as stored: typed operations on a session, and :class:`ConnectionStore` for everyone else.

The functions flush but never commit: the caller owns the transaction, so a connection and, say, the
profiles that use it can be saved together or not at all. :class:`ConnectionStore` runs each in a
transaction of its own and hands out :class:`ConnectionInfo`, which never carries a secret.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from models.connections import Connection
from models.db import session_factory
from models.errors import ConnectionNotFoundError, DuplicateConnectionError


def find_connection(session: Session, name: str) -> Connection | None:
    return session.scalars(select(Connection).where(Connection.name == name)).one_or_none()


def get_connection(session: Session, name: str) -> Connection:
    found = find_connection(session, name)
    if found is None:
        raise ConnectionNotFoundError(name)
    return found


def list_connections(session: Session, system: str | None = None) -> list[Connection]:
    """All connections ordered by name, optionally only those of one system ("jira" / "bitrix24")."""
    query = select(Connection).order_by(Connection.name)
    if system is not None:
        query = query.where(Connection.system == system)
    return list(session.scalars(query))


def add_connection(
    session: Session,
    *,
    name: str,
    system: str,
    flavour: str,
    base_url: str,
    secret_ref: str,
    username: str | None = None,
    verify_tls: bool = True,
    ca_file: str | None = None,
    settings: Mapping[str, Any] | None = None,
) -> Connection:
    """Validate, insert and flush a connection; :class:`DuplicateConnectionError` if the name is taken.

    The insert runs in a SAVEPOINT so that losing a race on the unique name leaves the caller's
    transaction usable.
    """
    if find_connection(session, name) is not None:
        raise DuplicateConnectionError(name)
    connection = Connection(
        name=name,
        system=system,
        flavour=flavour,
        base_url=base_url,
        secret_ref=secret_ref,
        username=username,
        verify_tls=verify_tls,
        ca_file=ca_file,
        settings=dict(settings or {}),
    )
    try:
        with session.begin_nested():
            session.add(connection)
    except IntegrityError:
        if find_connection(session, name) is not None:
            raise DuplicateConnectionError(name) from None
        raise
    return connection


def delete_connection(session: Session, name: str) -> None:
    """Delete by name (:class:`ConnectionNotFoundError` if absent). The secret itself is not touched."""
    session.delete(get_connection(session, name))
    session.flush()


@dataclass(frozen=True)
class ConnectionInfo:
    """A connection as shown to people and APIs: never the secret, only where it lives."""

    name: str
    system: str
    flavour: str
    base_url: str
    username: str | None
    secret_ref: str
    verify_tls: bool
    ca_file: str | None
    settings: Mapping[str, Any]

    @classmethod
    def of(cls, c: Connection) -> ConnectionInfo:
        return cls(c.name, c.system, c.flavour, c.base_url, c.username, c.secret_ref, c.verify_tls, c.ca_file,
                   dict(c.settings or {}))


class ConnectionStore:
    def __init__(self, engine: Engine) -> None:
        self.sessions = session_factory(engine)

    def add(self, **fields: Any) -> ConnectionInfo:
        with self.sessions.begin() as session:
            return ConnectionInfo.of(add_connection(session, **fields))

    def list(self, system: str | None = None) -> list[ConnectionInfo]:
        with self.sessions() as session:
            return [ConnectionInfo.of(c) for c in list_connections(session, system)]

    def find(self, name: str) -> ConnectionInfo | None:
        with self.sessions() as session:
            found = find_connection(session, name)
            return ConnectionInfo.of(found) if found is not None else None

    def remove(self, name: str) -> None:
        with self.sessions.begin() as session:
            delete_connection(session, name)
