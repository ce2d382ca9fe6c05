"""Small helpers every store shares: tables of models, JSON-safe values, chunks of ids."""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from typing import Any, TypeVar, cast

from sqlalchemy import Table

CHUNK = 500
T = TypeVar("T")


def chunks(items: Sequence[T], size: int = CHUNK) -> Iterator[Sequence[T]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


def table(model: type[Any]) -> Table:
    return cast(Table, model.__table__)


def json_safe(value: Any) -> Any:
    """Values stored as JSON go through JSON first (tuples become lists, dates strings) so what is read back
    equals what was meant."""
    return json.loads(json.dumps(value, default=str, ensure_ascii=False))
