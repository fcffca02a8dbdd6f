"""HTML: one self-contained file for the people who will not read a terminal.

Rendered with Jinja2 (templates in ``templates/``, autoescape on for every
template).  Everything the page needs is inside it: the stylesheet and the small
script are inlined and allowed by hash in a strict Content-Security-Policy (no
source outside the file is allowed at all), fonts are the system's, and each
explaining path is drawn as inline SVG computed here, in Python (see
docs/html-report.md for why).  Untrusted text (policy excerpts, tags, principal
names) reaches the page only through autoescaping, after :func:`~seenby.reports.text.clean`.

The history queries (who-can-read --at, what-can-read, exposure, diff) are rendered at the
end of this module with the same frame; :func:`scan_provenance` turns the recorded scan an
answer comes from into the page's provenance.  Other reports get the frame with :func:`render_page`::

    html = render_page("mine.html.j2", title="seenby …", provenance=Provenance.of_result(result), result=result)

where ``mine.html.j2`` starts with ``{% extends "base.html.j2" %}`` and may import
the macros of ``macros.html.j2`` (severity badges, path graphs, evidence, gaps).
"""

from __future__ import annotations

import base64
import difflib
import functools
import hashlib
import json
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from markupsafe import Markup

from seenby.findings import (
    AudienceClass,
    AudienceMember,
    AudienceReport,
    AuditResult,
    ExcessEntry,
    Finding,
    PathStep,
    Severity,
    StepKind,
)
from seenby.history.times import format_time
from seenby.model import AccessLevel, Dataset, Evidence, Principal, thaw_json

from .base import RenderOptions
from .history_text import provenance_text, scan_point_text
from .ordering import (
    SEVERITIES_DESC,
    member_key,
    opening_evidence,
    ordered_excess,
    ordered_gaps,
    remediation_for,
    severity_counts,
    visible_findings,
)
from .text import CLASS_LABELS, clean, condition_text, edge_label, level_text, people_text, shorten

if TYPE_CHECKING:
    from seenby.history.changes import DocumentChange
    from seenby.history.diff import SnapshotDiff
    from seenby.history.exposure import ExposureTimeline, ScanPoint
    from seenby.history.provenance import Provenance as ScanProvenance
    from seenby.queries import PrincipalAccessReport

    from .audience_at import AudienceAt

__all__ = [
    "PathGraph",
    "Provenance",
    "environment",
    "path_graph",
    "render_audience",
    "render_audience_at",
    "render_diff",
    "render_exposure",
    "render_findings",
    "render_page",
    "render_principal_access",
    "scan_provenance",
]

TEMPLATES = Path(__file__).parent / "templates"
EXCERPT_LIMIT = 4000  # characters of one policy excerpt
WIDEST_SHOWN = 5  # findings in the "widest over-exposures" summary


# ── provenance ──────────────────────────────────────────────────────────────────


@dataclass(frozen=True, kw_only=True, slots=True)
class Provenance:
    """Where the data of a page comes from: shown in the page header and the footer of every printed page."""

    source: str | None
    collected_at: str
    identity: str | None = None
    tool: str | None = None
    mode: str | None = None
    scope: tuple[tuple[str, str], ...] = ()
    rules_file: str | None = None
    as_of: str | None = None  # which recorded scan answers and how old it is (history queries)

    @classmethod
    def of_snapshot(
        cls,
        *,
        source: str | None,
        collected_at: str,
        collector: Mapping[str, Any],
        scope: Mapping[str, Any],
        **extra: Any,
    ) -> Provenance:
        """From a snapshot's header: its source, time, collector (identity, tool, mode) and scope."""
        tool = " ".join(str(collector[k]) for k in ("tool", "version") if collector.get(k)) or None
        return cls(
            source=source,
            collected_at=collected_at,
            identity=str(collector["identity"]) if collector.get("identity") else None,
            tool=tool,
            mode=str(collector["mode"]) if collector.get("mode") else None,
            scope=_scope_items(scope),
            **extra,
        )

    @classmethod
    def of_result(cls, result: AuditResult) -> Provenance:
        return cls.of_snapshot(
            source=result.snapshot_source, collected_at=result.collected_at, collector=result.collector,
            scope=result.scope, rules_file=result.rules_file,
        )  # fmt: skip

    @classmethod
    def of_audience(cls, report: AudienceReport | PrincipalAccessReport) -> Provenance:
        return cls.of_snapshot(
            source=report.snapshot_source, collected_at=report.collected_at, collector=report.collector,
            scope=report.scope,
        )  # fmt: skip

    @property
    def line(self) -> str:
        """One line for the printed footer: snapshot, when, by whom, scope."""
        parts = [f"snapshot {self.source or '(live scan)'}", f"collected {self.collected_at}"]
        if self.as_of:
            parts = [f"as of {self.as_of}"]
        if self.identity:
            parts.append(f"by {self.identity}")
        if self.scope:
            parts.append("; ".join(f"{k}: {v}" for k, v in self.scope))
        return clean(" · ".join(parts))


