"""A missing prerequisite skips a test on a developer's machine and fails it in CI."""

from __future__ import annotations

import pytest

from tests.prerequisites import missing, pg_url


@pytest.mark.parametrize("ci", ["", "false", "0"])
def test_a_missing_prerequisite_skips_outside_ci(monkeypatch: pytest.MonkeyPatch, ci: str) -> None:
    monkeypatch.setenv("CI", ci)
    with pytest.raises(pytest.skip.Exception, match=r"^no ldd on this machine$"):
        missing("no ldd on this machine")


@pytest.mark.parametrize("ci", ["true", "TRUE"])
def test_a_missing_prerequisite_fails_in_ci(monkeypatch: pytest.MonkeyPatch, ci: str) -> None:
    monkeypatch.setenv("CI", ci)
    with pytest.raises(pytest.fail.Exception) as failed:
        missing("no ldd on this machine")
    assert str(failed.value) == "no ldd on this machine (CI=true: this test must run, not be skipped)"


def test_the_test_database_url_puts_the_schema_first() -> None:
    assert pg_url("t_x").endswith("/test?options=-csearch_path%3Dt_x")
