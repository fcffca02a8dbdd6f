"""What the plan holds is read: Glue and Lake Formation judged, object ACLs alike, other policy carriers listed."""

from __future__ import annotations

import json

from .test_gate_unknowns import ACCOUNT, aws_plan, by_rule, run
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


def test_deprecated_bucket_object_with_public_acl_is_a_gap_like_s3_object(tmp_path):
    """aws_s3_bucket_object (deprecated name) with acl public-read is a gap on its bucket, as aws_s3_object is."""
    def plan(type_: str):
        return (aws_plan()
                .add("aws_s3_bucket.data", {"bucket": "corp-data", "id": UNKNOWN}, constants=("bucket",))
                .add(f"{type_}.report", {"bucket": "corp-data", "key": "r.csv", "acl": "public-read"},
                     constants=("bucket", "key", "acl")))
    old = tmp_path / "old"
    new = tmp_path / "new"
    old.mkdir()
    new.mkdir()
    _, deprecated = run(old, plan("aws_s3_bucket_object"))
    _, current = run(new, plan("aws_s3_object"))
    assert [(g["gap"]["read"], g["gap"]["error_code"]) for g in by_rule(deprecated, "SB011")] == \
        [("aws_s3_bucket_object.report", "NotModelled")]
    assert [g["gap"]["error_code"] for g in by_rule(current, "SB011")] == ["NotModelled"]


def test_private_object_acl_is_not_a_gap(tmp_path):
    """An object uploaded with acl = "private" does not open the bucket: no gap."""
    plan = (aws_plan()
            .add("aws_s3_bucket.data", {"bucket": "corp-data", "id": UNKNOWN}, constants=("bucket",))
            .add("aws_s3_object.report", {"bucket": "corp-data", "key": "r.csv", "acl": "private"},
                 constants=("bucket", "key", "acl")))
    _, findings = run(tmp_path, plan)
    assert by_rule(findings, "SB011") == []


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
