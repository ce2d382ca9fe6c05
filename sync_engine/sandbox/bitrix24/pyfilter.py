"""Bitrix filter operators over small in-memory record sets (users, tasks, Disk, lists, feed).

The CRM tables compile filters to SQL (``query.py``); the side modules hold hundreds to a few
thousand rows, where one shared matcher is simpler and still fast. Both read the same operator
prefixes, so a client's filter means the same thing everywhere.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any, TypeVar

from sync_engine.sandbox.bitrix24.envelope import BitrixError
from sync_engine.sandbox.bitrix24.phpquery import as_list
from sync_engine.sandbox.bitrix24.query import split_operator
from sync_engine.sandbox.bitrix24.values import ValueProblem, parse_datetime

Kind = str  # "int" | "str" | "istr" (case-insensitive, e-mail) | "date" | "bool"
Getter = Callable[[Any, str], Any]
Row = TypeVar("Row", bound=Mapping[str, Any])

_TRUE = {"Y", "1", "TRUE"}


def _as_datetime(value: Any) -> datetime | None:
    if value in (None, "", [], {}):
        return None
    try:
        return parse_datetime(value)
    except ValueProblem:
        return None


def _norm(value: Any, kind: Kind) -> Any:
    if kind == "int":
        if isinstance(value, bool):
            return int(value)
        text = str(value).strip()
        return int(text) if text.lstrip("-").isdigit() else text
    if kind == "bool":
        if isinstance(value, bool):
            return value
        return str(value).strip().upper() in _TRUE
    if kind == "date":
        return _as_datetime(value)
    return "" if value is None else str(value)


def _like(hay: str, pattern: str) -> bool:
    """SQL LIKE with ``%`` wildcards (and ``_``), case-insensitive, as MySQL's default collation."""
    regex = "".join(".*" if ch == "%" else "." if ch == "_" else re.escape(ch) for ch in pattern.lower())
    return re.fullmatch(regex, hay.lower(), flags=re.DOTALL) is not None


def match_value(actual: Any, op: str, expected: Any, kind: Kind) -> bool:
    """Does one stored value satisfy ``op expected``? Lists (multiple fields) match if any item does."""
    if isinstance(actual, list):
        if op.startswith("!"):
            positive = op[1:] or "="
            return not any(match_value(a, positive, expected, kind) for a in actual) if actual else True
        return any(match_value(a, op, expected, kind) for a in actual)
    many = isinstance(expected, list | dict)
    wanted = as_list(expected) if many else [expected]
    if op in ("@", "!@") or (op in ("=", "!", "!=") and many):
        hit = any(_equal(actual, w, kind) for w in wanted)
        return not hit if op.startswith("!") else hit
    exp = wanted[0] if wanted else None
    if op in ("%", "!%"):
        hit = str(exp).lower() in ("" if actual is None else str(actual)).lower()
        return not hit if op == "!%" else hit
    if op in ("=%", "%=", "!=%", "!%="):
        hit = _like("" if actual is None else str(actual), str(exp))
        return not hit if op.startswith("!") else hit
    if op in ("!", "!="):
        return not _equal(actual, exp, kind)
    if op in (">", ">=", "<", "<="):
        a, b = _norm(actual, kind), _norm(exp, kind)
        if a is None or b is None or a == "":
            return False
        if type(a) is not type(b):
            a, b = str(a), str(b)
        return {">": a > b, ">=": a >= b, "<": a < b, "<=": a <= b}[op]
    return _equal(actual, exp, kind)


def _equal(actual: Any, expected: Any, kind: Kind) -> bool:
    if expected in (None, "") and actual in (None, "", []):
        return True
    if kind == "istr":
        return _norm(actual, "str").lower() == _norm(expected, "str").lower()
    return bool(_norm(actual, kind) == _norm(expected, kind))


def apply_filter(rows: Sequence[Row], flt: Any, kinds: Mapping[str, Kind], *,
                 getter: Getter | None = None, strict: bool = False,
                 default_op: str = "=") -> list[Row]:
    """Keep the rows matching every condition; unknown fields are ignored (legacy) or refused (strict)."""
    if flt in (None, "", [], {}):
        return list(rows)
    if not isinstance(flt, Mapping):
        raise BitrixError(400, "INVALID_ARG_VALUE", "Parameter 'filter' must be array.")
    get = getter or (lambda row, name: row.get(name))
    conditions: list[tuple[str, str, Any, Kind]] = []
    for raw_key, value in flt.items():
        op, name = split_operator(str(raw_key))
        if str(raw_key)[:1] not in "=!<>@%":
            op = default_op
        upper = name.strip().upper()
        kind = kinds.get(upper)
        if kind is None:
            if strict:
                raise BitrixError(400, "INVALID_ARG_VALUE", f"Invalid filter: field '{name}' is not allowed")
            continue
        conditions.append((upper, op, value, kind))
    return [row for row in rows if all(match_value(get(row, name), op, value, kind)
                                       for name, op, value, kind in conditions)]


def sort_rows(rows: Sequence[Row], order: Any, kinds: Mapping[str, Kind], *,
              default: tuple[str, bool] = ("ID", False), getter: Getter | None = None) -> list[Row]:
    """``{FIELD: ASC|DESC}`` (unknown fields ignored), ties broken by ID ascending."""
    get = getter or (lambda row, name: row.get(name))
    keys: list[tuple[str, bool]] = []
    if isinstance(order, Mapping):
        for field, direction in order.items():
            name = str(field).strip().upper()
            if name in kinds:
                keys.append((name, str(direction).strip().lower().startswith("desc")))
    if not keys:
        keys = [default]
    out = sorted(rows, key=lambda r: _sort_key(get(r, "ID"), "int"))
    for name, desc in reversed(keys):
        kind = kinds.get(name, "str")

        def key(r: Row, n: str = name, k: Kind = kind) -> tuple[int, Any]:
            return _sort_key(get(r, n), k)

        out.sort(key=key, reverse=desc)
    return out


def _sort_key(value: Any, kind: Kind) -> tuple[int, Any]:
    norm = _norm(value, kind) if value not in (None, "") else None
    if norm is None:
        return (0, 0)
    if isinstance(norm, int | float | bool):
        return (1, norm)
    if isinstance(norm, datetime):
        return (2, norm.timestamp())
    return (3, str(norm).lower())
