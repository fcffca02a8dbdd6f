"""AWS's own documented examples and statements of behaviour, each turned into one verdict.

Every case names the AWS page that states the behaviour (its URL is the case's second
field).  The bucket is ``b`` of account 111122223333, a member of organisation
o-a1b2c3d4e5 (with 444455556666; 123456789012 is the management account); 999988887777
is outside it.  Expected audiences are ``{principal id: "sure" | "conditional"}``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from seenby.policies.aws.bpa import is_public_policy
from tests.aws.cases import (
    ACCT,
    ALL_USERS,
    AUTH,
    AUTH_USERS,
    BPA_SETTINGS,
    BUCKET,
    CROSS,
    DENYALLOW,
    KEYS,
    KMS_VIA,
    LOG_DELIVERY,
    LOGIC,
    MGMT,
    NOTPRINCIPAL,
    OBJ,
    OPERATORS,
    ORG,
    ORG_NODE,
    ORGS,
    OTHER,
    OTHER_ROOT,
    OUTSIDE,
    OUTSIDE_ROOT,
    PRINCIPAL,
    PUBLIC,
    PUBLIC_MEANING,
    ROOT,
    S3,
    SURE,
    S,
)
from tests.aws.cases import bucket_policy as _doc

ALICE = f"arn:aws:iam::{ACCT}:user/alice"
ETL_OTHER = f"arn:aws:iam::{OTHER}:role/etl"
EXAMPLES = S3 + "example-bucket-policies.html"
CANNED = S3 + "acl-overview.html#canned-acl"
OWNERSHIP = S3 + "about-object-ownership.html"
KMS_DEFAULT = "https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-default.html"
KMS_CROSS = "https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-modifying-external-accounts.html"
SCP_EVAL = ORGS + "orgs_manage_policies_scps_evaluation.html"
SCP = ORGS + "orgs_manage_policies_scps.html"
RCP = ORGS + "orgs_manage_policies_rcps.html"
RCP_EVAL = ORGS + "orgs_manage_policies_rcps_evaluation.html"


# -- "The meaning of public" (PUBLIC_MEANING): which bucket policies S3 calls public ------------------------


def _if(operator: str, key: str, value: Any) -> dict:
    return S(condition={operator: {key: value}})


PUBLIC_CASES: list[tuple[str, str, list[dict], bool]] = [
    ("principal-star-no-condition", PUBLIC_MEANING, [S()], True),
    ("principal-aws-star", PUBLIC_MEANING, [S(principal={"AWS": "*"})], True),
    ("fixed-role-doc-example", PUBLIC_MEANING, [S(principal={"AWS": f"arn:aws:iam::{ACCT}:role/JohnDoe"})], False),
    ("fixed-account", PUBLIC_MEANING, [S(principal={"AWS": OUTSIDE})], False),
    ("fixed-service-principal", PUBLIC_MEANING, [S(principal={"Service": "logging.s3.amazonaws.com"})], False),
    ("source-vpc-doc-example", PUBLIC_MEANING,
     [S(action="s3:PutObject", resource="*", condition={"StringEquals": {"aws:SourceVpc": "vpc-91237329"}})], False),
    ("source-ip-slash32-doc-example", PUBLIC_MEANING, [_if("IpAddress", "aws:SourceIp", "192.168.1.1/32")], False),
    ("source-ip-slash24", PUBLIC_MEANING, [_if("IpAddress", "aws:SourceIp", "203.0.113.0/24")], False),
    ("source-ip-everything", PUBLIC_MEANING, [_if("IpAddress", "aws:SourceIp", "0.0.0.0/0")], True),
    ("source-ip-half-the-internet", PUBLIC_MEANING, [_if("IpAddress", "aws:SourceIp", "0.0.0.0/1")], True),
    ("source-ip-ipv6-everything", PUBLIC_MEANING, [_if("IpAddress", "aws:SourceIp", "::/0")], True),
    ("source-ip-one-broad-of-two", PUBLIC_MEANING,
     [_if("IpAddress", "aws:SourceIp", ["203.0.113.0/24", "0.0.0.0/0"])], True),
    ("source-arn", PUBLIC_MEANING,
     [_if("ArnEquals", "aws:SourceArn", "arn:aws:cloudfront::111122223333:distribution/EDFDVBD6EXAMPLE")], False),
    ("source-arn-wildcard", PUBLIC_MEANING, [_if("ArnLike", "aws:SourceArn", "arn:aws:cloudfront::*")], True),
    ("source-vpce", PUBLIC_MEANING, [_if("StringEquals", "aws:SourceVpce", "vpce-1a2b3c4d")], False),
    ("source-vpce-wildcard", PUBLIC_MEANING, [_if("StringLike", "aws:SourceVpce", "vpce-*")], True),
    ("source-owner", PUBLIC_MEANING, [_if("StringEquals", "aws:SourceOwner", ACCT)], False),
    ("source-account", PUBLIC_MEANING, [_if("StringEquals", "aws:SourceAccount", ACCT)], False),
    ("principal-org-id", PUBLIC_MEANING, [_if("StringEquals", "aws:PrincipalOrgID", ORG)], False),
    ("principal-org-id-wildcard", PUBLIC_MEANING, [_if("StringLike", "aws:PrincipalOrgID", "o-*")], True),
    ("principal-account", PUBLIC_MEANING, [_if("StringEquals", "aws:PrincipalAccount", OUTSIDE)], False),
    ("kms-key-id", PUBLIC_MEANING,
     [S(action="s3:PutObject", condition={"StringEquals": {
         "s3:x-amz-server-side-encryption-aws-kms-key-id": f"arn:aws:kms:eu-west-1:{ACCT}:key/k"}})], False),
    ("userid-of-a-user", PUBLIC_MEANING, [_if("StringEquals", "aws:userid", "AIDAEXAMPLEUSERID")], False),
    ("userid-role-sessions-pattern", PUBLIC_MEANING, [_if("StringLike", "aws:userid", "AROAEXAMPLEID:*")], True),
    ("data-access-point-arn", PUBLIC_MEANING,
     [_if("StringEquals", "s3:DataAccessPointArn", f"arn:aws:s3:eu-west-1:{ACCT}:accesspoint/ap")], False),
    ("data-access-point-account", PUBLIC_MEANING, [_if("StringEquals", "s3:DataAccessPointAccount", ACCT)], False),
    ("policy-variable-is-not-fixed", PUBLIC_MEANING, [_if("StringEquals", "aws:SourceVpce", "${aws:username}")], True),
    ("not-listed-key-is-public", PUBLIC_MEANING, [_if("Bool", "aws:SecureTransport", "true")], True),
    ("negated-operator-is-public", PUBLIC_MEANING, [_if("StringNotEquals", "aws:SourceVpce", "vpce-1a2b3c4d")], True),
    ("not-principal-allow-is-public", NOTPRINCIPAL, [S(not_principal={"AWS": OUTSIDE_ROOT})], True),
    ("deny-only-is-not-public", PUBLIC_MEANING, [S("Deny")], False),
    ("one-public-statement-of-two", PUBLIC_MEANING, [S(principal={"AWS": OUTSIDE}), S()], True),
]  # fmt: skip


@pytest.mark.parametrize(("url", "statements", "public"), [c[1:] for c in PUBLIC_CASES],
                         ids=[c[0] for c in PUBLIC_CASES])  # fmt: skip
def test_public_policy_definition(url: str, statements: list[dict], public: bool) -> None:
    """A bucket policy is public exactly when S3's documented definition says so (url: see the case)."""
    assert is_public_policy(_doc(*statements)) is public


