"""``seenby why`` output: an :class:`~seenby.explain.ExplanationReport` as table, JSON or Markdown
(HTML: :mod:`.explain_html`).

JSON is ``seenby.explain/v1`` (docs/json-output.md, ``seenby/schemas/explain-v1.schema.json``),
deterministic: actions in evaluation order, paths shortest first, keys sorted.
Untrusted text (policy excerpts, names) goes through :func:`~.text.clean` /
:func:`~.markdown.md` like every other renderer.
"""

from __future__ import annotations

import html
from typing import Any

from seenby.errors import UsageError
from seenby.explain import ActionExplanation, ExplanationReport, Layer, LayerStatus

from .base import OutputFormat, Renderer, RenderOptions, lazy_renderer
from .history_text import provenance_text
from .json_report import _dataset, _principal, _snapshot, _step
from .markdown import code, md
from .ordering import ordered_gaps
from .text import clean, compact_json, condition_text, dump_json, evidence_head, path_text, shorten

__all__ = [
    "EXPLAIN_RENDERERS",
    "EXPLAIN_SCHEMA",
    "explanation_document",
    "render_explanation",
    "render_json",
    "render_markdown",
    "render_table",
]

EXPLAIN_SCHEMA = "seenby.explain/v1"
EXCERPT_LIMIT = 600

_STATUS_TEXT: dict[LayerStatus, str] = {
    LayerStatus.ALLOWS: "allows",
    LayerStatus.CONDITIONAL: "allows if",
    LayerStatus.DENIES: "DENIES",
    LayerStatus.NO_ALLOW: "no allow",
    LayerStatus.ASSUMED: "assumed",
    LayerStatus.NOT_APPLICABLE: "n/a",
    LayerStatus.UNKNOWN: "UNKNOWN",
}


# -- JSON --------------------------------------------------------------------------------------


def _layer(layer: Layer) -> dict[str, Any]:
    return {
        "kind": layer.kind.value,
        "status": layer.status.value,
        "summary": layer.summary,
        "decisive": layer.decisive,
        "allowing": [e.to_json() for e in layer.allowing],
        "denying": [e.to_json() for e in layer.denying],
        "conditions": [c.to_json() for c in layer.conditions],
    }


def _action(action: ActionExplanation) -> dict[str, Any]:
    return {
        "action": action.action,
        "resource": action.resource,
        "caller": _principal(action.caller),
        "via": action.via,
        "answer": action.answer.value,
        "reason": action.reason,
        "evidence": [e.to_json() for e in action.evidence],
        "conditions": [c.to_json() for c in action.conditions],
        "layers": [_layer(layer) for layer in action.layers],
    }


def explanation_document(report: ExplanationReport) -> dict[str, Any]:
    """The ``seenby.explain/v1`` document as plain data."""
    scan = {"scan": report.provenance.to_json()} if report.provenance is not None else {}
    return {
        "schema": EXPLAIN_SCHEMA,
        "snapshot": _snapshot(report.snapshot_source, report.collected_at, **scan),
        "principal": _principal(report.principal),
        "dataset": _dataset(report.dataset, report.classification),
        "level": report.level.value,
        "answer": report.answer.value,
        "declared": list(report.declared),
        "actions": [_action(a) for a in report.actions],
        "paths": [{"conditional": any(s.conditions for s in p), "steps": [_step(s) for s in p]} for p in report.paths],
        "paths_truncated": report.paths_truncated,
        "notes": list(report.notes),
        "coverage_gaps": [g.to_json() for g in ordered_gaps(report.gaps)],
    }


def render_json(report: ExplanationReport, options: RenderOptions) -> str:
    return dump_json(explanation_document(report))


# -- table (plain text) ------------------------------------------------------------------------


def _excerpt(value: Any) -> str:
    return shorten(compact_json(value), EXCERPT_LIMIT)


def _table_layer(layer: Layer) -> list[str]:
    mark = "▶ " if layer.decisive else "  "
    lines = [f"    {mark}{layer.kind.value:<27} {_STATUS_TEXT[layer.status]:<9} {clean(layer.summary)}"]
    for e in layer.allowing:
        lines.append(f"        allowed by  {evidence_head(e)}" + (f"  ({clean(e.note)})" if e.note else ""))
        if e.excerpt is not None:
            lines.append(f"                    {_excerpt(e.excerpt)}")
        lines += [f"        decided     {clean(d.text)}" for d in e.decided]
    for e in layer.denying:
        lines.append(f"        denied by   {evidence_head(e)}" + (f"  ({clean(e.note)})" if e.note else ""))
        if e.excerpt is not None:
            lines.append(f"                    {_excerpt(e.excerpt)}")
        lines += [f"        decided     {clean(d.text)}" for d in e.decided]
    lines += [f"        condition   {condition_text(c)}" for c in layer.conditions]
    return lines


def _table_action(action: ActionExplanation) -> list[str]:
    through = f" through {clean(action.via)}" if action.via else ""
    head = f"  {clean(action.action)} on {clean(action.resource)}{through} as {clean(action.caller.label)}"
    lines = [head, f"    → {action.answer.value.upper()}" + (f": {clean(action.reason)}" if action.reason else "")]
    for layer in action.layers:
        lines += _table_layer(layer)
    return lines


