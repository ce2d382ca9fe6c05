"""The studio's remote mode: the same pages and calls, against a running ``b24sync serve``."""

from __future__ import annotations

import asyncio
import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from studio.remote import RemoteBackend, RemoteError
from sync_engine.demo import install_demo as demo_setup
from sync_engine.secrets import SecretStore, choose_backend
from sync_engine.service.tokens import TokenStore
from sync_engine.workspace import Workspace

ROOT = Path(__file__).resolve().parents[2]


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def service(tmp_path: Path, sandbox: Any) -> Any:
    db = f"sqlite:///{tmp_path / 'svc.sqlite'}"
    ws = Workspace.open(db, SecretStore(choose_backend("file", tmp_path)))
    demo_setup(ws, sandbox.info)
    token = TokenStore(ws.engine).create("studio", "admin")
    reader = TokenStore(ws.engine).create("viewer", "read")
    ws.close()
    env = {k: v for k, v in os.environ.items() if not k.startswith("B24S_")}
    env.update({"B24S_DATA_DIR": str(tmp_path), "B24S_SECRET_STORE": "file", "B24S_DATABASE_URL": db})
    port = _port()
    proc = subprocess.Popen([sys.executable, "-m", "sync_engine.cli", "serve", "--port", str(port), "--no-register"],
                            cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    assert proc.stdout is not None
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if '"ready"' in line:
            break
    else:
        proc.kill()
        pytest.fail("the service did not start")
    yield {"url": f"http://127.0.0.1:{port}", "token": token, "reader": reader,
           "jira_token": sandbox.info["jira_token"]}
    proc.terminate()
    proc.wait(30)


def test_remote_backend_lists_describes_plans_runs_and_pages_items(service: dict[str, Any]) -> None:
    async def scenario() -> None:
        backend = RemoteBackend(service["url"], service["token"], poll=0.2)
        try:
            names = {p.name for p in await backend.profiles.all()}
            assert "purchase-requests" in names
            profile = next(p for p in await backend.profiles.all() if p.name == "purchase-requests")
            jira_fields, b24_fields = await backend.profiles.fields(profile)
            assert {"summary", "customfield_10101"} <= {f.id for f in jira_fields}
            assert {"TITLE", "STAGE_ID"} <= {f.id for f in b24_fields}
            plan = await backend.runs.run("purchase-requests", dry_run=True)
            lines = [t for line in plan.plan for t in line.text()]
            assert any(line.startswith("create in Bitrix24") for line in lines), plan
            assert {line.kind for line in plan.plan} >= {"create"}
            result = await backend.runs.run("purchase-requests", dry_run=False)
            assert result.error is None and result.summary.created.bitrix24 > 0
            runs = await backend.runs.recent()
            run_id = next(r.id for r in runs if r.profile == "purchase-requests" and r.status == "ok")
            total = await backend.runs.count_items(run_id)
            page = await backend.runs.items_page(run_id, 0, 10)
            assert total >= 10 and len(page) == 10 and page[0].run_id == run_id
            assert [i.seq for i in await backend.runs.items_page(run_id, total - 2, 10)] == [total - 1, total]
            creates = await backend.runs.count_items(run_id, "create")
            assert 0 < creates <= total
            conns = await backend.connections.all()
            assert {c.name for c in conns} == {"jira-demo", "bitrix24-demo"}
            listing = json.dumps([c.model_dump(mode="json") for c in conns])
            assert service["jira_token"] not in listing, "a connection listing must never carry a secret"
        finally:
            await backend.close()

    asyncio.run(scenario())


def test_remote_backend_reports_bad_and_read_only_tokens(service: dict[str, Any]) -> None:
    async def scenario() -> None:
        bad = RemoteBackend(service["url"], "not-a-token")
        viewer = RemoteBackend(service["url"], service["reader"])
        try:
            with pytest.raises(RemoteError, match="401"):
                await bad.profiles.all()
            assert await viewer.profiles.all()
            with pytest.raises(RemoteError, match="403"):
                await viewer.runs.run("purchase-requests", dry_run=False)
        finally:
            await bad.close()
            await viewer.close()

    asyncio.run(scenario())
