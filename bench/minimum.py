"""The fewest API calls the two APIs allow for each benchmark, derived from their documented limits.

These are the yardsticks the measured calls are divided by. Each term is a call no client can avoid;
the derivation is written into RESULTS.md next to the numbers (:func:`initial_text`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

B24_LIST_PAGE = 50  # rows per crm.*.list command
B24_BATCH = 50  # commands per batch request
JIRA_BULK = 50  # issues per POST /issue/bulk


@dataclass(frozen=True)
class Minimum:
    terms: tuple[tuple[str, str, int], ...]  # (system, what, calls)
    # the same calls as the twins name them (their counter keys), to show where measured calls exceed it
    by_method: tuple[tuple[str, str, int], ...] = ()

    @property
    def total(self) -> int:
        return sum(n for _, _, n in self.terms)

    def of(self, system: str) -> int:
        return sum(n for s, _, n in self.terms if s == system)


J_FIELD = "GET /rest/api/2/field"
J_CREATEMETA = "GET /rest/api/2/issue/createmeta/{project}/issuetypes/{typeId}"
J_STATUSES = "GET /rest/api/2/project/{idOrKey}/statuses"
J_SEARCH = "GET /rest/api/2/search"
J_DESCRIBE = (("jira", J_FIELD, 1), ("jira", J_CREATEMETA, 1), ("jira", J_STATUSES, 1))


def initial(records: int, transitions: int) -> Minimum:
    """Deals exist only in Bitrix24; every one becomes an issue, gets its status and is stamped back."""
    reads, writes = math.ceil(records / (B24_LIST_PAGE * B24_BATCH)), math.ceil(records / B24_BATCH)
    methods = (*J_DESCRIBE, ("jira", J_SEARCH, 1),
               ("jira", "POST /rest/api/2/issue/bulk", math.ceil(records / JIRA_BULK)),
               ("jira", "GET /rest/api/2/issue/{key}/transitions", 1 if transitions else 0),
               ("jira", "POST /rest/api/2/issue/{key}/transitions", transitions),
               ("bitrix24", "batch", 1 + reads + writes))
    return Minimum(by_method=methods, terms=(
        ("bitrix24", "describe: crm.deal.fields, userfields, stages, currencies in one batch", 1),
        ("bitrix24", f"read {records} deals: 50 rows x 50 chained commands per batch",
         math.ceil(records / (B24_LIST_PAGE * B24_BATCH))),
        ("jira", "describe: GET /field, createmeta of the issue type, project statuses", 3),
        ("jira", "read: one search page showing what JIRA already holds", 1),
        ("jira", f"create {records} issues, 50 per POST /issue/bulk (deal id set in the create)",
         math.ceil(records / JIRA_BULK)),
        ("jira", "transition ids: one GET /issue/{key}/transitions, then cached", 1 if transitions else 0),
        ("jira", f"one transition POST per issue whose status is not the initial one ({transitions})",
         transitions),
        ("bitrix24", f"back-stamp the {records} keys: crm.deal.update, 50 per batch",
         math.ceil(records / B24_BATCH)),
    ))


def incremental_jira_edits(edits: int, transitions: int) -> Minimum:
    """``edits`` issues edited in JIRA among many linked pairs; a fresh engine process describes again."""
    methods = (*J_DESCRIBE, ("jira", J_SEARCH, 1), ("bitrix24", "batch", 2 + math.ceil(edits / B24_BATCH)))
    return Minimum(by_method=methods, terms=(
        ("jira", "describe: GET /field, createmeta of the issue type, project statuses", 3),
        ("jira", f"read the {edits} changed issues: one search since the cursor", 1),
        ("bitrix24", "describe: one batch", 1),
        ("bitrix24", "read changed deals since the cursor and the partners by id: one batch", 1),
        ("bitrix24", f"write the {edits} deals: one batch of crm.deal.update", math.ceil(edits / B24_BATCH)),
    ))


def incremental_b24_edits(edits: int, transitions: int) -> Minimum:
    """``edits`` deals edited in Bitrix24: JIRA has no bulk edit, so one PUT per issue is unavoidable."""
    methods = (*J_DESCRIBE, ("jira", J_SEARCH, 1), ("jira", "PUT /rest/api/2/issue/{key}", edits),
               ("jira", "GET /rest/api/2/issue/{key}/transitions", 1 if transitions else 0),
               ("jira", "POST /rest/api/2/issue/{key}/transitions", transitions), ("bitrix24", "batch", 2))
    return Minimum(by_method=methods, terms=(
        ("bitrix24", "describe: one batch", 1),
        ("bitrix24", f"read the {edits} changed deals: one batch", 1),
        ("jira", "describe: GET /field, createmeta of the issue type, project statuses", 3),
        ("jira", "read changed issues and the partners by key: one search", 1),
        ("jira", f"one PUT /issue/{{key}} per edited issue ({edits})", edits),
        ("jira", "transition ids: one GET, then cached", 1 if transitions else 0),
        ("jira", f"one transition POST per status change ({transitions})", transitions),
    ))


def excess(expected: Minimum, measured: dict[str, dict[str, int]]) -> list[tuple[str, str, int, int]]:
    """(system, method, measured, expected) for every top-level request measured above the minimum."""
    want = {(s, m): n for s, m, n in expected.by_method}
    out = []
    for system, methods in measured.items():
        for method, n in sorted(methods.items()):
            if method.startswith(" "):
                continue  # commands inside a batch are not requests of their own
            if n > want.get((system, method), 0):
                out.append((system, method, n, want.get((system, method), 0)))
    return out
