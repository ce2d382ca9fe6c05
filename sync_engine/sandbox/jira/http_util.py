"""Reading requests the way JIRA's REST layer does: repeated/comma params, case-insensitive booleans,
and a 400 ErrorCollection (never a 500) for anything malformed."""

from __future__ import annotations

import json
from typing import Any

from starlette.requests import Request

from sync_engine.sandbox.jira.errors import ApiError


async def read_json(request: Request, required: bool = True) -> Any:
    raw = await request.body()
    if not raw.strip():
        if required:
            raise ApiError(400, ["No content to map to Object due to end of input"])
        return None
    try:
        return json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ApiError(400, [f"Unexpected character in the request body, it is not valid JSON: {exc}"]) from None
    except RecursionError:
        raise ApiError(400, ["The request body nests JSON too deeply."]) from None


def api_version(request: Request) -> str:
    path = request.url.path
    return "3" if "/rest/api/3/" in path else "2"


def multi(request: Request, name: str) -> list[str]:
    """All values of a repeated and/or comma-separated parameter."""
    out: list[str] = []
    for v in request.query_params.getlist(name):
        out.extend(p.strip() for p in v.split(",") if p.strip())
    return out


def as_list(value: Any, name: str) -> list[str] | None:
    if value is None:
        return None
    if isinstance(value, str):
        return [p.strip() for p in value.split(",") if p.strip()]
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        out: list[str] = []
        for v in value:
            out.extend(p.strip() for p in v.split(",") if p.strip())
        return out
    raise ApiError(400, [f"The '{name}' parameter must be a string or a list of strings."])


def as_int(value: Any, name: str, default: int, minimum: int = 0, maximum: int = 2**31 - 1) -> int:
    if value is None or value == "":
        return default
    if isinstance(value, bool):
        raise ApiError(400, [f"The '{name}' parameter must be an integer, not '{value}'."])
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, str):
        try:
            value = int(value.strip())
        except ValueError:
            raise ApiError(400, [f"The '{name}' parameter must be an integer, not '{value}'."]) from None
    if not isinstance(value, int):
        raise ApiError(400, [f"The '{name}' parameter must be an integer, not '{value}'."])
    if value < minimum:
        raise ApiError(400, [f"The '{name}' parameter must be at least {minimum}, not {value}."])
    return min(value, maximum)


def as_bool(value: Any, name: str, default: bool) -> bool:
    if value is None or value == "":
        return default
    if isinstance(value, bool):
        return value
    if isinstance(value, str):
        low = value.strip().lower()
        if low in ("true", "strict", "warn", "1", "yes"):
            return low != "warn"
        if low in ("false", "none", "0", "no"):
            return False
    raise ApiError(400, [f"The '{name}' parameter must be true or false, not '{value}'."])


def expand_set(value: Any) -> set[str]:
    if value is None:
        return set()
    if isinstance(value, list):
        value = ",".join(str(v) for v in value)
    return {p.strip().lower() for p in str(value).split(",") if p.strip()}
