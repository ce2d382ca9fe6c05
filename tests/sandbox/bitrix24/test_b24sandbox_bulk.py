"""Scale and persistence: 100,000 seeded deals stay fast to page and filter; state survives a restart."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from b24sandbox_helpers import ADMIN, serve, serve_twin

from sync_engine.sandbox.bitrix24.app import create_twin
from sync_engine.sandbox.common.twin import TwinSettings


def test_100k_deals_seed_and_list_fast() -> None:
    began = time.perf_counter()
    twin = create_twin(TwinSettings(admin_token=ADMIN, limits=False, size=100_000))
    seeded_in = time.perf_counter() - began
    assert seeded_in < 15, f"seeding 100k deals took {seeded_in:.1f}s"
    for p in serve_twin(twin):
        checks: list[dict[str, Any]] = [
            {"select": ["ID", "TITLE"], "start": 99_950},
            {"filter": {">ID": 90_000}, "order": {"ID": "ASC"}, "start": -1, "select": ["ID"]},
            {"filter": {">=DATE_MODIFY": "2025-12-01T00:00:00+03:00", "STAGE_ID": "WON"}, "select": ["ID"]},
            {"filter": {"UF_CRM_JIRA_KEY": "BULK-777"}, "select": ["ID", "UF_CRM_JIRA_KEY"]},
            {"order": {"DATE_MODIFY": "DESC"}, "select": ["ID", "DATE_MODIFY"]},
        ]
        for params in checks:
            t0 = time.perf_counter()
            body = p.call("crm.deal.list", params).json()
            elapsed = time.perf_counter() - t0
            assert "error" not in body, body
            assert elapsed < 1.5, f"{params} took {elapsed:.2f}s"
        first = p.call("crm.deal.list", checks[0]).json()
        assert first["total"] == 100_040 and len(first["result"]) == 50 and first["next"] == 100_000
        keyed = p.result("crm.deal.list", checks[3])
        assert [d["UF_CRM_JIRA_KEY"] for d in keyed] == ["BULK-777"]
        stage = p.call("crm.deal.list", checks[2]).json()
        assert 0 < stage["total"] < 100_040


def test_state_file_survives_restart(tmp_path: Path) -> None:
    state = tmp_path / "bitrix24.sqlite"
    settings = TwinSettings(admin_token=ADMIN, limits=False, state_path=state,
                            credentials={"user_id": "1", "secret": "persist"})
    for p in serve(settings):
        deal_id = p.result("crm.deal.add", {"fields": {"TITLE": "Переживёт перезапуск"}})
        p.result("crm.deal.userfield.add", {"fields": {"FIELD_NAME": "AFTER_RESTART",
                                                       "USER_TYPE_ID": "string"}})
        p.result("crm.deal.update", {"id": deal_id, "fields": {"UF_CRM_AFTER_RESTART": "да"}})
        p.twin.portal.close()
    for p in serve(settings):
        deal = p.result("crm.deal.get", {"id": deal_id})
        assert deal["TITLE"] == "Переживёт перезапуск" and deal["UF_CRM_AFTER_RESTART"] == "да"
        assert p.call("crm.deal.list").json()["total"] == 41
        p.twin.portal.close()


def test_admin_seed_and_reset(tmp_path: Path) -> None:
    for p in serve(TwinSettings(admin_token=ADMIN, limits=False)):
        empty = p.admin("POST", "seed", {"seed": "empty", "deals": 5}).json()
        assert empty["deals"] == 5 and empty["users"] == 44
        assert p.call("crm.deal.list").json()["total"] == 5
        assert p.result("crm.company.list") == []
        assert "UF_CRM_JIRA_KEY" not in p.result("crm.deal.fields")
        assert p.admin("POST", "seed", {"seed": "bogus"}).status_code == 400
        assert p.admin("POST", "reset", {"data": True}).json() == {"ok": True}
        assert p.call("crm.deal.list").json()["total"] == 40
        assert "UF_CRM_JIRA_KEY" in p.result("crm.deal.fields")
