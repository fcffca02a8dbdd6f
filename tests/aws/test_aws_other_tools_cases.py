"""Verdicts other tools' test suites encode, restated as seenby cases and checked against AWS's documentation.

One case per upstream test fact; the case id names it and a comment names the tool and test file.  Only the
*facts* are taken (input shape, expected verdict), never code.  Where a tool disagrees with AWS's documentation,
the documentation decides and the comment says so.  seenby is stricter than "is it public?": a grant it cannot
decide offline is **conditional** (shown as written), never "not public", so a tool's "public unless the
condition holds" maps to conditional.

Tools and files:
  PU   Netflix-Skunkworks/policyuniverse: policyuniverse/tests/test_statement.py, test_policy.py
  PR   prowler-cloud/prowler: tests/providers/aws/services/s3/<check>/<check>_test.py
  SS   nccgroup/ScoutSuite: ScoutSuite/providers/aws/rules/findings/s3-bucket-*.json, iam-assume-role-*.json
  PM   nccgroup/PMapper: tests/test_resource_policy_evaluation.py, tests/test_permissions_boundaries.py
  AA   AWS IAM Access Analyzer, "zone of trust" findings (documentation, no test suite)

Upstream actions such as ``rds:*`` are restated on the bucket (``s3:GetObject``): the facts under test are the
principal and condition shapes.  The bucket is ``b`` of account 111122223333 (organisation o-a1b2c3d4e5 with
444455556666; 123456789012 manages it); 999988887777 is outside.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from seenby.explain import Answer, explain
from seenby.graph.audience import audience as graph_audience
from seenby.graph.build import build_graph
from seenby.model import AccessLevel
from seenby.policies import evaluate
from seenby.policies.aws.bpa import is_public_policy
from seenby.policies.aws.document import PolicyDocumentError
from tests.aws.cases import (
    ACCT,
    ALL_USERS,
    AUTH,
    AUTH_USERS,
    BPA_SETTINGS,
    BUCKET,
    COND,
    CROSS,
    DENYALLOW,
    IAM,
    KEYS,
    KMS_VIA,
    NOTPRINCIPAL,
    OBJ,
    OPERATORS,
    ORG,
    ORG_NODE,
    OUTSIDE,
    OUTSIDE_ROOT,
    PRINCIPAL,
    PUBLIC,
    PUBLIC_MEANING,
    ROOT,
    S3,
    SERVICES,
    SURE,
    S,
)
from tests.aws.cases import bucket_policy as _doc

ACL = S3 + "acl-overview.html"
GRAMMAR = IAM + "reference_policies_grammar.html"
MULTIVALUED = IAM + "reference_policies_condition-single-vs-multi-valued-context-keys.html"
BOUNDARIES = IAM + "access_policies_boundaries.html"
TRUST = IAM + "id_roles_create_for-user.html"
PUT_POLICY = "https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutBucketPolicy.html"
DELETE_POLICY = "https://docs.aws.amazon.com/AmazonS3/latest/API/API_DeleteBucketPolicy.html"
ZONE_OF_TRUST = IAM + "access-analyzer-concepts.html"


def _if(condition: dict) -> dict:
    return S(condition=condition)


# -- "is it internet accessible / public?" (policyuniverse Statement/Policy.is_internet_accessible) ------------
# Decided by S3's documented definition of a public policy (PUBLIC_MEANING): fixed values of a principal or of the
# listed keys make a statement non-public; wildcards, negated operators and unlisted keys do not.

PUBLIC_CASES: list[tuple[str, str, list[dict], bool]] = [
    # PU test_statement.py statement14: Principal "*", no condition
    ("pu-statement14-principal-star", PUBLIC_MEANING, [S()], True),
    # PU statement01: Allow with NotPrincipal is open to everyone but the named account (NOTPRINCIPAL)
    ("pu-statement01-allow-not-principal", NOTPRINCIPAL, [S(not_principal={"AWS": [OUTSIDE_ROOT]})], True),
    # PU statement03/04: a fixed account principal, map or list form
    ("pu-statement03-aws-account", PRINCIPAL, [S(principal={"AWS": OUTSIDE_ROOT})], False),
    ("pu-statement04-aws-account-list", PRINCIPAL, [S(principal={"AWS": [OUTSIDE_ROOT]})], False),
    # PU statement05/06: service principals (with an account) are fixed principals
    ("pu-statement05-service-and-account", PRINCIPAL,
     [S(principal={"Service": "lambda.amazonaws.com", "AWS": OUTSIDE_ROOT})], False),
    ("pu-statement06-service-list", PRINCIPAL, [S(principal={"Service": ["lambda.amazonaws.com"]})], False),
    # PU statement07: ForAllValues:ArnEqualsIfExists on aws:SourceArn.  PU: not public.  AWS: ForAllValues is true
    # when the key is absent from the request (MULTIVALUED), so every request without aws:SourceArn (every direct
    # call) matches: public.  AWS documentation decides.
    ("pu-statement07-forallvalues-source-arn-disagrees", MULTIVALUED,
     [_if({"ForAllValues:ARNEqualsIfExists": {"AWS:SourceArn": [f"arn:aws:iam::{OUTSIDE}:role/SomeTestRole"]}})],
     True),
    # PU statement08: ForAnyValue:ArnEquals on aws:SourceArn, two fixed ARNs
    ("pu-statement08-foranyvalue-source-arn", PUBLIC_MEANING,
     [_if({"ForAnyValue:ARNEquals": {"AWS:SourceArn": [f"arn:aws:iam::{OUTSIDE}:role/A",
                                                      f"arn:aws:iam::{OUTSIDE}:role/B"]}})], False),
    # PU statement09 / statement09_wildcard: aws:SourceOwner fixed vs "*"
    ("pu-statement09-source-owner", PUBLIC_MEANING, [_if({"StringLike": {"AWS:SourceOwner": OUTSIDE}})], False),
    ("pu-statement09-source-owner-wildcard", PUBLIC_MEANING, [_if({"StringLike": {"AWS:SourceOwner": "*"}})], True),
    # PU statement10/11: ForAnyValue:StringEquals on aws:SourceOwner / aws:SourceAccount lists
    ("pu-statement10-source-owner-and-account", PUBLIC_MEANING,
     [_if({"ForAnyValue:StringEquals": {"AWS:SourceOwner": [OUTSIDE], "AWS:SourceAccount": ["123456789123"]}})],
     False),
    ("pu-statement11-two-source-owners", PUBLIC_MEANING,
     [_if({"ForAnyValue:StringEquals": {"AWS:SourceOwner": [OUTSIDE, "123456789123"]}})], False),
    # PU statement12: several fixed keys at once (SourceVpc, SourceVpce, SourceOwner, SourceAccount, SourceArn, CIDRs)
    ("pu-statement12-many-fixed-keys", PUBLIC_MEANING,
     [_if({"StringEquals": {"AWS:SourceVPC": "vpc-111111", "AWS:Sourcevpce": "vpce-111111", "AWS:username": "Admin",
                            "AWS:SourceOwner": OUTSIDE, "AWS:SourceAccount": OUTSIDE},
           "StringLike": {"AWS:userid": "AROAI1111111111111111:*"},
           "ARNLike": {"AWS:SourceArn": f"arn:aws:iam::{OUTSIDE}:role/Admin"},
           "IpAddressIfExists": {"AWS:SourceIP": ["123.45.67.89", "10.0.7.0/24", "172.16.0.0/16"]}})], False),
    # PU statement13: a negated userid plus a fixed aws:SourceArn: the fixed key pins it
    ("pu-statement13-not-userid-fixed-source-arn", PUBLIC_MEANING,
     [_if({"StringNotLike": {"AWS:userid": "AROAI1111111111111111:*"},
           "ARNLike": {"AWS:SourceArn": f"arn:aws:iam::{OUTSIDE}:role/Admin"}})], False),
    # PU statement15: only a negated aws:userid: public
    ("pu-statement15-not-userid-only", PUBLIC_MEANING,
     [_if({"StringNotLike": {"AWS:userid": "AROAI1111111111111111:*"}})], True),
    # PU statement16: a Deny is never public
    ("pu-statement16-deny", PUBLIC_MEANING, [S("Deny")], False),
    # PU statement18/19: aws:SourceArn with a wildcard account / prefix
    ("pu-statement18-source-arn-any-account", PUBLIC_MEANING,
     [_if({"ARNLike": {"AWS:SourceArn": "arn:aws:iam::*:role/Admin"}})], True),
    ("pu-statement19-source-arn-prefix", PUBLIC_MEANING, [_if({"StringLike": {"AWS:SourceArn": "arn:aws:iam::*"}})],
     True),
    # PU statement20 and test_policy.py policy01: aws:SourceIp 0.0.0.0/0 (key spelled AWS:SourceIP: keys are
    # case-insensitive, KEYS)
    ("pu-statement20-open-cidr", PUBLIC_MEANING, [_if({"IpAddress": {"AWS:SourceIP": ["0.0.0.0/0"]}})], True),
    # PU statement21: aws:SourceArn naming a bucket (an ARN without account) is still a fixed value
    ("pu-statement21-source-arn-s3", PUBLIC_MEANING,
     [_if({"StringEquals": {"AWS:SourceArn": "arn:aws:s3:::mybucket"}})], False),
    # PU statement22: aws:SourceArn "arn:aws:iam:::user/MyUser".  PU: public (no account in the ARN).  AWS: any fixed
    # aws:SourceArn value makes the statement non-public (PUBLIC_MEANING).  AWS documentation decides.
    ("pu-statement22-source-arn-without-account-disagrees", PUBLIC_MEANING,
     [_if({"StringEquals": {"AWS:SourceArn": "arn:aws:iam:::user/MyUser"}})], False),
    # PU statement27: like 07 with a single value instead of a list.  PU: public because "not a list".  AWS: a single
    # value equals a one-value list (GRAMMAR); public anyway, for the ForAllValues reason of statement07.
    ("pu-statement27-forallvalues-scalar", MULTIVALUED,
     [_if({"ForAllValues:ARNEqualsIfExists": {"AWS:SourceArn": f"arn:aws:iam::{OUTSIDE}:role/SomeTestRole"}})],
     True),
    # PU statement28: like 10 with single values.  PU: public because "not a list".  AWS: a single value equals a
    # one-value list (GRAMMAR), so the fixed aws:SourceOwner/aws:SourceAccount pin it.  AWS documentation decides.
    ("pu-statement28-foranyvalue-scalar-disagrees", GRAMMAR,
     [_if({"ForAnyValue:StringEquals": {"AWS:SourceOwner": OUTSIDE, "AWS:SourceAccount": "123456789123"}})], False),
    # PU statement29/30: aws:PrincipalOrgID fixed vs "o-*"
    ("pu-statement29-principal-org-id", PUBLIC_MEANING, [_if({"StringEquals": {"AWS:PrincipalOrgID": ORG}})], False),
    ("pu-statement30-principal-org-id-wildcard", PUBLIC_MEANING,
     [_if({"StringLike": {"AWS:PrincipalOrgID": "o-*"}})], True),
    # PU test_policy.py test_evasion_policies: NotIpAddress one address + StringNotLike aws:UserAgent: public
    ("pu-evasion-negated-conditions", PUBLIC_MEANING,
     [S(principal={"AWS": "*"}, action=["s3:GetObject", "s3:GetObjectTorrent"],
        condition={"StringNotLike": {"aws:UserAgent": "|_(..)_|"}, "NotIpAddress": {"aws:SourceIp": "8.8.8.8"}})],
     True),
    # PU test_evasion_policies (replication destination): a fixed account statement plus the evasive one
    ("pu-evasion-replication-destination", PUBLIC_MEANING,
     [S(principal={"AWS": OUTSIDE_ROOT}, action="s3:*"),
      S(principal={"AWS": "*"}, condition={"StringNotLike": {"aws:UserAgent": "|_(..)_|"},
                                           "NotIpAddress": {"aws:SourceIp": "8.8.8.8"}})], True),
    # PU test_evasion_policies (SQS notification): aws:SourceArn with wildcard Region and account
    ("pu-evasion-source-arn-any-account", PUBLIC_MEANING,
     [S(principal={"AWS": "*"}, condition={"ArnLike": {"aws:SourceArn": "arn:aws:s3:*:*:b"}})], True),
    # PU test_policy.py policy06: Principal "*" with aws:PrincipalOrgID: not internet accessible
    ("pu-policy06-organization", PUBLIC_MEANING, [_if({"StringEquals": {"AWS:PrincipalOrgID": "o-xxxxxxxxxx"}})],
     False),
    # PR s3_bucket_public_access_test.py test_bucket_public_policy: Principal "*" s3:PutObject
    ("pr-public-access-public-policy", PUBLIC_MEANING, [S(action="s3:PutObject")], True),
    # PR s3_bucket_policy_public_write_access_test.py test_bucket_comply_policy: a Deny-only encryption policy
    ("pr-public-write-deny-only-policy", PUBLIC_MEANING,
     [S("Deny", action="s3:PutObject", condition={"StringNotEquals": {"s3:x-amz-server-side-encryption": "aws:kms"}})],
     False),
]  # fmt: skip


@pytest.mark.parametrize(("url", "statements", "public"), [c[1:] for c in PUBLIC_CASES],
                         ids=[c[0] for c in PUBLIC_CASES])  # fmt: skip
def test_other_tools_public_policy_verdict(url: str, statements: list[dict], public: bool) -> None:
    """Another tool's public / not-public verdict, as S3's documented definition decides it (url: see the case)."""
    assert is_public_policy(_doc(*statements)) is public


# -- invalid principals: the tools evaluate them, AWS refuses them ----------------------------------------------
# The policy grammar allows only "*" or a map as Principal (GRAMMAR), and no wildcard inside a principal ARN
# (PRINCIPAL: "You can't use a wildcard to match part of a principal name or ARN").  seenby refuses such a
# document with a readable error rather than guessing.

INVALID_CASES: list[tuple[str, str, dict]] = [
    # PU statement02 / test_policy.py policy02: Principal given as a bare ARN string.  PU: a fixed account.
    ("pu-statement02-principal-string", GRAMMAR, S(principal=OUTSIDE_ROOT)),
    # PU statement17: Principal "arn:aws:iam::012345678910" (no resource part).  PU: not public.
    ("pu-statement17-bad-arn", GRAMMAR, S(principal=f"arn:aws:iam::{OUTSIDE}")),
    # PU test_policy.py policy03: "arn:aws:iam::*:role/Hello".  PU: internet accessible.
    ("pu-policy03-wildcard-account-role", PRINCIPAL, S(principal={"AWS": "arn:aws:iam::*:role/Hello"})),
    # PR s3_bucket_cross_account_access_test.py test_bucket_policy_allow_multiple_other_accounts:
    # "arn:aws:iam::*:root".  PR: cross-account.  (moto accepted it; S3 rejects the policy.)
    ("pr-cross-account-wildcard-root", PRINCIPAL,
     S(principal={"AWS": "arn:aws:iam::*:root"}, action=["s3:PutEncryptionConfiguration", "s3:PutBucketPolicy"],
       resource="arn:aws:s3:::*")),
]  # fmt: skip


@pytest.mark.parametrize(("url", "statement"), [c[1:] for c in INVALID_CASES], ids=[c[0] for c in INVALID_CASES])
def test_other_tools_invalid_principal_is_refused(url: str, statement: dict) -> None:
    """A principal AWS's grammar does not allow is refused with an error naming the statement (url: see the case)."""
    with pytest.raises(PolicyDocumentError, match=r"Statement\[0\]"):
        _doc(statement)


