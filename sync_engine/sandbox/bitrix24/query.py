"""Compile Bitrix list parameters (filter/order/select) into parameterised SQL.

Filtering happens in SQLite on indexed columns so a 100,000-deal portal pages as fast as a small one;
nothing here scans rows in Python.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from sync_engine.sandbox.bitrix24.envelope import BitrixError
from sync_engine.sandbox.bitrix24.phpquery import as_list
from sync_engine.sandbox.bitrix24.schema import FieldDef
from sync_engine.sandbox.bitrix24.userfields import crm_reference
from sync_engine.sandbox.bitrix24.values import (
    ValueProblem,
    store_bool01,
    store_date,
    store_datetime,
    store_float,
    store_int,
    store_yn,
)

# Longest prefixes first so ">=" is not read as ">".
OPERATORS = ("!=%", "!%=", "=%", "%=", "!%", ">=", "<=", "!@", "!=", ">", "<", "@", "%", "=", "!")

FieldResolver = Callable[[str], FieldDef | None]


def split_operator(key: str) -> tuple[str, str]:
    for op in OPERATORS:
        if key.startswith(op):
            return op, key[len(op):]
    return "=", key


def quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def filter_value(f: FieldDef, value: Any) -> Any:
    """Convert one filter operand to the column's storage form; bad input is a 400, not a 500."""
    if isinstance(value, (dict, list)):
        raise BitrixError(400, "INVALID_ARG_VALUE", f"Invalid filter value for field '{f.name}': array given")
    kind = f.storage
    try:
        if kind == "int":
            return store_int(value)
        if kind == "float":
            return store_float(value)
        if kind == "yn":
            return store_yn(value)
        if kind == "bool01":
            return store_bool01(value)
        if f.type == "crm":
            return crm_reference(f.settings, value)
        if kind == "datetime":
            return store_datetime(value)
        if kind == "date":
            return store_date(value)
    except ValueProblem as exc:
        raise BitrixError(400, "INVALID_ARG_VALUE",
                          f"Invalid filter value for field '{f.name}': {exc}") from exc
    return str(value)


def _like(col: str, negate: bool) -> str:
    expr = f"instr(ulower(coalesce({col}, '')), ulower(?)) > 0"
    return f"NOT ({expr})" if negate else expr


def _pattern(col: str, negate: bool) -> str:
    expr = f"ulower(coalesce({col}, '')) LIKE ulower(?)"
    return f"NOT ({expr})" if negate else expr


