"""Renderers: one per output format over one findings model. Imported as ``seenby.reports``.

Each format is a module with small callables that follow :class:`Renderer`;
the two registries below are the only place that maps a format to a callable::

    text = render_findings(result, OutputFormat.SARIF, RenderOptions())
    text = render_audience(report, OutputFormat.TABLE, RenderOptions.for_stream(sys.stdout))

Machine formats (json, sarif, junit) are deterministic: the same result renders
to the same bytes.
"""

from __future__ import annotations

from typing import Any

from seenby.errors import UsageError
from seenby.findings import AudienceReport, AuditResult

# Modules that load rich (the tables) or jinja2 (HTML) are imported when a format needs them.
from . import audience_at, json_report, junit, markdown, sarif, tsv
from .base import OutputFormat, Renderer, RenderOptions, lazy_renderer
from .explain import EXPLAIN_RENDERERS, render_explanation

__all__ = [
    "AUDIENCE_RENDERERS",
    "EXPLAIN_RENDERERS",
    "FINDINGS_RENDERERS",
    "QUERY_RENDERERS",
    "OutputFormat",
    "RenderOptions",
    "Renderer",
    "render_audience",
    "render_explanation",
    "render_findings",
    "render_query",
]

FINDINGS_RENDERERS: dict[OutputFormat, Renderer[AuditResult]] = {
    OutputFormat.TABLE: lazy_renderer("table", "render_findings"),
    OutputFormat.JSON: json_report.render_findings,
    OutputFormat.MARKDOWN: markdown.render_findings,
    OutputFormat.SARIF: sarif.render_findings,
    OutputFormat.JUNIT: junit.render_findings,
    OutputFormat.HTML: lazy_renderer("html", "render_findings"),
    OutputFormat.TSV: tsv.render_findings,
}

AUDIENCE_RENDERERS: dict[OutputFormat, Renderer[AudienceReport]] = {
    OutputFormat.TABLE: lazy_renderer("table", "render_audience"),
    OutputFormat.JSON: json_report.render_audience,
    OutputFormat.MARKDOWN: markdown.render_audience,
    OutputFormat.HTML: lazy_renderer("html", "render_audience"),
    OutputFormat.TSV: tsv.render_audience,
}

# The incident-response queries over recorded history, by command.
QUERY_RENDERERS: dict[str, dict[OutputFormat, Renderer[Any]]] = {
    "who-can-read": {
        OutputFormat.TABLE: audience_at.render_table,
        OutputFormat.JSON: audience_at.render_json,
        OutputFormat.MARKDOWN: audience_at.render_markdown,
        OutputFormat.HTML: lazy_renderer("html_history", "render_audience_at"),
        OutputFormat.TSV: audience_at.render_tsv,
    },
    "what-can-read": {
        OutputFormat.TABLE: lazy_renderer("principal_access", "render_table"),
        OutputFormat.JSON: lazy_renderer("principal_access", "render_json"),
        OutputFormat.HTML: lazy_renderer("html_history", "render_principal_access"),
    },
    "exposure": {
        OutputFormat.TABLE: lazy_renderer("exposure_report", "render_table"),
        OutputFormat.JSON: lazy_renderer("exposure_report", "render_json"),
        OutputFormat.HTML: lazy_renderer("html_history", "render_exposure"),
    },
    "diff": {
        OutputFormat.TABLE: lazy_renderer("snapshot_diff", "render_table"),
        OutputFormat.JSON: lazy_renderer("snapshot_diff", "render_json"),
        OutputFormat.HTML: lazy_renderer("html_history", "render_diff"),
    },
}

_DEFAULT = RenderOptions()


def _format(fmt: OutputFormat | str) -> OutputFormat:
    try:
        return OutputFormat(fmt)
    except ValueError:
        known = ", ".join(f.value for f in OutputFormat)
        raise UsageError(f"unknown output format {fmt!r} (choose from {known})") from None


def render_findings(result: AuditResult, fmt: OutputFormat | str, options: RenderOptions = _DEFAULT) -> str:
    """Render an audit's findings in ``fmt``; raises UsageError for a format seenby does not know."""
    return FINDINGS_RENDERERS[_format(fmt)](result, options)


def render_audience(
    report: AudienceReport, fmt: OutputFormat | str, options: RenderOptions = _DEFAULT
) -> str:
    """Render a dataset's effective audience (who-can-read) in ``fmt``.

    Raises UsageError for a format that has no audience rendering (sarif, junit).
    """
    chosen = _format(fmt)
    renderer = AUDIENCE_RENDERERS.get(chosen)
    if renderer is None:
        supported = ", ".join(f.value for f in AUDIENCE_RENDERERS)
        raise UsageError(f"who-can-read output cannot be {chosen.value} (choose from {supported})")
    return renderer(report, options)


def render_query(command: str, subject: Any, fmt: OutputFormat | str, options: RenderOptions = _DEFAULT) -> str:
    """Render the answer of an incident-response query (``QUERY_RENDERERS[command]``) in ``fmt``."""
    chosen = _format(fmt)
    renderer = QUERY_RENDERERS[command].get(chosen)
    if renderer is None:
        supported = ", ".join(f.value for f in QUERY_RENDERERS[command])
        raise UsageError(f"{command} output cannot be {chosen.value} (choose from {supported})")
    return renderer(subject, options)
