"""``user.*`` and ``user.userfield.*``: employees, invitations, dismissal and custom profile fields.

Follows the REST docs (api-reference/user): ``user.get`` filters on any profile field with the usual
prefixes plus UF_DEPARTMENT, ACTIVE, USER_TYPE, NAME_SEARCH; pages of 50 snapped to the page start;
custom ``UF_USR_*`` fields only with ``select: ["UF_*"]`` or by name. ``user.add`` invites (EMAIL and,
for an intranet user, UF_DEPARTMENT) and raises ONUSERADD; ``user.update`` dismisses with ACTIVE=N.
Only administrators may invite, edit profiles and manage custom fields.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

from sync_engine.sandbox.bitrix24.dispatch import Call, Registry
from sync_engine.sandbox.bitrix24.envelope import BitrixError, MethodResult, legacy_error
from sync_engine.sandbox.bitrix24.files import FileProblem, LinkSigner, decode_file
from sync_engine.sandbox.bitrix24.paging import paged
from sync_engine.sandbox.bitrix24.phpquery import as_list, ci_get, php_bool, php_int
from sync_engine.sandbox.bitrix24.portal import Portal
from sync_engine.sandbox.bitrix24.pyfilter import Kind, apply_filter, sort_rows
from sync_engine.sandbox.bitrix24.query import split_operator
from sync_engine.sandbox.bitrix24.schema import FieldDef
from sync_engine.sandbox.bitrix24.users import (
    DATE_FIELDS,
    USER_FIELDS,
    WRITABLE,
    all_users,
    blank_user,
    department_ids,
    get_user,
    next_user_id,
    save_user,
)
from sync_engine.sandbox.bitrix24.values import ValueProblem, now_iso, store_date, store_float

EmitData = Callable[[str, dict[str, Any], Any], None]
_RESERVED = {"sort", "order", "filter", "admin_mode", "select", "start", "find", "auth", "image_resize"}
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_UF_KINDS: dict[str, Kind] = {"integer": "int", "double": "str", "boolean": "bool", "date": "date",
                              "datetime": "date", "employee": "int", "enumeration": "int"}


def _base_kinds() -> dict[str, Kind]:
    kinds: dict[str, Kind] = {name: "str" for name in USER_FIELDS}
    kinds.update({"ID": "int", "ACTIVE": "bool", "UF_DEPARTMENT": "int", "EMAIL": "istr"})
    kinds.update({name: "date" for name in DATE_FIELDS})
    return kinds


def _date_or_empty(value: Any) -> str:
    if value in (None, ""):
        return ""
    try:
        return store_date(value)
    except ValueProblem as exc:
        raise BitrixError(400, "ERROR_CORE", f"Invalid date: {value}") from exc


class UserMethods:
    def __init__(self, portal: Portal, emit: EmitData, signer: LinkSigner) -> None:
        self.portal = portal
        self.emit = emit
        self.signer = signer

    # ---- custom fields ------------------------------------------------------------------------------
    def uf_defs(self) -> list[FieldDef]:
        return self.portal.ufs.defs("USER")

    def uf_value(self, f: FieldDef, value: Any) -> Any:
        """Check and store one custom field value (strings, as the portal returns them)."""
        def one(v: Any) -> Any:
            if v in (None, ""):
                return None
            if isinstance(v, dict | list):
                raise BitrixError(400, "ERROR_CORE", f"Field {f.name}: an array is not allowed here")
            text = str(v).strip()
            try:
                if f.type in ("integer", "employee"):
                    if not re.fullmatch(r"[+-]?\d+", text):
                        raise ValueProblem(f"'{v}' is not an integer")
                    if f.type == "employee" and get_user(self.portal, text) is None:
                        raise ValueProblem(f"user {text} does not exist")
                    return str(int(text))
                if f.type == "double":
                    return str(store_float(text))
                if f.type == "boolean":
                    return "1" if text.upper() in ("Y", "1", "TRUE") else "0"
                if f.type == "date":
                    return store_date(text)[:10]
                if f.type == "datetime":
                    return store_date(text) if len(text) <= 10 else text
                if f.type == "enumeration":
                    if text not in {i["ID"] for i in f.items}:
                        raise ValueProblem(f"'{v}' is not an item of the list")
                    return text
            except ValueProblem as exc:
                raise BitrixError(400, "ERROR_CORE", f"Field {f.name}: {exc}") from exc
            return str(v)

        if f.multiple:
            items = [one(v) for v in as_list(value)] if isinstance(value, list | dict) else [one(value)]
            return [i for i in items if i is not None]
        if isinstance(value, list | dict) and f.type != "file":
            values = as_list(value)
            value = values[0] if values else None
        return one(value)

    # ---- views --------------------------------------------------------------------------------------
    def view(self, user: Mapping[str, Any], select: list[str]) -> dict[str, Any]:
        custom = {f.name for f in self.uf_defs()}
        want_all_custom = "UF_*" in select
        named = {s for s in select if s not in ("*", "UF_*")}
        standard = not select or "*" in select
        out: dict[str, Any] = {}
        for key, value in user.items():
            if key.startswith("_"):
                continue
            if key in custom:
                if not (want_all_custom or key in named):
                    continue
            elif not (standard or key in named or key == "ID"):
                continue
            out[key] = value
        photo = user.get("_PHOTO")
        if photo and "PERSONAL_PHOTO" in out:
            stored = self.portal.blob(int(photo))
            out["PERSONAL_PHOTO"] = self.signer.blob_url(int(photo), stored[0]) if stored else None
        if out.get("PERSONAL_PHOTO") is None:
            out.pop("PERSONAL_PHOTO", None)
        if want_all_custom or named & custom:
            for f in self.uf_defs():
                if (want_all_custom or f.name in named) and f.name not in out:
                    out[f.name] = [] if f.multiple else None
        return out

    def kinds(self) -> dict[str, Kind]:
        kinds = _base_kinds()
        for f in self.uf_defs():
            kinds[f.name] = _UF_KINDS.get(f.type, "str")
        return kinds

    # ---- queries ------------------------------------------------------------------------------------
    def filtered(self, params: Mapping[str, Any]) -> list[dict[str, Any]]:
        raw = ci_get(params, "filter")
        flt: dict[str, Any] = dict(raw) if isinstance(raw, Mapping) else {}
        for key, value in params.items():
            if str(key).lower() not in _RESERVED:
                flt.setdefault(str(key), value)
        find = ci_get(params, "find")
        users = all_users(self.portal)
        search = None
        for key in list(flt):
            name = split_operator(key)[1].upper()
            if name in ("NAME_SEARCH", "FIND"):
                search = flt.pop(key)
            elif name == "UF_DEPARTMENT_NAME":
                wanted = str(flt.pop(key)).lower()
                ids = {int(r[0]) for r in self.portal.conn.execute("SELECT ID, NAME FROM departments")
                       if wanted in str(r[1]).lower()}
                users = [u for u in users if set(u.get("UF_DEPARTMENT") or []) & ids]
        if find not in (None, ""):
            search = find
        if search not in (None, ""):
            parts = str(search).lower().split()
            names = {int(r[0]): str(r[1]) for r in self.portal.conn.execute("SELECT ID, NAME FROM departments")}

            def hay(u: Mapping[str, Any]) -> str:
                deps = " ".join(names.get(int(d), "") for d in u.get("UF_DEPARTMENT") or [])
                return " ".join(str(u.get(k) or "") for k in ("NAME", "LAST_NAME", "SECOND_NAME", "EMAIL",
                                                              "WORK_POSITION")).lower() + " " + deps.lower()

            users = [u for u in users if all(p in hay(u) for p in parts)]
        return [dict(u) for u in apply_filter(users, flt, self.kinds())]

    def page(self, params: Mapping[str, Any]) -> MethodResult:
        users = self.filtered(params)
        sort = str(ci_get(params, "sort") or "ID").strip().upper()
        desc = str(ci_get(params, "order") or "ASC").strip().upper() == "DESC"
        users = [dict(u) for u in sort_rows(users, {sort: "DESC" if desc else "ASC"}, self.kinds())]
        select = [str(s).strip().upper() for s in as_list(ci_get(params, "select"))]
        return paged(users, ci_get(params, "start", 0), lambda page: [self.view(u, select) for u in page])

    # ---- writes -------------------------------------------------------------------------------------
    def apply(self, user: dict[str, Any], params: Mapping[str, Any], *, adding: bool) -> None:
        custom = {f.name: f for f in self.uf_defs()}
        for raw_key, value in params.items():
            key = str(raw_key).upper()
            if key in custom:
                user[key] = self.uf_value(custom[key], value)
                continue
            if key not in WRITABLE:
                continue
            if key == "ACTIVE":
                user["ACTIVE"] = php_bool(value) if not isinstance(value, str) else \
                    value.strip().upper() in ("Y", "1", "TRUE")
            elif key == "UF_DEPARTMENT":
                ids = [php_int(v, -1) for v in as_list(value)] if isinstance(value, list | dict) \
                    else [php_int(value, -1)] if value not in (None, "") else []
                known = department_ids(self.portal)
                if any(i not in known for i in ids):
                    raise BitrixError(400, "ERROR_CORE", "Department not found")
                user["UF_DEPARTMENT"] = ids
            elif key == "PERSONAL_PHOTO":
                self._photo(user, value)
            elif key == "EMAIL":
                email = str(value or "").strip()
                if not _EMAIL.match(email):
                    raise BitrixError(400, "ERROR_ARGUMENT", "wrong_email", {"argument": ""})
                clash = next((u for u in all_users(self.portal)
                              if str(u.get("EMAIL", "")).lower() == email.lower() and u["ID"] != user["ID"]), None)
                if clash is not None:
                    if adding:
                        raise BitrixError(400, "ERROR_ARGUMENT", "A user with this email already exists",
                                          {"argument": ""})
                    raise BitrixError(400, "ERROR_CORE", f"User with this e-mail ({email}) already exists.<br>")
                user["EMAIL"] = email
            elif key in DATE_FIELDS:
                user[key] = _date_or_empty(value)
            elif isinstance(value, list | dict):
                raise BitrixError(400, "ERROR_CORE", f"Field {key}: an array is not allowed here")
            else:
                user[key] = "" if value is None else str(value)

    def _photo(self, user: dict[str, Any], value: Any) -> None:
        if value in (None, "", [], {}) or (isinstance(value, Mapping) and str(ci_get(value, "del")).upper() == "Y"):
            user["PERSONAL_PHOTO"] = None
            user.pop("_PHOTO", None)
            return
        try:
            content = decode_file(value)
        except FileProblem as exc:
            raise BitrixError(400, "ERROR_CORE", f"PERSONAL_PHOTO: {exc}") from exc
        if not content.content_type.startswith("image/"):
            raise BitrixError(400, "ERROR_CORE", "PERSONAL_PHOTO: the file is not an image")
        blob = self.portal.add_blob(content.name, content.data, content.content_type)
        user["_PHOTO"] = blob
        user["PERSONAL_PHOTO"] = None  # the signed link is made when the profile is read


def register_users(reg: Registry, portal: Portal, emit: EmitData, signer: LinkSigner) -> None:
    m = UserMethods(portal, emit, signer)

    def need_admin(call: Call, code: str = "ERROR_CORE", text: str = "access_denied") -> None:
        if not call.caller.admin:
            raise BitrixError(400, code, text)

    def user_get(call: Call) -> MethodResult:
        return m.page(call.params)

    def user_current(call: Call) -> dict[str, Any]:
        user = get_user(portal, call.caller.user_id)
        if user is None:
            raise BitrixError(401, "NO_AUTH_FOUND", "Wrong authorization data")
        return m.view(user, [])

    def user_fields(call: Call) -> dict[str, str]:
        return dict(USER_FIELDS)

    def user_add(call: Call) -> int:
        need_admin(call)
        p = {str(k).upper(): v for k, v in call.params.items()}
        email = str(p.get("EMAIL") or "").strip()
        if not _EMAIL.match(email):
            raise BitrixError(400, "ERROR_ARGUMENT", "wrong_email", {"argument": ""})
        extranet = str(p.get("EXTRANET") or "").upper() == "Y"
        if extranet and not as_list(p.get("SONET_GROUP_ID")):
            raise BitrixError(400, "ERROR_ARGUMENT", "no_extranet_field", {"argument": ""})
        if not extranet and not as_list(p.get("UF_DEPARTMENT")):
            raise BitrixError(400, "ERROR_ARGUMENT", "no_department_field", {"argument": ""})
        user_id = next_user_id(portal)
        user = blank_user(user_id)
        user["DATE_REGISTER"] = now_iso()
        user["USER_TYPE"] = "extranet" if extranet else "employee"
        m.apply(user, {k: v for k, v in p.items() if k not in ("EXTRANET", "SONET_GROUP_ID")}, adding=True)
        user["XML_ID"] = user.get("XML_ID") or ""
        save_user(portal, user)
        portal.set_meta("seq:user", str(user_id))
        portal.add_record("invite", {"USER_ID": str(user_id), "EMAIL": email, "INVITED_BY": str(call.caller.user_id),
                                     "DATE": now_iso()})
        shown = {k: user.get(k) for k in ("ID", "EMAIL", "NAME", "LAST_NAME", "PERSONAL_GENDER",
                                          "PERSONAL_BIRTHDAY", "UF_DEPARTMENT", "DATE_REGISTER", "WORK_POSITION",
                                          "UF_EMPLOYMENT_DATE")}
        emit("ONUSERADD", {"ACTIVE": "Y", **shown, "ID": user_id}, user_id)
        return user_id

    def user_update(call: Call) -> bool:
        need_admin(call)
        p = {str(k).upper(): v for k, v in call.params.items()}
        user = get_user(portal, p.get("ID")) if str(p.get("ID") or "").strip().isdigit() else None
        if user is None:
            raise BitrixError(400, "ERROR_CORE", "access_denied")
        m.apply(user, {k: v for k, v in p.items() if k != "ID"}, adding=False)
        save_user(portal, user)
        return True

    # ---- user.userfield.* ---------------------------------------------------------------------------
    def uf_admin(call: Call) -> None:
        if not call.caller.admin:
            raise legacy_error("Access denied.")

    def uf_id(call: Call) -> int:
        raw = ci_get(call.params, "id")
        if raw in (None, "") or not str(raw).strip().isdigit() or int(str(raw)) <= 0:
            raise legacy_error("ID is not defined or invalid")
        return int(str(raw))

    def uf_add(call: Call) -> int:
        uf_admin(call)
        fields = ci_get(call.params, "fields")
        if isinstance(fields, Mapping) and ci_get(fields, "FIELD_NAME") not in (None, "") \
                and ci_get(fields, "USER_TYPE_ID") in (None, ""):
            raise BitrixError(400, "ERROR_ARGUMENT", "Argument 'USER_TYPE_ID' is null or empty")
        return portal.ufs.add("USER", fields, "UF_USR_")

    def uf_list(call: Call) -> MethodResult:
        uf_admin(call)
        rows = [portal.ufs.describe(r) for r in portal.ufs._rows("USER")]
        kinds: dict[str, Kind] = {"ID": "int", "FIELD_NAME": "str", "USER_TYPE_ID": "str", "XML_ID": "str",
                                  "SORT": "int", "MULTIPLE": "str", "MANDATORY": "str", "SHOW_FILTER": "str",
                                  "SHOW_IN_LIST": "str", "EDIT_IN_LIST": "str", "IS_SEARCHABLE": "str"}
        flt = ci_get(call.params, "filter")
        if isinstance(flt, Mapping):
            flt = {k: v for k, v in flt.items() if str(k).upper() != "LANG"}
        rows = [dict(r) for r in apply_filter(rows, flt, kinds)]
        rows = [dict(r) for r in sort_rows(rows, ci_get(call.params, "order"), kinds)]
        return MethodResult(rows, total=len(rows))

    def uf_update(call: Call) -> bool:
        uf_admin(call)
        field_id = uf_id(call)
        row = portal.conn.execute("SELECT ENTITY_ID FROM userfields WHERE ID = ?", (field_id,)).fetchone()
        if row is None or row[0] != "USER":
            raise legacy_error("Access denied.")
        fields = ci_get(call.params, "fields")
        portal.ufs.update("USER", field_id, fields if fields is not None else {})
        return True

    def uf_delete(call: Call) -> bool:
        uf_admin(call)
        field_id = uf_id(call)
        row = portal.conn.execute("SELECT ENTITY_ID, FIELD_NAME FROM userfields WHERE ID = ?",
                                  (field_id,)).fetchone()
        if row is None or row[0] != "USER":
            raise legacy_error("Access denied.")
        portal.ufs.delete("USER", field_id)
        name = str(row[1])
        for user in all_users(portal):  # the field disappears from every profile
            if name in user:
                del user[name]
                save_user(portal, user)
        return True

    def user_admin(call: Call) -> bool:
        return call.caller.admin

    reg.add("user.admin", user_admin)
    reg.add("user.get", user_get)
    reg.add("user.search", user_get)
    reg.add("user.current", user_current)
    reg.add("user.fields", user_fields)
    reg.add("user.add", user_add)
    reg.add("user.update", user_update)
    reg.add("user.userfield.add", uf_add)
    reg.add("user.userfield.list", uf_list)
    reg.add("user.userfield.update", uf_update)
    reg.add("user.userfield.delete", uf_delete)

