"""Bucket policies end to end: who gets READ on bucket ``b`` of account 111122223333 (org o-a1b2c3d4e5).

Each case names the AWS page that states the rule.
"""

from __future__ import annotations

from typing import Any

import pytest

ACCT, OTHER, OUTSIDE, ORG = "111122223333", "444455556666", "999988887777", "o-a1b2c3d4e5"
PUBLIC, AUTH, ORG_NODE = "aws:public", "aws:authenticated", f"aws-org:{ORG}"
OTHER_ROOT, OUTSIDE_ROOT, ROOT = (f"arn:aws:iam::{a}:root" for a in (OTHER, OUTSIDE, ACCT))
OBJ = "arn:aws:s3:::b/*"
PRINCIPAL = "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_principal.html"
NOTPRINCIPAL = "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_notprincipal.html"
ORGID = "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-principalorgid"
LOGIC = "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html"
CROSS = "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic-cross-account.html"
ELEMENTS = "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_notaction.html"
RESOURCE = "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_notresource.html"


def S(
    effect: str = "Allow", principal: Any = "*", action: Any = "s3:GetObject", resource: Any = OBJ, **kw: Any
) -> dict:
    s: dict[str, Any] = {"Effect": effect, "Action": action, "Resource": resource}
    if "not_principal" in kw:
        s["NotPrincipal"] = kw.pop("not_principal")
    else:
        s["Principal"] = principal
    if "not_action" in kw:
        s["NotAction"] = kw.pop("not_action")
        del s["Action"]
    if "not_resource" in kw:
        s["NotResource"] = kw.pop("not_resource")
        del s["Resource"]
    if "condition" in kw:
        s["Condition"] = kw.pop("condition")
    return s


SURE, COND = "sure", "conditional"

