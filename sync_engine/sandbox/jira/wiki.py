"""Jira wiki markup to HTML, as ``renderedBody`` / ``renderedFields`` show it (the common subset).

Covers what people type in comments: paragraphs and line breaks, ``*bold*``, ``_italic_``, ``-deleted-``,
``+inserted+``, ``{{monospace}}``, ``h1.``-``h6.``, ``*``/``#`` lists, ``{code}``/``{noformat}`` blocks,
``[title|url]`` and bare links, ``[~user]`` mentions, ``{quote}`` and ``bq.``. Everything is HTML-escaped
first, so markup in a comment can never inject tags into what a client shows.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable

_INLINE = (
    (re.compile(r"\{\{(.+?)\}\}"), r"<tt>\1</tt>"),
    (re.compile(r"(?<![\w*])\*(?!\s)(.+?)(?<!\s)\*(?![\w*])"), r"<b>\1</b>"),
    (re.compile(r"(?<![\w_])_(?!\s)(.+?)(?<!\s)_(?![\w_])"), r"<em>\1</em>"),
    (re.compile(r"(?<![\w-])-(?!\s)(.+?)(?<!\s)-(?![\w-])"), r"<del>\1</del>"),
    (re.compile(r"(?<![\w+])\+(?!\s)(.+?)(?<!\s)\+(?![\w+])"), r"<ins>\1</ins>"),
)
_LINK = re.compile(r"\[([^\]|]+)\|((?:https?|mailto):[^\]\s]+)\]")
_BARE_LINK = re.compile(r"\[((?:https?|mailto):[^\]\s]+)\]")
_URL = re.compile(r"(?<![\"'=>])\b(https?://[^\s<]+)")
_MENTION = re.compile(r"\[~(?:accountid:)?([^\]]+)\]")
_HEADING = re.compile(r"^h([1-6])\.\s+(.*)$")
_LIST = re.compile(r"^([*#]+)\s+(.*)$")
_BLOCK = re.compile(r"\{(code|noformat)(?::[^}]*)?\}(.*?)\{\1\}", re.DOTALL)


def _inline(text: str, mention: Callable[[str], str]) -> str:
    out = html.escape(text, quote=False)
    out = _MENTION.sub(lambda m: mention(html.unescape(m.group(1))), out)
    out = _LINK.sub(lambda m: f'<a href="{m.group(2)}" class="external-link" rel="nofollow">{m.group(1)}</a>', out)
    out = _BARE_LINK.sub(lambda m: f'<a href="{m.group(1)}" class="external-link" rel="nofollow">{m.group(1)}</a>',
                         out)
    out = _URL.sub(lambda m: f'<a href="{m.group(1)}" class="external-link" rel="nofollow">{m.group(1)}</a>', out)
    for pattern, repl in _INLINE:
        out = pattern.sub(repl, out)
    return out


def _default_mention(user: str) -> str:
    name = html.escape(user)
    return f'<a href="/secure/ViewProfile.jspa?name={name}" class="user-hover" rel="{name}">{name}</a>'


def _lines_to_html(lines: list[str], mention: Callable[[str], str]) -> list[str]:
    out: list[str] = []
    para: list[str] = []
    stack: list[str] = []

    def close_para() -> None:
        if para:
            out.append("<p>" + "<br/>\n".join(_inline(p, mention) for p in para) + "</p>")
            para.clear()

    def close_lists(depth: int = 0) -> None:
        while len(stack) > depth:
            out.append("</li></ul>" if stack.pop() == "*" else "</li></ol>")

    for raw in lines:
        line = raw.rstrip()
        heading = _HEADING.match(line)
        item = _LIST.match(line)
        if not line.strip():
            close_para()
            close_lists()
        elif heading:
            close_para()
            close_lists()
            out.append(f"<h{heading.group(1)}>{_inline(heading.group(2), mention)}</h{heading.group(1)}>")
        elif line.startswith("bq. "):
            close_para()
            close_lists()
            out.append(f"<blockquote><p>{_inline(line[4:], mention)}</p></blockquote>")
        elif item:
            close_para()
            marks, text = item.group(1), item.group(2)
            depth = len(marks)
            if len(stack) >= depth and stack[depth - 1] == marks[-1]:
                close_lists(depth)
                out.append("</li>")
            else:
                if len(stack) >= depth:
                    close_lists(depth - 1)
                while len(stack) < depth:
                    kind = marks[len(stack)]
                    stack.append(kind)
                    out.append("<ul>" if kind == "*" else "<ol>")
            out.append(f"<li>{_inline(text, mention)}")
        else:
            close_lists()
            para.append(line)
    close_para()
    close_lists()
    return out


def to_html(text: str | None, mention: Callable[[str], str] = _default_mention) -> str:
    if not text:
        return ""
    parts: list[str] = []
    pos = 0
    for block in _BLOCK.finditer(text):
        parts.extend(_blocks(text[pos:block.start()], mention))
        body = html.escape(block.group(2).strip("\n"), quote=False)
        css = "code" if block.group(1) == "code" else "preformatted"
        parts.append(f'<div class="{css} panel"><div class="{css}Content panelContent"><pre>{body}</pre></div></div>')
        pos = block.end()
    parts.extend(_blocks(text[pos:], mention))
    return "\n".join(parts)


def _blocks(text: str, mention: Callable[[str], str]) -> list[str]:
    out: list[str] = []
    chunks = re.split(r"\{quote\}", text)
    for i, chunk in enumerate(chunks):
        rendered = _lines_to_html(chunk.split("\n"), mention)
        if i % 2 == 1:
            out.append("<blockquote>" + "\n".join(rendered) + "</blockquote>")
        else:
            out.extend(rendered)
    return out