# -- audiences of documented examples ---------------------------------------------------------------------

Build = Callable[[Any], tuple[dict, ...]]


def _bucket_policy(*statements: dict, account_bpa: Any = None, bucket_bpa: Any = "absent", **kw: Any) -> Build:
    def build(aws: Any) -> tuple[dict, ...]:
        acct_bpa = aws.bpa() if account_bpa is None else aws.bpa(**account_bpa)
        bpa = aws.bpa(**bucket_bpa) if isinstance(bucket_bpa, dict) else bucket_bpa
        return aws.base(aws.bucket(policy=aws.policy(*statements), bpa=bpa, **kw), account_bpa=acct_bpa)

    return build


def _acl(*grants: tuple[str, str], ownership: str = "absent", account_bpa: dict | None = None,
         bucket_bpa: Any = "absent") -> Build:  # fmt: skip
    def build(aws: Any) -> tuple[dict, ...]:
        acl = [aws.acl_grant(g, p) for g, p in grants]
        bpa = aws.bpa(**bucket_bpa) if isinstance(bucket_bpa, dict) else bucket_bpa
        bucket = aws.bucket(acl=acl, ownership=ownership, bpa=bpa)
        return aws.base(bucket, account_bpa=aws.bpa(**(account_bpa or {})))

    return build


