"""``b24sync run PROFILE [--dry-run] [--json]``: one sync run, or the plan of one."""

from __future__ import annotations

import argparse
import asyncio
import sys
from typing import Any

from sync_engine.commands.common import (
    USER_AND_CONNECTOR_ERRORS,
    open_workspace,
    print_json,
)
from sync_engine.engine.compile import ProfileInvalidError
from sync_engine.engine.plan import Plan
from sync_engine.engine.state import RunSummary
from sync_engine.views.plan import describe_plan


def register(sub: Any) -> None:
    p = sub.add_parser("run", help="sync one profile now (or show its plan with --dry-run)")
    p.add_argument("profile", nargs="?", help="the profile to run (or --all)")
    p.add_argument("--all", action="store_true",
                   help="run every enabled profile, those others refer to (related_entity) first")
    p.add_argument("--dry-run", action="store_true", help="print the plan; write nothing anywhere")
    p.add_argument("--reconcile", action="store_true",
                   help="also re-read every linked record, to notice deletions no event reported")
    p.add_argument("--json", action="store_true", help="print one JSON object with the counts (one line per "
                   "profile with --all)")
    p.set_defaults(handler=_run)


def _run(args: argparse.Namespace) -> int:
    from sync_engine.commands import CliError

    if bool(args.profile) == bool(args.all):
        raise CliError("name one profile to run, or pass --all")
    ws = open_workspace(args)
    failed = False
    try:
        names = ws.run_order() if args.all else [args.profile]
        for name in names:
            try:
                summary, plan = asyncio.run(ws.run(name, dry_run=args.dry_run, reconcile=args.reconcile))
            except ProfileInvalidError as exc:
                if not args.all:
                    raise CliError(f"{exc}\nnothing was written") from exc
                # One broken profile must not stop the others; it is named and the exit code says so.
                print(f"b24sync: {exc}\nnothing was written for {name!r}", file=sys.stderr)
                failed = True
                continue
            _report(args, summary, plan)
            failed = failed or bool(summary.error)
    except USER_AND_CONNECTOR_ERRORS as exc:
        raise CliError(str(exc)) from exc
    finally:
        ws.close()
    return 1 if failed else 0


def _report(args: argparse.Namespace, summary: RunSummary, plan: Plan) -> None:
    if args.json:
        print_json(summary.as_json())
        return
    if args.dry_run:
        for line in describe_plan(plan) or ["nothing to do"]:
            print(line)
    s = summary
    print(f"{'plan' if s.dry_run else 'run'} {s.profile}: created JIRA {s.created['jira']}, Bitrix24 "
          f"{s.created['bitrix24']}; updated JIRA {s.updated['jira']}, Bitrix24 {s.updated['bitrix24']}; "
          f"deleted JIRA {s.deleted['jira']}, Bitrix24 {s.deleted['bitrix24']}; "
          f"matched {s.matched}; unchanged {s.unchanged}; conflicts {s.conflicts}; errors {s.errors}; "
          f"deferred fields {s.deferred}; "
          f"API calls JIRA {s.api_calls['jira']}, Bitrix24 {s.api_calls['bitrix24']}; {s.seconds:.2f} s")
    if s.error:
        print(f"run failed: {s.error}")
