"""Bundled resources (icons, styles, translations, sample profiles), found relative to this package."""

from __future__ import annotations

from pathlib import Path


def root() -> Path:
    return Path(__file__).resolve().parent


def profiles_dir() -> Path:
    return root() / "profiles"
