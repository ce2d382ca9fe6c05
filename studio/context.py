"""What a page is given: the backend, the change hub, the operation tracker and the window's services.

Pages get exactly this, never the window itself, so no page reaches into another; the window implements
the few services pages need from it (navigation, asking about unsaved edits).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

from studio.changes import ChangeHub
from studio.ops import OpTracker
from sync_engine.settings.schema import RuntimeSettings

if TYPE_CHECKING:
    from studio.backend import Backend


class WindowServices(Protocol):
    def show_page(self, name: str) -> None: ...
    def confirm_discard(self) -> bool: ...


@dataclass
class StudioContext:
    backend: Backend
    changes: ChangeHub
    ops: OpTracker
    window: WindowServices
    settings: RuntimeSettings = field(default_factory=RuntimeSettings)
