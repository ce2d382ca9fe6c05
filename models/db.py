"""Finding, opening and migrating the database.

Everything here takes its inputs as arguments (CLI value, environment mapping, URL) and returns new
objects, so the CLI, the studio and the tests can each open their own database side by side.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Final

import platformdirs
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, create_engine, event, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import NullPool

from models.errors import DatabaseTooNewError, DatabaseUnavailableError, DatabaseUrlError, DataLayerError

log = logging.getLogger(__name__)

APP_DIR_NAME: Final = "b24-jira-studio"
DATABASE_URL_ENV: Final = "B24S_DATABASE_URL"
DATA_DIR_ENV: Final = "B24S_DATA_DIR"
DEFAULT_DB_FILENAME: Final = "studio.sqlite"
MIGRATIONS_DIR: Final = Path(__file__).resolve().parent / "migrations"
SQLITE_BUSY_TIMEOUT_MS: Final = 10_000
# Serialises concurrent migrations of one PostgreSQL database (an arbitrary, fixed 63-bit key).
_PG_MIGRATION_LOCK_KEY: Final = 0x6234_6A73_6D69_6772
# Execution option read by the SQLite "begin" listener: "" (deferred) or "IMMEDIATE".
_SQLITE_BEGIN_OPTION: Final = "b24s_sqlite_begin"
# Alembic runs migrations through the process-wide ``alembic.context`` proxy, so two threads migrating
# at once (even different databases) would trample each other. Other processes are kept out by the
# database-level locks in :func:`migrate`; this lock covers threads of this process.
_ALEMBIC_LOCK: Final = threading.Lock()


class MigrationError(DataLayerError):
    """Upgrading the schema failed; the migration transaction was rolled back."""


def default_data_dir() -> Path:
    return platformdirs.user_data_path(APP_DIR_NAME, appauthor=False)


def _non_blank(value: str | None) -> str | None:
    return value.strip() if value is not None and value.strip() else None


def resolve_data_dir(cli_value: str | None, env: Mapping[str, str]) -> Path:
    """--data-dir, else env B24S_DATA_DIR, else the platform's per-user data directory. Not created here."""
    chosen = _non_blank(cli_value) or _non_blank(env.get(DATA_DIR_ENV))
    return Path(chosen).expanduser() if chosen else default_data_dir()


def database_url(cli_value: str | None, env: Mapping[str, str], *, data_dir: Path | None = None) -> str:
    """--db value, else env B24S_DATABASE_URL, else a SQLite file in the data directory (created).

    Blank values count as unset. ``data_dir`` defaults to :func:`resolve_data_dir` with no CLI value.
    """
    chosen = _non_blank(cli_value) or _non_blank(env.get(DATABASE_URL_ENV))
    if chosen:
        return chosen
    directory = data_dir if data_dir is not None else resolve_data_dir(None, env)
    directory.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{(directory / DEFAULT_DB_FILENAME).as_posix()}"


def normalise_url(url: str | URL) -> URL:
    """Parse ``url`` and pick our drivers: psycopg 3 for PostgreSQL, pysqlite for SQLite."""
    if isinstance(url, URL):
        parsed = url
    else:
        try:
            parsed = make_url(url.strip())
        except (ArgumentError, ValueError):
            # The text is not shown: a database URL may embed a password.
            raise DatabaseUrlError(
                "could not parse the database URL; expected e.g. sqlite:////path/to/studio.sqlite or "
                "postgresql://user@host:5432/dbname"
            ) from None
    backend = parsed.get_backend_name()
    if backend in ("postgresql", "postgres"):
        if parsed.drivername in ("postgresql", "postgres"):
            parsed = parsed.set(drivername="postgresql+psycopg")
        return parsed
    if backend == "sqlite":
        return parsed
    raise DatabaseUrlError(f"unsupported database backend {backend!r}; use sqlite or postgresql")


def safe_url(url: str | URL) -> str:
    """The URL with any password masked, for messages and logs."""
    try:
        return normalise_url(url).render_as_string(hide_password=True)
    except DatabaseUrlError:
        return "<unparseable database URL>"


def make_engine(url: str | URL, *, sqlite_busy_timeout_ms: int = SQLITE_BUSY_TIMEOUT_MS) -> Engine:
    """An engine with our per-connection settings; no migration is run (see :func:`open_database`).

    SQLite: WAL (readers do not block the sync writer), foreign keys on (off by default in SQLite),
    a busy timeout instead of immediate "database is locked", and SQLAlchemy-controlled BEGIN so that
    DDL is transactional and SAVEPOINTs work (pysqlite's own transaction handling breaks both).
    """
    parsed = normalise_url(url)
    if parsed.get_backend_name() != "sqlite":
        return create_engine(parsed, pool_pre_ping=True)
    engine = create_engine(parsed)
    timeout = int(sqlite_busy_timeout_ms)

    def on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute(f"PRAGMA busy_timeout={timeout}")
        finally:
            cursor.close()

    def on_begin(conn: Connection) -> None:
        options = conn.get_execution_options()
        if options.get("isolation_level") == "AUTOCOMMIT":
            return
        mode = "IMMEDIATE" if options.get(_SQLITE_BEGIN_OPTION) == "IMMEDIATE" else "DEFERRED"
        conn.exec_driver_sql(f"BEGIN {mode}")

    event.listen(engine, "connect", on_connect)
    event.listen(engine, "begin", on_begin)
    return engine


