"""Files on a deal: a ``file`` user field, written as ``[name, base64]``, kept by ``{"id": n}``, downloadable."""

from __future__ import annotations

import base64

from b24sandbox_helpers import Portal


def _file(name: str, data: bytes) -> list[str]:
    return [name, base64.b64encode(data).decode()]


def test_deal_file_field_round_trip(portal: Portal) -> None:
    portal.result("crm.deal.userfield.add", {"fields": {"FIELD_NAME": "DOCS", "USER_TYPE_ID": "file",
                                                        "MULTIPLE": "Y", "LABEL": "Документы"}})
    assert portal.result("crm.deal.fields")["UF_CRM_DOCS"]["type"] == "file"
    deal_id = portal.result("crm.deal.add", {"fields": {"TITLE": "С документами",
                                                        "UF_CRM_DOCS": [_file("ТЗ.pdf", b"%PDF tz")]}})
    docs = portal.result("crm.deal.get", {"id": deal_id})["UF_CRM_DOCS"]
    assert len(docs) == 1 and portal.http.get(docs[0]["downloadUrl"]).content == b"%PDF tz"
    item = portal.result("crm.item.update", {"entityTypeId": 2, "id": deal_id, "fields": {
        "ufCrmDocs": [{"id": docs[0]["id"]}, _file("Смета.xlsx", b"xlsx")]}})["item"]
    kept, added = item["ufCrmDocs"]
    assert kept["id"] == docs[0]["id"] and portal.http.get(added["urlMachine"]).content == b"xlsx"
    dropped = portal.result("crm.item.update", {"entityTypeId": 2, "id": deal_id, "fields": {
        "ufCrmDocs": [{"id": added["id"]}]}})["item"]
    assert [f["id"] for f in dropped["ufCrmDocs"]] == [added["id"]]  # files not passed leave the field
    bad = portal.call("crm.deal.update", {"id": deal_id, "fields": {"UF_CRM_DOCS": [{"id": 987654}]}})
    assert bad.status_code == 400 and bad.json()["error"] == ""
    assert portal.result("crm.deal.update", {"id": deal_id, "fields": {"UF_CRM_DOCS": ""}}) is True
    assert portal.result("crm.deal.get", {"id": deal_id})["UF_CRM_DOCS"] == []