# -- bucket audiences -------------------------------------------------------------------------------------------

Build = Callable[[Any], tuple[dict, ...]]
OFF: dict[str, bool] = {}


def _bucket(*statements: dict, acl: tuple[tuple[str, str], ...] = (), account_bpa: dict | None = OFF,
            bucket_bpa: dict | None = None, ownership: str = "absent") -> Build:  # fmt: skip
    """The bucket with ``statements`` as its policy (none: no policy) and ``acl`` grants; BPA dicts of settings on."""

    def build(aws: Any) -> tuple[dict, ...]:
        policy = aws.policy(*statements) if statements else "absent"
        grants = [aws.acl_grant(g, p) for g, p in acl]
        bpa = aws.bpa(**bucket_bpa) if bucket_bpa is not None else "absent"
        bucket = aws.bucket(policy=policy, acl=grants, bpa=bpa, ownership=ownership)
        return aws.base(bucket, account_bpa=aws.bpa(**account_bpa) if account_bpa is not None else "absent")

    return build


ALL_ON = {"BlockPublicAcls": True, "IgnorePublicAcls": True, "BlockPublicPolicy": True, "RestrictPublicBuckets": True}
DENY_UNENCRYPTED = S("Deny", action="s3:PutObject",
                     condition={"StringNotEquals": {"s3:x-amz-server-side-encryption": "aws:kms"}})  # fmt: skip

