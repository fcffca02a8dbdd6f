"""The gate on plans shaped like community modules' (terraform-aws-modules/s3-bucket,
terraform-google-modules/cloud-storage and bigquery): nested and for_each modules, indexed
addresses, provider v3 inline arguments, exclusive attachments, folder and organisation IAM,
and resource types the importer does not model.

Plans are written per https://developer.hashicorp.com/terraform/internals/json-format
(format_version 1.2); rules are ``real_rules.yaml``.
"""

from __future__ import annotations

import json

from click.testing import CliRunner

from seenby.cli import cli
from seenby.importers.terraform import load_plan, planned_snapshot
from seenby.model import ReadOutcome
from seenby.snapshot import load_snapshot

from .conftest import BASELINE, HERE, PLANS, findings

RULES = HERE / "real_rules.yaml"
LEGACY = "arn:aws:s3:::corp-legacy-exports"


def run(plan_name: str, *args: str):
    return CliRunner().invoke(cli, ["gate", str(PLANS / f"{plan_name}.json"), "--rules", str(RULES),
                                    "--format", "json", *args])


def by_rule(result, rule: str) -> list[dict]:
    return [f for f in findings(result) if f["rule"]["id"] == rule]


def origins(plan_name: str, *args: str) -> dict[str, str]:
    """rule id + dataset -> the Terraform address SARIF names first."""
    result = CliRunner().invoke(cli, ["gate", str(PLANS / f"{plan_name}.json"), "--rules", str(RULES),
                                      "--format", "sarif", *args])
    out = {}
    for r in json.loads(result.stdout)["runs"][0]["results"]:
        logical = r["locations"][0]["logicalLocations"]
        out[f"{r['ruleId']} {logical[1]['fullyQualifiedName'] if len(logical) > 1 else ''}"] = \
            logical[0]["fullyQualifiedName"]
    return out


def resource(planned, type_: str, id_: str):
    return next(r for r in planned.snapshot.resources if r.type == type_ and r.id == id_)


def excess_ids(finding: dict) -> set[str]:
    return {e["principal"]["id"] for e in finding["excess"]}


# -- terraform-aws-modules/s3-bucket ---------------------------------------------------------------


def test_canned_public_read_acl_in_a_for_each_module_fails_at_the_acl_address():
    """aws_s3_bucket_acl with acl = "public-read" (access_control_policy computed) opens the bucket to everyone.

    https://registry.terraform.io/providers/hashicorp/aws/latest/docs/resources/s3_bucket_acl
    """
    result = run("s3_module_public_acl")
    assert result.exit_code == 1, result.stderr
    public = [f for f in findings(result) if "aws:public" in excess_ids(f)]
    assert public, findings(result)
    assert origins("s3_module_public_acl")[f"{public[0]['rule']['id']} arn:aws:s3:::corp-access-logs"] == \
        'module.s3_bucket["logs"].aws_s3_bucket_acl.this[0]'


def test_canned_acl_with_computed_access_control_policy_is_not_a_gap():
    """A known canned `acl` with access_control_policy known only after apply is the canned ACL, not a gap."""
    planned = planned_snapshot(load_plan(PLANS / "s3_module_public_acl.json"))
    acl = resource(planned, "aws.s3.bucket", "arn:aws:s3:::corp-access-logs").document("acl")
    assert {"Grantee": {"Type": "Group", "URI": "http://acs.amazonaws.com/groups/global/AllUsers"},
            "Permission": "READ"} in acl["Grants"]


def test_module_bucket_policy_from_a_policy_document_is_read():
    """The module's bucket policy (rendered data.aws_iam_policy_document JSON) lands on the bucket of the same key."""
    planned = planned_snapshot(load_plan(PLANS / "s3_module_public_acl.json"))
    bucket = resource(planned, "aws.s3.bucket", "arn:aws:s3:::corp-access-logs")
    policy = json.loads(bucket.document("policy")["Policy"])
    assert [s["Sid"] for s in policy["Statement"]] == ["denyInsecureTransport", "AWSLogDeliveryWrite"]


