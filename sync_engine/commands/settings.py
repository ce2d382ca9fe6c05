"""``b24sync settings [--json] [--config FILE]``: every runtime setting, its default and the value in force."""

from __future__ import annotations

import argparse
import os
from typing import Any

from sync_engine.commands.common import print_json


def register(sub: Any) -> None:
    p = sub.add_parser("settings", help="list the runtime settings (type, default, value in force, meaning)")
    p.add_argument("--config", metavar="FILE", help="a settings file (as given to 'b24sync serve --config')")
    p.add_argument("--json", action="store_true", help="one JSON object per setting")
    p.set_defaults(handler=_settings)


def _settings(args: argparse.Namespace) -> int:
    from sync_engine.commands import CliError
    from sync_engine.settings import SettingsError, describe, load_settings

    try:
        current = load_settings(args.config, env=os.environ)
    except SettingsError as exc:
        raise CliError(str(exc)) from exc
    for row in describe():
        section, name = row["name"].split(".", 1)
        value = getattr(getattr(current, section), name)
        if args.json:
            print_json({**row, "value": value})
        else:
            marker = "" if value == row["default"] or name == "instance_id" else "  (set)"
            print(f"{row['name']} = {value!r}{marker}\n    {row['type']}; default {row['default']!r}. "
                  f"{row['description']}")
    return 0
