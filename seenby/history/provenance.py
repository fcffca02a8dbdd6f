"""Where an answer comes from: a recorded scan (and how old it is) or snapshot files."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from seenby.history.times import format_time

__all__ = ["Provenance", "ScanChoice"]


class ScanChoice(StrEnum):
    """How a recorded scan was chosen to answer (what its label may claim about it)."""

    LATEST = "latest"  # no --at: the latest recorded scan
    LATEST_HOLDING = "latest-holding"  # no --at: the latest recorded scan that holds the dataset asked about
    AT_TIME = "at-time"  # --at or a time: the latest at or before it
    BY_ID = "by-id"  # @ID


@dataclass(frozen=True, kw_only=True, slots=True)
class Provenance:
    """The snapshot an answer was computed from.

    ``scan_id`` and ``store`` are set for a recorded scan; ``asked_at`` is the ``--at``
    time, if one was given; ``now`` is when the question was answered (ages count from it).
    """

    collected_at: datetime
    now: datetime
    source: str | None = None
    scan_id: int | None = None
    store: str | None = None
    asked_at: datetime | None = None
    chosen_by: ScanChoice | None = None  # None: snapshot files, not a recorded scan

    @property
    def age(self) -> timedelta:
        """How old the snapshot was when the question was answered."""
        return self.now - self.collected_at

    @property
    def before_asked(self) -> timedelta | None:
        """How long before the asked time the snapshot was collected (what may have changed since)."""
        return self.asked_at - self.collected_at if self.asked_at is not None else None

    def to_json(self) -> dict[str, Any]:
        before = self.before_asked
        return {
            "scan_id": self.scan_id,
            "store": self.store,
            "source": self.source,
            "collected_at": format_time(self.collected_at),
            "asked_at": format_time(self.asked_at) if self.asked_at else None,
            "answered_at": format_time(self.now),
            "age_seconds": int(self.age.total_seconds()),
            "before_asked_seconds": int(before.total_seconds()) if before is not None else None,
            "chosen_by": self.chosen_by.value if self.chosen_by else None,
        }
