"""HTML pages of the history queries: who-can-read --at, what-can-read, exposure, diff.

Each is the frame of :mod:`.html_page`; :func:`scan_provenance` turns the recorded scan an
answer comes from into the page's provenance.
"""

from __future__ import annotations

import difflib
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from seenby.findings import AudienceAt, AudienceClass, PrincipalAccessReport
from seenby.history.provenance import Provenance as ScanProvenance
from seenby.history.times import format_time
from seenby.history_results import DocumentChange, ExposureTimeline, ScanPoint, SnapshotDiff
from seenby.model import AccessLevel, Dataset, Principal

from .base import RenderOptions
from .history_text import provenance_text
from .html import render_audience
from .html_page import Provenance, facet, render_page, search_text
from .ordering import ordered_gaps
from .text import clean

__all__ = [
    "DIFF_LINES_SHOWN",
    "render_audience_at",
    "render_diff",
    "render_exposure",
    "render_principal_access",
    "scan_provenance",
]


DIFF_LINES_SHOWN = 200  # lines of one document diff on the page; --format json has both documents


def scan_provenance(
    p: ScanProvenance, *, collector: Mapping[str, Any] | None = None, scope: Mapping[str, Any] | None = None
) -> Provenance:
    """The page provenance of an answer computed from ``p``: the scan (or files), when, how old, and
    (given the snapshot's ``collector`` and ``scope``) by whom and over which accounts and projects."""
    source = f"{p.store}@{p.scan_id}" if p.scan_id is not None else p.source
    return Provenance.of_snapshot(
        source=source, collected_at=format_time(p.collected_at), collector=collector or {}, scope=scope or {},
        as_of=provenance_text(p),
    )  # fmt: skip


def render_audience_at(subject: AudienceAt, options: RenderOptions) -> str:
    """who-can-read --at/--store: the audience page, its header naming the recorded scan and its age."""
    report = subject.report
    provenance = scan_provenance(subject.provenance, collector=report.collector, scope=report.scope)
    return render_audience(report, options, provenance=provenance)


def render_principal_access(report: PrincipalAccessReport, options: RenderOptions) -> str:
    """what-can-read: every dataset one principal reaches, each row opening to its drawn path."""
    levels = list(AccessLevel)
    entries = sorted(report.entries, key=lambda e: (e.dataset.id, levels.index(e.level)))
    numbered = list(enumerate(entries, 1))
    provenance = (scan_provenance(report.provenance, collector=report.collector, scope=report.scope)
                  if report.provenance is not None else Provenance.of_audience(report))
    declared_label = {True: "yes", False: "no", None: "unknown"}
    return render_page(
        "principal_access.html.j2",
        title=f"seenby: what {clean(report.principal.label)} can reach",
        provenance=provenance,
        report=report,
        numbered=numbered,
        datasets=len({e.dataset.id for e in entries}),
        undeclared=sum(1 for e in entries if e.declared is False),
        through_class=sum(1 for e in entries if e.through_class is not None),
        conditional=sum(1 for e in entries if e.conditional),
        gaps=ordered_gaps(report.gaps),
        declared_label=declared_label,
        search={n: search_text(e.dataset.id, e.dataset.name, e.dataset.account, e.level.value, e.classification,
                                e.through_class.label if e.through_class else "directly") for n, e in numbered},
        facets={
            "level": facet((e.level.value for e in entries), order=[lv.value for lv in AccessLevel]),
            "through": facet((e.through_class.label if e.through_class else "directly") for e in entries),
            "declared": facet((declared_label[e.declared] for e in entries), order=["no", "unknown", "yes"]),
        },
    )


class CellState:
    """What one timeline cell shows (CSS class ``cell-…``)."""

    IN = "in"  # in the audience, declared (or no declaration known)
    EXCESS = "excess"  # in the audience, beyond the declaration
    OUT = "out"  # not in the audience at that scan
    ABSENT = "absent"  # the dataset did not exist at that scan


@dataclass(frozen=True, kw_only=True, slots=True)
class TimelineColumn:
    """One recorded scan, a column of the timeline; ``window`` the exposure window it lies in, if any."""

    point: ScanPoint
    window: int | None


@dataclass(frozen=True, kw_only=True, slots=True)
class TimelineRow:
    """One principal at one level across every scan: its state at each (CellState, in scan order)."""

    principal: Principal
    level: AccessLevel
    audience_class: AudienceClass
    declared: bool | None
    cells: tuple[str, ...]


@dataclass(frozen=True, kw_only=True, slots=True)
class DiffLine:
    kind: str  # "add", "del", "hunk", "ctx"
    text: str


@dataclass(frozen=True, kw_only=True, slots=True)
class ChangeView:
    """A changed read document between two scans, as diff lines (the change that caused a transition)."""

    change: DocumentChange
    lines: tuple[DiffLine, ...]
    more: int  # diff lines not shown


