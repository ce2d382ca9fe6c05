"""``python -m bench.service_bench``: event-to-mirror latency of the headless service under a steady event rate.

People change linked purchase requests at ``--rate`` events per second for ``--seconds`` (default 20/s for
5 minutes): three in four are JIRA edits (a new summary, by a person with their own API token, so their own
rate-limit bucket), one in four are deals moved to a trigger stage in Bitrix24 (from other source addresses:
the portal's leaky bucket is per source address, and people's clicks in the portal spend none of the
service's). Both twins keep their default limits. A ``b24sync serve`` child process gets every change by the
twins' own webhooks and mirrors it.

A change's latency runs from the moment the bench sent it to the moment the other twin committed the
mirrored write, as that twin's journal (``/_sandbox/journal``) records it: no polling through the rate limit
being measured. Every event targets its own pair, so the first write to the partner after the change is its
mirror; after the run every partner is read back and must hold the mirrored value, and neither side may hold
a record more than before (nothing lost, nothing duplicated). Peak RSS is the service process's ``VmHWM``.

Exit status: 0 targets met, 1 a target missed (results still written), 2 the harness failed.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from collections.abc import Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from bench.engine import PROFILE_FILE, EngineHome
from bench.engine_run import open_workspace
from bench.report import machine, put_section
from bench.scenarios import Pairs
from bench.twins import Admin, BenchError, SandboxInfo, SandboxProcess, php_query
from sync_engine.profiles.schema import EventTrigger, Profile, ScheduleTrigger
from sync_engine.profiles.yaml_io import load_profiles
from sync_engine.service.tokens import TokenStore

P95_TARGET_S = 2.0
PERSON = "d.volkov"  # the JIRA user whose edits the bench makes (a directory user of the twin)
B24_SOURCES = ("127.0.0.2", "127.0.0.3", "127.0.0.4")  # other machines as far as the portal's bucket goes
STAGE_MOVES = (("PREPARATION", "Квалификация"), ("LOSE", "Отклонён"))  # one transition each from "Открыт"
SCHEDULE_S = 300  # the safety-net schedule the demo profiles carry


def service_profile() -> Profile:
    """The bench profile with the demo purchase requests' triggers: JIRA edits, Bitrix24 stage moves and new
    deals, and a scheduled run every five minutes."""
    base = load_profiles(PROFILE_FILE)[0]
    return base.model_copy(update={"name": "bench-service", "triggers": [
        EventTrigger(system="jira", event="created_or_updated"),
        EventTrigger(system="bitrix24", event="stage_changed"),
        EventTrigger(system="bitrix24", event="created"),
        ScheduleTrigger(interval_seconds=SCHEDULE_S),
    ]})


# ---- the service process ---------------------------------------------------------------------------------
def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class ServiceProcess:
    """``b24sync serve`` on the bench workspace, default settings, in a child process of its own."""

    def __init__(self, home: EngineHome, log_path: Path) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        env = {k: v for k, v in os.environ.items() if not k.startswith("B24S_")}
        env.update({"B24S_DATA_DIR": str(home.secrets_dir), "B24S_SECRET_STORE": "file",
                    "B24S_DATABASE_URL": home.db_url, "PYTHONUNBUFFERED": "1"})
        self.log_path = log_path
        self._log = log_path.open("wb")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "sync_engine.cli", "serve", "--port", str(self.port), "--public-url", self.url],
            env=env, stdout=subprocess.PIPE, stderr=self._log)
        self.ready: dict[str, Any] = {}
        threading.Thread(target=self._read, daemon=True).start()
        deadline = time.monotonic() + 60
        while not self.ready:
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise BenchError(f"the service did not start; see {log_path}")
            time.sleep(0.05)

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for raw in self.proc.stdout:
            line = raw.decode(errors="replace").strip()
            if line.startswith("{") and '"ready"' in line:
                self.ready = json.loads(line)

    def memory_mb(self) -> tuple[float, float]:
        """(current RSS, peak RSS) of the service process, from /proc (Linux)."""
        values: dict[str, float] = {}
        with open(f"/proc/{self.proc.pid}/status", encoding="ascii") as fh:
            for line in fh:
                key, _, rest = line.partition(":")
                if key in ("VmRSS", "VmHWM"):
                    values[key] = float(rest.split()[0]) / 1024
        return values["VmRSS"], values["VmHWM"]

    def stop(self) -> int | None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(60)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self._log.close()
        return self.proc.returncode


def connect_outgoing_webhook(svc: ServiceProcess, token: str, admin: Admin, connection: str) -> None:
    """What the portal's admin does for an inbound-webhook connection: the handler URL the service shows
    goes into an outgoing webhook, and its application token back to the service."""
    with httpx.Client(base_url=svc.url, headers={"Authorization": f"Bearer {token}"}, timeout=30) as c:
        setup = c.get(f"/api/v1/connections/{connection}/webhook-setup").raise_for_status().json()
        hook = admin.post("bitrix24", "outgoing-webhook", {"handler_url": setup["handler_url"],
                                                          "events": setup["events"]})
        c.put(f"/api/v1/connections/{connection}/application-token",
              json={"token": hook["application_token"]}).raise_for_status()


def scrape(url: str) -> dict[str, float]:
    """The service's /metrics as {series: value} (labels kept in the key)."""
    text = httpx.get(f"{url}/metrics", timeout=30).raise_for_status().text
    out: dict[str, float] = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            key, _, value = line.rpartition(" ")
            out[key] = float(value)
    return out


