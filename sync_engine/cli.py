"""``b24sync``: the sync engine's command line.

Each sub-command lives in its own module under :mod:`sync_engine.commands` and registers itself
through a ``register(subparsers)`` function, so adding a command never touches the others.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from sync_engine.commands import CliError
from sync_engine.version import __version__

__all__ = ["CliError", "build_parser", "main"]

COMMAND_MODULES = (
    "sandbox", "connections", "profiles", "run", "conflicts", "demo_setup", "serve", "remote", "settings",
)


def build_parser() -> argparse.ArgumentParser:
    import importlib

    parser = argparse.ArgumentParser(prog="b24sync", description="Keep JIRA and Bitrix24 in step.")
    parser.add_argument("--version", action="version", version=f"b24sync {__version__}")
    parser.add_argument(
        "--db",
        metavar="URL",
        help="database URL (default: env B24S_DATABASE_URL, else a SQLite file in the user data dir)",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    for name in COMMAND_MODULES:
        importlib.import_module(f"sync_engine.commands.{name}").register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        result = args.handler(args)
    except CliError as exc:
        print(f"b24sync: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    return int(result or 0)


if __name__ == "__main__":
    sys.exit(main())
