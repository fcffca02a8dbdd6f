"""Tab-separated values: one record per line, for ``cut``, ``awk`` and spreadsheets.

A header line names the columns; a field never holds a tab or a line break (each becomes
a space), so an ARN is never split and every record is exactly one line.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from seenby.findings import AudienceReport, AuditResult

from .base import RenderOptions
from .ordering import member_key, ordered_excess, visible_findings
from .text import CLASS_LABELS, path_text

__all__ = ["render_audience", "render_findings", "tsv"]


def _field(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    return " ".join(str(value).replace("\t", " ").splitlines())


def tsv(header: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    """The header and rows as TSV text (a trailing newline)."""
    lines = ["\t".join(header)]
    lines += ["\t".join(_field(v) for v in row) for row in rows]
    return "\n".join(lines) + "\n"


def render_findings(result: AuditResult, options: RenderOptions) -> str:
    """One finding per line: severity, rule, dataset, level, broadest class, people, fingerprint, message, and
    last the path of each excess entry (``A ─read→ B ─re-exposes→ C``, separated by `` ; ``)."""
    header = ("severity", "rule", "dataset", "level", "broadest_excess", "people", "waived", "fingerprint", "message",
              "paths")
    rows = []
    for f in visible_findings(result, options.show_waived):
        excess = ordered_excess(f)
        rows.append((f.severity.value, f.rule_id, f.dataset.id, f.level.value if f.level else "dataset",
                     CLASS_LABELS[excess[0].audience_class] if excess else "", f.people, f.waived,
                     f.fingerprint, f.message, " ; ".join(path_text(e.path) for e in excess)))
    return tsv(header, rows)


def render_audience(report: AudienceReport, options: RenderOptions) -> str:
    """One audience member per line: level, class, principal id and name, people, conditional, declared."""
    header = ("level", "class", "principal", "name", "kind", "people", "conditional", "declared")
    rows = [
        (m.level.value, CLASS_LABELS[m.audience_class], m.principal.id, m.principal.label, m.principal.kind.value,
         m.people, m.conditional, "unknown" if m.declared is None else m.declared)
        for m in sorted(report.members, key=member_key)
    ]
    return tsv(header, rows)
