"""The control API: what the remote CLI and the studio use, and a schemathesis run finding no 5xx."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from service_harness import ROOT, ServiceProcess, demo_env, make_env, wait_for
from twin_api import Bitrix24, Jira, linked_deal

from tests.prerequisites import missing

PROFILE = "purchase-requests"


def cli(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "sync_engine.cli", *args], cwd=ROOT, env=env, text=True,
                          capture_output=True, timeout=120)


@pytest.mark.slow
def test_control_api_and_remote_cli(twins: dict[str, Any], tmp_path: Path,
                                    services: Callable[..., ServiceProcess]) -> None:
    env = demo_env(make_env(tmp_path, f"sqlite:///{(tmp_path / 'svc.sqlite').as_posix()}"), twins)
    made = cli(env.env, "serve", "token", "create", "ops")
    assert made.returncode == 0, made.stderr
    token = made.stdout.strip()
    assert token.startswith("b24s_")
    assert cli(env.env, "serve", "token", "create", "ops").returncode == 2  # names are unique
    listed = cli(env.env, "serve", "token", "list")
    assert '"ops"' in listed.stdout and token not in listed.stdout

    svc = services(env, "--no-register")
    remote = [*("remote", "--url", svc.url, "--token", token)]
    done = cli(env.env, *remote, "run", PROFILE, "--dry-run", "--timeout", "100")
    assert done.returncode == 0, done.stdout + done.stderr
    job = json.loads(done.stdout)
    assert job["status"] == "done" and job["result"]["dry_run"] is True and "plan" in job["result"]
    assert isinstance(job["result"]["plan_lines"], list) and job["error"] is None

    with svc.client(token) as c, c.stream("GET", "/api/v1/events", params={"limit": 1}) as stream:
        started = c.post(f"/api/v1/profiles/{PROFILE}/run", json={"jira_ids": ["PROC-1"]})
        assert started.status_code == 202
        lines = [line for line in stream.iter_lines() if line.startswith("data:")]
    event = json.loads(lines[0][5:])
    assert event["type"] in ("run.finished", "run.failed") and event["profile"] == PROFILE

    with svc.client(token) as c:
        job = wait_for(lambda: (j := c.get(f"/api/v1/jobs/{started.json()['job_id']}").json())["status"] == "done"
                       and j, 60, what="the hinted run")
        runs = c.get("/api/v1/runs", params={"profile": PROFILE, "limit": 1}).json()
        assert runs["items"][0]["id"] == job["run_id"]
        assert c.get(f"/api/v1/runs/{job['run_id']}/items", params={"limit": 5}).status_code == 200
        count = c.get(f"/api/v1/runs/{job['run_id']}/items/count").json()["count"]
        page = c.get(f"/api/v1/runs/{job['run_id']}/items/page", params={"offset": 0, "limit": 500}).json()
        assert len(page["items"]) == count
        tested = c.post("/api/v1/connections/jira-demo/test").json()
        assert tested["system"] == "jira" and twins["jira_token"] not in json.dumps(tested)
        assert c.post("/api/v1/connections/nope/test").status_code == 404
        assert c.get("/api/v1/runs/999999").status_code == 404
        assert c.post("/api/v1/profiles/validate", json={"name": "x"}).json()["valid"] is False
        doc = c.get(f"/api/v1/profiles/{PROFILE}").json()
        assert c.post("/api/v1/profiles/validate", json=doc).json() == {"valid": True, "name": PROFILE}
        fields = c.post("/api/v1/profiles/fields", json=doc).json()
        assert "summary" in {f["id"] for f in fields["jira"]} and "STAGE_ID" in {f["id"] for f in fields["bitrix24"]}
        scope = c.post("/api/v1/profiles/scope-test", json=doc).json()
        assert scope["jira"]["count"] > 0 and scope["bitrix24"]["first"]
        doc["title"] = "Изменено через API"
        assert c.put(f"/api/v1/profiles/{PROFILE}", json=doc).status_code == 200
        assert c.get(f"/api/v1/profiles/{PROFILE}").json()["title"] == "Изменено через API"
        bad = c.put(f"/api/v1/profiles/{PROFILE}", json={**doc, "conflict": "coin_flip"})
        assert bad.status_code == 422 and "conflict" in bad.text
        assert c.get("/api/v1/conflicts").json()["items"] == []
        assert c.post("/api/v1/conflicts/12345/resolve", json={"choose": "jira"}).status_code == 404
        assert c.get("/api/v1/errors").status_code == 200
        health = c.get("/healthz").json()
        assert health["status"] == "ok" and health["version"]
        ready = c.get("/readyz")
        assert ready.status_code == 200 and ready.json()["checks"]["database"] == "ok"
        metrics = c.get("/metrics").text
        for name in ("b24s_queue_depth", "b24s_lag_seconds", "b24s_runs_total", "b24s_items_synced_total",
                     "b24s_rate_limit_wait_seconds_total", "b24s_echoes_suppressed_total", "b24s_conflicts_total"):
            assert f"\n{name}" in metrics or metrics.startswith(name) or f"# TYPE {name}" in metrics
    status = cli(env.env, *remote, "status")
    assert status.returncode == 0 and PROFILE in status.stdout
    assert cli(env.env, "remote", "--url", svc.url, "--token", "wrong", "runs").returncode == 2
    assert svc.stop() == 0


@pytest.mark.slow
def test_schemathesis_finds_no_server_error(twins: dict[str, Any], tmp_path: Path,
                                            services: Callable[..., ServiceProcess]) -> None:
    st = Path(sys.executable).with_name("st")
    if not st.exists():
        missing("schemathesis is not installed in this environment (it is in the dev extras: ./dev setup)")
    env = demo_env(make_env(tmp_path, f"sqlite:///{(tmp_path / 'svc.sqlite').as_posix()}"), twins)
    token = env.token()
    svc = services(env, "--workers", "0", "--no-register")
    assert httpx.get(f"{svc.url}/api/v1/openapi.json", timeout=10).status_code == 200
    run_env = {**os.environ, "SCHEMATHESIS_HOOKS": ""}
    result = subprocess.run(
        [str(st), "run", f"{svc.url}/api/v1/openapi.json", "--checks", "not_a_server_error",
         "-H", f"Authorization: Bearer {token}", "--max-examples", "15", "--exclude-path", "/api/v1/events",
         "--request-timeout", "20", "--seed", "1", "--no-color"],
        cwd=tmp_path, env=run_env, text=True, capture_output=True, timeout=150)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert "Traceback" not in svc.logs()
    assert svc.stop() == 0


@pytest.mark.slow
def test_a_held_conflict_is_settled_by_choosing_a_side_or_a_value(
        twins: dict[str, Any], tmp_path: Path, services: Callable[..., ServiceProcess]) -> None:
    env = demo_env(make_env(tmp_path, f"sqlite:///{(tmp_path / 'svc.sqlite').as_posix()}"), twins)
    ws = env.workspace()
    try:
        ws.save_profiles([ws.profile(PROFILE).model_copy(update={"conflict": "manual"})])
    finally:
        ws.close()
    token = env.token()
    svc = services(env, "--no-register")
    jira, b24 = Jira(twins), Bitrix24(twins)
    issue = jira.search('project = PROC AND issuetype = "Purchase request" ORDER BY key ASC', 3)[2]

    with svc.client(token) as c:
        def run_pair() -> dict[str, Any]:
            job_id = c.post(f"/api/v1/profiles/{PROFILE}/run", json={"jira_ids": [issue["id"]]}).json()["job_id"]
            return dict(wait_for(lambda: (j := c.get(f"/api/v1/jobs/{job_id}").json())["status"] in ("done", "failed")
                                 and j, 60, what="the run of the pair"))

        assert run_pair()["status"] == "done"
        deal_id = wait_for(lambda: linked_deal(env.db_url, PROFILE, issue["id"]), 10, what="the link")

        def conflict_on_title(jira_title: str, deal_title: str) -> dict[str, Any]:
            jira.edit(issue["key"], {"summary": jira_title})
            b24.call("crm.deal.update", {"id": deal_id, "fields": {"TITLE": deal_title}})
            assert run_pair()["status"] == "done"
            held = c.get("/api/v1/conflicts", params={"profile": PROFILE}).json()["items"]
            assert [h["rule"] for h in held] == ["title"], held
            return dict(held[0])

        held = conflict_on_title("Заголовок из JIRA", "Заголовок из Битрикс24")
        done = c.post(f"/api/v1/conflicts/{held['id']}/resolve", json={"choose": "bitrix24"})
        assert done.status_code == 200, done.text
        assert c.post(f"/api/v1/conflicts/{held['id']}/resolve", json={"choose": "jira"}).status_code == 409
        wait_for(lambda: jira.issue(issue["key"])["fields"]["summary"] == "Заголовок из Битрикс24", 60,
                 what="the Bitrix24 title to win")

        held = conflict_on_title("Снова JIRA", "Снова Битрикс24")
        assert c.post(f"/api/v1/conflicts/{held['id']}/resolve", json={"value": "Согласованный заголовок"}
                      ).status_code == 200
        wait_for(lambda: jira.issue(issue["key"])["fields"]["summary"] == "Согласованный заголовок"
                 and b24.call("crm.deal.get", {"id": deal_id})["TITLE"] == "Согласованный заголовок", 60,
                 what="the chosen value on both sides")
        assert c.get("/api/v1/conflicts", params={"profile": PROFILE}).json()["items"] == []
    assert svc.stop() == 0
