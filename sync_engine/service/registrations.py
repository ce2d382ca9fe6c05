"""Making the remote systems call us: JIRA webhooks and Bitrix24 event handlers, reconciled idempotently.

At every start the service compares what is registered with what its profiles need and only adds,
updates or removes the difference, recognising its own registrations by their handler URL (and, for
JIRA, by name), so restarts never pile up duplicates. Bitrix24 allows ``event.bind`` only in an
application context; a portal connected by an inbound webhook needs its admin to create an outgoing
webhook, so for those the service only says which URL to enter.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import httpx

from sync_engine.connectors.bitrix24 import Bitrix24Connector
from sync_engine.service.inbound import B24_ENTITY_EVENTS, JIRA_EVENTS
from sync_engine.service.routing import RoutedProfile
from sync_engine.store.connections import ConnectionInfo

log = logging.getLogger(__name__)
JIRA_FILTER_KEY = "issue-related-events-section"
JIRA_HOOKS_PATH = "/rest/webhooks/1.0/webhook"


@dataclass
class Outcome:
    connection: str
    system: str
    mode: str  # webhook, app, offline, manual
    handler_url: str | None = None
    created: int = 0
    updated: int = 0
    removed: int = 0
    events: list[str] = field(default_factory=list)
    error: str | None = None

    def as_json(self) -> dict[str, Any]:
        return dict(self.__dict__)


def jira_hook_url(public_url: str, connection: str) -> str:
    return f"{public_url.rstrip('/')}/hooks/jira/{connection}"


def bitrix24_hook_url(public_url: str, connection: str) -> str:
    return f"{public_url.rstrip('/')}/hooks/bitrix24/{connection}"


def jira_jql(routes: Sequence[RoutedProfile], connection: str) -> str:
    projects = sorted({k.upper() for r in routes if r.jira_connection == connection and r.profile.jira.entity == "issue"
                       for k in r.profile.jira.projects})
    return f"project in ({', '.join(projects)})" if projects else ""


def bitrix24_events(routes: Sequence[RoutedProfile], connection: str) -> list[str]:
    out: set[str] = set()
    for r in routes:
        if r.bitrix24_connection != connection or not r.event_triggers("bitrix24"):
            continue
        side = r.profile.bitrix24
        base = B24_ENTITY_EVENTS[side.entity]
        suffix = f"_{side.entity_type_id}" if side.entity == "item" else ""
        out |= {f"ONCRM{base}{a}{suffix}" for a in ("ADD", "UPDATE", "DELETE")}
    return sorted(out)


def _jira_client(info: ConnectionInfo, secret: str) -> httpx.AsyncClient:
    auth: httpx.Auth | None = httpx.BasicAuth(info.username, secret) if info.username else None
    headers = {} if info.username else {"Authorization": f"Bearer {secret}"}
    verify: bool | str = info.ca_file or info.verify_tls
    return httpx.AsyncClient(base_url=info.base_url, auth=auth, headers=headers, verify=verify, timeout=30,
                             trust_env=False)


async def reconcile_jira(info: ConnectionInfo, secret: str, public_url: str, hook_secret: str,
                         routes: Sequence[RoutedProfile]) -> Outcome:
    url = jira_hook_url(public_url, info.name)
    name = f"b24sync {info.name}"
    out = Outcome(info.name, "jira", "webhook", url, events=list(JIRA_EVENTS))
    body = {"name": name, "url": url, "events": list(JIRA_EVENTS), "excludeBody": False, "enabled": True,
            "filters": {JIRA_FILTER_KEY: jira_jql(routes, info.name)}, "secret": hook_secret}
    async with _jira_client(info, secret) as client:
        resp = await client.get(JIRA_HOOKS_PATH)
        resp.raise_for_status()
        hooks = [h for h in resp.json() if isinstance(h, dict)]
        ours = [h for h in hooks if h.get("url") == url or h.get("name") == name]
        keep = next((h for h in ours if h.get("url") == url), ours[0] if ours else None)
        for h in ours:
            if h is keep:
                continue
            (await client.delete(_hook_path(h))).raise_for_status()
            out.removed += 1
        if keep is None:
            (await client.post(JIRA_HOOKS_PATH, json=body)).raise_for_status()
            out.created += 1
        else:
            # Always rewrite: the registration's secret is not readable back, so it is set every time.
            (await client.put(_hook_path(keep), json=body)).raise_for_status()
            out.updated += 1
    return out


def _hook_path(hook: dict[str, Any]) -> str:
    self_url = str(hook.get("self") or "")
    return JIRA_HOOKS_PATH + "/" + self_url.rstrip("/").rsplit("/", 1)[-1]


async def reconcile_bitrix24(conn: Bitrix24Connector, info: ConnectionInfo, public_url: str | None, offline: bool,
                             routes: Sequence[RoutedProfile]) -> Outcome:
    """Online handlers at our URL when we have a public URL; offline subscriptions when asked to poll."""
    wanted_events = bitrix24_events(routes, info.name)
    handler = bitrix24_hook_url(public_url, info.name) if public_url else None
    out = Outcome(info.name, "bitrix24", "offline" if offline else "app", handler, events=wanted_events)
    want: set[tuple[str, str, bool]] = set()
    if handler and not offline:
        want |= {(e, handler, False) for e in wanted_events}
    if offline:
        want |= {(e, "", True) for e in wanted_events}
    current = await conn.call("event.get") or []
    have: set[tuple[str, str, bool]] = set()
    for sub in current:
        if not isinstance(sub, dict):
            continue
        is_offline = str(sub.get("offline", "0")) in ("1", "true", "True")
        key = (str(sub.get("event", "")).upper(), str(sub.get("handler") or ""), is_offline)
        ours = is_offline or "/hooks/bitrix24/" in key[1]
        if not ours:
            continue
        if key in have:  # a duplicate left by an earlier, interrupted start
            continue
        have.add(key)
        if key not in want:
            params: dict[str, Any] = {"event": key[0]}
            params.update({"event_type": "offline"} if is_offline else {"handler": key[1]})
            await conn.call("event.unbind", params)
            out.removed += 1
    for event, url, is_offline in sorted(want - have):
        params = {"event": event, "event_type": "offline"} if is_offline else {"event": event, "handler": url}
        await conn.call("event.bind", params)
        out.created += 1
    return out


def manual_outcome(info: ConnectionInfo, public_url: str | None, routes: Sequence[RoutedProfile]) -> Outcome:
    """An inbound-webhook portal: only its admin can add the outgoing webhook that will call us."""
    handler = bitrix24_hook_url(public_url, info.name) if public_url else None
    return Outcome(info.name, "bitrix24", "manual", handler, events=bitrix24_events(routes, info.name))
