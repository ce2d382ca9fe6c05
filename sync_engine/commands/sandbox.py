"""``b24sync sandbox``: serve the JIRA and Bitrix24 twins and print one JSON line to connect to them."""

from __future__ import annotations

import argparse
import asyncio
import json
import signal
import sys
import threading
from pathlib import Path
from typing import Any

from sync_engine.sandbox.server import Sandbox, SandboxOptions


def register(sub: Any) -> None:
    p = sub.add_parser("sandbox", help="run the offline JIRA and Bitrix24 twins")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--jira-port", type=int, default=0, help="0 = ephemeral")
    p.add_argument("--bitrix-port", type=int, default=0, help="0 = ephemeral")
    p.add_argument("--jira-flavour", choices=("server", "cloud"), default="server")
    p.add_argument("--seed", choices=("demo", "empty"), default="demo")
    p.add_argument("--deals", type=int, default=0, help="extra generated deals to seed")
    p.add_argument("--issues", type=int, default=0, help="extra generated purchase-request issues to seed")
    p.add_argument("--company-size", type=int, default=0,
                   help="employees of the Bitrix24 demo company (0 = about 300; e.g. 2000 for 150 departments)")
    p.add_argument("--no-limits", action="store_true", help="turn off the rate limits of both twins")
    p.add_argument("--tls", action="store_true", help="serve HTTPS with a CA generated for this run")
    p.add_argument("--state-dir", type=Path, help="persist twin state as SQLite files in this folder")
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from sync_engine.commands import CliError

    options = SandboxOptions(
        host=args.host,
        jira_port=args.jira_port,
        bitrix_port=args.bitrix_port,
        jira_flavour=args.jira_flavour,
        seed=args.seed,
        deals=args.deals,
        issues=args.issues,
        company_size=args.company_size,
        limits=not args.no_limits,
        tls=args.tls,
        state_dir=args.state_dir,
    )
    try:
        if args.state_dir:
            args.state_dir.mkdir(parents=True, exist_ok=True)
        sandbox = Sandbox(options)
    except (ValueError, OSError) as exc:
        raise CliError(str(exc)) from exc
    return asyncio.run(_serve(sandbox))


async def _serve(sandbox: Sandbox) -> int:
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, sandbox.request_stop)
    ready = threading.Event()
    task = asyncio.create_task(sandbox.serve(ready))
    while not ready.is_set():
        if task.done():
            await task  # raises the start-up error
            return 1
        await asyncio.sleep(0.01)
    sys.stdout.write(json.dumps(sandbox.info) + "\n")
    sys.stdout.flush()
    await task
    return 0