def _scope_items(scope: Mapping[str, Any]) -> tuple[tuple[str, str], ...]:
    items = []
    for key in sorted(scope):
        value = thaw_json(scope[key])
        if value in (None, "", [], {}):
            continue
        shown = ", ".join(str(v) for v in value) if isinstance(value, list) else str(value)
        items.append((key.replace("_", " "), shown))
    return tuple(items)


# ── path graphs: laid out here, drawn by the ``path_graph`` macro ───────────────

_FONT_PX = 12.0
_CHAR_PX = 7.3  # advance of one character of a 12px monospace font, with a little slack
_EDGE_CHAR_PX = 6.2  # the 10.5px monospace font of edge labels
_NODE_H = 46.0
_NODE_MIN_W, _NODE_MAX_W = 110.0, 330.0
_EDGE_MIN_W, _EDGE_MAX_W = 96.0, 300.0
_PAD = 6.0
_NODE_LABEL_MAX = int((_NODE_MAX_W - 20) / _CHAR_PX)
_EDGE_LABEL_MAX = int((_EDGE_MAX_W - 16) / _EDGE_CHAR_PX)

_KIND_HINTS = (  # display only: what an intermediate step most likely is, from its id
    (":group/", "group"),
    ("group:", "group"),
    (":assumed-role/", "role session"),
    (":role/", "role"),
    ("serviceAccount:", "service account"),
    (":user/", "user"),
    ("user:", "user"),
)


@dataclass(frozen=True, kw_only=True, slots=True)
class GraphNode:
    x: float
    width: float
    label: str  # as drawn (shortened)
    title: str  # the full id, shown on hover and in the evidence list
    kind: str  # "organization", "group", "role", "dataset", …
    css: str  # class for colouring: broad, principal, dataset


@dataclass(frozen=True, kw_only=True, slots=True)
class GraphEdge:
    x1: float
    x2: float
    number: int  # the evidence list item that explains this hop
    label: str  # edge kind: read, can-assume, member-of, re-exposes
    note: str  # where the statement or binding is: Statement[0]
    sid: str  # its Sid, when it has one
    conditional: bool


@dataclass(frozen=True, kw_only=True, slots=True)
class GraphHop:
    """One edge of the path with all its evidence and conditions, for the list below the drawing."""

    number: int
    source: str
    target: str
    label: str
    evidence: tuple[Evidence, ...]
    conditions: tuple[str, ...]


@dataclass(frozen=True, kw_only=True, slots=True)
class PathGraph:
    """One explaining path, laid out left to right: principal → group → role → dataset."""

    width: float
    height: float
    node_y: float
    nodes: tuple[GraphNode, ...]
    edges: tuple[GraphEdge, ...]
    hops: tuple[GraphHop, ...]
    text: str  # the same path as one line of text (the SVG's accessible name)


def _step_kind(step: PathStep, index: int, first: Principal | None, dataset: Dataset | None) -> tuple[str, str]:
    if step.kind is StepKind.DATASET:
        last = dataset is not None and step.node == dataset.id
        return (dataset.kind.value if last and dataset else "dataset / view"), "dataset"
    if index == 0 and first is not None:
        return first.kind.value, "broad" if first.kind.is_class else "principal"
    for needle, hint in _KIND_HINTS:
        if needle in step.node:
            return hint, "principal"
    return "principal", "principal"


def _evidence_note(evidence: tuple[Evidence, ...]) -> tuple[str, str]:
    """Where the first statement or binding of a hop is, and its Sid (``+N`` when the hop has more)."""
    if not evidence:
        return "", ""
    first = evidence[0]
    more = f" +{len(evidence) - 1}" if len(evidence) > 1 else ""
    return clean(first.location) + more, (f"Sid {clean(first.sid)}" if first.sid else "")


