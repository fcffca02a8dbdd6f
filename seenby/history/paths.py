"""Where the history store lives by default: the user's data directory (XDG)."""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["DEMO_STORE", "DEMO_STORE_FILENAME", "STORE_FILENAME", "default_store_path", "demo_store_path"]

STORE_FILENAME = "history.sqlite3"
DEMO_STORE_FILENAME = "demo.sqlite3"
DEMO_STORE = "demo"  # `--store demo`: the store `seenby demo` records into (a file named demo: `./demo`)


def _data_dir() -> Path:
    base = os.environ.get("XDG_DATA_HOME") or ""
    root = Path(base) if base and Path(base).is_absolute() else Path.home() / ".local" / "share"
    return root / "seenby"


def default_store_path() -> Path:
    """``$XDG_DATA_HOME/seenby/history.sqlite3``, or ``~/.local/share/seenby/history.sqlite3``."""
    return _data_dir() / STORE_FILENAME


def demo_store_path() -> Path:
    """The demo's own store, next to the default one: the demo never writes into a real history."""
    return _data_dir() / DEMO_STORE_FILENAME
