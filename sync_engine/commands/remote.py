"""``b24sync remote``: the control API of a running service, from the command line."""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from typing import Any

import httpx

TOKEN_ENV = "B24S_API_TOKEN"
URL_ENV = "B24S_API_URL"


def register(sub: Any) -> None:
    p = sub.add_parser("remote", help="talk to a running 'b24sync serve' over its control API")
    p.add_argument("--url", default=None, help=f"service address (default env {URL_ENV})")
    p.add_argument("--token", default=None, help=f"API token (default env {TOKEN_ENV})")
    rsub = p.add_subparsers(dest="remote_command", metavar="ACTION")
    rsub.required = True

    def add(name: str, help_text: str) -> argparse.ArgumentParser:
        return rsub.add_parser(name, help=help_text)

    s = add("status", "service version, profiles, queue depth and lag")
    s.set_defaults(handler=lambda a: _get(a, "/api/v1/status"))
    s = add("connections", "connections and their webhook registrations (never secrets)")
    s.set_defaults(handler=lambda a: _get(a, "/api/v1/connections"))
    s = add("profiles", "profiles known to the service")
    s.set_defaults(handler=lambda a: _get(a, "/api/v1/profiles"))
    s = add("runs", "recent runs")
    s.add_argument("--profile")
    s.add_argument("--limit", type=int, default=20)
    s.set_defaults(handler=lambda a: _get(a, "/api/v1/runs", {"profile": a.profile, "limit": a.limit}))
    s = add("items", "items of one run")
    s.add_argument("run_id", type=int)
    s.add_argument("--action")
    s.set_defaults(handler=lambda a: _get(a, f"/api/v1/runs/{a.run_id}/items", {"action": a.action}))
    s = add("run", "start a run (waits for it unless --no-wait)")
    s.add_argument("profile")
    s.add_argument("--dry-run", action="store_true")
    s.add_argument("--no-wait", action="store_true")
    s.add_argument("--timeout", type=float, default=600)
    s.set_defaults(handler=_run)
    s = add("errors", "failed items")
    s.add_argument("--profile")
    s.set_defaults(handler=lambda a: _get(a, "/api/v1/errors", {"profile": a.profile}))
    s = add("retry", "retry one failed item")
    s.add_argument("item_id", type=int)
    s.set_defaults(handler=lambda a: _send(a, "POST", f"/api/v1/errors/{a.item_id}/retry"))
    s = add("conflicts", "open conflicts")
    s.add_argument("--profile")
    s.set_defaults(handler=lambda a: _get(a, "/api/v1/conflicts", {"profile": a.profile}))
    s = add("resolve", "settle a conflict: --choose jira|bitrix24 or --value JSON")
    s.add_argument("conflict_id", type=int)
    g = s.add_mutually_exclusive_group(required=True)
    g.add_argument("--choose", choices=["jira", "bitrix24"])
    g.add_argument("--value", help="a JSON value, e.g. '\"WON\"' or 1000")
    s.set_defaults(handler=_resolve)
    s = add("set-application-token", "give the service a Bitrix24 outgoing webhook's application token")
    s.add_argument("connection")
    s.add_argument("--from-env", metavar="VAR", help="read the token from this environment variable (else stdin)")
    s.set_defaults(handler=_app_token)
    s = add("reload", "re-read profiles (like SIGHUP)")
    s.set_defaults(handler=lambda a: _send(a, "POST", "/api/v1/reload"))


def _cli_error(message: str) -> Exception:
    from sync_engine.commands import CliError

    return CliError(message)


def _client(args: argparse.Namespace) -> httpx.Client:
    url = args.url or os.environ.get(URL_ENV)
    token = args.token or os.environ.get(TOKEN_ENV)
    if not url:
        raise _cli_error(f"give --url or set {URL_ENV}")
    if not token:
        raise _cli_error(f"give --token or set {TOKEN_ENV}")
    return httpx.Client(base_url=url.rstrip("/"), headers={"Authorization": f"Bearer {token}"}, timeout=60,
                        trust_env=False)


def _call(args: argparse.Namespace, method: str, path: str, params: dict[str, Any] | None = None,
          body: Any = None) -> Any:
    try:
        with _client(args) as client:
            resp = client.request(method, path, params={k: v for k, v in (params or {}).items() if v is not None},
                                  json=body)
    except httpx.HTTPError as exc:
        raise _cli_error(f"cannot reach the service: {type(exc).__name__}: {exc}") from exc
    try:
        data = resp.json() if resp.content else None
    except ValueError:
        data = resp.text
    if resp.status_code >= 400:
        message = data.get("error") if isinstance(data, dict) else data
        raise _cli_error(f"the service answered {resp.status_code}: {message}")
    return data


def _print(data: Any) -> None:
    sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2, default=str) + "\n")


def _get(args: argparse.Namespace, path: str, params: dict[str, Any] | None = None) -> int:
    _print(_call(args, "GET", path, params))
    return 0


def _send(args: argparse.Namespace, method: str, path: str, body: Any = None) -> int:
    _print(_call(args, method, path, body=body))
    return 0


def _run(args: argparse.Namespace) -> int:
    started = _call(args, "POST", f"/api/v1/profiles/{args.profile}/run", body={"dry_run": args.dry_run})
    if args.no_wait:
        _print(started)
        return 0
    deadline = time.monotonic() + args.timeout
    while time.monotonic() < deadline:
        job = _call(args, "GET", f"/api/v1/jobs/{started['job_id']}")
        if job["status"] in ("done", "failed"):
            _print(job)
            return 0 if job["status"] == "done" else 1
        time.sleep(0.5)
    raise _cli_error(f"job {started['job_id']} did not finish within {args.timeout:.0f} s")


def _resolve(args: argparse.Namespace) -> int:
    body: dict[str, Any]
    if args.choose:
        body = {"choose": args.choose}
    else:
        try:
            body = {"value": json.loads(args.value)}
        except ValueError as exc:
            raise _cli_error(f"--value must be JSON: {exc}") from exc
    return _send(args, "POST", f"/api/v1/conflicts/{args.conflict_id}/resolve", body)


def _app_token(args: argparse.Namespace) -> int:
    token = os.environ.get(args.from_env, "") if args.from_env else sys.stdin.readline()
    if not token.strip():
        raise _cli_error("no token given (pipe it on stdin or use --from-env VAR)")
    return _send(args, "PUT", f"/api/v1/connections/{args.connection}/application-token",
                 {"token": token.strip()})
