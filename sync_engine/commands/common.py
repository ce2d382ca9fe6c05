"""Helpers every command shares: opening the workspace from ``--db`` and reporting errors clearly."""

from __future__ import annotations

import argparse
import json
import os
import sys
from typing import Any

from models.errors import DataLayerError
from sync_engine.connectors.base import ConnectorError
from sync_engine.secrets import SecretError
from sync_engine.settings import Settings
from sync_engine.workspace import Workspace, WorkspaceError

USER_ERRORS: tuple[type[Exception], ...] = (WorkspaceError, DataLayerError, SecretError)
USER_AND_VALUE_ERRORS: tuple[type[Exception], ...] = (*USER_ERRORS, ValueError)
USER_AND_CONNECTOR_ERRORS: tuple[type[Exception], ...] = (*USER_ERRORS, ConnectorError)


def open_workspace(args: argparse.Namespace) -> Workspace:
    from sync_engine.cli import CliError

    settings = Settings.resolve(cli_db=getattr(args, "db", None), env=os.environ)
    try:
        return Workspace.open(settings.db_url)
    except DataLayerError as exc:
        raise CliError(str(exc)) from exc


def print_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, ensure_ascii=False, default=str) + "\n")
