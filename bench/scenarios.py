"""The three benchmarks of the issue: initial sync, incremental sync among many pairs, and a naive script.

Calls are counted by the twins (``/_sandbox/counters``: every HTTP request they received, refused ones
included; a Bitrix24 batch is one request), reset right before the measured step.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench import minimum
from bench.engine import EngineHome
from bench.twins import MIXED_STAGES, Admin, BenchError, BitrixClient, JiraClient, SandboxInfo, deal_fields

CURSOR_OVERLAP_S = 120  # the runner re-reads this much before its last start (engine/runner.py)


@dataclass
class Measured:
    """One measured step: twin-side calls per system and by method, and the engine's own report."""

    name: str
    records: int
    calls: dict[str, int]
    by_method: dict[str, dict[str, int]]
    seconds: float
    peak_rss_mb: float | None
    engine: dict[str, Any] = field(default_factory=dict)
    minimum: minimum.Minimum | None = None

    @property
    def total(self) -> int:
        return sum(self.calls.values())

    def as_dict(self) -> dict[str, Any]:
        mini = self.minimum
        return {"name": self.name, "records": self.records, "calls": self.calls, "total": self.total,
                "by_method": self.by_method, "seconds": self.seconds, "peak_rss_mb": self.peak_rss_mb,
                "engine": self.engine, "minimum": mini.total if mini else None,
                "minimum_terms": [list(t) for t in mini.terms] if mini else None,
                "minimum_methods": [list(t) for t in mini.by_method] if mini else None}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Measured:
        """Back from :meth:`as_dict` (to render the results file again from a JSON dump)."""
        mini = None
        if d.get("minimum_terms"):
            mini = minimum.Minimum(tuple((str(a), str(b), int(c)) for a, b, c in d["minimum_terms"]),
                                   tuple((str(a), str(b), int(c)) for a, b, c in d.get("minimum_methods") or ()))
        return cls(d["name"], int(d["records"]), dict(d["calls"]), dict(d["by_method"]), float(d["seconds"]),
                   d.get("peak_rss_mb"), dict(d.get("engine") or {}), mini)


def _counted(admin: Admin) -> tuple[dict[str, int], dict[str, dict[str, int]]]:
    calls: dict[str, int] = {}
    by_method: dict[str, dict[str, int]] = {}
    for twin in ("jira", "bitrix24"):
        snap = admin.counters(twin)
        calls[twin] = int(snap["total"])
        by_method[twin] = {**snap["by_method"], **{f"  in batches: {k}": v for k, v in snap["subcalls"].items()}}
    return calls, by_method


def _fresh_portal(admin: Admin, b24: BitrixClient) -> None:
    admin.wipe()
    b24.ensure_key_field()


def transitions_for(records: int, stages: tuple[str, ...] = MIXED_STAGES) -> int:
    return sum(1 for n in range(1, records + 1) if deal_fields(n, stages)["STAGE_ID"] != "NEW")


def initial_sync(info: SandboxInfo, workdir: Path, records: int) -> Measured:
    """``records`` deals in Bitrix24, JIRA empty; both twins limited as in production."""
    admin, b24 = Admin(info), BitrixClient(info)
    try:
        _fresh_portal(admin, b24)
        admin.bitrix_limits(False)
        b24.add_deals(1, records, MIXED_STAGES)
        admin.bitrix_limits(True)  # on again, bucket emptied
        home = EngineHome.create(workdir, "initial", info)
        admin.reset_counters()
        out = home.run()
        calls, by_method = _counted(admin)
    finally:
        admin.close()
        b24.close()
    if out["created"]["jira"] != records or out["errors"]:
        raise BenchError(f"initial sync did not create {records} issues cleanly: {json.dumps(out)}")
    return Measured("initial", records, calls, by_method, out["seconds"], out["peak_rss_mb"], out,
                    minimum.initial(records, transitions_for(records)))


def naive_sync(info: SandboxInfo, sample: int) -> Measured:
    admin, b24 = Admin(info), BitrixClient(info)
    try:
        _fresh_portal(admin, b24)
        admin.bitrix_limits(False)
        b24.add_deals(1, sample, MIXED_STAGES)
        admin.bitrix_limits(True)
        admin.reset_counters()
        proc = subprocess.run([sys.executable, "-m", "bench.naive", info.as_json()], capture_output=True,
                              text=True, check=False)
        if proc.returncode != 0:
            raise BenchError(f"the naive script failed: {proc.stderr.strip()[-1500:]}")
        out = json.loads(proc.stdout.strip().splitlines()[-1])
        calls, by_method = _counted(admin)
    finally:
        admin.close()
        b24.close()
    if out["records"] != sample:
        raise BenchError(f"the naive script synced {out['records']} of {sample} deals")
    return Measured("naive", sample, calls, by_method, out["seconds"], out["peak_rss_mb"], out,
                    minimum.initial(sample, transitions_for(sample)))


