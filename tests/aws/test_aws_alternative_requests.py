"""A level is reached when any one of its actions is allowed; a Deny of one action does not stop another.

Every API call is its own request, evaluated on its own: an explicit Deny overrides an
Allow *for the request it matches* (LOGIC).  A policy that denies ``s3:GetObjectVersion``
to everyone but allows ``s3:GetObject`` to everyone leaves the objects readable by anyone.
The same holds for the other places where several requests each give the same access:
the write actions, the admin actions, the role-assumption actions (TRUST), the actions of
a DynamoDB table (DYNAMODB), requests through an access point, and the IAM actions that
rewrite a principal (IAM_ADMIN).

LOGIC = https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html
TRUST = https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_create_for-idp_oidc.html
DYNAMODB = https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/access-control-resource-based.html
IAM_ADMIN = https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_manage-attach-detach.html
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from seenby.model import AccessLevel
from seenby.policies.aws.access import ALLOWED, NOT_ALLOWED, Outcome, any_of, disjoin
from seenby.policies.aws.evaluate import Verdict

ACCT, OUTSIDE, ORG = "111122223333", "999988887777", "o-a1b2c3d4e5"
PUBLIC, ORG_NODE = "aws:public", f"aws-org:{ORG}"
OUTSIDE_ROOT = f"arn:aws:iam::{OUTSIDE}:root"
BUCKET, OBJECTS = "arn:aws:s3:::b", "arn:aws:s3:::b/*"
SURE = "sure"

DENY_ALL = Outcome(verdict=Verdict.DENY)


def test_any_of_ignores_the_deny_of_another_request() -> None:
    """The combinator itself: alternatives keep the Allow; layers of one request keep the Deny."""
    assert any_of(DENY_ALL, ALLOWED).verdict is Verdict.ALLOW
    assert disjoin(DENY_ALL, ALLOWED).verdict is Verdict.DENY
    assert any_of(DENY_ALL, NOT_ALLOWED).verdict is Verdict.DENY  # nothing allows: the Deny explains why
    assert any_of().verdict is Verdict.IMPLICIT_DENY


BUCKET_CASES: list[tuple[str, list[dict[str, Any]], AccessLevel, dict[str, str]]] = [
    (
        "public-read-despite-deny-of-versions",
        [{"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": OBJECTS},
         {"Effect": "Deny", "Principal": "*", "Action": "s3:GetObjectVersion", "Resource": OBJECTS}],
        AccessLevel.READ, {PUBLIC: SURE},
    ),
    (
        "org-write-despite-deny-of-deletes",
        [{"Effect": "Allow", "Principal": "*", "Action": ["s3:PutObject", "s3:DeleteObject"], "Resource": OBJECTS,
          "Condition": {"StringEquals": {"aws:PrincipalOrgID": ORG}}},
         {"Effect": "Deny", "Principal": "*", "Action": "s3:DeleteObject*", "Resource": OBJECTS}],
        AccessLevel.WRITE, {ORG_NODE: SURE},
    ),
    (
        "cross-account-admin-despite-deny-of-ownership-changes",
        # PutBucketAcl, not PutBucketPolicy: S3 refuses PutBucketPolicy to other accounts whatever the policy says
        # (https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutBucketPolicy.html)
        [{"Effect": "Allow", "Principal": {"AWS": OUTSIDE}, "Action": "s3:PutBucketAcl", "Resource": BUCKET},
         {"Effect": "Deny", "Principal": "*", "Action": "s3:PutBucketOwnershipControls", "Resource": BUCKET}],
        AccessLevel.ADMIN, {OUTSIDE_ROOT: SURE},
    ),
    (
        "deny-of-every-read-action-closes-read",
        [{"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject*", "Resource": OBJECTS},
         {"Effect": "Deny", "Principal": "*", "Action": ["s3:GetObject", "s3:GetObjectVersion"], "Resource": OBJECTS}],
        AccessLevel.READ, {},
    ),
]  # fmt: skip


@pytest.mark.parametrize(("statements", "level", "expected"), [c[1:] for c in BUCKET_CASES],
                         ids=[c[0] for c in BUCKET_CASES])  # fmt: skip
def test_bucket_level_is_reached_through_any_allowed_action(
    aws: Any, statements: list[dict[str, Any]], level: AccessLevel, expected: dict[str, str]
) -> None:
    """Bucket policies (LOGIC): a Deny of one action leaves the other actions of the level allowed."""
    ev = aws.evaluate(*aws.base(aws.bucket(policy=aws.policy(*statements), bpa=aws.bpa())))
    assert aws.audience(ev, "b", level) == expected


def test_access_point_read_despite_deny_of_versions(aws: Any) -> None:
    """Through an access point too: the bucket's Deny of s3:GetObjectVersion leaves s3:GetObject open."""
    ap = f"arn:aws:s3:eu-west-1:{ACCT}:accesspoint/analytics"
    delegate = {"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "*", "Resource": [BUCKET, OBJECTS],
                "Condition": {"StringEquals": {"s3:DataAccessPointAccount": ACCT}}}  # fmt: skip
    deny = {"Effect": "Deny", "Principal": "*", "Action": "s3:GetObjectVersion", "Resource": OBJECTS}
    point_policy = aws.policy(aws.stmt(principal={"AWS": OUTSIDE}, resource=f"{ap}/object/*"))
    point = {
        "Name": "analytics", "NetworkOrigin": "Internet", "Bucket": "b", "AccessPointArn": ap,
        "BucketAccountId": ACCT, "PolicyStatus": {"IsPublic": False}, "Policy": json.dumps(point_policy),
    }  # fmt: skip
    bucket = aws.bucket(policy=aws.policy(delegate, deny))
    bucket["reads"]["access_points"] = aws.read("s3control:ListAccessPoints", {"AccessPointList": [point]})
    assert aws.audience(aws.evaluate(*aws.base(bucket))) == {OUTSIDE_ROOT: SURE}


