"""``b24studio --self-test``: open every page, dry-run and run a profile, exit 0 only if all worked.

With ``--screenshots DIR`` it saves a PNG of every page (used by tests and packaging).
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path
from typing import Any


async def _settle(window: Any, seconds: float = 0.2) -> None:
    await window.wait_ops()
    await asyncio.sleep(seconds)  # the Qt loop paints meanwhile (processEvents() here would re-enter it)
    await window.wait_ops()


def _shot(window: Any, folder: Path | None, name: str) -> None:
    if folder is not None:
        folder.mkdir(parents=True, exist_ok=True)
        window.grab().save(str(folder / f"{name}.png"))


async def self_test(window: Any, screenshots: Path | None, profile: str = "purchase-requests") -> int:
    problems: list[str] = []
    try:
        window.show_page("connections")
        await _settle(window)
        page = window.connections_page
        if not page.items:
            problems.append("no connections listed")
        else:
            page.test_selected()
            await _settle(window)
            if "Connected" not in page.result.toPlainText() and "Подключено" not in page.result.toPlainText():
                problems.append(f"connection test failed: {page.result.toPlainText()}")
        _shot(window, screenshots, "connections")

        window.show_page("profiles")
        await _settle(window, 0.5)
        profiles = window.profiles_page
        names = [p.name for p in profiles.profiles]
        if profile in names:
            profiles.list.setCurrentRow(names.index(profile))
            await _settle(window, 0.5)
        _shot(window, screenshots, "profiles-mapping")
        profiles.tabs.setCurrentIndex(1)
        await _settle(window)
        _shot(window, screenshots, "profiles-scope")
        profiles.tabs.setCurrentIndex(2)
        await _settle(window)
        _shot(window, screenshots, "profiles-triggers")
        if profiles.current is None:
            problems.append("no profile to run")
        else:
            for dry in (True, False):
                profiles.run(dry_run=dry)
                await _settle(window, 0.3)
            if "Run finished" not in profiles.run_summary.text() and "Синхронизация" not in \
                    profiles.run_summary.text():
                problems.append(f"run did not finish: {profiles.run_summary.text()}")
        _shot(window, screenshots, "profiles-run")

        window.show_page("monitor")
        await _settle(window, 0.5)
        monitor = window.monitor_page
        if not monitor.runs_model.rows:
            problems.append("the monitor shows no runs")
        _shot(window, screenshots, "monitor-items")
        for index, name in ((1, "monitor-conflicts"), (2, "monitor-events"), (3, "monitor-activity")):
            monitor.tabs.setCurrentIndex(index)
            await _settle(window)
            _shot(window, screenshots, name)
        problems += window.ops.failures
    except Exception as exc:  # the self-test reports, it does not crash
        problems.append(f"{type(exc).__name__}: {exc}")
    for p in problems:
        print(f"self-test: {p}", file=sys.stderr)
    print("self-test: " + ("FAILED" if problems else "all pages opened, dry run and run worked"))
    window.close()
    return 1 if problems else 0


async def ready_seconds(window: Any, started: float) -> float:
    """Seconds from ``started`` until the window is shown, its first page loaded and the loop idle."""
    import time

    await window.wait_ops()
    await asyncio.sleep(0.01)
    seconds = time.monotonic() - started
    window.close()
    return seconds