AUDIENCE_CASES: list[tuple[str, str, Build, str, dict[str, str]]] = [
    # PU policy01 / statement20: Principal "*" within 0.0.0.0/0: PU internet accessible.  The key may be absent
    # (IPv6 callers, calls made by services: KEYS), so seenby keeps it public and conditional.
    # PU policy01: 0.0.0.0/0 is every address: it narrows nothing, public for sure
    ("pu-policy01-open-cidr-is-public", KEYS + "#condition-keys-sourceip",
     _bucket(_if({"IpAddress": {"AWS:SourceIP": ["0.0.0.0/0"]}})), "read", {PUBLIC: SURE}),
    # PU test_evasion_policies: public unless the caller is 8.8.8.8 / sends that user agent: any caller avoids
    # both, public for sure
    ("pu-evasion-negated-conditions-public", OPERATORS,
     _bucket(S(principal={"AWS": "*"}, condition={"StringNotLike": {"aws:UserAgent": "|_(..)_|"},
                                                  "NotIpAddress": {"aws:SourceIp": "8.8.8.8"}})),
     "read", {PUBLIC: SURE}),
    # PU statement09_wildcard: aws:SourceOwner "*": present only on requests of a service acting for someone, so
    # any AWS service acting for any account (a critical class of its own, not anonymous callers)
    ("pu-statement09-wildcard-source-owner-any-service", KEYS + "#condition-keys-sourcearn",
     _bucket(_if({"StringLike": {"AWS:SourceOwner": "*"}})), "read", {SERVICES: SURE}),
    # PU statement07: ForAllValues with an absent key is true (MULTIVALUED): anonymous callers carry no
    # aws:SourceArn, so public for sure
    ("pu-statement07-forallvalues-public", MULTIVALUED,
     _bucket(_if({"ForAllValues:ARNEqualsIfExists": {"AWS:SourceArn": [f"arn:aws:iam::{OUTSIDE}:role/R"]}})),
     "read", {PUBLIC: SURE}),
    # PU statement15: everyone but one role's sessions: public, sure (an exclusion does not narrow "everyone")
    ("pu-statement15-not-userid-public", OPERATORS,
     _bucket(_if({"StringNotLike": {"AWS:userid": "AROAI1111111111111111:*"}})), "read", {PUBLIC: SURE}),
    # PU statement29 / policy06: aws:PrincipalOrgID: the organisation, not the internet
    ("pu-statement29-organization", KEYS + "#condition-keys-principalorgid",
     _bucket(_if({"StringEquals": {"AWS:PrincipalOrgID": ORG}})), "read", {ORG_NODE: SURE}),
    # PU statement30: aws:PrincipalOrgID "o-*": any principal of any organisation; not a fixed value (PUBLIC_MEANING),
    # so any authenticated principal can be in (create an organisation of one's own)
    ("pu-statement30-any-organization", KEYS + "#condition-keys-principalorgid",
     _bucket(_if({"StringLike": {"AWS:PrincipalOrgID": "o-*"}})), "read", {AUTH: SURE}),
    # PU statement01: Allow + NotPrincipal: everyone but the named account
    ("pu-statement01-not-principal-public", NOTPRINCIPAL, _bucket(S(not_principal={"AWS": [OUTSIDE_ROOT]})),
     "read", {PUBLIC: SURE}),
    # PU statement05: a service and an account, each its own grant
    ("pu-statement05-service-and-account", PRINCIPAL,
     _bucket(S(principal={"Service": "lambda.amazonaws.com", "AWS": OUTSIDE_ROOT})),
     "read", {"lambda.amazonaws.com": SURE, OUTSIDE_ROOT: SURE}),
    # PU statement16: Deny only: nobody
    ("pu-statement16-deny-only", DENYALLOW, _bucket(S("Deny")), "read", {}),
    # PR s3_bucket_public_access_test.py test_bucket_public_policy: Principal "*" s3:PutObject, BPA off
    ("pr-public-access-public-policy-write", PUBLIC_MEANING, _bucket(S(action="s3:PutObject")), "write",
     {PUBLIC: SURE}),
    # PR test_bucket_public_ACL: AllUsers READ, BPA off: public (ACL READ lists the bucket, ACL)
    ("pr-public-access-public-acl", ACL, _bucket(acl=((ALL_USERS, "READ"),)), "list", {PUBLIC: SURE}),
    # PR test_bucket_account_public_block: all four settings on at account level: nothing public
    ("pr-public-access-account-block-policy", BPA_SETTINGS, _bucket(S(), account_bpa=ALL_ON), "read", {ROOT: SURE}),
    ("pr-public-access-account-block-acl", BPA_SETTINGS, _bucket(acl=((ALL_USERS, "READ"),), account_bpa=ALL_ON),
     "list", {}),
    # PR test_bucket_public_block: account off, bucket all on: not public
    ("pr-public-access-bucket-block-policy", BPA_SETTINGS, _bucket(S(), bucket_bpa=ALL_ON), "read", {ROOT: SURE}),
    ("pr-public-access-bucket-block-acl", BPA_SETTINGS, _bucket(acl=((ALL_USERS, "READ"),), bucket_bpa=ALL_ON),
     "list", {}),
    # PR s3_bucket_policy_public_write_access_test.py test_bucket_public_write_policy
    ("pr-public-write-policy", PUBLIC_MEANING, _bucket(S(action="s3:PutObject"), ownership="BucketOwnerEnforced"),
     "write", {PUBLIC: SURE}),
    # PR test_bucket_comply_policy: Deny-only policy: no public write
    ("pr-public-write-deny-only", DENYALLOW, _bucket(DENY_UNENCRYPTED, ownership="BucketOwnerEnforced"), "write", {}),
    # PR test_bucket_policy_but_account_RestrictPublicBuckets / _bucket_RestrictPublicBuckets: the public write is cut
    ("pr-public-write-account-restrict-public-buckets", BPA_SETTINGS,
     _bucket(S(action="s3:PutObject"), account_bpa={"RestrictPublicBuckets": True}), "write", {ROOT: SURE}),
    ("pr-public-write-bucket-restrict-public-buckets", BPA_SETTINGS,
     _bucket(S(action="s3:PutObject"), bucket_bpa={"RestrictPublicBuckets": True}), "write", {ROOT: SURE}),
    # PR test_bucket_public_get_asterisk_policy: Principal "*" s3:Get*: no public write, but public read
    ("pr-public-write-get-star-no-write", PUBLIC_MEANING, _bucket(S(action="s3:Get*")), "write", {}),
    ("pr-public-write-get-star-reads", PUBLIC_MEANING, _bucket(S(action="s3:Get*")), "read", {PUBLIC: SURE}),
    # PR s3_bucket_cross_account_access_test.py test_bucket_policy_allow_delete: {"AWS": "*"} s3:DeleteBucketPolicy
    # on arn:aws:s3:::*.  PR: cross-account access.  AWS: DeleteBucketPolicy is refused (405) to any identity outside
    # the bucket owner's account, whatever the policy says (DELETE_POLICY); so the statement lets in exactly the
    # owner account's principals.  AWS documentation decides.
    ("pr-cross-account-delete-policy-owner-only-disagrees", DELETE_POLICY,
     _bucket(S(principal={"AWS": "*"}, action="s3:DeleteBucketPolicy", resource="arn:aws:s3:::*")),
     "admin", {ROOT: SURE}),
    # the same fact for PutBucketPolicy named for another account (PUT_POLICY)
    ("pr-cross-account-put-policy-named-account-refused", PUT_POLICY,
     _bucket(S(principal={"AWS": OUTSIDE}, action="s3:PutBucketPolicy", resource=BUCKET)), "admin", {}),
    # ... while PutBucketAcl, which S3 does allow across accounts, keeps the other account (ACL)
    ("pr-cross-account-put-acl-named-account", ACL,
     _bucket(S(principal={"AWS": OUTSIDE}, action="s3:PutBucketAcl", resource=BUCKET)), "admin",
     {OUTSIDE_ROOT: SURE}),
    # PR test_bucket_policy_allow_same_account: the own account's root: delegates to IAM, no cross-account grant
    ("pr-cross-account-same-account-root", PRINCIPAL,
     _bucket(S(principal={"AWS": ROOT}, action="s3:DeleteBucketPolicy", resource="arn:aws:s3:::*")), "admin", {}),
    # PR test_bucket_no_policy: no policy, private ACL: nobody outside
    ("pr-cross-account-no-policy", CROSS, _bucket(), "read", {}),
    # SS s3-bucket-AllUsers-{read,write,read_acp,write_acp}: each ACL permission of AllUsers (ACL)
    ("ss-allusers-read", ACL, _bucket(acl=((ALL_USERS, "READ"),)), "list", {PUBLIC: SURE}),
    ("ss-allusers-write", ACL, _bucket(acl=((ALL_USERS, "WRITE"),)), "write", {PUBLIC: SURE}),
    ("ss-allusers-read-acp", ACL, _bucket(acl=((ALL_USERS, "READ_ACP"),)), "list", {PUBLIC: SURE}),
    ("ss-allusers-write-acp", ACL, _bucket(acl=((ALL_USERS, "WRITE_ACP"),)), "admin", {PUBLIC: SURE}),
    # SS s3-bucket-AuthenticatedUsers-*: any AWS account
    ("ss-authenticated-users-read", ACL, _bucket(acl=((AUTH_USERS, "READ"),)), "list", {AUTH: SURE}),
    ("ss-authenticated-users-write", ACL, _bucket(acl=((AUTH_USERS, "WRITE"),)), "write", {AUTH: SURE}),
    ("ss-authenticated-users-full-control", ACL, _bucket(acl=((AUTH_USERS, "FULL_CONTROL"),)), "admin",
     {AUTH: SURE}),
    # SS s3-bucket-world-policy-star / -Get-policy / -Put-policy / -Delete-policy / -List-policy
    ("ss-world-policy-star-read", PUBLIC_MEANING, _bucket(S(action="s3:*", resource=[BUCKET, OBJ])), "read",
     {PUBLIC: SURE}),
    # (admin stays public through s3:PutBucketAcl, which S3 allows to anyone a policy allows; Put/DeleteBucketPolicy
    # are kept to the owner account, PUT_POLICY)
    ("ss-world-policy-star-admin-through-acl", ACL, _bucket(S(action="s3:*", resource=[BUCKET, OBJ])), "admin",
     {PUBLIC: SURE}),
    ("ss-world-get-policy", PUBLIC_MEANING, _bucket(S(action="s3:GetObject")), "read", {PUBLIC: SURE}),
    ("ss-world-put-policy", PUBLIC_MEANING, _bucket(S(action="s3:PutObject")), "write", {PUBLIC: SURE}),
    ("ss-world-delete-policy", PUBLIC_MEANING, _bucket(S(action="s3:DeleteObject")), "write", {PUBLIC: SURE}),
    ("ss-world-list-policy", PUBLIC_MEANING, _bucket(S(action="s3:ListBucket", resource=BUCKET)), "list",
     {PUBLIC: SURE}),
    # AA: a grant to an account outside the organisation is external; to the organisation it is inside the zone of
    # trust; to AuthenticatedUsers it is public in Access Analyzer's words, "any AWS account" in seenby's
    ("aa-outside-account-external", ZONE_OF_TRUST, _bucket(S(principal={"AWS": OUTSIDE})), "read",
     {OUTSIDE_ROOT: SURE}),
    ("aa-organization-zone-of-trust", ZONE_OF_TRUST, _bucket(_if({"StringEquals": {"aws:PrincipalOrgID": ORG}})),
     "read", {ORG_NODE: SURE}),
    ("aa-authenticated-users-acl", ZONE_OF_TRUST, _bucket(acl=((AUTH_USERS, "READ"),)), "list", {AUTH: SURE}),
]  # fmt: skip


