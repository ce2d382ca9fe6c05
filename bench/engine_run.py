"""One engine run in a process of its own: ``python -m bench.engine_run DB_URL SECRETS_DIR PROFILE``.

A separate process so that its peak RSS (``ru_maxrss``) is the engine's alone: the twins live in the
sandbox process and the harness's own bookkeeping in the parent. Prints one JSON line.
"""

from __future__ import annotations

import asyncio
import json
import resource
import sys
import time
from pathlib import Path
from typing import Any

from sync_engine.secrets import SecretStore, choose_backend
from sync_engine.workspace import Workspace


def open_workspace(db_url: str, secrets_dir: Path) -> Workspace:
    """The workspace the CLI would open, with the private-file keyring so no OS keyring is needed."""
    return Workspace.open(db_url, SecretStore(choose_backend("file", secrets_dir)))


def run_once(db_url: str, secrets_dir: Path, profile: str) -> dict[str, Any]:
    ws = open_workspace(db_url, secrets_dir)
    try:
        started = time.perf_counter()
        summary, _plan = asyncio.run(ws.run(profile, trigger="manual"))
        seconds = time.perf_counter() - started
    finally:
        ws.close()
    return {
        "seconds": seconds,
        "api_calls": dict(summary.api_calls),
        "retries": dict(summary.retries),
        "created": dict(summary.created),
        "updated": dict(summary.updated),
        "matched": summary.matched,
        "unchanged": summary.unchanged,
        "errors": summary.errors,
        "deferred": summary.deferred,
        "conflicts": summary.conflicts,
        "error": summary.error,
        # Linux reports kilobytes.
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def main(argv: list[str]) -> int:
    if len(argv) != 3:
        print("usage: python -m bench.engine_run DB_URL SECRETS_DIR PROFILE", file=sys.stderr)
        return 2
    out = run_once(argv[0], Path(argv[1]), argv[2])
    sys.stdout.write(json.dumps(out) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
