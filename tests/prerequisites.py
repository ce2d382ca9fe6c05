"""What tests need from the machine, and what a missing piece does to them.

Locally a missing prerequisite (PostgreSQL, ldd, xvfb-run, schemathesis) skips the test, saying what is
missing; under ``CI=true`` it fails the test instead, because CI must run every test and a skip there
passes silently. Every test that depends on the machine goes through :func:`missing`.

PostgreSQL is 127.0.0.1:5432, database ``test``, user ``postgres`` (trust auth), unless
``B24S_TEST_PG_HOST`` / ``B24S_TEST_PG_PORT`` say otherwise.
"""

from __future__ import annotations

import os
from typing import NoReturn

import pytest
from sqlalchemy.engine import URL

PG_HOST = os.environ.get("B24S_TEST_PG_HOST", "127.0.0.1")
PG_PORT = int(os.environ.get("B24S_TEST_PG_PORT", "5432"))
PG_DB = "test"
PG_USER = "postgres"


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() == "true"


def missing(what: str) -> NoReturn:
    """Skip the test for ``what`` is missing; under CI=true, fail it."""
    if in_ci():
        pytest.fail(f"{what} (CI=true: this test must run, not be skipped)", pytrace=False)
    pytest.skip(what)


def pg_conninfo() -> str:
    return f"host={PG_HOST} port={PG_PORT} dbname={PG_DB} user={PG_USER} connect_timeout=5"


def pg_url(schema: str) -> str:
    """A SQLAlchemy URL for the test database with ``schema`` first on the search path."""
    return URL.create("postgresql+psycopg", username=PG_USER, host=PG_HOST, port=PG_PORT, database=PG_DB,
                      query={"options": f"-csearch_path={schema}"}).render_as_string(hide_password=False)