def test_module_settings_reference_the_bucket_by_its_indexed_address():
    """public_access_block and ownership_controls whose `bucket` is aws_s3_bucket.this[0].id (unknown) join it."""
    planned = planned_snapshot(load_plan(PLANS / "s3_nested_module_grants.json"))
    bucket = resource(planned, "aws.s3.bucket", "arn:aws:s3:::corp-screen-telemetry")
    assert bucket.document("ownership_controls")["OwnershipControls"]["Rules"] == [{"ObjectOwnership": "ObjectWriter"}]
    assert bucket.document("public_access_block")["PublicAccessBlockConfiguration"]["BlockPublicAcls"] is False


def test_access_control_policy_grant_in_a_nested_module_is_located_at_its_address():
    """An AuthenticatedUsers READ grant in module.platform.module.bucket is a finding named by that address."""
    result = run("s3_nested_module_grants")
    assert result.exit_code == 1
    f = next(f for f in findings(result) if "aws:authenticated" in excess_ids(f))
    assert origins("s3_nested_module_grants")[f"{f['rule']['id']} arn:aws:s3:::corp-screen-telemetry"] == \
        "module.platform.module.bucket.aws_s3_bucket_acl.this[0]"


def test_bucket_policy_unknown_after_apply_is_a_gap_not_private():
    """A new bucket's policy from a deferred combined document (source_policy_documents) is SB011, not private."""
    result = run("s3_module_policy_unknown")
    assert result.exit_code == 1
    gap = by_rule(result, "SB011")[0]["gap"]
    assert (gap["resource"], gap["read"], gap["error_code"]) == \
        ("arn:aws:s3:::corp-partner-exports", "policy", "UnknownAfterApply")
    assert 'module.s3_bucket["exports"].aws_s3_bucket_policy.this[0].policy' in gap["message"]


# -- provider v3 inline arguments ----------------------------------------------------------------------


def test_v3_inline_policy_on_the_bucket_is_read():
    """aws_s3_bucket's deprecated `policy` argument (provider v3) is the bucket policy, located at the bucket."""
    result = run("s3_v3_inline")
    share = [f for f in findings(result) if f["dataset"]["id"] == "arn:aws:s3:::corp-legacy-share"]
    assert any("aws:public" in excess_ids(f) for f in share), share
    assert origins("s3_v3_inline")[f"{share[0]['rule']['id']} arn:aws:s3:::corp-legacy-share"] == \
        "aws_s3_bucket.share"
    planned = planned_snapshot(load_plan(PLANS / "s3_v3_inline.json"))
    policy = resource(planned, "aws.s3.bucket", "arn:aws:s3:::corp-legacy-share").document("policy")["Policy"]
    assert json.loads(policy)["Statement"][0]["Sid"] == "PublicRead"


def test_v3_grant_blocks_become_the_bucket_acl():
    """aws_s3_bucket `grant` blocks (provider v3) are the ACL: the owner's FULL_CONTROL plus each grant."""
    planned = planned_snapshot(load_plan(PLANS / "s3_v3_inline.json"))
    grants = resource(planned, "aws.s3.bucket", "arn:aws:s3:::corp-legacy-share").document("acl")["Grants"]
    assert grants[1:] == [{"Grantee": {"Type": "Group", "URI": "http://acs.amazonaws.com/groups/global/AllUsers"},
                           "Permission": "READ"}]


def test_v3_canned_acl_on_the_bucket_is_public():
    """aws_s3_bucket `acl = "public-read"` (provider v3) with ACLs enabled lets anyone list the bucket."""
    result = run("s3_v3_inline")
    site = [f for f in findings(result) if f["dataset"]["id"] == "arn:aws:s3:::corp-legacy-site"]
    assert any("aws:public" in excess_ids(f) for f in site), site


# -- IAM ---------------------------------------------------------------------------------------------


