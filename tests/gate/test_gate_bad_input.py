"""Bad plans and reports: one line naming the file and the JSON path, exit 2, nothing written."""

from __future__ import annotations

import json

from click.testing import CliRunner

from seenby.cli import cli

from .conftest import BASELINE, PLANS, RULES


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


# -- limits: nesting depth, number size, alias expansion, encodings --------------------------------

_DEEP = "[" * 5000 + "]" * 5000
_HUGE_NUMBER = "1" * 5000


def _plan_with(tmp_path, raw_value: str) -> str:
    """org_wide_bucket.json with ``raw_value`` (JSON text) spliced in as a resource's `tags`."""
    text = (PLANS / "org_wide_bucket.json").read_text()
    data = json.loads(text)
    data["resource_changes"][0]["change"]["after"]["tags"] = "@@SPLICE@@"
    path = tmp_path / "plan.json"
    path.write_text(json.dumps(data).replace('"@@SPLICE@@"', raw_value))
    return str(path)


def test_deeply_nested_plan_is_one_line(gate, tmp_path):
    """A plan nested thousands of levels deep is refused in one line (no RecursionError)."""
    assert_bad_input(run_gate(gate, _plan_with(tmp_path, _DEEP)), "nested more than")


def test_moderately_deep_plan_is_refused_too(gate, tmp_path):
    """A plan nested 600 levels (parsed by json, too deep for the importer) is refused in one line."""
    assert_bad_input(run_gate(gate, _plan_with(tmp_path, "[" * 600 + "]" * 600)), "nested more than 256")


def test_plan_number_of_thousands_of_digits_is_one_line(gate, tmp_path):
    """A number of 5,000 digits in a plan is refused in one line (no ValueError traceback)."""
    assert_bad_input(run_gate(gate, _plan_with(tmp_path, _HUGE_NUMBER)), "a number of 5,000 characters")


def test_plan_float_that_overflows_is_one_line(gate, tmp_path):
    """A float too large for a double (1e999) is refused, not read as infinity."""
    assert_bad_input(run_gate(gate, _plan_with(tmp_path, "1e999")), "too large")


def test_baseline_nested_too_deep_is_one_line(gate, tmp_path):
    """A --baseline snapshot nested thousands of levels deep is refused in one line."""
    bad = tmp_path / "baseline.json"
    bad.write_text('{"schema_version": "1.0", "resources": ' + _DEEP + "}")
    result = run_gate(gate, str(PLANS / "org_wide_bucket.json"), "--baseline", str(bad))
    assert_bad_input(result, str(bad), "nested more than")


def test_baseline_huge_number_is_one_line(gate, tmp_path):
    """A --baseline snapshot with a number of thousands of digits is refused in one line."""
    bad = tmp_path / "baseline.json"
    bad.write_text('{"schema_version": ' + _HUGE_NUMBER + "}")
    result = run_gate(gate, str(PLANS / "org_wide_bucket.json"), "--baseline", str(bad))
    assert_bad_input(result, str(bad), "a number of 5,000 characters")


def test_baseline_findings_nested_too_deep_is_one_line(gate, tmp_path):
    """--baseline-findings nested thousands of levels deep is refused in one line."""
    bad = tmp_path / "findings.json"
    bad.write_text('{"schema": "seenby.findings/v1", "findings": ' + _DEEP + "}")
    result = run_gate(gate, str(PLANS / "org_wide_bucket.json"), "--baseline-findings", str(bad))
    assert_bad_input(result, str(bad), "nested more than")


def test_baseline_findings_huge_number_is_one_line(gate, tmp_path):
    """--baseline-findings with a number of thousands of digits is refused in one line."""
    bad = tmp_path / "findings.json"
    bad.write_text('{"schema": "seenby.findings/v1", "findings": [], "n": ' + _HUGE_NUMBER + "}")
    result = run_gate(gate, str(PLANS / "org_wide_bucket.json"), "--baseline-findings", str(bad))
    assert_bad_input(result, str(bad), "a number of 5,000 characters")


def test_self_referencing_alias_in_rules_is_one_line(gate, tmp_path):
    """A rules.yaml alias that contains itself is refused in one line, naming the line."""
    rules = tmp_path / "rules.yaml"
    rules.write_text("version: 1\naudiences:\n  loop: &x [*x]\n")
    result = CliRunner().invoke(cli, ["gate", str(PLANS / "org_wide_bucket.json"), "--rules", str(rules)])
    assert_bad_input(result, str(rules), "line 3")


