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


def _sarif_results(result) -> list[dict]:
    return json.loads(result.stdout)["runs"][0]["results"]


def test_sarif_every_result_has_an_artifact_uri_without_config_dir(gate, tmp_path, monkeypatch):
    """With no .tf files at hand (registry module, no --config-dir), every result still has artifactLocation.uri."""
    monkeypatch.chdir(tmp_path)
    result = gate("s3_module_public_acl", "--format", "sarif")
    results = _sarif_results(result)
    assert results
    assert all(r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in results)


def test_sarif_falls_back_to_the_plan_file(gate):
    """A result whose resource has no .tf file found points at the plan file."""
    result = gate("s3_module_public_acl", "--format", "sarif", "--config-dir", "/nonexistent")
    uris = {r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in _sarif_results(result)}
    assert uris == {"tests/gate/plans/s3_module_public_acl.json"}


def test_sarif_registry_module_resource_points_at_its_module_call(gate, tmp_path):
    """A resource of a registry module points at the `module "NAME"` block that calls it."""
    (tmp_path / "main.tf").write_text('locals {}\n\nmodule "s3_bucket" {\n'
                                      '  source = "terraform-aws-modules/s3-bucket/aws"\n}\n')
    result = gate("s3_module_public_acl", "--format", "sarif", "--config-dir", str(tmp_path))
    acl = next(r for r in _sarif_results(result) if r["ruleId"] == "SB001")
    location = acl["locations"][0]["physicalLocation"]
    assert location["artifactLocation"]["uri"].endswith("main.tf")
    assert location["region"] == {"startLine": 3}


def test_json_carries_the_verdict_and_why(gate):
    """The gate's JSON says fail, at which --fail-on, and why."""
    result = gate("org_wide_bucket", "--format", "json", "--fail-on", "high")
    verdict = json.loads(result.stdout)["gate"]
    assert (verdict["verdict"], verdict["fail_on"]) == ("fail", "high")
    assert verdict["reason"].startswith("1 finding(s) this plan introduces at or above high")


def test_json_of_a_passing_plan_says_pass(gate):
    """A passing plan's JSON verdict is pass."""
    result = gate("gcs_all_users_enforced", "--format", "json")
    assert json.loads(result.stdout)["gate"]["verdict"] == "pass"


def test_json_names_each_findings_terraform_address(gate):
    """Each finding of the gate's JSON carries the Terraform resource that opens it."""
    result = gate("org_wide_bucket", "--format", "json")
    sb003 = next(f for f in json.loads(result.stdout)["findings"] if f["rule"]["id"] == "SB003")
    assert sb003["terraform"] == {"address": "aws_s3_bucket_policy.telemetry", "type": "aws_s3_bucket_policy",
                                  "module": None, "changed": True}


def test_gate_json_validates_against_the_findings_schema(gate):
    """The gate's JSON (verdict and Terraform fields included) is a valid seenby.findings/v1 document."""
    from importlib import resources

    schema = json.loads(resources.files("seenby").joinpath("schemas/findings-v1.schema.json").read_text())
    result = gate("org_wide_bucket", "--format", "json", "--baseline", str(HERE / "baseline.json"))
    assert list(jsonschema.Draft202012Validator(schema).iter_errors(json.loads(result.stdout))) == []


def test_table_is_headed_gate_with_the_verdict(gate):
    """The table opens with the gate's verdict and is headed "seenby gate", not "seenby audit"."""
    result = gate("org_wide_bucket")
    assert result.stdout.startswith("seenby gate: FAIL:")
    assert "seenby audit" not in result.stdout


def test_table_lists_new_findings_with_their_addresses(gate):
    """The table lists the plan's new findings with the Terraform resource to change."""
    result = gate("org_wide_bucket")
    head = result.stdout.split("\n\n", 1)[0]
    assert "SB003  arn:aws:s3:::corp-keystroke-telemetry  aws_s3_bucket_policy.telemetry" in head


def test_table_counts_baseline_findings_apart_from_waivers(gate):
    """Findings the baseline already has are counted as existing, not as waived."""
    result = gate("unrelated_change", "--baseline", str(HERE / "baseline.json"), "--rules", str(HERE / "rules.yaml"))
    lines = result.stdout.splitlines()
    header = next(i for i, line in enumerate(lines) if line.lstrip().startswith("critical"))
    counts = dict(zip(lines[header].split(), lines[header + 2].split(), strict=True))
    assert (counts["waived"], counts["existing"]) == ("0", "2")


def test_markdown_counts_existing_apart_from_waived(gate):
    """The Markdown body counts findings existing before the plan apart from waived ones."""
    result = gate("unrelated_change", "--baseline", str(HERE / "baseline.json"), "--format", "markdown")
    body = result.stdout.split("### The planned state", 1)[1]
    assert "existing (hidden)" in body
    assert "waived" not in body.split("\n\n", 2)[1]


def test_show_existing_labels_baseline_findings_existing_never_waived(gate):
    """--show-existing lists the baseline's findings marked "existing" in every human format, never "waived"."""
    args = ("--baseline", str(HERE / "baseline.json"), "--show-existing")
    table = gate("unrelated_change", *args).stdout
    markdown = gate("unrelated_change", *args, "--format", "markdown").stdout
    junit = gate("unrelated_change", *args, "--format", "junit").stdout
    html = gate("unrelated_change", *args, "--format", "html").stdout
    assert table.count("(existing)") == 2 and "EXISTING: before this plan" in table
    assert markdown.count("(existing)") >= 2 and "Existing: before this plan" in markdown
    assert 'message="existing: before this plan' in junit
    assert 'tag-waived">existing</span>' in html
    for text in (table, markdown, junit, html):
        assert "waived until" not in text.lower()
        assert "(waived)" not in text