def test_exclusive_policy_attachment_reaches_the_listed_user():
    """aws_iam_policy_attachment attaches the policy to its `users`: the analyst user can read the bucket.

    https://registry.terraform.io/providers/hashicorp/aws/latest/docs/resources/iam_policy_attachment
    """
    result = run("iam_attachments", "--baseline", str(BASELINE))
    assert result.exit_code == 1
    read = [f for f in findings(result) if f["level"] == "read" and not f.get("gap")]
    assert "arn:aws:iam::111122223333:user/analyst" in set().union(*map(excess_ids, read))


def test_exclusive_policy_attachment_detaches_unlisted_entities(tmp_path):
    """Entities that hold the policy but are not listed lose it (the attachment is exclusive across the account)."""
    base = json.loads(BASELINE.read_text())
    gaad = next(r for r in base["resources"] if r["type"] == "aws.account")["reads"]["authorization_details"]
    role = next(r for r in gaad["document"]["RoleDetailList"] if r["RoleName"] == "ml-training")
    role["AttachedManagedPolicies"] = [{"PolicyName": "telemetry-read",
                                        "PolicyArn": "arn:aws:iam::111122223333:policy/telemetry-read"}]
    path = tmp_path / "baseline.json"
    path.write_text(json.dumps(base))
    planned = planned_snapshot(load_plan(PLANS / "iam_attachments.json"), load_snapshot(path))
    roles = {r["RoleName"]: r for r in resource(planned, "aws.account", "111122223333")
             .document("authorization_details")["RoleDetailList"]}
    assert roles["ml-training"]["AttachedManagedPolicies"] == []
    assert [p["PolicyName"] for p in roles["legacy-reporting"]["AttachedManagedPolicies"]] == ["telemetry-read"]


def test_role_inline_policy_block_reaches_the_bucket_at_the_role_address():
    """aws_iam_role inline_policy blocks are the role's inline policies; the finding names aws_iam_role.reporting."""
    result = run("iam_attachments", "--baseline", str(BASELINE))
    read = next(f for f in findings(result) if f["level"] == "read" and
                "arn:aws:iam::111122223333:role/reporting" in excess_ids(f))
    assert origins("iam_attachments", "--baseline", str(BASELINE))[f"{read['rule']['id']} {LEGACY}"] in \
        ("aws_iam_role.reporting", "aws_iam_policy.telemetry_read")


def test_aws_managed_policy_not_in_the_plan_is_conditional_never_no_access():
    """A role attached to an AWS-managed policy whose document is not in the plan reaches the bucket conditionally."""
    result = run("iam_attachments", "--baseline", str(BASELINE))
    etl = [e for f in findings(result) for e in f["excess"]
           if e["principal"]["id"] == "arn:aws:iam::111122223333:role/service/etl"]
    assert etl and all(e["conditional"] for e in etl)


def test_managed_policy_arns_on_the_role_are_attachments():
    """aws_iam_role managed_policy_arns become the role's AttachedManagedPolicies."""
    planned = planned_snapshot(load_plan(PLANS / "iam_attachments.json"), load_snapshot(BASELINE))
    roles = {r["RoleName"]: r for r in resource(planned, "aws.account", "111122223333")
             .document("authorization_details")["RoleDetailList"]}
    assert roles["reporting"]["AttachedManagedPolicies"] == [
        {"PolicyName": "AmazonAthenaFullAccess", "PolicyArn": "arn:aws:iam::aws:policy/AmazonAthenaFullAccess"}]


# -- resources the importer does not model -------------------------------------------------------------


def test_access_point_is_a_coverage_gap_naming_its_address():
    """aws_s3_access_point and aws_s3control_access_point_policy are SB011 gaps named by address, never ignored."""
    result = run("unmodelled_access_point", "--baseline", str(BASELINE))
    assert result.exit_code == 1
    reads = {f["gap"]["read"]: f["gap"]["error_code"] for f in by_rule(result, "SB011")}
    assert reads == {"aws_s3_access_point.partner": "NotModelled",
                     "aws_s3control_access_point_policy.partner": "NotModelled"}


