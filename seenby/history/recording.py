"""Recording snapshots into the history store from the command line (scan, record)."""

from __future__ import annotations

from collections.abc import Callable

from seenby.history.options import store_path
from seenby.history.store import HistoryStore, ScanRecord
from seenby.snapshot import Snapshot

__all__ = ["record_snapshot"]


def record_snapshot(
    snapshot: Snapshot, *, store: str | None, source: str | None = None, say: Callable[[str], None] | None = None
) -> ScanRecord:
    """Record ``snapshot`` in the store (created owner-only if needed) and say so on stderr."""
    path = store_path(store)
    with HistoryStore.open(path) as history:
        scan, new = history.record(snapshot, source=source)
    if say is not None:
        verb = "recorded" if new else "already recorded as"
        say(f"{verb} {scan.describe()} in {path}")
    return scan
