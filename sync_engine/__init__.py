"""Sync engine: connectors, mapping, engine, service and sandbox twins. Never imports Qt."""

from sync_engine.version import __version__

__all__ = ["__version__"]
