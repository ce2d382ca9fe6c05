"""``department.*``: the company structure (an iblock section tree on the portal).

The portal's rules: exactly one top-level department ("There can only be one top-level department
in the company structure"), a department cannot be moved under itself or its own sub-department,
the parent must exist, the head must be a user. Errors are ``ERROR_CORE`` with the iblock's wording
(``<br>``-terminated where CIBlockSection produced them). Deleting removes the sub-departments too
(CIBlockSection::Delete), but not while any of them still has employees.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sync_engine.sandbox.bitrix24.dispatch import Call, Registry
from sync_engine.sandbox.bitrix24.envelope import BitrixError, MethodResult
from sync_engine.sandbox.bitrix24.paging import paged
from sync_engine.sandbox.bitrix24.phpquery import as_list, ci_get, php_int
from sync_engine.sandbox.bitrix24.portal import Portal
from sync_engine.sandbox.bitrix24.users import all_users, get_user

_COLUMNS = ("ID", "NAME", "SORT", "PARENT", "UF_HEAD")
ONE_ROOT = "There can only be one top-level department in the company structure"
NOT_FOUND = "Department not found"
BAD_PARENT = "Incorrect parent section!<br>"
RECURSION = "Cannot move a section into itself or into its subsection!<br>"
HAS_EMPLOYEES = "You cannot delete a department that has employees."


def _err(text: str) -> BitrixError:
    return BitrixError(400, "ERROR_CORE", text)


def department_row(r: Any) -> dict[str, Any]:
    out: dict[str, Any] = {"ID": str(r["ID"]), "NAME": r["NAME"], "SORT": int(r["SORT"] or 0)}
    if r["PARENT"] is not None:
        out["PARENT"] = str(r["PARENT"])
    if r["UF_HEAD"] is not None:
        out["UF_HEAD"] = str(r["UF_HEAD"])
    return out


class Structure:
    def __init__(self, portal: Portal) -> None:
        self.portal = portal

    def parents(self) -> dict[int, int | None]:
        return {int(r[0]): (int(r[1]) if r[1] is not None else None)
                for r in self.portal.conn.execute("SELECT ID, PARENT FROM departments")}

    def exists(self, dep_id: int) -> bool:
        return dep_id in self.parents()

    def root(self) -> int | None:
        return next((d for d, p in self.parents().items() if p is None), None)

    def subtree(self, dep_id: int) -> set[int]:
        parents = self.parents()
        out = {dep_id}
        grew = True
        while grew:
            grew = False
            for d, p in parents.items():
                if p in out and d not in out:
                    out.add(d)
                    grew = True
        return out


def _int_param(p: Mapping[str, Any], name: str) -> int | None:
    """An optional integer parameter; a non-number is the portal's ERROR_CORE, not a 500."""
    raw = ci_get(p, name)
    if raw is None or (isinstance(raw, str) and raw.strip() == ""):
        return None
    if isinstance(raw, list | dict) or not str(raw).strip().lstrip("+").isdigit():
        raise _err(f"Parameter {name} must be a number")
    return php_int(raw)


