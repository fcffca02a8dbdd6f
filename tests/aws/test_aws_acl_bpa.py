"""S3 ACLs, Object Ownership, Block Public Access and unreadable documents.

Sources: ACL = https://docs.aws.amazon.com/AmazonS3/latest/userguide/acl-overview.html,
BPA = https://docs.aws.amazon.com/AmazonS3/latest/userguide/access-control-block-public-access.html,
OWN = https://docs.aws.amazon.com/AmazonS3/latest/userguide/about-object-ownership.html
"""

from __future__ import annotations

from typing import Any

import pytest

ACCT, OUTSIDE, ORG = "111122223333", "999988887777", "o-a1b2c3d4e5"
PUBLIC, AUTH, ROOT = "aws:public", "aws:authenticated", f"arn:aws:iam::{ACCT}:root"
ALL = "http://acs.amazonaws.com/groups/global/AllUsers"
AUTHU = "http://acs.amazonaws.com/groups/global/AuthenticatedUsers"
LOGS = "http://acs.amazonaws.com/groups/s3/LogDelivery"
SURE, COND = "sure", "conditional"
PARTNER_ID = "d" * 64

# (id, grants [(grantee, permission)], {level: expected audience})
ACL_CASES: list[tuple[str, list[tuple[str, str]], dict[str, dict[str, str]]]] = [
    ("all-users-read-is-list", [(ALL, "READ")], {"list": {PUBLIC: SURE}, "read": {}}),
    ("all-users-write", [(ALL, "WRITE")], {"write": {PUBLIC: SURE}, "list": {}}),
    ("all-users-read-acp-is-list", [(ALL, "READ_ACP")], {"list": {PUBLIC: SURE}, "admin": {}}),
    ("all-users-write-acp-is-admin", [(ALL, "WRITE_ACP")], {"admin": {PUBLIC: SURE}, "read": {}}),
    ("all-users-full-control", [(ALL, "FULL_CONTROL")],
     {"list": {PUBLIC: SURE}, "write": {PUBLIC: SURE}, "admin": {PUBLIC: SURE}, "read": {}}),
    ("authenticated-read", [(AUTHU, "READ")], {"list": {AUTH: SURE}}),
    ("authenticated-write", [(AUTHU, "WRITE")], {"write": {AUTH: SURE}}),
    ("owner-full-control-grants-nothing", [], {"list": {}, "write": {}, "admin": {}}),
    ("log-delivery-write", [(LOGS, "WRITE")], {"write": {"logging.s3.amazonaws.com": SURE}}),
    ("other-canonical-user", [(PARTNER_ID, "READ")], {"list": {PARTNER_ID: SURE}}),
]  # fmt: skip


@pytest.mark.parametrize(("grants", "expected"), [c[1:] for c in ACL_CASES], ids=[c[0] for c in ACL_CASES])
def test_acl_permission_levels(aws: Any, grants: list, expected: dict) -> None:
    """Bucket ACL permissions map to LIST/WRITE/ADMIN as the ACL overview documents (READ is not object data)."""
    acl = [aws.acl_grant(g, p) for g, p in grants]
    ev = aws.evaluate(*aws.base(aws.bucket(acl=acl), account_bpa=aws.bpa()))
    for level, audience in expected.items():
        assert aws.audience(ev, "b", level) == audience, level


def test_canonical_user_of_known_account_maps_to_account(aws: Any) -> None:
    """A canonical id that owns a bucket of a known account is that account (ACL)."""
    other_bucket = aws.bucket("partner-bucket", account=OUTSIDE, acl={"Owner": {"ID": PARTNER_ID}, "Grants": []})
    ev = aws.evaluate(*aws.base(aws.bucket(acl=[aws.acl_grant(PARTNER_ID, "READ")]), other_bucket))
    assert aws.audience(ev, "b", "list") == {f"arn:aws:iam::{OUTSIDE}:root": SURE}


# (id, account BPA, bucket BPA, expected LIST audience of an AllUsers READ ACL)
IGNORE_CASES = [
    ("off-off", "absent", "absent", {PUBLIC: SURE}),
    ("account-ignore", {"IgnorePublicAcls": True}, "absent", {}),
    ("bucket-ignore", "absent", {"IgnorePublicAcls": True}, {}),
    ("block-public-acls-does-not-ignore", {"BlockPublicAcls": True}, {"BlockPublicAcls": True}, {PUBLIC: SURE}),
    ("account-denied-conditional", "denied", "absent", {PUBLIC: COND}),
    ("bucket-error-conditional", "absent", "error", {PUBLIC: COND}),
    ("unknown-but-other-level-on", "denied", {"IgnorePublicAcls": True}, {}),
]


