"""``aws:ResourceTag/*`` and ``s3:BucketTag/*`` on an S3 general purpose bucket, decided from its tags.

S3 evaluates both keys against the bucket's tags, for bucket and object requests alike, only once ABAC is enabled
on the bucket, and ABAC is off by default (https://docs.aws.amazon.com/AmazonS3/latest/userguide/buckets-tagging.html,
https://docs.aws.amazon.com/AmazonS3/latest/userguide/buckets-tagging-enable-abac.html): with ABAC off the keys are
absent from the request context.  The scan reads the tags (GetBucketTagging) and, only where a policy tests them,
the ABAC status (GetBucketAbac, https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetBucketAbac.html).  With the
status, a condition is decided from it; without it (not read, denied, no status given) a condition is decided where
both cases give the same answer, and stays conditional otherwise.  A key missing from
the request makes a positive operator false and a negated one true
(https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html).
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.aws.cases import COND, PUBLIC, SURE, S

BUCKET_TAGS = "https://docs.aws.amazon.com/AmazonS3/latest/userguide/buckets-tagging.html"
OPERATORS = "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html"
ACCESS_POINT_TAGS = "https://docs.aws.amazon.com/AmazonS3/latest/userguide/access-points-tagging.html"
GET_BUCKET_ABAC = "https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetBucketAbac.html"

PROD = {"env": "prod"}
CASES = [
    # (id, url, tags on the bucket, statements, expected READ audience)
    ("allow-on-a-tag-the-bucket-lacks-opens-nothing", OPERATORS, {},
     [S(condition={"StringEquals": {"aws:ResourceTag/env": "prod"}})], {}),
    ("allow-on-another-value-opens-nothing", OPERATORS, {"env": "dev"},
     [S(condition={"StringEquals": {"aws:ResourceTag/env": "prod"}})], {}),
    ("allow-on-the-bucket-tag-depends-on-abac", BUCKET_TAGS, PROD,
     [S(condition={"StringEquals": {"aws:ResourceTag/env": "prod"}})], {PUBLIC: COND}),
    ("bucket-tag-key-alike", BUCKET_TAGS, PROD,
     [S(condition={"StringEquals": {"s3:BucketTag/env": "prod"}})], {PUBLIC: COND}),
    ("deny-on-another-value-removes-nobody", OPERATORS, {"env": "dev"},
     [S(), S("Deny", condition={"StringEquals": {"aws:ResourceTag/env": "prod"}})], {PUBLIC: SURE}),
    ("deny-unless-tagged-removes-everyone-from-an-untagged-bucket", OPERATORS, {},
     [S(), S("Deny", condition={"StringNotEquals": {"aws:ResourceTag/env": "prod"}})], {}),
    ("deny-unless-tagged-on-a-tagged-bucket-depends-on-abac", BUCKET_TAGS, PROD,
     [S(), S("Deny", condition={"StringNotEquals": {"aws:ResourceTag/env": "prod"}})], {PUBLIC: COND}),
    ("tag-keys-compare-case-insensitively", BUCKET_TAGS, {"Env": "dev"},
     [S(condition={"StringEquals": {"aws:ResourceTag/env": "prod"}})], {}),
]


@pytest.mark.parametrize(("url", "tags", "statements", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_bucket_tag_condition(aws: Any, url: str, tags: dict, statements: list[dict], expected: dict) -> None:
    """A bucket-tag condition is decided where ABAC on and off agree, conditional where they differ (``url``)."""
    bucket = aws.bucket(policy=aws.policy(*statements), tags=tags or aws.ABSENT)
    assert aws.audience(aws.evaluate(*aws.base(bucket, account_bpa=aws.bpa()))) == expected, url


@pytest.mark.parametrize("outcome", ["denied", "error"])
def test_unread_tags_leave_the_condition_conditional(aws: Any, outcome: str) -> None:
    """Tags that could not be read decide nothing: the grant stays conditional (fail closed); https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html"""
    bucket = aws.bucket(policy=aws.policy(S(condition={"StringEquals": {"aws:ResourceTag/env": "prod"}})),
                        tags=outcome)  # fmt: skip
    assert aws.audience(aws.evaluate(*aws.base(bucket, account_bpa=aws.bpa()))) == {PUBLIC: COND}


def test_undecided_reason_names_the_abac_status(aws: Any) -> None:
    """The conditional grant says it is the bucket's ABAC status that the scan does not know; https://docs.aws.amazon.com/AmazonS3/latest/userguide/buckets-tagging.html"""
    bucket = aws.bucket(policy=aws.policy(S(condition={"StringEquals": {"aws:ResourceTag/env": "prod"}})), tags=PROD)
    [grant] = aws.grants_of(aws.evaluate(*aws.base(bucket, account_bpa=aws.bpa())), "b")
    assert "ABAC" in grant.conditions[0].reason


def test_decided_tag_condition_is_on_the_evidence(aws: Any) -> None:
    """A Deny decided from the bucket's tags (same answer with ABAC on or off) is recorded as a resource key; https://docs.aws.amazon.com/AmazonS3/latest/userguide/buckets-tagging.html"""
    statements = [S(), S("Deny", condition={"StringEquals": {"aws:ResourceTag/env": "prod"}})]
    bucket = aws.bucket(policy=aws.policy(*statements), tags={"env": "dev"})
    ev = aws.evaluate(*aws.base(bucket, account_bpa=aws.bpa()))
    [grant] = aws.grants_of(ev, "b")
    assert (grant.conditional, grant.principal.id) == (False, PUBLIC)


