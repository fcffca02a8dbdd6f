"""The gate's CI outputs: SARIF valid against the OASIS schema with Terraform locations, JUnit, Markdown."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import jsonschema

from .conftest import HERE, ROOT

OASIS_SCHEMA = ROOT / "tests" / "reports" / "data" / "sarif-schema-2.1.0.json"


def test_gate_sarif_validates_against_the_oasis_schema(gate):
    """The gate's SARIF (with Terraform locations) is valid SARIF 2.1.0 per the official schema."""
    result = gate("org_wide_bucket", "--format", "sarif", "--config-dir", str(HERE / "tf"))
    validator = jsonschema.Draft4Validator(json.loads(OASIS_SCHEMA.read_text()))
    assert list(validator.iter_errors(json.loads(result.stdout))) == []


def test_sarif_physical_location_is_the_tf_file_and_line(gate):
    """With the configuration at hand, the result points at the .tf file and the line of the resource block."""
    result = gate("org_wide_bucket", "--format", "sarif", "--config-dir", str(HERE / "tf"))
    sb003 = next(r for r in json.loads(result.stdout)["runs"][0]["results"] if r["ruleId"] == "SB003")
    main_tf = (HERE / "tf" / "main.tf").read_text().splitlines()
    line = main_tf.index('resource "aws_s3_bucket_policy" "telemetry" {') + 1
    assert sb003["locations"][0]["physicalLocation"] == {
        "artifactLocation": {"uri": "tests/gate/tf/main.tf"}, "region": {"startLine": line}}


def test_sarif_rule_descriptors_come_from_the_catalogue(gate):
    """Every SARIF rule descriptor of the gate is a catalogue rule with its security-severity."""
    result = gate("org_wide_bucket", "--format", "sarif")
    rules = json.loads(result.stdout)["runs"][0]["tool"]["driver"]["rules"]
    assert "SB003" in {r["id"] for r in rules}
    assert all("security-severity" in r["properties"] for r in rules)


def test_junit_parses_and_counts_the_failing_findings(gate):
    """The JUnit report parses with xml.etree and has one failure per counted finding."""
    result = gate("org_wide_bucket", "--format", "junit")
    root = ET.fromstring(result.stdout)
    failures = root.findall(".//testcase/failure")
    assert len(failures) == 2  # SB003 organisation-wide, SB010 the account under the org condition


def test_markdown_names_the_verdict_and_the_terraform_address(gate):
    """The PR-comment Markdown opens with the verdict and a row naming the resource to change."""
    result = gate("org_wide_bucket", "--format", "markdown")
    assert result.stdout.startswith("## seenby gate ❌ **fails**")
    assert "| high | SB003 | `arn:aws:s3:::corp-keystroke-telemetry` | `aws_s3_bucket_policy.telemetry` |" \
        in result.stdout


def test_markdown_of_a_passing_gate_says_it_passes(gate):
    """A passing plan's Markdown says so."""
    result = gate("gcs_all_users_enforced", "--format", "markdown")
    assert result.stdout.startswith("## seenby gate ✅ **passes**")


def test_module_resource_is_found_in_the_module_directory(monkeypatch):
    """A resource in a local module is located in that module's .tf file (module source followed)."""
    monkeypatch.chdir(ROOT)
    from seenby.gate import source_files
    from seenby.importers.terraform import Origin, load_plan, planned_snapshot

    planned = planned_snapshot(load_plan(HERE / "plans" / "unrelated_change.json"))
    origin = Origin(address="module.jobs.aws_sqs_queue.reports", type="aws_sqs_queue", module="module.jobs",
                    changed=True)
    files = source_files(planned, [origin], Path("tests/gate/tf"))
    assert files == {"module.jobs.aws_sqs_queue.reports": ("tests/gate/tf/modules/jobs/main.tf", 1)}
