"""Property: random user edits on both sides interleaved with engine runs always settle into agreement.

People create, edit, move and delete purchase requests in JIRA and deals in Bitrix24 through the
twins' REST APIs; the engine runs now and then. After a final quiet run (with a reconcile pass, so
deletions no event reported are seen): both sides agree under the mapping, every record is linked to
exactly one partner, no stamp is missing or shared, and a conflict was only ever reported for a field
both sides changed since the previous run.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

import pytest
from engine_harness import SMALL_PROFILE, Twins, add_stamp_field, agreement, profile, workspace
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sync_engine.workspace import Workspace

pytestmark = pytest.mark.slow

settings.register_profile("engine-ci", max_examples=200, deadline=None, derandomize=False,
                          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
settings.register_profile("engine-local", max_examples=20, deadline=None,
                          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
PROFILE = "engine-ci" if os.environ.get("CI", "").lower() == "true" else "engine-local"

# Stage moves people can make; in JIRA these are the workflow's transitions among the mapped statuses.
B24_MOVES = {"NEW": ["PREPARATION", "LOSE"], "PREPARATION": ["NEW", "LOSE"], "LOSE": ["NEW"]}
JIRA_MOVES = {"Открыт": ["Квалификация", "Отклонён"], "Квалификация": ["Открыт", "Отклонён"], "Отклонён": ["Открыт"]}
STAGE_OF = {"Открыт": "NEW", "Квалификация": "PREPARATION", "Отклонён": "LOSE"}

titles = st.text(alphabet="абвгдеёжзАБВГ xyzXYZ0123", min_size=1, max_size=12).map(str.strip).filter(bool)
amounts = st.integers(min_value=0, max_value=10_000_000).map(float)
side = st.sampled_from(["jira", "bitrix24"])
op = st.one_of(
    st.tuples(st.just("create"), side, titles, amounts),
    st.tuples(st.just("title"), side, st.integers(0, 50), titles),
    st.tuples(st.just("amount"), side, st.integers(0, 50), amounts),
    st.tuples(st.just("stage"), side, st.integers(0, 50), st.integers(0, 1)),
    st.tuples(st.just("delete"), side, st.integers(0, 50)),
    st.tuples(st.just("sync"),),
)


class World:
    """The users' side of the test: acts through the twins and remembers what it touched since the
    last run, by record and field, to judge reported conflicts."""

    def __init__(self, twins: Twins, ws: Workspace) -> None:
        self.t = twins
        self.ws = ws
        self.touched: set[tuple[str, str, str]] = set()  # (side, record id, rule)

    def issues(self) -> list[dict[str, Any]]:
        return self.t.jql("project = PROC ORDER BY key", fields="status")

    def deals(self) -> list[dict[str, Any]]:
        return self.t.b24_list("crm.deal.list", {"select": ["ID", "STAGE_ID"], "order": {"ID": "ASC"}})

    def act(self, step: tuple[Any, ...]) -> None:
        kind = step[0]
        if kind == "sync":
            self.sync()
            return
        where = step[1]
        if kind == "create":
            if where == "jira":
                self.t.create_issue("PROC", "Purchase request", summary=step[2], customfield_10101=step[3])
            else:
                self.t.b24("crm.deal.add", {"fields": {"TITLE": step[2], "OPPORTUNITY": step[3],
                                                       "STAGE_ID": "NEW", "CATEGORY_ID": 0}})
            return
        records = self.issues() if where == "jira" else self.deals()
        if not records:
            return
        rec = records[step[2] % len(records)]
        rid = str(rec["id"] if where == "jira" else rec["ID"])
        if kind == "delete":
            if where == "jira":
                self.t.jira("DELETE", f"/issue/{rec['key']}")
            else:
                self.t.b24("crm.deal.delete", {"id": rid})
            return
        if kind == "stage":
            if where == "jira":
                now = rec["fields"]["status"]["name"]
                self.t.transition(rec["key"], JIRA_MOVES[now][step[3] % len(JIRA_MOVES[now])])
            else:
                moves = B24_MOVES[rec["STAGE_ID"]]
                self.t.b24("crm.deal.update", {"id": rid, "fields": {"STAGE_ID": moves[step[3] % len(moves)]}})
            self.touched.add((where, rid, "stage"))
            return
        field = {("jira", "title"): "summary", ("jira", "amount"): "customfield_10101",
                 ("bitrix24", "title"): "TITLE", ("bitrix24", "amount"): "OPPORTUNITY"}[(where, kind)]
        if where == "jira":
            self.t.jira("PUT", f"/issue/{rec['key']}", {"fields": {field: step[3]}})
        else:
            self.t.b24("crm.deal.update", {"id": rid, "fields": {field: step[3]}})
        self.touched.add((where, rid, kind))

    def sync(self, reconcile: bool = False) -> int:
        import asyncio

        summary, plan = asyncio.run(self.ws.run("small", reconcile=reconcile))
        assert summary.error is None, summary.error
        assert summary.errors == 0, self.ws.store.run_items(summary.run_id or 0)
        for pair in plan.pairs:
            for conflict in [*pair.conflicts, *pair.settled]:
                if conflict.base is None:
                    continue  # first sync of a matched pair: no "since the last run" to speak of
                assert ("jira", pair.jira_id, conflict.rule) in self.touched, (pair, conflict)
                assert ("bitrix24", pair.bitrix24_id, conflict.rule) in self.touched, (pair, conflict)
        self.touched.clear()
        return sum(summary.created.values()) + sum(summary.updated.values()) + sum(summary.deleted.values())


@settings(settings.get_profile(PROFILE))
@given(steps=st.lists(op, min_size=1, max_size=12))
def test_random_edits_settle_into_agreement(twins: Twins, steps: list[tuple[Any, ...]]) -> None:
    twins.reset()
    add_stamp_field(twins)
    with tempfile.TemporaryDirectory() as tmp:
        ws = workspace(Path(tmp), twins.info, [profile(SMALL_PROFILE)])
        try:
            world = World(twins, ws)
            for step in steps:
                world.act(step)
            writes: list[int] = []
            while not writes or writes[-1]:
                assert len(writes) < 3, f"still writing after quiescence: {writes}"
                writes.append(world.sync(reconcile=True))
            _, problems = agreement(twins, ws)
            assert problems == [], problems
            before = twins.writes()
            world.sync(reconcile=True)
            assert twins.writes() == before
        finally:
            ws.close()
