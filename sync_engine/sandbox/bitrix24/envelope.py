"""Answer envelopes: the ``time`` block, success and error bodies, Bitrix's error vocabulary."""

from __future__ import annotations

import html
import time
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from starlette.responses import Response

from sync_engine.sandbox.bitrix24.phpquery import php_json, php_normalise
from sync_engine.sandbox.bitrix24.values import PORTAL_TZ

JSON_TYPE = "application/json; charset=utf-8"


class BitrixError(Exception):
    """A method failure as the portal reports it: HTTP status, ``error`` code, description."""

    def __init__(self, status: int, code: str | int, description: str,
                 extra: dict[str, Any] | None = None) -> None:
        super().__init__(description)
        self.status = status
        self.code = code
        self.description = description
        self.extra = extra or {}

    def body(self) -> dict[str, Any]:
        return {"error": self.code, "error_description": self.description, **self.extra}


def legacy_error(description: str) -> BitrixError:
    """Old CRM methods answer ``"error": ""`` with HTTP 400 and only a description."""
    return BitrixError(400, "", description)


def method_not_found() -> BitrixError:
    return BitrixError(404, "ERROR_METHOD_NOT_FOUND", "Method not found!")


def wrong_auth() -> BitrixError:
    return BitrixError(401, "NO_AUTH_FOUND", "Wrong authorization data")


def query_limit() -> BitrixError:
    return BitrixError(503, "QUERY_LIMIT_EXCEEDED", "Too many requests")


@dataclass
class MethodResult:
    """What a handler returns; list methods set ``total``/``next`` which go to the top level."""

    result: Any
    total: int | None = None
    next: int | None = None


def _iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, PORTAL_TZ).isoformat(timespec="seconds")


def time_block(start: float, finish: float, operating: float,
               operating_reset_at: int | None) -> dict[str, Any]:
    duration = max(finish - start, 0.0)
    return {
        "start": start,
        "finish": finish,
        "duration": duration,
        "processing": duration,
        "date_start": _iso(start),
        "date_finish": _iso(finish),
        "operating_reset_at": operating_reset_at if operating_reset_at is not None else int(start) + 600,
        "operating": operating,
    }


def short_time_block(start: float, finish: float) -> dict[str, Any]:
    """Per-sub-call time as ``batch`` reports it in ``result_time``."""
    duration = max(finish - start, 0.0)
    return {
        "start": start,
        "finish": finish,
        "duration": duration,
        "processing": duration,
        "date_start": _iso(start),
        "date_finish": _iso(finish),
    }


def json_response(body: Any, status: int = 200, processing: float | None = None) -> Response:
    """Headers as CRestUtil::sendHeaders and the cloud's X-Bitrix-Rest-Time send them."""
    headers = {"Access-Control-Allow-Origin": "*",
               "Access-Control-Allow-Headers": "origin, content-type, accept",
               "X-Content-Type-Options": "nosniff"}
    if processing is not None:
        headers["X-Bitrix-Rest-Time"] = f"{processing:.10f}"
    return Response(php_json(body), status_code=status, media_type=JSON_TYPE, headers=headers)


def _xml(value: Any) -> str:
    """CRestServer::outputXml: one element per key, integer keys become ``item``."""
    value = php_normalise(value)
    if isinstance(value, list):
        return "".join(f"<item>{_xml(v)}</item>" for v in value)
    if isinstance(value, dict):
        return "".join(f"<{k}>{_xml(v)}</{k}>" for k, v in value.items())
    if value is None or value is False:
        return ""
    if value is True:
        return "1"
    return html.escape(str(value), quote=True)


def xml_response(body: Any, status: int) -> Response:
    payload = '<?xml version="1.0" encoding="utf-8"?>' + f"<response>{_xml(body)}</response>"
    return Response(payload.encode("utf-8"), status_code=status, media_type="text/xml; charset=utf-8",
                    headers={"Access-Control-Allow-Origin": "*", "X-Content-Type-Options": "nosniff"})


def error_response(error: BitrixError, start: float | None = None) -> Response:
    body = error.body()
    if start is not None:
        body["time"] = time_block(start, time.time(), 0.0, None)
    return json_response(body, error.status)
