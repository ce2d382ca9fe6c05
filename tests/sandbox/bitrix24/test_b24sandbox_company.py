"""The demo company: a multi-level structure with heads, Cyrillic people, photos, and the 2,000-person size."""

from __future__ import annotations

import re
from typing import Any

from b24sandbox_helpers import ADMIN, Portal, serve

from sync_engine.sandbox import seed_people
from sync_engine.sandbox.common.twin import TwinSettings


def _all(portal: Portal, method: str) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    start: int | None = 0
    while start is not None:
        body = portal.call(method, {"start": start}).json()
        rows += body["result"]
        start = body.get("next")
    return rows


def _check_company(portal: Portal, people: int, departments: int) -> None:
    users = _all(portal, "user.get")
    deps = {int(d["ID"]): d for d in _all(portal, "department.get")}
    assert len(users) == people and len(deps) == departments
    by_id = {int(u["ID"]): u for u in users}
    core = {p.id: p for p in seed_people.PEOPLE}
    for pid, person in core.items():  # the CRM seed and the JIRA twin rely on these
        assert by_id[pid]["EMAIL"] == person.email and by_id[pid]["LAST_NAME"] == person.last
    assert len({u["EMAIL"].lower() for u in users}) == people
    assert all(re.fullmatch(r"[А-ЯЁ][а-яё]+", u["NAME"]) and u["WORK_POSITION"] and u["WORK_PHONE"]
               for u in users)
    roots = [d for d in deps.values() if "PARENT" not in d]
    assert len(roots) == 1

    def depth(dep_id: int) -> int:
        parent = deps[dep_id].get("PARENT")
        return 1 if parent is None else 1 + depth(int(parent))

    assert max(depth(d) for d in deps) >= 4
    for dep_id, dep in deps.items():
        head = int(dep["UF_HEAD"])
        assert by_id[head]["ACTIVE"] is True
        members = [u for u in users if dep_id in u["UF_DEPARTMENT"]]
        if dep_id > len(seed_people.DEPARTMENTS):  # generated teams: the head works there and has a team
            assert dep_id in by_id[head]["UF_DEPARTMENT"] and members
    with_photo = [u for u in users if u.get("PERSONAL_PHOTO")]
    assert len(with_photo) >= people // 10
    assert portal.http.get(with_photo[0]["PERSONAL_PHOTO"]).content.startswith(b"\x89PNG")


def test_demo_company_has_three_hundred_people(portal: Portal) -> None:
    _check_company(portal, 320, 24)


def test_company_of_two_thousand_in_150_departments() -> None:
    for p in serve(TwinSettings(admin_token=ADMIN, limits=False, company_size=2000)):
        _check_company(p, 2000, 150)
        again = p.admin("POST", "seed", {"seed": "demo", "company_size": 500}).json()
        assert again["users"] == 500 and again["departments"] == 38
