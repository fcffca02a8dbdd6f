"""SARIF 2.1.0: valid against the official OASIS schema, rules from the catalogue."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

from seenby.catalog import catalog
from seenby.reports import OutputFormat, RenderOptions, render_findings

OASIS_SCHEMA = Path(__file__).parent / "data" / "sarif-schema-2.1.0.json"


def sarif(result, **options) -> dict:
    return json.loads(render_findings(result, OutputFormat.SARIF, RenderOptions(**options)))


def results_by_rule(document: dict) -> dict[str, dict]:
    return {r["ruleId"]: r for r in document["runs"][0]["results"]}


@pytest.fixture(scope="module")
def validator() -> jsonschema.Draft4Validator:
    return jsonschema.Draft4Validator(json.loads(OASIS_SCHEMA.read_text()))


def test_output_validates_against_the_oasis_schema(result, validator):
    """Every finding kind, waived included, gives a log valid against SARIF 2.1.0."""
    validator.validate(sarif(result, show_waived=True))


def test_hostile_output_validates_against_the_oasis_schema(hostile_result, validator):
    """Hostile untrusted text still gives a valid SARIF log."""
    validator.validate(sarif(hostile_result))


def test_empty_output_validates_against_the_oasis_schema(empty_result, validator):
    """An audit without findings gives a valid log with no results."""
    document = sarif(empty_result)
    validator.validate(document)
    assert document["runs"][0]["results"] == []


def test_driver_is_seenby_with_a_version(result):
    """The tool driver is named seenby and carries its version."""
    driver = sarif(result)["runs"][0]["tool"]["driver"]
    assert driver["name"] == "seenby"
    assert driver["version"]


def test_rules_are_built_from_the_catalogue(result):
    """Every catalogue rule is a descriptor, in id order."""
    rules = sarif(result)["runs"][0]["tool"]["driver"]["rules"]
    assert [r["id"] for r in rules] == sorted(r.value for r in catalog())


def test_rule_descriptor_carries_catalogue_metadata(result):
    """A descriptor has name, title, description, help with remediation, first link and severity."""
    rule = next(r for r in sarif(result)["runs"][0]["tool"]["driver"]["rules"] if r["id"] == "SB001")
    entry = catalog()[next(k for k in catalog() if k.value == "SB001")]
    assert rule["name"] == "public-access"
    assert rule["shortDescription"]["text"] == entry.title
    assert rule["fullDescription"]["text"] == entry.description
    assert entry.remediation in rule["help"]["text"]
    assert rule["helpUri"] == entry.links[0]
    assert rule["defaultConfiguration"]["level"] == "error"
    assert rule["properties"]["security-severity"] == "9.5"


def test_rule_without_links_has_no_help_uri(result):
    """A rule with no links has no helpUri rather than an empty one."""
    rule = next(r for r in sarif(result)["runs"][0]["tool"]["driver"]["rules"] if r["id"] == "SB005")
    assert "helpUri" not in rule


def test_levels_follow_severity(result):
    """critical/high are errors, medium warnings, low notes."""
    levels = {rule: r["level"] for rule, r in results_by_rule(sarif(result)).items()}
    assert levels == {"SB001": "error", "SB003": "error", "SB006": "error", "SB011": "error",
                      "SB010": "warning", "SB012": "warning", "SB009": "note"}


def test_result_index_points_at_its_rule(result):
    """ruleIndex names the descriptor of the result's rule."""
    run = sarif(result)["runs"][0]
    rules = run["tool"]["driver"]["rules"]
    assert all(rules[r["ruleIndex"]]["id"] == r["ruleId"] for r in run["results"])


def test_fingerprint_is_a_partial_fingerprint(result):
    """Each result carries the finding's fingerprint for baselines."""
    assert results_by_rule(sarif(result))["SB001"]["partialFingerprints"] == {"seenbyFingerprint/v1": "fp-public"}


def test_dataset_is_the_logical_location(result):
    """The dataset id is the result's logical location."""
    location = results_by_rule(sarif(result))["SB001"]["locations"][0]
    assert location["logicalLocations"] == [
        {"fullyQualifiedName": "arn:aws:s3:::corp-telemetry", "name": "corp-telemetry", "kind": "resource"}
    ]


def test_declaration_is_the_physical_location(result):
    """When the finding names its declaration, the rules file line is a physical location."""
    location = results_by_rule(sarif(result))["SB006"]["locations"][0]
    assert location["physicalLocation"] == {"artifactLocation": {"uri": "rules.yaml"}, "region": {"startLine": 14}}


def test_no_declaration_means_no_physical_location(result):
    """An undeclared dataset's result has only its logical location."""
    assert "physicalLocation" not in results_by_rule(sarif(result))["SB009"]["locations"][0]


def test_message_names_the_excess_audience(result):
    """The message says who is beyond the declaration and what was declared."""
    text = results_by_rule(sarif(result))["SB003"]["message"]["text"]
    assert "organisation / domain: organisation o-abc123 (4,210 people)" in text
    assert "Declared read: group:telemetry-analysts@corp.example." in text


def test_waived_result_is_suppressed(result):
    """A shown waived finding carries an accepted external suppression with its reason."""
    suppressions = results_by_rule(sarif(result, show_waived=True))["SB005"]["suppressions"]
    assert suppressions[0]["kind"] == "external" and suppressions[0]["status"] == "accepted"
    assert suppressions[0]["justification"].startswith("quarterly export review")


def test_coverage_gaps_are_execution_notifications(result):
    """Each coverage gap is a warning notification of the invocation."""
    notes = sarif(result)["runs"][0]["invocations"][0]["toolExecutionNotifications"]
    assert [n["level"] for n in notes] == ["warning"]
    assert "bigquery.datasets.getIamPolicy" in notes[0]["message"]["text"]


def test_untrusted_html_is_escaped_in_the_text(hostile_result):
    """`<script>` is written as JSON escapes; the parsed message keeps the original text."""
    text = render_findings(hostile_result, OutputFormat.SARIF, RenderOptions())
    assert "<script>" not in text
    assert "]]>" not in text
    message = json.loads(text)["runs"][0]["results"][0]["message"]["text"]
    assert message.startswith("<script>alert(1)</script> | ]]> \\n next line \\x1b[31mred")
