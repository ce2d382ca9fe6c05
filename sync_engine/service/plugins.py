"""Job kinds beyond the built-in ones, named in the service's settings as ``module:factory``.

A factory takes the running :class:`~sync_engine.service.service.SyncService` and returns a
:class:`~sync_engine.jobs.JobHandler`; every instance of a cluster must name the same plugins, since a
job of a kind no instance handles waits in the queue.
"""

from __future__ import annotations

import importlib
from collections.abc import Sequence
from typing import Any

from sync_engine.jobs import JobHandler
from sync_engine.service.config import ConfigError


def load_handlers(specs: Sequence[str], service: Any) -> list[JobHandler]:
    out: list[JobHandler] = []
    for spec in specs:
        module_name, _, attr = spec.partition(":")
        if not module_name or not attr:
            raise ConfigError(f"job plugin {spec!r} must be written module:factory")
        try:
            factory = getattr(importlib.import_module(module_name), attr)
        except ImportError as exc:
            raise ConfigError(f"job plugin {spec!r}: cannot import {module_name}: {exc}") from None
        except AttributeError:
            raise ConfigError(f"job plugin {spec!r}: {module_name} has no {attr}") from None
        handler = factory(service)
        if not isinstance(handler, JobHandler) or not handler.kind:
            raise ConfigError(f"job plugin {spec!r} did not return a JobHandler with a kind")
        out.append(handler)
    return out
