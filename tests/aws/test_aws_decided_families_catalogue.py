"""Issue 14's "Done when", driven by the catalogue: no grant to ``"*"`` (or to a class) whose conditions all fall in
decided families is reported conditional.

Every key of every decided family of ``policies/aws/data/condition_keys.yaml`` (a prefix key with a made-up
suffix), with a representative value and the operator its type takes
(https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html), is put
on a bucket policy of bucket ``b`` (no tags, Block Public Access off): in an Allow to ``"*"`` and to another
account (a class: every principal of 999988887777), and in a Deny beside an unconditional Allow to them.  Each
grant on the bucket must come out decided, whatever its audience (the family's rule, with its page, is in the
catalogue entry and docs/aws-semantics.md).  A key added to a decided family is covered here with no edit, and a
key the evaluator cannot decide fails here until its family or the evaluator is fixed.
"""

from __future__ import annotations

from typing import Any

import pytest

from seenby.model import ConditionFamily
from seenby.policies.condition_catalogue import KeyEntry, aws_catalogue
from tests.aws.cases import OBJ, ORG, OUTSIDE, S

DECIDED = [e for e in aws_catalogue().entries if e.family is not ConditionFamily.UNMODELLED]

# Condition operators and a value for each key type (the key's type is on its documentation page).
_IP = frozenset({"aws:sourceip", "aws:vpcsourceip", "aws:ec2instancesourceprivateipv4"})
_BOOL = frozenset({
    "aws:securetransport", "aws:multifactorauthpresent", "aws:principalisawsservice", "aws:viaawsservice",
    "aws:assumedroot", "kms:grantisforawsresource", "kms:bypasspolicylockoutsafetycheck", "kms:multiregion",
    "lakeformation:enabledonlyformetadataaccess",
})  # fmt: skip
_NUMBER = frozenset({
    "aws:multifactorauthage", "aws:epochtime", "s3:signatureage", "s3:max-keys", "sts:durationseconds",
    "s3:object-lock-remaining-retention-days",
})  # fmt: skip
_DATE = frozenset({"aws:currenttime", "aws:tokenissuetime", "s3:object-lock-retain-until-date"})
_ARN = frozenset({"aws:principalarn", "aws:sourcearn", "aws:sourcevpcarn", "s3:dataaccesspointarn"})
_ARN_VALUES = {
    "aws:principalarn": f"arn:aws:iam::{OUTSIDE}:role/reader",
    "aws:sourcearn": f"arn:aws:cloudtrail:eu-west-1:{OUTSIDE}:trail/t",
    "aws:sourcevpcarn": f"arn:aws:ec2:eu-west-1:{OUTSIDE}:vpc/vpc-0a1b2c3d",
    "s3:dataaccesspointarn": f"arn:aws:s3:eu-west-1:{OUTSIDE}:accesspoint/ap",
}
_STRING_VALUES = {
    "aws:principalaccount": OUTSIDE, "aws:sourceaccount": OUTSIDE, "aws:resourceaccount": OUTSIDE,
    "s3:resourceaccount": OUTSIDE, "kms:callerAccount".lower(): OUTSIDE, "aws:vpceaccount": OUTSIDE,
    "s3:dataaccesspointaccount": OUTSIDE, "aws:sourceowner": OUTSIDE,
    # the snapshot's organisation: whether an account it cannot place belongs to an organisation it has never
    # seen is not in the snapshot (that one stays conditional: a caller property it does not record)
    "aws:principalorgid": ORG, "aws:sourceorgid": ORG, "aws:resourceorgid": ORG, "aws:vpceorgid": ORG,
    "aws:sourcevpce": "vpce-0a1b2c3d", "aws:sourcevpc": "vpc-0a1b2c3d", "aws:ec2instancesourcevpc": "vpc-0a1b2c3d",
    "aws:securetransport": "true", "s3:prefix": "reports/", "s3:accesspointnetworkorigin": "VPC",
}  # fmt: skip


def condition_for(entry: KeyEntry) -> dict[str, dict[str, str]]:
    """One condition block testing ``entry``'s key with a representative value of its type."""
    key = entry.key.replace("*", "k") if entry.is_prefix else entry.key
    k = entry.key.lower()
    if k in _IP:
        return {"IpAddress": {key: "203.0.113.0/24"}}
    if k in _BOOL:
        return {"Bool": {key: "true"}}
    if k in _NUMBER:
        return {"NumericLessThan": {key: "3600"}} if k != "aws:epochtime" else {"NumericGreaterThan": {key: "1"}}
    if k in _DATE:
        return {"DateGreaterThan": {key: "2020-01-01T00:00:00Z"}}
    if k in _ARN:
        return {"ArnLike": {key: _ARN_VALUES[k]}}
    if k.endswith(("orgpaths",)):
        return {"ForAnyValue:StringLike": {key: "o-zzzzzzzzzz/r-ab12/ou-ab12-11111111/*"}}
    return {"StringEquals": {key: _STRING_VALUES.get(k, "v")}}


