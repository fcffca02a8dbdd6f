"""The gate on plans: what fails, what passes, and what is only "existing" before the plan."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from seenby.cli import cli

from .conftest import BASELINE, RULES, findings


def rules_ids(result) -> list[str]:
    return sorted(f["rule"]["id"] for f in findings(result))


def test_new_bucket_with_organisation_wide_policy_fails(gate):
    """A new bucket whose policy lets the whole organisation read fails with SB003 (organisation-wide)."""
    result = gate("org_wide_bucket", "--format", "json")
    assert result.exit_code == 1, result.stderr
    sb003 = [f for f in findings(result) if f["rule"]["id"] == "SB003"]
    assert [e["principal"]["id"] for e in sb003[0]["excess"]] == ["aws-org:o-a1b2c3d4e5"]


def test_organisation_wide_finding_points_at_the_bucket_policy_address(gate):
    """The SB003 SARIF result's first location is the aws_s3_bucket_policy resource that opens it."""
    result = gate("org_wide_bucket", "--format", "sarif")
    sarif = json.loads(result.stdout)
    sb003 = next(r for r in sarif["runs"][0]["results"] if r["ruleId"] == "SB003")
    first = sb003["locations"][0]["logicalLocations"][0]
    assert first == {"fullyQualifiedName": "aws_s3_bucket_policy.telemetry", "kind": "resource"}


def test_same_bucket_with_only_the_declared_role_passes(gate):
    """The same bucket whose policy names only the declared role passes (roles known from the baseline)."""
    result = gate("declared_role_bucket", "--baseline", str(BASELINE), "--format", "json")
    assert result.exit_code == 0, result.stderr
    assert findings(result) == []


def test_gcs_all_users_under_enforced_public_access_prevention_passes(gate):
    """allUsers on a bucket that enforces public access prevention is not public, so the gate passes.

    https://cloud.google.com/storage/docs/public-access-prevention
    """
    result = gate("gcs_all_users_enforced", "--format", "json")
    assert result.exit_code == 0, result.stderr
    assert findings(result) == []


def test_gcs_all_users_without_prevention_fails_at_the_member_address(gate):
    """The same binding with prevention inherited is public (SB001), located at the iam_member resource."""
    result = gate("gcs_all_users_inherited", "--format", "sarif")
    assert result.exit_code == 1
    sarif = json.loads(result.stdout)
    sb001 = next(r for r in sarif["runs"][0]["results"] if r["ruleId"] == "SB001")
    assert sb001["locations"][0]["logicalLocations"][0]["fullyQualifiedName"] == \
        "google_storage_bucket_iam_member.public_read"


def test_unknown_after_apply_principal_is_a_coverage_gap_not_safe(gate):
    """A principal known only after apply makes the bucket policy a gap (UnknownAfterApply) that fails the gate."""
    result = gate("unknown_principal", "--format", "json")
    assert result.exit_code == 1
    gaps = [f["gap"] for f in findings(result) if f["rule"]["id"] == "SB011"]
    assert {"resource": "arn:aws:s3:::corp-keystroke-telemetry", "read": "policy", "code": "UnknownAfterApply"} in [
        {"resource": g["resource"], "read": g["read"], "code": g["error_code"]} for g in gaps]


def test_unknown_principal_resolvable_through_the_plan_passes(gate):
    """A role ARN known after apply is formed from the role's planned name and account: the declared role passes."""
    result = gate("unknown_principal_resolvable", "--format", "json")
    assert result.exit_code == 0, result.stdout
    assert findings(result) == []


def test_unrelated_plan_over_old_findings_passes_with_new_only(gate):
    """A plan touching only unrelated resources does not fail on the baseline's old findings (--new-only)."""
    result = gate("unrelated_change", "--baseline", str(BASELINE), "--format", "json")
    assert result.exit_code == 0, result.stderr
    assert findings(result) == []
    assert "0 new, 2 existing" in result.stderr


