"""What the plan holds is read: Glue and Lake Formation judged, object ACLs alike, other policy carriers listed."""

from __future__ import annotations

import json
from pathlib import Path

from .test_gate_unknowns import ACCOUNT, BPA_OFF, aws_plan, by_rule, run
from .tfplan import UNKNOWN

CATALOG_POLICY = json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "glue:*",
     "Resource": f"arn:aws:glue:eu-west-1:{ACCOUNT}:*"}]})
NO_BLOCKS = {"database": [], "data_location": [], "table_with_columns": [], "lf_tag_policy": []}


def test_glue_resource_policy_open_to_everyone_fails(tmp_path):
    """A catalog policy allowing "*" opens the catalog's tables to any AWS principal (SB002 on their listing)."""
    result, findings = run(tmp_path, aws_plan().add("aws_glue_resource_policy.open",
                                                    {"policy": CATALOG_POLICY, "id": UNKNOWN}))
    table = f"arn:aws:glue:eu-west-1:{ACCOUNT}:table/terraform-unknown-database/terraform-unknown-table"
    assert [(f["dataset"]["id"], f["level"]) for f in by_rule(findings, "SB002")] == [(table, "list")]
    assert result.exit_code == 1


def test_glue_catalog_without_baseline_says_its_tables_are_a_placeholder(tmp_path):
    """Without a baseline the catalog's other tables are one placeholder table, and stderr says so."""
    result, _ = run(tmp_path, aws_plan().add("aws_glue_resource_policy.open", {"policy": CATALOG_POLICY}))
    assert "the tables outside this plan are judged as one table" in result.stderr


def test_glue_catalog_table_of_the_plan_is_a_dataset(tmp_path):
    """aws_glue_catalog_table becomes a dataset the catalog policy is judged on."""
    plan = (aws_plan()
            .add("aws_glue_catalog_table.events", {"database_name": "sales", "name": "events",
                                                   "storage_descriptor": [{"location": "s3://corp-lake/events/"}]})
            .add("aws_glue_resource_policy.open", {"policy": CATALOG_POLICY}))
    _, findings = run(tmp_path, plan)
    assert f"arn:aws:glue:eu-west-1:{ACCOUNT}:table/sales/events" in {f["dataset"]["id"] for f in
                                                                       by_rule(findings, "SB002")}


def test_lake_formation_grant_to_another_account_fails_high(tmp_path):
    """SELECT granted to another account on a table is SB004 (other account) and fails --fail-on high."""
    plan = (aws_plan()
            .add("aws_glue_catalog_table.events", {"database_name": "sales", "name": "events",
                                                   "storage_descriptor": [{"location": "s3://corp-lake/events/"}]})
            .add("aws_lakeformation_permissions.share", {
                "principal": "444455556666", "permissions": ["SELECT"], "permissions_with_grant_option": [],
                "table": [{"database_name": "sales", "name": "events", "catalog_id": ACCOUNT, "wildcard": False}],
                **NO_BLOCKS}))
    result, findings = run(tmp_path, plan, "--fail-on", "high")
    sb004 = by_rule(findings, "SB004")
    assert [(f["dataset"]["id"], [e["principal"]["id"] for e in f["excess"]]) for f in sb004] == \
        [(f"arn:aws:glue:eu-west-1:{ACCOUNT}:table/sales/events", ["arn:aws:iam::444455556666:root"])]
    assert result.exit_code == 1


def test_lake_formation_grant_names_its_table_into_the_catalog(tmp_path):
    """A grant on a table the plan does not create still puts that table in the catalog, so it is judged."""
    plan = aws_plan().add("aws_lakeformation_permissions.share", {
        "principal": "444455556666", "permissions": ["SELECT"], "permissions_with_grant_option": [],
        "table": [{"database_name": "sales", "name": "orders", "catalog_id": ACCOUNT, "wildcard": False}],
        **NO_BLOCKS})
    _, findings = run(tmp_path, plan)
    assert [f["dataset"]["id"] for f in by_rule(findings, "SB004")] == \
        [f"arn:aws:glue:eu-west-1:{ACCOUNT}:table/sales/orders"]


def _acls_on(type_: str, *, ownership: str | None = "ObjectWriter", **obj: object):
    """A new bucket (ACLs enabled unless ``ownership`` is None, bucket BPA off) and one object of ``type_``."""
    plan = aws_plan().add("aws_s3_bucket.data", {"bucket": "corp-data", "id": UNKNOWN}, constants=("bucket",))
    if ownership is not None:
        plan.add(
            "aws_s3_bucket_ownership_controls.data", {"bucket": "corp-data", "rule": [{"object_ownership": ownership}]}
        )
        plan.add("aws_s3_bucket_public_access_block.data", {"bucket": "corp-data", **BPA_OFF})
    return plan.add(
        f"{type_}.report",
        {"bucket": "corp-data", "key": "r.csv", **obj},
        constants=("bucket", "key", *[k for k, v in obj.items() if v is not UNKNOWN]),
    )