@pytest.mark.parametrize(("url", "build", "level", "expected"), [c[1:] for c in AUDIENCE_CASES],
                         ids=[c[0] for c in AUDIENCE_CASES])  # fmt: skip
def test_other_tools_bucket_audience(aws: Any, url: str, build: Build, level: str, expected: dict) -> None:
    """Another tool's verdict on a bucket, as the bucket's audience at ``level`` (url: the AWS page that decides)."""
    assert aws.audience(aws.evaluate(*build(aws)), "b", level) == expected


# -- KMS key policies (policyuniverse statement23: kms:CallerAccount + kms:ViaService name the account) -----------



def _key_for_caller_account(via: str) -> Build:
    """A bucket encrypted with a key whose policy lets any principal of OUTSIDE use it through ``via``."""

    def build(aws: Any) -> tuple[dict, ...]:
        key_policy = aws.policy(
            S(principal={"AWS": ROOT}, action="kms:*", resource="*"),
            S(principal="*", action="kms:*", resource="*",
              condition={"StringEquals": {"kms:ViaService": via, "kms:CallerAccount": OUTSIDE}}),
        )  # fmt: skip
        bucket = aws.bucket(policy=aws.policy(S(principal={"AWS": OUTSIDE})), encryption=aws.key_arn())
        return aws.base(bucket, aws.kms_key(key_policy=key_policy), account_bpa=aws.bpa())

    return build


