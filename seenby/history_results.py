"""The result models of the history queries, beside the findings model (:mod:`seenby.findings`): what
``seenby exposure`` (:class:`ExposureTimeline`) and ``seenby diff`` (:class:`SnapshotDiff`) answer, and the
read documents that changed between two scans (:class:`DocumentChange`).

The history store computes them (:mod:`seenby.history.exposure`, :mod:`seenby.history.diff`,
:mod:`seenby.history.changes`); every renderer in ``reports/`` reads them from here.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from seenby.findings import AudienceClass, Finding, PathStep
from seenby.history.provenance import Provenance
from seenby.model import AccessLevel, CoverageGap, Dataset, Principal

__all__ = [
    "AudienceChange",
    "AudienceEvent",
    "ChangeDirection",
    "ChangeKind",
    "DocumentChange",
    "EventKind",
    "ExcessMember",
    "ExposureTimeline",
    "ExposureWindow",
    "FindingChange",
    "FindingChangeKind",
    "MemberSpan",
    "ScanPoint",
    "SnapshotDiff",
]


# ── read documents that changed between two scans ─────────────────────────────────


class ChangeKind(StrEnum):
    ADDED = "added"  # the read (or the whole resource) is new in the later scan
    REMOVED = "removed"  # gone in the later scan
    CHANGED = "changed"  # a different document or outcome


@dataclass(frozen=True, kw_only=True, slots=True)
class DocumentChange:
    """One read whose document differs between two scans; ``before``/``after`` are the reads as JSON."""

    resource: str
    resource_type: str
    read: str
    kind: ChangeKind
    before: Mapping[str, Any] | None
    after: Mapping[str, Any] | None
    on_path: bool = True

    def to_json(self) -> dict[str, Any]:
        return {
            "resource": self.resource,
            "resource_type": self.resource_type,
            "read": self.read,
            "change": self.kind.value,
            "on_path": self.on_path,
            "before": self.before,
            "after": self.after,
        }


# ── a dataset's exposure over time (seenby exposure) ─────────────────────────────


@dataclass(frozen=True, kw_only=True, slots=True)
class ScanPoint:
    """One recorded scan as the timeline sees it."""

    scan_id: int
    collected_at: datetime
    present: bool  # the dataset exists in this scan
    members: int = 0
    excess: int = 0
    people: int | None = None  # distinct people in the audience, where known
    excess_people: int | None = None  # distinct people beyond the declaration (None: unknown or no rules)
    declared_people: int | None = None  # distinct people inside the declaration and not beyond it
    gaps: int = 0


class EventKind(StrEnum):
    APPEARED = "appeared"
    DISAPPEARED = "disappeared"


@dataclass(frozen=True, kw_only=True, slots=True)
class AudienceEvent:
    """A member of the audience that appeared or disappeared between scans ``before`` and ``after``."""

    kind: EventKind
    principal: Principal
    level: AccessLevel
    audience_class: AudienceClass
    declared: bool | None
    people: int | None
    before: ScanPoint
    after: ScanPoint
    path: tuple[PathStep, ...]  # in the scan where the member is present
    causes: tuple[DocumentChange, ...]


@dataclass(frozen=True, kw_only=True, slots=True)
class MemberSpan:
    """One stretch of scans in which a member was in the audience.

    ``appeared_after`` is the last scan without it (None: it was there in the first scan);
    ``gone_by`` is the first scan without it again (None: still there in the last scan).
    """

    principal: Principal
    level: AccessLevel
    audience_class: AudienceClass
    declared: bool | None
    first_seen: ScanPoint
    last_seen: ScanPoint
    appeared_after: ScanPoint | None
    gone_by: ScanPoint | None


@dataclass(frozen=True, kw_only=True, slots=True)
class ExcessMember:
    principal: Principal
    level: AccessLevel
    audience_class: AudienceClass
    people: int | None


@dataclass(frozen=True, kw_only=True, slots=True)
class ExposureWindow:
    """Consecutive scans in which the audience exceeded the declaration.

    The exposure began after ``opened_after`` (None: before the first recorded scan) and at
    the latest by ``first_seen``; it lasted at least until ``last_seen`` and ended by
    ``closed_by`` (None: still open at the last scan).
    """

    first_seen: ScanPoint
    last_seen: ScanPoint
    opened_after: ScanPoint | None
    closed_by: ScanPoint | None
    excess: tuple[ExcessMember, ...]
    people: int | None  # the most people the excess counted in one scan, where known


@dataclass(frozen=True, kw_only=True)
class ExposureTimeline:
    dataset: Dataset
    levels: tuple[AccessLevel, ...]
    store: str
    scans: tuple[ScanPoint, ...]
    events: tuple[AudienceEvent, ...]
    spans: tuple[MemberSpan, ...]
    windows: tuple[ExposureWindow, ...]
    classification: str | None = None
    declaration: str | None = None  # where the dataset is declared; None: undeclared or no rules
    rules_file: str | None = None
    skipped: int = 0  # recorded scans that do not cover the dataset's account or project
    gaps: tuple[CoverageGap, ...] = ()  # coverage gaps of the dataset in the latest covering scan


# ── what changed between two snapshots (seenby diff) ────────────────────────────


class ChangeDirection(StrEnum):
    GAINED = "gained"
    LOST = "lost"


class FindingChangeKind(StrEnum):
    NEW = "new"
    FIXED = "fixed"
    CHANGED = "changed"


@dataclass(frozen=True, kw_only=True, slots=True)
class AudienceChange:
    """A principal or class that can newly reach (gained) or can no longer reach (lost) a dataset."""

    direction: ChangeDirection
    dataset: Dataset
    level: AccessLevel
    principal: Principal
    audience_class: AudienceClass
    declared: bool | None
    people: int | None
    conditional: bool
    path: tuple[PathStep, ...]  # in the snapshot where it can reach


@dataclass(frozen=True, kw_only=True, slots=True)
class FindingChange:
    kind: FindingChangeKind
    old: Finding | None
    new: Finding | None
    gained: tuple[str, ...] = ()  # excess principal ids only in the new finding
    lost: tuple[str, ...] = ()  # excess principal ids only in the old finding

    @property
    def finding(self) -> Finding:
        found = self.new or self.old
        assert found is not None
        return found


@dataclass(frozen=True, kw_only=True)
class SnapshotDiff:
    old: Provenance
    new: Provenance
    audience: tuple[AudienceChange, ...]
    findings: tuple[FindingChange, ...]
    unchanged_findings: int
    datasets_added: tuple[str, ...]
    datasets_removed: tuple[str, ...]
    rules_file: str | None = None
