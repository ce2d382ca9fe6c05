"""What the engine's integration tests share: a twin pair over loopback, users' hands on both APIs, and a
workspace (fresh SQLite DB, in-memory keyring) wired to the twins the way ``b24sync demo-setup`` does.

Users act through the twins' public REST APIs (JIRA REST v2 with Basic auth, the Bitrix24 inbound
webhook), never through our connectors, so a test sees the engine from the outside.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import httpx
from keyring.backend import KeyringBackend

from sync_engine.engine.runner import Hints
from sync_engine.engine.state import RunSummary
from sync_engine.profiles.schema import Profile
from sync_engine.sandbox.server import Sandbox, SandboxOptions
from sync_engine.secrets import SecretStore
from sync_engine.workspace import Workspace

JIRA = "jira-demo"
BITRIX = "bitrix24-demo"
B24_WRITES = ("add", "update", "delete", "set")


class Admin:
    """A twin's admin endpoint (counters, faults, reset, seed)."""

    def __init__(self, base_url: str, token: str) -> None:
        self._client = httpx.Client(base_url=base_url, headers={"Authorization": f"Bearer {token}"}, timeout=300)

    def counters(self) -> dict[str, Any]:
        return dict(self._client.get("/_sandbox/counters").raise_for_status().json())

    def faults(self, **settings: Any) -> dict[str, Any]:
        return dict(self._client.post("/_sandbox/faults", json=settings).raise_for_status().json())

    def reset(self, **what: bool) -> None:
        self._client.post("/_sandbox/reset", json=what).raise_for_status()

    def seed(self, **options: Any) -> dict[str, Any]:
        return dict(self._client.post("/_sandbox/seed", json=options).raise_for_status().json())

    def post(self, path: str, body: Any) -> Any:
        return self._client.post(path, json=body).raise_for_status().json()

    def get(self, path: str) -> Any:
        return self._client.get(path).raise_for_status().json()

    def close(self) -> None:
        self._client.close()


class MemoryKeyring(KeyringBackend):
    priority = 1

    def __init__(self) -> None:
        super().__init__()
        self.values: dict[tuple[str, str], str] = {}

    def set_password(self, service: str, username: str, password: str) -> None:
        self.values[(service, username)] = password

    def get_password(self, service: str, username: str) -> str | None:
        return self.values.get((service, username))

    def delete_password(self, service: str, username: str) -> None:
        self.values.pop((service, username), None)


