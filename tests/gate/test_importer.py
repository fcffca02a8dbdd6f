"""The plan importer: the planned state in the snapshot's document shapes, over a baseline."""

from __future__ import annotations

import json

import pytest

from seenby.importers.terraform import load_plan, planned_snapshot
from seenby.model import ReadOutcome
from seenby.snapshot import load_snapshot, parse_snapshot

from .conftest import BASELINE, PLANS

TELEMETRY = "arn:aws:s3:::corp-keystroke-telemetry"


def resource(planned, type_, id_):
    return next(r for r in planned.snapshot.resources if r.type == type_ and r.id == id_)


def test_planned_snapshot_validates_against_the_snapshot_schema():
    """The planned state is a valid snapshot v1 document (docs/snapshot.md)."""
    planned = planned_snapshot(load_plan(PLANS / "unknown_principal.json"))
    parse_snapshot(planned.snapshot.to_json(), source="planned")


def test_new_bucket_gets_the_documented_aws_defaults():
    """A bucket the plan creates has AWS's new-bucket defaults: BPA on, ACLs disabled.

    https://docs.aws.amazon.com/AmazonS3/latest/userguide/create-bucket-overview.html
    """
    bucket = resource(planned_snapshot(load_plan(PLANS / "org_wide_bucket.json")), "aws.s3.bucket", TELEMETRY)
    assert bucket.document("public_access_block") == {"PublicAccessBlockConfiguration": {
        "BlockPublicAcls": True, "IgnorePublicAcls": True, "BlockPublicPolicy": True, "RestrictPublicBuckets": True}}
    assert bucket.document("ownership_controls")["OwnershipControls"]["Rules"] == [
        {"ObjectOwnership": "BucketOwnerEnforced"}]


def test_deferred_policy_document_is_rendered_with_the_resolved_role_arn():
    """A deferred aws_iam_policy_document is rendered, the role's ARN formed from its planned name and account."""
    bucket = resource(planned_snapshot(load_plan(PLANS / "unknown_principal_resolvable.json")),
                      "aws.s3.bucket", TELEMETRY)
    policy = json.loads(bucket.document("policy")["Policy"])
    assert policy["Statement"][0]["Principal"] == {"AWS": "arn:aws:iam::111122223333:role/ml-training"}


def test_unresolvable_principal_is_an_unknown_after_apply_read():
    """A role named with name_prefix cannot be resolved: the bucket policy read is error/UnknownAfterApply."""
    bucket = resource(planned_snapshot(load_plan(PLANS / "unknown_principal.json")), "aws.s3.bucket", TELEMETRY)
    read = bucket.read("policy")
    assert (read.outcome, read.error_code) == (ReadOutcome.ERROR, "UnknownAfterApply")


def test_planned_role_lands_in_the_account_authorization_details():
    """aws_iam_role becomes a GAAD RoleDetailList entry with its trust policy."""
    planned = planned_snapshot(load_plan(PLANS / "unknown_principal_resolvable.json"))
    gaad = resource(planned, "aws.account", "111122223333").document("authorization_details")
    role = next(r for r in gaad["RoleDetailList"] if r["RoleName"] == "ml-training")
    assert role["AssumeRolePolicyDocument"]["Statement"][0]["Principal"] == {"Service": "sagemaker.amazonaws.com"}


def test_planned_roles_are_merged_into_the_baseline_gaad():
    """Over a baseline, the plan's role joins the baseline's roles instead of replacing them."""
    planned = planned_snapshot(load_plan(PLANS / "unknown_principal_resolvable.json"), load_snapshot(BASELINE))
    gaad = resource(planned, "aws.account", "111122223333").document("authorization_details")
    assert sorted(r["RoleName"] for r in gaad["RoleDetailList"]) == ["legacy-reporting", "ml-training"]


def test_deleted_bucket_policy_is_absent_in_the_planned_state():
    """Destroying aws_s3_bucket_policy leaves the baseline bucket with no policy (NoSuchBucketPolicy)."""
    planned = planned_snapshot(load_plan(PLANS / "remove_legacy_policy.json"), load_snapshot(BASELINE))
    read = resource(planned, "aws.s3.bucket", "arn:aws:s3:::corp-legacy-exports").read("policy")
    assert (read.outcome, read.error_code) == (ReadOutcome.ABSENT, "NoSuchBucketPolicy")


def test_untouched_baseline_resources_are_kept():
    """Resources the plan does not touch are carried over from the baseline unchanged."""
    baseline = load_snapshot(BASELINE)
    planned = planned_snapshot(load_plan(PLANS / "unrelated_change.json"), baseline)
    assert {(r.type, r.id): r.to_json() for r in planned.snapshot.resources} == \
        {(r.type, r.id): r.to_json() for r in baseline.resources}


def test_gcs_member_resources_become_bucket_bindings():
    """google_storage_bucket_iam_member resources are added to the bucket's allow policy."""
    planned = planned_snapshot(load_plan(PLANS / "gcs_all_users_enforced.json"))
    bindings = resource(planned, "gcp.storage.bucket", "gs://corp-web-assets").document("iam_policy")["bindings"]
    viewer = next(b for b in bindings if b["role"] == "roles/storage.objectViewer")
    assert sorted(viewer["members"]) == ["allUsers", "group:web-team@corp.example"]


@pytest.mark.parametrize("address", ["aws_s3_bucket_policy.telemetry", "aws_iam_role.reader"])
def test_every_unknown_read_names_the_address_it_came_from(address):
    """Each UnknownAfterApply read is indexed to the Terraform resource that holds the unknown value."""
    planned = planned_snapshot(load_plan(PLANS / "unknown_principal.json"))
    gaps = {origin.address for key, origin in planned.index.reads.items()
            if (r := next(x for x in planned.snapshot.resources if x.id == key[0]).read(key[1])) is not None
            and r.error_code == "UnknownAfterApply"}
    assert address in gaps


def test_dynamodb_resource_policy_joins_the_table_by_its_planned_arn():
    """A table's ARN known only after apply is formed from name, region and account; its resource policy joins it.

    https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/access-control-resource-based.html
    """
    planned = planned_snapshot(load_plan(PLANS / "dynamodb_table.json"))
    table = resource(planned, "aws.dynamodb.table", "arn:aws:dynamodb:eu-west-1:111122223333:table/keystroke-events")
    policy = json.loads(table.document("resource_policy")["Policy"])
    assert policy["Statement"][0]["Principal"] == {"AWS": "arn:aws:iam::111122223333:role/ml-training"}
