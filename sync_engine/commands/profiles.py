"""``b24sync profiles list|export|import|validate``: profiles as code (YAML checked by a JSON Schema)."""

from __future__ import annotations

import argparse
import asyncio
from pathlib import Path
from typing import Any

from sync_engine.commands.common import USER_AND_CONNECTOR_ERRORS, USER_ERRORS, open_workspace
from sync_engine.engine.compile import scopes
from sync_engine.mapping.validate import validate_profile
from sync_engine.profiles.yaml_io import ProfileFileErrors, export_profiles, load_profiles


def register(sub: Any) -> None:
    p = sub.add_parser("profiles", help="list, export, import or validate sync profiles")
    psub = p.add_subparsers(dest="action", metavar="ACTION")
    psub.required = True
    lst = psub.add_parser("list", help="profiles in the database")
    lst.set_defaults(handler=_list)
    exp = psub.add_parser("export", help="write profiles to a YAML file")
    exp.add_argument("file", type=Path)
    exp.add_argument("names", nargs="*", help="only these profiles (default: all)")
    exp.set_defaults(handler=_export)
    imp = psub.add_parser("import", help="load a YAML file into the database (all or nothing)")
    imp.add_argument("file", type=Path)
    imp.add_argument("--check-live", action="store_true",
                     help="also validate against the connected systems' field metadata before saving")
    imp.set_defaults(handler=_import)
    val = psub.add_parser("validate", help="check a YAML file; --live also against the connected systems")
    val.add_argument("file", type=Path)
    val.add_argument("--live", action="store_true")
    val.set_defaults(handler=_validate)


def _cli_error(message: str) -> Exception:
    from sync_engine.commands import CliError

    return CliError(message)


def _load(path: Path) -> list[Any]:
    try:
        return load_profiles(path)
    except ProfileFileErrors as exc:
        raise _cli_error(f"{path} is not a valid profiles file; nothing was changed:\n{exc}") from exc


async def _live_issues(ws: Any, profiles: list[Any]) -> list[str]:
    out: list[str] = []
    for profile in profiles:
        jira = ws.connector(ws.connection(profile.jira.connection, "jira"))
        b24 = ws.connector(ws.connection(profile.bitrix24.connection, "bitrix24"))
        try:
            jscope, bscope = scopes(profile)
            issues = validate_profile(profile, await jira.describe_fields(jscope), await b24.describe_fields(bscope),
                                      known_profiles={p.name for p in ws.profiles()} | {p.name for p in profiles})
        finally:
            await jira.aclose()
            await b24.aclose()
        out += [f"{profile.name}: {i.severity}: {i.path}: {i.message}" for i in issues]
    return out


def _list(args: argparse.Namespace) -> int:
    ws = open_workspace(args)
    try:
        profiles = ws.profiles()
    finally:
        ws.close()
    if not profiles:
        print("no profiles yet: b24sync profiles import FILE.yaml")
    for p in profiles:
        print(f"{p.name:22} {p.jira.entity}:{','.join(p.jira.projects) or '-':10} ↔ {p.bitrix24.entity:8} "
              f"{len(p.mappings)} mappings  {p.title}")
    return 0


def _export(args: argparse.Namespace) -> int:
    ws = open_workspace(args)
    try:
        profiles = [ws.profile(n) for n in args.names] if args.names else ws.profiles()
    except USER_ERRORS as exc:
        raise _cli_error(str(exc)) from exc
    finally:
        ws.close()
    export_profiles(profiles, args.file)
    print(f"exported {len(profiles)} profile(s) to {args.file}")
    return 0


def _import(args: argparse.Namespace) -> int:
    profiles = _load(args.file)
    ws = open_workspace(args)
    try:
        if args.check_live:
            errors = [i for i in asyncio.run(_live_issues(ws, profiles)) if ": error: " in i]
            if errors:
                raise _cli_error("not imported; fix these first:\n" + "\n".join(errors))
        ws.save_profiles(profiles)
    except USER_AND_CONNECTOR_ERRORS as exc:
        raise _cli_error(str(exc)) from exc
    finally:
        ws.close()
    print(f"imported {len(profiles)} profile(s): {', '.join(p.name for p in profiles)}")
    return 0


def _validate(args: argparse.Namespace) -> int:
    profiles = _load(args.file)
    if args.live:
        ws = open_workspace(args)
        try:
            issues = asyncio.run(_live_issues(ws, profiles))
        except USER_AND_CONNECTOR_ERRORS as exc:
            raise _cli_error(str(exc)) from exc
        finally:
            ws.close()
        for line in issues:
            print(line)
        if any(": error: " in i for i in issues):
            return 1
    print(f"{args.file}: {len(profiles)} profile(s) valid")
    return 0