RPB = {"RestrictPublicBuckets": True}
ORG_ONLY = {"StringEquals": {"aws:PrincipalOrgID": ORG}}

POLICY_CASES: list[tuple[str, str, Build, str, dict[str, str]]] = [
    ("anonymous-read-only-example", EXAMPLES,
     _bucket_policy(S(action=["s3:GetObject", "s3:GetObjectVersion"])), "read", {PUBLIC: SURE}),
    ("org-read-example", EXAMPLES, _bucket_policy(S(condition=ORG_ONLY)), "read", {ORG_NODE: SURE}),
    ("deny-outside-org-plus-allow-star", KEYS + "#condition-keys-principalorgid",
     _bucket_policy(S(), S("Deny", action="s3:*", resource=[BUCKET, OBJ],
                           condition={"StringNotEquals": {"aws:PrincipalOrgID": ORG}})), "read", {ORG_NODE: SURE}),
    ("deny-outside-org-if-exists-plus-allow-star", KEYS + "#condition-keys-principalorgid",
     _bucket_policy(S(), S("Deny", action="s3:*", resource=[BUCKET, OBJ],
                           condition={"StringNotEqualsIfExists": {"aws:PrincipalOrgID": ORG}})),
     "read", {ORG_NODE: SURE}),
    ("deny-outside-two-accounts-plus-allow-star", KEYS + "#condition-keys-principalaccount",
     _bucket_policy(S(), S("Deny", condition={"StringNotEquals": {"aws:PrincipalAccount": [ACCT, OUTSIDE]}})),
     "read", {ROOT: SURE, OUTSIDE_ROOT: SURE}),
    # network family: a fixed range narrows "*" to callers from it (the excepted /32 inside it is shut out)
    ("ip-allow-example-narrows-to-network", EXAMPLES,
     _bucket_policy(S(action="s3:*", condition={"IpAddress": {"aws:SourceIp": "192.0.2.0/24"},
                                               "NotIpAddress": {"aws:SourceIp": "192.0.2.188/32"}})),
     "read", {"aws-network:192.0.2.0/24": SURE}),
    ("deny-outside-ip-example-leaves-the-networks", EXAMPLES,
     _bucket_policy(S(), S("Deny", action="s3:*", resource=[BUCKET, OBJ],
                           condition={"NotIpAddress": {"aws:SourceIp": ["192.0.2.0/24", "2001:DB8::/32"]}})),
     "read", {"aws-network:192.0.2.0/24": SURE, "aws-network:2001:db8::/32": SURE}),
    ("deny-outside-vpce-example-leaves-the-endpoint", EXAMPLES,
     _bucket_policy(S(), S("Deny", action="s3:*", resource=[BUCKET, OBJ],
                           condition={"StringNotEquals": {"aws:SourceVpce": "vpce-1a2b3c4d"}})),
     "read", {"aws-network:vpce-1a2b3c4d": SURE}),
    ("deny-without-mfa-example-makes-conditional", EXAMPLES,
     _bucket_policy(S(), S("Deny", action="s3:*", resource="arn:aws:s3:::b/taxdocuments/*",
                           condition={"Null": {"aws:MultiFactorAuthAge": "true"}})), "read", {PUBLIC: SURE}),
    # request property: any caller uses TLS, so the Deny removes nobody
    ("deny-insecure-transport-example", EXAMPLES,
     _bucket_policy(S(), S("Deny", action="s3:*", resource=[BUCKET, OBJ],
                           condition={"Bool": {"aws:SecureTransport": "false"}})), "read", {PUBLIC: SURE}),
    # authentication: absent on anonymous requests, a signed-in person can use MFA
    ("mfa-present-allow-is-any-authenticated", KEYS + "#condition-keys-multifactorauthpresent",
     _bucket_policy(S(condition={"Bool": {"aws:MultiFactorAuthPresent": "true"}})), "read", {AUTH: SURE}),
    # time: decided at the snapshot's collection time (2026-11-23)
    ("time-window-open-at-collection", OPERATORS + "#Conditions_Date",
     _bucket_policy(S(condition={"DateGreaterThan": {"aws:CurrentTime": "2026-01-01T00:00:00Z"}})),
     "read", {PUBLIC: SURE}),
    ("time-window-not-yet-open-at-collection", OPERATORS + "#Conditions_Date",
     _bucket_policy(S(condition={"DateGreaterThan": {"aws:CurrentTime": "2027-01-01T00:00:00Z"}})),
     "read", {}),
    ("org-paths-whole-org", KEYS + "#condition-keys-principalorgpaths",
     _bucket_policy(S(condition={"ForAnyValue:StringLike": {"aws:PrincipalOrgPaths": f"{ORG}/*"}})),
     "read", {ORG_NODE: SURE}),
    ("org-id-if-exists-lets-anonymous-in", OPERATORS + "#Conditions_IfExists",
     _bucket_policy(S(condition={"StringEqualsIfExists": {"aws:PrincipalOrgID": ORG}})),
     "read", {PUBLIC: SURE}),
    ("cloudfront-oac-example", EXAMPLES,
     _bucket_policy(S(principal={"Service": "cloudfront.amazonaws.com"}, condition={"StringEquals": {
         "AWS:SourceArn": f"arn:aws:cloudfront::{ACCT}:distribution/EDFDVBD6EXAMPLE"}})),
     "read", {f"aws-service-for:arn:aws:cloudfront::{ACCT}:distribution/EDFDVBD6EXAMPLE": SURE}),
    ("two-accounts-principal-list", PRINCIPAL,
     _bucket_policy(S(principal={"AWS": [OUTSIDE, OTHER_ROOT]})), "read", {OUTSIDE_ROOT: SURE, OTHER_ROOT: SURE}),
    ("own-account-root-delegates-to-iam", PRINCIPAL, _bucket_policy(S(principal={"AWS": ROOT})), "read", {}),
    ("own-canonical-user-delegates-to-iam", PRINCIPAL + "#principal-canonical-user",
     _bucket_policy(S(principal={"CanonicalUser": "c" * 64})), "read", {}),
    ("not-principal-deny-keeps-named-root-user", NOTPRINCIPAL,
     _bucket_policy(S(), S("Deny", not_principal={"AWS": OUTSIDE_ROOT})), "read", {f"aws-root-user:{OUTSIDE}": SURE}),
    # Block Public Access (BPA_SETTINGS), account vs bucket level, RestrictPublicBuckets on public vs non-public
    ("rpb-account-level-cuts-public-policy", BPA_SETTINGS, _bucket_policy(S(), account_bpa=RPB), "read", {ROOT: SURE}),
    ("rpb-bucket-level-cuts-public-policy", BPA_SETTINGS, _bucket_policy(S(), bucket_bpa=RPB), "read", {ROOT: SURE}),
    ("rpb-leaves-org-policy", BPA_SETTINGS, _bucket_policy(S(condition=ORG_ONLY), account_bpa=RPB),
     "read", {ORG_NODE: SURE}),
    ("rpb-cuts-half-internet-cidr", BPA_SETTINGS,
     _bucket_policy(S(condition={"IpAddress": {"aws:SourceIp": "0.0.0.0/1"}}), account_bpa=RPB),
     "read", {f"{ROOT}@aws-network:0.0.0.0/1": SURE}),
    ("rpb-cuts-cross-account-of-public-policy", BPA_SETTINGS,
     _bucket_policy(S(), S(principal={"AWS": OUTSIDE}), account_bpa=RPB), "read", {ROOT: SURE}),
    ("rpb-keeps-services", BPA_SETTINGS,
     _bucket_policy(S(), S(principal={"Service": "logging.s3.amazonaws.com"}, action="s3:PutObject"),
                    account_bpa=RPB), "write", {"logging.s3.amazonaws.com": SURE}),
    ("rpb-leaves-principal-account-policy", BPA_SETTINGS,
     _bucket_policy(S(condition={"StringEquals": {"aws:PrincipalAccount": OUTSIDE}}), account_bpa=RPB),
     "read", {OUTSIDE_ROOT: SURE}),
    ("block-public-policy-changes-nothing-existing", BPA_SETTINGS,
     _bucket_policy(S(), account_bpa={"BlockPublicPolicy": True}), "read", {PUBLIC: SURE}),
    # canned ACLs (CANNED), Object Ownership (OWNERSHIP), IgnorePublicAcls (BPA_SETTINGS)
    ("canned-private", CANNED, _acl(), "list", {}),
    ("canned-public-read", CANNED, _acl((ALL_USERS, "READ")), "list", {PUBLIC: SURE}),
    ("canned-public-read-write", CANNED, _acl((ALL_USERS, "READ"), (ALL_USERS, "WRITE")), "write", {PUBLIC: SURE}),
    ("canned-authenticated-read", CANNED, _acl((AUTH_USERS, "READ")), "list", {AUTH: SURE}),
    ("canned-log-delivery-write", CANNED, _acl((LOG_DELIVERY, "WRITE"), (LOG_DELIVERY, "READ_ACP")),
     "write", {"logging.s3.amazonaws.com": SURE}),
    ("bucket-owner-enforced-disables-public-read", OWNERSHIP,
     _acl((ALL_USERS, "READ"), ownership="BucketOwnerEnforced"), "list", {}),
    ("ignore-public-acls-account-level", BPA_SETTINGS,
     _acl((ALL_USERS, "READ"), account_bpa={"IgnorePublicAcls": True}), "list", {}),
    ("ignore-public-acls-bucket-level", BPA_SETTINGS,
     _acl((AUTH_USERS, "READ"), bucket_bpa={"IgnorePublicAcls": True}), "list", {}),
    ("ignore-public-acls-keeps-log-delivery", BPA_SETTINGS,
     _acl((LOG_DELIVERY, "WRITE"), account_bpa={"IgnorePublicAcls": True}), "write",
     {"logging.s3.amazonaws.com": SURE}),
    ("block-public-acls-changes-nothing-existing", BPA_SETTINGS,
     _acl((ALL_USERS, "READ"), account_bpa={"BlockPublicAcls": True}), "list", {PUBLIC: SURE}),
]  # fmt: skip


