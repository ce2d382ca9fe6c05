"""``b24sync connections add|test|list|remove``: endpoints and where their secrets live."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import os
import sys
from typing import Any

from sync_engine.commands.common import (
    USER_AND_CONNECTOR_ERRORS,
    USER_AND_VALUE_ERRORS,
    USER_ERRORS,
    open_workspace,
    print_json,
)


def register(sub: Any) -> None:
    p = sub.add_parser("connections", help="add, test, list or remove JIRA / Bitrix24 connections")
    csub = p.add_subparsers(dest="action", metavar="ACTION")
    csub.required = True

    add = csub.add_parser("add", help="save a connection; the secret goes to the OS keyring")
    add.add_argument("name")
    add.add_argument("system", choices=("jira", "bitrix24"))
    add.add_argument("--url", required=True,
                     help="JIRA base URL, or the Bitrix24 inbound webhook URL (https://portal/rest/<id>/<code>/)")
    add.add_argument("--flavour", choices=("server", "cloud", "webhook", "oauth"))
    add.add_argument("--user", help="JIRA user (Server) or e-mail (Cloud); omit for a Server PAT")
    add.add_argument("--token-stdin", action="store_true", help="read the secret from standard input")
    add.add_argument("--ca-file", help="CA certificate file to trust (self-signed servers, the --tls sandbox)")
    add.add_argument("--insecure", action="store_true", help="do not verify TLS certificates")
    add.add_argument("--timezone", help="IANA time zone of the system's users (default Europe/Moscow)")
    add.set_defaults(handler=_add)

    test = csub.add_parser("test", help="connect and show server/portal and user")
    test.add_argument("name")
    test.add_argument("--json", action="store_true")
    test.set_defaults(handler=_test)

    lst = csub.add_parser("list", help="list connections (never secrets)")
    lst.add_argument("--json", action="store_true")
    lst.set_defaults(handler=_list)

    rm = csub.add_parser("remove", help="remove a connection and its keyring entry")
    rm.add_argument("name")
    rm.set_defaults(handler=_remove)


def _fail(exc: Exception) -> int:
    from sync_engine.commands import CliError

    raise CliError(str(exc)) from exc


def _add(args: argparse.Namespace) -> int:
    secret = None
    if args.token_stdin:
        secret = sys.stdin.readline().strip()
    elif not (args.system == "bitrix24" and "/rest/" in args.url) and sys.stdin.isatty() \
            and "B24S_SECRET_" + args.name.upper() not in os.environ:
        secret = getpass.getpass(f"API token / password for {args.name}: ")
    settings = {"timezone": args.timezone} if args.timezone else {}
    ws = open_workspace(args)
    try:
        info = ws.add_connection(args.name, args.system, url=args.url, flavour=args.flavour, username=args.user,
                                 secret=secret, verify_tls=not args.insecure, ca_file=args.ca_file,
                                 settings=settings)
    except USER_AND_VALUE_ERRORS as exc:
        return _fail(exc)
    finally:
        ws.close()
    print(f"saved {info.system} connection {info.name!r} ({info.base_url}); secret in {info.secret_ref}")
    return 0


def _test(args: argparse.Namespace) -> int:
    ws = open_workspace(args)
    try:
        result = asyncio.run(ws.test_connection(args.name))
    except USER_AND_CONNECTOR_ERRORS as exc:
        return _fail(exc)
    finally:
        ws.close()
    if args.json:
        print_json(result.model_dump(mode="json", exclude_none=True))
    elif result.system == "jira":
        print(f"OK: {result.server} {result.version} ({result.deployment}), signed in as {result.user}")
    else:
        print(f"OK: Bitrix24 portal {result.portal}, webhook of {result.user}"
              f"{' (administrator)' if result.admin else ''}")
    return 0


def _list(args: argparse.Namespace) -> int:
    ws = open_workspace(args)
    try:
        items = ws.connections()
    finally:
        ws.close()
    if args.json:
        print_json([vars(c) | {"settings": dict(c.settings)} for c in items])
        return 0
    if not items:
        print("no connections yet: b24sync connections add NAME jira|bitrix24 --url URL")
    for c in items:
        print(f"{c.name:20} {c.system:9} {c.flavour:8} {c.base_url}  secret: {c.secret_ref}")
    return 0


def _remove(args: argparse.Namespace) -> int:
    ws = open_workspace(args)
    try:
        ws.remove_connection(args.name)
    except USER_ERRORS as exc:
        return _fail(exc)
    finally:
        ws.close()
    print(f"removed {args.name}")
    return 0
