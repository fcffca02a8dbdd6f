"""S3 access points: both the access point and the underlying bucket must permit a request.

Source: https://docs.aws.amazon.com/AmazonS3/latest/userguide/access-points-policies.html
(delegating access control to access points with s3:DataAccessPointAccount; network origin VPC).
"""

from __future__ import annotations

import json
from typing import Any

ACCT, OUTSIDE = "111122223333", "999988887777"
AP = f"arn:aws:s3:eu-west-1:{ACCT}:accesspoint/analytics"
PARTNER = f"arn:aws:iam::{OUTSIDE}:root"
PUBLIC = "aws:public"


def _ap_policy(aws: Any, principal: Any, **kw: Any) -> dict:
    return aws.policy(aws.stmt(principal=principal, resource=f"{AP}/object/*", sid="ApRead", **kw))


def _delegating(aws: Any) -> dict:
    """The documented bucket policy that delegates access control to the account's access points."""
    return aws.policy(aws.stmt(principal={"AWS": "*"}, action="*", resource=["arn:aws:s3:::b", "arn:aws:s3:::b/*"],
                               condition={"StringEquals": {"s3:DataAccessPointAccount": ACCT}},
                               sid="DelegateToAccessPoints"))  # fmt: skip


def _with_points(aws: Any, bucket: dict, *points: dict) -> dict:
    bucket["reads"]["access_points"] = aws.read("s3control:ListAccessPoints", {"AccessPointList": list(points)})
    return bucket


def _point(policy: dict | None, origin: str = "Internet") -> dict:
    point: dict[str, Any] = {
        "Name": "analytics", "NetworkOrigin": origin, "Bucket": "b", "AccessPointArn": AP, "BucketAccountId": ACCT,
        "PolicyStatus": {"IsPublic": False},
    }  # fmt: skip
    if origin == "VPC":
        point["VpcConfiguration"] = {"VpcId": "vpc-1a2b3c4d"}
    if policy is not None:
        point["Policy"] = json.dumps(policy)
    return point


def _audience(aws: Any, bucket_policy: Any, *points: dict) -> dict[str, str]:
    bucket = _with_points(aws, aws.bucket(policy=bucket_policy), *points)
    return aws.audience(aws.evaluate(*aws.base(bucket)))


def test_delegation_statement_alone_grants_nothing_directly(aws: Any) -> None:
    """A bucket policy delegating to access points opens nothing to direct requests (the key is absent)."""
    assert _audience(aws, _delegating(aws)) == {}


def test_access_point_policy_with_delegating_bucket_grants_through_the_point(aws: Any) -> None:
    """Access point policy allowing a partner account + delegating bucket policy: the partner reads."""
    assert _audience(aws, _delegating(aws), _point(_ap_policy(aws, {"AWS": OUTSIDE}))) == {PARTNER: "sure"}


def test_access_point_policy_without_bucket_permission_grants_nothing(aws: Any) -> None:
    """Without a bucket policy that allows it too, an access point policy alone grants nothing cross-account."""
    assert _audience(aws, "absent", _point(_ap_policy(aws, {"AWS": OUTSIDE}))) == {}


def test_public_access_point_policy_is_public_through_delegation(aws: Any) -> None:
    """A "*" access point policy on a delegating bucket lets anyone read through the point."""
    assert _audience(aws, _delegating(aws), _point(_ap_policy(aws, "*"))) == {PUBLIC: "sure"}


def test_vpc_access_point_grant_is_conditional_on_the_vpc(aws: Any) -> None:
    """An access point with network origin VPC only takes requests from its VPC: conditional on aws:SourceVpc."""
    assert _audience(aws, _delegating(aws), _point(_ap_policy(aws, "*"), origin="VPC")) == {PUBLIC: "conditional"}


def test_bucket_policy_deny_applies_through_the_point(aws: Any) -> None:
    """An explicit Deny in the bucket policy applies to requests through an access point as well."""
    policy = _delegating(aws)
    policy["Statement"].append(aws.stmt(effect="Deny", principal="*", resource="arn:aws:s3:::b/*"))
    assert _audience(aws, policy, _point(_ap_policy(aws, {"AWS": OUTSIDE}))) == {}