class Pairs:
    """``pairs`` deals and issues already stamped with each other's id, then linked by one engine run.

    The data goes in through the APIs with the Bitrix24 limiter off (the JIRA twin of this sandbox runs
    without its limiter: it has no runtime switch). The measured runs make far fewer calls than either
    limiter's burst (Bitrix24 50, JIRA 100), so the limiters, switched on again for Bitrix24, never
    delay them; that is stated in the results.
    """

    def __init__(self, info: SandboxInfo, workdir: Path, pairs: int) -> None:
        self.info = info
        self.workdir = workdir
        self.pairs = pairs
        self.data_done = 0.0
        self.home: EngineHome | None = None
        self.keys: list[str] = []
        self.deal_of: dict[str, str] = {}

    def load(self) -> float:
        """Put the pairs in; returns the seconds it took."""
        started = time.monotonic()
        admin, b24 = Admin(self.info), BitrixClient(self.info)
        jira = JiraClient(self.info)
        try:
            _fresh_portal(admin, b24)
            admin.bitrix_limits(False)
            ids = b24.add_deals(1, self.pairs, ("NEW",))
            stamps: dict[str, dict[str, Any]] = {}
            for first in range(0, len(ids), 50):
                chunk = ids[first:first + 50]
                issues = []
                for offset, did in enumerate(chunk):
                    f = deal_fields(first + offset + 1, ("NEW",))
                    issues.append({"fields": {
                        "project": {"key": "PROC"}, "issuetype": {"name": "Purchase request"},
                        "summary": f["TITLE"], "customfield_10101": f["OPPORTUNITY"],
                        "customfield_10104": {"value": f["CURRENCY_ID"]}, "customfield_10103": did}})
                got = jira.send("POST", f"{jira.base}/issue/bulk", "bulk create", json={"issueUpdates": issues})
                if got.get("errors"):
                    raise BenchError(f"JIRA bulk create refused items: {str(got['errors'])[:300]}")
                for did, issue in zip(chunk, got["issues"], strict=True):
                    stamps[did] = {"UF_CRM_JIRA_KEY": issue["key"]}
                    self.keys.append(issue["key"])
                    self.deal_of[issue["key"]] = did
            b24.update_deals(stamps)
        finally:
            admin.close()
            b24.close()
            jira.close()
        self.data_done = time.monotonic()
        return self.data_done - started

    def link(self, wait: bool) -> Measured:
        """The engine's first run over the loaded pairs: it matches them all and writes nothing.

        With ``wait`` it starts only once the loading writes are older than the runner's cursor overlap,
        so the next run's changed-since read sees only the edits made after it, as in steady state."""
        if wait:
            time.sleep(max(0.0, self.data_done + CURSOR_OVERLAP_S + 5 - time.monotonic()))
        admin = Admin(self.info)
        try:
            self.home = EngineHome.create(self.workdir, "pairs", self.info)
            admin.reset_counters()
            out = self.home.run()
            calls, by_method = _counted(admin)
        finally:
            admin.close()
        if out["matched"] != self.pairs or out["errors"]:
            raise BenchError(f"the linking run matched {out['matched']} of {self.pairs} pairs: {json.dumps(out)}")
        return Measured("link", self.pairs, calls, by_method, out["seconds"], out["peak_rss_mb"], out)

    def edit_in_jira(self, edits: int) -> Measured:
        """``edits`` issues spread over the range get a new summary and amount; every third also moves to
        "Квалификация" (the deal's stage must follow)."""
        assert self.home is not None
        admin, jira = Admin(self.info), JiraClient(self.info)
        moved = 0
        try:
            admin.bitrix_limits(True)
            for i in range(edits):
                key = self.keys[(i * len(self.keys)) // edits]
                jira.edit(key, {"summary": f"Изменено в JIRA {i}", "customfield_10101": 1000.0 + i})
                if i % 3 == 0:
                    jira.transition_to(key, "Квалификация")
                    moved += 1
            admin.reset_counters()
            out = self.home.run()
            calls, by_method = _counted(admin)
        finally:
            admin.close()
            jira.close()
        if out["updated"]["bitrix24"] != edits or out["errors"]:
            raise BenchError(f"the incremental run did not update {edits} deals: {json.dumps(out)}")
        return Measured("incremental-jira", edits, calls, by_method, out["seconds"], out["peak_rss_mb"], out,
                        minimum.incremental_jira_edits(edits, moved))

    def edit_in_bitrix24(self, edits: int) -> Measured:
        """The other direction, for reference (no target): ``edits`` deals renamed, every third re-staged."""
        assert self.home is not None
        admin, b24 = Admin(self.info), BitrixClient(self.info)
        moved = 0
        try:
            changes: dict[str, dict[str, Any]] = {}
            for i in range(edits):
                key = self.keys[(i * len(self.keys)) // edits + 1]
                fields: dict[str, Any] = {"TITLE": f"Изменено в Bitrix24 {i}"}
                if i % 3 == 0:
                    fields["STAGE_ID"] = "LOSE"
                    moved += 1
                changes[self.deal_of[key]] = fields
            b24.update_deals(changes)
            admin.bitrix_limits(True)
            admin.reset_counters()
            out = self.home.run()
            calls, by_method = _counted(admin)
        finally:
            admin.close()
            b24.close()
        if out["updated"]["jira"] != edits or out["errors"]:
            raise BenchError(f"the incremental run did not update {edits} issues: {json.dumps(out)}")
        return Measured("incremental-b24", edits, calls, by_method, out["seconds"], out["peak_rss_mb"], out,
                        minimum.incremental_b24_edits(edits, moved))
