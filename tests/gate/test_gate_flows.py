"""The gate judges flow resources (issue 20, docs/flows.md): a replica's readers read the source.

Attributes per the AWS provider: aws_s3_bucket_replication_configuration, aws_s3_bucket_logging
(https://registry.terraform.io/providers/hashicorp/aws/latest/docs).
"""

from __future__ import annotations

import json

from click.testing import CliRunner

from seenby.cli import cli

from .conftest import RULES
from .tfplan import TfPlan

ACCOUNT = "111122223333"
SOURCE = "corp-keystroke-telemetry"  # declared for the telemetry readers (tests/gate/rules.yaml)
REPLICA = "corp-keystroke-replica"
BPA_OFF = {"block_public_acls": False, "block_public_policy": False, "ignore_public_acls": False,
           "restrict_public_buckets": False}
PUBLIC_READ = json.dumps({"Version": "2012-10-17", "Statement": [
    {"Sid": "Public", "Effect": "Allow", "Principal": "*", "Action": "s3:GetObject",
     "Resource": f"arn:aws:s3:::{REPLICA}/*"}]})  # fmt: skip


def _plan(destination: str) -> TfPlan:
    return (TfPlan().provider("aws", region="eu-west-1")
            .read_data("data.aws_caller_identity.current",
                       {"account_id": ACCOUNT, "arn": f"arn:aws:iam::{ACCOUNT}:user/ci"})
            .add("aws_s3_bucket.source", {"bucket": SOURCE}, constants=("bucket",))
            .add("aws_s3_bucket.replica", {"bucket": REPLICA}, constants=("bucket",))
            .add("aws_s3_bucket_public_access_block.replica", {"bucket": REPLICA, **BPA_OFF})
            .add("aws_s3_bucket_policy.replica", {"bucket": REPLICA, "policy": PUBLIC_READ})
            .add("aws_s3_bucket_replication_configuration.source", {
                "bucket": SOURCE, "role": f"arn:aws:iam::{ACCOUNT}:role/replication",
                "rule": [{"id": "all", "status": "Enabled", "filter": [{"prefix": ""}],
                          "destination": [{"bucket": f"arn:aws:s3:::{destination}"}]}]}))  # fmt: skip


def _gate(tmp_path, plan: TfPlan, fmt: str = "json"):
    path = plan.write(tmp_path / "plan.json")
    return CliRunner().invoke(cli, ["gate", path, "--rules", str(RULES), "--format", fmt])


def test_replication_into_a_public_bucket_fails_on_the_source(tmp_path):
    """A planned replication of the telemetry bucket into a public bucket fails with SB001 on the source."""
    result = _gate(tmp_path, _plan(REPLICA))

    assert result.exit_code == 1, result.output
    on_source = [f for f in json.loads(result.stdout)["findings"]
                 if f["rule"]["id"] == "SB001" and f["dataset"]["id"] == f"arn:aws:s3:::{SOURCE}"]  # fmt: skip
    assert [s["via"] for s in on_source[0]["excess"][0]["path"][:-1]] == ["grant:read", "flows-to"]


def test_replication_finding_points_at_the_replication_resource(tmp_path):
    """The source's SB001 SARIF result is located at the aws_s3_bucket_replication_configuration that opens it."""
    result = _gate(tmp_path, _plan(REPLICA), "sarif")

    results = json.loads(result.stdout)["runs"][0]["results"]
    names = [r["locations"][0]["logicalLocations"][0]["fullyQualifiedName"] for r in results
             if r["ruleId"] == "SB001" and r["message"]["text"].startswith(f"{SOURCE} ")]  # fmt: skip
    assert names == ["aws_s3_bucket_replication_configuration.source"]


def test_replication_into_an_unknown_bucket_is_a_gap_on_the_source(tmp_path):
    """Replication into a bucket neither the plan nor the baseline holds is a coverage gap on the source."""
    result = _gate(tmp_path, _plan("somewhere-else"))

    gaps = [f for f in json.loads(result.stdout)["findings"] if f["rule"]["id"] == "SB011"]
    assert [(g["dataset"]["id"], g["gap"]["error_code"]) for g in gaps] == [
        (f"arn:aws:s3:::{SOURCE}", "DestinationNotScanned")
    ]