@pytest.mark.parametrize(("url", "build", "level", "expected"), [c[1:] for c in POLICY_CASES],
                         ids=[c[0] for c in POLICY_CASES])  # fmt: skip
def test_documented_bucket_audience(aws: Any, url: str, build: Build, level: str, expected: dict) -> None:
    """The bucket's audience at ``level`` is the one the AWS page describes (url: see the case)."""
    assert aws.audience(aws.evaluate(*build(aws)), "b", level) == expected


# -- identities, accounts, keys and the organisation ---------------------------------------------------------


def _reader(aws: Any, name: str = "alice", account: str = ACCT, *, kms: bool = False, **kw: Any) -> dict:
    stmts = [aws.idstmt()] + ([aws.idstmt(action="kms:Decrypt", resource="*")] if kms else [])
    return aws.user(name, account, inline=(aws.policy(*stmts),), **kw)


def _kms(key_statements: list[dict], *, users=(), bucket_policy: Any = "absent", extra: Build | None = None) -> Build:
    def build(aws: Any) -> tuple[dict, ...]:
        key = aws.kms_key(key_policy=aws.policy(*key_statements))
        bucket = aws.bucket(
            policy=aws.policy(*bucket_policy) if bucket_policy != "absent" else "absent", encryption=aws.key_arn()
        )
        more = extra(aws) if extra else ()
        return aws.base(bucket, key, *more, users=tuple(u(aws) for u in users), account_bpa=aws.bpa())

    return build


