"""Refusing what must be refused: unsigned or forged deliveries, missing or weak API tokens, fuzzed bodies."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from service_harness import Env, ServiceProcess, demo_env, make_env
from sqlalchemy import create_engine, text

from sync_engine.service.inbound import sign

HOOK_SECRET = "jira-hook-secret-for-tests"
APP_TOKEN = "b24-application-token-for-tests"


def secured_env(tmp_path: Path, twins: dict[str, Any]) -> Env:
    env = demo_env(make_env(tmp_path, f"sqlite:///{(tmp_path / 'svc.sqlite').as_posix()}"), twins)
    env.env["B24S_SECRET_JIRA_DEMO_WEBHOOK_SECRET"] = HOOK_SECRET
    env.env["B24S_SECRET_BITRIX24_DEMO_APP_TOKEN"] = APP_TOKEN
    return env


def inbox_count(env: Env) -> int:
    engine = create_engine(env.db_url)
    try:
        with engine.connect() as conn:
            return int(conn.execute(text("SELECT count(*) FROM service_inbox")).scalar_one())
    finally:
        engine.dispose()


def jira_body(issue_id: str = "10001") -> bytes:
    return json.dumps({"webhookEvent": "jira:issue_updated", "issue": {
        "id": issue_id, "key": "PROC-1", "fields": {"project": {"key": "PROC"},
                                                     "issuetype": {"name": "Purchase request"}}}}).encode()


def b24_body(token: str, deal: str = "5") -> bytes:
    return urlencode({"event": "ONCRMDEALUPDATE", "data[FIELDS][ID]": deal, "ts": "1",
                      "auth[application_token]": token}).encode()


def test_webhooks_need_a_valid_signature_or_token_and_api_needs_a_token(
        twins: dict[str, Any], tmp_path: Path, services: Callable[..., ServiceProcess]) -> None:
    env = secured_env(tmp_path, twins)
    admin = env.token("admin")
    reader = env.token("reader", read_only=True)
    svc = services(env, "--workers", "0", "--no-register")
    with svc.client() as c:
        body = jira_body()
        jira = "/hooks/jira/jira-demo"
        json_type = {"Content-Type": "application/json"}
        assert c.post(jira, content=body, headers=json_type).status_code == 401
        bad = {**json_type, "X-Hub-Signature": sign("not-the-secret", body)}
        assert c.post(jira, content=body, headers=bad).status_code == 401
        tampered = {**json_type, "X-Hub-Signature": sign(HOOK_SECRET, body + b" ")}
        assert c.post(jira, content=body, headers=tampered).status_code == 401
        form = {"Content-Type": "application/x-www-form-urlencoded"}
        b24 = "/hooks/bitrix24/bitrix24-demo"
        assert c.post(b24, content=b24_body("wrong-token"), headers=form).status_code == 401
        assert c.post(b24, content=urlencode({"event": "ONCRMDEALUPDATE", "data[FIELDS][ID]": "5"}).encode(),
                      headers=form).status_code == 401
        assert inbox_count(env) == 0

        good = {**json_type, "X-Hub-Signature": sign(HOOK_SECRET, body), "X-Atlassian-Webhook-Identifier": "d-1"}
        assert c.post(jira, content=body, headers=good).json() == {"stored": True}
        assert c.post(jira, content=body, headers=good).json() == {"stored": False}  # a redelivery
        assert c.post(b24, content=b24_body(APP_TOKEN), headers=form).json() == {"stored": True}
        assert c.post(b24, content=b24_body(APP_TOKEN), headers=form).json() == {"stored": False}
        assert c.post("/hooks/jira/no-such", content=body, headers=good).status_code == 404
        assert inbox_count(env) == 2

        assert c.get("/api/v1/runs").status_code == 401
        assert c.get("/api/v1/runs", headers={"Authorization": "Bearer nope"}).status_code == 401
        read = {"Authorization": f"Bearer {reader}"}
        assert c.get("/api/v1/runs", headers=read).status_code == 200
        assert c.post("/api/v1/profiles/purchase-requests/run", headers=read).status_code == 403
        assert c.post("/api/v1/profiles/purchase-requests/run", json={"dry_run": True},
                      headers={"Authorization": f"Bearer {admin}"}).status_code == 202
        shown = c.get("/api/v1/connections", headers=read).text
        metrics = c.get("/metrics").text
    assert 'b24s_events_rejected_total{status="401",system="jira"} 3' in metrics
    for secret in (HOOK_SECRET, APP_TOKEN, twins["jira_token"], admin, reader):
        assert secret not in shown and secret not in metrics
    assert svc.stop() == 0
    logs = svc.logs()
    for secret in (HOOK_SECRET, APP_TOKEN, twins["jira_token"], admin, reader):
        assert secret not in logs


_json = st.recursive(st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
                     lambda kids: st.lists(kids, max_size=4) | st.dictionaries(st.text(max_size=10), kids, max_size=4),
                     max_leaves=20)
_jira_like = st.fixed_dictionaries({"webhookEvent": st.sampled_from(["jira:issue_updated", "jira:issue_created",
                                                                     "jira:issue_deleted", "other", ""]) | _json},
                                   optional={"issue": _json | st.fixed_dictionaries(
                                       {"id": _json, "key": _json, "fields": _json}),
                                             "changelog": _json})
_form_key = st.sampled_from(["event", "data[FIELDS][ID]", "auth[application_token]", "ts", "data[x]", "a[b][c]"])
_b24_form = st.lists(st.tuples(_form_key | st.text(max_size=12), st.text(max_size=30) | st.sampled_from(
    ["ONCRMDEALUPDATE", "ONCRMDYNAMICITEMADD_1032", "7", APP_TOKEN, "-1", "1e9"])), max_size=8)


@pytest.mark.slow
def test_fuzzed_webhook_bodies_never_cause_a_server_error(
        twins: dict[str, Any], tmp_path: Path, services: Callable[..., ServiceProcess]) -> None:
    env = secured_env(tmp_path, twins)
    svc = services(env, "--workers", "0", "--no-register")
    client = svc.client()

    @settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
    @given(raw=st.binary(max_size=300), doc=_jira_like, pairs=_b24_form, signed=st.booleans())
    def check(raw: bytes, doc: Any, pairs: list[tuple[str, str]], signed: bool) -> None:
        body = json.dumps(doc).encode()
        for content in (raw, body):
            headers = {"Content-Type": "application/json"}
            if signed:
                headers["X-Hub-Signature"] = sign(HOOK_SECRET, content)
            resp = client.post("/hooks/jira/jira-demo", content=content, headers=headers)
            assert resp.status_code < 500, (content, resp.text)
        form = urlencode(pairs).encode()
        for content in (raw, form):
            resp = client.post("/hooks/bitrix24/bitrix24-demo", content=content,
                               headers={"Content-Type": "application/x-www-form-urlencoded"})
            assert resp.status_code < 500, (content, resp.text)

    try:
        check()
    finally:
        client.close()
    assert svc.stop() == 0
    assert "Traceback" not in svc.logs()
