"""The migrations must build exactly the schema the models describe, and never touch a newer database."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata, produce_migrations, render_python_code
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, MetaData, inspect

from models import db
from models.errors import DatabaseTooNewError, DatabaseUnavailableError
from models.migrations.autogen import render_item
from models.registry import metadata


def _diffs(engine: Engine, target: MetaData) -> list[object]:
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True, "compare_server_default": False})
        return list(compare_metadata(context, target))


def test_fresh_database_is_at_head(engine: Engine) -> None:
    _, head = db.known_revisions()
    with engine.connect() as conn:
        assert db.current_revisions(conn) == (head,)
        assert "connections" in inspect(conn).get_table_names()


def test_migrations_match_models(engine: Engine) -> None:
    assert _diffs(engine, metadata) == []


def test_comparison_detects_a_model_change(engine: Engine) -> None:
    """Guards the test above: a column the migrations do not create must show up as a difference."""
    changed = MetaData(naming_convention=metadata.naming_convention)
    for table in metadata.tables.values():
        table.to_metadata(changed)
    changed.tables["connections"].append_column(sa.Column("extra", sa.Integer(), nullable=True))
    diffs = _diffs(engine, changed)
    assert [d[0] for d in diffs if isinstance(d, tuple)] == ["add_column"]


def test_downgrade_to_base_and_upgrade_again(engine: Engine) -> None:
    with engine.connect() as conn:
        command.downgrade(db.alembic_config(connection=conn), "base")
        conn.commit()
        assert "connections" not in inspect(conn).get_table_names()
    db.migrate(engine)
    assert _diffs(engine, metadata) == []


def test_reopening_is_a_no_op(db_url: str, open_db: Callable[[str], Engine]) -> None:
    first = open_db(db_url)
    with first.begin() as conn:
        conn.execute(
            sa.text(
                "INSERT INTO connections (name, system, flavour, base_url, secret_ref, verify_tls, settings) "
                "VALUES ('kept', 'jira', 'cloud', 'https://x.atlassian.net', 'env:X', true, '{}')"
            )
        )
    second = open_db(db_url)
    with second.connect() as conn:
        assert conn.execute(sa.text("SELECT name FROM connections")).scalars().all() == ["kept"]


def _stamp_future(engine: Engine, revision: str) -> None:
    with engine.begin() as conn:
        conn.execute(sa.text("UPDATE alembic_version SET version_num = :v"), {"v": revision})
    engine.dispose()


def test_sqlite_database_from_newer_build_is_refused_and_untouched(tmp_path: Path) -> None:
    path = tmp_path / "newer.sqlite"
    url = f"sqlite:///{path.as_posix()}"
    _stamp_future(db.open_database(url), "9999_from_the_future")
    before_bytes, before_mtime = path.read_bytes(), path.stat().st_mtime_ns
    sidecars_before = sorted(p.name for p in tmp_path.iterdir())

    with pytest.raises(DatabaseTooNewError) as info:
        db.open_database(url)

    assert "9999_from_the_future" in str(info.value)
    assert info.value.revision == "9999_from_the_future"
    assert path.read_bytes() == before_bytes
    assert path.stat().st_mtime_ns == before_mtime
    assert sorted(p.name for p in tmp_path.iterdir()) == sidecars_before


def test_database_from_newer_build_is_refused(db_url: str, open_db: Callable[[str], Engine]) -> None:
    engine = open_db(db_url)
    _stamp_future(engine, "9999_from_the_future")
    with engine.connect() as conn:
        tables_before = sorted(inspect(conn).get_table_names())
    with pytest.raises(DatabaseTooNewError, match="9999_from_the_future"):
        db.open_database(db_url)
    with engine.connect() as conn:
        assert db.current_revisions(conn) == ("9999_from_the_future",)
        assert sorted(inspect(conn).get_table_names()) == tables_before
        assert "connections" in tables_before


def test_sqlite_connection_settings(tmp_path: Path) -> None:
    engine = db.open_database(f"sqlite:///{(tmp_path / 's.sqlite').as_posix()}")
    try:
        with engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
            assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == db.SQLITE_BUSY_TIMEOUT_MS
    finally:
        engine.dispose()


def test_sqlite_foreign_keys_are_enforced(tmp_path: Path) -> None:
    engine = db.make_engine(f"sqlite:///{(tmp_path / 'fk.sqlite').as_posix()}")
    try:
        with engine.begin() as conn:
            conn.exec_driver_sql("CREATE TABLE parent (id INTEGER PRIMARY KEY)")
            conn.exec_driver_sql("CREATE TABLE child (id INTEGER PRIMARY KEY, p INTEGER REFERENCES parent(id))")
        with pytest.raises(sa.exc.IntegrityError, match="FOREIGN KEY"), engine.begin() as conn:
            conn.exec_driver_sql("INSERT INTO child (id, p) VALUES (1, 42)")
    finally:
        engine.dispose()


def test_sqlite_ddl_is_transactional(tmp_path: Path) -> None:
    """Our BEGIN handling makes a failed migration step roll back its DDL (pysqlite's default would not)."""
    engine = db.make_engine(f"sqlite:///{(tmp_path / 'tx.sqlite').as_posix()}")
    try:
        with pytest.raises(RuntimeError), engine.begin() as conn:
            conn.exec_driver_sql("CREATE TABLE half_done (id INTEGER PRIMARY KEY)")
            raise RuntimeError("step failed")
        assert "half_done" not in inspect(engine).get_table_names()
    finally:
        engine.dispose()


def test_unreachable_postgres_is_a_clear_error_without_password() -> None:
    with pytest.raises(DatabaseUnavailableError) as info:
        db.open_database("postgresql://someone:hunter2@127.0.0.1:1/nothing?connect_timeout=2")
    message = str(info.value)
    assert "cannot open database" in message and "127.0.0.1:1" in message
    assert "hunter2" not in message


def test_concurrent_first_opens_in_threads_both_succeed(db_url: str) -> None:
    """The studio may open the database from a worker thread while another thread does too."""
    barrier = threading.Barrier(2)
    engines: list[Engine] = []
    errors: list[BaseException] = []

    def opener() -> None:
        barrier.wait()
        try:
            engines.append(db.open_database(db_url))
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=opener) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    try:
        assert errors == []
        assert len(engines) == 2
        with engines[0].connect() as conn:
            assert conn.execute(sa.text("SELECT count(*) FROM alembic_version")).scalar() == 1
    finally:
        for engine in engines:
            engine.dispose()


