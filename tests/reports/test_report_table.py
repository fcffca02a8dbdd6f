"""The terminal table: provenance, coverage, one readable block per finding."""

from __future__ import annotations

import re
import unicodedata

from seenby.reports import OutputFormat, RenderOptions, render_audience, render_findings

ANSI = re.compile(r"\x1b\[")


def table(result, **options) -> str:
    return render_findings(result, OutputFormat.TABLE, RenderOptions(**options))


def test_plain_output_has_no_ansi_escapes(result):
    """Without colour the table is plain text: no escape sequences at all."""
    assert "\x1b" not in table(result, show_waived=True)


def test_colour_output_uses_ansi_styles(result):
    """With colour on, severities are styled with ANSI escapes."""
    assert ANSI.search(table(result, color=True))


def test_header_states_provenance(result):
    """The header names the snapshot, when and by whom it was collected, and the scope."""
    text = table(result)
    assert "examples/corp.snapshot.json" in text
    assert "2026-11-23T09:00:00Z by arn:aws:iam::111122223333:role/auditor" in text
    assert "aws organization: o-abc123" in text


def test_coverage_line_counts_datasets_and_gaps(result):
    """The coverage line says how many datasets were scanned and how many have gaps."""
    assert "4 datasets scanned, 1 with coverage gaps" in table(result)


def test_counts_by_severity_exclude_waived(result):
    """The severity counts row counts active findings, and waived ones apart."""
    lines = table(result).splitlines()
    header = next(i for i, line in enumerate(lines) if line.split()[:2] == ["critical", "high"])
    assert lines[header + 2].split() == ["1", "3", "2", "1", "0", "1"]


def test_findings_are_ordered_most_severe_first(result):
    """Blocks run critical, high, medium, low."""
    text = table(result)
    positions = [text.index(f"{sev}  SB") for sev in ("CRITICAL", "HIGH", "MEDIUM", "LOW")]
    assert positions == sorted(positions)


def test_path_is_drawn_with_labelled_arrows(result):
    """An excess entry's path reads principal ─edge→ principal ─level→ dataset."""
    text = table(result, width=160)
    assert "aws-org:o-abc123 ─can-assume→ role/telemetry-reader ─read→ arn:aws:s3:::corp-telemetry" in text


def test_excess_is_grouped_by_class_with_people(result):
    """Each class of the excess audience is a heading with its principal and people counts."""
    assert "organisation / domain — 1 principal, 4,210 people" in table(result)


def test_opening_evidence_is_shown_with_compact_excerpt(result):
    """The statement that opens access is shown: kind, source, location, Sid and compact JSON."""
    text = table(result, width=200)
    assert "resource-policy  arn:aws:s3:::corp-telemetry  Statement[0]  Sid PublicRead" in text
    assert '{"Action":"s3:GetObject","Effect":"Allow","Principal":"*"' in text


def test_conditions_are_shown_as_written(result):
    """A conditional finding shows the condition as written and why it was not decided."""
    text = table(result, width=200)
    assert 'only if   {"IpAddress":{"aws:SourceIp":"10.0.0.0/8"}}  (source IP is not known offline)' in text


def test_declaration_broken_is_shown(result):
    """The declared audience at the level and where it is declared are shown."""
    line = "declared     read: [group:telemetry-analysts@corp.example]  (rules.yaml:12 (datasets[0]))"
    assert line in table(result, width=200)


def test_coverage_gap_shows_call_outcome_and_code(result):
    """A coverage-gap finding names the API call, the outcome and the provider's error code."""
    assert "bigquery.datasets.getIamPolicy  denied  403 accessDenied" in table(result)


def test_undeclared_finding_says_no_declaration(result):
    """An undeclared dataset's finding is shown with its rule and dataset."""
    text = table(result)
    assert "SB009 Dataset with no declared audience" in text


def test_waived_findings_are_hidden_by_default(result):
    """Without show_waived, a waived finding does not appear; the summary says it is hidden."""
    text = table(result, width=200)
    assert "fp-waived" not in text
    assert "1 waived (hidden; --show-waived)" in text


def test_waived_findings_are_marked_when_shown(result):
    """With show_waived, a waived finding appears marked with its waiver."""
    text = table(result, show_waived=True, width=200)
    assert "WAIVED until 2099-01-31 by marketing-data@corp.example: quarterly export review" in text


def test_remediation_is_shown(result):
    """Each block ends with what to do, from the catalogue when the finding has none."""
    assert "Add a datasets entry in rules.yaml" in table(result, width=200)


def test_summary_is_the_last_line(result):
    """The output ends with a one-line summary of the audit."""
    last = table(result, width=200).rstrip().splitlines()[-1]
    assert last.startswith("7 findings (1 critical, 3 high, 2 medium, 1 low) on 3 of 4 datasets")


def test_no_line_is_wider_than_the_width(result):
    """Every line fits the requested width."""
    assert max(len(line) for line in table(result, width=72).splitlines()) <= 72


def test_hostile_text_has_no_raw_control_characters(hostile_result):
    """Control, bidi and escape characters from policy text are shown escaped, never raw."""
    text = table(hostile_result, width=200)
    raw = [ch for ch in text if ch != "\n" and unicodedata.category(ch) in ("Cc", "Cf")]
    assert raw == []
    assert "\\x1b[31mred" in text


def test_rich_markup_in_untrusted_text_is_not_interpreted(hostile_result):
    """Text that looks like rich markup is printed as written."""
    text = table(hostile_result, color=True, width=200)
    assert "\\x1b[31mred\\x1b[0m" in text


def test_audience_table_lists_members_with_flags(audience):
    """who-can-read shows each member's level, class, people, conditional and declared flags."""
    text = render_audience(audience, OutputFormat.TABLE, RenderOptions(width=160))
    row = next(line for line in text.splitlines() if "organisation o-abc123" in line and "4,210" in line)
    assert row.split()[:2] == ["read", "organisation"]
    assert row.split()[-3:] == ["4,210", "no", "NO"]


def test_audience_table_explains_each_member(audience):
    """Each member has its path and opening evidence below the table."""
    text = render_audience(audience, OutputFormat.TABLE, RenderOptions(width=160))
    assert "[4] list  anyone (AWS *)  aws:public" in text
    assert "aws:public ─list→ arn:aws:s3:::corp-telemetry" in text


def test_audience_table_warns_of_coverage_gaps(audience):
    """A gap on the dataset is stated, with the audience possibly broader."""
    text = render_audience(audience, OutputFormat.TABLE, RenderOptions(width=160))
    assert "1 coverage gap: the audience may be broader" in text
