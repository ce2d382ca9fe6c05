"""The demo: connections to a running sandbox plus the bundled demo profiles.

Shared by ``b24sync demo-setup`` and the studio's demo mode, so both set up exactly the same thing.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from resources import profiles_dir
from sync_engine.profiles.schema import Profile
from sync_engine.profiles.yaml_io import load_profiles
from sync_engine.workspace import Workspace

JIRA_NAME = "jira-demo"
BITRIX_NAME = "bitrix24-demo"
REQUIRED_KEYS = frozenset({"jira_url", "jira_user", "jira_token", "bitrix_webhook_url"})


class DemoError(ValueError):
    """The sandbox description cannot be used; the message says why."""


def read_sandbox_json(value: str) -> dict[str, Any]:
    """The JSON line ``b24sync sandbox`` printed, given as text or as a file holding it."""
    text = value.strip()
    if not text.startswith("{"):
        path = Path(text)
        if not path.is_file():
            raise DemoError(f"{value!r} is neither the sandbox's JSON line nor a file containing it")
        text = path.read_text(encoding="utf-8").strip().splitlines()[0]
    try:
        info = json.loads(text)
    except ValueError as exc:
        raise DemoError(f"the sandbox JSON is not valid JSON: {exc}") from exc
    if not isinstance(info, dict):
        raise DemoError("the sandbox JSON must be an object")
    missing = REQUIRED_KEYS - set(info)
    if missing:
        raise DemoError(f"the sandbox JSON lacks {', '.join(sorted(missing))}")
    return dict(info)


def demo_profiles() -> list[Profile]:
    out: list[Profile] = []
    for path in sorted((profiles_dir() / "demo").glob("*.yaml")):
        out += load_profiles(path)
    return out


def install_demo(ws: Workspace, info: Mapping[str, Any]) -> list[str]:
    """Replace the demo connections and import the demo profiles; returns the profile names."""
    ca = info.get("ca_file")
    for name in (JIRA_NAME, BITRIX_NAME):
        if any(c.name == name for c in ws.connections()):
            ws.remove_connection(name)
    flavour = "cloud" if "@" in str(info["jira_user"]) else "server"
    ws.add_connection(JIRA_NAME, "jira", url=str(info["jira_url"]), flavour=flavour, username=str(info["jira_user"]),
                      secret=str(info["jira_token"]), ca_file=ca)
    ws.add_connection(BITRIX_NAME, "bitrix24", url=str(info["bitrix_webhook_url"]), ca_file=ca)
    profiles = demo_profiles()
    ws.save_profiles(profiles)
    return [p.name for p in profiles]