def scheduled_runs(url: str, token: str, profile: str, since: float) -> list[tuple[float, float]]:
    """(start, end) wall times of the profile's scheduled runs that started after ``since``, from the control
    API: the safety-net run reads both sides since its cursor, and changes arriving meanwhile wait for it."""
    out: list[tuple[float, float]] = []
    before: int | None = None
    with httpx.Client(base_url=url, headers={"Authorization": f"Bearer {token}"}, timeout=30) as c:
        while True:
            params: dict[str, Any] = {"profile": profile, "limit": 200}
            if before is not None:
                params["before_id"] = before
            page = c.get("/api/v1/runs", params=params).raise_for_status().json()
            for r in page["items"]:
                start = _epoch(r["started_at"])
                if start >= since and str(r["trigger"]).startswith("schedule") and r.get("finished_at"):
                    out.append((start, _epoch(r["finished_at"])))
            before = page.get("next_before_id")
            if not page["items"] or before is None or _epoch(page["items"][-1]["started_at"]) < since:
                return sorted(out)


def _epoch(stamp: str) -> float:
    moment = datetime.fromisoformat(stamp)
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).timestamp()


def metric_sum(metrics: Mapping[str, float], name: str, **labels: str) -> float:
    wanted = [f'{k}="{v}"' for k, v in labels.items()]
    return sum(v for k, v in metrics.items()
               if (k == name or k.startswith(name + "{")) and all(w in k for w in wanted))


# ---- the people making changes ---------------------------------------------------------------------------
@dataclass
class Event:
    n: int
    origin: str  # "jira" (an issue edited) or "bitrix24" (a deal moved)
    key: str
    deal: str
    expected: str  # the deal's new TITLE, or the issue's new status name
    stage: str = ""
    sent: float = 0.0  # wall clock, when the successful request went out
    acked: float = 0.0
    attempts: int = 0
    error: str | None = None
    mirrored: float | None = None

    @property
    def latency(self) -> float | None:
        return None if self.mirrored is None else self.mirrored - self.sent


