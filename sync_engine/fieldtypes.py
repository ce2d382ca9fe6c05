"""The one field type system shared by connectors, mapping validation and the studio.

Each connector normalises its system's field metadata into :class:`FieldMeta` so that nothing
downstream (validation, transforms, the constructor's type badges) re-derives types from raw
JIRA schemas or Bitrix24 ``*.fields`` answers.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class FieldType(StrEnum):
    TEXT = "text"
    NUMBER = "number"
    MONEY = "money"
    DATE = "date"
    DATETIME = "datetime"
    BOOL = "bool"
    USER = "user"
    ENUM = "enum"
    MULTI_ENUM = "multi_enum"
    REFERENCE = "reference"
    UNKNOWN = "unknown"


@dataclass(frozen=True, slots=True)
class Option:
    """One choice of an enum field (JIRA option/status/priority, Bitrix24 enumeration item/stage)."""

    id: str
    label: str


@dataclass(frozen=True, slots=True)
class FieldMeta:
    """Normalised description of one field on one side.

    ``raw`` keeps the system's own schema for transforms that need detail (e.g. JIRA ``schema.custom``
    or Bitrix24 ``statusType``); it is never used to decide the type.
    """

    id: str
    label: str
    type: FieldType
    required: bool = False
    read_only: bool = False
    multiple: bool = False
    options: tuple[Option, ...] = ()
    reference: str | None = None  # target entity of a REFERENCE, e.g. "company", "contact", "deal"
    system_type: str = ""  # the system's own type name, shown as a hint in the studio
    raw: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)

    def option_by_label(self, label: str) -> Option | None:
        wanted = label.strip().casefold()
        return next((o for o in self.options if o.label.strip().casefold() == wanted), None)

    def option_by_id(self, option_id: str) -> Option | None:
        return next((o for o in self.options if o.id == str(option_id)), None)
