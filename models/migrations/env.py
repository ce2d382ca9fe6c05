"""Alembic environment.

Run time: :func:`models.db.migrate` passes an open connection in ``config.attributes["connection"]`` and
owns the transaction. Developer use (``alembic -c models/alembic.ini revision --autogenerate -m ...``):
the URL comes from ``sqlalchemy.url``, else --db-less resolution (B24S_DATABASE_URL, else the default
SQLite file). SQLite gets batch mode, since it cannot ALTER most things in place.
"""

from __future__ import annotations

import os

from alembic import context
from sqlalchemy import Connection

from models import db
from models.migrations.autogen import render_item
from models.registry import metadata

config = context.config


def _url() -> str:
    return config.get_main_option("sqlalchemy.url") or db.database_url(None, os.environ)


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
        render_item=render_item,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_offline() -> None:
    url = db.normalise_url(_url())
    context.configure(
        url=url,
        target_metadata=metadata,
        literal_binds=True,
        dialect_opts={"paramstyle": "named"},
        render_as_batch=url.get_backend_name() == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    engine = db.make_engine(_url())
    try:
        with engine.connect() as conn:
            _run(conn)
            conn.commit()
    finally:
        engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