def test_unrelated_plan_over_old_findings_fails_with_all(gate):
    """With --all, the baseline's old organisation-wide finding fails the gate."""
    result = gate("unrelated_change", "--baseline", str(BASELINE), "--all", "--format", "json")
    assert result.exit_code == 1
    assert "SB003" in rules_ids(result)


def test_new_exposure_over_a_baseline_is_new_and_old_one_existing(gate):
    """Over a baseline, the plan's organisation-wide bucket is new; the legacy bucket's finding stays existing."""
    result = gate("org_wide_bucket", "--baseline", str(BASELINE), "--format", "json")
    assert result.exit_code == 1
    assert {f["dataset"]["id"] for f in findings(result)} == {"arn:aws:s3:::corp-keystroke-telemetry"}


def test_expired_waiver_fails_the_gate(gate, tmp_path):
    """An expired waiver on an existing finding fails the gate even with --new-only (SB012)."""
    rules = tmp_path / "rules.yaml"
    rules.write_text(RULES.read_text() + "waivers:\n  - rule: SB003\n    dataset: 'arn:aws:s3:::corp-legacy-exports'\n"
                     "    reason: migration to named roles\n    owner: data-platform@corp.example\n"
                     "    expires: 2020-01-31\n")
    result = gate("unrelated_change", "--baseline", str(BASELINE), "--format", "json", rules=rules)
    assert result.exit_code == 1
    assert rules_ids(result) == ["SB012"]


def test_live_waiver_hides_the_finding_with_all(gate, tmp_path):
    """A live waiver still hides its finding when --all counts existing findings."""
    rules = tmp_path / "rules.yaml"
    rules.write_text(RULES.read_text() + "waivers:\n  - rule: SB003\n    dataset: 'arn:aws:s3:::corp-legacy-exports'\n"
                     "    reason: migration\n    owner: data@corp.example\n    expires: 2999-01-01\n"
                     "  - rule: SB010\n    dataset: 'arn:aws:s3:::corp-legacy-exports'\n"
                     "    reason: migration\n    owner: data@corp.example\n    expires: 2999-01-01\n")
    result = gate("unrelated_change", "--baseline", str(BASELINE), "--all", "--format", "json", rules=rules)
    assert result.exit_code == 0, result.stdout


def test_baseline_findings_accept_todays_findings(gate, tmp_path):
    """Findings whose fingerprints are in --baseline-findings (a seenby audit JSON report) do not fail, even --all."""
    report = tmp_path / "accepted.json"
    audit = CliRunner().invoke(cli, ["audit", str(BASELINE), "--rules", str(RULES), "--format", "json",
                                     "--output", str(report)])
    assert audit.exit_code == 1  # the baseline has findings to accept
    result = gate("unrelated_change", "--baseline", str(BASELINE), "--all", "--baseline-findings", str(report))
    assert result.exit_code == 0, result.stdout
    assert "2 accepted" in result.stderr


def test_removing_the_old_policy_fixes_the_old_finding(gate):
    """A plan that deletes the legacy bucket policy leaves no finding, even with --all."""
    result = gate("remove_legacy_policy", "--baseline", str(BASELINE), "--all", "--format", "json")
    assert result.exit_code == 0, result.stdout
    assert findings(result) == []


def test_fail_on_critical_lets_a_high_finding_pass(gate):
    """--fail-on critical does not fail on the high SB003 finding (exit codes per DESIGN.md §6)."""
    result = gate("org_wide_bucket", "--fail-on", "critical", "--format", "json")
    assert result.exit_code == 0
    assert "SB003" in rules_ids(result)


def test_output_file_is_written_owner_only(gate, tmp_path):
    """--output writes the report with mode 0600."""
    out = tmp_path / "gate.sarif"
    gate("org_wide_bucket", "--format", "sarif", "--output", str(out))
    assert oct(Path(out).stat().st_mode & 0o777) == "0o600"
