"""The admin endpoint both twins mount under ``/_sandbox`` (Bearer admin token).

Routes: ``GET counters``, ``GET journal``, ``POST faults``, ``POST reset``, ``POST seed``; a twin may add its own
routes through ``extra_routes`` (e.g. the Bitrix24 outgoing-webhook setup).
"""

from __future__ import annotations

import hmac
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import BaseRoute, Mount, Route, Router

from sync_engine.sandbox.common.control import Faults, TwinControl
from sync_engine.sandbox.common.faults_middleware import ADMIN_PREFIX

SeedHook = Callable[[dict[str, Any]], Awaitable[dict[str, Any]]]
ResetHook = Callable[[], Awaitable[None]]


def admin_error(status: int, message: str) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status)


def check_admin(request: Request, control: TwinControl) -> JSONResponse | None:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(token.strip(), control.admin_token):
        return admin_error(401, "admin endpoint needs 'Authorization: Bearer <admin_token>'")
    return None


async def read_json_object(request: Request) -> dict[str, Any] | JSONResponse:
    body = await request.body()
    if not body.strip():
        return {}
    try:
        import json

        data = json.loads(body)
    except ValueError as exc:
        return admin_error(400, f"body is not valid JSON: {exc}")
    if not isinstance(data, dict):
        return admin_error(400, "body must be a JSON object")
    return data


def admin_mount(
    control: TwinControl,
    *,
    seed: SeedHook,
    reset_data: ResetHook,
    extra_routes: Sequence[BaseRoute] = (),
) -> Mount:
    """Build the ``/_sandbox`` mount; every route checks the admin token first."""

    def guarded(handler: Callable[[Request], Awaitable[JSONResponse]]) -> Callable[[Request], Awaitable[Any]]:
        async def endpoint(request: Request) -> JSONResponse:
            denied = check_admin(request, control)
            return denied if denied is not None else await handler(request)

        return endpoint

    async def counters(request: Request) -> JSONResponse:
        return JSONResponse(control.snapshot())

    async def journal(request: Request) -> JSONResponse:
        try:
            after = int(request.query_params.get("after", "0"))
            limit = int(request.query_params.get("limit", "10000"))
        except ValueError:
            return admin_error(400, "after and limit must be integers")
        if after < 0 or not 1 <= limit <= 100_000:
            return admin_error(400, "after must be >= 0 and limit 1..100000")
        return JSONResponse(control.journal.since(after, limit))

    async def faults(request: Request) -> JSONResponse:
        data = await read_json_object(request)
        if isinstance(data, JSONResponse):
            return data
        allowed = set(Faults.__dataclass_fields__)
        unknown = sorted(set(data) - allowed)
        if unknown:
            return admin_error(400, f"unknown fault setting(s): {', '.join(unknown)}; known: {sorted(allowed)}")
        try:
            new = Faults(**{**control.snapshot()["faults"], **data})
            new.latency_ms = int(new.latency_ms)
            for name in ("error_rate", "limit_rate", "drop_rate"):
                setattr(new, name, float(getattr(new, name)))
            control.set_faults(new)
        except (TypeError, ValueError) as exc:
            return admin_error(400, str(exc))
        return JSONResponse(control.snapshot()["faults"])

    async def reset(request: Request) -> JSONResponse:
        data = await read_json_object(request)
        if isinstance(data, JSONResponse):
            return data
        if data.get("counters", True):
            control.reset_counters()
        if data.get("faults", True):
            control.set_faults(Faults())
        if data.get("data", False):
            await reset_data()
        return JSONResponse({"ok": True})

    async def seed_route(request: Request) -> JSONResponse:
        data = await read_json_object(request)
        if isinstance(data, JSONResponse):
            return data
        try:
            return JSONResponse(await seed(data))
        except ValueError as exc:
            return admin_error(400, str(exc))

    routes: list[BaseRoute] = [
        Route("/counters", guarded(counters), methods=["GET"]),
        Route("/journal", guarded(journal), methods=["GET"]),
        Route("/faults", guarded(faults), methods=["POST"]),
        Route("/reset", guarded(reset), methods=["POST"]),
        Route("/seed", guarded(seed_route), methods=["POST"]),
    ]
    for route in extra_routes:
        if isinstance(route, Route):
            routes.append(Route(route.path, guarded(route.endpoint), methods=list(route.methods or ["GET"])))
        else:
            routes.append(route)
    return Mount(ADMIN_PREFIX, app=Router(routes=routes))