def _public(findings: list[dict]) -> list[tuple[str, str, str]]:
    return [(f["dataset"]["id"], f["level"], f["severity"]) for f in by_rule(findings, "SB001")]


def test_public_object_acl_is_judged_like_a_scanned_one(tmp_path):
    """acl = "public-read" on an object, ACLs in force: the data is public (SB001, critical), naming the object.

    A public object ACL makes that object public whatever the bucket ACL says
    (https://docs.aws.amazon.com/AmazonS3/latest/userguide/acl-overview.html#canned-acl).
    """
    result, findings = run(tmp_path, _acls_on("aws_s3_object", acl="public-read"), "--fail-on", "high")
    assert _public(findings) == [("arn:aws:s3:::corp-data", "read", "critical")]
    evidence = [
        e for f in by_rule(findings, "SB001") for x in f["excess"] for hop in x["path"] for e in hop["evidence"]
    ]
    assert [(e["location"], e["excerpt"]["Keys"]) for e in evidence] == [("object_acls.Acls[0].Grants[1]", ["r.csv"])]
    assert by_rule(findings, "SB011") == []
    assert result.exit_code == 1


def test_deprecated_bucket_object_is_judged_as_s3_object(tmp_path):
    """aws_s3_bucket_object (the provider's deprecated name) gives the same finding as aws_s3_object."""
    old, new = tmp_path / "old", tmp_path / "new"
    old.mkdir()
    new.mkdir()
    _, deprecated = run(old, _acls_on("aws_s3_bucket_object", acl="public-read"))
    _, current = run(new, _acls_on("aws_s3_object", acl="public-read"))
    assert _public(deprecated) == _public(current) == [("arn:aws:s3:::corp-data", "read", "critical")]


def test_object_acl_on_a_bucket_owner_enforced_bucket_opens_nothing(tmp_path):
    """A new bucket's default Object Ownership is BucketOwnerEnforced: ACLs are disabled, the object stays private
    (https://docs.aws.amazon.com/AmazonS3/latest/userguide/about-object-ownership.html)."""
    _, findings = run(tmp_path, _acls_on("aws_s3_object", ownership=None, acl="public-read"))
    assert _public(findings) == []
    assert by_rule(findings, "SB011") == []


def test_copied_object_grant_to_authenticated_users_is_judged(tmp_path):
    """aws_s3_object_copy's grant block to AuthenticatedUsers opens the data to any AWS account (SB002)."""
    grant = [
        {
            "type": "Group",
            "uri": "http://acs.amazonaws.com/groups/global/AuthenticatedUsers",
            "id": "",
            "email": "",
            "permissions": ["READ"],
        }
    ]
    _, findings = run(tmp_path, _acls_on("aws_s3_object_copy", grant=grant, source="src/r.csv"))
    assert [(f["dataset"]["id"], f["level"]) for f in by_rule(findings, "SB002")] == [
        ("arn:aws:s3:::corp-data", "read")
    ]


def test_object_acl_known_after_apply_is_a_gap(tmp_path):
    """An acl known only after apply is a coverage gap on the bucket, never "private"."""
    _, findings = run(tmp_path, _acls_on("aws_s3_object", acl=UNKNOWN))
    assert [(g["gap"]["read"], g["gap"]["error_code"]) for g in by_rule(findings, "SB011")] == [
        ("object_acls", "UnknownAfterApply")
    ]


def test_private_object_acl_is_not_a_gap(tmp_path):
    """An object uploaded with acl = "private" does not open the bucket: no gap, no finding."""
    _, findings = run(tmp_path, _acls_on("aws_s3_object", acl="private"))
    assert by_rule(findings, "SB011") == []
    assert _public(findings) == []


def test_opensearch_domain_policy_is_listed_as_not_judged(tmp_path):
    """A search domain policy is listed once as "not judged", with its address, in stderr and the JSON."""
    plan = aws_plan().add("aws_opensearch_domain_policy.logs", {"domain_name": "logs", "access_policies": "{}"})
    result, _ = run(tmp_path, plan)
    gate = json.loads(result.stdout)["gate"]
    assert gate["not_judged"] == [{"address": "aws_opensearch_domain_policy.logs",
                                   "type": "aws_opensearch_domain_policy"}]
    assert result.stderr.count("aws_opensearch_domain_policy.logs (aws_opensearch_domain_policy)") == 1


