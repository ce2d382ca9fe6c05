"""Crash safety: an initial sync of 2,000 deals into JIRA, SIGKILLed at random moments, then run to the end.

The twins live in this test process; the engine runs as ``b24sync run`` in a child process that is
killed (SIGKILL: no cleanup, no flush) after random delays. Whatever the moment, the end state must
be exactly 2,000 linked pairs with no duplicate on either side: creates whose outcome the killed run
never learnt are found by their stamp instead of being made again.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
import urllib.parse
from pathlib import Path
from typing import Any

import pytest
from engine_harness import BITRIX, JIRA, SMALL_PROFILE, Twins, add_stamp_field, profile

from models.secret_refs import env_var_for
from sync_engine.workspace import Workspace

pytestmark = pytest.mark.slow
DEALS = 2000


def _seed_deals(twins: Twins, count: int) -> None:
    """Sales people's deals, entered 50 at a time through the REST batch method."""
    for start in range(0, count, 50):
        cmd = {}
        for n in range(start, min(count, start + 50)):
            query = urllib.parse.urlencode({"fields[TITLE]": f"Сделка №{n:04d}", "fields[OPPORTUNITY]": 1000 + n,
                                            "fields[STAGE_ID]": "NEW", "fields[CATEGORY_ID]": 0})
            cmd[f"d{n}"] = f"crm.deal.add?{query}"
        result = twins.b24("batch", {"halt": 0, "cmd": cmd})
        assert not result.get("result_error"), result["result_error"]


def _env(tmp: Path, info: dict[str, Any]) -> dict[str, str]:
    env = dict(os.environ)
    env.update({"B24S_DATABASE_URL": f"sqlite:///{tmp / 'crash.sqlite'}", "B24S_DATA_DIR": str(tmp / "data"),
                env_var_for(JIRA): info["jira_token"],
                env_var_for(BITRIX): info["bitrix_webhook_url"].rstrip("/").rsplit("/", 1)[1]})
    return env


def test_killed_initial_sync_resumes_without_duplicates(twins: Twins, tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    twins.reset()
    add_stamp_field(twins)
    _seed_deals(twins, DEALS)
    env = _env(tmp_path, twins.info)
    for key in (env_var_for(JIRA), env_var_for(BITRIX)):
        monkeypatch.setenv(key, env[key])
    doc = {**SMALL_PROFILE, "name": "crash", "create_in": "jira",
           "mappings": [m for m in SMALL_PROFILE["mappings"] if m["id"] != "stage"]}
    ws = Workspace.open(env["B24S_DATABASE_URL"])
    try:
        info = twins.info
        ws.add_connection(JIRA, "jira", url=info["jira_url"], flavour="server", username=info["jira_user"])
        base, user_id = info["bitrix_webhook_url"].split("/rest/")[0], info["bitrix_webhook_url"].split("/")[-3]
        ws.add_connection(BITRIX, "bitrix24", url=base, settings={"user_id": user_id})
        ws.save_profiles([profile(doc)])
    finally:
        ws.close()

    command = [sys.executable, "-m", "sync_engine.cli", "run", "crash", "--json"]
    rng = random.Random(int(os.environ.get("B24S_CRASH_SEED", "0")) or None)  # set it to replay a failure
    kills = 0
    for _ in range(5):
        child = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        # Kill once the twins have received a random share of the run's writes (JIRA bulk creates, the
        # deals' back-stamps: about DEALS of them), so the kill lands among remote creates, stamps and local
        # commits however fast this machine is, not before them or after the run.
        writes_before = sum(twins.writes().values())
        target = writes_before + rng.randint(1, DEALS * 9 // 10)
        deadline = time.monotonic() + 60
        while child.poll() is None and sum(twins.writes().values()) < target:
            assert time.monotonic() < deadline, "the sync never got that far"
            time.sleep(0.01)
        if child.poll() is None:
            child.send_signal(signal.SIGKILL)
            kills += 1
        child.communicate(timeout=60)
    assert kills >= 1, "the sync finished before any kill: nothing was tested"
    created_by_killed_runs = len(twins.jql("project = PROC", fields="summary"))

    summaries = []
    for _ in range(3):  # to completion; retries are immediate here because nothing failed remotely
        done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, done.stderr
        summaries.append(json.loads(done.stdout))
        if summaries[-1]["created"]["jira"] == 0 and summaries[-1]["errors"] == 0:
            break
    # What the killed runs created was found by its stamp, not created again.
    assert sum(sm["created"]["jira"] for sm in summaries) == DEALS - created_by_killed_runs
    last = summaries[-1]
    assert last["created"] == {"jira": 0, "bitrix24": 0} and last["errors"] == 0, summaries

    issues = twins.jql("project = PROC", fields="customfield_10103,summary")
    deals = twins.b24_list("crm.deal.list", {"select": ["ID", "TITLE", "UF_CRM_JIRA_KEY"]})
    assert len(deals) == DEALS
    assert len(issues) == DEALS, f"{len(issues)} issues for {DEALS} deals after {kills} kills"
    deal_stamps = [str(i["fields"]["customfield_10103"] or "").split(".")[0] for i in issues]
    assert "" not in deal_stamps and len(set(deal_stamps)) == DEALS
    key_stamps = [d.get("UF_CRM_JIRA_KEY") or "" for d in deals]
    assert "" not in key_stamps and len(set(key_stamps)) == DEALS
    by_key = {i["key"]: i for i in issues}
    for deal in deals:
        assert by_key[deal["UF_CRM_JIRA_KEY"]]["fields"]["summary"] == deal["TITLE"]
    ws = Workspace.open(env["B24S_DATABASE_URL"])
    try:
        links = ws.store.all_links("crash")
        assert len(links) == DEALS
        assert len({lk.jira_id for lk in links}) == len({lk.bitrix24_id for lk in links}) == DEALS
        assert ws.store.pending_intents("crash") == []
    finally:
        ws.close()
