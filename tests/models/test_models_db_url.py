"""How the database location is chosen: --db, then B24S_DATABASE_URL, then a file in the data dir."""

from __future__ import annotations

from pathlib import Path

import pytest

from models import db
from models.errors import DatabaseUrlError
from sync_engine.settings import ENV_DATA_DIR, ENV_DATABASE_URL, ENV_SECRET_PREFIX, Settings


def test_cli_value_wins_over_environment(tmp_path: Path) -> None:
    env = {"B24S_DATABASE_URL": "postgresql://env@h/db"}
    assert db.database_url("sqlite:///cli.sqlite", env, data_dir=tmp_path) == "sqlite:///cli.sqlite"
    assert not any(tmp_path.iterdir())


def test_environment_wins_over_default(tmp_path: Path) -> None:
    env = {"B24S_DATABASE_URL": "postgresql://env@h/db"}
    assert db.database_url(None, env, data_dir=tmp_path) == "postgresql://env@h/db"


def test_blank_values_count_as_unset(tmp_path: Path) -> None:
    url = db.database_url("  ", {"B24S_DATABASE_URL": ""}, data_dir=tmp_path / "d")
    assert url == f"sqlite:///{(tmp_path / 'd' / 'studio.sqlite').as_posix()}"


def test_default_is_sqlite_in_created_data_dir(tmp_path: Path) -> None:
    data_dir = tmp_path / "not" / "yet"
    url = db.database_url(None, {}, data_dir=data_dir)
    assert url == f"sqlite:///{(data_dir / 'studio.sqlite').as_posix()}"
    assert data_dir.is_dir()


def test_default_data_dir_honours_env_then_platformdirs(tmp_path: Path) -> None:
    assert db.resolve_data_dir(None, {"B24S_DATA_DIR": str(tmp_path)}) == tmp_path
    assert db.resolve_data_dir(str(tmp_path / "cli"), {"B24S_DATA_DIR": str(tmp_path)}) == tmp_path / "cli"
    assert db.resolve_data_dir(None, {}).name == "b24-jira-studio"
    url = db.database_url(None, {"B24S_DATA_DIR": str(tmp_path / "e")})
    assert url == f"sqlite:///{(tmp_path / 'e' / 'studio.sqlite').as_posix()}"


def test_settings_resolve(tmp_path: Path) -> None:
    assert (ENV_DATABASE_URL, ENV_DATA_DIR, ENV_SECRET_PREFIX) == (
        "B24S_DATABASE_URL",
        "B24S_DATA_DIR",
        "B24S_SECRET_",
    )
    settings = Settings.resolve(cli_db=None, env={"B24S_DATA_DIR": str(tmp_path)})
    assert settings == Settings(db_url=f"sqlite:///{(tmp_path / 'studio.sqlite').as_posix()}", data_dir=tmp_path)
    explicit = Settings.resolve(cli_db="postgresql://u@h/d", env={}, cli_data_dir=str(tmp_path))
    assert explicit.db_url == "postgresql://u@h/d" and explicit.data_dir == tmp_path
    with pytest.raises(AttributeError):
        settings.db_url = "x"  # type: ignore[misc]


@pytest.mark.parametrize(
    ("given", "driver"),
    [
        ("postgresql://u@h/d", "postgresql+psycopg"),
        ("postgres://u@h/d", "postgresql+psycopg"),
        ("postgresql+psycopg://u@h/d", "postgresql+psycopg"),
        ("sqlite:///x.sqlite", "sqlite"),
    ],
)
def test_normalise_url_picks_psycopg(given: str, driver: str) -> None:
    assert db.normalise_url(given).drivername == driver


def test_bad_urls_are_clear_errors_that_hide_the_text() -> None:
    with pytest.raises(DatabaseUrlError, match="unsupported database backend 'mysql'"):
        db.normalise_url("mysql://u:pw@h/d")
    with pytest.raises(DatabaseUrlError, match="could not parse") as info:
        db.normalise_url("not a url with s3cret")
    assert "s3cret" not in str(info.value)
    assert db.safe_url("postgresql://u:s3cret@h/d") == "postgresql+psycopg://u:***@h/d"
