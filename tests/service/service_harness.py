"""Helpers for the service tests: a demo workspace and ``b24sync serve`` run as a real child process."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from sync_engine.demo import install_demo as demo_setup
from sync_engine.secrets import SecretStore, choose_backend
from sync_engine.service.tokens import TokenStore
from sync_engine.workspace import Workspace
from tests.prerequisites import pg_conninfo, pg_url

PG = pg_conninfo()
ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def pg_schema_url(schema: str) -> str:
    return pg_url(schema)


@dataclass
class Env:
    """A data directory (file keyring), a database and the environment ``b24sync`` processes get."""

    data_dir: Path
    db_url: str
    env: dict[str, str] = field(default_factory=dict)

    def workspace(self) -> Workspace:
        backend = choose_backend("file", self.data_dir)
        return Workspace.open(self.db_url, SecretStore(backend, env=self.env))

    def token(self, name: str = "test", read_only: bool = False) -> str:
        ws = self.workspace()
        try:
            return TokenStore(ws.engine).create(name, "read" if read_only else "admin")
        finally:
            ws.close()


def make_env(tmp_path: Path, db_url: str) -> Env:
    env = {k: v for k, v in os.environ.items() if not k.startswith("B24S_")}
    env.update({"B24S_DATA_DIR": str(tmp_path), "B24S_SECRET_STORE": "file", "B24S_DATABASE_URL": db_url,
                "PYTHONUNBUFFERED": "1"})
    return Env(tmp_path, db_url, env)


def demo_env(env: Env, twins: dict[str, Any]) -> Env:
    ws = env.workspace()
    try:
        demo_setup(ws, twins)
    finally:
        ws.close()
    return env


class ServiceProcess:
    """``b24sync serve`` in a child process, on a port picked up front (the public URL must name it)."""

    def __init__(self, env: Env, *args: str, port: int | None = None, public: bool = True,
                 config: dict[str, Any] | None = None) -> None:
        self.env = env
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        cmd = [sys.executable, "-m", "sync_engine.cli", "serve", "--port", str(self.port)]
        if public:
            cmd += ["--public-url", self.url]
        if config:
            path = env.data_dir / f"service-{uuid.uuid4().hex[:6]}.yaml"
            path.write_text(json.dumps(config), encoding="utf-8")
            cmd += ["--config", str(path)]
        cmd += list(args)
        self.log_path = env.data_dir / f"service-{self.port}-{uuid.uuid4().hex[:4]}.log"
        self._log = self.log_path.open("wb")
        self.proc = subprocess.Popen(cmd, cwd=ROOT, env=env.env, stdout=subprocess.PIPE, stderr=self._log)
        self.ready: dict[str, Any] = {}
        self._lines: list[str] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        deadline = time.monotonic() + 60
        while not self.ready:
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"service did not start:\n{self.logs()[-3000:]}")
            time.sleep(0.05)

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for raw in self.proc.stdout:
            line = raw.decode(errors="replace").strip()
            self._lines.append(line)
            if line.startswith("{") and '"ready"' in line:
                self.ready = json.loads(line)

    def logs(self) -> str:
        if not self._log.closed:
            self._log.flush()
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def client(self, token: str | None = None) -> httpx.Client:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return httpx.Client(base_url=self.url, headers=headers, timeout=30, trust_env=False)

    def stop(self, timeout: float = 60) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self._log.close()
        return int(self.proc.returncode)

    def kill(self) -> None:
        self.proc.kill()
        self.proc.wait()
        self._log.close()


def wait_for(check: Callable[[], Any], timeout: float = 30, interval: float = 0.2, what: str = "condition") -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(interval)
