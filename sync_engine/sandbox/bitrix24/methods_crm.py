"""CRM methods: legacy ``crm.{deal,contact,company,product}.*``, user fields, directories, ``crm.item.*``."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from sync_engine.sandbox.bitrix24.dispatch import Call, Registry
from sync_engine.sandbox.bitrix24.envelope import BitrixError, MethodResult, legacy_error
from sync_engine.sandbox.bitrix24.phpquery import as_list, ci_get, php_bool, php_int
from sync_engine.sandbox.bitrix24.portal import SPA_CATEGORY_ID, SPA_ENTITY_TYPE_ID, SPA_ID, Portal
from sync_engine.sandbox.bitrix24.schema import FieldDef
from sync_engine.sandbox.bitrix24.store import PAGE, EntityStore
from sync_engine.sandbox.bitrix24.values import ValueProblem, store_int

Emit = Callable[[str, dict[str, Any]], None]

_ITEM_TYPES = {"char": "boolean", "crm_multifield": "crm_multifield"}


def _start(params: Mapping[str, Any], *, pages: bool) -> int:
    """``intval(start)``; any negative value means "no count" (-1). Legacy lists page by 50
    (``iNumPage = intval(start / 50) + 1``), so their offset snaps down to a page boundary."""
    start = php_int(ci_get(params, "start", 0))
    if start < 0:
        return -1
    return start - start % PAGE if pages else start


def page_result(items: list[Any], start: int, total: int | None) -> MethodResult:
    if start < 0 or total is None:
        return MethodResult(items)
    nxt = start + PAGE if start + len(items) < total and items else None
    return MethodResult(items, total=total, next=nxt)


def item_id(params: Mapping[str, Any]) -> int:
    raw = ci_get(params, "id")
    try:
        value = store_int(raw)
    except ValueProblem:
        raise legacy_error("ID is not defined or invalid.") from None
    if value <= 0:
        raise legacy_error("ID is not defined or invalid.")
    return value


def php_array(value: Any) -> Any:
    """A JSON list is a PHP array too (``[]`` from PHP clients means "no fields")."""
    return {str(i): v for i, v in enumerate(value)} if isinstance(value, list) else value


def fields_param(params: Mapping[str, Any]) -> Mapping[str, Any]:
    fields = php_array(ci_get(params, "fields"))
    if not isinstance(fields, Mapping):
        raise legacy_error("Parameter 'fields' must be array.")
    return fields


def field_description(f: FieldDef, *, item: bool = False, upper: str | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {
        "type": _ITEM_TYPES.get(f.type, f.type) if item else f.type,
        "isRequired": f.required, "isReadOnly": f.read_only, "isImmutable": f.immutable,
        "isMultiple": f.multiple, "isDynamic": f.uf, "title": f.name if f.uf else f.title,
    }
    if f.status_type:
        out["statusType"] = f.status_type
    if f.uf:
        label = f.labels.get("LIST_COLUMN_LABEL") or f.name
        out["listLabel"] = label
        out["formLabel"] = f.labels.get("EDIT_FORM_LABEL") or label
        out["filterLabel"] = f.labels.get("LIST_FILTER_LABEL") or label
        out["settings"] = f.settings
        if f.type == "enumeration":
            out["items"] = [{"ID": i["ID"], "VALUE": i["VALUE"]} for i in f.items]
    if item and upper:
        out["upperName"] = upper
    return out


# ---- legacy rendering -------------------------------------------------------------------------------
def legacy_names(store: EntityStore, select: Any, *, for_get: bool) -> list[FieldDef]:
    fields = store.fields()
    if for_get:
        return [f for f in fields.values() if not f.write_only]
    wanted = [str(s).strip().upper() for s in as_list(select)] or ["*", "UF_*"]
    out: dict[str, FieldDef] = {"ID": fields["ID"]}
    for name in wanted:
        if name == "*":
            out.update({f.name: f for f in fields.values()
                        if not f.uf and f.type != "crm_multifield" and not f.write_only})
        elif name == "UF_*":
            out.update({f.name: f for f in fields.values() if f.uf})
        elif name in fields and not fields[name].write_only:
            out[name] = fields[name]
    return list(out.values())


def render_legacy(store: EntityStore, rows: list[dict[str, Any]], select: Any, *, for_get: bool = False
                  ) -> list[dict[str, Any]]:
    names = legacy_names(store, select, for_get=for_get)
    multi = [f.name for f in names if f.type == "crm_multifield"]
    mf = store.multifields([r["ID"] for r in rows], multi)
    out = []
    for row in rows:
        item: dict[str, Any] = {}
        for f in names:
            if f.type == "crm_multifield":
                values = mf.get(row["ID"], {}).get(f.name)
                if values:
                    item[f.name] = values
                continue
            item[f.name] = store.legacy_value(f, row.get(f.name))
        out.append(item)
    return out


def legacy_handlers(reg: Registry, portal: Portal, prefix: str, store_key: str, emit: Emit) -> None:
    store = portal.stores[store_key]
    event = store.kind.event_prefix

    def add(call: Call) -> int:
        fields = fields_param(call.params)
        new_id = store.add(fields, call.caller.user_id)
        emit(event + "ADD", {"ID": new_id})
        return new_id

    def update(call: Call) -> bool:
        the_id = item_id(call.params)
        fields = fields_param(call.params)
        store.update(the_id, fields, call.caller.user_id)
        emit(event + "UPDATE", {"ID": the_id})
        return True

    def get(call: Call) -> dict[str, Any]:
        row = store.row(item_id(call.params))
        if row is None:
            raise legacy_error("Not found")
        return render_legacy(store, [row], None, for_get=True)[0]

    def delete(call: Call) -> bool:
        the_id = item_id(call.params)
        store.delete(the_id)
        emit(event + "DELETE", {"ID": the_id})
        return True

    def list_(call: Call) -> MethodResult:
        p = call.params
        start = _start(p, pages=True)
        rows, total = store.query(ci_get(p, "filter"), ci_get(p, "order"), 0 if start < 0 else start,
                                  strict=False, count=start != -1)
        return page_result(render_legacy(store, rows, ci_get(p, "select")), start, total)

    def fields(call: Call) -> dict[str, Any]:
        return {f.name: field_description(f) for f in store.fields().values()}

    for name, fn in (("add", add), ("update", update), ("get", get), ("delete", delete), ("list", list_),
                     ("fields", fields)):
        reg.add(f"{prefix}.{name}", fn)

    if store.kind.uf_entity_id:
        entity_id = store.kind.uf_entity_id

        def uf_add(call: Call) -> int:
            return portal.ufs.add(entity_id, ci_get(call.params, "fields"), store.kind.uf_prefix)

        def uf_list(call: Call) -> list[dict[str, Any]]:
            return portal.ufs.list(entity_id, ci_get(call.params, "filter"))

        def uf_get(call: Call) -> dict[str, Any]:
            return portal.ufs.get(entity_id, item_id(call.params))

        def uf_update(call: Call) -> bool:
            portal.ufs.update(entity_id, item_id(call.params), ci_get(call.params, "fields"))
            return True

        def uf_delete(call: Call) -> bool:
            portal.ufs.delete(entity_id, item_id(call.params))
            return True

        reg.add(f"{prefix}.userfield.update", uf_update)
        reg.add(f"{prefix}.userfield.delete", uf_delete)
        reg.add(f"{prefix}.userfield.add", uf_add)
        reg.add(f"{prefix}.userfield.list", uf_list)
        reg.add(f"{prefix}.userfield.get", uf_get)


# ---- crm.item ------------------------------------------------------------------------------------------
class ItemView:
    """camelCase, natively typed view of a store row, as ``crm.item.*`` answers."""

    def __init__(self, store: EntityStore, original_uf: bool) -> None:
        self.store = store
        self.original_uf = original_uf

    def key(self, f: FieldDef) -> str:
        if f.uf and self.original_uf:
            return f.name
        return self.store.camel(f.name)

    def render(self, rows: list[dict[str, Any]], select: Any = None) -> list[dict[str, Any]]:
        fields = [f for f in self.store.fields().values() if f.type != "crm_multifield"]
        wanted = [str(s) for s in as_list(select)]
        if wanted and "*" not in wanted:
            resolved = {f.name for f in (self.store.resolve_camel(w) for w in wanted) if f is not None}
            uf_all = any(w.upper() == "UF_*" for w in wanted)
            fields = [f for f in fields if f.name in resolved or f.name == "ID" or (uf_all and f.uf)]
        out = []
        for row in rows:
            item: dict[str, Any] = {}
            for f in fields:
                item[self.key(f)] = self.store.item_value(f, row.get(f.name))
            if self.store.kind.key == "deal" and "contactIds" in item:
                ids = item["contactIds"] or []
                if row.get("CONTACT_ID") and row["CONTACT_ID"] not in ids:
                    ids = [row["CONTACT_ID"], *ids]
                item["contactIds"] = ids
            if self.store.kind.entity_type_id >= 128:
                item["entityTypeId"] = self.store.kind.entity_type_id
            out.append(item)
        return out


def item_handlers(reg: Registry, portal: Portal, emit: Emit) -> None:
    def store_for(params: Mapping[str, Any]) -> EntityStore:
        raw = ci_get(params, "entityTypeId")
        try:
            type_id = store_int(raw)
        except ValueProblem:
            raise BitrixError(400, "NOT_FOUND", "SPA not found") from None
        store = portal.by_type_id.get(type_id)
        if store is None:
            raise BitrixError(400, "NOT_FOUND", "SPA not found")
        return store

    def the_id(params: Mapping[str, Any]) -> int:
        try:
            value = store_int(ci_get(params, "id"))
        except ValueProblem:
            raise BitrixError(400, "NOT_FOUND", "Element not found") from None
        return value

    def view(params: Mapping[str, Any], store: EntityStore) -> ItemView:
        return ItemView(store, php_bool(ci_get(params, "useOriginalUfNames", False)))

    def emit_for(store: EntityStore, action: str, ident: int) -> None:
        if store.kind.entity_type_id >= 128:
            data = {"ID": ident, "ENTITY_TYPE_ID": store.kind.entity_type_id}
            emit(f"ONCRMDYNAMICITEM{action}", data)
            emit(f"ONCRMDYNAMICITEM{action}_{store.kind.entity_type_id}", data)
        else:
            emit(store.kind.event_prefix + action, {"ID": ident})

    def fields_arg(params: Mapping[str, Any]) -> Mapping[str, Any]:
        fields = php_array(ci_get(params, "fields"))
        if not isinstance(fields, Mapping):
            raise BitrixError(400, "INVALID_ARG_VALUE", "Parameter 'fields' must be array.")
        return fields

    def wrap(fn: Callable[[], Any]) -> Any:
        try:
            return fn()
        except BitrixError as exc:
            if exc.code == "":
                if exc.description == "Not found":
                    raise BitrixError(400, "NOT_FOUND", "Element not found") from None
                raise BitrixError(400, "CRM_FIELD_ERROR_VALUE_NOT_VALID", exc.description) from None
            raise

    def get(call: Call) -> dict[str, Any]:
        store = store_for(call.params)
        row = store.row(the_id(call.params))
        if row is None:
            raise BitrixError(400, "NOT_FOUND", "Element not found")
        return {"item": view(call.params, store).render([row])[0]}

    def add(call: Call) -> dict[str, Any]:
        store = store_for(call.params)
        fields = fields_arg(call.params)
        new_id = wrap(lambda: store.add(fields, call.caller.user_id, camel=True))
        emit_for(store, "ADD", new_id)
        row = store.row(new_id) or {}
        return {"item": view(call.params, store).render([row])[0]}

    def update(call: Call) -> dict[str, Any]:
        store = store_for(call.params)
        ident = the_id(call.params)
        fields = fields_arg(call.params)
        moved = wrap(lambda: store.update(ident, fields, call.caller.user_id, camel=True))
        emit_for(store, "UPDATE", ident)
        if moved and store.kind.key == "deal":
            emit("ONCRMDEALMOVETOCATEGORY", {"ID": ident})
        return {"item": view(call.params, store).render([store.row(ident) or {}])[0]}

    def delete(call: Call) -> dict[str, Any]:
        store = store_for(call.params)
        ident = the_id(call.params)
        wrap(lambda: store.delete(ident))
        emit_for(store, "DELETE", ident)
        return {}

    def list_(call: Call) -> MethodResult:
        store = store_for(call.params)
        p = call.params
        start = _start(p, pages=False)
        rows, total = store.query(ci_get(p, "filter"), ci_get(p, "order"), 0 if start < 0 else start,
                                  strict=True, camel=True, count=start != -1)
        items = view(p, store).render(rows, ci_get(p, "select"))
        result = page_result(items, start, total)
        result.result = {"items": items}
        return result

    def fields(call: Call) -> dict[str, Any]:
        store = store_for(call.params)
        v = view(call.params, store)
        return {"fields": {v.key(f): field_description(f, item=True, upper=f.name)
                           for f in store.fields().values() if f.type != "crm_multifield"}}

    for name, fn in (("get", get), ("add", add), ("update", update), ("delete", delete), ("list", list_),
                     ("fields", fields)):
        reg.add(f"crm.item.{name}", fn)


# ---- directories ---------------------------------------------------------------------------------------
def status_row(r: Any) -> dict[str, Any]:
    sem = r["SEMANTICS"]
    extra = {"SEMANTICS": {"S": "success", "F": "failure"}.get(sem or "", "process"), "COLOR": r["COLOR"]}
    return {"ID": str(r["ID"]), "ENTITY_ID": r["ENTITY_ID"], "STATUS_ID": r["STATUS_ID"], "NAME": r["NAME"],
            "NAME_INIT": r["NAME"] if r["SYSTEM"] == "Y" else "", "SORT": str(r["SORT"]),
            "SYSTEM": r["SYSTEM"],
            "CATEGORY_ID": None if r["CATEGORY_ID"] is None else str(r["CATEGORY_ID"]), "COLOR": r["COLOR"],
            "SEMANTICS": sem, "EXTRA": extra}


def directory_handlers(reg: Registry, portal: Portal) -> None:
    def status_list(call: Call) -> MethodResult:
        flt = ci_get(call.params, "filter")
        order = ci_get(call.params, "order")
        where, args = [], []
        if isinstance(flt, Mapping):
            for key, value in flt.items():
                col = str(key).upper().lstrip("=")
                if col not in ("ID", "ENTITY_ID", "STATUS_ID", "NAME", "SORT", "SYSTEM", "CATEGORY_ID",
                               "SEMANTICS"):
                    continue
                if isinstance(value, (list, dict)):
                    values = [str(v) for v in as_list(value)]
                    where.append(f"{col} IN ({','.join('?' * len(values))})")
                    args.extend(values)
                else:
                    where.append(f"{col} = ?")
                    args.append(str(value))
        order_sql = []
        if isinstance(order, Mapping):
            for key, direction in order.items():
                col = str(key).upper()
                if col in ("ID", "ENTITY_ID", "STATUS_ID", "NAME", "SORT"):
                    order_sql.append(f"{col} {'DESC' if str(direction).upper() == 'DESC' else 'ASC'}")
        sql = ("SELECT * FROM statuses" + (f" WHERE {' AND '.join(where)}" if where else "")
               + f" ORDER BY {', '.join(order_sql or ['SORT ASC'])}, ID ASC")
        rows = [status_row(r) for r in portal.conn.execute(sql, args).fetchall()]
        return MethodResult(rows, total=len(rows))

    def status_entity_types(call: Call) -> list[dict[str, Any]]:
        rows = portal.conn.execute("SELECT DISTINCT ENTITY_ID FROM statuses ORDER BY ENTITY_ID").fetchall()
        return [{"ID": r[0], "NAME": r[0]} for r in rows]

    def category_rows(entity_type_id: int) -> list[dict[str, Any]]:
        rows = portal.conn.execute("SELECT * FROM categories WHERE ENTITY_TYPE_ID = ? ORDER BY SORT, ID",
                                   (entity_type_id,)).fetchall()
        return [{"id": r["ID"], "name": r["NAME"], "sort": r["SORT"], "entityTypeId": r["ENTITY_TYPE_ID"],
                 "isDefault": r["IS_DEFAULT"]} for r in rows]

    def category_type(params: Mapping[str, Any]) -> int:
        try:
            type_id = store_int(ci_get(params, "entityTypeId"))
        except ValueProblem:
            raise BitrixError(400, "NOT_FOUND", "SPA not found") from None
        if type_id not in portal.by_type_id:
            raise BitrixError(400, "NOT_FOUND", "SPA not found")
        return type_id

    def category_list(call: Call) -> MethodResult:
        rows = category_rows(category_type(call.params))
        return MethodResult({"categories": rows}, total=len(rows))

    def category_get(call: Call) -> dict[str, Any]:
        rows = category_rows(category_type(call.params))
        wanted = php_int(ci_get(call.params, "id"), -1)
        match = [r for r in rows if r["id"] == wanted]
        if not match:
            raise BitrixError(400, "NOT_FOUND", "Category not found")
        return {"category": match[0]}

    def type_row() -> dict[str, Any]:
        return {"id": SPA_ID, "entityTypeId": SPA_ENTITY_TYPE_ID, "title": "Проекты", "code": "projects",
                "isCategoriesEnabled": "Y", "isStagesEnabled": "Y", "isBeginCloseDatesEnabled": "Y",
                "isClientEnabled": "Y", "isLinkWithProductsEnabled": "N", "isObserversEnabled": "N",
                "isRecyclebinEnabled": "N", "isAutomationEnabled": "Y", "isBizProcEnabled": "Y",
                "isDocumentsEnabled": "N", "isSourceEnabled": "Y", "isUseInUserfieldEnabled": "Y",
                "isMycompanyEnabled": "N", "isPaymentsEnabled": "N", "isCountersEnabled": "N",
                "createdBy": 1, "customSectionId": None, "relations": {"parent": [], "child": []},
                "defaultCategoryId": SPA_CATEGORY_ID}

    def type_list(call: Call) -> MethodResult:
        return MethodResult({"types": [type_row()]}, total=1)

    def type_get(call: Call) -> dict[str, Any]:
        if php_int(ci_get(call.params, "id"), -1) != SPA_ID:
            raise BitrixError(400, "NOT_FOUND", "SPA not found")
        return {"type": type_row()}

    def type_by_entity(call: Call) -> dict[str, Any]:
        if php_int(ci_get(call.params, "entityTypeId"), -1) != SPA_ENTITY_TYPE_ID:
            raise BitrixError(400, "NOT_FOUND", "SPA not found")
        return {"type": type_row()}

    def currency_list(call: Call) -> list[dict[str, Any]]:
        rows = (("RUB", "Российский рубль", "# ₽", "1.0000", "Y", 100),
                ("USD", "Доллар США", "$#", "90.0000", "N", 200),
                ("EUR", "Евро", "€#", "98.0000", "N", 300))
        return [{"CURRENCY": code, "AMOUNT_CNT": 1, "AMOUNT": rate, "SORT": sort, "BASE": base,
                 "FULL_NAME": name, "LID": "ru", "FORMAT_STRING": fmt, "DEC_POINT": ",", "THOUSANDS_SEP": " ",
                 "DECIMALS": 2, "DATE_UPDATE": "2026-01-12T09:30:00+03:00", "LANG": {}}
                for code, name, fmt, rate, base, sort in rows]

    reg.add("crm.currency.list", currency_list)
    reg.add("crm.status.list", status_list)
    reg.add("crm.status.entity.types", status_entity_types)
    reg.add("crm.category.list", category_list)
    reg.add("crm.category.get", category_get)
    reg.add("crm.type.list", type_list)
    reg.add("crm.type.get", type_get)
    reg.add("crm.type.getByEntityTypeId", type_by_entity)


def register_crm(reg: Registry, portal: Portal, emit: Emit) -> None:
    for prefix, key in (("crm.deal", "deal"), ("crm.lead", "lead"), ("crm.contact", "contact"),
                        ("crm.company", "company"), ("crm.product", "product")):
        legacy_handlers(reg, portal, prefix, key, emit)
    item_handlers(reg, portal, emit)
    directory_handlers(reg, portal)