def plan_events(pairs: Pairs, count: int) -> list[Event]:
    """Every fourth event a deal moved to a trigger stage, the rest JIRA edits; each on a pair of its own."""
    if len(pairs.keys) < count:
        raise BenchError(f"{count} events need {count} pairs, only {len(pairs.keys)} loaded")
    events: list[Event] = []
    for n in range(count):
        key = pairs.keys[n]
        deal = pairs.deal_of[key]
        if n % 4 == 3:
            stage, status = STAGE_MOVES[(n // 4) % len(STAGE_MOVES)]
            events.append(Event(n, "bitrix24", key, deal, status, stage))
        else:
            events.append(Event(n, "jira", key, deal, f"Правка в JIRA №{n:05d}: лицензии и поддержка"))
    return events


class People:
    """JIRA edits with a person's own API token; deal moves by REST from other source addresses."""

    def __init__(self, info: SandboxInfo, person: Mapping[str, str]) -> None:
        self.jira = httpx.Client(base_url=f"{info.jira_url}/rest/api/2", timeout=60,
                                 auth=(person["user"], person["token"]),
                                 limits=httpx.Limits(max_connections=32, max_keepalive_connections=32))
        self.b24 = [httpx.Client(timeout=60, transport=httpx.HTTPTransport(local_address=src)) for src in B24_SOURCES]
        self.b24_url = info.bitrix_webhook_url
        self.calls = {"jira": 0, "bitrix24": 0}
        self._lock = threading.Lock()

    def _count(self, system: str) -> None:
        with self._lock:
            self.calls[system] += 1

    def apply(self, ev: Event) -> None:
        for attempt in range(1, 31):
            ev.attempts = attempt
            ev.sent = time.time()
            try:
                if ev.origin == "jira":
                    self._count("jira")
                    r = self.jira.put(f"/issue/{ev.key}", json={"fields": {"summary": ev.expected}})
                    done = r.status_code == 204
                    retry = r.status_code == 429
                else:
                    self._count("bitrix24")
                    client = self.b24[ev.n % len(self.b24)]
                    r = client.post(f"{self.b24_url}crm.deal.update.json",
                                    json={"id": ev.deal, "fields": {"STAGE_ID": ev.stage}})
                    done = r.status_code == 200 and r.json().get("result") is True
                    retry = r.status_code == 503
            except httpx.HTTPError as exc:
                ev.error = f"{type(exc).__name__}: {exc}"
                return
            if done:
                ev.acked = time.time()
                ev.error = None
                return
            ev.error = f"HTTP {r.status_code}: {r.text[:200]}"
            if not retry:
                return
            time.sleep(0.5)

    def close(self) -> None:
        self.jira.close()
        for c in self.b24:
            c.close()


# ---- watching the twins' journals ------------------------------------------------------------------------
@dataclass
class Watch:
    """Polls both journals; matches each event with the first write after it was sent that carries the
    mirrored value (the deal's new TITLE; the issue's new status, written by the service's user)."""

    admin: Admin
    service_login: str
    events: list[Event]
    after: dict[str, int] = field(default_factory=dict)
    lost_entries: bool = False
    deal_titles: dict[str, list[tuple[float, str]]] = field(default_factory=dict)
    issue_status: dict[str, list[tuple[float, str]]] = field(default_factory=dict)

    def start_at_now(self) -> None:
        for twin in ("jira", "bitrix24"):
            self.after[twin] = int(self._journal(twin, 0, 1)["last"])

    def _journal(self, twin: str, after: int, limit: int) -> dict[str, Any]:
        base = self.admin.info.jira_url if twin == "jira" else self.admin.info.bitrix_base
        r = self.admin.http.get(f"{base}/_sandbox/journal", params={"after": after, "limit": limit})
        r.raise_for_status()
        return dict(r.json())

    def poll(self) -> None:
        for twin in ("jira", "bitrix24"):
            while True:
                got = self._journal(twin, self.after[twin], 20_000)
                self.lost_entries |= bool(got["lost"])
                for e in got["entries"]:
                    self.after[twin] = int(e["seq"])
                    if twin == "bitrix24" and e["method"] == "crm.deal.update" and "TITLE" in e["fields"]:
                        self.deal_titles.setdefault(str(e["id"]), []).append((float(e["at"]), e["fields"]["TITLE"]))
                    elif twin == "jira" and e.get("actor") == self.service_login and "status" in e["changes"]:
                        self.issue_status.setdefault(str(e["key"]), []).append((float(e["at"]), e["changes"]["status"]))
                if len(got["entries"]) < 20_000:
                    break
        for ev in self.events:
            if ev.mirrored is not None or not ev.acked:
                continue
            if ev.origin == "jira":
                ev.mirrored = next((at for at, title in self.deal_titles.get(ev.deal, ())
                                    if at >= ev.sent and title == ev.expected), None)
            else:
                ev.mirrored = next((at for at, status in self.issue_status.get(ev.key, ())
                                    if at >= ev.sent and status == ev.expected), None)

    def pending(self) -> int:
        return sum(1 for ev in self.events if ev.acked and ev.mirrored is None)


# ---- checking the end state ------------------------------------------------------------------------------
def read_back(info: SandboxInfo, person: Mapping[str, str], events: Sequence[Event]) -> dict[str, int]:
    """Each partner's value as it is now, and how many records each side holds; through the APIs."""
    wrong = 0
    deals = [ev for ev in events if ev.origin == "jira"]
    moved = [ev for ev in events if ev.origin == "bitrix24"]
    with httpx.Client(timeout=120, transport=httpx.HTTPTransport(local_address=B24_SOURCES[0])) as b24:
        def batch(cmd: Mapping[str, str]) -> dict[str, Any]:
            for _ in range(120):
                r = b24.post(f"{info.bitrix_webhook_url}batch.json", json={"halt": 1, "cmd": dict(cmd)})
                if r.status_code == 503:
                    time.sleep(1)
                    continue
                return dict(r.raise_for_status().json()["result"])
            raise BenchError("Bitrix24 kept answering 503 while the bench read the deals back")

        titles: dict[str, str] = {}
        for chunk in _chunks(deals, 2500):
            cmd = {}
            for i, part in enumerate(_chunks(chunk, 50)):
                params = php_query({"filter": {"@ID": {str(j): ev.deal for j, ev in enumerate(part)}},
                                    "select": {"0": "ID", "1": "TITLE"}})
                cmd[f"c{i}"] = "crm.deal.list?" + urllib.parse.urlencode(params)
            for rows in batch(cmd)["result"].values():
                titles.update({str(r["ID"]): str(r["TITLE"]) for r in rows})
        wrong += sum(1 for ev in deals if titles.get(ev.deal) != ev.expected)
        total_deals = int(batch({"n": "crm.deal.list?select[0]=ID"})["result_total"]["n"])
    with httpx.Client(base_url=f"{info.jira_url}/rest/api/2", auth=(person["user"], person["token"]),
                      timeout=120) as jira:
        status: dict[str, str] = {}
        for chunk in _chunks(moved, 100):
            jql = f"key in ({','.join(ev.key for ev in chunk)})"
            got = _jira_get(jira, "/search", {"jql": jql, "maxResults": 100, "fields": "status"})
            status.update({i["key"]: i["fields"]["status"]["name"] for i in got["issues"]})
        wrong += sum(1 for ev in moved if status.get(ev.key) != ev.expected)
        total_issues = int(_jira_get(jira, "/search", {"jql": "project = PROC", "maxResults": 0})["total"])
    return {"wrong": wrong, "deals": total_deals, "issues": total_issues}


def _jira_get(client: httpx.Client, path: str, params: Mapping[str, Any]) -> dict[str, Any]:
    for _ in range(60):
        r = client.get(path, params=dict(params))
        if r.status_code == 429:
            time.sleep(float(r.headers.get("Retry-After", "1")))
            continue
        return dict(r.raise_for_status().json())
    raise BenchError(f"JIRA kept answering 429 to GET {path}")


def _chunks(items: Sequence[Any], size: int) -> Iterator[Sequence[Any]]:
    for i in range(0, len(items), size):
        yield items[i:i + size]


# ---- the run ---------------------------------------------------------------------------------------------
@dataclass
class Outcome:
    rate: float
    seconds: float
    events: list[Event]
    peak_rss_mb: float
    rss_samples: list[float]
    end_state: dict[str, int]
    pairs: int
    calls: dict[str, int]
    bench_calls: dict[str, int]
    by_method: dict[str, dict[str, int]]
    metrics: dict[str, float]
    send_lag_p95: float
    drain_seconds: float
    journal_lost: bool
    scheduled: list[tuple[float, float]] = field(default_factory=list)

    def latencies(self, origin: str | None = None) -> list[float]:
        return sorted(ev.latency for ev in self.events
                      if ev.latency is not None and (origin is None or ev.origin == origin))

    @property
    def unmirrored(self) -> int:
        return sum(1 for ev in self.events if ev.mirrored is None)

    @property
    def failed_to_send(self) -> int:
        return sum(1 for ev in self.events if not ev.acked)

    def as_dict(self) -> dict[str, Any]:
        return {"rate": self.rate, "seconds": self.seconds, "events": len(self.events), "pairs": self.pairs,
                "peak_rss_mb": self.peak_rss_mb, "end_state": self.end_state, "calls": self.calls,
                "bench_calls": self.bench_calls, "by_method": self.by_method, "metrics": self.metrics,
                "unmirrored": self.unmirrored, "failed_to_send": self.failed_to_send,
                "send_lag_p95": self.send_lag_p95, "drain_seconds": self.drain_seconds,
                "journal_lost": self.journal_lost,
                "latency": {o or "all": summary(self.latencies(o)) for o in (None, "jira", "bitrix24")},
                "rss_samples": self.rss_samples, "scheduled_runs": self.scheduled,
                "changes": [[ev.origin, round(ev.sent - self.events[0].sent, 3),
                             None if ev.latency is None else round(ev.latency, 3)] for ev in self.events]}


def percentile(values: Sequence[float], q: float) -> float:
    if not values:
        return math.nan
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(q * len(ordered)) - 1))]


