"""Fixtures for the Bitrix24 twin tests: a twin served over loopback and an event receiver."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from b24sandbox_helpers import ADMIN, Portal, Receiver, serve, start_receiver

from sync_engine.sandbox.common.twin import TwinSettings


@pytest.fixture(scope="module")
def portal() -> Iterator[Portal]:
    """Demo portal without throttles, shared by a module's read-mostly tests."""
    credentials = {"user_id": "1", "secret": "k3y"}
    yield from serve(TwinSettings(admin_token=ADMIN, limits=False, credentials=credentials))


@pytest.fixture
def fresh_portal() -> Iterator[Portal]:
    """A demo portal per test, with limits on, for tests that count calls or throttle."""
    yield from serve(TwinSettings(admin_token=ADMIN, limits=True))


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    rec, server = start_receiver()
    try:
        yield rec
    finally:
        server.shutdown()
        server.server_close()
