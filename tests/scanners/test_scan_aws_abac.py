"""GetBucketAbac is read only where a bucket's ABAC status can change a verdict, and its answer decides tag keys.

S3 puts a general purpose bucket's tags in the request context (``aws:ResourceTag/*``, ``s3:BucketTag/*``) only
when ABAC is enabled on it (https://docs.aws.amazon.com/AmazonS3/latest/userguide/buckets-tagging-enable-abac.html);
GetBucketAbac returns ``AbacStatus.Status`` Enabled | Disabled
(https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetBucketAbac.html).  moto 5.2 does not serve the call (it
answers 200 with no status): that path runs live; Enabled and a denial are answered at the HTTP layer with
bodies shaped like the API reference.
"""

from __future__ import annotations

import json

import pytest

from seenby.model import AccessLevel, ReadOutcome
from seenby.policies import evaluate
from seenby.scanners.aws import scan_aws
from seenby.scanners.aws.s3 import bucket_tags_tested
from tests.scanners.helpers import http_fault, policy, s3_error, scan_config

TAGGED = "tagged-bucket"
PLAIN = "plain-bucket"
TESTS_TAGS = {
    "Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::{TAGGED}/*",
    "Condition": {"StringEquals": {"aws:ResourceTag/env": "prod"}},
}  # fmt: skip
ENABLED = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<AbacStatus xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Status>Enabled</Status></AbacStatus>'
)


def _seed(client, *, bucket_policy: dict | None = TESTS_TAGS, tags: bool = True) -> None:
    s3 = client("s3")
    s3.create_bucket(Bucket=TAGGED)
    s3.create_bucket(Bucket=PLAIN)
    if tags:
        s3.put_bucket_tagging(Bucket=TAGGED, Tagging={"TagSet": [{"Key": "env", "Value": "prod"}]})
    if bucket_policy is not None:
        s3.put_bucket_policy(Bucket=TAGGED, Policy=policy(bucket_policy))
    s3.put_public_access_block(
        Bucket=TAGGED,
        PublicAccessBlockConfiguration={
            "BlockPublicAcls": False, "IgnorePublicAcls": False, "BlockPublicPolicy": False,
            "RestrictPublicBuckets": False,
        },
    )  # fmt: skip


def _sent(session) -> list[str]:
    sent: list[str] = []
    event = "provide-client-params.s3.GetBucketAbac"  # the call's own parameters, once per call
    session.events.register(event, lambda params, **_: sent.append(params.get("Bucket")))
    return sent


def _bucket(snapshot, name):
    return next(r for r in snapshot.of_type("aws.s3.bucket") if r.name == name)


def _public_read(snapshot) -> list[bool]:
    """Whether each anonymous READ grant on the tagged bucket is conditional."""
    ev = evaluate(snapshot)
    return [
        g.conditional for g in ev.grants
        if g.dataset == f"arn:aws:s3:::{TAGGED}" and g.level is AccessLevel.READ and g.principal.id == "aws:public"
    ]  # fmt: skip


def test_abac_is_read_only_for_the_tagged_bucket_whose_policy_tests_its_tags(session, endpoint, client):
    """One GetBucketAbac, for the tagged bucket whose policy tests aws:ResourceTag; none for the plain bucket."""
    _seed(client)
    sent = _sent(session)

    snapshot = scan_aws(scan_config(session, endpoint))

    assert sent == [TAGGED]
    assert "abac" not in _bucket(snapshot, PLAIN).reads


def test_no_abac_read_when_no_policy_tests_tags(session, endpoint, client):
    """A tagged bucket no policy tests the tags of costs no GetBucketAbac (issue 17's budget)."""
    _seed(client, bucket_policy={**TESTS_TAGS, "Condition": {"Bool": {"aws:SecureTransport": "true"}}})
    sent = _sent(session)

    scan_aws(scan_config(session, endpoint))

    assert sent == []


def test_no_abac_read_for_an_untagged_bucket(session, endpoint, client):
    """A bucket with no tags: every tag key is absent whatever the status, so it is not read."""
    _seed(client, tags=False)
    sent = _sent(session)

    scan_aws(scan_config(session, endpoint))

    assert sent == []