KEY_ROOT = S(principal={"AWS": ROOT}, action="kms:*", resource="*")  # the default key policy's only statement


def KEY_VIA_S3(service: str) -> dict:
    """The AWS managed key policy's shape: everyone of the account, through one service."""
    return S(
        principal={"AWS": "*"},
        action=["kms:Decrypt", "kms:GenerateDataKey*", "kms:DescribeKey"],
        resource="*",
        condition={"StringEquals": {"kms:CallerAccount": ACCT, "kms:ViaService": service}},
    )


KEY_USE_ALICE = S(
    principal={"AWS": ALICE},
    action=["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:DescribeKey"],
    resource="*",
)


def _org(scps: tuple = (), rcps: tuple = ()) -> Callable[[Any], dict]:
    return lambda aws: aws.organization(scps=scps, rcps=rcps)


FULL_ACCESS = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
RCP_FULL = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "*",
                                                    "Resource": "*"}]}  # fmt: skip
DENY_GET = {"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Action": "s3:GetObject", "Resource": "*"}]}
ALLOW_EC2 = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "ec2:*", "Resource": "*"}]}
ALLOW_S3 = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}
RCP_PERIMETER = {"Version": "2012-10-17", "Statement": [{
    "Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": "*",
    "Condition": {"StringNotEqualsIfExists": {"aws:PrincipalOrgID": ORG},
                  "BoolIfExists": {"aws:PrincipalIsAWSService": "false"}}}]}  # fmt: skip
