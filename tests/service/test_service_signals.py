"""SIGHUP reloads validated profiles; SIGTERM hands unfinished work back to the queue."""

from __future__ import annotations

import signal
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from service_harness import ServiceProcess, demo_env, make_env, wait_for
from sqlalchemy import create_engine, text


@pytest.mark.slow
def test_sighup_reloads_profiles_and_keeps_the_old_set_when_the_new_one_is_wrong(
        twins: dict[str, Any], tmp_path: Path, services: Callable[..., ServiceProcess]) -> None:
    env = demo_env(make_env(tmp_path, f"sqlite:///{(tmp_path / 'svc.sqlite').as_posix()}"), twins)
    token = env.token()
    svc = services(env, "--workers", "0", "--no-register")

    def profiles() -> list[str]:
        with svc.client(token) as c:
            return list(c.get("/api/v1/status").json()["profiles"])

    assert "contacts" in profiles()
    ws = env.workspace()
    try:
        contacts = ws.profile("contacts")
        ws.save_profiles([contacts.model_copy(update={"enabled": False})])
        svc.proc.send_signal(signal.SIGHUP)
        wait_for(lambda: "contacts" not in profiles(), 20, what="the reload to drop the disabled profile")
        products = ws.profile("products")
        broken = products.model_copy(update={"jira": products.jira.model_copy(update={"connection": "missing"})})
        ws.save_profiles([broken])
        svc.proc.send_signal(signal.SIGHUP)
        wait_for(lambda: "reload refused" in svc.logs(), 20, what="the refused reload to be logged")
    finally:
        ws.close()
    assert "products" in profiles()
    assert svc.stop() == 0


@pytest.mark.slow
def test_sigterm_releases_a_run_it_cannot_finish_in_time(
        twins: dict[str, Any], tmp_path: Path, services: Callable[..., ServiceProcess]) -> None:
    env = demo_env(make_env(tmp_path, f"sqlite:///{(tmp_path / 'svc.sqlite').as_posix()}"), twins)
    token = env.token()
    svc = services(env, "--no-register", config={"stop_timeout_seconds": 1})
    admin = httpx.Client(base_url=twins["jira_url"], headers={"Authorization": f"Bearer {twins['admin_token']}"},
                         trust_env=False)
    engine = create_engine(env.db_url)
    try:
        admin.post("/_sandbox/faults", json={"latency_ms": 2000}).raise_for_status()
        with svc.client(token) as c:
            job_id = c.post("/api/v1/profiles/purchase-requests/run", json={}).json()["job_id"]

        def status() -> str:
            with engine.connect() as conn:
                return str(conn.execute(text("SELECT status FROM jobs WHERE id = :i"), {"i": job_id}).scalar())

        wait_for(lambda: status() == "running", 20, what="the run to start")
        assert svc.stop(timeout=30) == 0
        with engine.connect() as conn:
            row = conn.execute(text("SELECT status, owner, attempts FROM jobs WHERE id = :i"),
                               {"i": job_id}).one()
            leases = conn.execute(text("SELECT count(*) FROM job_lanes WHERE owner IS NOT NULL")).scalar()
        assert (row.status, row.owner, row.attempts) == ("pending", None, 0)
        assert leases == 0
    finally:
        admin.post("/_sandbox/faults", json={"latency_ms": 0})
        admin.close()
        engine.dispose()
