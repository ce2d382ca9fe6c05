"""Value conversion between wire formats and SQLite storage.

Legacy ``crm.*`` methods speak strings ("37", "1000.00", "Y"), ``crm.item.*`` speaks native JSON,
and storage keeps comparable native values (integers, reals, ISO datetimes in the portal's zone) so
filters and ordering run in SQL.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta, timezone
from typing import Any

PORTAL_TZ = timezone(timedelta(hours=3))

_PORTAL_DATE = re.compile(r"^(\d{2})\.(\d{2})\.(\d{4})(?:\s+(\d{2}):(\d{2})(?::(\d{2}))?)?$")


class ValueProblem(ValueError):
    """A value that cannot be stored in a field of the given type."""


def now_iso() -> str:
    return datetime.now(PORTAL_TZ).replace(microsecond=0).isoformat()


def parse_datetime(value: Any) -> datetime:
    """ISO 8601 (with or without offset, date-only) or portal format ``dd.mm.yyyy [hh:mm[:ss]]``."""
    if isinstance(value, datetime):
        parsed = value
    elif isinstance(value, date):
        parsed = datetime(value.year, value.month, value.day)
    else:
        text = str(value).strip()
        match = _PORTAL_DATE.match(text)
        try:
            if match:
                d, m, y, hh, mm, ss = match.groups()
                parsed = datetime(int(y), int(m), int(d), int(hh or 0), int(mm or 0), int(ss or 0))
            else:
                parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError as exc:
            if re.search(r"\d \d{2}:?\d{2}$", text):
                hint = "a '+' in a URL query must be sent as %2B"
                raise ValueProblem(f"'{text}' is not a date ({hint})") from exc
            raise ValueProblem(f"'{text}' is not a date") from exc
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=PORTAL_TZ)
    return parsed.astimezone(PORTAL_TZ).replace(microsecond=0)


def store_datetime(value: Any) -> str:
    return parse_datetime(value).isoformat()


def store_date(value: Any) -> str:
    """Date fields are kept (and returned) as local midnight, as the portal answers them."""
    parsed = parse_datetime(value)
    return datetime(parsed.year, parsed.month, parsed.day, tzinfo=PORTAL_TZ).isoformat()


INT_MIN, INT_MAX = -(2**63), 2**63 - 1  # PHP_INT_MIN/MAX, also SQLite's INTEGER range


def clamp_int(value: int) -> int:
    """PHP saturates out-of-range integers (``intval("9999...")`` is PHP_INT_MAX)."""
    return max(INT_MIN, min(INT_MAX, value))


def store_int(value: Any) -> int:
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int):
        return clamp_int(value)
    if isinstance(value, float) and value.is_integer():
        return clamp_int(int(value))
    text = str(value).strip()
    if re.fullmatch(r"[+-]?\d+", text):
        return clamp_int(int(text))
    raise ValueProblem(f"'{value}' is not an integer")


def store_float(value: Any) -> float:
    if isinstance(value, bool):
        return float(value)
    if isinstance(value, (int, float)):
        return float(value)
    text = str(value).strip().replace(",", ".")
    try:
        return float(text)
    except ValueError as exc:
        raise ValueProblem(f"'{value}' is not a number") from exc


def store_yn(value: Any) -> str:
    if isinstance(value, bool):
        return "Y" if value else "N"
    text = str(value).strip().upper()
    if text in ("Y", "1", "TRUE"):
        return "Y"
    if text in ("N", "0", "FALSE", ""):
        return "N"
    raise ValueProblem(f"'{value}' is not Y/N")


def store_bool01(value: Any) -> int:
    if isinstance(value, bool):
        return int(value)
    text = str(value).strip().upper()
    if text in ("Y", "1", "TRUE"):
        return 1
    if text in ("N", "0", "FALSE", ""):
        return 0
    raise ValueProblem(f"'{value}' is not a boolean")


def money_text(value: float | None) -> str | None:
    return None if value is None else f"{value:.2f}"


def number_native(value: float | None) -> float | int | None:
    if value is None:
        return None
    return int(value) if float(value).is_integer() else value