def test_identity_policy_testing_bucket_tags_makes_the_status_worth_reading(session, endpoint, client):
    """An identity policy of the account testing s3:BucketTag (read in the same scan) makes GetBucketAbac worth it."""
    _seed(client, bucket_policy=None)
    iam = client("iam")
    iam.create_user(UserName="analyst")
    statement = {"Effect": "Allow", "Action": "s3:*", "Resource": "*",
                 "Condition": {"StringEquals": {"s3:BucketTag/env": "prod"}}}  # fmt: skip
    iam.put_user_policy(UserName="analyst", PolicyName="tagged", PolicyDocument=json.dumps(
        {"Version": "2012-10-17", "Statement": [statement]}))  # fmt: skip
    sent = _sent(session)

    scan_aws(scan_config(session, endpoint))

    assert sent == [TAGGED]


def test_status_moto_does_not_give_leaves_the_grant_conditional(session, endpoint, client):
    """moto answers GetBucketAbac without a status: the read is ok, the tag condition stays conditional."""
    _seed(client)

    snapshot = scan_aws(scan_config(session, endpoint))

    assert _bucket(snapshot, TAGGED).read("abac").ok
    assert _public_read(snapshot) == [True]


def test_denied_abac_read_is_a_gap_and_leaves_the_grant_conditional(session, endpoint, client):
    """AccessDenied on GetBucketAbac: a denied read, a coverage gap of the bucket, the grant conditional."""
    _seed(client)
    http_fault(session, "before-send.s3.GetBucketAbac", status=403, body=s3_error("AccessDenied"), when=TAGGED)

    snapshot = scan_aws(scan_config(session, endpoint))

    assert _bucket(snapshot, TAGGED).read("abac").outcome is ReadOutcome.DENIED
    assert (f"arn:aws:s3:::{TAGGED}", "abac") in {(g.resource, g.read) for g in evaluate(snapshot).gaps}
    assert _public_read(snapshot) == [True]


def test_enabled_status_decides_the_tag_condition(session, endpoint, client):
    """AbacStatus Enabled: aws:ResourceTag/env is the bucket's tag "prod", so the Allow opens the bucket, decided."""
    _seed(client)
    http_fault(session, "before-send.s3.GetBucketAbac", status=200, body=ENABLED, when=TAGGED)

    snapshot = scan_aws(scan_config(session, endpoint))

    assert _bucket(snapshot, TAGGED).document("abac") == {"AbacStatus": {"Status": "Enabled"}}
    assert _public_read(snapshot) == [False]


_TAG_TEST = {"StringEquals": {"aws:ResourceTag/env": "prod"}}
STATEMENT_CASES = [
    # (id, documents as the scan holds them, whether they test an S3 bucket's tags)
    ("bucket-policy-as-json-text", [{"Policy": policy({**TESTS_TAGS})}], True),
    ("gaad-inline-policy", [{"UserDetailList": [{"UserPolicyList": [{"PolicyDocument": {
        "Statement": [{"Effect": "Allow", "Action": "s3:Get*", "Resource": "*", "Condition": _TAG_TEST}]}}]}]}],
     True),
    ("scp-content-as-json-text", [{"Policies": [{"Content": json.dumps({"Statement": {
        "Effect": "Deny", "NotAction": "iam:*", "Resource": "*", "Condition": _TAG_TEST}})}]}], True),
    ("bucket-tag-key-lowercase", [{"Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*",
                                                   "Condition": {"StringEquals": {"s3:buckettag/env": "x"}}}]}], True),
    ("ec2-only-statement", [{"Statement": [{"Effect": "Allow", "Action": "ec2:*", "Resource": "*",
                                             "Condition": _TAG_TEST}]}], False),
    ("other-keys-only", [{"Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*",
                                          "Condition": {"StringEquals": {"aws:PrincipalTag/env": "x"}}}]}], False),
]  # fmt: skip


@pytest.mark.parametrize(("documents", "expected"), [c[1:] for c in STATEMENT_CASES],
                         ids=[c[0] for c in STATEMENT_CASES])  # fmt: skip
def test_which_policies_test_bucket_tags(documents: list, expected: bool) -> None:
    """A statement that may cover an S3 action and tests aws:ResourceTag/* or s3:BucketTag/* (keys compare
    case-insensitively) makes the ABAC status worth reading, wherever the scan holds it;
    https://docs.aws.amazon.com/AmazonS3/latest/userguide/buckets-tagging-enable-abac.html"""
    assert bucket_tags_tested(documents) is expected
