"""Smoke test of the benchmark harness: ``python -m bench --quick`` at tiny sizes, end to end.

It runs the real thing (sandbox child process, engine child processes, the naive script) and checks
that every step measured something sensible and that the results file carries what the issue asks
for; the targets themselves are the benchmark's business, so a missed one (exit 1) is fine here.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_quick_bench_measures_every_step(tmp_path: Path) -> None:
    results, raw = tmp_path / "RESULTS.md", tmp_path / "results.json"
    proc = subprocess.run(
        [sys.executable, "-m", "bench", "--quick", "--records", "60", "--pairs", "40", "--naive", "6",
         "--results", str(results), "--json", str(raw), "--workdir", str(tmp_path / "work")],
        cwd=ROOT, capture_output=True, text=True, timeout=300, check=False,
    )
    assert proc.returncode in (0, 1), proc.stderr[-2000:]
    data = json.loads(raw.read_text(encoding="utf-8"))["steps"]
    assert list(data) == ["initial", "naive", "link", "incremental-jira", "incremental-b24"]

    initial = data["initial"]
    assert initial["engine"]["created"]["jira"] == 60
    # 60 deals, stages cycling NEW, NEW, PREPARATION, LOSE from deal 1: 30 need a transition. Bitrix24:
    # describe 1 + read ceil(60/2500) 1 + back-stamp ceil(60/50) 2; JIRA: describe 3 + read 1 + bulk
    # ceil(60/50) 2 + one transition lookup 1 + 30 transitions.
    assert initial["minimum"] == 1 + 1 + 2 + 3 + 1 + 2 + 1 + 30 == sum(t[2] for t in initial["minimum_terms"])
    # The twins saw at least the unavoidable calls; the engine cannot have counted more than they received.
    assert initial["total"] >= initial["minimum"]
    assert 0 < sum(initial["engine"]["api_calls"].values()) <= initial["total"]
    assert 0 < initial["peak_rss_mb"] < 2000

    naive = data["naive"]
    assert naive["records"] == 6
    assert naive["by_method"]["jira"]["POST /rest/api/2/issue"] == 6  # one create per deal
    assert naive["total"] / naive["records"] > initial["total"] / initial["records"]

    assert data["link"]["engine"]["matched"] == 40
    assert data["incremental-jira"]["engine"]["updated"]["bitrix24"] == 10
    assert data["incremental-b24"]["engine"]["updated"]["jira"] == 10

    text = results.read_text(encoding="utf-8")
    for needed in ("Machine:", "## Targets", "Python", "minimum", "Naive script", "Extrapolated"):
        assert needed in text
    # The table is printed too, with one row per step.
    assert sum(1 for line in proc.stdout.splitlines() if line.startswith("| incremental")) >= 2

    # The file can be written again from the JSON dump with the same measurements, keeping a section another
    # benchmark appended (the studio's) exactly once.
    studio = "\n## Studio\n\n| measure | value |\n|---|---|\n| launch | 1.0 s |\n"
    results.write_text(text + studio, encoding="utf-8")
    for _ in range(2):
        render = subprocess.run([sys.executable, "-m", "bench.render", str(raw), str(results)], cwd=ROOT,
                                capture_output=True, text=True, timeout=60, check=False)
        assert render.returncode == 0, render.stderr
    again = results.read_text(encoding="utf-8")
    assert again.count("## Studio") == 1 and again.rstrip().endswith("| launch | 1.0 s |")
    assert _without_date(again.replace(studio, "")) == _without_date(text)


def _without_date(text: str) -> list[str]:
    return [line for line in text.splitlines() if not line.startswith("Written by")]


def test_bad_sizes_are_refused_with_a_clear_message() -> None:
    proc = subprocess.run([sys.executable, "-m", "bench", "--records", "0"], cwd=ROOT, capture_output=True,
                          text=True, timeout=60, check=False)
    assert proc.returncode == 2
    assert "--records must be >= 1" in proc.stderr
