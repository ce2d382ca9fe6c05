"""``b24sync run`` as people use it: a sandbox, ``demo-setup``, then ``run --dry-run`` and ``run --json``.

The CLI runs in child processes (the real entry point, a private file keyring under B24S_DATA_DIR);
the twins run in this process so their counters tell what reached them.
"""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from sync_engine.sandbox.server import Sandbox, SandboxOptions

pytestmark = pytest.mark.slow


class Box:
    def __init__(self, tmp: Path) -> None:
        self.sandbox = Sandbox(SandboxOptions(limits=False, seed="demo"))
        self.info = self.sandbox.start_in_thread()
        self.db = tmp / "b24s.sqlite"
        self.env = {"B24S_DATABASE_URL": f"sqlite:///{self.db}", "B24S_DATA_DIR": str(tmp / "data"),
                    "PATH": "/usr/bin:/bin", "HOME": str(tmp)}

    def cli(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "sync_engine.cli", *args], env=self.env, capture_output=True,
                              text=True, timeout=300)

    def writes(self) -> dict[str, int]:
        headers = {"Authorization": f"Bearer {self.info['admin_token']}"}
        j = httpx.get(self.info["jira_url"] + "/_sandbox/counters", headers=headers).json()
        b24 = self.info["bitrix_webhook_url"].split("/rest/")[0]
        b = httpx.get(b24 + "/_sandbox/counters", headers=headers).json()
        jw = sum(n for k, n in j["by_method"].items() if k.split(" ")[0] in ("POST", "PUT", "DELETE"))
        bw = sum(n for k, n in {**b["by_method"], **b["subcalls"]}.items()
                 if k.rsplit(".", 1)[-1].lower() in ("add", "update", "delete", "set"))
        return {"jira": jw, "bitrix24": bw}

    def rows(self, table: str) -> int:
        with sqlite3.connect(self.db) as conn:
            return int(conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0])


@pytest.fixture(scope="module")
def box(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Box]:
    b = Box(tmp_path_factory.mktemp("cli-run"))
    done = b.cli("demo-setup", json.dumps(b.info))
    assert done.returncode == 0, done.stderr
    yield b
    b.sandbox.stop()


def test_dry_run_writes_nothing_anywhere(box: Box) -> None:
    before = box.writes()
    done = box.cli("run", "purchase-requests", "--dry-run")
    assert done.returncode == 0, done.stderr
    assert "plan purchase-requests:" in done.stdout
    assert "create in JIRA from" in done.stdout  # the demo deals have no JIRA issue yet
    assert box.writes() == before
    assert box.rows("sync_runs") == 0 and box.rows("sync_links") == 0 and box.rows("sync_intents") == 0


def test_json_summary_then_second_run_writes_nothing(box: Box) -> None:
    first = box.cli("run", "--all", "--json")
    assert first.stdout.strip(), first.stderr
    by_profile: dict[str, Any] = {}
    for line in first.stdout.strip().splitlines():
        doc = json.loads(line)
        by_profile[doc["profile"]] = doc
    summary = by_profile["purchase-requests"]
    for key in ("profile", "created", "updated", "unchanged", "conflicts", "errors", "api_calls", "seconds"):
        assert key in summary, key
    for key in ("created", "updated", "api_calls"):
        assert set(summary[key]) == {"jira", "bitrix24"}
    assert summary["created"]["jira"] > 0 and summary["api_calls"]["bitrix24"] > 0
    # related profiles ran first, so customers resolved in the same pass
    order = list(by_profile)
    assert order.index("companies") < order.index("purchase-requests")

    single = box.cli("run", "companies", "--json")
    assert single.returncode == 0, single.stderr
    doc = json.loads(single.stdout)
    assert doc["profile"] == "companies" and len(single.stdout.strip().splitlines()) == 1
    before = box.writes()
    again = box.cli("run", "companies", "--json")
    assert json.loads(again.stdout)["created"] == {"jira": 0, "bitrix24": 0}
    assert box.writes() == before


def test_run_needs_a_profile_or_all(box: Box) -> None:
    done = box.cli("run")
    assert done.returncode != 0
    assert "name one profile to run, or pass --all" in done.stderr
    unknown = box.cli("run", "no-such-profile")
    assert unknown.returncode != 0 and "no profile named 'no-such-profile'" in unknown.stderr
