"""Helpers every command shares: opening the workspace from ``--db`` and reporting errors clearly."""

from __future__ import annotations

import argparse
import json
import os
import sys
from typing import Any

from models.errors import DataLayerError
from sync_engine.connectors.base import ConnectorError
from sync_engine.secrets import SECRET_STORE_ENV, SecretError, SecretStore, choose_backend
from sync_engine.settings import RuntimeSettings, Settings, SettingsError, load_settings
from sync_engine.workspace import Workspace, WorkspaceError

USER_ERRORS: tuple[type[Exception], ...] = (WorkspaceError, DataLayerError, SecretError)
USER_AND_VALUE_ERRORS: tuple[type[Exception], ...] = (*USER_ERRORS, ValueError)
USER_AND_CONNECTOR_ERRORS: tuple[type[Exception], ...] = (*USER_ERRORS, ConnectorError)


def open_workspace(args: argparse.Namespace, runtime: RuntimeSettings | None = None) -> Workspace:
    """The workspace of a command: ``--db`` (or the environment) and the secret store, with the runtime
    settings the command loaded (default: the schema's defaults under the ``B24S__*`` environment)."""
    from sync_engine.commands import CliError

    if runtime is None:
        try:
            runtime = load_settings(env=os.environ)
        except SettingsError as exc:
            raise CliError(str(exc)) from exc
    settings = Settings.resolve(cli_db=getattr(args, "db", None), env=os.environ)
    try:
        backend = choose_backend(os.environ.get(SECRET_STORE_ENV, "auto"), settings.data_dir,
                                 warn=lambda m: print(f"b24sync: note: {m}", file=sys.stderr))
    except ValueError as exc:
        raise CliError(str(exc)) from exc
    try:
        return Workspace.open(settings.db_url, SecretStore(backend), runtime)
    except DataLayerError as exc:
        raise CliError(str(exc)) from exc


def print_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, ensure_ascii=False, default=str) + "\n")