RCP_TLS = {"Version": "2012-10-17", "Statement": [{
    "Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": "*",
    "Condition": {"BoolIfExists": {"aws:SecureTransport": "false"}}}]}  # fmt: skip
DENY_DELETE_RCP = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Deny", "Principal": "*", "Action": "s3:DeleteObject", "Resource": "*"}],
}
R = "r-ab12"
EC2_ONLY = f"arn:aws:iam::{ACCT}:policy/ec2-only"
ETL_ROLE = f"arn:aws:iam::{ACCT}:role/etl"
ETL_SESSION = f"arn:aws:sts::{ACCT}:assumed-role/etl/s1"
S3_FULL = "arn:aws:iam::aws:policy/AmazonS3FullAccess"


def _world(org: Callable[[Any], dict] | None, *, bucket_account: str = ACCT, bucket_policy: list | None = None,
           accounts: tuple = (), roles: tuple = (), policies: bool = False) -> Build:  # fmt: skip
    """An organisation, the bucket's account and ``accounts`` ((account, users) pairs)."""

    def build(aws: Any) -> tuple[dict, ...]:
        pol = aws.policy(*bucket_policy) if bucket_policy else "absent"
        res = [aws.bucket(policy=pol, account=bucket_account)]
        if org:
            res.append(org(aws))
        seen = {a for a, _ in accounts}
        managed = (aws.managed(EC2_ONLY, aws.policy(aws.idstmt(action="ec2:*", resource="*"))),) if policies else ()
        for a, users in accounts:
            own = a == bucket_account
            res.append(
                aws.account(
                    a,
                    bpa=aws.bpa(),
                    users=tuple(u(aws) for u in users),
                    roles=tuple(r(aws) for r in roles) if own else (),
                    policies=managed if own else (),
                )
            )
        if bucket_account not in seen:
            res.append(aws.account(bucket_account, bpa=aws.bpa()))
        return tuple(res)

    return build


ALICE_READS = (lambda aws: _reader(aws),)
ETL_READS = (lambda aws: aws.user("etl", OTHER, inline=(aws.policy(aws.idstmt()),)),)
ETL_USER = f"arn:aws:iam::{OTHER}:user/etl"