KMS_CASES: list[tuple[str, str, Build, dict[str, str]]] = [
    # PU statement23 restated on S3: the key is usable by the account kms:CallerAccount names, through S3
    ("pu-statement23-caller-account-via-s3", KMS_VIA, _key_for_caller_account("s3.eu-west-1.amazonaws.com"),
     {OUTSIDE_ROOT: SURE}),
    # PU statement23 as written (through Lightsail): S3's own KMS calls do not match, the object stays unreadable
    ("pu-statement23-caller-account-via-lightsail", KMS_VIA,
     _key_for_caller_account("lightsail.us-east-1.amazonaws.com"), {}),
]  # fmt: skip


@pytest.mark.parametrize(("url", "build", "expected"), [c[1:] for c in KMS_CASES], ids=[c[0] for c in KMS_CASES])
def test_other_tools_kms_caller_account(aws: Any, url: str, build: Build, expected: dict[str, str]) -> None:
    """A key policy's kms:CallerAccount names who may decrypt, kms:ViaService through which service (url)."""
    assert aws.audience(aws.evaluate(*build(aws)), "b", "read") == expected


# -- role assumption and permissions boundaries (PMapper, ScoutSuite) ------------------------------------------

JUMP = f"arn:aws:iam::{ACCT}:role/JumpRole"
USER1, USER2 = f"arn:aws:iam::{ACCT}:user/asdf1", f"arn:aws:iam::{ACCT}:user/asdf2"
S3_READ_ONLY = "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess"
ASSUME_JUMP = f"arn:aws:iam::{ACCT}:policy/AssumeJumpRole"
EMPTY = f"arn:aws:iam::{ACCT}:policy/EmptyPolicy"


