"""Sync profiles: the pydantic schema and its YAML form (config as code)."""