class Twins:
    """Both twins in this process (a server thread), with admin and user clients."""

    def __init__(self, seed: str = "empty", deals: int = 0, issues: int = 0) -> None:
        self.box = Sandbox(SandboxOptions(limits=False, seed=seed, deals=deals, issues=issues))
        self.info = self.box.start_in_thread()
        self.jira_admin = Admin(self.info["jira_url"], self.info["admin_token"])
        self.bitrix_admin = Admin(self.info["bitrix_webhook_url"].split("/rest/")[0], self.info["admin_token"])
        self.jira_http = httpx.Client(base_url=self.info["jira_url"] + "/rest/api/2",
                                      auth=(self.info["jira_user"], self.info["jira_token"]), timeout=60)
        self.b24_http = httpx.Client(base_url=self.info["bitrix_webhook_url"], timeout=60)

    def close(self) -> None:
        for c in (self.jira_http, self.b24_http):
            c.close()
        self.jira_admin.close()
        self.bitrix_admin.close()
        self.box.stop()

    # -- data --------------------------------------------------------------------------------------
    def reset(self, seed: str = "empty", deals: int = 0, issues: int = 0) -> None:
        self.jira_admin.seed(seed=seed, issues=issues)
        self.bitrix_admin.seed(seed=seed, deals=deals)
        self.jira_admin.reset(counters=True, faults=True)
        self.bitrix_admin.reset(counters=True, faults=True)

    def writes(self) -> dict[str, int]:
        """Remote writes the twins received: JIRA POST/PUT/DELETE; Bitrix24 add/update/delete calls and
        batch sub-calls."""
        j = self.jira_admin.counters()
        b = self.bitrix_admin.counters()
        jw = sum(n for k, n in j["by_method"].items() if k.split(" ")[0] in ("POST", "PUT", "DELETE"))
        bw = sum(n for k, n in {**b["by_method"], **b["subcalls"]}.items()
                 if k.rsplit(".", 1)[-1].lower() in B24_WRITES)
        return {"jira": jw, "bitrix24": bw}

    # -- JIRA as a user ----------------------------------------------------------------------------
    def jira(self, method: str, path: str, body: Any = None, **params: Any) -> Any:
        r = self.jira_http.request(method, path, json=body, params=params or None)
        r.raise_for_status()
        return r.json() if r.content else None

    def jql(self, jql: str, fields: str = "*all") -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        while True:
            page = self.jira("GET", "/search", jql=jql, startAt=len(out), maxResults=100, fields=fields)
            out += page["issues"]
            if not page["issues"] or len(out) >= page["total"]:
                return out

    def create_issue(self, project: str, issue_type: str, **fields: Any) -> dict[str, Any]:
        body = {"fields": {"project": {"key": project}, "issuetype": {"name": issue_type}, **fields}}
        return dict(self.jira("POST", "/issue", body))

    def issue(self, key: str) -> dict[str, Any]:
        return dict(self.jira("GET", f"/issue/{key}")["fields"])

    def transition(self, key: str, status: str) -> None:
        available = self.jira("GET", f"/issue/{key}/transitions")["transitions"]
        match = next(t for t in available if t["to"]["name"] == status)
        self.jira("POST", f"/issue/{key}/transitions", {"transition": {"id": match["id"]}})

    # -- Bitrix24 as a user ------------------------------------------------------------------------
    def b24(self, method: str, params: Mapping[str, Any] | None = None) -> Any:
        r = self.b24_http.post(f"{method}.json", json=dict(params or {}))
        r.raise_for_status()
        body = r.json()
        assert "error" not in body, body
        return body["result"]

    def b24_list(self, method: str, params: Mapping[str, Any] | None = None) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        start = 0
        while True:
            r = self.b24_http.post(f"{method}.json", json={**dict(params or {}), "start": start})
            r.raise_for_status()
            body = r.json()
            out += body["result"]
            if "next" not in body:
                return out
            start = body["next"]


def workspace(tmp: Path, info: Mapping[str, Any], profiles: list[Profile]) -> Workspace:
    ws = Workspace.open(f"sqlite:///{tmp / 'b24s.sqlite'}", SecretStore(backend=MemoryKeyring()))
    ws.add_connection(JIRA, "jira", url=info["jira_url"], flavour="server", username=info["jira_user"],
                      secret=info["jira_token"])
    ws.add_connection(BITRIX, "bitrix24", url=info["bitrix_webhook_url"])
    ws.save_profiles(profiles)
    return ws


def run(ws: Workspace, name: str, *, hints: Hints | None = None, reconcile: bool = False,
        dry_run: bool = False) -> RunSummary:
    summary, _ = asyncio.run(ws.run(name, hints=hints, reconcile=reconcile, dry_run=dry_run))
    assert summary.error is None, summary.error
    return summary


def profile(doc: Mapping[str, Any]) -> Profile:
    return Profile.model_validate(dict(doc))


def twins_fixture(seed: str = "empty") -> Iterator[Twins]:
    twins = Twins(seed=seed)
    try:
        yield twins
    finally:
        twins.close()


