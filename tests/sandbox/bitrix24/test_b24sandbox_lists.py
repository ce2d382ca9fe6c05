"""List paging, filters, ordering and select of the Bitrix24 twin."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from b24sandbox_helpers import ADMIN, Portal, serve

from sync_engine.sandbox.common.twin import TwinSettings


@pytest.fixture(scope="module")
def big() -> Iterator[Portal]:
    """120 extra generated deals: 160 in all, enough for several pages."""
    yield from serve(TwinSettings(admin_token=ADMIN, limits=False, size=120))


def test_paging_50_with_start_next_total(big: Portal) -> None:
    first = big.call("crm.deal.list", {"select": ["ID"]}).json()
    assert len(first["result"]) == 50 and first["total"] == 160 and first["next"] == 50
    assert [d["ID"] for d in first["result"]][:3] == ["1", "2", "3"]
    last = big.call("crm.deal.list", {"select": ["ID"], "start": 150}).json()
    assert len(last["result"]) == 10 and last["total"] == 160 and "next" not in last
    ids: list[str] = []
    start: int | None = 0
    while start is not None:
        page = big.call("crm.deal.list", {"select": ["ID"], "start": start}).json()
        ids += [d["ID"] for d in page["result"]]
        start = page.get("next")
    assert ids == [str(i) for i in range(1, 161)]


def test_start_minus_one_has_no_total_and_no_next(big: Portal) -> None:
    body = big.call("crm.deal.list", {"select": ["ID"], "order": {"ID": "ASC"}, "filter": {">ID": 100},
                                      "start": -1}).json()
    assert [d["ID"] for d in body["result"]] == [str(i) for i in range(101, 151)]
    assert "total" not in body and "next" not in body


def test_filters(portal: Portal) -> None:
    def ids(flt: dict[str, object], **extra: object) -> list[str]:
        return [d["ID"] for d in portal.result("crm.deal.list", {"filter": flt, "select": ["ID"], **extra})]

    assert ids({"@ID": [3, 5, 7]}) == ["3", "5", "7"]
    assert ids({"!@ID": list(range(1, 39))}) == ["39", "40"]
    assert ids({">=ID": 38, "<ID": 40}) == ["38", "39"]
    assert ids({"ID": 12}) == ["12"]
    assert ids({"!ID": 1, "<=ID": 3}) == ["2", "3"]
    assert ids({"!=ID": 2, "<=ID": 3}) == ["1", "3"]
    won = portal.result("crm.deal.list",
                        {"filter": {"STAGE_ID": "WON"}, "select": ["ID", "STAGE_ID", "CLOSED"]})
    assert won and all(d["STAGE_ID"] == "WON" and d["CLOSED"] == "Y" for d in won)
    partner = portal.result("crm.deal.list", {"filter": {"CATEGORY_ID": 1}, "select": ["STAGE_ID"]})
    assert partner and all(d["STAGE_ID"].startswith("C1:") for d in partner)
    everything = portal.result("crm.deal.list", {"select": ["ID", "TITLE"]})
    expected = [d["ID"] for d in everything if "облас" in d["TITLE"].lower() and int(d["ID"]) < 6]
    assert expected and len(expected) < 5
    sdk = portal.result("crm.deal.list", {"filter": {"%TITLE": "sdk"}, "select": ["TITLE"]})
    assert sdk and all("SDK" in d["TITLE"] for d in sdk)
    assert ids({"%TITLE": "ОБЛАС", "<ID": 6}) == expected
    assert ids({"UF_CRM_JIRA_KEY": "PUR-10"}) == ["10"]
    protected = ids({"UF_CRM_PROTECTION_STARTED": 1})
    assert protected and protected == ids({"UF_CRM_PROTECTION_STARTED": "Y"})
    assert set(protected).isdisjoint(ids({"UF_CRM_PROTECTION_STARTED": 0}))
    assert ids({">UF_CRM_DISCOUNT": 10}) == ids({"UF_CRM_DISCOUNT": 15})


def test_date_filters_accept_iso_and_date_only(portal: Portal) -> None:
    rows = portal.result("crm.deal.list", {"select": ["ID", "DATE_MODIFY"], "order": {"DATE_MODIFY": "ASC"}})
    pivot = rows[20]["DATE_MODIFY"]
    newer = portal.result("crm.deal.list", {"filter": {">=DATE_MODIFY": pivot}, "select": ["DATE_MODIFY"]})
    assert newer and all(d["DATE_MODIFY"] >= pivot for d in newer)
    day = pivot[:10]
    by_day = portal.result("crm.deal.list", {"filter": {">=DATE_MODIFY": day}, "select": ["DATE_MODIFY"]})
    assert all(d["DATE_MODIFY"][:10] >= day for d in by_day) and len(by_day) >= len(newer)
    in_utc = portal.result("crm.deal.list", {"filter": {">=DATE_MODIFY": pivot[:19] + "+03:00"},
                                              "select": ["ID"]})
    assert len(in_utc) == len(newer)


def test_order_desc_and_by_field(portal: Portal) -> None:
    rows = portal.result("crm.deal.list", {"order": {"OPPORTUNITY": "DESC"}, "select": ["ID", "OPPORTUNITY"]})
    amounts = [float(r["OPPORTUNITY"]) for r in rows]
    assert amounts == sorted(amounts, reverse=True)
    assert all(r["OPPORTUNITY"].endswith((".00",)) for r in rows)


def test_select_masks(portal: Portal) -> None:
    default = portal.result("crm.deal.list", {"filter": {"ID": 1}})[0]
    assert "TITLE" in default and "UF_CRM_JIRA_KEY" in default and "CONTACT_IDS" not in default
    star = portal.result("crm.deal.list", {"filter": {"ID": 1}, "select": ["*"]})[0]
    assert "TITLE" in star and not any(k.startswith("UF_") for k in star)
    uf = portal.result("crm.deal.list", {"filter": {"ID": 1}, "select": ["UF_*"]})[0]
    assert set(uf) == {"ID"} | {k for k in default if k.startswith("UF_")}
    contact = portal.result("crm.contact.list", {"filter": {"ID": 1}, "select": ["ID", "NAME", "EMAIL"]})[0]
    assert set(contact) == {"ID", "NAME", "EMAIL"} and contact["EMAIL"][0]["VALUE_TYPE"] == "WORK"
    plain = portal.result("crm.contact.list", {"filter": {"ID": 1}})[0]
    assert "EMAIL" not in plain


def test_filter_by_multifield_email(portal: Portal) -> None:
    contact = portal.result("crm.contact.list", {"filter": {"ID": 2}, "select": ["ID", "EMAIL"]})[0]
    email = contact["EMAIL"][0]["VALUE"]
    found = portal.result("crm.contact.list", {"filter": {"EMAIL": email}, "select": ["ID"]})
    assert found == [{"ID": "2"}]


def test_company_holding_structure_and_inn(portal: Portal) -> None:
    parent = portal.result("crm.company.list",
                           {"filter": {"UF_CRM_INN": "7701000001"}, "select": ["ID", "TITLE"]})
    assert parent[0]["TITLE"] == "Министерство финансов Энской области"
    children = portal.result("crm.company.list", {"filter": {"UF_CRM_PARENT_COMPANY": parent[0]["ID"]},
                                                  "select": ["TITLE", "COMPANY_TYPE"]})
    assert {c["TITLE"] for c in children} == {"Казначейство Энской области",
                                              "ГКУ «Центр информационных технологий»"}
    assert all(c["COMPANY_TYPE"] == "GOVERNMENT" for c in children)


def test_products_by_xml_id(portal: Portal) -> None:
    select = ["ID", "NAME", "PRICE", "CURRENCY_ID"]
    rows = portal.result("crm.product.list", {"filter": {"XML_ID": "VS-SDK-OEM"}, "select": select})
    assert rows == [{"ID": rows[0]["ID"], "NAME": "Вектор SDK: OEM-лицензия для партнёров",
                     "PRICE": "1200000.00",
                     "CURRENCY_ID": "RUB"}]


def test_legacy_start_snaps_to_page_but_crm_item_uses_offset(big: Portal) -> None:
    legacy = big.call("crm.deal.list", {"select": ["ID"], "start": 75}).json()
    assert legacy["result"][0]["ID"] == "51" and legacy["next"] == 100
    item = big.call("crm.item.list", {"entityTypeId": 2, "select": ["id"], "start": 75}).json()
    assert item["result"]["items"][0]["id"] == 76 and item["next"] == 125 and item["total"] == 160
    negative = big.call("crm.deal.list", {"select": ["ID"], "start": -7}).json()
    assert len(negative["result"]) == 50 and "total" not in negative


def test_rest_headers(portal: Portal) -> None:
    response = portal.http.get(portal.hook + "server.time")
    assert response.headers["access-control-allow-origin"] == "*"
    assert float(response.headers["x-bitrix-rest-time"]) >= 0
    assert response.json()["result"].endswith("+03:00")


def test_crm_reference_filter_accepts_both_forms(portal: Portal) -> None:
    bare = portal.result("crm.deal.list", {"filter": {"UF_CRM_DISTRIBUTOR": "14"}, "select": ["ID"]})
    prefixed = portal.result("crm.deal.list", {"filter": {"UF_CRM_DISTRIBUTOR": "CO_14"}, "select": ["ID"]})
    assert bare and bare == prefixed
    wrong = portal.call("crm.deal.list", {"filter": {"UF_CRM_DISTRIBUTOR": "C_14"}})
    assert wrong.status_code == 400 and wrong.json()["error"] == "INVALID_ARG_VALUE"
