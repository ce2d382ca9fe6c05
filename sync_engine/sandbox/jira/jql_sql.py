"""Compile a parsed JQL query to a parameterised SQLite WHERE + ORDER BY over the ``issues`` table.

Field semantics follow JIRA: text fields only take ``~``/``!~`` (word match), ``!=`` never matches an
empty field, and date-time clauses compare at minute granularity in the searching user's zone (the
index keeps minutes), so ``updated > "12:34"`` skips an update at 12:34:40 while ``>=`` keeps it.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import tzinfo

from sync_engine.sandbox.jira import timefmt
from sync_engine.sandbox.jira.catalog import CATEGORIES, Catalog, FieldDef
from sync_engine.sandbox.jira.jql import BoolNode, Clause, Func, JqlError, Node, NotNode, Operand, Query, Value

KEY_RE = re.compile(r"^([A-Za-z][A-Za-z0-9_]*)-(\d+)$")
GROUP = 64
UNSORTABLE = frozenset({"comment", "array", "fulltext", "components", "versions", "attachment", "worklog",
                        "issuelinks", "timetracking"})
_WORD_RE = re.compile(r"\w+\*?", re.UNICODE)


class JqlSemanticError(JqlError):
    """Well-formed JQL that names an unknown field/value (a warning when validateQuery=false)."""


def json_path(field_id: str) -> str:
    return f"json_extract(fields, '$.{field_id}')"


def text_match(haystack: object, needle: object) -> int:
    """JIRA's ``~``: every word of the needle appears as a word of the text (``abc*`` = prefix)."""
    if haystack is None or needle is None:
        return 0
    words = set(re.findall(r"\w+", str(haystack).casefold()))
    wanted = _WORD_RE.findall(str(needle).casefold())
    if not wanted:
        return 0
    for w in wanted:
        if w.endswith("*"):
            if not any(x.startswith(w[:-1]) for x in words):
                return 0
        elif w not in words:
            return 0
    return 1


@dataclass
class Compiled:
    where: str
    params: list[object] = field(default_factory=list)
    order: str = "issues.project DESC, issues.num DESC, issues.id DESC"
    bounded: bool = True
    warnings: list[str] = field(default_factory=list)


