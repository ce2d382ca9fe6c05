"""The same initial sync written the way a user might script it: one call per item.

``python -m bench.naive SANDBOX_JSON`` lists the deals page by page (``crm.deal.list``, 50 a page),
creates each issue with ``jira.create_issue``, moves it with ``jira.transition_issue`` to the status of
its stage, and writes the key back with one ``crm.deal.update`` per deal. Same libraries as the engine
(jira, httpx), same twins, same limits. On Bitrix24's "too many requests" it waits a second and tries
again, as such scripts do. Prints one JSON line.
"""

from __future__ import annotations

import json
import resource
import sys
import time
from typing import Any

import httpx
from jira import JIRA

STATUS_OF_STAGE = {"NEW": "Открыт", "PREPARATION": "Квалификация", "PREPAYMENT_INVOICE": "Согласование",
                   "EXECUTING": "Закупка согласована", "FINAL_INVOICE": "Выставлен счёт", "WON": "Выполнен",
                   "LOSE": "Отклонён"}


def b24(http: httpx.Client, url: str, method: str, params: dict[str, Any]) -> tuple[dict[str, Any], int]:
    refused = 0
    while True:
        r = http.post(f"{url}{method}.json", json=params)
        body = r.json()
        if r.status_code == 503 and body.get("error") == "QUERY_LIMIT_EXCEEDED":
            refused += 1
            time.sleep(1.0)
            continue
        if "error" in body:
            raise RuntimeError(f"{method}: {body['error']}")
        return dict(body), refused


def run(info: dict[str, Any]) -> dict[str, Any]:
    started = time.perf_counter()
    url = info["bitrix_webhook_url"]
    jira = JIRA(info["jira_url"], basic_auth=(info["jira_user"], info["jira_token"]))
    refused = 0
    done = 0
    with httpx.Client(timeout=120) as http:
        start: int | None = 0
        while start is not None:
            page, n = b24(http, url, "crm.deal.list", {
                "filter": {"CATEGORY_ID": 0}, "order": {"ID": "ASC"}, "start": start,
                "select": ["ID", "TITLE", "STAGE_ID", "OPPORTUNITY", "CURRENCY_ID"]})
            refused += n
            for deal in page["result"]:
                issue = jira.create_issue(fields={
                    "project": {"key": "PROC"}, "issuetype": {"name": "Purchase request"},
                    "summary": deal["TITLE"], "customfield_10101": float(deal["OPPORTUNITY"] or 0),
                    "customfield_10104": {"value": deal["CURRENCY_ID"]}, "customfield_10103": str(deal["ID"])})
                status = STATUS_OF_STAGE.get(deal["STAGE_ID"], "Открыт")
                if status != "Открыт":
                    jira.transition_issue(issue.key, status)
                _, n = b24(http, url, "crm.deal.update", {"id": deal["ID"], "fields": {"UF_CRM_JIRA_KEY": issue.key}})
                refused += n
                done += 1
            start = page.get("next")
    jira.close()
    return {"seconds": time.perf_counter() - started, "records": done, "bitrix24_refused": refused,
            "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}


if __name__ == "__main__":
    sys.stdout.write(json.dumps(run(json.loads(sys.argv[1]))) + "\n")
