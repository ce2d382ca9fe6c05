"""The small async interface every connector offers the engine.

The engine only ever sees :class:`Record` values and :class:`FieldMeta` descriptions; how a system
pages, batches or paces its calls stays inside its connector.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol, runtime_checkable

from sync_engine.fieldtypes import FieldMeta
from sync_engine.sides import Side

System = Side  # a record belongs to one of the two systems


class ConnectorError(Exception):
    """A remote call failed for good (after retries). The message never contains a secret."""

    def __init__(self, message: str, *, status: int | None = None, code: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code


class AuthError(ConnectorError):
    """Credentials were refused (401/403): retrying cannot help."""


class NotFoundError(ConnectorError):
    """The entity does not exist (or is not visible) on the remote side."""


@dataclass(frozen=True, slots=True)
class EntityScope:
    """Which records of a system a profile side covers.

    JIRA: ``entity="issue"`` with ``projects``/``issue_types`` and an optional extra ``query`` (JQL).
    Bitrix24: ``entity`` is ``deal``/``contact``/``company``/``product`` or ``item`` with
    ``entity_type_id``; ``category_id`` narrows to one pipeline; ``filter`` is a Bitrix24 filter dict.
    """

    entity: str
    projects: tuple[str, ...] = ()
    issue_types: tuple[str, ...] = ()
    query: str = ""
    entity_type_id: int | None = None
    category_id: int | None = None
    filter: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Record:
    """One entity as read from a system.

    ``version`` identifies this state of the record (JIRA ``updated`` with millis, Bitrix24
    ``DATE_MODIFY``), so overlapping incremental windows can be de-duplicated.
    """

    id: str
    fields: Mapping[str, Any]
    updated: datetime | None = None
    key: str | None = None
    version: str = ""


@dataclass(frozen=True, slots=True)
class Cursor:
    """Where incremental reading resumes: the newest ``updated`` seen and the ids seen at that instant."""

    updated: datetime
    seen_ids: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class WriteResult:
    """Outcome of one item of a batched write; ``index`` is its position in the request."""

    index: int
    ok: bool
    id: str | None = None
    key: str | None = None
    error: str | None = None


@runtime_checkable
class Connector(Protocol):
    system: System

    @property
    def api_calls(self) -> int:
        """HTTP requests made so far (a Bitrix24 batch counts once), for run records and benchmarks."""
        ...

    async def describe_fields(self, scope: EntityScope) -> list[FieldMeta]: ...

    def iter_changed(
        self, scope: EntityScope, since: Cursor | None, *, page_size: int = 0
    ) -> AsyncIterator[list[Record]]:
        """Pages of records changed at or after ``since`` (all records when None), oldest first."""
        ...

    async def get_many(
        self, scope: EntityScope, ids: Sequence[str], *, fields: Sequence[str] | None = None
    ) -> list[Record]: ...

    async def find(self, scope: EntityScope, field: str, values: Sequence[str]) -> list[Record]:
        """Records whose ``field`` equals one of ``values`` exactly (stamps, match keys), batched."""
        ...

    async def create_many(self, scope: EntityScope, items: Sequence[Mapping[str, Any]]) -> list[WriteResult]: ...

    async def update_many(
        self, scope: EntityScope, items: Sequence[tuple[str, Mapping[str, Any]]]
    ) -> list[WriteResult]: ...

    async def delete_many(self, scope: EntityScope, ids: Sequence[str]) -> list[WriteResult]: ...

    async def aclose(self) -> None: ...