@dataclass
class JqlCompiler:
    catalog: Catalog
    tz: tzinfo
    now_ms: int
    current_user: str  # login
    key_exists: Callable[[str], bool] | None = None
    # validateQuery=false: a missing issue key only warns and matches nothing, the rest of the query stands
    lenient_keys: bool = False
    warnings: list[str] = field(default_factory=list)

    def compile(self, query: Query) -> Compiled:
        params: list[object] = []
        where = "1" if query.where is None else self.node(query.where, params)
        out = Compiled(where, params, bounded=query.where is not None, warnings=list(self.warnings))
        if query.order:
            parts: list[str] = []
            last = "asc"
            for name, direction in query.order:
                parts.extend(f"{expr} {direction.upper()}" for expr in self.order_exprs(name))
                last = direction
            parts.append(f"issues.id {last.upper()}")
            out.order = ", ".join(parts)
        return out

    # -- boolean structure ------------------------------------------------------------------------------
    def node(self, node: Node, params: list[object]) -> str:
        if isinstance(node, BoolNode):
            joiner = f" {node.op.upper()} "
            parts = [self.node(p, params) for p in node.parts]
            # SQLite parses "a OR b OR ..." into a chain as deep as it is long (and refuses past 1000):
            # group long runs so a 2,000-clause JQL nests only a few levels.
            while len(parts) > GROUP:
                parts = ["(" + joiner.join(parts[i : i + GROUP]) + ")" for i in range(0, len(parts), GROUP)]
            return "(" + joiner.join(parts) + ")"
        if isinstance(node, NotNode):
            return f"(NOT {self.node(node.part, params)})"
        return self.clause(node, params)

    # -- fields -----------------------------------------------------------------------------------------
    def resolve(self, name: str) -> FieldDef | None:
        if name.casefold() == "text":
            return FieldDef("text", "text", "fulltext", "string", settable=False)
        if name.casefold() == "statuscategory":
            return FieldDef("statusCategory", "Status Category", "statuscategory", "statusCategory", settable=False)
        return self.catalog.field_by_clause(name)

    def unknown_field(self, name: str) -> JqlSemanticError:
        return JqlSemanticError(f"Field '{name}' does not exist or you do not have permission to view it.")

    def order_exprs(self, name: str) -> list[str]:
        f = self.resolve(name)
        if f is None:
            raise self.unknown_field(name)
        columns = {"issuekey": ["issues.project", "issues.num"], "created": ["issues.created"],
                   "updated": ["issues.updated"], "project": ["issues.project"], "status": ["issues.status"],
                   "issuetype": ["issues.issuetype"]}
        if f.id in columns:
            return columns[f.id]
        if f.kind in UNSORTABLE or f.id == "description":
            raise JqlSemanticError(f"Field '{name}' does not support sorting.")
        if f.id == "priority":
            return [f"CAST({json_path('priority')} AS INTEGER)"]
        return [json_path(f.id)]

    def clause(self, c: Clause, params: list[object]) -> str:
        f = self.resolve(c.field)
        if f is None:
            raise self.unknown_field(c.field)
        kind = f.kind
        if kind == "key":
            return self.key_clause(c, params)
        if kind in ("text", "fulltext", "string"):
            return self.text_clause(c, f, params)
        if kind in ("datetime", "date"):
            return self.date_clause(c, f, params)
        if kind in ("number", "seconds"):
            return self.scalar_clause(c, f, json_path(f.id), params, lambda v: self.number(v, c, f),
                                      ("=", "!=", ">", ">=", "<", "<=", "in", "not in", "is", "is not"))
        if kind == "labels":
            return self.labels_clause(c, f, params)
        if kind in ("project", "issuetype", "status"):
            column = f"issues.{f.id}"
            return self.scalar_clause(c, f, column, params, lambda v: self.named(v, c, f),
                                      ("=", "!=", "in", "not in", "is", "is not"), nullable=False)
        if kind == "statuscategory":
            return self.category_clause(c, params)
        if kind in ("priority", "resolution", "option", "user"):
            return self.scalar_clause(c, f, json_path(f.id), params, lambda v: self.named(v, c, f),
                                      ("=", "!=", "in", "not in", "is", "is not"))
        raise JqlSemanticError(f"Field '{c.field}' is not searchable.")

    def category_clause(self, c: Clause, params: list[object]) -> str:
        if c.op not in ("=", "!=", "in", "not in") or c.operand is None:
            raise self.unsupported(c)
        wanted: set[str] = set()
        for v in self.operands(c):
            text = self.literal(v, c).casefold()
            match = [key for key, (cid, _, name) in CATEGORIES.items()
                     if text in (key, str(cid), name.casefold())]
            if not match:
                raise JqlSemanticError(f"The value '{self.literal(v, c)}' does not exist for the field '{c.field}'.")
            wanted.update(match)
        ids = [s.id for s in self.catalog.statuses.values() if s.category in wanted]
        params.extend(ids)
        neg = "NOT " if c.op in ("!=", "not in") else ""
        return f"(issues.status {neg}IN ({', '.join('?' for _ in ids)}))"

    def unsupported(self, c: Clause) -> JqlSemanticError:
        return JqlSemanticError(f"The operator '{c.op.upper()}' is not supported by the '{c.field}' field.")

    def operands(self, c: Clause) -> list[Value | Func]:
        if c.operand is None:
            return []
        if isinstance(c.operand, tuple):
            return list(c.operand)
        return [c.operand]

    def scalar_clause(self, c: Clause, f: FieldDef, expr: str, params: list[object],
                      convert: Callable[[Value | Func], object], allowed: tuple[str, ...],
                      nullable: bool = True) -> str:
        op = c.op
        if op not in allowed:
            raise self.unsupported(c)
        if c.operand is None:
            empty = f"{expr} IS NULL" if nullable else "0"
            if op in ("=", "is", "in"):
                return f"({empty})"
            if op in ("!=", "is not", "not in"):
                return f"({expr} IS NOT NULL)" if nullable else "1"
            raise self.unsupported(c)
        if op in ("is", "is not"):
            raise self.unsupported(c)
        values = [convert(v) for v in self.operands(c)]
        if None in values:  # e.g. resolution = Unresolved
            if op not in ("=", "!=", "in", "not in"):
                raise self.unsupported(c)
            rest = [v for v in values if v is not None]
            params.extend(rest)
            listed = f" OR {expr} IN ({', '.join('?' for _ in rest)})" if rest else ""
            hit = f"({expr} IS NULL{listed})"
            return hit if op in ("=", "in") else f"(NOT {hit})"
        guard = f"{expr} IS NOT NULL AND " if nullable else ""
        if op in ("in", "not in", "=", "!=") and (len(values) != 1 or op in ("in", "not in")):
            marks = ", ".join("?" for _ in values)
            params.extend(values)
            neg = "NOT " if op in ("not in", "!=") else ""
            return f"({guard}{expr} {neg}IN ({marks}))"
        params.append(values[0])
        sql_op = {"=": "=", "!=": "<>"}.get(op, op)
        return f"({guard}{expr} {sql_op} ?)"

    def literal(self, v: Value | Func, c: Clause) -> str:
        if isinstance(v, Func):
            if v.name.lower() == "currentuser" and not v.args:
                return self.current_user
            raise JqlSemanticError(f"Unable to find JQL function '{v.name}({', '.join(v.args)})'.")
        return v.text

    def named(self, v: Value | Func, c: Clause, f: FieldDef) -> object:
        text = self.literal(v, c)
        cat = self.catalog
        if f.kind == "project":
            p = cat.project(text)
            if p is None:
                raise JqlSemanticError(f"The value '{text}' does not exist for the field '{c.field}'.")
            return p.key
        if f.kind == "issuetype":
            t = cat.issue_type(text)
            if t is None:
                raise JqlSemanticError(f"The value '{text}' does not exist for the field '{c.field}'.")
            return t.id
        if f.kind == "status":
            s = cat.status(text)
            if s is None:
                raise JqlSemanticError(f"The value '{text}' does not exist for the field '{c.field}'.")
            return s.id
        if f.kind == "priority":
            pr = cat.priority(text)
            if pr is None:
                raise JqlSemanticError(f"The value '{text}' does not exist for the field '{c.field}'.")
            return pr.id
        if f.kind == "resolution":
            if text.casefold() == "unresolved":
                return None
            for rid, name in cat.resolutions.items():
                if text in (rid, name) or name.casefold() == text.casefold():
                    return rid
            raise JqlSemanticError(f"The value '{text}' does not exist for the field '{c.field}'.")
        if f.kind == "user":
            if isinstance(v, Func):
                return text
            u = cat.user(text)
            if u is None:
                raise JqlSemanticError(f"The value '{text}' does not exist for the field '{c.field}'.")
            return u.login
        option = f.option_by_id(text) or next((o for o in f.options if o.value.casefold() == text.casefold()), None)
        if option is None:
            raise JqlSemanticError(f"The option '{text}' for field '{c.field}' does not exist.")
        return option.value

    def number(self, v: Value | Func, c: Clause, f: FieldDef) -> float:
        text = self.literal(v, c)
        try:
            return float(text)
        except ValueError:
            raise JqlSemanticError(f"The value '{text}' is not valid for the field '{c.field}'.") from None

    def text_clause(self, c: Clause, f: FieldDef, params: list[object]) -> str:
        exprs = [json_path("summary"), json_path("description")] if f.kind == "fulltext" else [json_path(f.id)]
        if c.op in ("is", "is not") or (c.operand is None and c.op in ("=", "!=")):
            if c.operand is not None or f.kind == "fulltext":
                raise self.unsupported(c)
            empty = " AND ".join(f"({e} IS NULL OR {e} = '')" for e in exprs)
            return f"({empty})" if c.op in ("is", "=") else f"(NOT ({empty}))"
        if c.op not in ("~", "!~") or isinstance(c.operand, tuple):
            raise self.unsupported(c)
        operand = c.operand
        assert operand is not None and not isinstance(operand, tuple)
        needle = self.literal(operand, c)
        if not needle.strip():
            raise JqlSemanticError(f"The field '{c.field}' does not support searching for an empty string.")
        # Cheap C-level prefilter on ASCII words (SQLite's lower() folds only ASCII), then the exact word match.
        ascii_words = [w.rstrip("*") for w in _WORD_RE.findall(needle.casefold()) if w.rstrip("*").isascii()]
        hits: list[str] = []
        for e in exprs:
            pre = "".join(f"instr(lower({e}), ?) AND " for _ in ascii_words)
            hits.append(f"({pre}jql_match({e}, ?))")
            params.extend([*ascii_words, needle])
        hit = " OR ".join(hits)
        if c.op == "~":
            return f"({hit})"
        present = " OR ".join(f"{e} IS NOT NULL" for e in exprs)
        return f"(({present}) AND NOT ({hit}))"

    def labels_clause(self, c: Clause, f: FieldDef, params: list[object]) -> str:
        path = "'$.labels'"
        has_any = f"EXISTS (SELECT 1 FROM json_each(issues.fields, {path}))"
        if c.operand is None:
            if c.op in ("is", "=", "in"):
                return f"(NOT {has_any})"
            if c.op in ("is not", "!=", "not in"):
                return f"({has_any})"
            raise self.unsupported(c)
        if c.op not in ("=", "!=", "in", "not in"):
            raise self.unsupported(c)
        values = [self.literal(v, c) for v in self.operands(c)]
        marks = ", ".join("?" for _ in values)
        params.extend(values)
        hit = f"EXISTS (SELECT 1 FROM json_each(issues.fields, {path}) WHERE value IN ({marks}))"
        if c.op in ("=", "in"):
            return f"({hit})"
        return f"({has_any} AND NOT {hit})"

    def key_clause(self, c: Clause, params: list[object]) -> str:
        if c.op not in ("=", "!=", "in", "not in"):
            raise self.unsupported(c)
        if c.operand is None:
            return "(0)" if c.op in ("=", "in") else "(1)"
        keys: list[str] = []
        ids: list[int] = []
        for v in self.operands(c):
            text = self.literal(v, c)
            if text.isdigit():
                if len(text) > 18:
                    raise JqlSemanticError(f"An issue with key '{text}' does not exist for field '{c.field}'.")
                ids.append(int(text))
                continue
            if not KEY_RE.match(text):
                raise JqlSemanticError(f"The issue key '{text}' for field '{c.field}' is invalid.")
            key = text.upper()
            if self.key_exists is not None and not self.key_exists(key):
                message = f"An issue with key '{key}' does not exist for field '{c.field}'."
                if not self.lenient_keys:
                    raise JqlSemanticError(message)
                self.warnings.append(message)
                continue
            keys.append(key)
        parts: list[str] = []
        if keys:
            parts.append(f"issues.key IN ({', '.join('?' for _ in keys)})")
            params.extend(keys)
        if ids:
            parts.append(f"issues.id IN ({', '.join('?' for _ in ids)})")
            params.extend(ids)
        hit = " OR ".join(parts) or "0"
        return f"({hit})" if c.op in ("=", "in") else f"(NOT ({hit}))"

    def instant(self, v: Value | Func, c: Clause) -> int:
        if isinstance(v, Func):
            ms = timefmt.function_instant(v.name, self.tz, self.now_ms)
            if ms is None or v.args:
                raise JqlSemanticError(f"Unable to find JQL function '{v.name}({', '.join(v.args)})'.")
            return ms
        ms = timefmt.jql_instant(v.text, self.tz, self.now_ms)
        if ms is None:
            raise JqlSemanticError(timefmt.invalid_date_message(v.text, c.field))
        return ms

    def date_clause(self, c: Clause, f: FieldDef, params: list[object]) -> str:
        columns = {"created": "issues.created", "updated": "issues.updated"}
        expr = columns.get(f.id, json_path(f.id))
        nullable = f.id not in columns
        if c.operand is None:
            if c.op in ("is", "=", "in"):
                return f"({expr} IS NULL)" if nullable else "(0)"
            if c.op in ("is not", "!=", "not in"):
                return f"({expr} IS NOT NULL)" if nullable else "(1)"
            raise self.unsupported(c)
        if c.op in ("~", "!~", "is", "is not"):
            raise self.unsupported(c)
        starts = [self.instant(v, c) for v in self.operands(c)]
        guard = f"{expr} IS NOT NULL AND " if nullable else ""
        if f.kind == "date":  # stored as local YYYY-MM-DD strings
            days = [timefmt.local_date(ms, self.tz) for ms in starts]
            if c.op in ("in", "not in"):
                params.extend(days)
                neg = "NOT " if c.op == "not in" else ""
                return f"({guard}{expr} {neg}IN ({', '.join('?' for _ in days)}))"
            params.append(days[0])
            return f"({guard}{expr} {({'=': '=', '!=': '<>'}).get(c.op, c.op)} ?)"
        # date-time: the index holds minutes, so compare against [start, start + 1 minute)
        if c.op in ("in", "not in", "=", "!="):
            spans = []
            for ms in starts:
                spans.append(f"({expr} >= ? AND {expr} < ?)")
                params.extend([ms, ms + timefmt.MINUTE_MS])
            hit = " OR ".join(spans)
            return f"({guard}({hit}))" if c.op in ("in", "=") else f"({guard}NOT ({hit}))"
        ms = starts[0]
        bound = {">=": (">=", ms), ">": (">=", ms + timefmt.MINUTE_MS), "<": ("<", ms),
                 "<=": ("<", ms + timefmt.MINUTE_MS)}[c.op]
        params.append(bound[1])
        return f"({guard}{expr} {bound[0]} ?)"


def compile_query(query: Query, compiler: JqlCompiler) -> Compiled:
    return compiler.compile(query)


__all__ = ["Compiled", "JqlCompiler", "JqlSemanticError", "Operand", "compile_query", "json_path", "text_match"]
