"""``user.*`` and ``department.*``: the portal's employees and structure (a small set, filtered in Python)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from sync_engine.sandbox.bitrix24.dispatch import Call, Registry
from sync_engine.sandbox.bitrix24.envelope import BitrixError, MethodResult
from sync_engine.sandbox.bitrix24.phpquery import as_list, ci_get, php_int
from sync_engine.sandbox.bitrix24.portal import Portal
from sync_engine.sandbox.bitrix24.query import split_operator

_USER_PARAMS = {"sort", "order", "filter", "admin_mode", "select", "start", "find", "auth"}


def _users(portal: Portal) -> list[dict[str, Any]]:
    rows = portal.conn.execute("SELECT DATA FROM users ORDER BY ID").fetchall()
    return [dict(json.loads(r[0])) for r in rows]


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "Y" if value else "N"
    return str(value)


def _matches(user: dict[str, Any], key: str, expected: Any) -> bool:
    op, name = split_operator(key)
    name = name.upper()
    if name == "NAME_SEARCH" or name == "FIND":
        needle = str(expected).lower()
        hay = " ".join(str(user.get(k, "")) for k in ("NAME", "LAST_NAME", "SECOND_NAME", "EMAIL",
                                                      "WORK_POSITION"))
        return all(part in hay.lower() for part in needle.split())
    if name == "UF_DEPARTMENT_NAME":
        return True  # resolved by the caller (needs the department table)
    value = user.get(name)
    if name == "ACTIVE":
        want = str(expected).strip().upper() in ("Y", "1", "TRUE")
        return (value is True) == want if op in ("=",) else (value is True) != want
    if isinstance(value, list):
        many = isinstance(expected, (list, dict))
        wanted = {str(v) for v in as_list(expected)} if many else {str(expected)}
        hit = any(str(v) in wanted for v in value)
        return not hit if op.startswith("!") else hit
    text = "" if value is None else _text(value)
    if isinstance(expected, (list, dict)):
        hit = text in {str(v) for v in as_list(expected)}
        return not hit if op.startswith("!") else hit
    exp = str(expected)
    if op in ("%", "=%", "%="):
        return exp.strip("%").lower() in text.lower()
    if op in ("!%", "!=%", "!%="):
        return exp.strip("%").lower() not in text.lower()
    if op in ("!", "!="):
        return text != exp
    if op in (">", ">=", "<", "<="):
        a: Any = text
        b: Any = exp
        if text.lstrip("-").isdigit() and exp.lstrip("-").isdigit():
            a, b = int(text), int(exp)
        return {">": a > b, ">=": a >= b, "<": a < b, "<=": a <= b}[op]
    return text.lower() == exp.lower() if name in ("EMAIL",) else text == exp


def _department_ids_by_name(portal: Portal, name: str) -> set[int]:
    rows = portal.conn.execute("SELECT ID, NAME FROM departments").fetchall()
    return {int(r[0]) for r in rows if name.lower() in str(r[1]).lower()}


def register_people(reg: Registry, portal: Portal) -> None:
    def filter_users(flt: Mapping[str, Any]) -> list[dict[str, Any]]:
        users = _users(portal)
        if "ACTIVE" not in {split_operator(str(k))[1].upper() for k in flt}:
            pass
        for key, value in flt.items():
            name = split_operator(str(key))[1].upper()
            if name == "UF_DEPARTMENT_NAME":
                ids = _department_ids_by_name(portal, str(value))
                users = [u for u in users if set(u.get("UF_DEPARTMENT", [])) & ids]
                continue
            users = [u for u in users if _matches(u, str(key), value)]
        return users

    def user_filter(params: Mapping[str, Any]) -> dict[str, Any]:
        flt = ci_get(params, "filter")
        out: dict[str, Any] = dict(flt) if isinstance(flt, Mapping) else {}
        for key, value in params.items():
            if str(key).lower() not in _USER_PARAMS:
                out[str(key)] = value
        find = ci_get(params, "find")
        if find:
            out["NAME_SEARCH"] = find
        return out

    def sorted_users(users: list[dict[str, Any]], params: Mapping[str, Any]) -> list[dict[str, Any]]:
        sort = str(ci_get(params, "sort") or "ID").upper()
        desc = str(ci_get(params, "order") or "ASC").upper() == "DESC"

        def key(u: dict[str, Any]) -> Any:
            v = u.get(sort)
            return (0, int(v)) if isinstance(v, str) and v.isdigit() else (1, str(v or ""))

        return sorted(users, key=key, reverse=desc)

    def paged(users: list[dict[str, Any]], params: Mapping[str, Any]) -> MethodResult:
        start = max(php_int(ci_get(params, "start", 0)), 0)
        start -= start % 50  # page-based navigation, as CUser::GetList with iNumPage
        page = users[start:start + 50]
        select = [str(s).upper() for s in as_list(ci_get(params, "select"))]
        if select and "*" not in select:
            page = [{k: v for k, v in u.items() if k in select or k == "ID"} for u in page]
        nxt = start + 50 if start + 50 < len(users) else None
        return MethodResult(page, total=len(users), next=nxt)

    def user_get(call: Call) -> MethodResult:
        flt = user_filter(call.params)
        return paged(sorted_users(filter_users(flt), call.params), call.params)

    def user_search(call: Call) -> MethodResult:
        return user_get(call)

    def user_current(call: Call) -> dict[str, Any]:
        for user in _users(portal):
            if user["ID"] == str(call.caller.user_id):
                return user
        raise BitrixError(401, "NO_AUTH_FOUND", "Wrong authorization data")

    def department_row(r: Any) -> dict[str, Any]:
        out: dict[str, Any] = {"ID": str(r["ID"]), "NAME": r["NAME"], "SORT": r["SORT"]}
        if r["PARENT"] is not None:
            out["PARENT"] = str(r["PARENT"])
        if r["UF_HEAD"] is not None:
            out["UF_HEAD"] = str(r["UF_HEAD"])
        return out

    def department_get(call: Call) -> MethodResult:
        p = call.params
        where, args = [], []
        for col in ("ID", "NAME", "SORT", "PARENT", "UF_HEAD"):
            value = ci_get(p, col)
            if value is None:
                flt = ci_get(p, "filter")
                value = ci_get(flt, col) if isinstance(flt, Mapping) else None
            if value is None:
                continue
            if isinstance(value, (list, dict)):
                items = [str(v) for v in as_list(value)]
                where.append(f"CAST({col} AS TEXT) IN ({','.join('?' * len(items))})")
                args.extend(items)
            elif col == "NAME":
                where.append("instr(ulower(NAME), ulower(?)) > 0")
                args.append(str(value))
            else:
                where.append(f"CAST({col} AS TEXT) = ?")
                args.append(str(value))
        sort = str(ci_get(p, "sort") or "SORT").upper()
        if sort not in ("ID", "NAME", "SORT", "PARENT", "UF_HEAD"):
            sort = "SORT"
        direction = "DESC" if str(ci_get(p, "order") or "ASC").upper() == "DESC" else "ASC"
        sql = ("SELECT * FROM departments" + (f" WHERE {' AND '.join(where)}" if where else "")
               + f" ORDER BY {sort} {direction}, ID ASC")
        rows = [department_row(r) for r in portal.conn.execute(sql, args).fetchall()]
        start = max(php_int(ci_get(p, "start", 0)), 0)
        page = rows[start:start + 50]
        return MethodResult(page, total=len(rows), next=start + 50 if start + 50 < len(rows) else None)

    def dep_int(p: Mapping[str, Any], name: str, required: bool) -> int | None:
        raw = ci_get(p, name)
        if raw in (None, ""):
            if required:
                raise BitrixError(400, "ERROR_CORE", f"Parameter {name} is required")
            return None
        value = php_int(raw, -1)
        if value < 0 or not str(raw).strip().lstrip("+").isdigit():
            raise BitrixError(400, "ERROR_CORE", f"Parameter {name} must be a number")
        return value

    def department_exists(dep_id: int) -> bool:
        return portal.conn.execute("SELECT 1 FROM departments WHERE ID = ?", (dep_id,)).fetchone() is not None

    def department_add(call: Call) -> int:
        p = call.params
        name = str(ci_get(p, "NAME") or "").strip()
        if not name:
            raise BitrixError(400, "ERROR_CORE", "Parameter NAME is required")
        parent = dep_int(p, "PARENT", True)
        if parent is not None and not department_exists(parent):
            raise BitrixError(400, "ERROR_CORE", "Parent department not found")
        sort = dep_int(p, "SORT", False) or 500
        head = dep_int(p, "UF_HEAD", False)
        cur = portal.conn.execute("INSERT INTO departments (NAME, SORT, PARENT, UF_HEAD) VALUES (?,?,?,?)",
                                  (name, sort, parent, head))
        return int(cur.lastrowid or 0)

    def department_update(call: Call) -> bool:
        p = call.params
        dep_id = dep_int(p, "ID", True)
        assert dep_id is not None
        if not department_exists(dep_id):
            raise BitrixError(400, "ERROR_NOT_FOUND", "Department not found")
        sets: dict[str, Any] = {}
        if ci_get(p, "NAME") not in (None, ""):
            sets["NAME"] = str(ci_get(p, "NAME"))
        for col in ("SORT", "PARENT", "UF_HEAD"):
            value = dep_int(p, col, False)
            if value is not None:
                sets[col] = value
        if sets:
            assignments = ", ".join(f"{c} = ?" for c in sets)
            portal.conn.execute(f"UPDATE departments SET {assignments} WHERE ID = ?",
                                (*sets.values(), dep_id))
        return True

    def department_delete(call: Call) -> bool:
        dep_id = dep_int(call.params, "ID", True)
        assert dep_id is not None
        if not department_exists(dep_id):
            raise BitrixError(400, "ERROR_NOT_FOUND", "Department not found")
        portal.conn.execute("DELETE FROM departments WHERE ID = ?", (dep_id,))
        return True

    def department_fields(call: Call) -> dict[str, str]:
        return {"ID": "ID", "NAME": "Название", "SORT": "Сортировка", "PARENT": "Родительское подразделение",
                "UF_HEAD": "Руководитель"}

    def user_admin(call: Call) -> bool:
        return call.caller.user_id == 1  # the CEO's account runs the portal, as in the demo company

    reg.add("user.admin", user_admin)
    reg.add("user.get", user_get)
    reg.add("user.search", user_search)
    reg.add("user.current", user_current)
    reg.add("department.get", department_get)
    reg.add("department.add", department_add)
    reg.add("department.update", department_update)
    reg.add("department.delete", department_delete)
    reg.add("department.fields", department_fields)
