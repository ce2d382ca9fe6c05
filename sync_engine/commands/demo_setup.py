"""``b24sync demo-setup SANDBOX_JSON``: connections for a running sandbox plus the demo profiles."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from resources import profiles_dir
from sync_engine.commands.common import USER_ERRORS, open_workspace
from sync_engine.profiles.yaml_io import ProfileFileErrors, load_profiles

JIRA_NAME = "jira-demo"
BITRIX_NAME = "bitrix24-demo"


def register(sub: Any) -> None:
    p = sub.add_parser("demo-setup", help="connect to a running 'b24sync sandbox' and import the demo profiles")
    p.add_argument("sandbox_json", help="the JSON line 'b24sync sandbox' printed, or a file holding it")
    p.set_defaults(handler=_setup)


def read_sandbox_json(value: str) -> dict[str, Any]:
    from sync_engine.commands import CliError

    text = value.strip()
    if not text.startswith("{"):
        path = Path(text)
        if not path.is_file():
            raise CliError(f"{value!r} is neither the sandbox's JSON line nor a file containing it")
        text = path.read_text(encoding="utf-8").strip().splitlines()[0]
    try:
        info = json.loads(text)
    except ValueError as exc:
        raise CliError(f"the sandbox JSON is not valid JSON: {exc}") from exc
    missing = {"jira_url", "jira_user", "jira_token", "bitrix_webhook_url"} - set(info)
    if missing:
        raise CliError(f"the sandbox JSON lacks {', '.join(sorted(missing))}")
    return dict(info)


def demo_profiles() -> list[Any]:
    out: list[Any] = []
    for path in sorted((profiles_dir() / "demo").glob("*.yaml")):
        out += load_profiles(path)
    return out


def setup(ws: Any, info: dict[str, Any]) -> list[str]:
    """Replace the demo connections and import the demo profiles; returns the profile names."""
    ca = info.get("ca_file")
    for name in (JIRA_NAME, BITRIX_NAME):
        if any(c.name == name for c in ws.connections()):
            ws.remove_connection(name)
    flavour = "cloud" if "@" in info["jira_user"] else "server"
    ws.add_connection(JIRA_NAME, "jira", url=info["jira_url"], flavour=flavour, username=info["jira_user"],
                      secret=info["jira_token"], ca_file=ca)
    ws.add_connection(BITRIX_NAME, "bitrix24", url=info["bitrix_webhook_url"], ca_file=ca)
    profiles = demo_profiles()
    ws.save_profiles(profiles)
    return [p.name for p in profiles]


def _setup(args: argparse.Namespace) -> int:
    from sync_engine.commands import CliError

    info = read_sandbox_json(args.sandbox_json)
    ws = open_workspace(args)
    try:
        names = setup(ws, info)
    except ProfileFileErrors as exc:
        raise CliError(f"a bundled demo profile is broken:\n{exc}") from exc
    except USER_ERRORS as exc:
        raise CliError(str(exc)) from exc
    finally:
        ws.close()
    print(f"connections {JIRA_NAME} and {BITRIX_NAME} saved; profiles imported: {', '.join(names)}")
    print("next: b24sync run purchase-requests --dry-run")
    return 0