def test_federated_trust_despite_deny_of_the_other_federation_action(aws: Any) -> None:
    """A trust policy allowing AssumeRoleWithWebIdentity still opens the role when it denies the SAML action."""
    provider = f"arn:aws:iam::{ACCT}:oidc-provider/token.actions.githubusercontent.com"
    trust = aws.policy(
        {"Effect": "Allow", "Principal": {"Federated": provider}, "Action": "sts:AssumeRoleWithWebIdentity"},
        {"Effect": "Deny", "Principal": {"Federated": provider}, "Action": "sts:AssumeRoleWithSAML"},
    )
    ev = aws.evaluate(*aws.base(roles=(aws.role("target", trust=trust),)))
    assert provider in aws.edges_into(ev, f"arn:aws:iam::{ACCT}:role/target")


def test_dynamodb_read_despite_deny_of_scan(aws: Any) -> None:
    """A table policy allowing GetItem to another account but denying Scan to everyone: that account reads."""
    table = f"arn:aws:dynamodb:eu-west-1:{ACCT}:table/t"
    policy = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": OUTSIDE}, "Action": "dynamodb:GetItem", "Resource": table},
        {"Effect": "Deny", "Principal": "*", "Action": "dynamodb:Scan", "Resource": table},
    ]}  # fmt: skip
    document = {"Policy": json.dumps(policy), "RevisionId": "1"}
    resource = {
        "type": "aws.dynamodb.table", "id": table, "name": "t", "account": ACCT, "region": "eu-west-1",
        "reads": {
            "description": aws.read("dynamodb:DescribeTable", {"Table": {"TableName": "t", "TableArn": table}}),
            "resource_policy": aws.read("dynamodb:GetResourcePolicy", document),
            "tags": aws.read("dynamodb:ListTagsOfResource", {"Tags": []}),
        },
    }  # fmt: skip
    ev = aws.evaluate(*aws.base(resource))
    readers = {g.principal.id for g in ev.grants if g.dataset == table and g.level is AccessLevel.READ}
    assert readers == {OUTSIDE_ROOT}


def test_iam_admin_despite_deny_of_another_iam_action(aws: Any) -> None:
    """iam:AttachRolePolicy on a reader role is ADMIN even when iam:PutRolePolicy is denied (IAM_ADMIN)."""
    reader_arn = f"arn:aws:iam::{ACCT}:role/reader"
    reader = aws.role("reader", inline=(aws.policy(aws.idstmt()),))
    ops = aws.user("ops", inline=(aws.policy(
        aws.idstmt(action="iam:AttachRolePolicy", resource=reader_arn),
        aws.idstmt(action="iam:PutRolePolicy", resource="*", effect="Deny"),
    ),))  # fmt: skip
    ev = aws.evaluate(*aws.base(aws.bucket(), users=[ops], roles=[reader]))
    assert aws.audience(ev, "b", "admin") == {f"arn:aws:iam::{ACCT}:user/ops": SURE}
