"""The history store: recorded scans in an embedded SQLite file, and queries across them.

::

    store = HistoryStore.open(default_store_path())      # or a --store PATH
    scan = store.record(snapshot)                        # content-addressed: unchanged documents are kept once
    snapshot = store.snapshot(scan.id)                   # exactly what was recorded
    chosen = store.scan_at(parse_time("2026-03-01"))     # the nearest scan at or before a time

Commands reach the store through :mod:`seenby.history.select` (``--at`` / ``--store``).
Format and guarantees: ``docs/history.md``.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

__all__ = ["HistoryStore", "ScanRecord", "StoreCounts", "default_store_path", "parse_time"]

# Imported on first use, so that the command line's option helpers stay light.
_HOMES = {
    "HistoryStore": "seenby.history.store",
    "ScanRecord": "seenby.history.store",
    "StoreCounts": "seenby.history.store",
    "default_store_path": "seenby.history.paths",
    "parse_time": "seenby.history.times",
}


def __getattr__(name: str) -> Any:
    if name in _HOMES:
        return getattr(import_module(_HOMES[name]), name)
    raise AttributeError(f"module 'seenby.history' has no attribute {name!r}")