IDENTITY_CASES: list[tuple[str, str, Build, str, dict[str, str]]] = [
    # same account: either side suffices; cross account: both (LOGIC, CROSS)
    ("same-account-identity-policy-alone", LOGIC, _world(None, accounts=((ACCT, ALICE_READS),)),
     "read", {ALICE: SURE}),
    ("same-account-bucket-policy-alone", LOGIC,
     _world(None, bucket_policy=[S(principal={"AWS": ALICE})], accounts=((ACCT, (lambda aws: aws.user("alice"),)),)),
     "read", {ALICE: SURE}),
    ("cross-account-both-sides", CROSS,
     _world(None, bucket_policy=[S(principal={"AWS": OTHER})], accounts=((OTHER, ETL_READS),)),
     "read", {ETL_USER: SURE, OTHER_ROOT: SURE}),
    ("cross-account-resource-side-only", CROSS,
     _world(None, bucket_policy=[S(principal={"AWS": ETL_USER})],
            accounts=((OTHER, (lambda aws: aws.user("etl", OTHER),)),)), "read", {}),
    ("cross-account-identity-side-only", CROSS, _world(None, accounts=((OTHER, ETL_READS),)), "read", {}),
    # SCPs (SCP_EVAL, SCP)
    ("scp-deny-list", SCP_EVAL,
     _world(_org(scps=((FULL_ACCESS, (R,)), (DENY_GET, (R,)))), accounts=((ACCT, ALICE_READS),)), "read", {}),
    ("scp-allow-list-missing-at-account", SCP_EVAL,
     _world(_org(scps=((FULL_ACCESS, (R,)), (ALLOW_EC2, (ACCT,)))), accounts=((ACCT, ALICE_READS),)), "read", {}),
    ("scp-allow-list-at-every-level", SCP_EVAL,
     _world(_org(scps=((FULL_ACCESS, (R,)), (ALLOW_S3, (ACCT,)))), accounts=((ACCT, ALICE_READS),)),
     "read", {ALICE: SURE}),
    ("scp-does-not-restrict-outside-callers", SCP,
     _world(_org(scps=((FULL_ACCESS, (R,)), (DENY_GET, (R,)))), bucket_policy=[S(principal={"AWS": OUTSIDE})]),
     "read", {OUTSIDE_ROOT: SURE}),
    ("scp-restricts-member-caller-cross-account", SCP,
     _world(_org(scps=((FULL_ACCESS, (R,)), (DENY_GET, (OTHER,)))), bucket_policy=[S(principal={"AWS": OTHER})],
            accounts=((OTHER, ETL_READS),)), "read", {}),
    ("scp-does-not-restrict-management-account", SCP,
     _world(_org(scps=((FULL_ACCESS, (R,)), (DENY_GET, (R,)))), bucket_account=MGMT,
            accounts=((MGMT, (lambda aws: _reader(aws, "boss", MGMT),)),)),
     "read", {f"arn:aws:iam::{MGMT}:user/boss": SURE}),
    # RCPs (RCP, RCP_EVAL)
    ("rcp-perimeter-limits-public-bucket-to-org", RCP,
     _world(_org(rcps=((RCP_FULL, (R,)), (RCP_PERIMETER, (R,)))), bucket_policy=[S()]), "read", {ORG_NODE: SURE}),
    ("rcp-perimeter-cuts-named-outside-account", RCP,
     _world(_org(rcps=((RCP_FULL, (R,)), (RCP_PERIMETER, (R,)))), bucket_policy=[S(principal={"AWS": OUTSIDE})]),
     "read", {}),
    ("rcp-does-not-apply-to-management-account", RCP,
     _world(_org(rcps=((RCP_FULL, (R,)), (RCP_PERIMETER, (R,)))), bucket_account=MGMT, bucket_policy=[S()]),
     "read", {PUBLIC: SURE}),
    ("rcp-deny-only-without-listed-full-access", RCP_EVAL,
     _world(_org(rcps=((DENY_DELETE_RCP, (R,)),)), bucket_policy=[S()]), "read", {PUBLIC: SURE}),
    ("rcp-perimeter-keeps-services", RCP,
     _world(_org(rcps=((RCP_FULL, (R,)), (RCP_PERIMETER, (R,)))),
            bucket_policy=[S(principal={"Service": "logging.s3.amazonaws.com"}, action="s3:PutObject")]),
     "write", {"logging.s3.amazonaws.com": SURE}),
    # an RCP denying insecure transport removes nobody: every caller can use TLS
    ("rcp-tls-removes-nobody", RCP_EVAL,
     _world(_org(rcps=((RCP_FULL, (R,)), (RCP_TLS, (R,)))), bucket_policy=[S()]), "read", {PUBLIC: SURE}),
    # KMS default key policy (KMS_DEFAULT, KMS_CROSS)
    ("kms-default-policy-enables-iam", KMS_DEFAULT,
     _kms([KEY_ROOT], users=(lambda aws: _reader(aws, kms=True),)), "read", {ALICE: SURE}),
    ("kms-default-policy-iam-needs-decrypt", KMS_DEFAULT,
     _kms([KEY_ROOT], users=(lambda aws: _reader(aws),)), "read", {}),
    ("kms-key-users-statement", KMS_DEFAULT,
     _kms([KEY_ROOT, KEY_USE_ALICE], users=(lambda aws: _reader(aws),)), "read", {ALICE: SURE}),
    ("kms-without-root-statement-iam-ignored", KMS_DEFAULT,
     _kms([S(principal={"AWS": ROOT}, action=["kms:Describe*", "kms:Put*"], resource="*")],
          users=(lambda aws: _reader(aws, kms=True),)), "read", {}),
    ("kms-aws-managed-style-via-s3", KMS_VIA,
     _kms([KEY_VIA_S3("s3.eu-west-1.amazonaws.com")], users=(lambda aws: _reader(aws),)), "read", {ALICE: SURE}),
    ("kms-via-other-service", KMS_VIA,
     _kms([KEY_VIA_S3("ec2.eu-west-1.amazonaws.com")], users=(lambda aws: _reader(aws),)), "read", {}),
    ("kms-via-s3-other-region", KMS_VIA,
     _kms([KEY_VIA_S3("s3.us-east-1.amazonaws.com")], users=(lambda aws: _reader(aws),)), "read", {}),
    ("kms-public-bucket-needs-key", KMS_DEFAULT, _kms([KEY_ROOT], bucket_policy=[S()]), "read", {}),
    ("kms-cross-account-key-and-bucket", KMS_CROSS,
     _kms([KEY_ROOT, S(principal={"AWS": OUTSIDE_ROOT}, action="kms:Decrypt", resource="*")],
          bucket_policy=[S(principal={"AWS": OUTSIDE})]), "read", {OUTSIDE_ROOT: SURE}),
    ("kms-cross-account-bucket-only", KMS_CROSS, _kms([KEY_ROOT], bucket_policy=[S(principal={"AWS": OUTSIDE})]),
     "read", {}),
    # permissions boundaries against same-account resource-based Allows (DENYALLOW)
    ("boundary-does-not-cap-user-named", DENYALLOW,
     _world(None, bucket_policy=[S(principal={"AWS": ALICE})],
            accounts=((ACCT, (lambda aws: aws.user("alice", boundary=EC2_ONLY),)),), policies=True),
     "read", {ALICE: SURE}),
    ("boundary-caps-role-named", DENYALLOW,
     _world(None, bucket_policy=[S(principal={"AWS": ETL_ROLE})],
            accounts=((ACCT, ()),), roles=(lambda aws: aws.role("etl", boundary=EC2_ONLY),), policies=True),
     "read", {}),
    ("boundary-does-not-cap-session-named", DENYALLOW,
     _world(None, bucket_policy=[S(principal={"AWS": ETL_SESSION})],
            accounts=((ACCT, ()),), roles=(lambda aws: aws.role("etl", boundary=EC2_ONLY),), policies=True),
     "read", {ETL_SESSION: SURE}),
    # NotPrincipal + Deny and permissions boundaries (NOTPRINCIPAL)
    ("not-principal-deny-always-denies-bounded-user", NOTPRINCIPAL,
     _world(None, bucket_policy=[S(principal={"AWS": ALICE}), S("Deny", not_principal={"AWS": [ALICE, ROOT]})],
            accounts=((ACCT, (lambda aws: aws.user("alice", boundary=S3_FULL),)),)),
     "read", {f"aws-root-user:{ACCT}": SURE}),  # the root user, listed and unbounded, keeps its own-account access
]  # fmt: skip


