"""Smoke test of the service benchmark: ``python -m bench.service_bench`` for a few seconds, end to end.

The real thing at a small size (sandbox child process with its limits on, ``b24sync serve`` child process,
the twins' webhooks, the journal, the read-back); the latency target is the benchmark's business, so a
missed one (exit 1) is fine here, but every change must be mirrored and accounted for.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_service_bench_mirrors_every_change_and_reports_latency(tmp_path: Path) -> None:
    results, raw = tmp_path / "RESULTS.md", tmp_path / "service.json"
    results.write_text("# Benchmark results\n", encoding="utf-8")
    proc = subprocess.run(
        [sys.executable, "-m", "bench.service_bench", "--rate", "10", "--seconds", "4", "--drain", "60",
         "--append", str(results), "--json", str(raw), "--workdir", str(tmp_path / "work")],
        cwd=ROOT, capture_output=True, text=True, timeout=300, check=False,
    )
    assert proc.returncode in (0, 1), proc.stderr[-3000:]
    data = json.loads(raw.read_text(encoding="utf-8"))
    assert data["events"] == 40 and data["pairs"] == 40
    assert data["unmirrored"] == 0 and data["failed_to_send"] == 0
    assert data["end_state"] == {"wrong": 0, "deals": 40, "issues": 40, "pairs": 40}
    lat = data["latency"]
    assert lat["jira"]["n"] == 30 and lat["bitrix24"]["n"] == 10  # every fourth change is a deal moved
    assert 0 < lat["all"]["p50"] <= lat["all"]["p95"] <= lat["all"]["max"] < 60
    assert 20 < data["peak_rss_mb"] < 2000
    # The bench's own requests are counted apart from the service's, which did make some.
    assert data["bench_calls"] == {"jira": 30, "bitrix24": 10}
    assert data["calls"]["jira"] > 30 and data["calls"]["bitrix24"] > 10
    text = results.read_text(encoding="utf-8")
    assert text.startswith("# Benchmark results\n") and text.count("## Sync service") == 1
    assert "event-to-mirror latency p95" in text and "service peak RSS" in text
