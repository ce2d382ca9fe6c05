"""The service's small parts: reading deliveries, routing, coalescing, sd_notify, logs, metrics, config."""

from __future__ import annotations

import io
import json
import logging
import socket
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlencode

import pytest

from sync_engine.connectors.base import Record
from sync_engine.demo import demo_profiles
from sync_engine.engine.planner import LinkState
from sync_engine.service.config import ConfigError, load_config
from sync_engine.service.inbound import (
    InboundError,
    parse_bitrix24_form,
    parse_jira,
    parse_offline,
    sign,
    verify_application_token,
    verify_jira_signature,
)
from sync_engine.service.logs import JsonFormatter, bind, scrub
from sync_engine.service.metrics import Metrics
from sync_engine.service.routing import RoutedProfile, fire_filter, merge_events, route
from sync_engine.service.sdnotify import SdNotifier
from sync_engine.service.sync_jobs import rearm, schedule_timers


def routes() -> list[RoutedProfile]:
    return [RoutedProfile(p, "jira-demo", "bitrix24-demo") for p in demo_profiles()]


def test_jira_delivery_is_read_and_checked() -> None:
    body = json.dumps({"webhookEvent": "jira:issue_updated", "issue": {
        "id": "10010", "key": "PROC-3",
        "fields": {"project": {"key": "PROC"}, "issuetype": {"name": "Purchase request"}}},
        "changelog": {"items": [{"field": "status", "fieldId": "status", "fromString": "Открыт",
                                 "toString": "Квалификация"}]}}).encode()
    verify_jira_signature("s3cret", body, sign("s3cret", body))
    with pytest.raises(InboundError) as bad:
        verify_jira_signature("s3cret", body, sign("other", body))
    assert bad.value.status == 401
    event = parse_jira(body, "abc")
    assert event is not None and event.kind == "updated" and event.record_id == "10010"
    assert event.dedup_key == "jira:abc" and event.changes == {"status": ["Открыт", "Квалификация"]}
    assert parse_jira(b'{"webhookEvent": "project_created"}', None) is None
    for broken in (b"nope", b"[]", b'{"webhookEvent": "jira:issue_updated"}'):
        with pytest.raises(InboundError) as err:
            parse_jira(broken, None)
        assert err.value.status == 400


def test_bitrix24_delivery_is_read_and_checked() -> None:
    body = urlencode({"event": "ONCRMDEALUPDATE", "data[FIELDS][ID]": "41", "auth[application_token]": "t0k"})
    form, event = parse_bitrix24_form(body.encode())
    verify_application_token("t0k", form)
    for expected in ("other", None):
        with pytest.raises(InboundError):
            verify_application_token(expected, form)
    assert event is not None and (event.entity, event.kind, event.record_id) == ("deal", "updated", "41")
    _, spa = parse_bitrix24_form(urlencode({"event": "ONCRMDYNAMICITEMADD_1032", "data[FIELDS][ID]": "3"}).encode())
    assert spa is not None and spa.entity == "item" and spa.entity_type_id == 1032
    offline = parse_offline({"EVENT_NAME": "ONCRMDEALDELETE", "EVENT_DATA": {"FIELDS": {"ID": "9"}},
                             "MESSAGE_ID": "m1"})
    assert offline is not None and offline.kind == "deleted" and offline.dedup_key == "b24off:m1"
    with pytest.raises(InboundError):
        parse_bitrix24_form(urlencode({"event": "ONCRMDEALUPDATE", "data[FIELDS][ID]": "٣"}).encode())


def test_routing_by_scope_and_trigger_kind() -> None:
    rs = routes()
    issue = {"system": "jira", "kind": "updated", "id": "1", "project": "PROC", "issue_type": "Purchase request"}
    assert route(rs, "jira-demo", issue) == ["purchase-requests"]
    assert route(rs, "other-jira", issue) == []
    assert route(rs, "jira-demo", {**issue, "project": "NOPE"}) == []
    deal = {"system": "bitrix24", "kind": "updated", "id": "5", "entity": "deal"}
    assert route(rs, "bitrix24-demo", deal) == ["purchase-requests"]
    assert route(rs, "bitrix24-demo", {**deal, "kind": "deleted"}) == []  # no deletion trigger