def test_two_buckets_of_one_account_are_decided_by_their_own_tags(aws: Any) -> None:
    """Each bucket's tag conditions use its own tags, not another bucket's of the same account; https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html"""
    allow = aws.policy(S(resource="arn:aws:s3:::*/*", condition={"StringEquals": {"aws:ResourceTag/env": "prod"}}))
    tagged = aws.bucket("tagged", policy=allow, tags=PROD)
    plain = aws.bucket("plain", policy=allow, tags={"env": "dev"})
    ev = aws.evaluate(*aws.base(tagged, plain, account_bpa=aws.bpa()))
    assert (aws.audience(ev, "tagged"), aws.audience(ev, "plain")) == ({PUBLIC: COND}, {})


def test_resource_tag_through_an_access_point_stays_conditional(aws: Any) -> None:
    """On a request through an access point aws:ResourceTag may be the access point's tags, which the scan does not
    read: a bucket policy testing a tag the bucket lacks decides nothing there;
    https://docs.aws.amazon.com/AmazonS3/latest/userguide/access-points-tagging.html"""
    ap = f"arn:aws:s3:eu-west-1:{aws.ACCT}:accesspoint/analytics"
    delegate = aws.stmt(principal={"AWS": "*"}, action="*", resource=["arn:aws:s3:::b", "arn:aws:s3:::b/*"],
                        condition={"StringEquals": {"s3:DataAccessPointAccount": aws.ACCT,
                                                    "aws:ResourceTag/env": "prod"}})  # fmt: skip
    point_policy = aws.policy(aws.stmt(principal="*", resource=f"{ap}/object/*"))
    point = {"Name": "analytics", "NetworkOrigin": "Internet", "Bucket": "b", "AccessPointArn": ap,
             "BucketAccountId": aws.ACCT, "PolicyStatus": {"IsPublic": False}, "Policy": json.dumps(point_policy)}
    bucket = aws.bucket(policy=aws.policy(delegate), tags={"env": "dev"})
    bucket["reads"]["access_points"] = aws.read("s3control:ListAccessPoints", {"AccessPointList": [point]})
    assert aws.audience(aws.evaluate(*aws.base(bucket, account_bpa=aws.bpa()))) == {PUBLIC: COND}


def _abac(status: str | None) -> dict[str, Any]:
    """GetBucketAbac's response as boto3 parses it (``AbacStatus.Status``: Enabled | Disabled), or no status."""
    return {"AbacStatus": {"Status": status} if status else {}}


ABAC_CASES = [
    # (id, ABAC read document or outcome, tags, statements, expected READ audience)
    ("enabled-allow-on-the-bucket-tag-opens", _abac("Enabled"), PROD,
     [S(condition={"StringEquals": {"aws:ResourceTag/env": "prod"}})], {PUBLIC: SURE}),
    ("disabled-allow-on-the-bucket-tag-opens-nothing", _abac("Disabled"), PROD,
     [S(condition={"StringEquals": {"aws:ResourceTag/env": "prod"}})], {}),
    ("enabled-bucket-tag-key-alike", _abac("Enabled"), PROD,
     [S(condition={"StringEquals": {"s3:BucketTag/env": "prod"}})], {PUBLIC: SURE}),
    ("disabled-bucket-tag-key-alike", _abac("Disabled"), PROD,
     [S(condition={"StringEquals": {"s3:BucketTag/env": "prod"}})], {}),
    ("enabled-deny-unless-tagged-removes-nobody", _abac("Enabled"), PROD,
     [S(), S("Deny", condition={"StringNotEquals": {"aws:ResourceTag/env": "prod"}})], {PUBLIC: SURE}),
    ("disabled-deny-unless-tagged-removes-everyone", _abac("Disabled"), PROD,
     [S(), S("Deny", condition={"StringNotEquals": {"aws:ResourceTag/env": "prod"}})], {}),
    ("enabled-null-false-holds", _abac("Enabled"), PROD,
     [S(condition={"Null": {"aws:ResourceTag/env": "false"}})], {PUBLIC: SURE}),
    ("no-status-given-stays-conditional", _abac(None), PROD,
     [S(condition={"StringEquals": {"aws:ResourceTag/env": "prod"}})], {PUBLIC: COND}),
    ("denied-read-stays-conditional", "denied", PROD,
     [S(condition={"StringEquals": {"aws:ResourceTag/env": "prod"}})], {PUBLIC: COND}),
    ("error-read-stays-conditional", "error", PROD,
     [S(condition={"StringEquals": {"aws:ResourceTag/env": "prod"}})], {PUBLIC: COND}),
]


@pytest.mark.parametrize(("abac", "tags", "statements", "expected"), [c[1:] for c in ABAC_CASES],
                         ids=[c[0] for c in ABAC_CASES])  # fmt: skip
def test_bucket_tag_condition_with_the_abac_status(
    aws: Any, abac: Any, tags: dict, statements: list[dict], expected: dict
) -> None:
    """With GetBucketAbac's status read, the tag keys are the bucket's tags (Enabled) or absent (Disabled); an
    unread status, or a response without one, leaves the condition as without the read (fail closed)."""
    bucket = aws.bucket(policy=aws.policy(*statements), tags=tags)
    bucket["reads"]["abac"] = aws.read("s3:GetBucketAbac", abac)
    assert aws.audience(aws.evaluate(*aws.base(bucket, account_bpa=aws.bpa()))) == expected, GET_BUCKET_ABAC