def _trust(principal: Any, condition: dict | None = None) -> dict:
    s: dict[str, Any] = {"Effect": "Allow", "Principal": principal, "Action": "sts:AssumeRole"}
    if condition:
        s["Condition"] = condition
    return {"Version": "2012-10-17", "Statement": [s]}


TRUST_CASES: list[tuple[str, str, dict, dict[str, str]]] = [
    # SS iam-assume-role-policy-allows-all: {"AWS": "*"}: any authenticated principal (anonymous cannot call STS)
    ("ss-assume-role-allows-all", TRUST, _trust({"AWS": "*"}), {AUTH: SURE}),
    # SS iam-assume-role-lacks-external-id-and-mfa: another account, no condition: a sure edge
    ("ss-assume-role-no-external-id", TRUST, _trust({"AWS": OUTSIDE}), {OUTSIDE_ROOT: SURE}),
    # ... with sts:ExternalId / MFA: the edge stays, conditional (the request decides)
    # ScoutSuite flags these trusts as narrowed; by the documented keys they narrow nobody: the caller sends
    # the external ID, and a person of that account signs in with MFA (seenby's condition-key families)
    ("ss-assume-role-with-external-id", TRUST, _trust({"AWS": OUTSIDE}, {"StringEquals": {"sts:ExternalId": "x"}}),
     {OUTSIDE_ROOT: SURE}),
    ("ss-assume-role-with-mfa", TRUST, _trust({"AWS": OUTSIDE}, {"Bool": {"aws:MultiFactorAuthPresent": "true"}}),
     {OUTSIDE_ROOT: SURE}),
    # PM test_resource_policy_evaluation.py test_iam_assume_role, trust_doc_2: another account's root only
    ("pm-trust-other-account-root", TRUST, _trust({"AWS": OUTSIDE_ROOT}), {OUTSIDE_ROOT: SURE}),
]  # fmt: skip