@pytest.mark.parametrize(("account_bpa", "bucket_bpa", "expected"), [c[1:] for c in IGNORE_CASES],
                         ids=[c[0] for c in IGNORE_CASES])  # fmt: skip
def test_ignore_public_acls(aws: Any, account_bpa: Any, bucket_bpa: Any, expected: dict) -> None:
    """IgnorePublicAcls at either level neutralises public ACL grants; unknown makes them conditional (BPA)."""
    acct = aws.bpa(**account_bpa) if isinstance(account_bpa, dict) else account_bpa
    bkt = aws.bpa(**bucket_bpa) if isinstance(bucket_bpa, dict) else bucket_bpa
    ev = aws.evaluate(*aws.base(aws.bucket(acl=[aws.acl_grant(ALL, "READ")], bpa=bkt), account_bpa=acct))
    assert aws.audience(ev, "b", "list") == expected


def _public_policy(aws: Any, **condition: Any) -> dict:
    return aws.policy(aws.stmt(condition=condition or None))


RPB_CASES = [
    ("public-policy-rpb-off", {}, "absent", {PUBLIC: SURE}),
    ("public-policy-rpb-account", {}, {"RestrictPublicBuckets": True}, {ROOT: SURE}),
    ("block-public-policy-does-not-restrict", {}, {"BlockPublicPolicy": True}, {PUBLIC: SURE}),
    ("rpb-unknown-conditional", {}, "denied", {PUBLIC: COND, ROOT: SURE}),
    ("org-id-is-not-public", {"StringEquals": {"aws:PrincipalOrgID": ORG}}, {"RestrictPublicBuckets": True},
     {f"aws-org:{ORG}": SURE}),
    # a fixed range is not public: RestrictPublicBuckets leaves it; the grant narrows to callers from that range
    # (the owner account's principals through it are part of that network's audience)
    ("narrow-cidr-is-not-public", {"IpAddress": {"aws:SourceIp": "203.0.113.0/24"}}, {"RestrictPublicBuckets": True},
     {"aws-network:203.0.113.0/24": SURE}),
    # 0.0.0.0/0 and ranges wider than /8 are public: RestrictPublicBuckets cuts them to the owner account
    ("wide-cidr-is-public", {"IpAddress": {"aws:SourceIp": "0.0.0.0/0"}}, {"RestrictPublicBuckets": True},
     {ROOT: SURE}),
    ("cidr-slash-7-is-public", {"IpAddress": {"aws:SourceIp": "10.0.0.0/7"}}, {"RestrictPublicBuckets": True},
     {f"{ROOT}@aws-network:10.0.0.0/7": SURE}),
    ("source-vpce-is-not-public", {"StringEquals": {"aws:SourceVpce": "vpce-1"}}, {"RestrictPublicBuckets": True},
     {"aws-network:vpce-1": SURE}),
    ("wildcard-vpce-is-public", {"StringLike": {"aws:SourceVpce": "vpce-*"}}, {"RestrictPublicBuckets": True},
     {ROOT: SURE}),
    # aws:SourceAccount is set on requests of AWS services acting for an account: RestrictPublicBuckets leaves
    # service principals their access, so services acting for accounts other than "1" still read; the owner
    # account's own principals carry no aws:SourceAccount, so StringNotEquals holds for them
    ("negated-operator-is-public", {"StringNotEquals": {"aws:SourceAccount": "1"}}, {"RestrictPublicBuckets": True},
     {ROOT: SURE, "aws:any-service": SURE}),
]  # fmt: skip


@pytest.mark.parametrize(("condition", "account_bpa", "expected"), [c[1:] for c in RPB_CASES],
                         ids=[c[0] for c in RPB_CASES])  # fmt: skip
def test_restrict_public_buckets(aws: Any, condition: dict, account_bpa: Any, expected: dict) -> None:
    """RestrictPublicBuckets cuts a *public* policy to the owner account; "public" per the documented definition."""
    acct = aws.bpa(**account_bpa) if isinstance(account_bpa, dict) else account_bpa
    pol = aws.policy(aws.stmt(condition=condition or None))
    ev = aws.evaluate(*aws.base(aws.bucket(policy=pol), account_bpa=acct))
    assert aws.audience(ev) == expected