@pytest.mark.parametrize(("url", "build", "level", "expected"), [c[1:] for c in IDENTITY_CASES],
                         ids=[c[0] for c in IDENTITY_CASES])  # fmt: skip
def test_documented_identity_audience(aws: Any, url: str, build: Build, level: str, expected: dict) -> None:
    """Identity, cross-account, organisation and key layers give the audience the AWS page describes (see url)."""
    assert aws.audience(aws.evaluate(*build(aws)), "b", level) == expected


SERVICES = "aws:any-service"
SERVICE_CASES: list[tuple[str, dict[str, Any], dict[str, str]]] = [
    ("narrowed-to-services", {"Bool": {"aws:PrincipalIsAWSService": "true"}}, {SERVICES: "sure"}),
    # on whose behalf the service acts is a property of the request: shown with the condition
    ("services-for-one-account", {"Bool": {"aws:PrincipalIsAWSService": "true"},
                                  "StringEquals": {"aws:SourceAccount": ACCT}}, {f"aws-service-for:{ACCT}": "sure"}),
    ("one-named-service-name-key", {"StringEquals": {"aws:PrincipalServiceName": "cloudtrail.amazonaws.com"}}, {}),
    ("not-services", {"Bool": {"aws:PrincipalIsAWSService": "false"}}, {AUTH: "sure"}),
]  # fmt: skip


@pytest.mark.parametrize(("condition", "expected"), [c[1:] for c in SERVICE_CASES], ids=[c[0] for c in SERVICE_CASES])
def test_principal_star_narrowed_to_aws_services(aws: Any, condition: dict[str, Any], expected: dict[str, str]) -> None:
    """Principal "*" covers AWS service principals too; narrowed by aws:PrincipalIsAWSService it opens the bucket
    to any service acting for any account (KEYS), shown as the aws:any-service class, never dropped."""
    ev = aws.evaluate(*_bucket_policy(S(condition=condition))(aws))
    assert aws.audience(ev, "b", "read") == expected


def test_public_statement_is_reported_once_as_public(aws: Any) -> None:
    """An unconditional Principal "*" reaches services as well, but the public grant already says so: no
    separate aws:any-service grant (a narrower class under no more conditions is pruned)."""
    ev = aws.evaluate(*_bucket_policy(S())(aws))
    assert aws.audience(ev, "b", "read") == {PUBLIC: "sure"}