def test_bucket_policy_naming_the_access_point_arn_delegates_to_it(aws: Any) -> None:
    """A bucket statement pinned by s3:DataAccessPointArn opens the bucket to that access point's grants."""
    bucket_policy = aws.policy(aws.stmt(principal="*", condition={"StringEquals": {"s3:DataAccessPointArn": AP}}))
    assert _audience(aws, bucket_policy, _point(_ap_policy(aws, {"AWS": OUTSIDE}))) == {PARTNER: "sure"}


def test_grant_through_access_point_names_its_statement(aws: Any) -> None:
    """The grant's evidence names the access point policy statement."""
    bucket = _with_points(aws, aws.bucket(policy=_delegating(aws)), _point(_ap_policy(aws, {"AWS": OUTSIDE})))
    (grant,) = aws.grants_of(aws.evaluate(*aws.base(bucket)))
    assert any(e.source == AP and e.sid == "ApRead" for e in grant.evidence)


def test_denied_access_points_read_is_a_coverage_gap(aws: Any) -> None:
    """A denied ListAccessPoints is a coverage gap on the bucket, never "no access points"."""
    from seenby.policies import evaluate

    bucket = aws.bucket(policy=_delegating(aws))
    bucket["reads"]["access_points"] = aws.read("s3control:ListAccessPoints", aws.DENIED)
    ev = evaluate(aws.snapshot(*aws.base(bucket)))
    assert [(g.read, g.datasets) for g in ev.gaps] == [("access_points", ("arn:aws:s3:::b",))]


# Organisation policies cap a request through an access point as they cap a direct one: SCPs restrict what the
# caller's account may do (https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_scps.html),
# RCPs what may be done to the bucket account's resources
# (https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_rcps.html).
ROOT_OU = "r-ab12"
FULL = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
RCP_FULL = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "*",
                                                    "Resource": "*"}]}  # fmt: skip
DENY_GET = {"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Action": "s3:GetObject", "Resource": "*"}]}
ALICE = f"arn:aws:iam::{ACCT}:user/alice"


def _perimeter(aws: Any) -> dict:
    """The documented data-perimeter RCP: only principals of the organisation (and AWS services) reach its data."""
    return aws.policy(aws.stmt(effect="Deny", principal="*", action="s3:*", resource="*",
                               condition={"StringNotEqualsIfExists": {"aws:PrincipalOrgID": aws.ORG},
                                          "BoolIfExists": {"aws:PrincipalIsAWSService": "false"}}))  # fmt: skip


def test_rcp_of_the_bucket_account_caps_requests_through_the_point(aws: Any) -> None:
    """A perimeter RCP on the bucket's account stops the partner the access point lets in (as it would directly)."""
    org = aws.organization(rcps=((RCP_FULL, (ROOT_OU,)), (_perimeter(aws), (ROOT_OU,))))
    bucket = _with_points(aws, aws.bucket(policy=_delegating(aws)), _point(_ap_policy(aws, {"AWS": OUTSIDE})))

    assert aws.audience(aws.evaluate(org, aws.account(ACCT), bucket)) == {}


def test_scp_of_the_caller_caps_requests_through_the_point(aws: Any) -> None:
    """A user allowed by its own policy on the access point reads through it, unless an SCP of its account denies."""
    alice = aws.user("alice", inline=(aws.policy(aws.idstmt(resource=f"{AP}/object/*")),))
    bucket = _with_points(aws, aws.bucket(policy=_delegating(aws)), _point(None))
    allowed = aws.organization(scps=((FULL, (ROOT_OU,)),))
    denied = aws.organization(scps=((FULL, (ROOT_OU,)), (DENY_GET, (ACCT,))))

    assert aws.audience(aws.evaluate(allowed, aws.account(ACCT, users=(alice,)), bucket)).get(ALICE) == "sure"
    assert ALICE not in aws.audience(aws.evaluate(denied, aws.account(ACCT, users=(alice,)), bucket))