OPEN_IN_CHILD = """
import sys, time
from models.db import open_database
start_at = float(sys.argv[2])
time.sleep(max(0.0, start_at - time.time()))
open_database(sys.argv[1]).dispose()
"""


def test_concurrent_first_opens_in_processes_both_succeed(
    db_url: str, open_db: Callable[[str], Engine]
) -> None:
    """Studio and b24sync may start together on a fresh database: migrations are serialised, not raced."""
    root = Path(db.__file__).resolve().parents[1]
    start_at = str(time.time() + 2.0)  # both children past their imports, then racing
    children = [
        subprocess.Popen(
            [sys.executable, "-c", OPEN_IN_CHILD, db_url, start_at],
            cwd=root,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    results = [child.communicate(timeout=60) for child in children]
    assert [child.returncode for child in children] == [0, 0], results
    with open_db(db_url).connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM alembic_version")).scalar() == 1


def test_autogenerate_renders_plain_sqlalchemy_types() -> None:
    """Future revisions must not import models: our column types render as plain SQLAlchemy."""
    engine = db.make_engine("sqlite://")
    try:
        with engine.connect() as conn:
            context = MigrationContext.configure(
                conn, opts={"render_item": render_item, "target_metadata": metadata}
            )
            upgrade_ops = produce_migrations(context, metadata).upgrade_ops
            assert upgrade_ops is not None
            code = render_python_code(
                upgrade_ops,
                render_item=render_item,
                migration_context=context,
            )
    finally:
        engine.dispose()
    assert "models." not in code and "astext_type" not in code
    assert "sa.DateTime(timezone=True)" in code
    assert 'sa.JSON().with_variant(postgresql.JSONB(), "postgresql")' in code
