"""Values unknown at plan time are gaps at the severity of what they could open; nothing the plan manages vanishes.

Plans are built with :mod:`.tfplan` in the shape ``terraform show -json`` writes: ``after``
without the values known only after apply, ``after_unknown`` marking them, and the
configuration's ``references`` for each expression.
"""

from __future__ import annotations

import json

from click.testing import CliRunner

from seenby.cli import cli

from .conftest import RULES
from .tfplan import UNKNOWN, TfPlan

ACCOUNT = "111122223333"
BPA_OFF = {"block_public_acls": False, "block_public_policy": False, "ignore_public_acls": False,
           "restrict_public_buckets": False}
BUCKET_REF = ["aws_s3_bucket.data.id", "aws_s3_bucket.data"]


def aws_plan(**provider: object) -> TfPlan:
    return (TfPlan().provider("aws", **(provider or {"region": "eu-west-1"}))
            .read_data("data.aws_caller_identity.current",
                       {"account_id": ACCOUNT, "arn": f"arn:aws:iam::{ACCOUNT}:user/ci"}))


def public_policy(resource: str, action: str = "s3:GetObject") -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": [
        {"Sid": "Public", "Effect": "Allow", "Principal": "*", "Action": action, "Resource": resource}]})


def run(tmp_path, plan: TfPlan, *args: str):
    path = plan.write(tmp_path / "plan.json")
    result = CliRunner().invoke(cli, ["gate", path, "--rules", str(RULES), "--format", "json", *args])
    assert result.exit_code in (0, 1), result.output
    return result, json.loads(result.stdout)["findings"]


def by_rule(findings: list[dict], rule: str) -> list[dict]:
    return [f for f in findings if f["rule"]["id"] == rule]


def jsonencode_policy_plan(*, bpa: dict | None) -> TfPlan:
    """A bucket with a known name and a jsonencode() policy that references the bucket's ARN (unknown)."""
    plan = (aws_plan()
            .add("aws_s3_bucket.data", {"bucket": "corp-data", "arn": UNKNOWN, "id": UNKNOWN}, constants=("bucket",))
            .add("aws_s3_bucket_policy.data", {"bucket": UNKNOWN, "policy": UNKNOWN, "id": UNKNOWN},
                 refs={"bucket": BUCKET_REF, "policy": ["aws_s3_bucket.data.arn", "aws_s3_bucket.data"]}))
    if bpa is not None:
        plan.add("aws_s3_bucket_public_access_block.data", {"bucket": UNKNOWN, **bpa}, refs={"bucket": BUCKET_REF})
    return plan


def test_jsonencode_policy_referencing_an_unknown_arn_is_a_gap_not_bad_input(tmp_path):
    """jsonencode() over aws_s3_bucket.x.arn is an unknown policy: a gap on the bucket, not "not valid JSON"."""
    _, findings = run(tmp_path, jsonencode_policy_plan(bpa=BPA_OFF))
    gaps = by_rule(findings, "SB011")
    assert [(g["dataset"]["id"], g["gap"]["read"], g["gap"]["error_code"]) for g in gaps] == \
        [("arn:aws:s3:::corp-data", "policy", "UnknownAfterApply")]


def test_unknown_policy_with_block_public_access_off_gates_as_critical(tmp_path):
    """The unknown policy of a bucket with Block Public Access off could make it public: critical, fails high."""
    result, findings = run(tmp_path, jsonencode_policy_plan(bpa=BPA_OFF), "--fail-on", "high")
    gap = by_rule(findings, "SB011")[0]
    assert (gap["severity"], result.exit_code) == ("critical", 1)
    assert "anyone (public) (SB001, critical)" in gap["message"]


def test_unknown_policy_under_default_block_public_access_gates_as_another_account(tmp_path):
    """Under a new bucket's default Block Public Access the worst policy opens it to another account, not anyone."""
    _, findings = run(tmp_path, jsonencode_policy_plan(bpa=None))
    gap = by_rule(findings, "SB011")[0]
    assert gap["severity"] == "high"
    assert gap["message"].endswith("could open it to another account (SB004, high)")