@pytest.mark.parametrize(("url", "trust", "expected"), [c[1:] for c in TRUST_CASES], ids=[c[0] for c in TRUST_CASES])
def test_other_tools_trust_edges(aws: Any, url: str, trust: dict, expected: dict[str, str]) -> None:
    """Another tool's verdict on who may assume a role, as CAN_ASSUME edges into it (url: see the case)."""
    ev = aws.evaluate(*aws.base(roles=(aws.role("JumpRole", trust=trust),)))
    assert aws.edges_into(ev, JUMP) == expected


def _world(trust: dict | None, users: Callable[[Any], tuple[dict, ...]]) -> Build:
    """JumpRole (reads ``b``) under ``trust``, the users, and three managed policies used as boundaries."""

    def build(aws: Any) -> tuple[dict, ...]:
        policies = (
            aws.managed(S3_READ_ONLY, aws.policy(aws.idstmt(action=["s3:Get*", "s3:List*"], resource="*"))),
            aws.managed(ASSUME_JUMP, aws.policy(aws.idstmt(action="sts:AssumeRole", resource=JUMP))),
            aws.managed(EMPTY, {"Version": "2012-10-17", "Statement": []}),
        )
        roles = (aws.role("JumpRole", trust=trust, inline=(aws.policy(aws.idstmt()),)),) if trust else ()
        return aws.base(aws.bucket(), users=users(aws), roles=roles, policies=policies, account_bpa=aws.bpa())

    return build


