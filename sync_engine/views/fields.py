"""Field metadata over the wire: what the mapping constructor offers, from a local or a remote engine."""

from __future__ import annotations

import json
from typing import Any

from pydantic import BaseModel, Field

from sync_engine.fieldtypes import FieldMeta, FieldType, Option


class OptionView(BaseModel):
    id: str
    label: str


class FieldView(BaseModel):
    id: str
    label: str
    type: str = Field(description="one of the field types of sync_engine.fieldtypes")
    required: bool = False
    read_only: bool = False
    multiple: bool = False
    options: list[OptionView] = Field(default_factory=list)
    reference: str | None = None
    system_type: str = ""
    raw: dict[str, Any] = Field(default_factory=dict)

    @classmethod
    def of(cls, meta: FieldMeta) -> FieldView:
        return cls(id=meta.id, label=meta.label, type=meta.type.value, required=meta.required,
                   read_only=meta.read_only, multiple=meta.multiple,
                   options=[OptionView(id=o.id, label=o.label) for o in meta.options], reference=meta.reference,
                   system_type=meta.system_type, raw=json.loads(json.dumps(dict(meta.raw), default=str)))

    def meta(self) -> FieldMeta:
        return FieldMeta(id=self.id, label=self.label, type=FieldType(self.type), required=self.required,
                         read_only=self.read_only, multiple=self.multiple,
                         options=tuple(Option(o.id, o.label) for o in self.options), reference=self.reference,
                         system_type=self.system_type, raw=self.raw)


class SidesFields(BaseModel):
    """Both sides' live fields for a profile's scope."""

    jira: list[FieldView]
    bitrix24: list[FieldView]
