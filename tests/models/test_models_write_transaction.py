"""Writers on SQLite wait their turn: a transaction that will write takes the lock before it reads.

A deferred transaction that read first cannot write once another connection committed meanwhile (its WAL
snapshot is stale): SQLite answers "database is locked" at once, busy timeout or not. That is how a run of
the service failed while webhook deliveries were being stored; every store now writes through
:func:`models.db.write_transaction`.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy import Connection, Engine

from models.db import make_engine, write_transaction


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    eng = make_engine(f"sqlite:///{tmp_path / 'w.sqlite'}", sqlite_busy_timeout_ms=5000)
    with eng.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE t (n INTEGER)")
    yield eng
    eng.dispose()


def read_then_write_while_another_commits(engine: Engine,
                                          tx: Callable[[], AbstractContextManager[Connection]]) -> None:
    """This transaction reads, another connection then writes and commits, then this one writes."""
    other_done = threading.Event()
    errors: list[BaseException] = []

    def other() -> None:
        try:
            with write_transaction(engine) as conn:
                conn.exec_driver_sql("INSERT INTO t VALUES (1)")
        except BaseException as exc:  # reported to the test thread
            errors.append(exc)
        finally:
            other_done.set()

    with tx() as conn:
        conn.exec_driver_sql("SELECT count(*) FROM t").scalar()
        worker = threading.Thread(target=other)
        worker.start()
        other_done.wait(0.5)  # with the lock taken up front, the other writer is still waiting here
        conn.exec_driver_sql("INSERT INTO t VALUES (2)")
    worker.join(10)
    assert not errors, errors


def test_a_deferred_transaction_that_read_first_fails_to_write(engine: Engine) -> None:
    with pytest.raises(sa.exc.OperationalError, match="database is locked"):
        read_then_write_while_another_commits(engine, engine.begin)


def test_a_write_transaction_waits_its_turn_and_both_writes_land(engine: Engine) -> None:
    read_then_write_while_another_commits(engine, lambda: write_transaction(engine))
    with engine.connect() as conn:
        assert sorted(r[0] for r in conn.exec_driver_sql("SELECT n FROM t")) == [1, 2]