def summary(values: Sequence[float]) -> dict[str, float]:
    return {"n": len(values), "p50": percentile(values, 0.50), "p95": percentile(values, 0.95),
            "p99": percentile(values, 0.99), "max": max(values) if values else math.nan}


def run(args: argparse.Namespace, workdir: Path) -> Outcome:
    count = int(args.rate * args.seconds)
    box = SandboxProcess(workdir / "sandbox.log", limits=True)
    info = box.start()
    svc: ServiceProcess | None = None
    admin = Admin(info)
    people: People | None = None
    try:
        pairs = Pairs(info, workdir, count)
        say(f"loading {count:,} deal/issue pairs")
        pairs.load()
        admin.bitrix_limits(True)
        home = EngineHome.create(workdir, "service", info, profiles=[service_profile()])
        say("linking them with one engine run")
        linked = home.run()
        if linked["matched"] != count or linked["errors"]:
            raise BenchError(f"the linking run matched {linked['matched']} of {count}: {json.dumps(linked)}")
        ws = open_workspace(home.db_url, home.secrets_dir)
        try:
            token = TokenStore(ws.engine).create("bench", "admin")
        finally:
            ws.close()
        svc = ServiceProcess(home, workdir / "service.log")
        connect_outgoing_webhook(svc, token, admin, "bench-b24")
        person = admin.post("jira", "api-tokens", {"user": PERSON})
        people = People(info, person)
        time.sleep(3)  # the service's start-up work (registrations, timers armed) is not part of the window
        watch = Watch(admin, info.jira_user, plan_events(pairs, count))
        watch.start_at_now()
        admin.reset_counters()
        before = scrape(svc.url)
        rss: list[float] = []
        say(f"{count:,} changes at {args.rate:g}/s for {args.seconds:g} s")
        window_start = time.time()
        lags: list[float] = []
        with ThreadPoolExecutor(max_workers=32) as pool:
            start = time.monotonic() + 0.5
            next_poll = start
            for ev in watch.events:
                due = start + ev.n / args.rate
                while (now := time.monotonic()) < due:
                    if now >= next_poll:
                        watch.poll()
                        rss.append(svc.memory_mb()[0])
                        next_poll = now + 1.0
                    time.sleep(min(0.01, max(0.0, due - time.monotonic())))
                lags.append(time.monotonic() - due)
                pool.submit(people.apply, ev)
        sent_done = time.monotonic()
        say(f"sent; waiting for the last mirrors (up to {args.drain:g} s)")
        while time.monotonic() - sent_done < args.drain:
            watch.poll()
            if not watch.pending():
                break
            time.sleep(0.25)
        drain = time.monotonic() - sent_done
        current, peak = svc.memory_mb()
        rss.append(current)
        after = scrape(svc.url)
        counters = {t: admin.counters(t) for t in ("jira", "bitrix24")}
        say("reading every partner back")
        end_state = read_back(info, person, watch.events)
        end_state["pairs"] = count
        metrics = {k: after.get(k, 0.0) - before.get(k, 0.0) for k in after
                   if "_total" in k or k.endswith("_sum") or k.endswith("_count")}
        scheduled = scheduled_runs(svc.url, token, home.profile, window_start)
        return Outcome(args.rate, args.seconds, watch.events, peak, rss, end_state, count,
                       {t: int(c["total"]) for t, c in counters.items()}, dict(people.calls),
                       {t: {**c["by_method"], **{f"  in batches: {k}": v for k, v in c["subcalls"].items()}}
                        for t, c in counters.items()},
                       metrics, percentile(lags, 0.95), drain, watch.lost_entries, scheduled)
    finally:
        if people is not None:
            people.close()
        if svc is not None:
            code = svc.stop()
            if code not in (0, None):
                say(f"the service exited with {code}; see {svc.log_path}")
        admin.close()
        box.stop()


