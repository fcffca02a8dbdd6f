"""The registries: one renderer per format, and clear usage errors for the rest."""

from __future__ import annotations

import pytest

from seenby.errors import UsageError
from seenby.reports import (
    AUDIENCE_RENDERERS,
    FINDINGS_RENDERERS,
    OutputFormat,
    RenderOptions,
    render_audience,
    render_findings,
)


def test_every_format_has_a_findings_renderer():
    """Each OutputFormat value is registered for findings."""
    assert set(FINDINGS_RENDERERS) == set(OutputFormat)


def test_audience_supports_table_json_markdown():
    """who-can-read output exists in table, json and markdown."""
    assert {OutputFormat.TABLE, OutputFormat.JSON, OutputFormat.MARKDOWN} <= set(AUDIENCE_RENDERERS)


def test_unknown_format_is_a_usage_error(result):
    """A format name seenby does not know raises UsageError naming the choices."""
    with pytest.raises(UsageError, match="choose from table, json, markdown, sarif, junit, html"):
        render_findings(result, "pdf")


def test_audience_as_sarif_is_a_usage_error(audience):
    """Rendering an audience in a findings-only format raises UsageError."""
    with pytest.raises(UsageError, match="who-can-read output cannot be sarif"):
        render_audience(audience, OutputFormat.SARIF)


def test_format_given_as_string_is_accepted(result):
    """The CLI may pass the --format value as a plain string."""
    assert render_findings(result, "json") == render_findings(result, OutputFormat.JSON)


@pytest.mark.parametrize("fmt", list(OutputFormat))
def test_every_format_renders_every_finding_kind(result, fmt):
    """Each format names every finding's rule (excess, conditional, gap, waived, expired, undeclared)."""
    text = render_findings(result, fmt, RenderOptions(show_waived=True))
    missing = [f.rule_id for f in result.findings if f.rule_id not in text]
    assert missing == []


@pytest.mark.parametrize("fmt", list(OutputFormat))
def test_every_format_renders_an_empty_audit(empty_result, fmt):
    """An audit with no findings renders without error in every format."""
    assert render_findings(empty_result, fmt).strip()


@pytest.mark.parametrize("fmt", list(OutputFormat))
def test_rendering_does_not_depend_on_input_order(result, fmt):
    """The same findings given in another order render to the same text."""
    reordered = type(result)(**{**result.__dict__, "findings": tuple(reversed(result.findings))})
    options = RenderOptions(show_waived=True)
    assert render_findings(reordered, fmt, options) == render_findings(result, fmt, options)


def test_render_options_refuse_a_tiny_width():
    """A width below 40 columns is refused at construction."""
    with pytest.raises(ValueError, match="too narrow"):
        RenderOptions(width=10)


def test_options_for_a_non_terminal_stream_have_no_colour(tmp_path):
    """Writing to a file never turns colour on."""
    with open(tmp_path / "out.txt", "w") as stream:
        assert RenderOptions.for_stream(stream).color is False
