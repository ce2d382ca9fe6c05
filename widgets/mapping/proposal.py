"""What a new link between two fields should be: its id, direction and first transform.

Kept free of Qt so the choice is the same whether the link comes from a drag on the canvas or a
new row in the table, and so it is easy to reason about in tests.
"""

from __future__ import annotations

import re
from collections.abc import Collection

from sync_engine.fieldtypes import FieldMeta, FieldType
from sync_engine.mapping.transforms import suggest_value_map
from sync_engine.mapping.validate import TRANSFORM_KINDS, transform_compatible
from sync_engine.profiles.schema import (
    CopyTransform,
    DateTransform,
    FieldMapping,
    MoneyTransform,
    MultiValueMapTransform,
    RelatedEntityTransform,
    Transform,
    UserByEmailTransform,
    ValueMapPair,
    ValueMapTransform,
)
from sync_engine.sides import Side

_TEMPORAL = (FieldType.DATE, FieldType.DATETIME)
_ENUMS = (FieldType.ENUM, FieldType.MULTI_ENUM)
DEFAULT_CURRENCY = "RUB"


def normalise_search(text: str) -> str:
    """Case-insensitive and ё-insensitive, as Russian users type 'е' for 'ё'."""
    return text.casefold().replace("ё", "е")


def unique_mapping_id(jira_id: str | None, b24_id: str | None, taken: Collection[str]) -> str:
    """A slug built from the field ids (``customfield_10101-opportunity``), made unique by a suffix."""
    raw = "-".join(p for p in (jira_id, b24_id) if p) or "mapping"
    slug = re.sub(r"[^a-z0-9_-]+", "-", raw.casefold()).strip("-_") or "mapping"
    if not slug[0].isalnum():
        slug = "m" + slug
    slug = slug[:56]
    candidate, n = slug, 2
    while candidate in taken:
        candidate, n = f"{slug}-{n}", n + 1
    return candidate


def _value_pairs(jira: FieldMeta, b24: FieldMeta) -> list[ValueMapPair]:
    pairs = suggest_value_map(jira, b24)
    if not pairs and jira.options and b24.options:
        # A value map needs at least one pair; start from the first options so the user reviews it.
        pairs = [ValueMapPair(jira=jira.options[0].label, bitrix24=b24.options[0].id)]
    return pairs


def propose_transform(source: FieldMeta, target: FieldMeta, jira: FieldMeta, b24: FieldMeta) -> Transform | None:
    """The transform a fresh link starts with, or None if no transform can write ``source`` into ``target``."""
    s, t = source.type, target.type
    if s is FieldType.ENUM and t is FieldType.ENUM:
        pairs = _value_pairs(jira, b24)
        if pairs:
            return ValueMapTransform(pairs=pairs, auto_suggested=True)
    if (s in _ENUMS and t is FieldType.MULTI_ENUM) or (s is FieldType.MULTI_ENUM and t in _ENUMS):
        pairs = _value_pairs(jira, b24)
        if pairs and transform_compatible("multi_value_map", source, target)[0]:
            return MultiValueMapTransform(pairs=pairs, auto_suggested=True)
    if s is FieldType.USER and t is FieldType.USER:
        return UserByEmailTransform()
    if s in _TEMPORAL and t in _TEMPORAL:
        return DateTransform()
    if FieldType.MONEY in (s, t) and transform_compatible("money", source, target)[0]:
        if s is t and transform_compatible("copy", source, target)[0]:
            return CopyTransform()
        return MoneyTransform(currency=DEFAULT_CURRENCY)
    if FieldType.REFERENCE in (s, t) and transform_compatible("related_entity", source, target)[0]:
        reference = jira.reference or b24.reference or "related"
        return RelatedEntityTransform(profile=unique_mapping_id(reference, None, ()))
    for kind in TRANSFORM_KINDS[:5]:  # copy, value_map, multi_value_map, user_by_email, date
        if not transform_compatible(kind, source, target)[0]:
            continue
        if kind == "copy":
            return CopyTransform()
        if kind in ("value_map", "multi_value_map"):
            pairs = _value_pairs(jira, b24)
            if pairs:
                cls = ValueMapTransform if kind == "value_map" else MultiValueMapTransform
                return cls(pairs=pairs, auto_suggested=True)
        if kind == "user_by_email":
            return UserByEmailTransform()
        if kind == "date":
            return DateTransform()
    return None


def propose_mapping(source_side: Side, source: FieldMeta, target: FieldMeta, taken_ids: Collection[str],
                    ) -> FieldMapping | None:
    """The mapping made by linking ``source`` (on ``source_side``) to ``target`` on the other side.

    The direction follows the gesture, from the source toward the target; None if nothing fits.
    """
    jira, b24 = (source, target) if source_side == Side.JIRA else (target, source)
    transform = propose_transform(source, target, jira, b24)
    if transform is None:
        return None
    return FieldMapping(
        id=unique_mapping_id(jira.id, b24.id, taken_ids),
        jira_field=jira.id,
        bitrix24_field=b24.id,
        direction="to_bitrix24" if source_side == Side.JIRA else "to_jira",
        transform=transform,
    )


def transform_fits(mapping: FieldMapping, jira: FieldMeta | None, b24: FieldMeta | None) -> tuple[bool, str]:
    """Does ``mapping``'s transform work for every direction it writes in?"""
    kind = mapping.transform.type
    for target_side in (Side.BITRIX24, Side.JIRA):
        if not mapping.writes_to(target_side):
            continue
        target = b24 if target_side == Side.BITRIX24 else jira
        source = jira if target_side == Side.BITRIX24 else b24
        if target is None:
            return False, "the target field is not set"
        if kind in ("template", "constant"):
            source = None
        ok, reason = transform_compatible(kind, source, target)
        if not ok:
            return False, reason
    return True, ""