def test_bucket_prefix_bucket_keeps_its_public_policy(tmp_path):
    """A bucket named by bucket_prefix keeps its policy and BPA: the public policy fails as SB001."""
    plan = (aws_plan()
            .add("aws_s3_bucket.data", {"bucket": UNKNOWN, "bucket_prefix": "corp-data-", "arn": UNKNOWN,
                                        "id": UNKNOWN}, constants=("bucket_prefix",))
            .add("aws_s3_bucket_policy.data", {"bucket": UNKNOWN, "policy": public_policy("*"), "id": UNKNOWN},
                 refs={"bucket": BUCKET_REF})
            .add("aws_s3_bucket_public_access_block.data", {"bucket": UNKNOWN, **BPA_OFF}, refs={"bucket": BUCKET_REF}))
    result, findings = run(tmp_path, plan)
    assert [f["dataset"]["id"] for f in by_rule(findings, "SB001")] == \
        ["arn:aws:s3:::corp-data-terraform-unknown-name:aws_s3_bucket.data"]
    assert result.exit_code == 1


def test_bucket_prefix_bucket_falls_under_a_declaration_of_its_prefix(tmp_path):
    """A bucket_prefix bucket matches a rules.yaml glob on its prefix: declared, so no SB009."""
    rules = tmp_path / "rules.yaml"
    rules.write_text('version: 1\ndatasets:\n  - match: {id: "arn:aws:s3:::corp-data-*"}\n    read: []\n')
    plan = aws_plan().add("aws_s3_bucket.data", {"bucket": UNKNOWN, "bucket_prefix": "corp-data-", "id": UNKNOWN},
                          constants=("bucket_prefix",))
    path = plan.write(tmp_path / "plan.json")
    result = CliRunner().invoke(cli, ["gate", path, "--rules", str(rules), "--format", "json"])
    assert [f["rule"]["id"] for f in json.loads(result.stdout)["findings"]] == ["SB011"]


def test_bucket_prefix_bucket_has_a_name_gap(tmp_path):
    """The bucket whose name is known only after apply carries a gap on its name read."""
    plan = aws_plan().add("aws_s3_bucket.data", {"bucket": UNKNOWN, "bucket_prefix": "corp-", "id": UNKNOWN},
                          constants=("bucket_prefix",))
    _, findings = run(tmp_path, plan)
    assert [(g["gap"]["read"], g["severity"]) for g in by_rule(findings, "SB011")] == [("name", "low")]


def test_gcs_bucket_with_random_name_keeps_its_all_users_binding(tmp_path):
    """A GCS bucket named from random_id keeps its allUsers binding: SB001, exit 1 (was exit 0, 0 datasets)."""
    plan = (TfPlan().provider("google", project="corp-analytics")
            .add("random_id.suffix", {"byte_length": 4, "hex": UNKNOWN})
            .add("google_storage_bucket.b", {"name": UNKNOWN, "location": "EU", "project": "corp-analytics",
                                             "uniform_bucket_level_access": True,
                                             "public_access_prevention": "inherited"},
                 refs={"name": ["random_id.suffix.hex", "random_id.suffix"]})
            .add("google_storage_bucket_iam_member.public", {"bucket": UNKNOWN, "role": "roles/storage.objectViewer",
                                                             "member": "allUsers", "etag": UNKNOWN},
                 refs={"bucket": ["google_storage_bucket.b.name", "google_storage_bucket.b"]}))
    result, findings = run(tmp_path, plan)
    assert [f["dataset"]["id"] for f in by_rule(findings, "SB001")] == \
        ["gs://terraform-unknown-name:google_storage_bucket.b"]
    assert result.exit_code == 1


def dynamodb_plan(plan: TfPlan) -> TfPlan:
    return (plan.add("aws_dynamodb_table.orders", {"name": "orders", "arn": UNKNOWN, "id": UNKNOWN},
                     constants=("name",))
            .add("aws_dynamodb_resource_policy.orders",
                 {"resource_arn": UNKNOWN, "policy": public_policy("*", "dynamodb:GetItem")},
                 refs={"resource_arn": ["aws_dynamodb_table.orders.arn", "aws_dynamodb_table.orders"]}))


def test_dynamodb_table_in_a_region_from_a_variable_is_judged(tmp_path):
    """A table whose provider has region = var.region is placed in that region and its public policy fails."""
    plan = dynamodb_plan(TfPlan().provider_refs("aws", region=["var.region"]).variable("region", "eu-central-1")
                         .read_data("data.aws_caller_identity.current", {"account_id": ACCOUNT}))
    _, findings = run(tmp_path, plan)
    assert [f["dataset"]["id"] for f in findings if f["rule"]["id"] in ("SB001", "SB002")] == \
        [f"arn:aws:dynamodb:eu-central-1:{ACCOUNT}:table/orders"]


