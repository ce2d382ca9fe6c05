"""100,000 issues seed in seconds and a filtered, sorted page still answers fast."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from conftest import ServeFactory



def test_hundred_thousand_issues(serve: ServeFactory) -> None:
    started = time.monotonic()
    s = serve("server", seed="demo", size=100_000)
    seeded = time.monotonic() - started
    assert seeded < 30, f"seeding 100k issues took {seeded:.1f}s"
    jira = s.client()
    queries = [
        'project = PROC AND updated >= "-30d" ORDER BY updated ASC, key ASC',
        "project = PROC AND cf[10101] >= 1000000 ORDER BY cf[10101] DESC",
        "project = PROC AND status = Выполнен ORDER BY key DESC",
    ]
    for jql in queries:
        t0 = time.monotonic()
        page = jira.search_issues(jql, maxResults=100)
        elapsed = time.monotonic() - t0
        assert len(page) == 100 and page.total > 1000
        assert elapsed < 3.0, f"{jql}: {elapsed:.2f}s"
    t0 = time.monotonic()
    deep = jira.search_issues("project = PROC ORDER BY key ASC", startAt=99_000, maxResults=1000, fields="summary")
    assert len(deep) == 1000 and time.monotonic() - t0 < 5.0
