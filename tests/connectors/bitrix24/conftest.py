"""Fixtures of the Bitrix24 connector tests (the helpers live in b24_connector_harness)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from b24_connector_harness import ServedTwin, serve_twin


@pytest.fixture(scope="session")
def big_twin() -> Iterator[ServedTwin]:
    """Demo portal plus 10,000 bulk deals; read-only for the tests that use it."""
    with serve_twin(seed="demo", size=10_000) as served:
        yield served


@pytest.fixture
def demo_twin() -> Iterator[ServedTwin]:
    """A fresh demo portal per test, for tests that write or inject faults."""
    with serve_twin(seed="demo") as served:
        yield served