def path_graph(path: tuple[PathStep, ...], *, principal: Principal | None = None,
               dataset: Dataset | None = None) -> PathGraph:
    """Lay out ``path`` as boxes joined by labelled arrows; sizes come from the label lengths.

    Text is measured as monospace (the drawing's font), so no browser is needed to lay it out.
    """
    nodes: list[GraphNode] = []
    edges: list[GraphEdge] = []
    hops: list[GraphHop] = []
    x = _PAD
    for i, step in enumerate(path):
        full = clean(step.label or step.node)
        label = shorten(full, _NODE_LABEL_MAX)
        kind, css = _step_kind(step, i, principal, dataset)
        width = min(_NODE_MAX_W, max(_NODE_MIN_W, max(len(label), len(kind)) * _CHAR_PX + 20))
        title = clean(step.node) if step.node != (step.label or step.node) else full
        nodes.append(GraphNode(x=x, width=width, label=label, title=f"{full} ({title})" if title != full else full,
                               kind=kind, css=css))
        x += width
        if step.via is None:
            break
        number = len(edges) + 1
        label_text = clean(edge_label(step.via)) + (" ?" if step.conditions else "")
        location, sid = (shorten(part, _EDGE_LABEL_MAX) for part in _evidence_note(step.evidence))
        longest = max(len(label_text) + 4, len(location), len(sid))
        gap = min(_EDGE_MAX_W, max(_EDGE_MIN_W, longest * _EDGE_CHAR_PX + 20))
        edges.append(GraphEdge(x1=x, x2=x + gap, number=number, label=label_text, note=location, sid=sid,
                               conditional=bool(step.conditions)))
        target = path[i + 1] if i + 1 < len(path) else step
        hops.append(GraphHop(number=number, source=full, target=clean(target.label or target.node),
                             label=clean(edge_label(step.via)), evidence=step.evidence,
                             conditions=tuple(condition_text(c) for c in step.conditions)))
        x += gap
    height = _NODE_H + 2 * _PAD + 14 + 8  # room for the kind caption above each box and a Sid below
    return PathGraph(width=round(x + _PAD, 1), height=height, node_y=_PAD + 14, nodes=tuple(nodes),
                     edges=tuple(edges), hops=tuple(hops), text=_path_line(path))


def _path_line(path: tuple[PathStep, ...]) -> str:
    parts: list[str] = []
    for step in path:
        parts.append(clean(step.label or step.node))
        if step.via:
            parts.append(f"—{clean(edge_label(step.via))}{'?' if step.conditions else ''}→")
    return " ".join(parts)


# ── view helpers the templates call ─────────────────────────────────────────────


def excerpt_text(value: Any) -> str:
    """A policy excerpt as indented JSON, each line cleaned (no control or bidi characters), shortened."""
    if isinstance(value, str):
        return shorten(clean(value), EXCERPT_LIMIT)
    text = json.dumps(thaw_json(value), sort_keys=True, indent=2, ensure_ascii=False)
    return shorten("\n".join(clean(line) for line in text.split("\n")), EXCERPT_LIMIT)


@dataclass(frozen=True, kw_only=True, slots=True)
class ClassGroup:
    """Excess entries (or audience members) of one audience class, with their people count."""

    audience_class: AudienceClass
    label: str
    entries: tuple[Any, ...]
    people: str  # "1,200 people", "at least 12 people", "people unknown"


def class_groups(entries: Iterable[ExcessEntry | AudienceMember], total: int | None = None) -> list[ClassGroup]:
    """Group by audience class, broadest first, each with its people count.

    ``total`` is the distinct people of all ``entries`` (``seenby.audit.count_people``, a
    finding's ``people``): a single group shows it.  Otherwise a group of one member shows
    its count; several are summed as "up to" (the same person may be in two groups), and
    "at least" that when some counts are unknown.
    """
    ordered = sorted(entries, key=lambda e: (e.audience_class.rank, e.principal.id))
    classes = list(dict.fromkeys(e.audience_class for e in ordered))
    groups = []
    for klass in classes:
        members = tuple(e for e in ordered if e.audience_class is klass)
        known = [e.people for e in members if e.people is not None]
        if total is not None and len(classes) == 1:
            people = people_text(total)
        else:
            people = people_text(sum(known) if known else None)
            if len(known) > 1:
                people = f"up to {people}"
        if known and len(known) < len(members):
            people = f"at least {people}"
        groups.append(ClassGroup(audience_class=klass, label=CLASS_LABELS[klass], entries=members, people=people))
    return groups


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
                 path=_path_line(ordered_excess(f)[0].path))
        for n, f in numbered
        if f.people and f.excess and not f.waived
    ]
    exposures.sort(key=lambda e: (-e.people, -e.finding.severity.rank, e.number))
    return exposures[:WIDEST_SHOWN]


@dataclass(frozen=True, kw_only=True, slots=True)
class Broadest:
    """The broadest member of a finding's excess audience, and how many more there are."""

    audience_class: AudienceClass
    principal: Principal
    more: int


def _broadest(finding: Finding) -> Broadest | None:
    entries = ordered_excess(finding)
    if not entries:
        return None
    return Broadest(audience_class=entries[0].audience_class, principal=entries[0].principal, more=len(entries) - 1)


