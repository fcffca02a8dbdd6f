"""JSON output: schema-valid, deterministic, complete."""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path

import jsonschema
import pytest

from seenby.reports import OutputFormat, RenderOptions, render_audience, render_findings


def schema(name: str) -> dict:
    return json.loads(resources.files("seenby").joinpath(f"schemas/{name}-v1.schema.json").read_text())


def findings_json(result, **options) -> dict:
    return json.loads(render_findings(result, OutputFormat.JSON, RenderOptions(**options)))


@pytest.mark.parametrize("name", ["findings", "audience"])
def test_schemas_are_valid_json_schemas(name):
    """Both shipped schemas are valid draft 2020-12 schemas."""
    jsonschema.Draft202012Validator.check_schema(schema(name))


def test_findings_output_validates_against_its_schema(result):
    """Every finding kind, waived ones included, follows seenby.findings/v1."""
    jsonschema.Draft202012Validator(schema("findings")).validate(findings_json(result, show_waived=True))


def test_hostile_findings_output_validates_against_its_schema(hostile_result):
    """Hostile untrusted text still yields schema-valid output."""
    jsonschema.Draft202012Validator(schema("findings")).validate(findings_json(hostile_result))


def test_empty_findings_output_validates_against_its_schema(empty_result):
    """An audit without findings follows the schema too."""
    jsonschema.Draft202012Validator(schema("findings")).validate(findings_json(empty_result))


def test_audience_output_validates_against_its_schema(audience):
    """who-can-read JSON follows seenby.audience/v1."""
    document = json.loads(render_audience(audience, OutputFormat.JSON, RenderOptions()))
    jsonschema.Draft202012Validator(schema("audience")).validate(document)


def test_findings_are_ordered_by_severity_rule_dataset_level(result):
    """Findings run severity descending, then rule id, dataset id and level."""
    order = [(f["severity"], f["rule"]["id"], f["dataset"]["id"]) for f in findings_json(result)["findings"]]
    assert order == [
        ("critical", "SB001", "arn:aws:s3:::corp-telemetry"),
        ("high", "SB003", "arn:aws:s3:::corp-telemetry"),
        ("high", "SB006", "arn:aws:s3:::corp-telemetry"),
        ("high", "SB011", "bigquery://corp-hr.people"),
        ("medium", "SB010", "arn:aws:s3:::corp-telemetry"),
        ("medium", "SB012", "gs://marketing-exports"),
        ("low", "SB009", "gs://marketing-exports"),
    ]


def test_keys_are_sorted(result):
    """The output is written with sorted keys, so diffs between runs are minimal."""
    text = render_findings(result, OutputFormat.JSON)
    assert list(json.loads(text)) == ["coverage_gaps", "findings", "schema", "snapshot", "summary"]
    assert text.index('"coverage_gaps"') < text.index('"findings"') < text.index('"schema"')


def test_summary_counts_active_and_waived(result):
    """The summary counts active findings per severity and waived ones apart."""
    assert findings_json(result)["summary"] == {
        "by_severity": {"critical": 1, "high": 3, "medium": 2, "low": 1, "info": 0},
        "datasets": 4,
        "datasets_with_gaps": 1,
        "findings": 7,
        "waived": 1,
    }


def test_waived_findings_are_left_out_unless_asked(result):
    """Waived findings appear, with their waiver, only with show_waived."""
    hidden = [f["fingerprint"] for f in findings_json(result)["findings"]]
    shown = {f["fingerprint"]: f for f in findings_json(result, show_waived=True)["findings"]}
    assert "fp-waived" not in hidden
    assert shown["fp-waived"]["waiver"]["expires"] == "2099-01-31"


def test_snapshot_provenance_is_carried(result):
    """The snapshot block says where, when and by whom the data was collected."""
    snapshot = findings_json(result)["snapshot"]
    assert snapshot["source"] == "examples/corp.snapshot.json"
    assert snapshot["collector"]["identity"] == "arn:aws:iam::111122223333:role/auditor"
    assert snapshot["rules_file"] == "rules.yaml"


def test_excess_entry_carries_path_and_evidence(result):
    """An excess entry has its principal, class, people and a path with evidence as the model gives it."""
    finding = next(f for f in findings_json(result)["findings"] if f["rule"]["id"] == "SB003")
    entry = finding["excess"][0]
    assert entry["principal"]["id"] == "aws-org:o-abc123"
    assert (entry["class"], entry["people"], entry["conditional"]) == ("organization", 4210, False)
    assert [s["via"] for s in entry["path"]] == ["can-assume", "grant:read", None]
    assert entry["path"][1]["evidence"][0]["sid"] == "ReadTelemetry"


def test_conditions_are_serialised_as_written(result):
    """A conditional entry keeps the condition expression, keys and reason."""
    finding = next(f for f in findings_json(result)["findings"] if f["rule"]["id"] == "SB010")
    assert finding["excess"][0]["path"][1]["conditions"] == [{
        "expression": {"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}},
        "keys": ["aws:SourceIp"],
        "reason": "source IP is not known offline",
    }]


def test_gap_finding_carries_the_gap(result):
    """A coverage-gap finding has the failed read, outcome and error code."""
    finding = next(f for f in findings_json(result)["findings"] if f["rule"]["id"] == "SB011")
    assert (finding["level"], finding["gap"]["outcome"], finding["gap"]["error_code"]) == (
        None, "denied", "403 accessDenied")


def test_rule_name_comes_from_the_catalogue(result):
    """Each finding names its rule by id, catalogue name and title."""
    finding = findings_json(result)["findings"][0]
    assert finding["rule"] == {"id": "SB001", "name": "public-access",
                               "title": "Dataset reachable by anyone on the internet"}


def test_html_characters_are_escaped_but_values_intact(hostile_result):
    """`<`, `>` and `&` are written as \\u escapes; parsed, the value is unchanged."""
    text = render_findings(hostile_result, OutputFormat.JSON)
    assert "<script>" not in text
    assert json.loads(text)["findings"][0]["message"].startswith("<script>alert(1)</script> | ]]>")


def test_audience_members_are_ordered_by_level_class_principal(audience):
    """Members run read before list, broadest class first, then principal id."""
    document = json.loads(render_audience(audience, OutputFormat.JSON, RenderOptions()))
    assert [(m["level"], m["principal"]["id"]) for m in document["members"]] == [
        ("read", "aws-org:o-abc123"),
        ("read", "arn:aws:iam::111122223333:role/telemetry-reader"),
        ("read", "group:telemetry-analysts@corp.example"),
        ("list", "aws:public"),
    ]


def test_audience_summary_counts_undeclared_and_conditional(audience):
    """The audience summary counts members, classes, levels, conditional and undeclared ones."""
    summary = json.loads(render_audience(audience, OutputFormat.JSON, RenderOptions()))["summary"]
    assert summary == {"members": 4, "by_class": {"organization": 1, "specific": 2, "public": 1},
                       "by_level": {"read": 3, "list": 1}, "conditional": 1, "undeclared": 2}


def test_docs_describe_every_finding_field():
    """docs/json-output.md names every field a finding is required to have."""
    docs = (Path(__file__).parents[2] / "docs" / "json-output.md").read_text()
    required = schema("findings")["$defs"]["finding"]["required"]
    assert [field for field in required if f"| `{field}` |" not in docs] == []
