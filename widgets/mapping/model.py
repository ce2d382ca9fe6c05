"""The document behind the constructor: one profile, its mappings and the fields of both sides.

Mappings are immutable pydantic objects; every change replaces an object instead of mutating it,
so undo commands can hold the old and new objects and put either back without copying.
Only undo commands call :meth:`MappingModel.add`, :meth:`MappingModel.remove` and
:meth:`MappingModel.replace`, which keeps every user edit undoable.
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import QObject, Signal

from sync_engine.fieldtypes import FieldMeta
from sync_engine.mapping.validate import IMPLIED_ON_CREATE, ValidationIssue, validate_profile
from sync_engine.profiles.schema import FieldMapping, Profile
from sync_engine.sides import SIDES, Side


class MappingModel(QObject):
    """Holds the profile being edited; the scene, the table and the side list all observe it."""

    mappingAdded = Signal(int, object)  # index, FieldMapping
    mappingRemoved = Signal(int, object)  # former index, FieldMapping
    mappingChanged = Signal(int, object, object)  # index, old FieldMapping, new FieldMapping
    fieldsChanged = Signal()  # a new profile/field lists were loaded: views rebuild
    validityChanged = Signal()  # issues may differ now

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._profile: Profile | None = None
        self._mappings: list[FieldMapping] = []
        self._fields: dict[Side, tuple[FieldMeta, ...]] = {Side.JIRA: (), Side.BITRIX24: ()}
        self._by_id: dict[Side, dict[str, FieldMeta]] = {Side.JIRA: {}, Side.BITRIX24: {}}
        self._issues: list[ValidationIssue] | None = None

    # ------------------------------------------------------------------ loading and reading
    def set_profile(self, profile: Profile, jira_fields: Sequence[FieldMeta], b24_fields: Sequence[FieldMeta]) -> None:
        self._profile = profile
        self._mappings = list(profile.mappings)
        self._fields = {Side.JIRA: tuple(jira_fields), Side.BITRIX24: tuple(b24_fields)}
        self._by_id = {side: {f.id: f for f in metas} for side, metas in self._fields.items()}
        self._issues = None
        self.fieldsChanged.emit()
        self.validityChanged.emit()

    def has_profile(self) -> bool:
        return self._profile is not None

    def profile(self) -> Profile:
        """The profile with the current mappings (a new object; the loaded one is never changed)."""
        if self._profile is None:
            raise RuntimeError("no profile loaded: call set_profile() first")
        return self._profile.model_copy(update={"mappings": list(self._mappings)})

    def mappings(self) -> tuple[FieldMapping, ...]:
        return tuple(self._mappings)

    def mapping(self, mapping_id: str) -> FieldMapping | None:
        return next((m for m in self._mappings if m.id == mapping_id), None)

    def index_of(self, mapping_id: str) -> int:
        return next((i for i, m in enumerate(self._mappings) if m.id == mapping_id), -1)

    def fields(self, side: Side) -> tuple[FieldMeta, ...]:
        return self._fields[side]

    def field(self, side: Side, field_id: str | None) -> FieldMeta | None:
        return None if field_id is None else self._by_id[side].get(field_id)

    def mapping_ids(self) -> set[str]:
        return {m.id for m in self._mappings}

    # ------------------------------------------------------------------ changes (undo commands only)
    def add(self, mapping: FieldMapping, index: int | None = None) -> int:
        if self.index_of(mapping.id) >= 0:
            raise ValueError(f"mapping id {mapping.id!r} is already used")
        index = len(self._mappings) if index is None else max(0, min(index, len(self._mappings)))
        self._mappings.insert(index, mapping)
        self._changed()
        self.mappingAdded.emit(index, mapping)
        return index

    def remove(self, mapping_id: str) -> tuple[int, FieldMapping]:
        index = self.index_of(mapping_id)
        if index < 0:
            raise KeyError(f"no mapping {mapping_id!r}")
        mapping = self._mappings.pop(index)
        self._changed()
        self.mappingRemoved.emit(index, mapping)
        return index, mapping

    def replace(self, old_id: str, new: FieldMapping) -> FieldMapping:
        index = self.index_of(old_id)
        if index < 0:
            raise KeyError(f"no mapping {old_id!r}")
        if new.id != old_id and self.index_of(new.id) >= 0:
            raise ValueError(f"mapping id {new.id!r} is already used")
        old = self._mappings[index]
        self._mappings[index] = new
        self._changed()
        self.mappingChanged.emit(index, old, new)
        return old

    def _changed(self) -> None:
        self._issues = None
        self.validityChanged.emit()

    # ------------------------------------------------------------------ validation
    def issues(self) -> list[ValidationIssue]:
        """Problems of the current mappings against the loaded fields (cached until the next change)."""
        if self._issues is None:
            if self._profile is None:
                return []
            self._issues = validate_profile(self.profile(), self._fields[Side.JIRA], self._fields[Side.BITRIX24])
        return list(self._issues)

    def issues_for(self, mapping_id: str) -> list[ValidationIssue]:
        index = self.index_of(mapping_id)
        prefix = f"mappings[{index}]"
        return [i for i in self.issues() if i.path == prefix or i.path.startswith(prefix + ".")]

    def uncovered_required(self) -> list[tuple[Side, FieldMeta]]:
        """Required fields of each side records are created in that no create-time mapping writes.

        Mirrors validate_profile's ``required_not_covered`` rule but keeps the side of each field,
        which the issue's flat ``fields`` tuple cannot tell when both sides use the same id.
        """
        if self._profile is None:
            return []
        missing: list[tuple[Side, FieldMeta]] = []
        for side in SIDES:
            if not self._profile.may_create_in(side):
                continue
            covered = {m.target_field(side) for m in self._mappings if m.writes_to(side) and m.applies_on("create")}
            missing.extend(
                (side, f) for f in self._fields[side]
                if f.required and not f.read_only and f.id not in covered and f.id not in IMPLIED_ON_CREATE[side]
            )
        return missing
