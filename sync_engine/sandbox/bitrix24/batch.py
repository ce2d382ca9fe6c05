"""``batch``: up to 50 sub-calls in one HTTP request, with ``$result[...]`` references and ``halt``.

Follows the server's ``methodsBatch``: each command is ``method?query`` parsed with ``parse_str``,
references are resolved against earlier results with partial-path semantics, and errors are
collected per command rather than failing the request.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from sync_engine.sandbox.bitrix24.dispatch import Call
from sync_engine.sandbox.bitrix24.envelope import BitrixError, MethodResult, short_time_block
from sync_engine.sandbox.bitrix24.phpquery import ci_get, parse_str, php_cast_bool

BATCH_MAX_LENGTH = 50
NOT_IN_BATCH = {"batch", "upload", "download"}
_REFERENCE = re.compile(r"\$(result|next|total|time|error)([^\s]*)", re.IGNORECASE)
_PATH = re.compile(r"\[([^\]]+)\]")


@dataclass
class SubOutcome:
    result: MethodResult | None
    error: BitrixError | None
    start: float
    finish: float


Invoker = Callable[[str, dict[str, Any], Call], SubOutcome]


def _walk(root: Any, path: str) -> Any:
    """Follow ``[a][0][ID]`` while keys exist (PHP ``isset``: a null value stops the walk too)."""
    node = root
    for key in _PATH.findall(path):
        if isinstance(node, Mapping) and node.get(key) is not None:
            node = node[key]
        elif (isinstance(node, list) and key.lstrip("-").isdigit() and 0 <= int(key) < len(node)
              and node[int(key)] is not None):
            node = node[int(key)]
        else:
            break
    return node


def substitute(value: Any, maps: dict[str, dict[str, Any]]) -> Any:
    """Resolve ``$result[cmd][0][ID]``-style placeholders in one parameter value (recursively)."""
    if isinstance(value, dict):
        return {k: substitute(v, maps) for k, v in value.items()}
    if isinstance(value, list):
        return [substitute(v, maps) for v in value]
    if not isinstance(value, str) or "$" not in value:
        return value
    matches = list(_REFERENCE.finditer(value))
    if not matches:
        return value
    for match in matches:
        if not _PATH.search(match.group(2)):
            continue  # "$result" without a [key] is left alone, as the server does
        resolved = _walk(maps[match.group(1).lower()], match.group(2))
        if match.group(0) == value:
            return resolved
        if isinstance(resolved, str):
            value = value.replace(match.group(0), resolved)
    return value


def _commands(raw: Any) -> list[tuple[str, Any]]:
    if isinstance(raw, Mapping):
        return [(str(k), v) for k, v in raw.items()]
    if isinstance(raw, list):
        return [(str(i), v) for i, v in enumerate(raw)]
    return []


def run_batch(call: Call, invoke: Invoker, count_subcall: Callable[[str], None]) -> dict[str, Any]:
    if call.in_batch:
        raise BitrixError(405, "ERROR_BATCH_METHOD_NOT_ALLOWED", "Method is not allowed for batch usage")
    raw_cmd = ci_get(call.params, "cmd")
    if raw_cmd is not None and not isinstance(raw_cmd, (Mapping, list)):
        raise BitrixError(400, "ERROR_ARGUMENT", "Parameter 'cmd' must be an array of commands")
    halt = php_cast_bool(ci_get(call.params, "halt", False))  # the server does (bool)$arQuery['HALT']
    results: dict[str, Any] = {}
    errors: dict[str, Any] = {}
    totals: dict[str, Any] = {}
    nexts: dict[str, Any] = {}
    times: dict[str, Any] = {}
    maps = {"result": results, "error": errors, "total": totals, "next": nexts, "time": times}
    for position, (key, command) in enumerate(_commands(raw_cmd)):
        if position >= BATCH_MAX_LENGTH:
            errors[key] = {"error": "ERROR_BATCH_LENGTH_EXCEEDED",
                           "error_description": "Max batch length exceeded"}
            continue
        if not isinstance(command, str):
            errors[key] = {"error": "ERROR_ARGUMENT",
                           "error_description": "Command must be a string 'method?query'"}
            if halt:
                break
            continue
        method, _, query = command.partition("?")
        method = method.strip().lower()
        if method.endswith(".json"):
            method = method[:-5]
        if method in NOT_IN_BATCH:
            errors[key] = {"error": "ERROR_BATCH_METHOD_NOT_ALLOWED",
                           "error_description": "Method is not allowed for batch usage"}
            if halt:
                break
            continue
        params = substitute(parse_str(query), maps)
        count_subcall(method)
        outcome = invoke(method, params if isinstance(params, dict) else {}, call)
        times[key] = short_time_block(outcome.start, outcome.finish)
        if outcome.error is not None:
            errors[key] = outcome.error.body()
            if halt:
                break
            continue
        assert outcome.result is not None
        results[key] = outcome.result.result
        if outcome.result.total is not None:
            totals[key] = outcome.result.total
        if outcome.result.next is not None:
            nexts[key] = outcome.result.next
    return {"result": results, "result_error": errors, "result_total": totals, "result_next": nexts,
            "result_time": times}
