"""Frozen entry point of ``b24studio`` (PyInstaller needs a script; the console script is not one)."""

import sys

from studio.app import main

if __name__ == "__main__":
    sys.exit(main())
