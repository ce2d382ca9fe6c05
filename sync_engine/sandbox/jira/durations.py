"""Jira's time-tracking durations: ``"1w 2d 3h 30m"`` with the default 8-hour day and 5-day week."""

from __future__ import annotations

import re

MINUTE = 60
HOUR = 60 * MINUTE
DAY = 8 * HOUR  # jira.timetracking.hours.per.day
WEEK = 5 * DAY  # jira.timetracking.days.per.week
_UNITS = {"w": WEEK, "d": DAY, "h": HOUR, "m": MINUTE}
_PART = re.compile(r"(\d+(?:\.\d+)?)\s*([wdhm]?)", re.IGNORECASE)
_WHOLE = re.compile(r"^\s*(?:\d+(?:\.\d+)?\s*[wdhm]?\s*)+$", re.IGNORECASE)


def parse(text: object) -> int | None:
    """Seconds of a duration; a bare number is minutes, as on Jira's forms. None if it is not one."""
    if isinstance(text, bool) or not isinstance(text, str) or not _WHOLE.match(text):
        return None
    total = sum(float(n) * _UNITS[(u or "m").lower()] for n, u in _PART.findall(text))
    return round(total)


def format_seconds(seconds: int | None) -> str | None:
    """``36000`` -> ``"1d 2h"``; zero is ``"0m"``, as Jira shows a spent-out estimate."""
    if seconds is None:
        return None
    if seconds <= 0:
        return "0m"
    parts = []
    rest = int(seconds)
    for unit, size in (("w", WEEK), ("d", DAY), ("h", HOUR), ("m", MINUTE)):
        n, rest = divmod(rest, size)
        if n:
            parts.append(f"{n}{unit}")
    return " ".join(parts) or "0m"