def test_stage_changed_fires_only_when_the_stage_moved() -> None:
    r = next(x for x in routes() if x.profile.name == "purchase-requests")
    link = LinkState(1, "10", "5", "PROC-1", {"stage": ("Открыт", "NEW"), "title": ("a", "a")})
    moved = Record(id="5", key=None, fields={"STAGE_ID": "PREPARATION", "TITLE": "a"})
    same = Record(id="5", key=None, fields={"STAGE_ID": "NEW", "TITLE": "b"})
    assert fire_filter(r, "bitrix24", "updated", moved, link, {})
    assert not fire_filter(r, "bitrix24", "updated", same, link, {})
    assert fire_filter(r, "jira", "updated", None, None, {})  # created_or_updated needs no record


def test_a_burst_for_one_record_is_one_read() -> None:
    merged = merge_events([
        {"system": "jira", "id": "1", "kind": "created", "changes": {}},
        {"system": "jira", "id": "1", "kind": "updated", "changes": {"status": ["A", "B"]}},
        {"system": "jira", "id": "1", "kind": "updated", "changes": {"status": ["B", "C"]}},
        {"system": "bitrix24", "id": "1", "kind": "updated", "changes": {}},
    ])
    assert len(merged) == 2
    assert merged[0]["kind"] == "created" and merged[0]["changes"] == {"status": ["A", "C"]}


def test_sd_notify_sends_datagrams(tmp_path: Path) -> None:
    path = str(tmp_path / "notify.sock")
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as server:
        server.bind(path)
        server.settimeout(2)
        notifier = SdNotifier({"NOTIFY_SOCKET": path, "WATCHDOG_USEC": "4000000"})
        assert notifier.watchdog_seconds == 4.0
        assert notifier.ready("up")
        assert server.recv(256) == b"READY=1\nSTATUS=up"
        assert notifier.watchdog()
        assert server.recv(256) == b"WATCHDOG=1"
    assert not SdNotifier({}).ready()


def test_json_logs_carry_context_and_never_secrets() -> None:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter(lambda: ["hunter2-secret"]))
    logger = logging.getLogger("b24s.test")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    token = bind(run_id=42, profile="p")
    try:
        logger.info("calling https://portal/rest/1/abcdef123/ with token=hunter2-secret")
    finally:
        from sync_engine.service.logs import LOG_CONTEXT

        LOG_CONTEXT.reset(token)
        logger.removeHandler(handler)
    line = json.loads(stream.getvalue())
    assert line["run_id"] == 42 and line["profile"] == "p"
    assert "hunter2" not in line["msg"] and "abcdef123" not in line["msg"]
    assert scrub("Authorization: Bearer b24s_" + "x" * 30) == "Authorization: Bearer ***"


def test_metrics_text_format() -> None:
    m = Metrics()
    m.inc("b24s_events_received_total", system="jira", via="webhook")
    m.inc("b24s_events_received_total", 2, system="jira", via="webhook")
    text = m.render(lambda: {"b24s_queue_depth": 3.0, "b24s_lag_seconds": 0.25})
    assert 'b24s_events_received_total{system="jira",via="webhook"} 3' in text
    assert "# TYPE b24s_queue_depth gauge\nb24s_queue_depth 3" in text
    assert "b24s_lag_seconds 0.25" in text


def test_config_file_and_overrides(tmp_path: Path) -> None:
    path = tmp_path / "service.yaml"
    path.write_text("port: 9000\npublic_url: https://sync.example.com/\nworkers: 3\n", encoding="utf-8")
    config = load_config(str(path), {"port": 9100, "workers": None})
    assert (config.port, config.workers, config.public_url) == (9100, 3, "https://sync.example.com")
    path.write_text("prot: 1\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="unknown setting"):
        load_config(str(path), {})
    with pytest.raises(ConfigError, match="public_url"):
        load_config(None, {"public_url": "sync.example.com"})


def test_schedule_timers_follow_the_profiles_triggers() -> None:
    now = datetime(2026, 11, 26, 10, 2, 30, tzinfo=UTC)
    timers = schedule_timers(routes(), now)
    by_profile = {t.lane: (name, t.schedule, t.first_due) for name, t in timers.items()}
    assert {t.job_kind for t in timers.values()} == {"sync"}
    _, spec, due = by_profile["purchase-requests"]
    assert due == now + timedelta(seconds=300)  # first slot one interval out: a restart does not run everything
    assert schedule_timers(routes(), now + timedelta(hours=1)).keys() == timers.keys()  # names are stable
    assert rearm(spec, now) == now + timedelta(seconds=300)
    _, cron_spec, cron_due = by_profile["products"]  # "*/30 8-20 * * 1-5" in Europe/Moscow
    assert cron_due == datetime(2026, 11, 26, 10, 30, tzinfo=UTC)  # 13:30 Moscow
    assert rearm(cron_spec, cron_due) == datetime(2026, 11, 26, 11, 0, tzinfo=UTC)
