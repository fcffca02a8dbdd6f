"""Condition operators, one documented rule per case.

Source: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html
and https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-single-vs-multi-valued-context-keys.html
"""

from __future__ import annotations

import pytest

from seenby.policies.aws.conditions import Tri, evaluate_condition
from seenby.policies.aws.context import ABSENT, Known, Opaque, RequestContext, Unknown

CTX = RequestContext(
    values={
        "aws:PrincipalOrgID": Known(("o-a1b2c3d4e5",)),
        "aws:PrincipalArn": Known(("arn:aws:iam::111122223333:role/ml-training",)),
        "aws:username": Known(("alice",)),
        "aws:SourceIp": Known(("203.0.113.7",)),
        "aws:MultiFactorAuthAge": Known(("300",)),
        "aws:CurrentTime": Known(("2026-11-23T09:00:00Z",)),
        "aws:SecureTransport": Known(("true",)),
        "aws:TagKeys": Known(("team", "cost")),
        "aws:PrincipalOrgPaths": Known(("o-a1b2c3d4e5/r-ab12/ou-ab12-1111/",)),
        "s3:x-amz-content-sha256": Known(("UNSIGNED-PAYLOAD",)),
        "aws:EmptyList": Known(()),
        "aws:RequestKey": Unknown("a property of each request"),
        "aws:Missing": ABSENT,
    },
    principal_tags={"team": "ml"},
)

T, F, U = Tri.TRUE, Tri.FALSE, Tri.UNKNOWN

