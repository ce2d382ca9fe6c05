"""``b24sync serve``: run the sync service; ``b24sync serve token create|list|revoke`` manages API tokens."""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from typing import Any

from sync_engine.commands.common import USER_ERRORS, open_workspace, print_json


def register(sub: Any) -> None:
    p = sub.add_parser("serve", help="run the sync service (webhooks, schedules, control API)")
    p.add_argument("--host", default=None, help="address to listen on (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=None, help="port (default 8765; 0 picks a free one)")
    p.add_argument("--public-url", default=None, metavar="URL",
                   help="the address JIRA and Bitrix24 reach this service at (used to register webhooks)")
    p.add_argument("--config", default=None, metavar="FILE", help="YAML file with service settings")
    p.add_argument("--workers", type=int, default=None, help="profiles run at once (0: only receive events)")
    p.add_argument("--no-register", action="store_true", help="do not touch webhook registrations at start")
    p.add_argument("--bitrix24-offline", action="store_true", default=None,
                   help="subscribe to Bitrix24 offline events and poll them")
    p.add_argument("--plain-logs", action="store_true", help="human-readable logs instead of JSON lines")
    p.set_defaults(handler=_serve)
    tsub = p.add_subparsers(dest="serve_command", metavar="SUBCOMMAND")
    token = tsub.add_parser("token", help="control-API tokens").add_subparsers(dest="token_command",
                                                                             metavar="ACTION")
    token.required = True
    create = token.add_parser("create", help="make a token and print it (shown only this once)")
    create.add_argument("name")
    create.add_argument("--read-only", action="store_true", help="may read but not change anything")
    create.set_defaults(handler=_token_create)
    token.add_parser("list", help="names and roles (never the tokens)").set_defaults(handler=_token_list)
    revoke = token.add_parser("revoke", help="delete a token")
    revoke.add_argument("name")
    revoke.set_defaults(handler=_token_revoke)


def _cli_error(message: str) -> Exception:
    from sync_engine.commands import CliError

    return CliError(message)


def _serve(args: argparse.Namespace) -> int:
    from sync_engine.service.api import create_app
    from sync_engine.service.config import ConfigError, load_runtime
    from sync_engine.service.logs import setup_json_logging
    from sync_engine.service.service import SyncService

    overrides = {"host": args.host, "port": args.port, "public_url": args.public_url, "workers": args.workers,
                 "bitrix24_offline": args.bitrix24_offline, "register_webhooks": False if args.no_register else None}
    try:
        runtime = load_runtime(args.config, overrides, env=os.environ)
    except ConfigError as exc:
        raise _cli_error(str(exc)) from exc
    config = runtime.service
    ws = open_workspace(args, runtime)
    service = SyncService(ws, config)
    if args.plain_logs or not config.json_logs:
        import logging

        logging.basicConfig(level=config.log_level.upper(), stream=sys.stderr)
    else:
        setup_json_logging(config.log_level, secrets=service.secrets.known_values)
    try:
        asyncio.run(service.serve(create_app))
    except USER_ERRORS as exc:
        raise _cli_error(str(exc)) from exc
    except OSError as exc:
        raise _cli_error(f"cannot listen on {config.host}:{config.port}: {exc.strerror}") from exc
    finally:
        ws.close()
    return 0


def _token_create(args: argparse.Namespace) -> int:
    from sync_engine.service.tokens import TokenError, TokenStore

    ws = open_workspace(args)
    try:
        token = TokenStore(ws.engine).create(args.name, "read" if args.read_only else "admin")
    except TokenError as exc:
        raise _cli_error(str(exc)) from exc
    finally:
        ws.close()
    print(token)
    if os.isatty(sys.stderr.fileno()):
        print("keep it now: it is stored only as a hash and cannot be shown again", file=sys.stderr)
    return 0


def _token_list(args: argparse.Namespace) -> int:
    from sync_engine.service.tokens import TokenStore

    ws = open_workspace(args)
    try:
        for t in TokenStore(ws.engine).list():
            print_json({"name": t.name, "role": t.role, "created_at": t.created_at, "last_used_at": t.last_used_at})
    finally:
        ws.close()
    return 0


def _token_revoke(args: argparse.Namespace) -> int:
    from sync_engine.service.tokens import TokenStore

    ws = open_workspace(args)
    try:
        if not TokenStore(ws.engine).revoke(args.name):
            raise _cli_error(f"no token named {args.name!r}")
    finally:
        ws.close()
    print(f"token {args.name} revoked")
    return 0
