"""A hand-written JQL tokenizer and recursive-descent parser (no eval): text -> small AST.

Only syntax lives here; what a field or value means (and the SQL) is in :mod:`jql_sql`, so the same
parse serves search, webhook filters and validation, and syntax errors read like JIRA's own.
"""

from __future__ import annotations

from dataclasses import dataclass, field

OPERATORS_TEXT = (
    "The valid operators are '=', '!=', '<', '>', '<=', '>=', '~', '!~', 'IN', 'NOT IN', 'IS' and 'IS NOT'."
)
_KEYWORDS = frozenset({"and", "or", "not", "in", "is", "empty", "null", "order", "by", "asc", "desc", "was",
                       "changed"})
_STOP = frozenset(" \t\r\n\"'(),=!<>~")


class JqlError(ValueError):
    """A JQL problem worded as JIRA words it (the message goes straight into errorMessages)."""


@dataclass(frozen=True)
class Token:
    kind: str  # STR, WORD, OP, LP, RP, COMMA, EOF
    text: str
    pos: int  # 1-based character position

    def is_kw(self, *words: str) -> bool:
        return self.kind == "WORD" and self.text.lower() in words

    def shown(self) -> str:
        return "EOF" if self.kind == "EOF" else self.text


@dataclass(frozen=True)
class Value:
    text: str
    quoted: bool = False


@dataclass(frozen=True)
class Func:
    name: str
    args: tuple[str, ...] = ()


Operand = Value | Func | tuple[Value | Func, ...] | None  # None = EMPTY / NULL


@dataclass(frozen=True)
class Clause:
    field: str
    op: str  # =, !=, ~, !~, >, >=, <, <=, in, not in, is, is not
    operand: Operand
    pos: int


@dataclass(frozen=True)
class BoolNode:
    op: str  # and / or
    parts: tuple[Node, ...]


@dataclass(frozen=True)
class NotNode:
    part: Node


Node = Clause | BoolNode | NotNode


@dataclass
class Query:
    where: Node | None
    order: list[tuple[str, str]] = field(default_factory=list)  # (field, asc|desc)


def _error(msg: str, tok: Token | None = None) -> JqlError:
    where = f" (line 1, character {tok.pos})" if tok is not None else ""
    return JqlError(f"Error in the JQL Query: {msg}{where}")


def tokenize(text: str) -> list[Token]:
    out: list[Token] = []
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch.isspace():
            i += 1
            continue
        start = i + 1
        if ch in "\"'":
            j = i + 1
            buf: list[str] = []
            while j < n and text[j] != ch:
                if text[j] == "\\" and j + 1 < n:
                    nxt = text[j + 1]
                    buf.append({"n": "\n", "t": "\t", "r": "\r"}.get(nxt, nxt))
                    j += 2
                    continue
                buf.append(text[j])
                j += 1
            if j >= n:
                raise _error(f"The quoted string '{''.join(buf)}' has not been completed.", Token("STR", "", start))
            out.append(Token("STR", "".join(buf), start))
            i = j + 1
            continue
        two = text[i : i + 2]
        if two in ("!=", "!~", ">=", "<="):
            out.append(Token("OP", two, start))
            i += 2
            continue
        if ch in "=~<>":
            out.append(Token("OP", ch, start))
            i += 1
            continue
        if ch == "!":
            raise _error("The character '!' is a reserved JQL character. You must enclose it in a string "
                          "or use the escape '\\u0021' instead.", Token("OP", ch, start))
        if ch in "(),":
            out.append(Token({"(": "LP", ")": "RP", ",": "COMMA"}[ch], ch, start))
            i += 1
            continue
        j = i
        while j < n and text[j] not in _STOP:
            if text[j] == "[":  # cf[10010]
                close = text.find("]", j)
                j = close + 1 if close != -1 else n
                continue
            j += 1
        out.append(Token("WORD", text[i:j], start))
        i = j
    out.append(Token("EOF", "", n + 1))
    return out


