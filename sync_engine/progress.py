"""How long work says how far it got: a callback the engine calls, whoever shows it (a bar, a log line).

``done`` of ``total`` (None while the total is not known yet, e.g. while reading) with a short text. The
engine never waits for it and never imports a user interface; the studio turns calls into a progress
bar from whichever thread they come.
"""

from __future__ import annotations

from typing import Protocol


class Progress(Protocol):
    def __call__(self, done: int, total: int | None, text: str) -> None: ...


def no_progress(done: int, total: int | None, text: str) -> None:
    """The default: nobody is watching."""
