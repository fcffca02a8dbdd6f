"""diff: audiences gained and lost, new, fixed and changed findings (table, JSON ``seenby.diff/v1``)."""

from __future__ import annotations

from typing import Any

from rich import box
from rich.console import RenderableType
from rich.table import Table
from rich.text import Text

from seenby.history_results import SnapshotDiff

from .base import RenderOptions
from .history_text import provenance_text
from .json_report import _dataset, _principal, _step, finding_to_json
from .table import SEVERITY_STYLE, _line, _render
from .text import CLASS_LABELS, dump_json, path_text

__all__ = ["DIFF_SCHEMA", "diff_document", "render_json", "render_table"]

DIFF_SCHEMA = "seenby.diff/v1"


def diff_document(diff: SnapshotDiff) -> dict[str, Any]:
    kinds = [c.kind.value for c in diff.findings]
    return {
        "schema": DIFF_SCHEMA,
        "old": diff.old.to_json(),
        "new": diff.new.to_json(),
        "rules_file": diff.rules_file,
        "summary": {
            "gained": sum(1 for c in diff.audience if c.direction.value == "gained"),
            "lost": sum(1 for c in diff.audience if c.direction.value == "lost"),
            "new": kinds.count("new"),
            "fixed": kinds.count("fixed"),
            "changed": kinds.count("changed"),
            "unchanged": diff.unchanged_findings,
        },
        "datasets_added": list(diff.datasets_added),
        "datasets_removed": list(diff.datasets_removed),
        "audience": [
            {
                "change": c.direction.value,
                "dataset": _dataset(c.dataset, None),
                "level": c.level.value,
                "principal": _principal(c.principal),
                "class": c.audience_class.value,
                "declared": c.declared,
                "people": c.people,
                "conditional": c.conditional,
                "path": [_step(s) for s in c.path],
            }
            for c in diff.audience
        ],
        "findings": [
            {
                "change": c.kind.value,
                "finding": finding_to_json(c.finding),
                "previous": finding_to_json(c.old) if c.old is not None and c.new is not None else None,
                "gained": list(c.gained),
                "lost": list(c.lost),
            }
            for c in diff.findings
        ],
    }


def render_json(diff: SnapshotDiff, options: RenderOptions) -> str:
    return dump_json(diff_document(diff))


def render_table(diff: SnapshotDiff, options: RenderOptions) -> str:
    head = Table.grid(padding=(0, 2))
    head.add_column(style="bold")
    head.add_column()
    head.add_row("old", _line(provenance_text(diff.old)))
    head.add_row("new", _line(provenance_text(diff.new)))
    if diff.rules_file:
        head.add_row("rules", _line(diff.rules_file))
    parts: list[RenderableType] = [_line(("seenby diff", "bold")), head, Text("")]
    for label, ids in (("datasets added", diff.datasets_added), ("datasets removed", diff.datasets_removed)):
        if ids:
            parts.append(_line((f"{label}: ", "bold"), ", ".join(ids)))
    if diff.audience:
        table = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False, title=None)
        for name in ("change", "dataset", "level", "class", "principal", "declared", "path"):
            table.add_column(name, overflow="fold")
        for c in diff.audience:
            style = "bold red" if c.direction.value == "gained" else "green"
            declared = {True: "yes", False: "NO", None: "unknown"}[c.declared]
            table.add_row(Text(c.direction.value, style=style), _line(c.dataset.id), c.level.value,
                          CLASS_LABELS[c.audience_class], _line(c.principal.label), declared,
                          Text(path_text(c.path)))
        parts += [_line(("audiences", "bold")), table, Text("")]
    if diff.findings:
        table = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False)
        for name in ("change", "severity", "rule", "dataset", "level", "message"):
            table.add_column(name, overflow="fold")
        for c in diff.findings:
            f = c.finding
            message = f.message
            if c.gained or c.lost:
                message += f" (excess gained: {', '.join(c.gained) or '-'}; lost: {', '.join(c.lost) or '-'})"
            table.add_row(c.kind.value, Text(f.severity.value, style=SEVERITY_STYLE[f.severity]), f.rule_id,
                          _line(f.dataset.id), f.level.value if f.level else "dataset", _line(message))
        parts += [_line(("findings", "bold")), table, Text("")]
    kinds = [c.kind.value for c in diff.findings]
    gained = sum(1 for c in diff.audience if c.direction.value == "gained")
    summary = f"{gained} audience members gained, {len(diff.audience) - gained} lost"
    if diff.rules_file:
        summary += (f"; findings: {kinds.count('new')} new, {kinds.count('fixed')} fixed, "
                    f"{kinds.count('changed')} changed, {diff.unchanged_findings} unchanged")
    else:
        summary += "; findings not compared (no rules file: give --rules)"
    parts.append(_line((summary, "bold")))
    return _render(parts, options)