def _user(name: str, *actions: str, boundary: str | None = None) -> Callable[[Any], tuple[dict, ...]]:
    def users(aws: Any) -> tuple[dict, ...]:
        inline = (aws.policy(*(aws.idstmt(action=a, resource="*") for a in actions)),) if actions else ()
        return (aws.user(name, inline=inline, boundary=boundary),)

    return users


REACH_CASES: list[Any] = [
    # PM test_iam_assume_role: trust names the own account root, the user's policy allows sts:AssumeRole: it may
    # assume (TRUST: naming the account delegates to its identity policies)
    ("pm-trust-own-root-plus-identity-allow", TRUST, _world(_trust({"AWS": ROOT}), _user("asdf1", "sts:AssumeRole")),
     "read", USER1, SURE),
    # PM: trust names another account, the same-account user's own Allow is not enough
    ("pm-trust-other-root-identity-allow-not-enough", CROSS,
     _world(_trust({"AWS": OUTSIDE_ROOT}), _user("asdf1", "sts:AssumeRole")), "read", USER1, None),
    # PM: trust names the own account root, the user has no sts:AssumeRole: it may not
    ("pm-trust-own-root-without-identity-allow", TRUST,
     _world(_trust({"AWS": ROOT}), _user("asdf2", "ec2:DescribeInstances")), "read", USER2, None),
    # PM test_permissions_boundaries.py test_permissions_boundary_no_resource_policy: admin policy, S3 read-only
    # boundary: reads, does not write (BOUNDARIES)
    ("pm-boundary-s3-read-only-reads", BOUNDARIES, _world(None, _user("asdf1", "*", boundary=S3_READ_ONLY)),
     "read", USER1, SURE),
    ("pm-boundary-s3-read-only-no-write", BOUNDARIES, _world(None, _user("asdf1", "*", boundary=S3_READ_ONLY)),
     "write", USER1, None),
    # PM test_permissions_boundary_with_resource_policy, user 1: admin policy, boundary allowing only
    # sts:AssumeRole on JumpRole, trust names the own account root: may assume
    ("pm-boundary-allows-assume-via-account", BOUNDARIES,
     _world(_trust({"AWS": [USER2, ROOT]}), _user("asdf1", "*", boundary=ASSUME_JUMP)), "read", USER1, SURE),
    # ... user 1's boundary keeps it from reading the bucket directly: only through the role
    ("pm-boundary-blocks-direct-read", BOUNDARIES,
     _world(None, _user("asdf1", "*", boundary=ASSUME_JUMP)), "read", USER1, None),
    # PM test_permissions_boundary_with_resource_policy, user 2: no policies, empty boundary, named in the trust
    # policy itself: may assume (a boundary does not cap a resource-policy Allow naming the user, DENYALLOW)
    ("pm-empty-boundary-user-named-in-trust", DENYALLOW,
     _world(_trust({"AWS": [USER2, ROOT]}), _user("asdf2", boundary=EMPTY)), "read", USER2, SURE),
]  # fmt: skip


@pytest.mark.parametrize(("url", "build", "level", "principal", "expected"),
                         [pytest.param(*c[1:], id=c[0]) for c in REACH_CASES])  # fmt: skip
def test_other_tools_reach_through_roles(aws: Any, url: str, build: Build, level: str, principal: str,
                                         expected: str | None) -> None:  # fmt: skip
    """Another tool's verdict on whether a user reaches the bucket (directly or through a role), as the graph's
    audience of ``b`` shows that user (url: see the case)."""
    reach = graph_audience(build_graph(aws.evaluate(*build(aws))), BUCKET, AccessLevel(level))
    shown = {r.principal.id: COND if r.conditional else SURE for r in reach}
    assert shown.get(principal) == expected


def test_why_names_the_owner_account_rule(aws: Any) -> None:
    """`seenby why` says S3 refuses DeleteBucketPolicy outside the owner account, not that a policy is missing
    (DELETE_POLICY; the Prowler cross-account case above)."""
    snap = aws.snapshot(*_bucket(S(principal={"AWS": "*"}, action="s3:DeleteBucketPolicy", resource=BUCKET))(aws))
    ev = evaluate(snap)
    report = explain(snap, ev, build_graph(ev), PUBLIC, BUCKET, AccessLevel.ADMIN)
    (action,) = [a for a in report.actions if a.action == "s3:DeleteBucketPolicy" and not a.via]
    assert (action.answer, "owner's account" in action.reason) == (Answer.NOT_ALLOWED, True)