def test_exponential_aliases_in_rules_are_one_line(gate, tmp_path):
    """Aliases that expand to billions of values ("billion laughs") are refused in one line."""
    lines = ["version: 1", "a0: &a0 [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]"]
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]" for i in range(1, 10)]
    rules = tmp_path / "rules.yaml"
    rules.write_text("\n".join(lines) + "\n")
    result = CliRunner().invoke(cli, ["gate", str(PLANS / "org_wide_bucket.json"), "--rules", str(rules)])
    assert_bad_input(result, str(rules), "aliases are expanded")


def test_utf16_plan_with_bom_is_read(gate, tmp_path):
    """A plan PowerShell 5 wrote with `>` (UTF-16 LE with a byte-order mark) is read like its UTF-8 original."""
    path = tmp_path / "plan.json"
    path.write_bytes((PLANS / "org_wide_bucket.json").read_text().encode("utf-16"))
    expected = run_gate(gate, str(PLANS / "org_wide_bucket.json"), "--format", "json")
    result = run_gate(gate, str(path), "--format", "json")
    assert result.exit_code == expected.exit_code == 1
    assert len(json.loads(result.stdout)["findings"]) == len(json.loads(expected.stdout)["findings"])


def test_utf8_plan_with_bom_is_read(gate, tmp_path):
    """A UTF-8 plan with a byte-order mark is read."""
    path = tmp_path / "plan.json"
    path.write_bytes(b"\xef\xbb\xbf" + (PLANS / "org_wide_bucket.json").read_bytes())
    assert run_gate(gate, str(path)).exit_code == 1


def test_utf16_plan_without_bom_names_encoding_and_fix(gate, tmp_path):
    """UTF-16 without a byte-order mark is refused with a message naming UTF-16 and the fix."""
    path = tmp_path / "plan.json"
    path.write_bytes((PLANS / "org_wide_bucket.json").read_text().encode("utf-16-le"))
    assert_bad_input(run_gate(gate, str(path)), "UTF-16", "terraform show -json plan > plan.json")


def _baseline_with_policy(tmp_path, policy_text: str) -> str:
    """tests/gate/baseline.json with every bucket policy document replaced by ``policy_text``."""
    data = json.loads(BASELINE.read_text())
    for resource in data["resources"]:
        for read in resource.get("reads", {}).values():
            if isinstance(read.get("document"), dict) and isinstance(read["document"].get("Policy"), str):
                read["document"]["Policy"] = policy_text
    path = tmp_path / "baseline.json"
    path.write_text(json.dumps(data))
    return str(path)


def test_baseline_policy_string_nested_too_deep_is_one_line(gate, tmp_path):
    """A baseline bucket policy (JSON in a string) nested thousands of levels deep is one line, exit 2."""
    path = _baseline_with_policy(tmp_path, '{"Statement": ' + _DEEP + "}")
    result = run_gate(gate, str(PLANS / "org_wide_bucket.json"), "--baseline", path)
    assert_bad_input(result, path, "a JSON document in a string is nested more than 256")


def test_baseline_policy_string_with_a_huge_number_is_one_line(gate, tmp_path):
    """A baseline bucket policy holding a number of thousands of digits is one line, exit 2."""
    path = _baseline_with_policy(tmp_path, '{"Version": "2012-10-17", "Statement": [], "N": ' + _HUGE_NUMBER + "}")
    result = run_gate(gate, str(PLANS / "org_wide_bucket.json"), "--baseline", path)
    assert_bad_input(result, path, "a number of 5,000 characters")


def test_rules_number_of_thousands_of_digits_is_one_line(gate, tmp_path):
    """A rules.yaml integer of 6,000 digits is refused in one line naming its line (no ValueError)."""
    rules = tmp_path / "rules.yaml"
    rules.write_text("version: 1\naudiences:\n  a: [" + "1" * 6000 + "]\n")
    result = CliRunner().invoke(cli, ["gate", str(PLANS / "org_wide_bucket.json"), "--rules", str(rules)])
    assert_bad_input(result, str(rules), "line 3", "a number of 6,000 characters")


def test_rules_flow_nested_thousands_deep_is_one_line(gate, tmp_path):
    """A rules.yaml flow sequence nested 5,000 levels deep is refused in one line (no RecursionError)."""
    rules = tmp_path / "rules.yaml"
    rules.write_text("version: 1\naudiences: " + "[" * 5000 + "]" * 5000 + "\n")
    result = CliRunner().invoke(cli, ["gate", str(PLANS / "org_wide_bucket.json"), "--rules", str(rules)])
    assert_bad_input(result, str(rules), "nested more than 64 levels deep")