def test_unrelated_unknown_resource_is_ignored():
    """aws_s3_bucket_website_configuration does not change who reads data: no finding, listed as not modelled."""
    result = run("unmodelled_unrelated", "--baseline", str(BASELINE))
    assert result.exit_code == 0, result.stdout
    assert "aws_s3_bucket_website_configuration.docs" in result.stderr


# -- Google Cloud ------------------------------------------------------------------------------------


def test_all_users_member_of_a_for_each_module_is_public_at_its_key():
    """allUsers on a bucket of terraform-google-modules/cloud-storage is SB001 at the member's for_each address."""
    result = run("gcs_module_members")
    assert result.exit_code == 1
    assert origins("gcs_module_members")["SB001 gs://corp-raw-telemetry"] == \
        'module.gcs.google_storage_bucket_iam_member.members["raw roles/storage.objectViewer allUsers"]'


def test_conditional_member_is_conditional_with_its_expression():
    """An iam_member with a condition block is a conditional grant showing the condition's expression.

    https://cloud.google.com/storage/docs/access-control/iam#conditions
    """
    result = run("gcs_module_members")
    curated = [e for f in findings(result) if f["dataset"]["id"] == "gs://corp-curated-telemetry" for e in f["excess"]
               if e["principal"]["id"] == "allAuthenticatedUsers"]
    assert curated and all(e["conditional"] for e in curated)
    assert "2027-01-01" in json.dumps(curated)


def test_default_object_access_control_is_read():
    """google_storage_default_object_access_control allUsers READER: new objects readable by anyone (conditional)."""
    result = run("gcs_access_controls")
    assert result.exit_code == 1
    f = next(f for f in findings(result) if "allUsers" in excess_ids(f))
    assert origins("gcs_access_controls")[f"{f['rule']['id']} gs://corp-legacy-assets"] in (
        "google_storage_default_object_access_control.public_objects",
        "google_storage_bucket_access_control.public_rule")


def test_bucket_access_control_is_an_acl_entry():
    """google_storage_bucket_access_control adds its entity's role to the bucket ACL (metadata.acl)."""
    planned = planned_snapshot(load_plan(PLANS / "gcs_access_controls.json"))
    meta = resource(planned, "gcp.storage.bucket", "gs://corp-legacy-assets").document("metadata")
    assert meta["acl"] == [{"entity": "allUsers", "role": "READER"}]
    assert meta["defaultObjectAcl"] == [{"entity": "allUsers", "role": "READER"}]


def test_bigquery_domain_access_block_is_organisation_wide_at_the_dataset_address():
    """A dataset `access` block with domain = corp.example is SB003, named by the module's dataset address."""
    result = run("bigquery_access_blocks")
    sb003 = by_rule(result, "SB003")
    assert "domain:corp.example" in excess_ids(sb003[0])
    assert origins("bigquery_access_blocks")["SB003 bigquery://corp-analytics.telemetry"] == \
        "module.bigquery.google_bigquery_dataset.main"


def test_bigquery_authorized_view_block_is_kept():
    """An access block with a `view` is an authorized view entry, as BigQuery stores it."""
    planned = planned_snapshot(load_plan(PLANS / "bigquery_access_blocks.json"))
    access = resource(planned, "gcp.bigquery.dataset", "bigquery://corp-analytics.telemetry").document(
        "metadata")["access"]
    assert {"view": {"projectId": "corp-analytics", "datasetId": "reporting", "tableId": "daily_summary"}} in access


def test_folder_iam_reaches_a_bucket_of_a_project_placed_in_that_folder():
    """google_folder_iam_member is inherited by buckets of a project whose folder_id is that folder.

    https://cloud.google.com/iam/docs/resource-hierarchy-access-control
    """
    result = run("folder_org_iam_placed")
    assert result.exit_code == 1
    assert "domain:corp.example" in excess_ids(by_rule(result, "SB003")[0])
    assert origins("folder_org_iam_placed")["SB003 gs://corp-hr-exports"] == "google_folder_iam_member.storage_readers"


