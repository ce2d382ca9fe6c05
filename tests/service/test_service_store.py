"""The service's own tables on SQLite and PostgreSQL: the inbox drops redeliveries, tokens are hashes.

The job queue it feeds has its own tests (tests/jobs).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC

import pytest
from sqlalchemy import Engine, text

from models.db import open_database
from sync_engine.service.store import ServiceStore, utcnow
from sync_engine.service.tokens import TokenError, TokenStore, token_hash


@pytest.fixture
def engine(any_db: str) -> Iterator[Engine]:
    eng = open_database(any_db)
    yield eng
    eng.dispose()


def test_inbox_drops_redeliveries(engine: Engine) -> None:
    store = ServiceStore(engine)
    assert store.inbox_add("jira-x", "jira", "jira:abc", "jira:issue_updated", {"id": "1"})
    assert not store.inbox_add("jira-x", "jira", "jira:abc", "jira:issue_updated", {"id": "1"})
    assert store.inbox_counts() == {"new": 1}


def test_tokens_are_kept_as_hashes(engine: Engine) -> None:
    tokens = TokenStore(engine)
    admin = tokens.create("ops")
    reader = tokens.create("viewer", "read")
    with pytest.raises(TokenError, match="exists already"):
        tokens.create("ops")
    with engine.connect() as conn:
        stored = [r[0] for r in conn.execute(text("SELECT token_hash FROM service_tokens"))]
    assert admin not in stored and token_hash(admin) in stored
    info = tokens.verify(admin)
    assert info is not None and info.role == "admin"
    read = tokens.verify(reader)
    assert read is not None and read.role == "read"
    assert tokens.verify(admin + "x") is None
    assert tokens.revoke("ops") and tokens.verify(admin) is None


def test_utc_only() -> None:
    assert utcnow().tzinfo is UTC
