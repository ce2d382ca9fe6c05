"""What hangs off a deal: product rows, the contact list, and the legacy pipeline (``crm.dealcategory.*``).

Product rows drive the deal amount (``OPPORTUNITY``) unless it is set by hand, as on a portal; a sync
of purchase requests relies on that.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any

from sync_engine.sandbox.bitrix24.dispatch import Call, Registry
from sync_engine.sandbox.bitrix24.envelope import BitrixError, MethodResult, legacy_error
from sync_engine.sandbox.bitrix24.methods_crm import item_id
from sync_engine.sandbox.bitrix24.phpquery import as_list, ci_get, php_int
from sync_engine.sandbox.bitrix24.portal import Portal
from sync_engine.sandbox.bitrix24.values import ValueProblem, number_native, store_float, store_int

Emit = Callable[[str, dict[str, Any]], None]


def _float(row: Mapping[str, Any], name: str, default: float) -> float:
    value = ci_get(row, name)
    if value in (None, ""):
        return default
    try:
        return store_float(value)
    except ValueProblem as exc:
        raise legacy_error(f"Product row field '{name}': {exc}") from exc


def _product_row(r: Any) -> dict[str, Any]:
    price = float(r["PRICE"] or 0.0)
    return {"ID": str(r["ID"]), "OWNER_ID": str(r["OWNER_ID"]), "OWNER_TYPE": r["OWNER_TYPE"],
            "PRODUCT_ID": r["PRODUCT_ID"] or 0, "PRODUCT_NAME": r["PRODUCT_NAME"],
            "ORIGINAL_PRODUCT_NAME": r["PRODUCT_NAME"], "PRODUCT_DESCRIPTION": None,
            "PRICE": number_native(price), "PRICE_EXCLUSIVE": number_native(price),
            "PRICE_NETTO": number_native(price), "PRICE_BRUTTO": number_native(price),
            "PRICE_ACCOUNT": f"{price:.2f}", "QUANTITY": number_native(float(r["QUANTITY"] or 0)),
            "DISCOUNT_TYPE_ID": 2, "DISCOUNT_RATE": number_native(float(r["DISCOUNT_RATE"] or 0)),
            "DISCOUNT_SUM": number_native(float(r["DISCOUNT_SUM"] or 0)),
            "TAX_RATE": None if r["TAX_RATE"] is None else number_native(float(r["TAX_RATE"])),
            "TAX_INCLUDED": r["TAX_INCLUDED"], "CUSTOMIZED": "Y", "MEASURE_CODE": r["MEASURE_CODE"],
            "MEASURE_NAME": r["MEASURE_NAME"], "SORT": r["SORT"]}


def register_deal_links(reg: Registry, portal: Portal, emit: Emit) -> None:
    deals = portal.stores["deal"]
    products = portal.stores["product"]

    def deal_row(call: Call) -> dict[str, Any]:
        row = deals.row(item_id(call.params))
        if row is None:
            raise legacy_error("Not found")
        return row

    def rows_get(call: Call) -> list[dict[str, Any]]:
        deal = deal_row(call)
        rows = portal.conn.execute("SELECT * FROM productrows WHERE OWNER_TYPE = 'D' AND OWNER_ID = ?"
                                   " ORDER BY SORT, ID", (deal["ID"],)).fetchall()
        return [_product_row(r) for r in rows]

    def rows_set(call: Call) -> bool:
        deal = deal_row(call)
        raw = ci_get(call.params, "rows")
        if raw is not None and not isinstance(raw, (Mapping, list)) and raw != "":
            raise legacy_error("Parameter 'rows' must be array.")
        prepared = []
        for n, row in enumerate(as_list(raw)):
            if not isinstance(row, Mapping):
                raise legacy_error("Each product row must be an array.")
            product_id = php_int(ci_get(row, "PRODUCT_ID"), 0)
            product = products.row(product_id) if product_id else None
            if product_id and product is None:
                raise legacy_error(f"Product {product_id} is not found")
            name = ci_get(row, "PRODUCT_NAME") or (product["NAME"] if product else None)
            if not name:
                raise legacy_error("Product row needs PRODUCT_ID or PRODUCT_NAME")
            price = _float(row, "PRICE", float(product["PRICE"] or 0.0) if product else 0.0)
            quantity = _float(row, "QUANTITY", 1.0)
            discount_rate = _float(row, "DISCOUNT_RATE", 0.0)
            tax = None if ci_get(row, "TAX_RATE") in (None, "") else _float(row, "TAX_RATE", 0.0)
            tax_included = "Y" if str(ci_get(row, "TAX_INCLUDED") or "N").upper() == "Y" else "N"
            measure_name = str(ci_get(row, "MEASURE_NAME") or "шт")
            prepared.append((deal["ID"], product_id, str(name), price, quantity, discount_rate,
                             _float(row, "DISCOUNT_SUM", 0.0), tax, tax_included,
                             php_int(ci_get(row, "MEASURE_CODE"), 796), measure_name,
                             php_int(ci_get(row, "SORT"), 0) or (n + 1) * 10))
        portal.conn.execute("DELETE FROM productrows WHERE OWNER_TYPE = 'D' AND OWNER_ID = ?", (deal["ID"],))
        portal.conn.executemany(
            "INSERT INTO productrows (OWNER_TYPE, OWNER_ID, PRODUCT_ID, PRODUCT_NAME, PRICE, QUANTITY,"
            " DISCOUNT_RATE, DISCOUNT_SUM, TAX_RATE, TAX_INCLUDED, MEASURE_CODE, MEASURE_NAME, SORT)"
            " VALUES ('D',?,?,?,?,?,?,?,?,?,?,?,?)", prepared)
        if deal.get("IS_MANUAL_OPPORTUNITY") != "Y":
            total = sum(p[3] * p[4] for p in prepared)
            deals.update(deal["ID"], {"OPPORTUNITY": total}, call.caller.user_id)
            emit("ONCRMDEALUPDATE", {"ID": deal["ID"]})
        return True

    def contacts_get(call: Call) -> list[dict[str, Any]]:
        deal = deal_row(call)
        ids = json.loads(deal.get("CONTACT_IDS") or "[]")
        if deal.get("CONTACT_ID") and deal["CONTACT_ID"] not in ids:
            ids.insert(0, deal["CONTACT_ID"])
        return [{"CONTACT_ID": cid, "SORT": (n + 1) * 10, "ROLE_ID": 0, "IS_PRIMARY": "Y" if n == 0 else "N"}
                for n, cid in enumerate(ids)]

    def contacts_set(call: Call) -> bool:
        deal = deal_row(call)
        items = [i for i in as_list(ci_get(call.params, "items")) if isinstance(i, Mapping)]
        try:
            ordered = sorted(items, key=lambda i: (str(ci_get(i, "IS_PRIMARY") or "N").upper() != "Y",
                                                   php_int(ci_get(i, "SORT"), 0)))
            ids = [store_int(ci_get(i, "CONTACT_ID")) for i in ordered]
        except ValueProblem as exc:
            raise legacy_error(f"CONTACT_ID: {exc}") from exc
        contacts = portal.stores["contact"]
        missing = [cid for cid in ids if contacts.row(cid) is None]
        if missing:
            raise legacy_error(f"Contact {missing[0]} is not found")
        deals.update(deal["ID"], {"CONTACT_IDS": ids, "CONTACT_ID": ids[0] if ids else None},
                     call.caller.user_id)
        emit("ONCRMDEALUPDATE", {"ID": deal["ID"]})
        return True

    def category_rows() -> list[Any]:
        return portal.conn.execute(
            "SELECT * FROM categories WHERE ENTITY_TYPE_ID = 2 AND ID != 0 ORDER BY SORT, ID").fetchall()

    def category_view(r: Any) -> dict[str, Any]:
        return {"ID": str(r["ID"]), "CREATED_DATE": "2026-01-12T09:30:00+03:00", "NAME": r["NAME"],
                "IS_LOCKED": "N", "SORT": str(r["SORT"]), "ORIGIN_ID": "", "ORIGINATOR_ID": ""}

    def dealcategory_list(call: Call) -> MethodResult:
        rows = [category_view(r) for r in category_rows()]
        return MethodResult(rows, total=len(rows))

    def dealcategory_get(call: Call) -> dict[str, Any]:
        wanted = item_id(call.params)
        for r in category_rows():
            if r["ID"] == wanted:
                return category_view(r)
        raise legacy_error("Not found")

    def dealcategory_default(call: Call) -> dict[str, Any]:
        return {"ID": 0, "NAME": "Общая"}

    def dealcategory_stages(call: Call) -> list[dict[str, Any]]:
        category = php_int(ci_get(call.params, "id"), 0)
        entity = portal.stage_entity("deal", category)
        rows = portal.conn.execute("SELECT * FROM statuses WHERE ENTITY_ID = ? ORDER BY SORT, ID",
                                   (entity,)).fetchall()
        if not rows:
            raise BitrixError(400, "", "Category not found")
        return [{"NAME": r["NAME"], "SORT": str(r["SORT"]), "STATUS_ID": r["STATUS_ID"]} for r in rows]

    reg.add("crm.deal.productrows.get", rows_get)
    reg.add("crm.deal.productrows.set", rows_set)
    reg.add("crm.deal.contact.items.get", contacts_get)
    reg.add("crm.deal.contact.items.set", contacts_set)
    reg.add("crm.dealcategory.list", dealcategory_list)
    reg.add("crm.dealcategory.get", dealcategory_get)
    reg.add("crm.dealcategory.default.get", dealcategory_default)
    reg.add("crm.dealcategory.stage.list", dealcategory_stages)
