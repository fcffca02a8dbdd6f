"""Bad plans and reports: one line naming the file and the JSON path, exit 2, nothing written."""

from __future__ import annotations

import json

from .conftest import PLANS, RULES


def assert_bad_input(result, *needles: str) -> None:
    assert result.exit_code == 2, result.output
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    for needle in needles:
        assert needle in lines[0], lines[0]
    assert result.stdout == ""


def write_plan(tmp_path, mutate) -> str:
    data = json.loads((PLANS / "org_wide_bucket.json").read_text())
    mutate(data)
    path = tmp_path / "plan.json"
    path.write_text(json.dumps(data))
    return str(path)


def run_gate(gate, path: str, *args: str):
    from click.testing import CliRunner

    from seenby.cli import cli

    return CliRunner().invoke(cli, ["gate", path, "--rules", str(RULES), *args])


def test_after_that_is_not_an_object_names_its_json_path(gate, tmp_path):
    """A resource change whose `after` is not an object names $.resource_changes[1].change.after."""
    path = write_plan(tmp_path, lambda d: d["resource_changes"][1]["change"].update(after="oops"))
    out = tmp_path / "out.sarif"
    result = run_gate(gate, path, "--format", "sarif", "--output", str(out))
    assert_bad_input(result, path, "$.resource_changes[1].change.after")
    assert not out.exists()


def test_policy_that_is_not_json_names_its_attribute_path(gate, tmp_path):
    """A bucket policy that is not JSON names $.resource_changes[1].change.after.policy."""
    def mutate(d):
        d["resource_changes"][1]["change"]["after"]["policy"] = "{not json"
    result = run_gate(gate, write_plan(tmp_path, mutate))
    assert_bad_input(result, "$.resource_changes[1].change.after.policy", "aws_s3_bucket_policy.telemetry")


def test_unknown_action_is_refused(gate, tmp_path):
    """An action Terraform does not document is refused at its path."""
    path = write_plan(tmp_path, lambda d: d["resource_changes"][0]["change"].update(actions=["explode"]))
    assert_bad_input(run_gate(gate, path), "$.resource_changes[0].change.actions")


def test_unsupported_format_version_is_refused(gate, tmp_path):
    """A plan of a future major format version is refused (Terraform's compatibility rule)."""
    path = write_plan(tmp_path, lambda d: d.update(format_version="2.0"))
    assert_bad_input(run_gate(gate, path), "$.format_version", "2.0")


def test_binary_plan_file_is_named_as_such(gate, tmp_path):
    """The binary plan (a zip) gets a message saying to convert it with terraform show -json."""
    path = tmp_path / "tfplan"
    path.write_bytes(b"PK\x03\x04\x14\x00\x00\x00binary")
    assert_bad_input(run_gate(gate, str(path)), "terraform show -json")


def test_state_file_is_not_a_plan(gate, tmp_path):
    """A `terraform show -json` of a state (no planned_values, no resource_changes) is refused."""
    path = tmp_path / "state.json"
    path.write_text(json.dumps({"format_version": "1.0", "terraform_version": "1.9.5", "values": {}}))
    assert_bad_input(run_gate(gate, str(path)), "state, not a plan")


def test_baseline_findings_that_are_not_a_findings_report(gate, tmp_path):
    """--baseline-findings must be a seenby.findings/v1 report."""
    bad = tmp_path / "findings.json"
    bad.write_text(json.dumps({"results": []}))
    result = run_gate(gate, str(PLANS / "org_wide_bucket.json"), "--baseline-findings", str(bad))
    assert_bad_input(result, str(bad), "$.schema")
