"""End to end: the running service mirrors changes announced by the twins' own webhooks."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from service_harness import ServiceProcess, demo_env, make_env, wait_for
from sqlalchemy import create_engine, text
from twin_api import Bitrix24, Jira, linked_deal

PROFILE = "purchase-requests"
STAGES = {"NEW": "Открыт", "PREPARATION": "Квалификация", "PREPAYMENT_INVOICE": "Согласование",
          "EXECUTING": "Закупка согласована", "FINAL_INVOICE": "Выставлен счёт", "WON": "Выполнен"}


def connect_outgoing_webhook(svc: ServiceProcess, token: str, b24: Bitrix24) -> None:
    """What a portal admin does for an inbound-webhook connection: the URL the service shows, the token back."""
    with svc.client(token) as c:
        setup = c.get("/api/v1/connections/bitrix24-demo/webhook-setup").raise_for_status().json()
        hook = b24.outgoing_webhook(setup["handler_url"], setup["events"])
        c.put("/api/v1/connections/bitrix24-demo/application-token",
              json={"token": hook["application_token"]}).raise_for_status()


@pytest.mark.slow
def test_jira_edit_and_deal_stage_move_are_mirrored(twins: dict[str, Any], tmp_path: Path,
                                                    services: Callable[..., ServiceProcess]) -> None:
    env = demo_env(make_env(tmp_path, f"sqlite:///{(tmp_path / 'svc.sqlite').as_posix()}"), twins)
    token = env.token()
    svc = services(env)
    jira, b24 = Jira(twins), Bitrix24(twins)
    connect_outgoing_webhook(svc, token, b24)

    issue = jira.search('project = PROC AND issuetype = "Purchase request" ORDER BY key ASC', 1)[0]
    title = "Закупка серверов (изменено в JIRA)"
    jira.edit(issue["key"], {"summary": title})

    def mirrored_title() -> str | None:
        deal_id = linked_deal(env.db_url, PROFILE, issue["id"])
        if deal_id and b24.call("crm.deal.get", {"id": deal_id})["TITLE"] == title:
            return deal_id
        return None

    deal_id = wait_for(mirrored_title, 60, what="the JIRA summary to reach the deal")

    deal = b24.call("crm.deal.get", {"id": deal_id})
    status = jira.issue(issue["key"])["fields"]["status"]["name"]
    order = list(STAGES)
    current = next((s for s, name in STAGES.items() if name == status), deal["STAGE_ID"])
    target = order[(order.index(current) + 1) % len(order)] if current in order else "PREPARATION"
    b24.call("crm.deal.update", {"id": deal_id, "fields": {"STAGE_ID": target}})
    wait_for(lambda: jira.issue(issue["key"])["fields"]["status"]["name"] == STAGES[target], 60,
             what=f"the deal's move to {target} to reach the JIRA status")

    with svc.client(token) as c:
        def settled_runs() -> list[dict[str, Any]] | None:
            # Our own writes come back as events; the run they cause may still be going.
            items = c.get("/api/v1/runs", params={"profile": PROFILE}).raise_for_status().json()["items"]
            return None if any(r["status"] == "running" for r in items) else items

        runs = wait_for(settled_runs, 30, what="the echo runs to finish")
        metrics = c.get("/metrics").text
    assert runs and all(r["status"] == "ok" for r in runs), [(r["id"], r["status"], r["error"]) for r in runs]
    assert 'b24s_events_received_total{system="jira",via="webhook"}' in metrics
    assert 'b24s_events_received_total{system="bitrix24",via="webhook"}' in metrics
    hook_token = scalar_rows(env.db_url, "SELECT purpose, secret_ref FROM service_secret_refs")
    assert ("app-token", "keyring:b24-jira-studio/bitrix24-demo-app-token") in hook_token  # a reference only
    with pytest.raises(RuntimeError, match="already uses the SQLite database"):
        services(env)
    assert svc.stop() == 0
    assert "Traceback" not in svc.logs()


def scalar_rows(db_url: str, sql: str) -> list[tuple[Any, ...]]:
    engine = create_engine(db_url)
    try:
        with engine.connect() as conn:
            return [tuple(r) for r in conn.execute(text(sql))]
    finally:
        engine.dispose()
