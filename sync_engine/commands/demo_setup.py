"""``b24sync demo-setup SANDBOX_JSON``: connections for a running sandbox plus the demo profiles."""

from __future__ import annotations

import argparse
from typing import Any

from sync_engine.commands.common import USER_ERRORS, open_workspace
from sync_engine.demo import BITRIX_NAME, JIRA_NAME, DemoError, install_demo, read_sandbox_json
from sync_engine.profiles.yaml_io import ProfileFileErrors


def register(sub: Any) -> None:
    p = sub.add_parser("demo-setup", help="connect to a running 'b24sync sandbox' and import the demo profiles")
    p.add_argument("sandbox_json", help="the JSON line 'b24sync sandbox' printed, or a file holding it")
    p.set_defaults(handler=_setup)


def _setup(args: argparse.Namespace) -> int:
    from sync_engine.commands import CliError

    try:
        info = read_sandbox_json(args.sandbox_json)
    except DemoError as exc:
        raise CliError(str(exc)) from exc
    ws = open_workspace(args)
    try:
        names = install_demo(ws, info)
    except ProfileFileErrors as exc:
        raise CliError(f"a bundled demo profile is broken:\n{exc}") from exc
    except USER_ERRORS as exc:
        raise CliError(str(exc)) from exc
    finally:
        ws.close()
    print(f"connections {JIRA_NAME} and {BITRIX_NAME} saved; profiles imported: {', '.join(names)}")
    print("next: b24sync run purchase-requests --dry-run")
    return 0