def test_organisation_iam_with_a_known_chain_is_not_a_gap():
    """The folder's parent (data.google_folder) completes the chain: the organisation member is judged, not a gap."""
    result = run("folder_org_iam_placed")
    assert by_rule(result, "SB011") == []


def test_folder_iam_without_the_projects_placement_is_a_gap():
    """Folder IAM when neither plan nor baseline says where the project sits: SB011 named by the member's address."""
    result = run("folder_org_iam_unplaced")
    assert result.exit_code == 1
    gap = by_rule(result, "SB011")[0]["gap"]
    assert (gap["read"], gap["error_code"]) == ("google_folder_iam_member.storage_readers", "UnknownAncestry")


def test_project_basic_viewer_lands_in_the_project_policy():
    """google_project_iam_member roles/viewer is a project binding (members reach buckets as projectViewer:)."""
    planned = planned_snapshot(load_plan(PLANS / "project_basic_viewer.json"))
    bindings = resource(planned, "gcp.project", "projects/corp-analytics").document("iam_policy")["bindings"]
    assert {"role": "roles/viewer", "members": ["group:contractors@corp.example"]} in bindings


def test_every_real_plan_imports_without_error():
    """Each community-module plan builds a planned state whose reads all have an outcome (no crash)."""
    for name in ("s3_module_public_acl", "s3_nested_module_grants", "s3_module_policy_unknown", "s3_v3_inline",
                 "iam_attachments", "unmodelled_access_point", "gcs_module_members", "gcs_access_controls",
                 "bigquery_access_blocks", "folder_org_iam_placed", "folder_org_iam_unplaced"):
        planned = planned_snapshot(load_plan(PLANS / f"{name}.json"))
        assert all(isinstance(read.outcome, ReadOutcome) for r in planned.snapshot.resources
                   for read in r.reads.values()), name


def test_finding_points_at_the_tf_file_and_line(monkeypatch):
    """With --config-dir, the SARIF physical location is the `resource` block's .tf file and line."""
    monkeypatch.chdir(HERE.parents[1])
    result = CliRunner().invoke(cli, ["gate", str(PLANS / "s3_v3_inline.json"), "--rules", str(RULES),
                                      "--format", "sarif", "--config-dir", str(HERE / "tf_v3")])
    site = next(r for r in json.loads(result.stdout)["runs"][0]["results"]
                if r["locations"][0]["logicalLocations"][0]["fullyQualifiedName"] == "aws_s3_bucket.site")
    physical = site["locations"][0]["physicalLocation"]
    assert (physical["artifactLocation"]["uri"], physical["region"]["startLine"]) == ("tests/gate/tf_v3/main.tf", 47)


def test_plan_iam_over_a_baseline_whose_iam_was_denied_keeps_the_gap(tmp_path):
    """A baseline that could not read the account's IAM (AccessDenied) stays a coverage gap when a plan edits IAM:
    the plan's entities are applied to an empty document, which is not the account's IAM (fail closed)."""
    base = json.loads(BASELINE.read_text())
    account = next(r for r in base["resources"] if r["type"] == "aws.account")
    account["reads"]["authorization_details"] = {
        "outcome": "denied", "api": "iam:GetAccountAuthorizationDetails", "error_code": "AccessDenied",
        "message": "not authorized",
    }  # fmt: skip
    path = tmp_path / "baseline.json"
    path.write_text(json.dumps(base))

    planned = planned_snapshot(load_plan(PLANS / "iam_attachments.json"), load_snapshot(path))
    res = resource(planned, "aws.account", "111122223333")
    assert res.read("authorization_details").ok  # the plan's own entities are evaluated
    kept = res.read("authorization_details (baseline)")
    assert (kept.outcome.value, kept.error_code) == ("denied", "AccessDenied")

    result = run("iam_attachments", "--baseline", str(path))
    gaps = [f for f in findings(result) if f.get("gap") and f["gap"]["read"] == "authorization_details (baseline)"]
    assert LEGACY in {f["dataset"]["id"] for f in gaps}