def test_dynamodb_table_with_no_region_is_kept_with_a_region_gap(tmp_path):
    """A table with no region anywhere is kept (placeholder region, a region gap) and its policy still judged."""
    plan = dynamodb_plan(TfPlan().provider("aws").read_data("data.aws_caller_identity.current",
                                                             {"account_id": ACCOUNT}))
    _, findings = run(tmp_path, plan)
    table = f"arn:aws:dynamodb:terraform-unknown-region:{ACCOUNT}:table/orders"
    assert [f["dataset"]["id"] for f in findings if f["rule"]["id"] in ("SB001", "SB002")] == [table]
    assert [g["gap"]["read"] for g in by_rule(findings, "SB011")] == ["region"]


def test_without_baseline_public_policy_with_bucket_bpa_off_is_critical(tmp_path):
    """No baseline: the account's Block Public Access counts as off, so a public policy is SB001 and fails high."""
    plan = (aws_plan()
            .add("aws_s3_bucket.data", {"bucket": "corp-pub", "arn": UNKNOWN, "id": UNKNOWN}, constants=("bucket",))
            .add("aws_s3_bucket_policy.data", {"bucket": "corp-pub", "policy": public_policy("arn:aws:s3:::corp-pub/*"),
                                               "id": UNKNOWN})
            .add("aws_s3_bucket_public_access_block.data", {"bucket": "corp-pub", **BPA_OFF}))
    result, findings = run(tmp_path, plan, "--fail-on", "high")
    assert [f["severity"] for f in by_rule(findings, "SB001")] == ["critical"]
    assert result.exit_code == 1
    assert "Block Public Access of 111122223333 is taken as off" in result.stderr


def test_deferred_policy_document_with_object_arn_template_opens_objects(tmp_path):
    """A deferred aws_iam_policy_document whose resources are "${aws_s3_bucket.x.arn}/*" is judged (not dropped)."""
    plan = (aws_plan()
            .add("aws_s3_bucket.data", {"bucket": "corp-pub", "arn": UNKNOWN, "id": UNKNOWN}, constants=("bucket",))
            .add("aws_s3_bucket_public_access_block.data", {"bucket": "corp-pub", **BPA_OFF}))
    plan.defer_data("data.aws_iam_policy_document.public", {
        "statement": [{"sid": "Public", "effect": "Allow", "actions": ["s3:GetObject"], "resources": [UNKNOWN],
                       "principals": [{"type": "*", "identifiers": ["*"]}]}]},
        refs={("statement", 0, "resources"): ["aws_s3_bucket.data.arn", "aws_s3_bucket.data"]})
    plan.add("aws_s3_bucket_policy.data", {"bucket": "corp-pub", "policy": UNKNOWN, "id": UNKNOWN},
             refs={"policy": ["data.aws_iam_policy_document.public.json", "data.aws_iam_policy_document.public"]})
    _, findings = run(tmp_path, plan)
    assert [(f["dataset"]["id"], f["level"]) for f in by_rule(findings, "SB001")] == [("arn:aws:s3:::corp-pub", "read")]


def test_policy_on_a_bucket_from_outside_the_plan_is_a_gap_on_the_account(tmp_path):
    """A policy whose bucket comes from an unknown module input is a gap on every bucket of the account."""
    plan = (aws_plan()
            .add("aws_s3_bucket.other", {"bucket": "corp-other", "arn": UNKNOWN, "id": UNKNOWN}, constants=("bucket",))
            .add("module.share.aws_s3_bucket_policy.this", {"bucket": UNKNOWN, "policy": UNKNOWN, "id": UNKNOWN},
                 refs={"bucket": ["var.bucket"], "policy": ["var.bucket"]}))
    _, findings = run(tmp_path, plan)
    gaps = by_rule(findings, "SB011")
    assert [(g["dataset"]["id"], g["gap"]["read"]) for g in gaps] == \
        [("arn:aws:s3:::corp-other", "module.share.aws_s3_bucket_policy.this")]