# A small profile for the property, crash and fault tests: title, amount and a value-mapped stage,
# stamps both ways, deletions mirrored.
SMALL_PROFILE: dict[str, Any] = {
    "name": "small",
    "title": "Small",
    "jira": {"connection": JIRA, "projects": ["PROC"], "issue_types": ["Purchase request"]},
    "bitrix24": {"connection": BITRIX, "entity": "deal", "category_id": 0},
    "matching": {"mode": "match_then_create", "rules": [
        {"jira_field": "customfield_10103", "bitrix24_field": "ID", "normalise": "digits"},
        {"jira_field": "key", "bitrix24_field": "UF_CRM_JIRA_KEY", "normalise": "casefold"}]},
    "deletion": {"policy": "mirror"},
    "conflict": "prefer_jira",
    "mappings": [
        {"id": "title", "jira_field": "summary", "bitrix24_field": "TITLE"},
        {"id": "amount", "jira_field": "customfield_10101", "bitrix24_field": "OPPORTUNITY"},
        {"id": "stage", "jira_field": "status", "bitrix24_field": "STAGE_ID", "transform": {
            "type": "value_map", "pairs": [{"jira": "Открыт", "bitrix24": "NEW"},
                                           {"jira": "Квалификация", "bitrix24": "PREPARATION"},
                                           {"jira": "Отклонён", "bitrix24": "LOSE"}]}},
    ],
}


def add_stamp_field(twins: Twins) -> None:
    """What a portal admin does once: the deal field that holds the JIRA key (absent on an empty portal)."""
    existing = twins.b24("crm.deal.userfield.list", {"filter": {"FIELD_NAME": "UF_CRM_JIRA_KEY"}})
    if not existing:
        twins.b24("crm.deal.userfield.add", {"fields": {"FIELD_NAME": "JIRA_KEY", "USER_TYPE_ID": "string",
                                                         "EDIT_FORM_LABEL": "JIRA key"}})


def agreement(twins: Twins, ws: Workspace, name: str = "small") -> tuple[int, list[str]]:
    """(pairs, problems): both sides agree under SMALL_PROFILE, stamps unique, links one-to-one."""
    issues = twins.jql("project = PROC", fields="summary,customfield_10101,customfield_10103,status")
    deals = twins.b24_list("crm.deal.list", {"select": ["ID", "TITLE", "OPPORTUNITY", "STAGE_ID",
                                                         "UF_CRM_JIRA_KEY"]})
    links = ws.store.all_links(name)
    problems: list[str] = []
    if not (len(issues) == len(deals) == len(links)):
        problems.append(f"counts differ: {len(issues)} issues, {len(deals)} deals, {len(links)} links")
    stamps_j = [str(i["fields"].get("customfield_10103") or "").split(".")[0] for i in issues]
    stamps_b = [str(d.get("UF_CRM_JIRA_KEY") or "") for d in deals]
    for what, stamps in (("JIRA deal-id stamps", stamps_j), ("deal JIRA-key stamps", stamps_b)):
        if "" in stamps or len(set(stamps)) != len(stamps):
            problems.append(f"{what} missing or shared: {sorted(stamps)}")
    by_key = {i["key"]: i for i in issues}
    by_id = {str(d["ID"]): d for d in deals}
    stage = {"Открыт": "NEW", "Квалификация": "PREPARATION", "Отклонён": "LOSE"}
    if len({lk.jira_id for lk in links}) != len(links) or len({lk.bitrix24_id for lk in links}) != len(links):
        problems.append("a record is linked twice")
    for lk in links:
        issue, deal = by_key.get(lk.jira_key or ""), by_id.get(lk.bitrix24_id)
        if issue is None or deal is None:
            problems.append(f"link {lk.jira_key} ↔ {lk.bitrix24_id} points at a missing record")
            continue
        f = issue["fields"]
        if f["summary"] != deal["TITLE"]:
            problems.append(f"{lk.jira_key}: title {f['summary']!r} vs {deal['TITLE']!r}")
        if float(f.get("customfield_10101") or 0) != float(deal.get("OPPORTUNITY") or 0):
            problems.append(f"{lk.jira_key}: amount {f.get('customfield_10101')} vs {deal.get('OPPORTUNITY')}")
        if stage.get(f["status"]["name"]) != deal["STAGE_ID"]:
            problems.append(f"{lk.jira_key}: stage {f['status']['name']} vs {deal['STAGE_ID']}")
        if str(deal.get("UF_CRM_JIRA_KEY")) != issue["key"]:
            problems.append(f"{lk.jira_key}: deal {lk.bitrix24_id} carries stamp {deal.get('UF_CRM_JIRA_KEY')}")
    return len(links), problems