class FilterCompiler:
    """Turns a Bitrix filter into SQL; ``strict`` (crm.item) rejects unknown fields, legacy ignores them."""

    def __init__(self, resolve: FieldResolver, *, strict: bool,
                 multifield_sql: Callable[[str], str] | None = None) -> None:
        self.resolve = resolve
        self.strict = strict
        self.multifield_sql = multifield_sql

    def compile(self, flt: Any) -> tuple[str, list[Any]]:
        if flt in (None, "", [], {}):
            return "1=1", []
        if not isinstance(flt, Mapping):
            raise BitrixError(400, "INVALID_ARG_VALUE", "Parameter 'filter' must be array.")
        logic = next((str(v) for k, v in flt.items() if str(k).upper() == "LOGIC"), "AND")
        return self._group(flt, "OR" if logic.upper() == "OR" else "AND")

    def _group(self, flt: Mapping[str, Any], logic: str) -> tuple[str, list[Any]]:
        clauses: list[str] = []
        params: list[Any] = []
        for raw_key, value in flt.items():
            key = str(raw_key)
            if key.upper() == "LOGIC":
                continue
            if isinstance(value, Mapping) and (key.isdigit() or key.upper().startswith("__INNER")):
                inner_logic = str(next((v for k, v in value.items() if str(k).upper() == "LOGIC"), "AND"))
                sql, p = self._group(value, "OR" if inner_logic.upper() == "OR" else "AND")
                clauses.append(f"({sql})")
                params.extend(p)
                continue
            op, name = split_operator(key)
            f = self.resolve(name)
            if f is None or f.write_only:
                if self.strict:
                    raise BitrixError(400, "INVALID_ARG_VALUE",
                                      f"Invalid filter: field '{name}' is not allowed in filter")
                continue
            sql, p = self._condition(f, op, value)
            clauses.append(sql)
            params.extend(p)
        if not clauses:
            return "1=1", []
        return f" {logic} ".join(clauses), params

    def _condition(self, f: FieldDef, op: str, value: Any) -> tuple[str, list[Any]]:
        col = quote(f.name)
        if f.type == "crm_multifield":
            if self.multifield_sql is None:
                raise BitrixError(400, "INVALID_ARG_VALUE", f"Field '{f.name}' cannot be filtered")
            sub = self.multifield_sql(f.name)
            values = [str(v) for v in as_list(value)] if isinstance(value, (list, dict)) else [str(value)]
            marks = ",".join("?" * len(values))
            if op in ("%", "=%", "%="):
                return f"EXISTS ({sub} AND instr(ulower(m.VALUE), ulower(?)) > 0)", [values[0]]
            expr = f"EXISTS ({sub} AND m.VALUE IN ({marks}))"
            return (f"NOT {expr}" if op.startswith("!") else expr), values
        if f.multiple:
            values = [filter_value(f, v) for v in as_list(value)] if isinstance(value, (list, dict)) else [
                filter_value(f, value)]
            marks = ",".join("?" * len(values))
            expr = f"EXISTS (SELECT 1 FROM json_each(coalesce({col}, '[]')) WHERE value IN ({marks}))"
            return (f"NOT {expr}" if op.startswith("!") else expr), values
        if op in ("@", "!@") or (op in ("=", "!", "!=") and isinstance(value, (list, dict))):
            items = as_list(value)
            if not items:
                return ("1=0" if op in ("@", "=") else "1=1"), []
            values = [filter_value(f, v) for v in items]
            marks = ",".join("?" * len(values))
            if op in ("@", "="):
                return f"{col} IN ({marks})", values
            return f"({col} IS NULL OR {col} NOT IN ({marks}))", values
        if value is None or (isinstance(value, str) and value == ""):
            if op in ("=", "%", "=%", "%="):
                return f"({col} IS NULL OR {col} = '')", []
            return f"({col} IS NOT NULL AND {col} != '')", []
        if op in ("%", "!%"):
            return _like(col, op == "!%"), [str(value)]
        if op in ("=%", "%=", "!=%", "!%="):
            pattern = str(value)
            if "%" not in pattern:
                pattern = pattern + "%" if op in ("=%", "!=%") else "%" + pattern
            return _pattern(col, op.startswith("!")), [pattern]
        converted = filter_value(f, value)
        sql_op = {"=": "=", "!": "!=", "!=": "!=", ">": ">", ">=": ">=", "<": "<", "<=": "<="}[op]
        if sql_op == "!=":
            return f"({col} IS NULL OR {col} != ?)", [converted]
        return f"{col} {sql_op} ?", [converted]


def compile_order(order: Any, resolve: FieldResolver, *, strict: bool) -> str:
    parts: list[str] = []
    seen_id = False
    if isinstance(order, Mapping):
        for raw_key, direction in order.items():
            f = resolve(str(raw_key))
            if f is None or f.multiple:
                if strict:
                    raise BitrixError(400, "INVALID_ARG_VALUE", f"Invalid order: unknown field '{raw_key}'")
                continue
            desc = str(direction).strip().upper() == "DESC"
            parts.append(f"{quote(f.name)} {'DESC' if desc else 'ASC'}")
            seen_id = seen_id or f.name == "ID"
    if not seen_id:
        parts.append('"ID" ASC')
    return ", ".join(parts)
