"""PHP-compatible request parameter handling.

Bitrix24 is PHP: query strings and form bodies are decoded with ``parse_str`` (bracket nesting,
``key[]`` appends) and answers are ``json_encode``-d (empty array ``[]``, 0..n-1 keyed arrays are
lists). Clients depend on both quirks, so the twin reproduces them rather than using Python defaults.
"""

from __future__ import annotations

import json
import re
import urllib.parse
from collections.abc import Iterable, Mapping
from typing import Any

_BRACKET = re.compile(r"\[([^\]]*)\]")


def _split_key(key: str) -> list[str | None]:
    """``a[b][]`` -> ["a", "b", None]; None means "append" as PHP's ``[]``."""
    first = key.find("[")
    if first <= 0 or "]" not in key[first:]:
        return [key]
    parts: list[str | None] = [key[:first]]
    rest = key[first:]
    pos = 0
    while pos < len(rest) and rest[pos] == "[":
        match = _BRACKET.match(rest, pos)
        if match is None:
            break
        inner = match.group(1)
        parts.append(inner if inner != "" else None)
        pos = match.end()
    return parts


def _next_index(target: dict[str, Any]) -> str:
    ints = [int(k) for k in target if k.lstrip("-").isdigit()]
    return str(max(ints) + 1 if ints else 0)


def php_assign(target: dict[str, Any], key: str, value: Any) -> None:
    parts = _split_key(key)
    node = target
    for i, part in enumerate(parts):
        name = _next_index(node) if part is None else part
        if i == len(parts) - 1:
            node[name] = value
            return
        child = node.get(name)
        if not isinstance(child, dict):
            child = {}
            node[name] = child
        node = child


def parse_pairs(pairs: Iterable[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key:
            php_assign(result, key, value)
    return result


def parse_str(query: str) -> dict[str, Any]:
    """PHP ``parse_str``: URL-decoding plus bracket nesting."""
    return parse_pairs(urllib.parse.parse_qsl(query, keep_blank_values=True))


def as_list(value: Any) -> list[Any]:
    """A PHP array given either as JSON list, as parse_str dict ("0","1",...) or as a scalar."""
    if value is None or value == "":
        return []
    if isinstance(value, list):
        return value
    if isinstance(value, dict):
        return list(value.values())
    return [value]


def ci_get(params: Mapping[str, Any], name: str, default: Any = None) -> Any:
    """Case-insensitive parameter lookup: CRM methods accept ``FIELDS``/``fields``/``Fields``."""
    if name in params:
        return params[name]
    lower = name.lower()
    for key, value in params.items():
        if isinstance(key, str) and key.lower() == lower:
            return value
    return default


def php_normalise(value: Any) -> Any:
    """Apply ``json_encode`` array rules: empty dict -> [], dict keyed "0".."n-1" in order -> list."""
    if isinstance(value, dict):
        if not value:
            return []
        keys = list(value.keys())
        if all(isinstance(k, (str, int)) and str(k) == str(i) for i, k in enumerate(keys)):
            return [php_normalise(v) for v in value.values()]
        return {str(k): php_normalise(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [php_normalise(v) for v in value]
    return value


_JSON_STRING = re.compile(r'"(?:[^"\\]|\\.)*"')
_JSON_ESCAPE = re.compile(r'\\.|[<>&\'/]')
# Bitrix\Main\Web\Json::encode: JSON_HEX_TAG|AMP|APOS|QUOT|UNESCAPED_UNICODE, slashes escaped (PHP default).
_PHP_ESCAPES = {"<": "\\u003C", ">": "\\u003E", "&": "\\u0026", "'": "\\u0027", "/": "\\/",
                '\\"': "\\u0022"}


def _php_string(match: re.Match[str]) -> str:
    body = match.group(0)[1:-1]
    return '"' + _JSON_ESCAPE.sub(lambda m: _PHP_ESCAPES.get(m.group(0), m.group(0)), body) + '"'


def php_json(value: Any) -> bytes:
    """Byte-for-byte like the portal's encoder: unicode kept, ``<>&'"`` as \\uXXXX, ``/`` as ``\\/``."""
    text = json.dumps(php_normalise(value), ensure_ascii=False, separators=(",", ":"))
    return _JSON_STRING.sub(_php_string, text).encode("utf-8")


def php_bool(value: Any) -> bool:
    """PHP ``(bool)`` cast as Bitrix applies it to flags such as ``halt`` and ``clear``."""
    if isinstance(value, bool):
        return value
    if value is None:
        return False
    if isinstance(value, (int, float)):
        return value != 0
    text = str(value).strip().lower()
    return text not in ("", "0", "false", "n", "no", "off")


def php_cast_bool(value: Any) -> bool:
    """PHP's literal ``(bool)`` cast: only "", "0", 0, null and empty arrays are false ("false" is true)."""
    if isinstance(value, str):
        return value not in ("", "0")
    if isinstance(value, (dict, list)):
        return bool(value)
    return bool(value)


def php_int(value: Any, default: int = 0) -> int:
    """PHP ``intval``: leading digits, else the default; never raises."""
    low, high = -(2**63), 2**63 - 1  # PHP_INT_MIN/MAX: intval saturates
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int):
        return max(low, min(high, value))
    if isinstance(value, float):
        return max(low, min(high, int(value))) if value == value and abs(value) != float("inf") else default
    match = re.match(r"\s*([+-]?\d+)", str(value)) if value is not None else None
    return max(low, min(high, int(match.group(1)))) if match else default
