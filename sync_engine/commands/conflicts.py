"""``b24sync conflicts list|resolve``: fields changed on both sides and held for a person to settle."""

from __future__ import annotations

import argparse
import asyncio
import json
from typing import Any

from sync_engine.commands import CliError
from sync_engine.commands.common import USER_AND_CONNECTOR_ERRORS, open_workspace, print_json
from sync_engine.conflicts import resolve_conflict


def register(sub: Any) -> None:
    p = sub.add_parser("conflicts", help="list held conflicts or settle one")
    csub = p.add_subparsers(dest="action", metavar="ACTION")
    csub.required = True
    lst = csub.add_parser("list", help="open conflicts")
    lst.add_argument("--profile")
    lst.add_argument("--json", action="store_true")
    lst.set_defaults(handler=_list)
    res = csub.add_parser("resolve", help="keep one side's value, or set a value on both")
    res.add_argument("id", type=int)
    choice = res.add_mutually_exclusive_group(required=True)
    choice.add_argument("--keep", choices=("jira", "bitrix24"))
    choice.add_argument("--value", help="the value to write on both sides (JIRA's form)")
    res.set_defaults(handler=_resolve)


def _list(args: argparse.Namespace) -> int:
    ws = open_workspace(args)
    try:
        rows = ws.store.open_conflicts(args.profile)
    finally:
        ws.close()
    if args.json:
        print_json([c.model_dump(mode="json") for c in rows])
        return 0
    if not rows:
        print("no open conflicts")
    for c in rows:
        values = c.values
        print(f"#{c.id} {c.profile}: {c.jira_key or c.jira_id} ↔ {c.bitrix24_id} "
              f"{c.label or c.rule}: JIRA {json.dumps(values.get('jira'), ensure_ascii=False)} / "
              f"Bitrix24 {json.dumps(values.get('bitrix24'), ensure_ascii=False)}")
    return 0


def _resolve(args: argparse.Namespace) -> int:
    ws = open_workspace(args)
    try:
        choice = args.keep or "value"
        result = asyncio.run(resolve_conflict(ws, args.id, choice, args.value))
    except USER_AND_CONNECTOR_ERRORS as exc:
        raise CliError(str(exc)) from exc
    finally:
        ws.close()
    run = result["run"]
    written = [f"{side} ({n})" for side, n in run["updated"].items() if n]
    print(f"conflict #{args.id} resolved ({choice}); written to: {', '.join(written) or 'nothing (already equal)'}")
    return 0
