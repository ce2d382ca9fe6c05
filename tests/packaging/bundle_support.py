"""Helpers of the packaging tests: the build's artefacts, a clean environment, background commands."""

from __future__ import annotations

import json
import os
import queue
import runpy
import subprocess
import sys
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

REPO = Path(__file__).resolve().parents[2]
NAME = "b24-jira-studio"
BUILD_TIMEOUT_S = 900


@dataclass(frozen=True)
class Packaged:
    out: Path
    version: str
    build_seconds: float

    @property
    def bundle(self) -> Path:
        return self.out / NAME

    @property
    def deb(self) -> Path:
        debs = sorted(self.out.glob(f"{NAME}_*.deb"))
        assert len(debs) == 1, f"expected one .deb in {self.out}, found {debs}"
        return debs[0]

    @property
    def tarball(self) -> Path:
        return self.out / f"{NAME}-{self.version}-linux-x86_64.tar.gz"

    def command(self, name: str) -> Path:
        return self.bundle / name


def product_version() -> str:
    return str(runpy.run_path(str(REPO / "sync_engine" / "version.py"))["__version__"])


def build(work: Path) -> Packaged:
    """Run packaging/build_package.sh into work/dist (the same script `./dev package` runs)."""
    out = work / "dist"
    log = work / "build.log"
    started = time.monotonic()
    with log.open("w") as sink:
        done = subprocess.run(
            [str(REPO / "packaging" / "build_package.sh"), "--out", str(out), "--work", str(work / "build")],
            cwd=REPO, stdout=sink, stderr=subprocess.STDOUT, timeout=BUILD_TIMEOUT_S,
            env={**os.environ, "PYTHON": sys.executable},
        )
    tail = "\n".join(log.read_text(errors="replace").splitlines()[-40:])
    assert done.returncode == 0, f"packaging/build_package.sh failed ({done.returncode}):\n{tail}"
    return Packaged(out, product_version(), time.monotonic() - started)


def reuse(out: Path) -> Packaged:
    assert (out / NAME / "b24sync").is_file(), f"{out} holds no {NAME}/b24sync"
    return Packaged(out, product_version(), 0.0)


def clean_env(home: Path, **extra: str) -> dict[str, str]:
    """What a target machine offers: no venv, no PYTHONPATH, only the system's own PATH."""
    home.mkdir(parents=True, exist_ok=True)
    env = {"PATH": "/usr/bin:/bin", "HOME": str(home), "LANG": "C.UTF-8", "B24S_SECRET_STORE": "file"}
    env.update(extra)
    return env


def run(cmd: list[str], env: Mapping[str, str], timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(cmd, env=dict(env), capture_output=True, text=True, timeout=timeout, cwd=env["HOME"])


class Background:
    """A long-running bundled command whose first stdout line is its JSON hello."""

    def __init__(self, cmd: list[str], env: Mapping[str, str]) -> None:
        self.cmd = list(cmd)
        self.proc = subprocess.Popen(cmd, env=dict(env), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                     text=True, cwd=env["HOME"])
        self._lines: queue.Queue[str] = queue.Queue()
        self._stderr: list[str] = []
        assert self.proc.stdout is not None and self.proc.stderr is not None
        threading.Thread(target=self._pump, args=(self.proc.stdout, self._lines.put), daemon=True).start()
        threading.Thread(target=self._pump, args=(self.proc.stderr, self._stderr.append), daemon=True).start()

    @staticmethod
    def _pump(stream: IO[str], put: Any) -> None:
        for line in stream:
            put(line)

    def json_line(self, timeout: float = 60) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                line = self._lines.get(timeout=0.2)
            except queue.Empty:
                if self.proc.poll() is not None:
                    break
                continue
            if line.startswith("{"):
                return dict(json.loads(line))
        raise AssertionError(f"no JSON line from {' '.join(self.cmd)}; stderr:\n{''.join(self._stderr)[-3000:]}")

    def stop(self) -> int:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        return int(self.proc.returncode)
