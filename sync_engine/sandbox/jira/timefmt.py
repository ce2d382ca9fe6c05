"""JIRA's ways of writing time: field timestamps and the JQL date literals (minute granularity, user zone)."""

from __future__ import annotations

import re
import time
from datetime import date, datetime, timedelta, tzinfo
from types import MappingProxyType
from zoneinfo import ZoneInfo

MINUTE_MS = 60_000
MAX_MS = 253_402_214_400_000  # 9999-12-31: datetime (and JIRA) end there

_ABSOLUTE = (
    ("%Y/%m/%d %H:%M", re.compile(r"^\d{4}/\d{1,2}/\d{1,2} \d{1,2}:\d{2}$")),
    ("%Y-%m-%d %H:%M", re.compile(r"^\d{4}-\d{1,2}-\d{1,2} \d{1,2}:\d{2}$")),
    ("%Y/%m/%d", re.compile(r"^\d{4}/\d{1,2}/\d{1,2}$")),
    ("%Y-%m-%d", re.compile(r"^\d{4}-\d{1,2}-\d{1,2}$")),
)
_PERIOD = re.compile(r"^([-+]?)\s*((?:\d+\s*[wdhm]?\s*)+)$", re.IGNORECASE)
_PERIOD_PART = re.compile(r"(\d+)\s*([wdhm]?)", re.IGNORECASE)
_UNIT_MS = MappingProxyType({"w": 7 * 86_400_000, "d": 86_400_000, "h": 3_600_000, "m": MINUTE_MS, "": MINUTE_MS})


def zone(name: str) -> tzinfo:
    return ZoneInfo(name)


def now_ms() -> int:
    return int(time.time() * 1000)


def format_ts(ms: int, tz: tzinfo) -> str:
    """``2024-01-29T02:42:10.538+0300``: millis, offset without colon, as JIRA writes created/updated."""
    dt = datetime.fromtimestamp(ms / 1000, tz)
    return dt.strftime("%Y-%m-%dT%H:%M:%S.") + f"{ms % 1000:03d}" + dt.strftime("%z")


def parse_ts(text: str) -> int | None:
    """Read a JIRA timestamp (with or without millis / colon in the offset) back to epoch ms."""
    for fmt in ("%Y-%m-%dT%H:%M:%S.%f%z", "%Y-%m-%dT%H:%M:%S%z"):
        try:
            return int(datetime.strptime(text, fmt).timestamp() * 1000)
        except ValueError:
            continue
    return None


def invalid_date_message(value: str, field: str) -> str:
    return (
        f"Date value '{value}' for field '{field}' is invalid. Valid formats include: 'yyyy/MM/dd HH:mm', "
        "'yyyy-MM-dd HH:mm', 'yyyy/MM/dd', 'yyyy-MM-dd', or a period format e.g. '-5d', '4w 2d'."
    )


def jql_instant(value: str, tz: tzinfo, now: int) -> int | None:
    """Epoch ms of a JQL date literal, floored to the minute as JIRA's index stores dates; None if invalid."""
    text = value.strip()
    if re.fullmatch(r"-?\d{6,}", text):  # epoch milliseconds
        ms = int(text)
        return ms // MINUTE_MS * MINUTE_MS if abs(ms) <= MAX_MS else None
    for fmt, pattern in _ABSOLUTE:
        if pattern.match(text):
            try:
                dt = datetime.strptime(text, fmt).replace(tzinfo=tz)
                return int(dt.timestamp() * 1000)
            except (ValueError, OverflowError):
                return None
    match = _PERIOD.match(text)
    if match:
        total = sum(int(n) * _UNIT_MS[u.lower()] for n, u in _PERIOD_PART.findall(match.group(2)))
        signed = -total if match.group(1) == "-" else total
        return (now + signed) // MINUTE_MS * MINUTE_MS if abs(now + signed) <= MAX_MS else None
    return None


def function_instant(name: str, tz: tzinfo, now: int) -> int | None:
    """now(), startOfDay(), endOfDay() and friends, without offset arguments."""
    local = datetime.fromtimestamp(now / 1000, tz)
    day = datetime(local.year, local.month, local.day, tzinfo=tz)
    low = name.lower()
    if low == "now":
        return now // MINUTE_MS * MINUTE_MS
    if low == "startofday":
        return int(day.timestamp() * 1000)
    if low == "endofday":
        return int((day + timedelta(days=1)).timestamp() * 1000) - MINUTE_MS
    if low == "startofweek":
        return int((day - timedelta(days=local.weekday())).timestamp() * 1000)
    if low == "startofmonth":
        return int(day.replace(day=1).timestamp() * 1000)
    return None


def local_date(ms: int, tz: tzinfo) -> str:
    return datetime.fromtimestamp(ms / 1000, tz).date().isoformat()


def parse_date(text: str) -> date | None:
    try:
        return date.fromisoformat(text) if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text) else None
    except ValueError:
        return None


def human(ms: int, tz: tzinfo) -> str:
    """``29/Jan/24 2:42 AM``: Jira's default ``dd/MMM/yy h:mm a``, as ``renderedFields`` show dates."""
    dt = datetime.fromtimestamp(ms / 1000, tz)
    hour = dt.hour % 12 or 12
    noon = "AM" if dt.hour < 12 else "PM"
    return f"{dt.day:02d}/{dt.strftime('%b')}/{dt.strftime('%y')} {hour}:{dt.minute:02d} {noon}"
