"""what-can-read: every dataset one principal reaches (table, JSON ``seenby.principal-access/v1``)."""

from __future__ import annotations

from typing import Any

from rich import box
from rich.console import RenderableType
from rich.padding import Padding
from rich.table import Table
from rich.text import Text

from seenby.findings import PrincipalAccessReport, ReachableDataset
from seenby.model import AccessLevel, thaw_json

from .base import RenderOptions
from .history_text import provenance_text
from .json_report import _dataset, _principal, _step
from .ordering import ordered_gaps
from .table import _explain, _gap, _line, _principal_line, _render, _yes_no
from .text import dump_json

__all__ = ["PRINCIPAL_ACCESS_SCHEMA", "principal_access_document", "render_json", "render_table"]

PRINCIPAL_ACCESS_SCHEMA = "seenby.principal-access/v1"


def _ordered(report: PrincipalAccessReport) -> list[ReachableDataset]:
    levels = list(AccessLevel)
    return sorted(report.entries, key=lambda e: (e.dataset.id, levels.index(e.level)))


def _snapshot(report: PrincipalAccessReport) -> dict[str, Any]:
    out: dict[str, Any] = {
        "source": report.snapshot_source, "collected_at": report.collected_at,
        "collector": thaw_json(report.collector), "scope": thaw_json(report.scope),
    }  # fmt: skip
    if report.provenance is not None:
        out["scan"] = report.provenance.to_json()
    return out


def principal_access_document(report: PrincipalAccessReport) -> dict[str, Any]:
    entries = _ordered(report)
    by_level: dict[str, int] = {}
    for e in entries:
        by_level[e.level.value] = by_level.get(e.level.value, 0) + 1
    return {
        "schema": PRINCIPAL_ACCESS_SCHEMA,
        "snapshot": _snapshot(report),
        "principal": _principal(report.principal),
        "classes": [_principal(c) for c in report.classes],
        "summary": {
            "datasets": len({e.dataset.id for e in entries}),
            "entries": len(entries),
            "by_level": by_level,
            "through_class": sum(1 for e in entries if e.through_class is not None),
            "conditional": sum(1 for e in entries if e.conditional),
            "undeclared": sum(1 for e in entries if e.declared is False),
        },
        "entries": [
            {
                "dataset": _dataset(e.dataset, e.classification),
                "level": e.level.value,
                "conditional": e.conditional,
                "through_class": _principal(e.through_class) if e.through_class else None,
                "declared": e.declared,
                "path": [_step(s) for s in e.path],
            }
            for e in entries
        ],
        "coverage_gaps": [g.to_json() for g in ordered_gaps(report.gaps)],
    }


def render_json(report: PrincipalAccessReport, options: RenderOptions) -> str:
    return dump_json(principal_access_document(report))


def render_table(report: PrincipalAccessReport, options: RenderOptions) -> str:
    entries = _ordered(report)
    head = Table.grid(padding=(0, 2))
    head.add_column(style="bold")
    head.add_column()
    head.add_row("principal", _principal_line(report.principal).append(f"  ({report.principal.kind.value})"))
    head.add_row("classes", _line(", ".join(c.label for c in report.classes) or "none in the snapshot"))
    if report.provenance is not None:
        head.add_row("as of", _line(provenance_text(report.provenance)))
    else:
        head.add_row("snapshot", _line(f"{report.snapshot_source or '(live scan)'}, collected {report.collected_at}"))
    table = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False)
    for name in ("#", "level", "dataset", "through", "conditional", "declared"):
        table.add_column(name, overflow="fold", justify="right" if name == "#" else "left")
    details: list[RenderableType] = []
    for i, e in enumerate(entries, 1):
        through = e.through_class.label if e.through_class else "directly"
        table.add_row(str(i), e.level.value, _line(e.dataset.id), _line(through),
                      Text("yes", style="yellow") if e.conditional else Text("no"), _yes_no(e.declared))
        title = _line((f"[{i}] {e.level.value} ", "bold"), e.dataset.id)
        if e.through_class:
            title.append(f"  through class {e.through_class.label}", style="magenta")
        details += [title, Padding(_explain(e.path, _opening(e)), (0, 0, 0, 4))]
    parts: list[RenderableType] = [_line((f"what {report.principal.label} can reach", "bold")), head, Text("")]
    if entries:
        parts += [table, Text(""), *details, Text("")]
    for gap in report.gaps:
        parts.append(_line(("coverage gap: ", "bold red")).append_text(_gap(gap)))
    summary = f"{len({e.dataset.id for e in entries})} datasets reachable"
    summary += f"; {sum(1 for e in entries if e.declared is False)} outside their declared audience"
    if report.gaps:
        summary += f"; {len(report.gaps)} coverage gaps: it may reach more"
    parts.append(_line((summary, "bold")))
    return _render(parts, options)


def _opening(e: ReachableDataset) -> tuple[Any, ...]:
    for step in reversed(e.path):
        if step.evidence and step.via and step.via.level is not None:
            return step.evidence
    return ()