PRINCIPALS = {"public": "*", "other-account": {"AWS": OUTSIDE}}
CASES = [
    pytest.param(entry, shape, name, id=f"{entry.family.value}:{entry.key}:{shape}:{name}")
    for entry in DECIDED
    for shape in ("allow", "deny")
    for name in PRINCIPALS
]


def _statements(entry: KeyEntry, shape: str, principal: Any) -> list[dict]:
    condition = condition_for(entry)
    actions = ["s3:GetObject", "s3:ListBucket", "s3:PutObject"]
    resources = ["arn:aws:s3:::b", OBJ]
    if shape == "allow":
        return [S(principal=principal, action=actions, resource=resources, condition=condition)]
    return [S(principal=principal, action=actions, resource=resources),
            S("Deny", principal="*", action="s3:*", resource=resources, condition=condition)]  # fmt: skip


@pytest.mark.parametrize(("entry", "shape", "name"), CASES)
def test_decided_family_key_gives_no_conditional_grant(aws: Any, entry: KeyEntry, shape: str, name: str) -> None:
    """A key of a decided family, in an Allow or a Deny, leaves no grant on the bucket conditional (its page:
    the catalogue entry's ``doc``)."""
    statements = _statements(entry, shape, PRINCIPALS[name])
    ev = aws.evaluate(*aws.base(aws.bucket(policy=aws.policy(*statements)), account_bpa=aws.bpa()))
    undecided = {
        (g.principal.id, g.level.value, c.reason) for g in ev.grants if g.dataset == "arn:aws:s3:::b"
        for c in g.conditions
    }  # fmt: skip
    assert undecided == set(), entry.doc


KEY_ID = "1234abcd-12ab-34cd-56ef-1234567890ab"
# on a request to KMS aws:ResourceTag/* is the key's tags, which the scan does not read (ListResourceTags)
KEY_TAGS_NOT_READ = pytest.mark.xfail(strict=True, reason="the scan does not read KMS key tags")
KMS_CASES = [
    pytest.param(entry, shape, id=f"{entry.family.value}:{entry.key}:{shape}",
                 marks=KEY_TAGS_NOT_READ if entry.key == "aws:ResourceTag/*" else ())
    for entry in DECIDED for shape in ("allow", "deny")
]  # fmt: skip
KEY_METADATA = {"KeySpec": "SYMMETRIC_DEFAULT", "KeyUsage": "ENCRYPT_DECRYPT", "Origin": "AWS_KMS",
                "MultiRegion": False}  # fmt: skip


@pytest.mark.parametrize(("entry", "shape"), KMS_CASES)
def test_decided_family_key_in_the_key_policy_gives_no_conditional_grant(
    aws: Any, entry: KeyEntry, shape: str
) -> None:
    """The same keys in the key policy of the customer managed key a public bucket is encrypted with (the KMS layer of
    every read, https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-overview.html): no conditional grant.
    The key's own keys (kms:KeySpec …) come from DescribeKey's KeyMetadata."""
    key = aws.kms_key(KEY_ID, key_policy=aws.policy(*_key_statements(entry, shape)))
    key["reads"]["metadata"]["document"]["KeyMetadata"].update(KEY_METADATA)
    bucket = aws.bucket(policy=aws.policy(S(action="s3:GetObject")), encryption=aws.key_arn(KEY_ID))
    ev = aws.evaluate(*aws.base(bucket, key, account_bpa=aws.bpa()))
    undecided = {(g.principal.id, g.level.value, c.reason) for g in ev.grants if g.dataset == "arn:aws:s3:::b"
                 for c in g.conditions}  # fmt: skip
    assert undecided == set(), entry.doc


def _key_statements(entry: KeyEntry, shape: str) -> list[dict]:
    allow = {"Effect": "Allow", "Principal": "*", "Action": "kms:Decrypt", "Resource": "*"}
    deny = {"Effect": "Deny", "Principal": "*", "Action": "kms:*", "Resource": "*", "Condition": condition_for(entry)}
    return [{**allow, "Condition": condition_for(entry)}] if shape == "allow" else [allow, deny]
