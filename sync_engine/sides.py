"""The two systems the studio keeps in step, named once for every layer.

A ``StrEnum``: a ``Side`` equals its plain string (``Side.JIRA == "jira"``), so profile files, JSON
answers and database rows keep their words while code gets one type to check against.
"""

from __future__ import annotations

from enum import StrEnum


class Side(StrEnum):
    JIRA = "jira"
    BITRIX24 = "bitrix24"

    @property
    def other(self) -> Side:
        return Side.BITRIX24 if self is Side.JIRA else Side.JIRA

    @property
    def title(self) -> str:  # type: ignore[override]  # str.title() is meaningless for an enum value
        """The product's own name, as people write it."""
        return "JIRA" if self is Side.JIRA else "Bitrix24"


SIDES: tuple[Side, Side] = (Side.JIRA, Side.BITRIX24)
