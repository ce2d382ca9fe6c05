"""Database fixtures shared by the packages whose tests need a database (imported by their conftest).

Every DB test runs on a fresh SQLite file and on a fresh PostgreSQL schema.

PostgreSQL is shared with other test processes (pytest-xdist workers, other suites), so each test gets
its own uniquely named schema, selected through ``search_path`` in the URL, and drops it afterwards.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import psycopg
import pytest
from sqlalchemy import Engine
from sqlalchemy.engine import URL

from models.db import open_database
from tests.prerequisites import PG_DB, PG_HOST, PG_PORT, PG_USER, missing
from tests.prerequisites import pg_conninfo as _pg_conninfo


@pytest.fixture(scope="session")
def postgres_available() -> None:
    try:
        with psycopg.connect(_pg_conninfo()) as conn:
            conn.execute("SELECT 1")
    except psycopg.Error as exc:
        missing(f"PostgreSQL at {PG_HOST}:{PG_PORT} (db {PG_DB!r}, user {PG_USER!r}) is unreachable: {exc}")


def _pg_schema_url(request: pytest.FixtureRequest) -> Iterator[str]:
    request.getfixturevalue("postgres_available")
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    schema = f"t_models_{worker}_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(_pg_conninfo(), autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    url = URL.create(
        "postgresql+psycopg",
        username=PG_USER,
        host=PG_HOST,
        port=PG_PORT,
        database=PG_DB,
        query={"options": f"-csearch_path={schema}"},
    )
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        with psycopg.connect(_pg_conninfo(), autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """URL of an empty database (nothing created yet, not even the Alembic version table)."""
    if request.param == "sqlite":
        yield f"sqlite:///{(tmp_path / 'studio.sqlite').as_posix()}"
    else:
        yield from _pg_schema_url(request)


@pytest.fixture
def open_db(db_url: str) -> Iterator[Callable[[str], Engine]]:
    """``open_database`` whose engines are disposed at teardown, before ``db_url`` drops the schema."""
    engines: list[Engine] = []

    def opener(url: str) -> Engine:
        engine = open_database(url)
        engines.append(engine)
        return engine

    yield opener
    for engine in engines:
        engine.dispose()


@pytest.fixture
def engine(db_url: str, open_db: Callable[[str], Engine]) -> Engine:
    return open_db(db_url)
