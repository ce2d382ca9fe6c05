"""One packaging build per test session: the bundle, the tarball and the .deb, made by the real script.

PyInstaller takes minutes, so the build runs once (session fixture) into a temporary directory and every
test reads from it; the module's tests share one xdist group so only one worker builds.
B24S_PACKAGED_DIST=<dir> reuses the output of an earlier `packaging/build_package.sh --out <dir>`
instead (handy while working on the tests); B24S_SKIP_PACKAGING=1 skips the module.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from bundle_support import Background, Packaged, build, reuse


@pytest.fixture(scope="session")
def packaged(tmp_path_factory: pytest.TempPathFactory) -> Packaged:
    given = os.environ.get("B24S_PACKAGED_DIST", "").strip()
    if given:
        return reuse(Path(given).resolve())
    return build(tmp_path_factory.mktemp("packaging"))


@pytest.fixture
def background() -> Iterator[list[Background]]:
    """Commands started in the background by a test; each is stopped (SIGTERM, then SIGKILL) afterwards."""
    started: list[Background] = []
    yield started
    for proc in started:
        proc.stop()
