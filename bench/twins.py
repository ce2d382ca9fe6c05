"""The twins as the benchmark drives them: a ``b24sync sandbox`` child process, its admin endpoints, and
plain HTTP clients that put data in and edit it the way a person or another system would.

The twins run in their own process so that the engine process's peak RSS and CPU are the engine's
alone. Everything here talks HTTP; nothing imports the twins' code.
"""

from __future__ import annotations

import json
import os
import selectors
import subprocess
import sys
import time
import urllib.parse
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx


class BenchError(Exception):
    """A benchmark could not be set up or run (not a missed target: those are results)."""


@dataclass(frozen=True)
class SandboxInfo:
    jira_url: str
    jira_user: str
    jira_token: str
    bitrix_webhook_url: str
    admin_token: str

    @property
    def bitrix_base(self) -> str:
        parts = urllib.parse.urlsplit(self.bitrix_webhook_url)
        return f"{parts.scheme}://{parts.netloc}"

    def as_json(self) -> str:
        return json.dumps(self.__dict__)


class SandboxProcess:
    """``b24sync sandbox --seed empty`` in a child process; stopped by its own pid only."""

    def __init__(self, log_path: Path, *, limits: bool = True) -> None:
        self.log_path = log_path
        self.limits = limits
        self.proc: subprocess.Popen[str] | None = None
        self.info: SandboxInfo | None = None

    def start(self, timeout: float = 60.0) -> SandboxInfo:
        args = [sys.executable, "-m", "sync_engine.cli", "sandbox", "--seed", "empty"]
        if not self.limits:
            args.append("--no-limits")
        log = self.log_path.open("w", encoding="utf-8")
        self.proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=log, text=True,
                                     env={**os.environ, "PYTHONUNBUFFERED": "1"})
        assert self.proc.stdout is not None
        sel = selectors.DefaultSelector()
        sel.register(self.proc.stdout, selectors.EVENT_READ)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if sel.select(timeout=0.5):
                line = self.proc.stdout.readline()
                if line.strip().startswith("{"):
                    data = json.loads(line)
                    self.info = SandboxInfo(data["jira_url"], data["jira_user"], data["jira_token"],
                                            data["bitrix_webhook_url"], data["admin_token"])
                    return self.info
            if self.proc.poll() is not None:
                break
        self.stop()
        raise BenchError(f"the sandbox did not start; see {self.log_path}")

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.terminate()
        try:
            self.proc.wait(15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(5)


class Admin:
    """The twins' ``/_sandbox`` endpoints: counters, seeding and Bitrix24's limiter switch."""

    def __init__(self, info: SandboxInfo) -> None:
        self.info = info
        self.http = httpx.Client(headers={"Authorization": f"Bearer {info.admin_token}"}, timeout=600)

    def _base(self, twin: str) -> str:
        return self.info.jira_url if twin == "jira" else self.info.bitrix_base

    def post(self, twin: str, path: str, body: Mapping[str, Any] | None = None) -> Any:
        r = self.http.post(f"{self._base(twin)}/_sandbox/{path}", json=dict(body or {}))
        if r.status_code != 200:
            raise BenchError(f"{twin} /_sandbox/{path} answered {r.status_code}: {r.text[:300]}")
        return r.json()

    def counters(self, twin: str) -> dict[str, Any]:
        r = self.http.get(f"{self._base(twin)}/_sandbox/counters")
        r.raise_for_status()
        return dict(r.json())

    def reset_counters(self) -> None:
        for twin in ("jira", "bitrix24"):
            self.post(twin, "reset", {"counters": True, "faults": True})

    def bitrix_limits(self, enabled: bool) -> None:
        self.post("bitrix24", "limits", {"enabled": enabled, "reset": True})

    def wipe(self) -> None:
        self.post("jira", "seed", {"seed": "empty", "issues": 0})
        self.post("bitrix24", "seed", {"seed": "empty", "deals": 0})

    def close(self) -> None:
        self.http.close()


# ---- the data ------------------------------------------------------------------------------------------
# Stages a fresh purchase request can reach in at most one transition of the twin's "Закупка" workflow
# (Открыт → Квалификация, Открыт → Отклонён): the engine moves an issue by one direct transition, and
# the API minimum below is derived for exactly that. Half the deals stay NEW, as open pipelines do.
MIXED_STAGES = ("NEW", "NEW", "PREPARATION", "LOSE")


def deal_fields(n: int, stages: Sequence[str]) -> dict[str, Any]:
    return {
        "TITLE": f"Закупка {n:06d}: лицензии и поддержка",
        "STAGE_ID": stages[n % len(stages)],
        "CATEGORY_ID": 0,
        "OPPORTUNITY": float(10_000 + (n * 7919) % 990_000),
        "CURRENCY_ID": "USD" if n % 5 == 0 else "RUB",
    }


def php_query(params: Mapping[str, Any], prefix: str = "") -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    for key, value in params.items():
        name = f"{prefix}[{key}]" if prefix else str(key)
        if isinstance(value, Mapping):
            out += php_query(value, name)
        else:
            out.append((name, str(value)))
    return out


class BitrixClient:
    """Inbound-webhook calls over httpx; ``batch`` carries up to 50 commands as the portal allows."""

    def __init__(self, info: SandboxInfo) -> None:
        self.url = info.bitrix_webhook_url
        self.http = httpx.Client(timeout=600)

    def call(self, method: str, params: Mapping[str, Any]) -> Any:
        for _ in range(120):
            r = self.http.post(f"{self.url}{method}.json", json=dict(params))
            body = r.json()
            if r.status_code == 503 and body.get("error") == "QUERY_LIMIT_EXCEEDED":
                time.sleep(1.0)
                continue
            if "error" in body:
                raise BenchError(f"Bitrix24 {method}: {body['error']}: {body.get('error_description')}")
            return body
        raise BenchError(f"Bitrix24 {method}: still over the limit after two minutes")

    def batch(self, commands: Mapping[str, tuple[str, Mapping[str, Any]]]) -> dict[str, Any]:
        cmd = {k: f"{m}?{urllib.parse.urlencode(php_query(p))}" for k, (m, p) in commands.items()}
        body = self.call("batch", {"halt": 1, "cmd": cmd})
        errors = body["result"].get("result_error") or {}
        if errors:
            raise BenchError(f"Bitrix24 batch failed: {json.dumps(errors, ensure_ascii=False)[:300]}")
        return dict(body["result"]["result"])

    def ensure_key_field(self) -> None:
        """The deal field the JIRA key is stamped into (a fresh portal has no user fields)."""
        have = self.call("crm.deal.userfield.list", {"filter": {"FIELD_NAME": "UF_CRM_JIRA_KEY"}})["result"]
        if not have:
            self.call("crm.deal.userfield.add", {"fields": {"FIELD_NAME": "JIRA_KEY", "USER_TYPE_ID": "string",
                                                            "EDIT_FORM_LABEL": "Ключ задачи JIRA"}})

    def add_deals(self, first: int, count: int, stages: Sequence[str]) -> list[str]:
        ids: list[str] = []
        for chunk in _chunks(range(first, first + count), 50):
            result = self.batch({f"d{n}": ("crm.deal.add", {"fields": deal_fields(n, stages)}) for n in chunk})
            ids += [str(result[f"d{n}"]) for n in chunk]
        return ids

    def update_deals(self, items: Mapping[str, Mapping[str, Any]]) -> None:
        for chunk in _chunks(list(items.items()), 50):
            self.batch({f"u{i}": ("crm.deal.update", {"id": did, "fields": f}) for i, (did, f) in enumerate(chunk)})

    def close(self) -> None:
        self.http.close()


class JiraClient:
    """Edits to purchase requests as a person makes them in JIRA: one PUT (and one transition) each."""

    def __init__(self, info: SandboxInfo) -> None:
        self.base = f"{info.jira_url}/rest/api/2"
        self.http = httpx.Client(auth=(info.jira_user, info.jira_token), timeout=600)

    def _ok(self, r: httpx.Response, what: str) -> Any:
        if r.status_code >= 300:
            raise BenchError(f"JIRA {what} answered {r.status_code}: {r.text[:300]}")
        return r.json() if r.content else None

    def send(self, method: str, url: str, what: str, **kwargs: Any) -> Any:
        """One request, waiting out 429s as JIRA's Retry-After says (the twin may run with its limiter)."""
        for _ in range(600):
            r = self.http.request(method, url, **kwargs)
            if r.status_code != 429:
                return self._ok(r, what)
            time.sleep(float(r.headers.get("Retry-After", "1")))
        raise BenchError(f"JIRA {what}: still rate-limited after many retries")

    def keys(self, limit: int) -> list[str]:
        r = self.http.get(f"{self.base}/search", params={"jql": "project = PROC ORDER BY key ASC",
                                                         "maxResults": limit, "fields": "summary"})
        return [i["key"] for i in self._ok(r, "search")["issues"]]

    def edit(self, key: str, fields: Mapping[str, Any]) -> None:
        self._ok(self.http.put(f"{self.base}/issue/{key}", json={"fields": dict(fields)}), f"edit {key}")

    def transition_to(self, key: str, status: str) -> None:
        got = self._ok(self.http.get(f"{self.base}/issue/{key}/transitions"), "transitions")
        tid = next((t["id"] for t in got["transitions"] if t["to"]["name"] == status), None)
        if tid is None:
            raise BenchError(f"JIRA {key}: no transition to {status!r}")
        self._ok(self.http.post(f"{self.base}/issue/{key}/transitions", json={"transition": {"id": tid}}),
                 f"transition {key}")

    def fields_of(self, key: str, names: Sequence[str]) -> dict[str, Any]:
        r = self.http.get(f"{self.base}/issue/{key}", params={"fields": ",".join(names)})
        return dict(self._ok(r, f"get {key}")["fields"])

    def close(self) -> None:
        self.http.close()


def _chunks(items: Sequence[Any], size: int) -> Iterator[Sequence[Any]]:
    for i in range(0, len(items), size):
        yield items[i:i + size]