# ---- reporting -------------------------------------------------------------------------------------------
def targets(o: Outcome) -> list[tuple[str, str, str, bool]]:
    lat = summary(o.latencies())
    clean = o.unmirrored == 0 and o.end_state["wrong"] == 0 and o.failed_to_send == 0 \
        and o.end_state["deals"] == o.pairs and o.end_state["issues"] == o.pairs
    return [
        ("service: event-to-mirror latency p95", f"{lat['p95']:.2f} s", f"≤ {P95_TARGET_S:.2f} s",
         lat["p95"] <= P95_TARGET_S and lat["n"] > 0),
        ("service: changes mirrored, none lost or duplicated", f"{len(o.events) - o.unmirrored:,} of {len(o.events):,}",
         "all", clean),
    ]


def section(o: Outcome, mach: Mapping[str, Any]) -> str:
    lat = {name: summary(o.latencies(origin)) for name, origin in
           (("all changes", None), ("JIRA edit → deal", "jira"), ("deal stage move → JIRA status", "bitrix24"))}
    m = o.metrics
    service_calls = {t: o.calls[t] - o.bench_calls[t] for t in o.calls}
    mirrored = len(o.events) - o.unmirrored
    runs = metric_sum(m, "b24s_runs_total")
    lines = [
        "## Sync service",
        "",
        f"Written by `python -m bench.service_bench` ({mach['date']}; code at {mach['revision']}). "
        f"{len(o.events):,} changes at {o.rate:g}/s for {o.seconds:g} s, each on a pair of its own among "
        f"{o.pairs:,} linked pairs; both twins at their default limits (JIRA 20 requests/s, burst 100, per "
        "credential; Bitrix24 2 requests/s, burst 50, per portal and source address); `b24sync serve` with its "
        "default settings on SQLite, fed by the twins' own webhooks.",
        "",
        "| measure | value | target | met |",
        "|---|---|---|---|",
    ]
    for name, value, limit, met in targets(o):
        lines.append(f"| {name} | {value} | {limit} | {'yes' if met else 'no'} |")
    lines += [
        f"| service peak RSS (VmHWM) | {o.peak_rss_mb:.0f} MB | — | — |",
        "",
        "| changes | count | p50 | p95 | p99 | max |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for name, s in lat.items():
        lines.append(f"| {name} | {int(s['n']):,} | {s['p50']:.2f} s | {s['p95']:.2f} s | {s['p99']:.2f} s | "
                     f"{s['max']:.2f} s |")
    lines += [
        "",
        "Latency runs from the moment the bench sent a change to the moment the other twin committed the "
        "mirrored write, as that twin's journal (`/_sandbox/journal`) records it.",
        "",
        f"- End state, read back through the APIs: {o.end_state['wrong']} partner(s) without the mirrored value; "
        f"{o.end_state['deals']:,} deals and {o.end_state['issues']:,} issues for {o.pairs:,} pairs; "
        f"{o.failed_to_send} change(s) the bench could not make; {o.unmirrored} not mirrored within "
        f"{o.drain_seconds:.0f} s of the last change.",
        f"- The service made {runs:.0f} runs ({len(o.events) / runs if runs else 0:.1f} changes each on average): "
        f"JIRA {service_calls['jira']:,} requests, Bitrix24 {service_calls['bitrix24']:,} "
        f"(twin counts less the bench's own {o.bench_calls['jira']:,} and {o.bench_calls['bitrix24']:,}), i.e. "
        f"{service_calls['jira'] / max(mirrored, 1):.2f} and {service_calls['bitrix24'] / max(mirrored, 1):.2f} per "
        "mirrored change; it waited "
        f"{metric_sum(m, 'b24s_rate_limit_wait_seconds_total'):.0f} s for Bitrix24's limit in all.",
        f"- Events received {metric_sum(m, 'b24s_events_received_total'):,.0f} (JIRA "
        f"{metric_sum(m, 'b24s_events_received_total', system='jira'):,.0f}, Bitrix24 "
        f"{metric_sum(m, 'b24s_events_received_total', system='bitrix24'):,.0f}: the changes plus the echoes of "
        f"the service's own writes), echoes recognised {metric_sum(m, 'b24s_echoes_suppressed_total'):,.0f}, "
        f"items written {metric_sum(m, 'b24s_items_synced_total', outcome='updated'):,.0f}.",
        f"- Service RSS: {min(o.rss_samples):.0f}–{max(o.rss_samples):.0f} MB sampled each second, peak "
        f"{o.peak_rss_mb:.0f} MB. The bench kept to its schedule: p95 send lag {o.send_lag_p95 * 1000:.0f} ms.",
    ]
    slow = [ev for ev in o.events if (ev.latency or 0) > P95_TARGET_S]
    for start, end in o.scheduled:
        behind = sum(1 for ev in slow if start - P95_TARGET_S <= ev.sent <= end)
        lines.append(f"- The profile's {SCHEDULE_S // 60}-minute scheduled run (a changed-since read of both sides, "
                     f"the safety net for lost events) ran {start - o.events[0].sent:.0f} s into the window for "
                     f"{end - start:.1f} s; {behind} of the {len(slow)} changes slower than {P95_TARGET_S:g} s "
                     "arrived just before or during it and waited for it (a profile never runs twice at once).")
    if o.journal_lost:
        lines.append("- **The twins' journal dropped entries before the bench read them; latencies are incomplete.**")
    by = "; ".join(f"{t}: " + ", ".join(f"`{k}` {v:,}" for k, v in sorted(o.by_method[t].items()))
                   for t in ("jira", "bitrix24"))
    lines += ["", f"<details><summary>service window: requests by method (twin counters, bench's included)"
                  f"</summary>\n\n{by}\n\n</details>", ""]
    return "\n".join(lines)


def say(text: str) -> None:
    print(f"[service-bench {time.strftime('%H:%M:%S')}] {text}", file=sys.stderr, flush=True)


def parse(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m bench.service_bench", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--rate", type=float, default=20.0, help="changes per second (default 20)")
    p.add_argument("--seconds", type=float, default=300.0, help="how long changes are made (default 300)")
    p.add_argument("--drain", type=float, default=120.0, help="how long to wait for the last mirrors (default 120)")
    p.add_argument("--append", type=Path, help="put the section into this results file (replacing an older one)")
    p.add_argument("--json", type=Path, help="also write the raw measurements here")
    p.add_argument("--workdir", type=Path, help="databases and logs (default: a temp dir)")
    args = p.parse_args(argv)
    if args.rate <= 0 or args.seconds <= 0 or int(args.rate * args.seconds) < 4:
        p.error("--rate and --seconds must make at least 4 changes")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="b24-service-bench-"))
    workdir.mkdir(parents=True, exist_ok=True)
    mach = machine()
    try:
        outcome = run(args, workdir)
    except BenchError as exc:
        print(f"service bench: {exc} (logs in {workdir})", file=sys.stderr)
        return 2
    text = section(outcome, mach)
    print(text)
    if args.append:
        put_section(args.append, text)
    if args.json:
        args.json.write_text(json.dumps(outcome.as_dict(), ensure_ascii=False, indent=1), encoding="utf-8")
    return 0 if all(t[3] for t in targets(outcome)) else 1


if __name__ == "__main__":
    sys.exit(main())
