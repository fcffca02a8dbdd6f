"""Terraform snippets of proven fixes where the plan lacks the resource a change needs: a new block on the
planned bucket (issue 19, item 2).  The fix is the real search's on the example organisation; the plan's
resources are given as the gate's index gives them (``Placement``).

https://registry.terraform.io/providers/hashicorp/aws/latest/docs/resources/s3_bucket_policy (``bucket``,
``policy``), https://registry.terraform.io/providers/hashicorp/aws/latest/docs/resources/s3_bucket_acl.
"""

from __future__ import annotations

import json

from seenby.fix import ChangeKind, Fix
from seenby.model import thaw_json
from seenby.reports.fix_commands import Placement, terraform_snippet

EXPORTS = "arn:aws:s3:::corp-analytics-exports"


def _acl_to_policy(example_run) -> Fix:
    fix = next(f for f in example_run.outcomes.values()
               if isinstance(f, Fix) and f.dataset == EXPORTS and f.changes[0].kind is ChangeKind.ACL_TO_POLICY)
    return fix


def test_acl_grant_to_policy_without_a_planned_policy_adds_a_new_policy_block(example_run):
    """The plan defines the bucket and its ACL but no aws_s3_bucket_policy: the snippet adds one, attached with
    ``bucket = aws_s3_bucket.exports.id``, says it is new, and its jsonencode is the policy the change leaves."""
    fix = _acl_to_policy(example_run)
    places = Placement(read=lambda resource, read: ("aws_s3_bucket.exports", "aws_s3_bucket")
                       if (resource, read) == (EXPORTS, None) else None,
                       member=lambda resource, role, member: None)

    snippet = terraform_snippet(fix, "aws_s3_bucket_acl.exports", "aws_s3_bucket_acl", places)

    acl, policy = snippet.split("\n\n")
    assert acl.startswith('resource "aws_s3_bucket_acl" "exports" {\n')
    assert policy.startswith("# a new aws_s3_bucket_policy for aws_s3_bucket.exports: the plan has none\n"
                             'resource "aws_s3_bucket_policy" "exports" {\n  bucket = aws_s3_bucket.exports.id\n')
    encoded = json.loads(policy.split("jsonencode(", 1)[1].rsplit(")", 1)[0])
    assert encoded == json.loads(thaw_json(fix.changes[1].document_after)["Policy"])


def test_without_the_bucket_in_the_plan_the_new_block_names_the_bucket(example_run):
    """Neither the policy nor the bucket is planned: the new block's ``bucket`` is the bucket's name."""
    fix = _acl_to_policy(example_run)
    places = Placement(read=lambda resource, read: None, member=lambda resource, role, member: None)

    snippet = terraform_snippet(fix, "aws_s3_bucket_acl.exports", "aws_s3_bucket_acl", places)

    assert ('resource "aws_s3_bucket_policy" "fix" {\n  bucket = "corp-analytics-exports"\n') in snippet
    assert "the plan has neither it nor the bucket" in snippet


def test_policy_variables_are_escaped_so_terraform_does_not_interpolate_them(example_run):
    """A policy holding ``${aws:username}`` is written ``$${aws:username}`` inside jsonencode (HCL escape
    sequences, https://developer.hashicorp.com/terraform/language/expressions/strings#escape-sequences)."""
    from dataclasses import replace

    from seenby.fix.changes import new_document_change
    from seenby.snapshot import load_snapshots

    from .conftest import SNAPSHOT

    bucket = next(r for r in load_snapshots([SNAPSHOT]).resources if r.id == EXPORTS)
    statement = {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::222233334444:root"}, "Action": "s3:GetObject",
                 "Resource": f"{EXPORTS}/home/${{aws:username}}/*"}
    change = new_document_change(kind=ChangeKind.ACL_TO_POLICY, resource=bucket, read="policy", summary="test",
                                 document={"Policy": json.dumps({"Version": "2012-10-17", "Statement": [statement]})},
                                 api="s3:GetBucketPolicy")
    fix = replace(_acl_to_policy(example_run), changes=(change,))

    snippet = terraform_snippet(fix, "aws_s3_bucket_policy.exports", "aws_s3_bucket_policy")

    assert '"Resource": "arn:aws:s3:::corp-analytics-exports/home/$${aws:username}/*"' in snippet
    assert "/${aws" not in snippet
