"""Nothing is lost or repeated across restarts: stored events, offline events, timers, registrations."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from service_harness import Env, ServiceProcess, demo_env, free_port, make_env, wait_for
from sqlalchemy import create_engine, text
from twin_api import Bitrix24, Jira, linked_deal

PROFILE = "purchase-requests"


def sqlite_demo(tmp_path: Path, twins: dict[str, Any]) -> Env:
    return demo_env(make_env(tmp_path, f"sqlite:///{(tmp_path / 'svc.sqlite').as_posix()}"), twins)


def scalar(env: Env, sql: str, **params: Any) -> Any:
    engine = create_engine(env.db_url)
    try:
        with engine.connect() as conn:
            return conn.execute(text(sql), params).scalar()
    finally:
        engine.dispose()


def use_oauth_bitrix24(env: Env, b24: Bitrix24) -> dict[str, Any]:
    """Reconnect the demo portal as an installed application, so the service may call event.bind."""
    app = b24.oauth_app()
    ws = env.workspace()
    try:
        ws.remove_connection("bitrix24-demo")
        ws.add_connection("bitrix24-demo", "bitrix24", url=b24.base, flavour="oauth", secret=app["access_token"])
    finally:
        ws.close()
    env.env["B24S_SECRET_BITRIX24_DEMO_APP_TOKEN"] = app["application_token"]
    return app


@pytest.mark.slow
def test_events_stored_while_no_worker_ran_are_processed_after_restart(
        twins: dict[str, Any], tmp_path: Path, services: Callable[..., ServiceProcess]) -> None:
    env = sqlite_demo(tmp_path, twins)
    jira = Jira(twins)
    port = free_port()
    receiver = services(env, "--workers", "0", port=port)
    issues = jira.search('project = PROC AND issuetype = "Purchase request" ORDER BY key DESC', 3)
    titles = {i["id"]: f"{i['fields']['summary']} (restart test)" for i in issues}
    for i in issues:
        jira.edit(i["key"], {"summary": titles[i["id"]]})
    wait_for(lambda: scalar(env, "SELECT count(*) FROM service_inbox") >= 3, 30, what="events in the inbox")
    assert receiver.stop() == 0
    assert scalar(env, "SELECT count(*) FROM sync_runs") == 0

    services(env, port=port)
    b24 = Bitrix24(twins)

    def all_mirrored() -> bool:
        for jira_id, title in titles.items():
            deal = linked_deal(env.db_url, PROFILE, jira_id)
            if deal is None or b24.call("crm.deal.get", {"id": deal})["TITLE"] != title:
                return False
        return True

    wait_for(all_mirrored, 90, what="the stored events to be synced")
    assert scalar(env, "SELECT count(*) FROM service_inbox WHERE status = 'new'") == 0


@pytest.mark.slow
def test_bitrix24_offline_events_made_while_the_service_was_down_are_polled(
        twins: dict[str, Any], tmp_path: Path, services: Callable[..., ServiceProcess]) -> None:
    env = sqlite_demo(tmp_path, twins)
    b24 = Bitrix24(twins)
    app = use_oauth_bitrix24(env, b24)
    first = services(env, "--bitrix24-offline", "--workers", "0")
    assert first.stop() == 0
    subs = b24.call("event.get", token=app["access_token"])
    assert {s["event"] for s in subs if s["offline"]} >= {"ONCRMDEALADD", "ONCRMDEALUPDATE"}

    deal_id = str(b24.call("crm.deal.add", {"fields": {"TITLE": "Заявка, пока сервис стоял", "CATEGORY_ID": 0,
                                                       "STAGE_ID": "NEW", "OPPORTUNITY": 1000}}))
    services(env, "--bitrix24-offline", config={"offline_poll_seconds": 0.5})
    wait_for(lambda: scalar(env, "SELECT jira_id FROM sync_links WHERE profile = :p AND bitrix24_id = :b",
                            p=PROFILE, b=deal_id), 90, what="the deal created offline to reach JIRA")
    queue = b24.call("event.offline.list", token=app["access_token"])
    # Taken and cleared (the deal's later UPDATE is the service's own write coming back, polled next time).
    assert not [e for e in queue if e["EVENT_NAME"] == "ONCRMDEALADD" and e["EVENT_DATA"]["FIELDS"]["ID"] == deal_id]


@pytest.mark.slow
def test_a_timer_due_during_a_restart_fires_exactly_once(
        twins: dict[str, Any], tmp_path: Path, services: Callable[..., ServiceProcess]) -> None:
    env = sqlite_demo(tmp_path, twins)
    token = env.token()
    port = free_port()
    svc = services(env, port=port)
    with svc.client(token) as c:
        made = c.post("/api/v1/timers", json={"profile": PROFILE, "name": "restart-timer", "in_seconds": 2,
                                              "dry_run": True})
        assert made.status_code == 201, made.text
        again = c.post("/api/v1/timers", json={"profile": PROFILE, "name": "restart-timer", "in_seconds": 2})
        assert again.status_code == 409
    assert svc.stop() == 0
    assert scalar(env, "SELECT fired_count FROM job_timers WHERE name = 'restart-timer'") == 0

    jobs_sql = "SELECT count(*) FROM jobs WHERE origin = 'timer'"
    import time

    time.sleep(2.5)  # the timer falls due while nothing runs
    svc = services(env, port=port)
    wait_for(lambda: scalar(env, "SELECT count(*) FROM jobs WHERE origin = 'timer' AND status = 'done'"),
             60, what="the timer's job to run")
    assert svc.stop() == 0
    svc = services(env, port=port)
    time.sleep(3)
    assert svc.stop() == 0
    assert scalar(env, jobs_sql) == 1
    assert scalar(env, "SELECT fired_count FROM job_timers WHERE name = 'restart-timer'") == 1


@pytest.mark.slow
def test_restarting_five_times_leaves_one_registration_per_system(
        twins: dict[str, Any], tmp_path: Path, services: Callable[..., ServiceProcess]) -> None:
    env = sqlite_demo(tmp_path, twins)
    jira, b24 = Jira(twins), Bitrix24(twins)
    app = use_oauth_bitrix24(env, b24)
    port = free_port()
    for _ in range(5):
        assert services(env, "--workers", "0", port=port).stop() == 0
    url = f"http://127.0.0.1:{port}"
    ours = [h for h in jira.webhooks() if h["url"].startswith(url)]
    assert len(ours) == 1
    subs = b24.call("event.get", token=app["access_token"])
    events = [s["event"] for s in subs if s["handler"].startswith(url)]
    assert events and len(events) == len(set(events))
    assert {"ONCRMDEALADD", "ONCRMDEALUPDATE", "ONCRMDEALDELETE"} <= set(events)
