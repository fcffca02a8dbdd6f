"""Scanned live from moto: who reads through a grant narrowed to the owner account, and through a role the whole
organisation is trusted to assume, as `who-can-read` and `why` answer them (issue 22 items 4 and 5).

RPB = https://docs.aws.amazon.com/AmazonS3/latest/userguide/access-control-block-public-access.html
  (RestrictPublicBuckets: "only AWS service principals and authorized users within the bucket owner's account");
ROLES = https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_terms-and-concepts.html
  (a role session is a principal of the role's account);
CROSS = https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic-cross-account.html
  (a caller of another account needs its own identity policy to allow sts:AssumeRole);
ORGID = https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-principalorgid
"""

from __future__ import annotations

import json
import urllib.request
from typing import Any

import boto3
import pytest

from seenby.explain import explain
from seenby.graph.build import build_graph
from seenby.policies import evaluate
from seenby.queries import who_can_read
from seenby.scanners.aws import scan_aws
from tests.scanners.helpers import ACCESS_KEY, REGION, SECRET_KEY, scan_config
from tests.scanners.seeds import member_client, seed_org


def _policy(*statements: dict[str, Any]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def _user(iam: Any, name: str, *allowed_roles: str) -> None:
    iam.create_user(UserName=name)
    for i, role in enumerate(allowed_roles):
        allow = {"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": role}
        iam.put_user_policy(UserName=name, PolicyName=f"assume{i}", PolicyDocument=_policy(allow))


def _seed(session: Any, endpoint: str, client: Any) -> dict[str, str]:
    seeded = seed_org(session, endpoint, client)
    data, analytics = seeded["data"], seeded["analytics"]
    ops, reader = f"arn:aws:iam::{data}:role/ops", f"arn:aws:iam::{data}:role/reader"
    s3 = member_client(session, endpoint, data, "s3")
    # a public bucket policy, narrowed to the owner account by the bucket's RestrictPublicBuckets
    objects = "arn:aws:s3:::corp-data-lake/*"
    public = {"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": objects}
    s3.put_bucket_policy(Bucket="corp-data-lake", Policy=_policy(public))
    s3.put_public_access_block(Bucket="corp-data-lake", PublicAccessBlockConfiguration={
        "BlockPublicAcls": False, "IgnorePublicAcls": False, "BlockPublicPolicy": False,
        "RestrictPublicBuckets": True})  # fmt: skip
    s3.create_bucket(Bucket="corp-screens")
    iam = member_client(session, endpoint, data, "iam")
    # ops: no S3 permission of its own, trusted by the analytics account
    analytics_root = {"AWS": f"arn:aws:iam::{analytics}:root"}
    by_analytics = {"Effect": "Allow", "Principal": analytics_root, "Action": "sts:AssumeRole"}
    iam.create_role(RoleName="ops", AssumeRolePolicyDocument=_policy(by_analytics))
    # reader: reads corp-screens, trusted by "*" narrowed to the organisation
    iam.create_role(RoleName="reader", AssumeRolePolicyDocument=_policy(
        {"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole",
         "Condition": {"StringEquals": {"aws:PrincipalOrgID": seeded["org"]}}}))  # fmt: skip
    iam.put_role_policy(RoleName="reader", PolicyName="read", PolicyDocument=_policy(
        {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::corp-screens/*"}))  # fmt: skip
    other = member_client(session, endpoint, analytics, "iam")
    _user(other, "mallory", ops)
    _user(other, "carol", reader)
    _user(other, "dave")
    return {**seeded, "mallory": f"arn:aws:iam::{analytics}:user/mallory",
            "carol": f"arn:aws:iam::{analytics}:user/carol", "dave": f"arn:aws:iam::{analytics}:user/dave",
            "ops": ops}  # fmt: skip


@pytest.fixture(scope="module")
def scanned(moto_server: str) -> tuple[dict[str, str], Any, Any, Any]:
    """The organisation seeded once, scanned in organisation mode: (ids, snapshot, evaluation, graph)."""
    with urllib.request.urlopen(urllib.request.Request(f"{moto_server}/moto-api/reset", method="POST"), timeout=10):
        pass
    session = boto3.Session(aws_access_key_id=ACCESS_KEY, aws_secret_access_key=SECRET_KEY, region_name=REGION)
    seeded = _seed(session, moto_server, lambda s: session.client(s, endpoint_url=moto_server, region_name=REGION))
    snapshot = scan_aws(scan_config(session, moto_server, org_mode=True))
    evaluation = evaluate(snapshot)
    return seeded, snapshot, evaluation, build_graph(evaluation)


def _readers(scanned: Any, bucket: str, *users: str) -> tuple[set[str], dict[str, bool]]:
    """Who `who-can-read` lists for ``bucket``, and `why`'s answer for each of ``users``."""
    seeded, snapshot, evaluation, rg = scanned
    listed = {m.principal.id for m in who_can_read(rg, bucket).members}
    return listed, {u: explain(snapshot, evaluation, rg, seeded[u], bucket).answer.allows for u in users}


def test_other_account_reads_through_an_owner_role_when_rpb_narrows_a_public_policy(scanned):
    """RestrictPublicBuckets leaves the public policy to the owner account's principals (RPB); role ops is one
    (ROLES), so mallory, whom analytics lets assume it, reads; dave, without sts:AssumeRole, does not (CROSS)."""
    seeded = scanned[0]

    listed, answers = _readers(scanned, "arn:aws:s3:::corp-data-lake", "mallory", "dave")

    assert {seeded["ops"], seeded["mallory"], f"arn:aws:iam::{seeded['data']}:root"} <= listed
    assert "aws:public" not in listed and seeded["dave"] not in listed
    assert answers == {"mallory": True, "dave": False}


def test_org_trust_resolves_to_the_members_that_can_assume(scanned):
    """A trust of "*" narrowed by aws:PrincipalOrgID (ORGID) lets in the members allowed sts:AssumeRole by their
    own IAM (CROSS): carol reads corp-screens, dave does not, and the organisation's class is not listed."""
    seeded = scanned[0]

    listed, answers = _readers(scanned, "arn:aws:s3:::corp-screens", "carol", "dave")

    assert seeded["carol"] in listed and seeded["dave"] not in listed
    assert f"aws-org:{seeded['org']}" not in listed
    assert answers == {"carol": True, "dave": False}