def test_kms_grant_is_a_gap_and_listed_as_not_judged(tmp_path):
    """aws_kms_grant stays a gap (it can open data) and is listed as not judged."""
    plan = (aws_plan()
            .add("aws_s3_bucket.data", {"bucket": "corp-data", "id": UNKNOWN}, constants=("bucket",))
            .add("aws_kms_grant.share", {"key_id": "k", "grantee_principal": "arn:aws:iam::444455556666:root",
                                         "operations": ["Decrypt"]}))
    result, findings = run(tmp_path, plan)
    assert [g["gap"]["read"] for g in by_rule(findings, "SB011")] == ["aws_kms_grant.share"]
    assert json.loads(result.stdout)["gate"]["not_judged"] == [{"address": "aws_kms_grant.share",
                                                               "type": "aws_kms_grant"}]


def test_lake_formation_finding_points_at_its_grant(gate):
    """The cross-account Lake Formation finding names the aws_lakeformation_permissions resource that grants it."""
    result = gate("glue_lakeformation", "--format", "json")
    sb004 = by_rule(json.loads(result.stdout)["findings"], "SB004")
    assert [(f["dataset"]["id"], f["terraform"]["address"]) for f in sb004] == \
        [(f"arn:aws:glue:eu-west-1:{ACCOUNT}:table/sales/events", "aws_lakeformation_permissions.share")]


def test_glue_catalog_policy_finding_points_at_the_policy(gate):
    """The catalog policy's finding on a table names the aws_glue_resource_policy resource."""
    result = gate("glue_lakeformation", "--format", "json")
    sb002 = by_rule(json.loads(result.stdout)["findings"], "SB002")
    assert {f["terraform"]["address"] for f in sb002} == {"aws_glue_resource_policy.open"}


def _baseline_with_public_object(tmp_path) -> str:
    """tests/gate/baseline.json: corp-legacy-exports with ACLs in force (IgnorePublicAcls off), public old.csv."""
    data = json.loads((Path(__file__).parent / "baseline.json").read_text())
    for resource in data["resources"]:
        if resource["id"] == "arn:aws:s3:::corp-legacy-exports":
            reads = resource["reads"]
            reads["ownership_controls"]["document"] = {"OwnershipControls": {"Rules": [
                {"ObjectOwnership": "ObjectWriter"}]}}
            reads["public_access_block"]["document"] = {"PublicAccessBlockConfiguration": {
                "BlockPublicAcls": False, "IgnorePublicAcls": False, "BlockPublicPolicy": True,
                "RestrictPublicBuckets": True}}
            owner = reads["acl"]["document"]["Owner"]
            reads["object_acls"] = {"outcome": "ok", "api": "s3:GetObjectAcl", "document": {
                "Listed": 1, "ListingComplete": True, "Chosen": 1, "Failures": [], "Acls": [{
                    "Owner": owner, "Keys": ["old.csv"], "Grants": [
                        {"Grantee": {"Type": "Group", "URI": "http://acs.amazonaws.com/groups/global/AllUsers"},
                         "Permission": "READ"}]}]}}
    path = tmp_path / "baseline.json"
    path.write_text(json.dumps(data))
    return str(path)


def _object_acl_evidence(findings: list[dict]) -> list[str]:
    return [e["excerpt"]["Keys"][0] for f in findings for x in f["excess"] for hop in x["path"]
            for e in hop["evidence"] if e["location"].startswith("object_acls.")]


def test_deleting_a_public_object_takes_its_acl_away(tmp_path):
    """A baseline's public object is judged (--all); the plan deleting that aws_s3_object removes its grant."""
    baseline = _baseline_with_public_object(tmp_path)
    obj = {"bucket": "corp-legacy-exports", "key": "old.csv", "acl": "public-read"}
    keep, drop = tmp_path / "keep", tmp_path / "drop"
    keep.mkdir()
    drop.mkdir()
    _, before = run(keep, aws_plan().add("aws_s3_object.old", obj, actions=("no-op",)), "--baseline", baseline,
                    "--all")
    plan = aws_plan().add("aws_s3_object.old", obj, actions=("delete",))
    change = plan.changes[-1]["change"]
    change["before"], change["after"], change["after_unknown"] = change["after"], None, {}
    plan.planned[""] = [r for r in plan.planned[""] if r["address"] != "aws_s3_object.old"]
    _, after = run(drop, plan, "--baseline", baseline, "--all")
    assert _object_acl_evidence(before) and set(_object_acl_evidence(before)) == {"old.csv"}
    assert _object_acl_evidence(after) == []
