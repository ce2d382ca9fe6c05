"""Engine tests: each module gets twins of its own (they edit data), empty unless the module says otherwise."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from engine_harness import Twins, twins_fixture


@pytest.fixture(scope="module")
def twins() -> Iterator[Twins]:
    yield from twins_fixture("empty")
