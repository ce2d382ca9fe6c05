"""What the studio runs against: a backend, plus in demo mode the sandbox twins and a temporary DB."""

from __future__ import annotations

import argparse
import os
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sync_engine.settings.schema import RuntimeSettings

if TYPE_CHECKING:
    from studio.backend import Backend


@dataclass
class StudioSession:
    backend: Backend
    mode: str  # "local", "demo" or "remote"
    location: str  # shown in the status bar: DB path or service URL
    sandbox: Any = None
    sandbox_info: dict[str, Any] = field(default_factory=dict)
    temp_dir: Path | None = None
    notes: list[str] = field(default_factory=list)  # things the user should know (e.g. no OS keyring)
    settings: RuntimeSettings = field(default_factory=RuntimeSettings)

    def close(self) -> None:
        self.backend.shutdown()
        if self.sandbox is not None:
            self.sandbox.stop()
        if self.temp_dir is not None:
            shutil.rmtree(self.temp_dir, ignore_errors=True)


def open_demo() -> StudioSession:
    """Twins with the demo seed in this process, a throw-away SQLite DB, demo connections and profiles."""
    from studio.local_backend import LocalBackend
    from sync_engine.demo import install_demo as setup
    from sync_engine.sandbox.server import Sandbox, SandboxOptions
    from sync_engine.secrets import SecretStore, choose_backend
    from sync_engine.workspace import Workspace

    temp = Path(tempfile.mkdtemp(prefix="b24studio-demo-"))
    sandbox = Sandbox(SandboxOptions())
    info = sandbox.start_in_thread()
    ws = Workspace.open(f"sqlite:///{temp / 'demo.sqlite'}", SecretStore(choose_backend("file", temp)))
    setup(ws, info)
    return StudioSession(LocalBackend(ws), "demo", str(temp / "demo.sqlite"), sandbox, info, temp)


def open_session(args: argparse.Namespace) -> StudioSession:
    """Blocking (imports the engine, may start the twins): the app calls it off the UI thread."""
    from studio.local_backend import LocalBackend
    from sync_engine.secrets import SECRET_STORE_ENV, SecretStore, choose_backend
    from sync_engine.settings import Settings, load_settings
    from sync_engine.workspace import Workspace

    if args.demo:
        return open_demo()
    if args.service:
        from studio.remote import RemoteBackend

        token = args.token or os.environ.get("B24S_API_TOKEN", "")
        return StudioSession(RemoteBackend(args.service, token), "remote", args.service)
    settings = Settings.resolve(cli_db=args.db, env=os.environ)
    notes: list[str] = []
    backend = choose_backend(os.environ.get(SECRET_STORE_ENV, "auto"), settings.data_dir, warn=notes.append)
    runtime = load_settings(env=os.environ)
    ws = Workspace.open(settings.db_url, SecretStore(backend), runtime)
    return StudioSession(LocalBackend(ws), "local", settings.db_url, notes=notes, settings=runtime)
