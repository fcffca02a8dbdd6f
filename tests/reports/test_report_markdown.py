"""Markdown: a PR-comment summary that untrusted text cannot break."""

from __future__ import annotations

from dataclasses import replace

from seenby.reports import OutputFormat, RenderOptions, render_audience, render_findings
from seenby.reports.markdown import MAX_DETAILS, MAX_ROWS


def markdown(result, **options) -> str:
    return render_findings(result, OutputFormat.MARKDOWN, RenderOptions(**options))


def table_rows(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.startswith("| ") and not line.startswith("| #")]


def test_summary_table_has_one_row_per_finding(result):
    """The findings table has one row per active finding, most severe first."""
    rows = table_rows(markdown(result))
    assert len(rows) == 7
    assert "critical" in rows[0] and "low" in rows[-1]


def test_heading_counts_findings_and_datasets(result):
    """The heading says how many findings on how many datasets."""
    assert markdown(result).startswith("## seenby: 7 findings on 3 of 4 datasets")


def test_each_finding_has_a_details_block(result):
    """Each finding gets one collapsible details block."""
    text = markdown(result)
    assert text.count("<details>") == text.count("</details>") == 7


def test_details_show_path_and_evidence(result):
    """A details block draws the path and quotes the opening evidence."""
    text = markdown(result)
    assert ("Path: <code>aws-org:o-abc123</code> ─can-assume→ <code>role/telemetry-reader</code> ─read→ "
            "<code>arn:aws:s3:::corp-telemetry</code>") in text
    assert '<pre>{"Action":"s3:GetObject","Effect":"Allow","Principal":"*"' in text


def test_gap_details_show_call_outcome_and_code(result):
    """A coverage gap shows the API call, outcome and error code."""
    text = markdown(result)
    assert "<code>bigquery.datasets.getIamPolicy</code>" in text
    assert "outcome **denied**, error code <code>403 accessDenied</code>" in text


def test_waived_finding_is_marked_when_shown(result):
    """With show_waived the waived finding is in the table and its summary, marked."""
    text = markdown(result, show_waived=True)
    assert "medium (waived)" in text
    assert "<i>(waived)</i>" in text


def test_pipes_in_untrusted_text_do_not_add_table_cells(hostile_result):
    """A `|` in a principal name is escaped: the row keeps its seven separators."""
    row = table_rows(markdown(hostile_result))[0]
    assert row.count("|") == 7


def test_html_in_untrusted_text_is_escaped(hostile_result):
    """`<script>` from a policy never reaches the comment as HTML."""
    text = markdown(hostile_result)
    assert "<script>" not in text
    assert "&lt;script&gt;" in text


def test_newlines_and_control_characters_are_escaped(hostile_result):
    """Untrusted newlines cannot start new Markdown blocks; control characters are not raw."""
    text = markdown(hostile_result)
    assert "\x1b" not in text and "\x00" not in text and "\u202e" not in text
    assert "\n next line" not in text


def test_mentions_in_untrusted_text_are_neutralised(result):
    """An `@` in a principal id cannot ping anyone from a PR comment."""
    assert "dana@corp" not in markdown(result, show_waived=True)


def test_long_reports_are_capped(result):
    """More findings than fit are cut at fixed limits, and the cut is said."""
    base = result.findings[0]
    many = tuple(replace(base, fingerprint=f"fp-{i}", dataset=replace(base.dataset, id=f"gs://b{i:03}"))
                 for i in range(MAX_ROWS + 5))
    text = markdown(replace(result, findings=many))
    assert len(table_rows(text)) == MAX_ROWS
    assert text.count("<details>") == MAX_DETAILS
    assert "… and 5 more findings" in text


def test_audience_markdown_lists_members_and_explains_them(audience):
    """who-can-read Markdown has a member table and a details block per member."""
    text = render_audience(audience, OutputFormat.MARKDOWN, RenderOptions())
    assert "| 1 | read | organisation / domain | organisation o-abc123 | 4,210 | no | **no** |" in text
    assert text.count("<details>") == 4
