"""Building and reading Bitrix24 ``batch`` requests.

The server parses each command with PHP ``parse_url`` + ``parse_str``, so a command is
``"method?query"`` where the query uses PHP bracket nesting (``filter[>ID]=5``, ``select[0]=ID``)
and every key segment and value is URL-encoded (operator characters such as ``>`` or ``@`` must be,
per the docs). Batch answers use PHP's JSON rules: an empty map is ``[]`` and a map whose keys are
0..n-1 becomes a list, so :func:`parse_batch` turns both back into ``dict[str, ...]`` by key.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from urllib.parse import quote

BATCH_MAX = 50


def _scalar(value: Any) -> str:
    """PHP has no JSON types inside a query string: booleans become 1/0 (PHP ``(bool)"N"`` is true,
    so "Y"/"N" would be wrong for ``halt``-like flags; CRM Y/N fields take the caller's strings)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, float | int | Decimal):
        return str(value)
    if isinstance(value, str):
        return value
    raise TypeError(f"cannot encode a {type(value).__name__} in a Bitrix24 query")


def _flatten(prefix: str, value: Any, out: list[tuple[str, str]]) -> None:
    if isinstance(value, Mapping):
        if not value:
            out.append((prefix, ""))
        for key, sub in value.items():
            _flatten(f"{prefix}[{quote(str(key), safe='')}]", sub, out)
    elif isinstance(value, list | tuple):
        if not value:
            out.append((prefix, ""))
        for index, sub in enumerate(value):
            _flatten(f"{prefix}[{index}]", sub, out)
    else:
        out.append((prefix, quote(_scalar(value), safe="")))


def php_query(params: Mapping[str, Any]) -> str:
    """Encode nested params like PHP ``http_build_query`` (brackets literal, segments encoded).

    Empty lists/maps are sent as an empty string: PHP cannot express an empty array in a query.
    """
    pairs: list[tuple[str, str]] = []
    for key, value in params.items():
        _flatten(quote(str(key), safe=""), value, pairs)
    return "&".join(f"{k}={v}" for k, v in pairs)


def encode_command(method: str, params: Mapping[str, Any] | None = None) -> str:
    """One ``cmd`` value: ``"crm.deal.list?filter[%3EID]=5&start=-1"``."""
    if not method or "?" in method or "/" in method:
        raise ValueError(f"invalid Bitrix24 method name {method!r}")
    query = php_query(params or {})
    return f"{method}?{query}" if query else method


def result_ref(key: str, *path: str | int) -> str:
    """A batch back-reference such as ``$result[prev][49][ID]`` to an earlier command's result."""
    return "$result[" + key + "]" + "".join(f"[{p}]" for p in path)


def chunked(items: Sequence[Any], size: int = BATCH_MAX) -> Iterator[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


@dataclass(frozen=True, slots=True)
class CommandError:
    code: str
    description: str

    def __str__(self) -> str:
        return f"{self.code or 'error'}: {self.description}" if self.description else (self.code or "error")


@dataclass(slots=True)
class BatchResult:
    """Per-command outcome of one or more batch requests, keyed by the caller's command keys."""

    results: dict[str, Any] = field(default_factory=dict)
    errors: dict[str, CommandError] = field(default_factory=dict)
    totals: dict[str, int] = field(default_factory=dict)
    next: dict[str, int] = field(default_factory=dict)

    def merge(self, other: BatchResult) -> None:
        self.results.update(other.results)
        self.errors.update(other.errors)
        self.totals.update(other.totals)
        self.next.update(other.next)


def _as_map(value: Any) -> dict[str, Any]:
    if isinstance(value, Mapping):
        return {str(k): v for k, v in value.items()}
    if isinstance(value, list):
        return {str(i): v for i, v in enumerate(value)}
    return {}


def _as_int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def parse_batch(body: Mapping[str, Any]) -> BatchResult:
    """Read the ``result`` envelope of a batch answer (``result``, ``result_error``, ...)."""
    outer = body.get("result")
    if not isinstance(outer, Mapping):
        raise ValueError("batch answer has no 'result' object")
    parsed = BatchResult(results=_as_map(outer.get("result")))
    for key, err in _as_map(outer.get("result_error")).items():
        if isinstance(err, Mapping):
            code, desc = str(err.get("error", "")), str(err.get("error_description", ""))
            parsed.errors[key] = CommandError(code, desc)
        else:
            parsed.errors[key] = CommandError("", str(err))
    for key, value in _as_map(outer.get("result_total")).items():
        if (number := _as_int(value)) is not None:
            parsed.totals[key] = number
    for key, value in _as_map(outer.get("result_next")).items():
        if (number := _as_int(value)) is not None:
            parsed.next[key] = number
    return parsed