class _Parser:
    def __init__(self, text: str) -> None:
        self.toks = tokenize(text)
        self.i = 0

    @property
    def tok(self) -> Token:
        return self.toks[self.i]

    def take(self) -> Token:
        t = self.toks[self.i]
        self.i += 1
        return t

    def parse(self) -> Query:
        where: Node | None = None
        if not (self.tok.kind == "EOF" or self._at_order()):
            where = self.or_expr()
        order: list[tuple[str, str]] = []
        if self._at_order():
            self.take()
            if not self.tok.is_kw("by"):
                raise _error(f"Expecting 'by' but got '{self.tok.shown()}'.", self.tok)
            self.take()
            while True:
                name = self.field_name()
                direction = "asc"
                if self.tok.is_kw("asc", "desc"):
                    direction = self.take().text.lower()
                order.append((name, direction))
                if self.tok.kind != "COMMA":
                    break
                self.take()
        if self.tok.kind != "EOF":
            if where is not None and not order:
                raise _error(f"Expecting either 'OR' or 'AND' but got '{self.tok.shown()}'.", self.tok)
            raise _error(f"Expecting either a ',' or end of query but got '{self.tok.shown()}'.", self.tok)
        return Query(where, order)

    def _at_order(self) -> bool:
        return self.tok.is_kw("order") and self.toks[self.i + 1].is_kw("by")

    def or_expr(self) -> Node:
        parts = [self.and_expr()]
        while self.tok.is_kw("or"):
            self.take()
            parts.append(self.and_expr())
        return parts[0] if len(parts) == 1 else BoolNode("or", tuple(parts))

    def and_expr(self) -> Node:
        parts = [self.unary()]
        while self.tok.is_kw("and"):
            self.take()
            parts.append(self.unary())
        return parts[0] if len(parts) == 1 else BoolNode("and", tuple(parts))

    def unary(self) -> Node:
        if self.tok.is_kw("not"):
            self.take()
            return NotNode(self.unary())
        if self.tok.kind == "LP":
            self.take()
            node = self.or_expr()
            if self.tok.kind != "RP":
                raise _error(f"Expecting ')' but got '{self.tok.shown()}'.", self.tok)
            self.take()
            return node
        return self.clause()

    def field_name(self) -> str:
        t = self.tok
        if t.kind == "STR" or (t.kind == "WORD" and t.text.lower() not in _KEYWORDS):
            self.take()
            return t.text
        if t.kind == "EOF":
            raise _error("Expecting a field name but got end of query.", t)
        raise _error(f"Expecting a field name but got '{t.text}'. You must surround '{t.text}' in quotation "
                     "marks to use it as a field name.", t)

    def clause(self) -> Clause:
        pos = self.tok.pos
        name = self.field_name()
        op = self.operator()
        if op in ("is", "is not"):
            if not self.tok.is_kw("empty", "null"):
                raise _error(f"Expecting 'EMPTY' or 'NULL' but got '{self.tok.shown()}'.", self.tok)
            self.take()
            return Clause(name, op, None, pos)
        if op in ("in", "not in"):
            if self.tok.kind == "LP":
                return Clause(name, op, self.value_list(), pos)
            return Clause(name, op, self.operand(), pos)
        if self.tok.is_kw("empty", "null"):
            self.take()
            return Clause(name, op, None, pos)
        return Clause(name, op, self.operand(), pos)

    def operator(self) -> str:
        t = self.tok
        if t.kind == "OP":
            self.take()
            return t.text
        if t.is_kw("in"):
            self.take()
            return "in"
        if t.is_kw("is"):
            self.take()
            if self.tok.is_kw("not"):
                self.take()
                return "is not"
            return "is"
        if t.is_kw("not") and self.toks[self.i + 1].is_kw("in"):
            self.i += 2
            return "not in"
        if t.is_kw("was", "changed"):
            raise _error(f"The operator '{t.text.upper()}' is not supported by this JIRA twin.", t)
        got = "end of query" if t.kind == "EOF" else f"'{t.text}'"
        raise _error(f"Expecting operator but got {got}. {OPERATORS_TEXT}", t)

    def value_list(self) -> tuple[Value | Func, ...]:
        self.take()  # (
        items: list[Value | Func] = []
        while True:
            items.append(self.operand())
            if self.tok.kind == "COMMA":
                self.take()
                continue
            if self.tok.kind == "RP":
                self.take()
                return tuple(items)
            raise _error(f"Expecting ')' but got '{self.tok.shown()}'.", self.tok)

    def operand(self) -> Value | Func:
        t = self.tok
        if t.kind == "STR":
            self.take()
            return Value(t.text, quoted=True)
        if t.kind == "WORD" and t.text.lower() not in _KEYWORDS:
            self.take()
            if self.tok.kind == "LP":
                self.take()
                args: list[str] = []
                while self.tok.kind != "RP":
                    if self.tok.kind in ("STR", "WORD"):
                        args.append(self.take().text)
                    elif self.tok.kind == "COMMA":
                        self.take()
                    else:
                        raise _error(f"Expecting ')' but got '{self.tok.shown()}'.", self.tok)
                self.take()
                return Func(t.text, tuple(args))
            return Value(t.text)
        if t.kind == "EOF":
            raise _error("Expecting either a value, list or function but got end of query.", t)
        raise _error(f"Expecting either a value, list or function but got '{t.text}'. You must surround "
                     f"'{t.text}' in quotation marks to use it as a value.", t)


MAX_LENGTH = 1_000_000  # a POST body carries JQL of any length; Jira's real bound is the clause count


def parse(text: str) -> Query:
    if len(text) > MAX_LENGTH:
        raise JqlError("Error in the JQL Query: the query is too long.")
    return _Parser(text).parse()