CASES: list[tuple[str, str, list[dict], dict[str, str]]] = [
    ("public-star", PRINCIPAL, [S()], {PUBLIC: SURE}),
    ("public-aws-star", PRINCIPAL, [S(principal={"AWS": "*"})], {PUBLIC: SURE}),
    ("org-id", ORGID, [S(condition={"StringEquals": {"aws:PrincipalOrgID": ORG}})], {ORG_NODE: SURE}),
    ("org-id-ignore-case-operator", ORGID, [S(condition={"StringEqualsIgnoreCase": {"aws:PrincipalOrgID": ORG}})],
     {ORG_NODE: SURE}),
    ("partner-org", ORGID, [S(condition={"StringEquals": {"aws:PrincipalOrgID": "o-partner123"}})],
     {"aws-org:o-partner123": SURE}),
    ("principal-account-key", ORGID, [S(condition={"StringEquals": {"aws:PrincipalAccount": OTHER}})],
     {OTHER_ROOT: SURE}),
    ("account-id-principal", PRINCIPAL, [S(principal={"AWS": OTHER})], {OTHER_ROOT: SURE}),
    ("account-root-outside", PRINCIPAL, [S(principal={"AWS": OUTSIDE_ROOT})], {OUTSIDE_ROOT: SURE}),
    ("own-account-root-delegates", PRINCIPAL, [S(principal={"AWS": ROOT})], {}),
    ("external-role", CROSS, [S(principal={"AWS": f"arn:aws:iam::{OUTSIDE}:role/partner"})],
     {f"arn:aws:iam::{OUTSIDE}:role/partner": SURE}),
    ("external-session", PRINCIPAL, [S(principal={"AWS": f"arn:aws:sts::{OUTSIDE}:assumed-role/partner/s1"})],
     {f"arn:aws:sts::{OUTSIDE}:assumed-role/partner/s1": SURE}),
    # a fixed network narrows "*" to the callers from it
    ("source-ip-narrows-to-network", LOGIC, [S(condition={"IpAddress": {"aws:SourceIp": "203.0.113.0/24"}})],
     {"aws-network:203.0.113.0/24": SURE}),
    ("vpce-narrows-to-network", LOGIC, [S(condition={"StringEquals": {"aws:SourceVpce": "vpce-1a2b"}})],
     {"aws-network:vpce-1a2b": SURE}),
    ("deny-all-wins", LOGIC, [S(), S("Deny")], {}),
    ("deny-star-action", LOGIC, [S(), S("Deny", action="s3:*", resource=["arn:aws:s3:::b", OBJ])], {}),
    # a Deny on a property the caller chooses (TLS) removes nobody
    ("deny-insecure-transport-removes-nobody", LOGIC,
     [S(), S("Deny", condition={"Bool": {"aws:SecureTransport": "false"}})], {PUBLIC: SURE}),
    # a Deny on a key seenby does not model might apply: the grant stays, conditional
    ("deny-unmodelled-condition-kept", LOGIC,
     [S(), S("Deny", condition={"StringEquals": {"s3:ExistingJobOperation": "S3PutObjectCopy"}})], {PUBLIC: COND}),
    ("deny-partial-prefix-kept", LOGIC, [S(), S("Deny", resource="arn:aws:s3:::b/secret/*")], {PUBLIC: SURE}),
    ("deny-outside-org", ORGID,
     [S(), S("Deny", condition={"StringNotEquals": {"aws:PrincipalOrgID": ORG}})], {ORG_NODE: SURE}),
    ("string-not-equals-org-is-public", ORGID, [S(condition={"StringNotEquals": {"aws:PrincipalOrgID": ORG}})],
     {PUBLIC: SURE}),
    ("org-paths-ou", ORGID,
     [S(condition={"ForAnyValue:StringLike": {"aws:PrincipalOrgPaths": f"{ORG}/r-ab12/ou-ab12-11111111/*"}})],
     {f"aws-ou:{ORG}/r-ab12/ou-ab12-11111111/": SURE}),
    ("principal-arn-like-other-account", ORGID,
     [S(condition={"ArnLike": {"aws:PrincipalArn": f"arn:aws:iam::{OTHER}:role/etl-*"}})], {OTHER_ROOT: SURE}),
    ("principal-arn-equals-role", ORGID,
     [S(condition={"ArnEquals": {"aws:PrincipalArn": f"arn:aws:iam::{OUTSIDE}:role/x"}})],
     {f"arn:aws:iam::{OUTSIDE}:role/x": SURE}),
    ("not-principal-allow-is-public", NOTPRINCIPAL, [S(not_principal={"AWS": OTHER_ROOT})], {PUBLIC: SURE}),
    # listing an account's root exempts its root user alone: the account's other principals are checked as themselves
    ("not-principal-deny-exempts-the-root-user", NOTPRINCIPAL, [S(), S("Deny", not_principal={"AWS": OTHER_ROOT})],
     {f"aws-root-user:{OTHER}": SURE}),
    ("not-principal-deny-user-without-account", NOTPRINCIPAL,
     [S(principal={"AWS": f"arn:aws:iam::{OUTSIDE}:user/bob"}),
      S("Deny", not_principal={"AWS": f"arn:aws:iam::{OUTSIDE}:user/bob"})],
     {f"arn:aws:iam::{OUTSIDE}:user/bob": COND}),
    ("not-principal-deny-user-and-account", NOTPRINCIPAL,
     [S(principal={"AWS": f"arn:aws:iam::{OUTSIDE}:user/bob"}),
      S("Deny", not_principal={"AWS": [f"arn:aws:iam::{OUTSIDE}:user/bob", OUTSIDE_ROOT]})],
     {f"arn:aws:iam::{OUTSIDE}:user/bob": SURE}),
    ("not-action-allow", ELEMENTS, [S(action=None, not_action="s3:Delete*")], {PUBLIC: SURE}),
    ("not-action-excludes-get", ELEMENTS, [S(action=None, not_action="s3:Get*")], {}),
    ("not-resource-allow", RESOURCE, [S(resource=None, not_resource="arn:aws:s3:::other/*")], {PUBLIC: SURE}),
    ("not-resource-excludes-bucket", RESOURCE, [S(resource=None, not_resource="arn:aws:s3:::b/*")], {}),
    ("bucket-arn-is-not-objects", "https://docs.aws.amazon.com/AmazonS3/latest/userguide/s3-arn-format.html",
     [S(resource="arn:aws:s3:::b")], {}),
    ("object-prefix-counts", "https://docs.aws.amazon.com/AmazonS3/latest/userguide/s3-arn-format.html",
     [S(resource="arn:aws:s3:::b/public/*")], {PUBLIC: SURE}),
    ("resource-star", RESOURCE, [S(resource="*")], {PUBLIC: SURE}),
    ("action-s3-star", "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_action.html",
     [S(action="s3:*")], {PUBLIC: SURE}),
    ("action-case-insensitive", "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_action.html",
     [S(action="S3:GETOBJECT")], {PUBLIC: SURE}),
    ("get-object-version-reads", "https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazons3.html",
     [S(action="s3:GetObjectVersion")], {PUBLIC: SURE}),
    ("put-only-is-not-read", "https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazons3.html",
     [S(action="s3:PutObject")], {}),
    ("unknown-operator-conditional", "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html",
     [S(condition={"StringMatchesRegex": {"aws:PrincipalOrgID": "o-.*"}})], {PUBLIC: COND}),
    ("principal-tag-on-class", "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-principaltag",
     [S(condition={"StringEquals": {"aws:PrincipalOrgID": ORG, "aws:PrincipalTag/team": "ml"}})], {ORG_NODE: SURE}),
]  # fmt: skip


@pytest.mark.parametrize(("statements", "expected"), [c[2:] for c in CASES], ids=[c[0] for c in CASES])
def test_bucket_policy_read_audience(aws: Any, statements: list[dict], expected: dict[str, str]) -> None:
    """The READ audience of a bucket policy is exactly the documented one (source: see the case table)."""
    ev = aws.evaluate(*aws.base(aws.bucket(policy=aws.policy(*statements)), account_bpa=aws.bpa()))
    assert aws.audience(ev) == expected


