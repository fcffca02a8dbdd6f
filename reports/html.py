"""HTML: one self-contained report of an audit (findings) or of a dataset's audience.

The page frame, its Content-Security-Policy and the template helpers are
:mod:`.html_page`'s; each explaining path is laid out by :mod:`.html_paths`; the history
queries' pages are :mod:`.html_history`'s.  This module re-exports the names reports and
tests use (:class:`Provenance`, :func:`render_page`, :func:`path_graph`, ``TEMPLATES``).
"""

from __future__ import annotations

from dataclasses import dataclass

from seenby.findings import AudienceClass, AudienceReport, AuditResult, Finding, Severity
from seenby.model import AccessLevel, Dataset

from .base import RenderOptions
from .html_page import TEMPLATES, ClassGroup, Provenance, class_groups, environment, facet, render_page, search_text
from .html_paths import PathGraph, path_graph, path_line
from .ordering import SEVERITIES_DESC, member_key, ordered_excess, ordered_gaps, severity_counts, visible_findings
from .text import CLASS_LABELS, clean, level_text

__all__ = [
    "TEMPLATES",
    "PathGraph",
    "Provenance",
    "environment",
    "path_graph",
    "render_audience",
    "render_findings",
    "render_page",
]


WIDEST_SHOWN = 5  # findings in the "widest over-exposures" summary


@dataclass(frozen=True, kw_only=True, slots=True)
class LevelView:
    """One access level of one dataset: who was declared beside who else can reach it."""

    level: str
    declared: tuple[str, ...]
    declaration: str | None
    groups: tuple[ClassGroup, ...]


@dataclass(frozen=True, kw_only=True, slots=True)
class DatasetView:
    anchor: str
    dataset: Dataset
    classification: str | None
    findings: tuple[tuple[int, Finding], ...]  # (row number in the findings table, finding)
    levels: tuple[LevelView, ...]
    worst: Severity


def _dataset_views(numbered: list[tuple[int, Finding]]) -> list[DatasetView]:
    by_dataset: dict[str, list[tuple[int, Finding]]] = {}
    for n, f in numbered:
        by_dataset.setdefault(f.dataset.id, []).append((n, f))
    views = []
    for items in by_dataset.values():  # in report order: the first finding is the most severe
        dataset = items[0][1].dataset
        levels: dict[AccessLevel, list[Finding]] = {}
        for _, f in items:
            if f.level is not None:
                levels.setdefault(f.level, []).append(f)
        level_views = []
        for level in AccessLevel:
            found = levels.get(level)
            if not found:
                continue
            declared = next((f for f in found if f.declared or f.declaration), found[0])
            entries = {(e.principal.id, e.audience_class): e for f in found for e in f.excess}
            level_views.append(LevelView(level=level.value, declared=declared.declared,
                                         declaration=declared.declaration,
                                         groups=tuple(class_groups(entries.values()))))
        classification = next((f.classification for _, f in items if f.classification), None)
        views.append(DatasetView(anchor=f"ds-{len(views) + 1}", dataset=dataset, classification=classification,
                                 findings=tuple(items), levels=tuple(level_views), worst=items[0][1].severity))
    return views


@dataclass(frozen=True, kw_only=True, slots=True)
class Exposure:
    """One of the widest over-exposures: a finding and the people beyond its declaration."""

    number: int
    finding: Finding
    people: int
    broadest: str
    path: str  # how the broadest member gets in, as one line


def _widest(numbered: list[tuple[int, Finding]]) -> list[Exposure]:
    exposures = [
        Exposure(number=n, finding=f, people=f.people, broadest=CLASS_LABELS[ordered_excess(f)[0].audience_class],
                 path=path_line(ordered_excess(f)[0].path))
        for n, f in numbered
        if f.people and f.excess and not f.waived
    ]
    exposures.sort(key=lambda e: (-e.people, -e.finding.severity.rank, e.number))
    return exposures[:WIDEST_SHOWN]


def _finding_search(finding: Finding) -> str:
    d = finding.dataset
    principals = " ".join(f"{e.principal.id} {e.principal.label}" for e in finding.excess)
    return search_text(finding.rule_id, finding.title, finding.severity.value, d.id, d.name, d.account,
                        d.provider.value, finding.classification, level_text(finding.level), finding.message,
                        principals)


def _fix_views(numbered: list[tuple[int, Finding]]) -> dict[int, object]:
    """``seenby fix``: each searched finding's fix (a diff and commands), by its number."""
    if not any(f.fix is not None for _, f in numbered):
        return {}
    from .fix_text import fix_view

    return {n: fix_view(f.fix) for n, f in numbered if f.fix is not None}


def render_findings(result: AuditResult, options: RenderOptions) -> str:
    """The audit as one HTML page: summary, coverage gaps, a findings table, then each dataset."""
    findings = visible_findings(result, options.show_waived)
    numbered = list(enumerate(findings, 1))
    counts = severity_counts(result)
    active = result.active
    return render_page(
        "findings.html.j2",
        title=f"seenby audit: {len(active)} finding{'s' if len(active) != 1 else ''}",
        provenance=Provenance.of_result(result),
        result=result,
        numbered=numbered,
        counts=counts,
        total=len(active),
        waived=len(result.findings) - len(active),
        show_waived=options.show_waived,
        touched=len({f.dataset.id for f in active}),
        gaps=ordered_gaps(result.gaps),
        datasets_with_gaps=len(result.datasets_with_gaps),
        widest=_widest(numbered),
        datasets=_dataset_views(numbered),
        clean_datasets=sorted({d.id for d in result.datasets} - {f.dataset.id for f in findings}),
        search={n: _finding_search(f) for n, f in numbered},
        fixes=_fix_views(numbered),
        facets={
            "severity": facet((f.severity.value for f in findings), order=[s.value for s in SEVERITIES_DESC]),
            "rule": facet(f.rule_id for f in findings),
            "provider": facet(f.dataset.provider.value for f in findings),
            "account": facet(f.dataset.account for f in findings),
            "classification": facet(f.classification for f in findings),
        },
    )


def render_audience(report: AudienceReport, options: RenderOptions, *, provenance: Provenance | None = None) -> str:
    """Who can reach one dataset, as one HTML page: summary, gaps, a members table, each path drawn.

    ``provenance`` replaces what the report itself knows (source and time) when the caller
    knows more, such as the scan a history store chose.
    """
    members = sorted(report.members, key=member_key)
    numbered = list(enumerate(members, 1))
    declared_label = {True: "yes", False: "no", None: "unknown"}
    return render_page(
        "audience.html.j2",
        title=f"seenby: who can reach {clean(report.dataset.id)}",
        provenance=provenance or Provenance.of_audience(report),
        report=report,
        numbered=numbered,
        gaps=ordered_gaps(report.gaps),
        groups=class_groups(members),
        declared_label=declared_label,
        undeclared=sum(1 for m in members if m.declared is False),
        conditional=sum(1 for m in members if m.conditional),
        search={n: search_text(m.principal.id, m.principal.label, m.level.value, m.principal.kind.value,
                                CLASS_LABELS[m.audience_class]) for n, m in numbered},
        facets={
            "level": facet((m.level.value for m in members), order=[lv.value for lv in AccessLevel]),
            "class": facet((CLASS_LABELS[m.audience_class] for m in members),
                           order=[CLASS_LABELS[c] for c in AudienceClass]),
            "declared": facet((declared_label[m.declared] for m in members), order=["no", "unknown", "yes"]),
        },
    )