def _change_view(change: DocumentChange) -> ChangeView:
    from .exposure_report import _pretty

    raw = list(difflib.unified_diff(_pretty(change.before), _pretty(change.after), "before", "after",
                                    lineterm="", n=2))[2:]
    kinds = {"+": "add", "-": "del", "@": "hunk"}
    lines = tuple(DiffLine(kind=kinds.get(line[:1], "ctx"), text=line) for line in raw[:DIFF_LINES_SHOWN])
    return ChangeView(change=change, lines=lines, more=max(0, len(raw) - DIFF_LINES_SHOWN))


def _timeline_grid(timeline: ExposureTimeline) -> tuple[list[TimelineColumn], list[TimelineRow]]:
    index = {p.scan_id: i for i, p in enumerate(timeline.scans)}
    in_window: dict[int, int] = {}
    for number, w in enumerate(timeline.windows, 1):
        for i in range(index[w.first_seen.scan_id], index[w.last_seen.scan_id] + 1):
            in_window[i] = number
    columns = [TimelineColumn(point=p, window=in_window.get(i)) for i, p in enumerate(timeline.scans)]
    stretches: dict[tuple[str, AccessLevel], list[tuple[int, int]]] = {}
    first: dict[tuple[str, AccessLevel], Any] = {}
    for s in timeline.spans:
        key = (s.principal.id, s.level)
        stretches.setdefault(key, []).append((index[s.first_seen.scan_id], index[s.last_seen.scan_id]))
        first.setdefault(key, s)
    rows = []
    for key, span in first.items():
        cells = []
        for i, point in enumerate(timeline.scans):
            present = any(a <= i <= b for a, b in stretches[key])
            if present:
                cells.append(CellState.EXCESS if span.declared is False else CellState.IN)
            else:
                cells.append(CellState.OUT if point.present else CellState.ABSENT)
        rows.append(TimelineRow(principal=span.principal, level=span.level, audience_class=span.audience_class,
                                declared=span.declared, cells=tuple(cells)))
    rows.sort(key=lambda r: (list(AccessLevel).index(r.level), r.audience_class.rank, r.principal.id))
    return columns, rows


def render_exposure(timeline: ExposureTimeline, options: RenderOptions) -> str:
    """exposure: the audience across recorded scans as a grid (one column per scan), the exposure
    windows highlighted, and each appearance or disappearance with the document change that caused it."""
    columns, rows = _timeline_grid(timeline)
    scans = timeline.scans
    span = f"scans @{scans[0].scan_id}–@{scans[-1].scan_id}" if len(scans) > 1 else f"scan @{scans[0].scan_id}"
    provenance = Provenance(
        source=f"{timeline.store} ({span})",
        collected_at=f"{format_time(scans[0].collected_at)} to {format_time(scans[-1].collected_at)}",
        rules_file=timeline.rules_file,
    )
    return render_page(
        "exposure.html.j2",
        title=f"seenby: exposure of {clean(timeline.dataset.id)}",
        provenance=provenance,
        timeline=timeline,
        columns=columns,
        rows=rows,
        events=[(e, [_change_view(c) for c in e.causes]) for e in timeline.events],
        open_window=any(w.closed_by is None for w in timeline.windows),
        gaps=ordered_gaps(timeline.gaps),
    )


@dataclass(frozen=True, kw_only=True, slots=True)
class DatasetChanges:
    """The audience gained and lost by one dataset between the two sides of a diff."""

    anchor: str
    dataset: Dataset
    gained: tuple[Any, ...]  # AudienceChange
    lost: tuple[Any, ...]


def render_diff(diff: SnapshotDiff, options: RenderOptions) -> str:
    """diff: audiences gained and lost per dataset, then new, fixed and changed findings."""
    by_dataset: dict[str, list[Any]] = {}
    for c in diff.audience:
        by_dataset.setdefault(c.dataset.id, []).append(c)
    datasets = [
        DatasetChanges(anchor=f"ds-{i}", dataset=changes[0].dataset,
                       gained=tuple(c for c in changes if c.direction.value == "gained"),
                       lost=tuple(c for c in changes if c.direction.value == "lost"))
        for i, changes in enumerate(by_dataset.values(), 1)
    ]
    kinds = Counter(c.kind.value for c in diff.findings)
    old, new = scan_provenance(diff.old), scan_provenance(diff.new)
    provenance = Provenance(source=f"{old.source} → {new.source}", collected_at=f"{old.collected_at} → "
                            f"{new.collected_at}", rules_file=diff.rules_file)
    return render_page(
        "diff.html.j2",
        title="seenby diff",
        provenance=provenance,
        diff=diff,
        old=old,
        new=new,
        datasets=datasets,
        gained=sum(len(d.gained) for d in datasets),
        lost=sum(len(d.lost) for d in datasets),
        counts={k: kinds.get(k, 0) for k in ("new", "fixed", "changed")},
    )
