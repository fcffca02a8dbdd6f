"""Where the history store lives by default: the user's data directory (XDG)."""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["STORE_FILENAME", "default_store_path"]

STORE_FILENAME = "history.sqlite3"


def default_store_path() -> Path:
    """``$XDG_DATA_HOME/seenby/history.sqlite3``, or ``~/.local/share/seenby/history.sqlite3``."""
    base = os.environ.get("XDG_DATA_HOME") or ""
    root = Path(base) if base and Path(base).is_absolute() else Path.home() / ".local" / "share"
    return root / "seenby" / STORE_FILENAME