def render_table(report: ExplanationReport, options: RenderOptions) -> str:
    p, d = report.principal, report.dataset
    lines = [
        f"why {clean(p.label)} → {clean(d.name)} ({report.level.value})",
        f"principal       {clean(p.id)}  ({p.kind.value})",
        f"dataset         {clean(d.id)}  ({d.kind.value}, {d.provider.value})",
        f"snapshot        {clean(report.snapshot_source or '-')}, collected {clean(report.collected_at)}",
        f"answer          {report.answer.value.upper()}",
    ]
    if report.provenance is not None:
        lines.insert(4, f"as of           {provenance_text(report.provenance)}")
    if report.classification:
        lines.append(f"classification  {clean(report.classification)}")
    if report.declared:
        lines.append(f"declared {report.level.value:<6} {clean(', '.join(report.declared))}")
    lines += ["", f"paths in the graph ({len(report.paths)}{', more not shown' if report.paths_truncated else ''})"]
    if not report.paths:
        lines.append("  (none)")
    for i, path in enumerate(report.paths, 1):
        lines.append(f"  [{i}] {path_text(path)}")
        for step in path:
            for e in step.evidence:
                lines.append(f"      evidence   {evidence_head(e)}" + (f"  ({clean(e.note)})" if e.note else ""))
                lines += [f"      decided    {clean(d.text)}" for d in e.decided]
            lines += [f"      condition  {condition_text(c)}" for c in step.conditions]
    if report.actions:
        lines += ["", "layer by layer (▶ marks the layer that decided a denial)"]
        for action in report.actions:
            lines += _table_action(action)
    if report.notes:
        lines += ["", *(f"note: {clean(n)}" for n in report.notes)]
    for gap in ordered_gaps(report.gaps):
        lines.append(f"coverage gap: {clean(gap.api)} on {clean(gap.resource)} was {gap.outcome.value}")
    return "\n".join(lines) + "\n"


# -- Markdown ----------------------------------------------------------------------------------


def _md_evidence(prefix: str, e: Any) -> list[str]:
    head = f"- {prefix} {md(e.kind.value)} of {code(e.source)} at {code(e.location)}"
    if e.sid:
        head += f", Sid {code(e.sid)}"
    if e.note:
        head += f" ({md(e.note)})"
    lines = [head]
    if e.excerpt is not None:
        text = html.escape(shorten(compact_json(e.excerpt), EXCERPT_LIMIT), quote=False).replace("@", "&#64;")
        lines.append(f"  <pre>{text}</pre>")
    lines += [f"  - condition {code(d.key)} ({md(d.family.value)}): {md(d.how)}" for d in e.decided]
    return lines


def render_markdown(report: ExplanationReport, options: RenderOptions) -> str:
    p, d = report.principal, report.dataset
    lines = [
        f"# Why {md(p.label)} → {md(d.name)} ({report.level.value})",
        "",
        f"- Principal: {code(p.id)} ({md(p.kind.value)})",
        f"- Dataset: {code(d.id)} ({md(d.kind.value)})",
        f"- Answer: **{report.answer.value}**",
        f"- Snapshot: {code(report.snapshot_source or '-')}, collected {md(report.collected_at)}",
        *([f"- As of: {md(provenance_text(report.provenance))}"] if report.provenance is not None else []),
        "",
        "## Paths",
        "",
    ]
    if not report.paths:
        lines.append("None.")
    for i, path in enumerate(report.paths, 1):
        lines.append(f"{i}. {' '.join(md(path_text(path)).split())}")
        for step in path:
            lines += [f"   - evidence: {md(evidence_head(e))}" + (f" ({md(e.note)})" if e.note else "")
                      for e in step.evidence]
            lines += [f"   - condition: {code(condition_text(c))}" for c in step.conditions]
    if report.actions:
        lines += ["", "## Layer by layer", ""]
    for action in report.actions:
        through = f" through {code(action.via)}" if action.via else ""
        lines += [
            f"### {code(action.action)} as {md(action.caller.label)}{through}: {action.answer.value}",
            "",
        ]
        if action.reason:
            lines += [md(action.reason), ""]
        lines += ["| layer | status | decisive | summary |", "|---|---|---|---|"]
        for layer in action.layers:
            lines.append(
                f"| {md(layer.kind.value)} | {md(layer.status.value)} | {'yes' if layer.decisive else ''} "
                f"| {md(layer.summary)} |"
            )
        lines.append("")
        for layer in action.layers:
            for e in layer.allowing:
                lines += _md_evidence(f"{md(layer.kind.value)} allowed by", e)
            for e in layer.denying:
                lines += _md_evidence(f"{md(layer.kind.value)} would deny:", e)
        lines.append("")
    if report.notes:
        lines += ["## Notes", "", *(f"- {md(n)}" for n in report.notes)]
    if report.gaps:
        lines += ["", "## Coverage gaps", ""]
        lines += [f"- {code(g.api)} on {code(g.resource)}: {md(g.outcome.value)}" for g in ordered_gaps(report.gaps)]
    return "\n".join(lines).rstrip() + "\n"


# -- registry ----------------------------------------------------------------------------------

EXPLAIN_RENDERERS: dict[OutputFormat, Renderer[ExplanationReport]] = {
    OutputFormat.TABLE: render_table,
    OutputFormat.JSON: render_json,
    OutputFormat.MARKDOWN: render_markdown,
    OutputFormat.HTML: lazy_renderer("explain_html", "render_html"),
}


def render_explanation(report: ExplanationReport, fmt: OutputFormat | str, options: RenderOptions | None = None) -> str:
    """Render a ``seenby why`` explanation; UsageError for a format it has no rendering in."""
    try:
        chosen = OutputFormat(fmt)
    except ValueError:
        chosen = None
    renderer = EXPLAIN_RENDERERS.get(chosen) if chosen is not None else None
    if renderer is None:
        supported = ", ".join(f.value for f in EXPLAIN_RENDERERS)
        raise UsageError(f"why output cannot be {fmt} (choose from {supported})")
    return renderer(report, options or RenderOptions())