def test_for_each_bucket_policies_in_a_module_join_their_buckets(tmp_path):
    """for_each instances in a module: each policy joins its own bucket (instance keys kept)."""
    plan = aws_plan()
    each = ["aws_s3_bucket.this", "each.key"]  # aws_s3_bucket.this[each.key].id, as the configuration records it
    for key in ("raw", "curated"):
        plan.add(f'module.lake.aws_s3_bucket.this["{key}"]', {"bucket": f"corp-{key}", "arn": UNKNOWN, "id": UNKNOWN},
                 refs={"bucket": ["each.value"]})
        plan.add(f'module.lake.aws_s3_bucket_public_access_block.this["{key}"]', {"bucket": UNKNOWN, **BPA_OFF},
                 refs={"bucket": each})
    plan.add('module.lake.aws_s3_bucket_policy.this["raw"]',
             {"bucket": UNKNOWN, "policy": public_policy("arn:aws:s3:::corp-raw/*"), "id": UNKNOWN},
             refs={"bucket": each})
    _, findings = run(tmp_path, plan)
    assert [f["dataset"]["id"] for f in by_rule(findings, "SB001")] == ["arn:aws:s3:::corp-raw"]


def test_without_baseline_public_acl_gates_at_its_own_severity(tmp_path):
    """No baseline: a public-read bucket ACL (ACLs enabled, bucket BPA off) is SB001 and fails --fail-on high."""
    plan = (aws_plan()
            .add("aws_s3_bucket.data", {"bucket": "corp-pub", "id": UNKNOWN}, constants=("bucket",))
            .add("aws_s3_bucket_ownership_controls.data", {"bucket": "corp-pub",
                                                           "rule": [{"object_ownership": "ObjectWriter"}]})
            .add("aws_s3_bucket_public_access_block.data", {"bucket": "corp-pub", **BPA_OFF})
            .add("aws_s3_bucket_acl.data", {"bucket": "corp-pub", "acl": "public-read",
                                            "access_control_policy": UNKNOWN}, constants=("acl",)))
    result, findings = run(tmp_path, plan, "--fail-on", "high")
    assert [(f["severity"], f["level"]) for f in by_rule(findings, "SB001")] == [("high", "list")]
    assert result.exit_code == 1


def test_account_block_public_access_in_the_plan_is_not_assumed_off(tmp_path):
    """When the plan manages the account's Block Public Access (all on), the public policy is blocked: no SB001."""
    plan = (aws_plan()
            .add("aws_s3_account_public_access_block.this", {"account_id": ACCOUNT, "block_public_acls": True,
                                                             "block_public_policy": True, "ignore_public_acls": True,
                                                             "restrict_public_buckets": True})
            .add("aws_s3_bucket.data", {"bucket": "corp-pub", "id": UNKNOWN}, constants=("bucket",))
            .add("aws_s3_bucket_policy.data", {"bucket": "corp-pub",
                                               "policy": public_policy("arn:aws:s3:::corp-pub/*")})
            .add("aws_s3_bucket_public_access_block.data", {"bucket": "corp-pub", **BPA_OFF}))
    result, findings = run(tmp_path, plan)
    assert by_rule(findings, "SB001") == []
    assert "taken as off" not in result.stderr


LAMBDA_TRUST = json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Action": "sts:AssumeRole", "Principal": {"Service": "lambda.amazonaws.com"}}]})
DECLARED_BUCKET = "corp-keystroke-telemetry"  # declared in tests/gate/rules.yaml: read by telemetry-readers only


def test_attachment_to_an_unknown_role_gates_at_what_anyone_could_reach(tmp_path):
    """A policy attached to a role known only after apply could be any role, one anyone can assume: critical."""
    read_all = json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]})
    plan = (aws_plan()
            .add("aws_s3_bucket.data", {"bucket": DECLARED_BUCKET, "id": UNKNOWN}, constants=("bucket",))
            .add("aws_iam_policy.read", {"name": "read-all", "path": "/", "policy": read_all, "arn": UNKNOWN})
            .add("aws_iam_role_policy_attachment.x", {"role": UNKNOWN, "policy_arn": UNKNOWN},
                 refs={"role": ["var.role_name"], "policy_arn": ["aws_iam_policy.read.arn", "aws_iam_policy.read"]}))
    _, findings = run(tmp_path, plan)
    gap = by_rule(findings, "SB011")[0]
    assert (gap["gap"]["read"], gap["severity"]) == ("aws_iam_role_policy_attachment.x.role", "critical")