def test_evidence_quotes_statement_as_written(aws: Any) -> None:
    """A grant's evidence is the statement exactly as written, with index and Sid."""
    st = S(condition={"StringEquals": {"aws:PrincipalOrgID": ORG}})
    st["Sid"] = "ReadForOrg"
    ev = aws.evaluate(*aws.base(aws.bucket(policy=aws.policy(S("Deny", resource="arn:aws:s3:::x/*"), st))))
    (g,) = aws.grants_of(ev)
    assert (g.evidence[0].location, g.evidence[0].sid, g.evidence[0].source) == ("Statement[1]", "ReadForOrg",
                                                                                 "arn:aws:s3:::b")  # fmt: skip


def test_unknown_condition_names_its_keys(aws: Any) -> None:
    """A conditional grant shows the condition as written and the keys that would decide it."""
    cond = {"StringEquals": {"s3:ExistingJobOperation": "S3PutObjectCopy"}}
    ev = aws.evaluate(*aws.base(aws.bucket(policy=aws.policy(S(condition=cond)))))
    (g,) = aws.grants_of(ev)
    (c,) = g.conditions
    assert (c.keys, c.text) == (
        ("s3:ExistingJobOperation",), '{"StringEquals": {"s3:ExistingJobOperation": "S3PutObjectCopy"}}'
    )


# -- same account vs cross account (CROSS) ---------------------------------------------------

ROLE_OTHER = f"arn:aws:iam::{OTHER}:role/etl"
USER_SAME = f"arn:aws:iam::{ACCT}:user/alice"


def _other_account(aws: Any, *, allow: bool) -> dict:
    inline = (aws.policy(aws.idstmt(resource=OBJ)),) if allow else ()
    return aws.account(OTHER, roles=(aws.role("etl", OTHER, inline=inline),))


def test_cross_account_needs_identity_allow(aws: Any) -> None:
    """Cross-account: the bucket policy alone is not enough when the caller's account says nothing."""
    pol = aws.policy(S(principal={"AWS": ROLE_OTHER}))
    ev = aws.evaluate(*aws.base(aws.bucket(policy=pol), _other_account(aws, allow=False)))
    assert aws.audience(ev) == {}


def test_cross_account_both_allow(aws: Any) -> None:
    """Cross-account: bucket policy and the caller's identity policy both allow -> grant."""
    pol = aws.policy(S(principal={"AWS": ROLE_OTHER}))
    ev = aws.evaluate(*aws.base(aws.bucket(policy=pol), _other_account(aws, allow=True)))
    assert aws.audience(ev) == {ROLE_OTHER: SURE}
    (g,) = aws.grants_of(ev)
    assert [e.kind.value for e in g.evidence] == ["resource-policy", "identity-policy"]


def test_cross_account_identity_alone_is_not_enough(aws: Any) -> None:
    """Cross-account: an identity Allow without a bucket policy grants nothing."""
    ev = aws.evaluate(*aws.base(aws.bucket(), _other_account(aws, allow=True)))
    assert aws.audience(ev) == {}


def test_same_account_resource_policy_alone(aws: Any) -> None:
    """Same account: a bucket policy naming the user suffices without an identity policy."""
    pol = aws.policy(S(principal={"AWS": USER_SAME}))
    ev = aws.evaluate(*aws.base(aws.bucket(policy=pol), users=(aws.user("alice"),)))
    assert aws.audience(ev) == {USER_SAME: SURE}


def test_same_account_identity_alone(aws: Any) -> None:
    """Same account: an identity Allow suffices without a bucket policy."""
    ev = aws.evaluate(*aws.base(aws.bucket(), users=(aws.user("alice", inline=(aws.policy(aws.idstmt()),)),)))
    assert aws.audience(ev) == {USER_SAME: SURE}


def test_same_account_identity_deny_beats_resource_allow(aws: Any) -> None:
    """An explicit Deny in the identity policy beats the bucket policy's Allow."""
    pol = aws.policy(S(principal={"AWS": USER_SAME}))
    deny = aws.policy(aws.idstmt(effect="Deny", action="s3:*", resource="*"))
    ev = aws.evaluate(*aws.base(aws.bucket(policy=pol), users=(aws.user("alice", inline=(deny,)),)))
    assert aws.audience(ev) == {}


def test_group_deny_applies_to_member(aws: Any) -> None:
    """A Deny in a group's policy applies to its members' own Allows."""
    deny = aws.policy(aws.idstmt(effect="Deny", action="s3:GetObject", resource="*"))
    users = (aws.user("alice", groups=("g",), inline=(aws.policy(aws.idstmt()),)),)
    ev = aws.evaluate(*aws.base(aws.bucket(), users=users, groups=(aws.group("g", inline=(deny,)),)))
    assert aws.audience(ev) == {}
