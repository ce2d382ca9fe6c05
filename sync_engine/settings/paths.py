"""Where the engine keeps its data, resolved once from CLI options and the environment.

Deliberately tiny and Qt-free: both ``b24sync`` and the studio build a :class:`Settings` at start-up
and pass it down, instead of modules reading the environment on their own.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from models.db import DATA_DIR_ENV, DATABASE_URL_ENV, database_url, resolve_data_dir
from models.secret_refs import SECRET_ENV_PREFIX

ENV_DATABASE_URL: Final = DATABASE_URL_ENV  # B24S_DATABASE_URL
ENV_DATA_DIR: Final = DATA_DIR_ENV  # B24S_DATA_DIR
ENV_SECRET_PREFIX: Final = SECRET_ENV_PREFIX  # B24S_SECRET_<CONNECTION NAME>


@dataclass(frozen=True)
class Settings:
    db_url: str
    data_dir: Path

    @classmethod
    def resolve(
        cls, *, cli_db: str | None, env: Mapping[str, str], cli_data_dir: str | None = None
    ) -> Settings:
        """CLI value first, then environment, then platform defaults (the default SQLite dir is created)."""
        data_dir = resolve_data_dir(cli_data_dir, env)
        return cls(db_url=database_url(cli_db, env, data_dir=data_dir), data_dir=data_dir)