def _search_text(*parts: object) -> str:
    return clean(" ".join(str(p) for p in parts if p)).lower()


def _finding_search(finding: Finding) -> str:
    d = finding.dataset
    principals = " ".join(f"{e.principal.id} {e.principal.label}" for e in finding.excess)
    return _search_text(finding.rule_id, finding.title, finding.severity.value, d.id, d.name, d.account,
                        d.provider.value, finding.classification, level_text(finding.level), finding.message,
                        principals)


@dataclass(frozen=True, kw_only=True, slots=True)
class FacetOption:
    value: str
    label: str
    count: int


NONE_VALUE = "(none)"


def facet(values: Iterable[str | None], order: list[str] | None = None) -> list[FacetOption]:
    """The choices of one filter: every value present, with its count; a missing value is ``(none)``."""
    counts = Counter(v or NONE_VALUE for v in values)
    keys = [k for k in order if k in counts] if order else sorted(counts, key=lambda k: (k == NONE_VALUE, k))
    return [FacetOption(value=clean(k), label=clean(k), count=counts[k]) for k in keys]


# ── the page frame ──────────────────────────────────────────────────────────────


def _css_string(text: str) -> str:
    """A CSS string literal holding ``text``: everything but letters, digits and spaces as hex escapes."""
    out = []
    for ch in text:
        out.append(ch if ch.isascii() and (ch.isalnum() or ch == " ") else f"\\{ord(ch):06x}")
    return '"' + "".join(out) + '"'


def _csp_hash(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode("ascii") + "'"


@functools.cache
def _asset(name: str) -> str:
    text = (TEMPLATES / name).read_text(encoding="utf-8")
    lowered = text.lower()
    if "</script" in lowered or "</style" in lowered or "<!--" in lowered:
        raise ValueError(f"{name} must not contain </script, </style or <!-- (it is inlined into the page)")
    return text


@functools.cache
def environment() -> Environment:
    """The Jinja2 environment of every HTML page: autoescape on, undefined names are errors."""
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters.update(
        t=clean,
        people=people_text,
        level=level_text,
        excerpt=excerpt_text,
        edge=edge_label,
        num=lambda n: f"{n:,}" if n is not None else "?",
        svgnum=lambda n: f"{n:.1f}".rstrip("0").rstrip("."),
        when=format_time,
        scan=scan_point_text,
    )
    env.globals.update(
        CLASS_LABELS=CLASS_LABELS,
        SEVERITIES=SEVERITIES_DESC,
        class_groups=class_groups,
        path_graph=path_graph,
        opening_evidence=opening_evidence,
        remediation_for=remediation_for,
        ordered_excess=ordered_excess,
        condition_text=condition_text,
        broadest=_broadest,
    )
    return env


def render_page(template: str, *, title: str, provenance: Provenance, **context: Any) -> str:
    """Render ``template`` (which extends ``base.html.j2``) into one self-contained HTML page.

    The page carries the stylesheet and script inline, a Content-Security-Policy that
    allows exactly those two by hash, and ``provenance`` in its header and on every
    printed page.  ``context`` is passed to the template as is; strings in it are
    escaped on output.
    """
    footer = "font: 7.5pt system-ui, sans-serif; color: #555;"
    css = _asset("report.css") + "\n@page { @bottom-left { content: " + _css_string(shorten(provenance.line, 300))
    css += f"; {footer} }} @bottom-right {{ content: counter(page) \" / \" counter(pages); {footer} }} }}\n"
    script = _asset("report.js")
    csp = (f"default-src 'none'; style-src {_csp_hash(css)}; script-src {_csp_hash(script)}; img-src data:; "
           "base-uri 'none'; form-action 'none'")
    page = environment().get_template(template).render(
        title=title, provenance=provenance, csp=csp, css=Markup(css), script=Markup(script), **context
    )
    return page


# ── the two renderers ───────────────────────────────────────────────────────────


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
        search={n: _search_text(m.principal.id, m.principal.label, m.level.value, m.principal.kind.value,
                                CLASS_LABELS[m.audience_class]) for n, m in numbered},
        facets={
            "level": facet((m.level.value for m in members), order=[lv.value for lv in AccessLevel]),
            "class": facet((CLASS_LABELS[m.audience_class] for m in members),
                           order=[CLASS_LABELS[c] for c in AudienceClass]),
            "declared": facet((declared_label[m.declared] for m in members), order=["no", "unknown", "yes"]),
        },
    )


# ── the history queries: who-can-read --at, what-can-read, exposure, diff ───────

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
        search={n: _search_text(e.dataset.id, e.dataset.name, e.dataset.account, e.level.value, e.classification,
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
