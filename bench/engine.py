"""The engine side of a benchmark: a fresh workspace per scenario and runs in child processes."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.engine_run import open_workspace
from bench.twins import BenchError, SandboxInfo
from sync_engine.profiles.schema import Profile
from sync_engine.profiles.yaml_io import load_profiles

PROFILE = "bench-deals"
PROFILE_FILE = Path(__file__).parent / "profiles" / "deals.yaml"


@dataclass(frozen=True)
class EngineHome:
    """One engine database and secret store: what a user's workspace is."""

    db_url: str
    secrets_dir: Path
    profile: str = PROFILE

    @classmethod
    def create(cls, workdir: Path, name: str, info: SandboxInfo, *,
               profiles: Sequence[Profile] | None = None) -> EngineHome:
        """A workspace holding both connections and ``profiles`` (default: the bench profile as filed)."""
        chosen = list(profiles) if profiles is not None else load_profiles(PROFILE_FILE)
        home = cls(f"sqlite:///{workdir / f'{name}.sqlite'}", workdir / f"{name}-secrets", chosen[0].name)
        ws = open_workspace(home.db_url, home.secrets_dir)
        try:
            ws.add_connection("bench-jira", "jira", url=info.jira_url, flavour="server", username=info.jira_user,
                              secret=info.jira_token)
            ws.add_connection("bench-b24", "bitrix24", url=info.bitrix_webhook_url)
            ws.save_profiles(chosen)
        finally:
            ws.close()
        return home

    def run(self) -> dict[str, Any]:
        """One ``Workspace.run`` of the home's profile in a child process; its JSON summary."""
        proc = subprocess.run([sys.executable, "-m", "bench.engine_run", self.db_url, str(self.secrets_dir),
                               self.profile], capture_output=True, text=True, check=False)
        lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("{")]
        if proc.returncode != 0 or not lines:
            raise BenchError(f"engine run failed (exit {proc.returncode}): {proc.stderr.strip()[-1500:]}")
        return dict(json.loads(lines[-1]))
