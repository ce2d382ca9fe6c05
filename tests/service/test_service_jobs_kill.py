"""One queue for every kind of work, killed at random and restarted: each effect happens exactly once.

A sync run, a one-shot timer and a test-only job kind (``probe_plugin``) all go through the service's
queue; the service is SIGKILLed several times while they run and restarted, on SQLite and PostgreSQL.
"""

from __future__ import annotations

import json
import random
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from service_harness import ServiceProcess, demo_env, make_env, wait_for
from sqlalchemy import create_engine, text

from sync_engine.jobs import JobStore, NewJob

PROBES = 24


class Recorder:
    """The remote side of the probe effects: records each key it receives, findable by key."""

    def __init__(self) -> None:
        self.received: list[str] = []
        self.lock = threading.Lock()
        recorder = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def _answer(self, body: Any) -> None:
                data = json.dumps(body).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_POST(self) -> None:
                key = json.loads(self.rfile.read(int(self.headers["Content-Length"])))["key"]
                with recorder.lock:
                    recorder.received.append(key)
                    n = len(recorder.received)
                self._answer({"id": n})

            def do_GET(self) -> None:
                key = parse_qs(urlsplit(self.path).query)["key"][0]
                with recorder.lock:
                    found = key in recorder.received
                    n = recorder.received.index(key) + 1 if found else 0
                self._answer({"id": n} if found else None)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()


@pytest.fixture
def recorder() -> Iterator[Recorder]:
    r = Recorder()
    yield r
    r.close()


@pytest.mark.slow
@pytest.mark.parametrize("backend", ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def test_each_effect_once_across_kills(backend: str, request: pytest.FixtureRequest, tmp_path: Path,
                                      twins: dict[str, Any], recorder: Recorder,
                                      services: Callable[..., ServiceProcess]) -> None:
    db_url = f"sqlite:///{(tmp_path / 'svc.sqlite').as_posix()}" if backend == "sqlite" else \
        request.getfixturevalue("pg_url")
    env = demo_env(make_env(tmp_path, db_url), twins)
    env.env["B24S_TEST_PROBE_URL"] = recorder.url
    token = env.token()
    config = {"job_plugins": ["tests.service.probe_plugin:make"], "lease_seconds": 2, "poll_seconds": 0.1,
              "stop_timeout_seconds": 1}
    engine = create_engine(db_url)
    try:
        store = JobStore(engine)
        store.add([NewJob("test.probe", f"probe:{n % 6}", {"key": f"k{n}", "before": 0.15, "after": 0.25})
                   for n in range(PROBES)])
        svc = services(env, "--no-register", config=config)
        with svc.client(token) as c:
            assert c.post("/api/v1/timers", json={"profile": "purchase-requests", "name": "kill-timer",
                                                  "in_seconds": 1, "dry_run": True}).status_code == 201
            assert c.post("/api/v1/profiles/companies/run", json={}).status_code == 202
        rng = random.Random(7)
        for _ in range(4):
            time.sleep(rng.uniform(0.4, 1.6))
            svc.kill()
            svc = services(env, "--no-register", config=config)

        def all_done() -> bool:
            with engine.connect() as conn:
                open_jobs = conn.execute(text("SELECT count(*) FROM jobs WHERE status IN ('pending', 'running')"))
                return int(open_jobs.scalar_one()) == 0

        wait_for(all_done, 120, interval=0.3, what="every job to finish after the kills")
        with engine.connect() as conn:
            rows = conn.execute(text("SELECT kind, origin, status, attempts FROM jobs ORDER BY id")).all()
            fired = conn.execute(text("SELECT fired_count FROM job_timers WHERE name = 'kill-timer'")).scalar_one()
            runs = conn.execute(text("SELECT profile, status FROM sync_runs WHERE profile = 'companies'")).all()
        assert svc.stop() == 0
    finally:
        engine.dispose()
    assert sorted(recorder.received) == sorted(f"k{n}" for n in range(PROBES))  # each effect exactly once
    probes = [r for r in rows if r.kind == "test.probe"]
    assert len(probes) == PROBES and {r.status for r in probes} == {"done"}
    assert any(r.attempts > 1 for r in probes), "no kill landed while a probe job ran; the test proved nothing"
    assert fired == 1
    sync = [(r.origin, r.status) for r in rows if r.kind == "sync"]
    assert sorted(sync) == [("manual", "done"), ("timer", "done")]
    assert ("companies", "ok") in [tuple(r) for r in runs]