@contextmanager
def write_transaction(engine: Engine) -> Iterator[Connection]:
    """A transaction that will write. On SQLite it takes the write lock up front (BEGIN IMMEDIATE): a deferred
    transaction that read first cannot upgrade once another connection has committed (WAL snapshot) and
    fails with "database is locked" at once instead of waiting out the busy timeout."""
    with engine.connect() as conn:
        if conn.dialect.name == "sqlite":
            conn.execution_options(**{_SQLITE_BEGIN_OPTION: "IMMEDIATE"})
        with conn.begin():
            yield conn


def session_factory(engine: Engine) -> sessionmaker[Session]:
    """Sessions that keep loaded attributes after commit (the studio shows objects after saving them)."""
    return sessionmaker(bind=engine, expire_on_commit=False)


def alembic_config(url: str | URL | None = None, connection: Connection | None = None) -> Config:
    """An Alembic config built in code, so no alembic.ini is needed at run time."""
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.set_main_option("path_separator", "os")
    cfg.set_main_option("file_template", "%%(rev)s_%%(slug)s")
    if url is not None:
        rendered = normalise_url(url).render_as_string(hide_password=False)
        cfg.set_main_option("sqlalchemy.url", rendered.replace("%", "%%"))
    if connection is not None:
        cfg.attributes["connection"] = connection
    return cfg


def known_revisions() -> tuple[set[str], str | None]:
    """All revision ids this build ships, and the head."""
    script = ScriptDirectory.from_config(alembic_config())
    return {rev.revision for rev in script.walk_revisions()}, script.get_current_head()


def current_revisions(connection: Connection) -> tuple[str, ...]:
    """The revisions a database is stamped with (empty for a fresh database)."""
    return tuple(MigrationContext.configure(connection).get_current_heads())


def check_not_too_new(connection: Connection) -> None:
    known, head = known_revisions()
    for revision in current_revisions(connection):
        if revision not in known:
            raise DatabaseTooNewError(revision, head)


@contextmanager
def _sqlite_foreign_keys_off(connection: Connection) -> Iterator[None]:
    """Batch migrations recreate tables; with foreign keys on, dropping a parent would cascade to children.

    The pragma is a no-op inside a transaction, so it is set on the raw connection before BEGIN.
    """
    raw = connection.connection.driver_connection
    assert raw is not None
    raw.execute("PRAGMA foreign_keys=OFF")
    try:
        yield
    finally:
        raw.execute("PRAGMA foreign_keys=ON")


def _upgrade_in_transaction(connection: Connection, revision: str) -> None:
    with connection.begin():
        if connection.dialect.name == "postgresql":
            connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_MIGRATION_LOCK_KEY})
        check_not_too_new(connection)
        command.upgrade(alembic_config(connection=connection), revision)
        if connection.dialect.name == "sqlite":
            violations = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
            if violations:
                raise MigrationError(
                    f"migration left {len(violations)} foreign key violation(s), first in table "
                    f"{violations[0][0]!r}; nothing was changed"
                )


def migrate(engine: Engine, revision: str = "head") -> None:
    """Upgrade to ``revision`` in one transaction (refusing a database newer than this build).

    Concurrent callers are serialised: PostgreSQL by a transaction-level advisory lock, SQLite by
    BEGIN IMMEDIATE (the write lock is taken before the current revision is read).
    """
    with _ALEMBIC_LOCK, engine.connect() as connection:
        if connection.dialect.name == "sqlite":
            connection.execution_options(**{_SQLITE_BEGIN_OPTION: "IMMEDIATE"})
            with _sqlite_foreign_keys_off(connection):
                _upgrade_in_transaction(connection, revision)
        else:
            _upgrade_in_transaction(connection, revision)


def _probe(url: URL) -> None:
    """Check the stamped revision with a bare connection: no pragmas, no writes, before anything else."""
    probe = create_engine(url, poolclass=NullPool)
    try:
        with probe.connect() as connection:
            check_not_too_new(connection)
    finally:
        probe.dispose()


def open_database(url: str | URL) -> Engine:
    """Engine for ``url`` with the schema upgraded to this build's head.

    Raises :class:`DatabaseTooNewError` (database untouched) when the database carries a revision this
    build does not know, :class:`DatabaseUnavailableError` when it cannot be reached, and
    :class:`MigrationError` when an upgrade step fails.
    """
    parsed = normalise_url(url)
    shown = parsed.render_as_string(hide_password=True)
    try:
        _probe(parsed)
        engine = make_engine(parsed)
    except DBAPIError as exc:
        raise DatabaseUnavailableError(f"cannot open database {shown}: {exc.orig}") from None
    try:
        migrate(engine)
    except DataLayerError:
        engine.dispose()
        raise
    except DBAPIError as exc:
        engine.dispose()
        if exc.connection_invalidated or isinstance(exc.orig, OSError):
            raise DatabaseUnavailableError(f"cannot open database {shown}: {exc.orig}") from None
        raise MigrationError(f"upgrading database {shown} failed: {exc.orig}") from exc
    except SQLAlchemyError as exc:
        engine.dispose()
        raise MigrationError(f"upgrading database {shown} failed: {exc}") from exc
    log.info("database %s is at schema head", shown)
    return engine
