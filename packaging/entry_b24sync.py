"""Frozen entry point of ``b24sync`` (PyInstaller needs a script; the console script is not one)."""

import sys

from sync_engine.cli import main

if __name__ == "__main__":
    sys.exit(main())
