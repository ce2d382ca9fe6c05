"""``./dev demo --terminal``: start the twins with the demo seed and explain them in the terminal.

It prints what is running and copy-paste commands (curl, the ``jira`` library) to try, then serves
until Ctrl-C. ``--smoke`` checks both twins answer and exits, for CI and scripted use.
"""

from __future__ import annotations

import argparse
import base64
import json
import sys
import time
from collections.abc import Sequence

import httpx

from sync_engine.sandbox.server import Sandbox, SandboxOptions


def _probe(info: dict[str, str]) -> dict[str, str]:
    """Ask each twin who we are, the way a client would, so the tour shows live answers."""
    auth = base64.b64encode(f"{info['jira_user']}:{info['jira_token']}".encode()).decode()
    with httpx.Client(timeout=10, verify=info.get("ca_file", True)) as client:
        server = client.get(f"{info['jira_url']}/rest/api/2/serverInfo", headers={"Authorization": f"Basic {auth}"})
        server.raise_for_status()
        me = client.get(f"{info['bitrix_webhook_url']}user.current.json")
        me.raise_for_status()
        deals = client.get(f"{info['bitrix_webhook_url']}crm.deal.list.json", params={"select[]": "ID"})
        deals.raise_for_status()
        issues = client.get(
            f"{info['jira_url']}/rest/api/2/search",
            params={"jql": "project = PROC", "maxResults": 0},
            headers={"Authorization": f"Basic {auth}"},
        )
    user = me.json()["result"]
    return {
        "jira": f"{server.json().get('serverTitle', 'JIRA')} {server.json().get('version')}",
        "bitrix_user": f"{user.get('NAME', '')} {user.get('LAST_NAME', '')}".strip(),
        "deals": str(deals.json().get("total", "?")),
        "issues": str(issues.json().get("total", "?")) if issues.status_code == 200 else "?",
    }


def tour_text(info: dict[str, str], probe: dict[str, str]) -> str:
    j, b = info["jira_url"], info["bitrix_webhook_url"]
    return f"""
Bitrix24–JIRA Studio — demo sandbox
===================================
Two offline twins are running with the demo company's data (Russian names, as in the case study):

  JIRA twin      {j}
                 {probe['jira']}; user "{info['jira_user']}"
                 {probe['issues']} purchase requests in project PROC
  Bitrix24 twin  {b}
                 inbound webhook of {probe['bitrix_user']}; {probe['deals']} deals

Connection JSON (what `b24sync sandbox` prints; the studio and `b24sync demo-setup` take it):
  {json.dumps(info, ensure_ascii=False)}

Try it:
  curl -s -u '{info['jira_user']}:{info['jira_token']}' '{j}/rest/api/2/search?jql=project%3DPROC&maxResults=3'
  curl -s '{b}crm.deal.list.json?select[]=ID&select[]=TITLE&select[]=STAGE_ID'
  curl -s '{b}batch.json' -H 'Content-Type: application/json' \\
       -d '{{"cmd":{{"me":"user.current","stages":"crm.status.list?filter[ENTITY_ID]=DEAL_STAGE"}}}}'
  .venv/bin/python -c "from jira import JIRA; \\
j=JIRA('{j}', basic_auth=('{info['jira_user']}', '{info['jira_token']}')); \\
print([i.key for i in j.search_issues('project = PROC ORDER BY key', maxResults=5)])"

Admin endpoint (both twins, Bearer admin token): GET /_sandbox/counters, POST /_sandbox/faults
  {{"latency_ms":200,"error_rate":0.1,"limit_rate":0.05}}, POST /_sandbox/reset, POST /_sandbox/seed.

Press Ctrl-C to stop.
"""


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="dev demo", description=__doc__)
    parser.add_argument("--smoke", action="store_true", help="start, check both twins answer, print, exit")
    parser.add_argument("--jira-flavour", choices=("server", "cloud"), default="server")
    args = parser.parse_args(argv)
    sandbox = Sandbox(SandboxOptions(jira_flavour=args.jira_flavour))
    info = sandbox.start_in_thread()
    try:
        probe = _probe(info)
        print(tour_text(info, probe), flush=True)
        if args.smoke:
            return 0
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        return 0
    except httpx.HTTPError as exc:
        print(f"demo: a twin did not answer as expected: {exc}", file=sys.stderr)
        return 1
    finally:
        sandbox.stop()


if __name__ == "__main__":
    sys.exit(main())
