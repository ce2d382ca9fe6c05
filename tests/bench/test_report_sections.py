"""Benchmarks that run after ``python -m bench`` put their section into the results file exactly once."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.report import put_section, write_results


def test_a_section_is_appended_then_replaced_in_place(tmp_path: Path) -> None:
    path = tmp_path / "RESULTS.md"
    write_results(path, "# Benchmark results\n\n## Targets\n\n| a | b |\n")
    put_section(path, "## Studio\n\nlaunch 1.0 s\n")
    put_section(path, "## Sync service\n\np95 1.2 s\n")
    put_section(path, "## Studio\n\nlaunch 0.9 s\n")  # a second run of the studio bench
    text = path.read_text(encoding="utf-8")
    assert text.count("## Studio") == 1 and "launch 0.9 s" in text and "launch 1.0 s" not in text
    assert text.index("## Studio") < text.index("## Sync service")  # replaced where it was
    # python -m bench writes its own part again and keeps both appended sections, once each.
    write_results(path, "# Benchmark results\n\n## Targets\n\n| c | d |\n")
    again = path.read_text(encoding="utf-8")
    assert again.count("## Studio") == 1 and again.count("## Sync service") == 1 and "| c | d |" in again
    with pytest.raises(ValueError):
        put_section(path, "no heading\n")
