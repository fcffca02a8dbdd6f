"""Text the history reports share: where an answer comes from, scans, ages."""

from __future__ import annotations

from seenby.history.provenance import Provenance, ScanChoice
from seenby.history.times import format_age, format_time

from .text import clean

__all__ = ["between_text", "provenance_text", "scan_point_text", "scan_text"]


def scan_text(scan_id: int | None, collected_at: str | None) -> str:
    """``scan @3 (2026-03-01T09:00:00Z)``; ``before the first recorded scan`` for None."""
    if scan_id is None:
        return "(none recorded)"
    return f"scan @{scan_id} ({collected_at})"


def provenance_text(p: Provenance) -> str:
    """``recorded scan @3 of STORE, collected T: 2 days before the time asked (T2); 5 days old``."""
    collected = format_time(p.collected_at)
    if p.scan_id is None:
        return f"snapshot {clean(p.source or '(live scan)')}, collected {collected}: {format_age(p.age)} old"
    head = f"recorded scan @{p.scan_id} of {clean(p.store or '?')}, collected {collected}"
    before = p.before_asked
    if before is not None and p.asked_at is not None:
        head += f": {format_age(before)} before the time asked ({format_time(p.asked_at)});"
    elif p.chosen_by is ScanChoice.BY_ID:
        head += ";"
    elif p.chosen_by is ScanChoice.LATEST_HOLDING:
        head += ": the latest recorded that holds the dataset;"
    else:
        head += ": the latest recorded;"
    head += f" {format_age(p.age)} old"
    if p.source:
        head += f" (recorded from {clean(p.source)})"
    return head


def scan_point_text(point: object | None, none: str = "before the first recorded scan") -> str:
    """``scan @3 (2026-03-01T09:00:00Z)`` for a ScanPoint; ``none`` when there is none."""
    if point is None:
        return none
    return f"scan @{point.scan_id} ({format_time(point.collected_at)})"  # type: ignore[attr-defined]


def between_text(before: object | None, after: object | None) -> str:
    """``between scan @1 (T1) and scan @2 (T2)``."""
    return f"between {scan_point_text(before)} and {scan_point_text(after, 'the last recorded scan')}"
