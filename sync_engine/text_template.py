"""Text templates such as ``{summary} — {customfield_10011}``.

Templates come from users, so they are parsed by a tiny tokenizer instead of ``str.format`` (which
would allow attribute access like ``{0.__class__}``) or ``eval``. Only plain field ids may appear
between braces; ``{{`` and ``}}`` stand for literal braces.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

_FIELD_ID = re.compile(r"[A-Za-z_][A-Za-z0-9_.\-]*\Z")


class TemplateSyntaxError(ValueError):
    """The template text cannot be parsed; ``position`` is the 0-based offset of the problem."""

    def __init__(self, message: str, position: int) -> None:
        super().__init__(f"{message} at position {position}")
        self.position = position


@dataclass(frozen=True, slots=True)
class Text:
    text: str


@dataclass(frozen=True, slots=True)
class Placeholder:
    field: str


Token = Text | Placeholder


def tokenize(template: str) -> tuple[Token, ...]:
    tokens: list[Token] = []
    buf: list[str] = []
    i = 0
    n = len(template)
    while i < n:
        ch = template[i]
        if ch == "{":
            if i + 1 < n and template[i + 1] == "{":
                buf.append("{")
                i += 2
                continue
            end = template.find("}", i + 1)
            if end < 0:
                raise TemplateSyntaxError("unclosed '{'", i)
            name = template[i + 1 : end].strip()
            if not name:
                raise TemplateSyntaxError("empty placeholder '{}'", i)
            if "{" in name or not _FIELD_ID.match(name):
                raise TemplateSyntaxError(
                    f"placeholder {{{name}}} is not a field id (letters, digits, '_', '.', '-')", i
                )
            if buf:
                tokens.append(Text("".join(buf)))
                buf = []
            tokens.append(Placeholder(name))
            i = end + 1
        elif ch == "}":
            if i + 1 < n and template[i + 1] == "}":
                buf.append("}")
                i += 2
                continue
            raise TemplateSyntaxError("single '}' (write '}}' for a literal brace)", i)
        else:
            buf.append(ch)
            i += 1
    if buf:
        tokens.append(Text("".join(buf)))
    return tuple(tokens)


def placeholders(template: str) -> tuple[str, ...]:
    """Field ids used by the template, in first-use order, without repeats."""
    seen: dict[str, None] = {}
    for token in tokenize(template):
        if isinstance(token, Placeholder):
            seen.setdefault(token.field, None)
    return tuple(seen)


def render(template: str, lookup: Callable[[str], str]) -> str:
    """Fill placeholders with ``lookup(field_id)``; ``lookup`` raises for unknown fields."""
    return "".join(t.text if isinstance(t, Text) else lookup(t.field) for t in tokenize(template))
