"""who-can-read answered from a recorded scan: the audience report plus where it comes from.

JSON is ``seenby.audience/v1`` with the optional ``snapshot.scan`` object (docs/json-output.md);
table and Markdown put one provenance line above the usual audience report.
"""

from __future__ import annotations

from seenby.findings import AudienceAt

from . import markdown, tsv
from .base import RenderOptions
from .history_text import provenance_text
from .json_report import audience_document
from .markdown import md
from .text import dump_json

__all__ = ["AudienceAt", "render_json", "render_markdown", "render_table", "render_tsv"]


def render_json(subject: AudienceAt, options: RenderOptions) -> str:
    document = audience_document(subject.report)
    document["snapshot"]["scan"] = subject.provenance.to_json()
    return dump_json(document)


def render_table(subject: AudienceAt, options: RenderOptions) -> str:
    from . import table  # rich: loaded for tables only

    return f"as of {provenance_text(subject.provenance)}\n" + table.render_audience(subject.report, options)


def render_markdown(subject: AudienceAt, options: RenderOptions) -> str:
    return f"_As of {md(provenance_text(subject.provenance))}_\n\n" + markdown.render_audience(subject.report, options)


def render_tsv(subject: AudienceAt, options: RenderOptions) -> str:
    """The records alone (a header and one member per line): provenance has no column."""
    return tsv.render_audience(subject.report, options)