def test_unknown_inline_policy_of_a_service_role_gates_below_critical(tmp_path):
    """An unknown inline policy of a role only Lambda assumes could open the bucket to that role: high, not critical."""
    plan = (aws_plan()
            .add("aws_s3_bucket.data", {"bucket": DECLARED_BUCKET, "id": UNKNOWN}, constants=("bucket",))
            .add("aws_iam_role.fn", {"name": "fn", "path": "/", "assume_role_policy": LAMBDA_TRUST, "arn": UNKNOWN,
                                     "id": UNKNOWN}, constants=("name",))
            .add("aws_iam_role_policy.fn", {"name": "read", "role": UNKNOWN, "policy": UNKNOWN},
                 refs={"role": ["aws_iam_role.fn.id", "aws_iam_role.fn"],
                       "policy": ["aws_s3_bucket.data.arn", "aws_s3_bucket.data"]}, constants=("name",)))
    _, findings = run(tmp_path, plan)
    gap = by_rule(findings, "SB011")[0]
    assert (gap["gap"]["read"], gap["severity"]) == ("aws_iam_role_policy.fn.policy", "high")


def test_unknown_trust_policy_gates_at_what_anyone_could_reach(tmp_path):
    """A role whose trust policy is known only after apply, with read on the bucket, could be assumed by anyone."""
    read_bucket = json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::{DECLARED_BUCKET}/*"}]})
    plan = (aws_plan()
            .add("aws_s3_bucket.data", {"bucket": DECLARED_BUCKET, "id": UNKNOWN}, constants=("bucket",))
            .add("aws_iam_role.fn", {"name": "fn", "path": "/", "assume_role_policy": UNKNOWN, "arn": UNKNOWN,
                                     "id": UNKNOWN, "inline_policy": [{"name": "read", "policy": read_bucket}]},
                 refs={"assume_role_policy": ["var.trusted_arn"]}, constants=("name", "inline_policy")))
    _, findings = run(tmp_path, plan)
    gap = by_rule(findings, "SB011")[0]
    assert gap["gap"]["read"] == "aws_iam_role.fn.assume_role_policy"
    assert gap["severity"] == "critical"


def gcp_plan() -> TfPlan:
    return TfPlan().provider("google", project="corp-analytics")


def gcs_bucket_with_public_acl(prevention: str) -> TfPlan:
    """A bucket whose uniform bucket-level access is unknown, with an allUsers READER ACL entry."""
    return (gcp_plan()
            .add("google_storage_bucket.b", {"name": "corp-gcs-x", "location": "EU", "project": "corp-analytics",
                                             "uniform_bucket_level_access": UNKNOWN,
                                             "public_access_prevention": prevention},
                 refs={"uniform_bucket_level_access": ["var.uniform"]}, constants=("name",))
            .add("google_storage_bucket_access_control.public", {"bucket": "corp-gcs-x", "entity": "allUsers",
                                                                  "role": "READER"}))


def test_gcs_acl_under_unknown_uniform_access_is_judged_at_its_own_severity(tmp_path):
    """Unknown uniform access is taken as off: the allUsers ACL entry (bucket listing) is SB001 high, so is the gap."""
    _, findings = run(tmp_path, gcs_bucket_with_public_acl("inherited"))
    assert [(f["dataset"]["id"], f["level"], f["severity"]) for f in by_rule(findings, "SB001")] == \
        [("gs://corp-gcs-x", "list", "high")]
    assert [(g["gap"]["read"], g["severity"]) for g in by_rule(findings, "SB011")] == \
        [("uniform_bucket_level_access", "high")]


def test_gcs_acl_under_enforced_prevention_is_not_public(tmp_path):
    """With public access prevention enforced the same ACL is not public: no SB001.  The unknown uniform access
    still rates high: with ACLs in force, the project-editors entity reaches the project's editors, whom a plan
    without the project's IAM cannot name (an unknown broad audience, fail closed)."""
    _, findings = run(tmp_path, gcs_bucket_with_public_acl("enforced"))
    assert by_rule(findings, "SB001") == []
    assert [g["severity"] for g in by_rule(findings, "SB011")] == ["high"]


def test_bigquery_dataset_with_unknown_access_gates_as_public(tmp_path):
    """A BigQuery dataset whose access blocks are unknown could grant allUsers: critical."""
    plan = gcp_plan().add("google_bigquery_dataset.d", {
        "dataset_id": "sales", "project": "corp-analytics", "location": "EU", "access": UNKNOWN},
        refs={"access": ["var.readers"]})
    _, findings = run(tmp_path, plan)
    assert [(g["gap"]["read"], g["severity"]) for g in by_rule(findings, "SB011")] == [("access", "critical")]