def test_restrict_public_buckets_cuts_named_cross_account_too(aws: Any) -> None:
    """With a public policy and RestrictPublicBuckets, a statement naming another account is cut as well (BPA)."""
    pol = aws.policy(aws.stmt(), aws.stmt(principal={"AWS": OUTSIDE}))
    ev = aws.evaluate(*aws.base(aws.bucket(policy=pol), account_bpa=aws.bpa(RestrictPublicBuckets=True)))
    assert aws.audience(ev) == {ROOT: SURE}


def test_restrict_public_buckets_keeps_non_public_cross_account(aws: Any) -> None:
    """A non-public policy naming another account is untouched by RestrictPublicBuckets (BPA)."""
    pol = aws.policy(aws.stmt(principal={"AWS": OUTSIDE}))
    ev = aws.evaluate(*aws.base(aws.bucket(policy=pol), account_bpa=aws.bpa(RestrictPublicBuckets=True)))
    assert aws.audience(ev) == {f"arn:aws:iam::{OUTSIDE}:root": SURE}


def test_restrict_public_buckets_keeps_service_principals(aws: Any) -> None:
    """AWS service principals keep access under RestrictPublicBuckets (BPA)."""
    pol = aws.policy(aws.stmt(), aws.stmt(principal={"Service": "logging.s3.amazonaws.com"}, action="s3:PutObject"))
    ev = aws.evaluate(*aws.base(aws.bucket(policy=pol), account_bpa=aws.bpa(RestrictPublicBuckets=True)))
    assert aws.audience(ev, "b", "write") == {"logging.s3.amazonaws.com": SURE}


OWNERSHIP_CASES = [
    ("enforced-disables-acls", "BucketOwnerEnforced", {}),
    ("preferred-keeps-acls", "BucketOwnerPreferred", {PUBLIC: SURE}),
    ("object-writer-keeps-acls", "ObjectWriter", {PUBLIC: SURE}),
    ("no-controls-keeps-acls", "absent", {PUBLIC: SURE}),
    ("unknown-ownership-conditional", "denied", {PUBLIC: COND}),
]


@pytest.mark.parametrize(
    ("ownership", "expected"), [c[1:] for c in OWNERSHIP_CASES], ids=[c[0] for c in OWNERSHIP_CASES]
)
def test_object_ownership(aws: Any, ownership: str, expected: dict) -> None:
    """BucketOwnerEnforced disables every ACL; an unreadable setting keeps ACL grants, conditional (OWN)."""
    ev = aws.evaluate(
        *aws.base(aws.bucket(acl=[aws.acl_grant(ALL, "READ")], ownership=ownership), account_bpa=aws.bpa())
    )
    assert aws.audience(ev, "b", "list") == expected


def test_enforced_ownership_does_not_touch_policies(aws: Any) -> None:
    """BucketOwnerEnforced disables ACLs only; the bucket policy still applies (OWN)."""
    ev = aws.evaluate(*aws.base(aws.bucket(policy=aws.policy(aws.stmt()), ownership="BucketOwnerEnforced")))
    assert aws.audience(ev) == {PUBLIC: SURE}


def test_policy_gap_is_not_no_policy(aws: Any) -> None:
    """A denied policy read adds no grant, but it is still a coverage gap for the bucket (DESIGN: gaps)."""
    from seenby.policies import evaluate

    snap = aws.snapshot(*aws.base(aws.bucket(policy="denied", acl=[aws.acl_grant(ALL, "READ")])))
    ev = evaluate(snap)
    gaps = {(g.resource, g.read) for g in ev.gaps}
    assert ("arn:aws:s3:::b", "policy") in gaps
    assert aws.audience(ev, "b", "list") == {PUBLIC: SURE}


def test_missing_account_resource_makes_bpa_unknown(aws: Any) -> None:
    """Without the account resource, account-level BPA is unknown: a public ACL grant is conditional (BPA)."""
    ev = aws.evaluate(aws.organization(), aws.bucket(acl=[aws.acl_grant(ALL, "READ")]))
    assert aws.audience(ev, "b", "list") == {PUBLIC: COND}


def test_acl_gap_keeps_policy_grants(aws: Any) -> None:
    """An unreadable ACL does not stop the bucket policy from being evaluated (DESIGN: gaps)."""
    ev = aws.evaluate(*aws.base(aws.bucket(policy=aws.policy(aws.stmt()), acl="denied")))
    assert aws.audience(ev) == {PUBLIC: SURE}
