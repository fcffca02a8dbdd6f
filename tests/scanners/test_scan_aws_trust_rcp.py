"""Scanned live from moto: an RCP of the organisation caps who can assume a member account's role.

RCPS = https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_rcps.html
  (AWS STS is among the services RCPs apply to; the RCPs of the role's account apply to sts:AssumeRole on it);
PERIMETER = https://docs.aws.amazon.com/kms/latest/developerguide/resource-control-policies.html
  (the identity perimeter: Deny unless aws:PrincipalOrgID is the organisation's, AWS services exempt).
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

OUTSIDE = "999988887777"  # an account of no organisation the scan sees
BUCKET = "arn:aws:s3:::corp-data-lake"


def _policy(*statements: dict[str, Any]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


@pytest.fixture(scope="module")
def scanned(moto_server: str) -> tuple[dict[str, str], Any, Any, Any]:
    """Role ``partner`` of the data account reads corp-data-lake and trusts the analytics account and an outside
    one; the perimeter RCP is attached to the root.  Scanned in organisation mode: (ids, snapshot, evaluation,
    graph)."""
    with urllib.request.urlopen(urllib.request.Request(f"{moto_server}/moto-api/reset", method="POST"), timeout=10):
        pass
    session = boto3.Session(aws_access_key_id=ACCESS_KEY, aws_secret_access_key=SECRET_KEY, region_name=REGION)

    def client(service: str) -> Any:
        return session.client(service, endpoint_url=moto_server, region_name=REGION)

    seeded = seed_org(session, moto_server, client)
    data, analytics = seeded["data"], seeded["analytics"]
    trusted = {"AWS": [f"arn:aws:iam::{analytics}:root", f"arn:aws:iam::{OUTSIDE}:root"]}
    iam = member_client(session, moto_server, data, "iam")
    iam.create_role(RoleName="partner", AssumeRolePolicyDocument=_policy(
        {"Effect": "Allow", "Principal": trusted, "Action": "sts:AssumeRole"}))  # fmt: skip
    iam.put_role_policy(RoleName="partner", PolicyName="read", PolicyDocument=_policy(
        {"Effect": "Allow", "Action": "s3:GetObject", "Resource": f"{BUCKET}/*"}))  # fmt: skip
    # carol, of the analytics account, is allowed by her own IAM to assume it (the trust delegates to that account)
    analytics_iam = member_client(session, moto_server, analytics, "iam")
    analytics_iam.create_user(UserName="carol")
    analytics_iam.put_user_policy(UserName="carol", PolicyName="assume", PolicyDocument=_policy(
        {"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": f"arn:aws:iam::{data}:role/partner"}))  # fmt: skip
    perimeter = {"Effect": "Deny", "Principal": "*", "Action": "sts:AssumeRole", "Resource": "*",
                 "Condition": {"StringNotEqualsIfExists": {"aws:PrincipalOrgID": seeded["org"]},
                               "BoolIfExists": {"aws:PrincipalIsAWSService": "false"}}}  # fmt: skip
    orgs = client("organizations")
    rcp = orgs.create_policy(Name="identity-perimeter", Description="", Type="RESOURCE_CONTROL_POLICY",
                             Content=_policy(perimeter))["Policy"]["PolicySummary"]["Id"]  # fmt: skip
    orgs.attach_policy(PolicyId=rcp, TargetId=seeded["root"])
    snapshot = scan_aws(scan_config(session, moto_server, org_mode=True))
    evaluation = evaluate(snapshot)
    ids = {**seeded, "partner": f"arn:aws:iam::{data}:role/partner", "carol": f"arn:aws:iam::{analytics}:user/carol"}
    return ids, snapshot, evaluation, build_graph(evaluation)


def test_perimeter_rcp_removes_the_outside_account_but_keeps_the_member(scanned):
    """Through the role, carol of the analytics account (a member) reads corp-data-lake; the outside account, which
    the trust names but the perimeter RCP of the role's account denies, does not (RCPS, PERIMETER)."""
    ids, snapshot, evaluation, rg = scanned

    listed = {m.principal.id for m in who_can_read(rg, BUCKET).members}
    outside_why = explain(snapshot, evaluation, rg, f"arn:aws:iam::{OUTSIDE}:root", BUCKET).answer

    assert {ids["partner"], ids["carol"]} <= listed
    assert f"arn:aws:iam::{OUTSIDE}:root" not in listed
    assert not outside_why.allows
