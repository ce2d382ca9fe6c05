"""Fixtures for the sync service tests: private twins, databases, and service processes."""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from service_harness import PG, ServiceProcess, make_env, pg_schema_url
from service_harness import Env as Env

from sync_engine.sandbox.server import Sandbox, SandboxOptions
from tests.prerequisites import PG_HOST, PG_PORT, missing


@pytest.fixture(scope="module")
def twins() -> Iterator[dict[str, Any]]:
    """Both twins for this module only (these tests edit data and register webhooks)."""
    box = Sandbox(SandboxOptions(limits=False))
    info = box.start_in_thread()
    yield info
    box.request_stop()


@pytest.fixture
def pg_url() -> Iterator[str]:
    try:
        with psycopg.connect(PG, autocommit=True) as conn:
            conn.execute("SELECT 1")
    except psycopg.Error as exc:
        missing(f"PostgreSQL at {PG_HOST}:{PG_PORT} is unreachable: {exc}")
    schema = f"t_service_{os.environ.get('PYTEST_XDIST_WORKER', 'main')}_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(PG, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    yield pg_schema_url(schema)
    with psycopg.connect(PG, autocommit=True) as conn:
        conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def any_db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{(tmp_path / 'service.sqlite').as_posix()}"
    else:
        yield request.getfixturevalue("pg_url")


@pytest.fixture
def sqlite_env(tmp_path: Path) -> Env:
    return make_env(tmp_path, f"sqlite:///{(tmp_path / 'service.sqlite').as_posix()}")


@pytest.fixture
def services() -> Iterator[Callable[..., ServiceProcess]]:
    started: list[ServiceProcess] = []

    def start(env: Env, *args: str, **kwargs: Any) -> ServiceProcess:
        svc = ServiceProcess(env, *args, **kwargs)
        started.append(svc)
        return svc

    yield start
    for svc in started:
        if svc.proc.poll() is None:
            svc.kill()
