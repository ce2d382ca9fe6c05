"""``b24sync sandbox`` as a user runs it: one JSON line, then serving until SIGTERM."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import httpx
import pytest

KEYS = {"jira_url", "jira_user", "jira_token", "bitrix_webhook_url", "admin_token"}


def _start(*args: str) -> tuple[subprocess.Popen[str], dict[str, str]]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "sync_engine.cli", "sandbox", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    assert proc.stdout is not None
    line = proc.stdout.readline()
    if not line:
        proc.kill()
        raise AssertionError(f"sandbox printed nothing; stderr: {proc.stderr.read() if proc.stderr else ''}")
    return proc, json.loads(line)


def _stop(proc: subprocess.Popen[str]) -> int:
    proc.send_signal(signal.SIGTERM)
    try:
        return proc.wait(timeout=15)
    finally:
        if proc.poll() is None:
            proc.kill()


def test_prints_exactly_one_json_line_and_stops_on_sigterm() -> None:
    started = time.monotonic()
    proc, info = _start("--no-limits", "--jira-flavour", "cloud")
    try:
        assert set(info) == KEYS
        assert info["jira_url"].startswith("http://127.0.0.1:")
        assert "/rest/" in info["bitrix_webhook_url"] and info["bitrix_webhook_url"].endswith("/")
        server = httpx.get(f"{info['jira_url']}/rest/api/2/serverInfo", auth=(info["jira_user"], info["jira_token"]))
        assert server.json()["deploymentType"] == "Cloud"
        me = httpx.get(f"{info['bitrix_webhook_url']}user.current.json").json()
        assert me["result"]["ID"] == "1"
        assert time.monotonic() - started < 30
    finally:
        code = _stop(proc)
    assert code == 0
    assert proc.stdout is not None and proc.stdout.read() == "", "nothing but the JSON line goes to stdout"


def test_tls_serves_https_with_the_printed_ca() -> None:
    proc, info = _start("--tls", "--seed", "empty")
    try:
        assert set(info) == KEYS | {"ca_file"}
        assert info["jira_url"].startswith("https://")
        ok = httpx.get(f"{info['bitrix_webhook_url']}user.current", verify=info["ca_file"])
        assert ok.status_code == 200
        with pytest.raises(httpx.ConnectError):
            httpx.get(f"{info['bitrix_webhook_url']}user.current")  # system CAs do not know ours
    finally:
        assert _stop(proc) == 0


def test_bad_arguments_are_refused_with_a_reason() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "sync_engine.cli", "sandbox", "--deals", "-5"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert "--deals must be >= 0" in result.stderr
    assert result.stdout == ""


def test_company_size_seeds_the_bitrix24_structure() -> None:
    proc, info = _start("--no-limits", "--company-size", "2000")
    try:
        hook = info["bitrix_webhook_url"]
        users = httpx.get(f"{hook}user.get", params={"start": 1950}).json()
        departments = httpx.get(f"{hook}department.get").json()
        assert users["total"] == 2000 and len(users["result"]) == 50 and "next" not in users
        assert departments["total"] == 150
    finally:
        assert _stop(proc) == 0
    refused = subprocess.run([sys.executable, "-m", "sync_engine.cli", "sandbox", "--company-size", "-1"],
                             capture_output=True, text=True, timeout=60)
    assert refused.returncode == 2 and "--company-size must be >= 0" in refused.stderr
