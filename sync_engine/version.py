"""The one place the product version is defined (pyproject reads it, so do --version and /healthz)."""

__version__ = "0.1.0"