CASES = [
    # (id, condition, expected)
    ("string-equals", {"StringEquals": {"aws:PrincipalOrgID": "o-a1b2c3d4e5"}}, T),
    ("string-equals-other", {"StringEquals": {"aws:PrincipalOrgID": "o-zzzz"}}, F),
    ("string-equals-case-sensitive", {"StringEquals": {"aws:username": "Alice"}}, F),
    ("string-values-ored", {"StringEquals": {"aws:username": ["bob", "alice"]}}, T),
    ("string-not-equals", {"StringNotEquals": {"aws:username": "bob"}}, T),
    ("string-not-equals-any-listed", {"StringNotEquals": {"aws:username": ["bob", "alice"]}}, F),
    ("string-equals-ignore-case", {"StringEqualsIgnoreCase": {"aws:username": "ALICE"}}, T),
    ("string-not-equals-ignore-case", {"StringNotEqualsIgnoreCase": {"aws:username": "ALICE"}}, F),
    ("string-like-star", {"StringLike": {"aws:username": "al*"}}, T),
    ("string-like-question", {"StringLike": {"aws:username": "al?ce"}}, T),
    ("string-not-like", {"StringNotLike": {"aws:username": "b*"}}, T),
    ("numeric-less-than", {"NumericLessThan": {"aws:MultiFactorAuthAge": "3600"}}, T),
    ("numeric-greater-than", {"NumericGreaterThan": {"aws:MultiFactorAuthAge": "3600"}}, F),
    ("numeric-equals", {"NumericEquals": {"aws:MultiFactorAuthAge": 300}}, T),
    ("numeric-not-equals", {"NumericNotEquals": {"aws:MultiFactorAuthAge": 300}}, F),
    ("numeric-le", {"NumericLessThanEquals": {"aws:MultiFactorAuthAge": "300"}}, T),
    ("numeric-ge", {"NumericGreaterThanEquals": {"aws:MultiFactorAuthAge": "301"}}, F),
    ("numeric-malformed-is-unknown", {"NumericLessThan": {"aws:MultiFactorAuthAge": "soon"}}, U),
    ("date-less-than", {"DateLessThan": {"aws:CurrentTime": "2027-01-01T00:00:00Z"}}, T),
    ("date-greater-than", {"DateGreaterThan": {"aws:CurrentTime": "2027-01-01T00:00:00Z"}}, F),
    ("date-epoch", {"DateGreaterThan": {"aws:CurrentTime": "1700000000"}}, T),
    ("date-equals", {"DateEquals": {"aws:CurrentTime": "2026-11-23T09:00:00Z"}}, T),
    ("date-not-equals", {"DateNotEquals": {"aws:CurrentTime": "2026-11-23T09:00:00Z"}}, F),
    ("bool-true", {"Bool": {"aws:SecureTransport": "true"}}, T),
    ("bool-json-false", {"Bool": {"aws:SecureTransport": False}}, F),
    ("binary-equals", {"BinaryEquals": {"s3:x-amz-content-sha256": "UNSIGNED-PAYLOAD"}}, T),
    ("ip-in-cidr", {"IpAddress": {"aws:SourceIp": "203.0.113.0/24"}}, T),
    ("ip-not-in-cidr", {"IpAddress": {"aws:SourceIp": "198.51.100.0/24"}}, F),
    ("not-ip-address", {"NotIpAddress": {"aws:SourceIp": "198.51.100.0/24"}}, T),
    ("ip-malformed-is-unknown", {"IpAddress": {"aws:SourceIp": "not-an-ip"}}, U),
    ("arn-like", {"ArnLike": {"aws:PrincipalArn": "arn:aws:iam::111122223333:role/*"}}, T),
    ("arn-equals", {"ArnEquals": {"aws:PrincipalArn": "arn:aws:iam::111122223333:role/ml-training"}}, T),
    ("arn-not-like", {"ArnNotLike": {"aws:PrincipalArn": "arn:aws:iam::111122223333:role/*"}}, F),
    ("arn-not-equals", {"ArnNotEquals": {"aws:PrincipalArn": "arn:aws:iam::999988887777:role/x"}}, T),
    ("arn-like-other-account", {"ArnLike": {"aws:PrincipalArn": "arn:aws:iam::999988887777:*"}}, F),
    ("null-true-on-absent", {"Null": {"aws:Missing": "true"}}, T),
    ("null-false-on-present", {"Null": {"aws:username": "false"}}, T),
    ("null-true-on-present", {"Null": {"aws:username": "true"}}, F),
    ("null-on-unknown", {"Null": {"aws:RequestKey": "true"}}, U),
    ("absent-positive-false", {"StringEquals": {"aws:Missing": "x"}}, F),
    ("absent-negated-true", {"StringNotEquals": {"aws:Missing": "x"}}, T),
    ("absent-not-ip-true", {"NotIpAddress": {"aws:Missing": "10.0.0.0/8"}}, T),
    ("absent-arn-not-like-true", {"ArnNotLike": {"aws:Missing": "arn:*"}}, T),
    ("if-exists-absent-true", {"StringEqualsIfExists": {"aws:Missing": "x"}}, T),
    ("if-exists-present-evaluates", {"StringEqualsIfExists": {"aws:username": "bob"}}, F),
    ("for-any-value-match", {"ForAnyValue:StringEquals": {"aws:TagKeys": ["team"]}}, T),
    ("for-any-value-no-match", {"ForAnyValue:StringEquals": {"aws:TagKeys": ["owner"]}}, F),
    ("for-any-value-absent-false", {"ForAnyValue:StringEquals": {"aws:Missing": ["x"]}}, F),
    ("for-any-value-empty-false", {"ForAnyValue:StringEquals": {"aws:EmptyList": ["x"]}}, F),
    ("for-all-values-subset", {"ForAllValues:StringEquals": {"aws:TagKeys": ["team", "cost", "owner"]}}, T),
    ("for-all-values-not-subset", {"ForAllValues:StringEquals": {"aws:TagKeys": ["team"]}}, F),
    ("for-all-values-absent-true", {"ForAllValues:StringEquals": {"aws:Missing": ["x"]}}, T),
    (
        "for-any-value-string-like-paths",
        {"ForAnyValue:StringLike": {"aws:PrincipalOrgPaths": "o-a1b2c3d4e5/r-ab12/*"}},
        T,
    ),
    ("principal-tag-known", {"StringEquals": {"aws:PrincipalTag/team": "ml"}}, T),
    ("principal-tag-missing-absent", {"StringEquals": {"aws:PrincipalTag/cost": "x"}}, F),
    ("policy-variable-resolved", {"StringEquals": {"aws:username": "${aws:username}"}}, T),
    ("policy-variable-unresolved", {"StringEquals": {"aws:username": "${aws:PrincipalTag/nope}x"}}, U),
    ("request-key-unknown", {"IpAddress": {"aws:RequestKey": "10.0.0.0/8"}}, U),
    ("unmodelled-operator-unknown", {"StringStartsWith": {"aws:username": "a"}}, U),
    ("keys-anded-false-wins", {"StringEquals": {"aws:username": "alice", "aws:PrincipalOrgID": "o-x"}}, F),
    ("operators-anded-unknown", {"StringEquals": {"aws:username": "alice"}, "Bool": {"aws:RequestKey": "true"}}, U),
    ("false-beats-unknown", {"StringEquals": {"aws:username": "bob"}, "Bool": {"aws:RequestKey": "true"}}, F),
    ("empty-condition-true", {}, T),
]