def register_departments(reg: Registry, portal: Portal) -> None:
    tree = Structure(portal)

    def need_admin(call: Call) -> None:
        if not call.caller.admin:
            raise _err("Access denied")

    def check_head(head: int | None) -> None:
        if head is not None and head != 0 and get_user(portal, head) is None:
            raise _err("The user specified as the department head does not exist")

    def department_get(call: Call) -> MethodResult:
        p = {str(k).upper(): v for k, v in call.params.items()}  # array_change_key_case, as the portal
        flt = ci_get(p, "filter")
        # "sort" and the SORT filter share a key once upper-cased: a field name means "order by"
        sort_key = str(p.pop("SORT", "") if str(p.get("SORT", "")).strip().upper() in _COLUMNS else "SORT").upper()
        where, args = [], []
        for col in _COLUMNS:
            value = ci_get(p, col)
            if value is None and isinstance(flt, Mapping):
                value = ci_get(flt, col)
            if value is None:
                continue
            if isinstance(value, list | dict):
                items = [str(v) for v in as_list(value)]
                if not items:
                    continue
                where.append(f"CAST({col} AS TEXT) IN ({','.join('?' * len(items))})")
                args.extend(items)
            elif col == "NAME":
                where.append("NAME = ?")  # the full name, as the docs say
                args.append(str(value))
            else:
                where.append(f"CAST({col} AS TEXT) = ?")
                args.append(str(php_int(value, -1)) if col != "NAME" else str(value))
        sort = sort_key.strip() if sort_key.strip() in _COLUMNS else "SORT"
        direction = "DESC" if str(ci_get(p, "order") or "ASC").strip().upper() == "DESC" else "ASC"
        sql = ("SELECT * FROM departments" + (f" WHERE {' AND '.join(where)}" if where else "")
               + f" ORDER BY {sort} {direction}, ID ASC")
        rows = [department_row(r) for r in portal.conn.execute(sql, args).fetchall()]
        return paged(rows, ci_get(p, "start", 0))

    def department_add(call: Call) -> int:
        need_admin(call)
        p = call.params
        name = ci_get(p, "NAME")
        if not isinstance(name, str | int) or not str(name).strip():
            raise _err("Department name not provided.<br>")
        parent = _int_param(p, "PARENT")
        if not parent:
            if tree.root() is not None:
                raise _err(ONE_ROOT)
            parent = None
        elif not tree.exists(parent):
            raise _err(BAD_PARENT)
        sort = _int_param(p, "SORT")
        head = _int_param(p, "UF_HEAD")
        check_head(head)
        cur = portal.conn.execute("INSERT INTO departments (NAME, SORT, PARENT, UF_HEAD) VALUES (?,?,?,?)",
                                  (str(name).strip(), 500 if sort is None else sort, parent, head or None))
        return int(cur.lastrowid or 0)

    def department_update(call: Call) -> bool:
        need_admin(call)
        p = call.params
        dep_id = _int_param(p, "ID")
        if dep_id is None or not tree.exists(dep_id):
            raise _err(NOT_FOUND)
        sets: dict[str, Any] = {}
        name = ci_get(p, "NAME")
        if name is not None:
            if not isinstance(name, str | int) or not str(name).strip():
                raise _err("Department name not provided.<br>")
            sets["NAME"] = str(name).strip()
        sort = _int_param(p, "SORT")
        if sort is not None:
            sets["SORT"] = sort
        if ci_get(p, "PARENT") is not None:
            parent = _int_param(p, "PARENT")
            if not parent:
                root = tree.root()
                if root is not None and root != dep_id:
                    raise _err(ONE_ROOT)
                sets["PARENT"] = None
            else:
                if not tree.exists(parent):
                    raise _err(BAD_PARENT)
                if parent in tree.subtree(dep_id):
                    raise _err(RECURSION)
                sets["PARENT"] = parent
        if ci_get(p, "UF_HEAD") is not None:
            head = _int_param(p, "UF_HEAD")
            check_head(head)
            sets["UF_HEAD"] = head or None
        if sets:
            assignments = ", ".join(f"{c} = ?" for c in sets)
            portal.conn.execute(f"UPDATE departments SET {assignments} WHERE ID = ?", (*sets.values(), dep_id))
        return True

    def department_delete(call: Call) -> bool:
        need_admin(call)
        dep_id = _int_param(call.params, "ID")
        if dep_id is None or not tree.exists(dep_id):
            raise _err(NOT_FOUND)
        doomed = tree.subtree(dep_id)
        if any(set(u.get("UF_DEPARTMENT") or []) & doomed for u in all_users(portal) if u.get("ACTIVE")):
            raise _err(HAS_EMPLOYEES)
        marks = ",".join("?" * len(doomed))
        portal.conn.execute(f"DELETE FROM departments WHERE ID IN ({marks})", tuple(doomed))
        return True

    def department_fields(call: Call) -> dict[str, str]:
        return {"ID": "ID", "NAME": "Department Name", "SORT": "Sort Order", "PARENT": "Parent Department",
                "UF_HEAD": "Manager"}

    reg.add("department.get", department_get)
    reg.add("department.add", department_add)
    reg.add("department.update", department_update)
    reg.add("department.delete", department_delete)
    reg.add("department.fields", department_fields)