@pytest.mark.parametrize(("condition", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_condition_operator(condition: dict, expected: Tri) -> None:
    """Each operator family decides as the IAM condition-operator page documents."""
    from seenby.policies.aws.document import _condition

    normalised = _condition(condition, source="test", where="Statement[0]")
    assert evaluate_condition(normalised, CTX).value is expected


OPAQUE = RequestContext(
    values={
        "aws:PrincipalOrgID": Known(("o-a1b2c3d4e5",)),
        "aws:PrincipalAccount": Opaque("*"),
        "aws:PrincipalOrgPaths": Opaque("o-a1b2c3d4e5/*"),
        "aws:PrincipalArn": Opaque("arn:aws:iam::111122223333:*"),
    }
)

OPAQUE_CASES = [
    ("literal-account-other", {"StringEquals": {"aws:PrincipalAccount": "444455556666"}}, F),
    ("negated-literal-true", {"StringNotEquals": {"aws:PrincipalAccount": "444455556666"}}, T),
    ("wildcard-covers", {"ForAnyValue:StringLike": {"aws:PrincipalOrgPaths": "o-a1b2c3d4e5/*"}}, T),
    # a wildcard value some members match is not a fixed value (S3 Block Public Access): those members are in
    ("wildcard-some-members-match", {"ForAnyValue:StringLike": {"aws:PrincipalOrgPaths": "o-a1b2c3d4e5/r-ab12/ou-1/*"}},
     T),
    ("wildcard-disjoint", {"ForAnyValue:StringLike": {"aws:PrincipalOrgPaths": "o-other/*"}}, F),
    ("arn-like-same-account-some-match", {"ArnLike": {"aws:PrincipalArn": "arn:aws:iam::111122223333:role/a*"}}, T),
    ("arn-like-other-account-never", {"ArnLike": {"aws:PrincipalArn": "arn:aws:iam::999988887777:role/*"}}, F),
    ("numeric-on-class-unknown", {"NumericEquals": {"aws:PrincipalAccount": "1"}}, U),
    ("null-present", {"Null": {"aws:PrincipalAccount": "true"}}, F),
]


@pytest.mark.parametrize(("condition", "expected"), [c[1:] for c in OPAQUE_CASES], ids=[c[0] for c in OPAQUE_CASES])
def test_condition_on_a_class_of_principals(condition: dict, expected: Tri) -> None:
    """A class compares as "some other value": literals never match, wildcards some members match hold."""
    from seenby.policies.aws.document import _condition

    assert evaluate_condition(_condition(condition, source="t", where="s"), OPAQUE).value is expected


def test_deny_on_a_wildcard_some_members_avoid() -> None:
    """In a Deny, a wildcard identity value not every member matches removes nobody: the others avoid it."""
    from seenby.policies.aws.document import _condition

    wildcard = {"ArnLike": {"aws:PrincipalArn": "arn:aws:iam::111122223333:role/a*"}}
    condition = _condition(wildcard, source="t", where="s")
    assert evaluate_condition(condition, OPAQUE, allow=False).value is F


def test_unknown_part_names_key_and_reason() -> None:
    """An undecided condition names the key that would decide it."""
    from seenby.policies.aws.document import _condition

    condition = _condition({"StringEquals": {"s3:ExistingJobOperation": "S3PutObjectCopy"}}, source="t", where="s")
    outcome = evaluate_condition(condition, RequestContext())
    assert outcome.value is U
    assert outcome.keys == ("s3:ExistingJobOperation",)
    assert "not in seenby's condition-key catalogue" in outcome.reason
