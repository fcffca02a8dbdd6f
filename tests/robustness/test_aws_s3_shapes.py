"""S3 bucket layers in every valid shape GetBucketAcl, GetBucketOwnershipControls, GetBucketEncryption,
GetBucketLocation and GetBucketTagging return (botocore's s3 service model, 2006-03-01)."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote

import pytest

ACCT, OUTSIDE = "111122223333", "999988887777"
ROLE = f"arn:aws:iam::{ACCT}:role/ml-training"
KEY_ID = "1234abcd-12ab-34cd-56ef-1234567890ab"
ACL = "https://docs.aws.amazon.com/AmazonS3/latest/API/API_Grantee.html"
OWNERSHIP = "https://docs.aws.amazon.com/AmazonS3/latest/userguide/about-object-ownership.html"
ENCRYPTION = "https://docs.aws.amazon.com/AmazonS3/latest/API/API_ServerSideEncryptionByDefault.html"
LOCATION = "https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetBucketLocation.html"
GAAD = "https://docs.aws.amazon.com/IAM/latest/APIReference/API_GetAccountAuthorizationDetails.html"


def _ev(aws: Any, *extra: Any, roles: tuple = (), **bucket: Any) -> Any:
    return aws.evaluate(*aws.base(aws.bucket(**bucket), *extra, roles=roles))


def test_acl_email_grantee_is_not_dropped(aws: Any) -> None:
    """An ``AmazonCustomerByEmail`` grantee (ACL) is an AWS account: its READ grant lists the bucket for someone."""
    grant = {"Grantee": {"Type": "AmazonCustomerByEmail", "EmailAddress": "data@partner.example"}, "Permission": "READ"}
    listers = aws.audience(_ev(aws, acl=[grant]), "b", "list")
    assert [p for p in listers if "partner.example" in p] != []


def test_acl_without_display_names(aws: Any) -> None:
    """Owner and grantees without ``DisplayName`` (optional in ACL; absent in most Regions) still grant."""
    acl = {"Owner": {"ID": aws.OWNER_ID}, "Grants": [
        {"Grantee": {"Type": "CanonicalUser", "ID": aws.OWNER_ID}, "Permission": "FULL_CONTROL"},
        {"Grantee": {"Type": "Group", "URI": aws.ALL_USERS}, "Permission": "READ"}]}  # fmt: skip
    assert aws.audience(_ev(aws, acl=acl), "b", "list").get(aws.PUBLIC) == "sure"


@pytest.mark.parametrize(
    ("ownership", "public_list"),
    [("ObjectWriter", "sure"), ("BucketOwnerPreferred", "sure"), ("BucketOwnerEnforced", None)],
)
def test_object_ownership_values(aws: Any, ownership: str, public_list: str | None) -> None:
    """Only ``BucketOwnerEnforced`` disables ACLs; ObjectWriter and BucketOwnerPreferred keep them (OWNERSHIP)."""
    ev = _ev(aws, acl=[aws.acl_grant(aws.ALL_USERS, "READ")], ownership=ownership)
    assert aws.audience(ev, "b", "list").get(aws.PUBLIC) == public_list


def test_ownership_controls_without_rules_keep_acls(aws: Any) -> None:
    """An OwnershipControls document with no rule sets no ownership: ACLs stay on (OWNERSHIP)."""
    ev = _ev(aws, acl=[aws.acl_grant(aws.ALL_USERS, "READ")], ownership={"OwnershipControls": {"Rules": []}})
    assert aws.audience(ev, "b", "list").get(aws.PUBLIC) == "sure"


def _encryption(algorithm: str, key: str | None, bucket_key: bool | None = True) -> dict[str, Any]:
    default: dict[str, Any] = {"SSEAlgorithm": algorithm}
    if key is not None:
        default["KMSMasterKeyID"] = key
    rule: dict[str, Any] = {"ApplyServerSideEncryptionByDefault": default}
    if bucket_key is not None:
        rule["BucketKeyEnabled"] = bucket_key
    return {"ServerSideEncryptionConfiguration": {"Rules": [rule]}}


def _kms_run(aws: Any, encryption: dict[str, Any]) -> dict[str, str]:
    """Public bucket policy; the key allows only its account's IAM; a role reads by IAM."""
    key_policy = aws.policy(aws.stmt(principal={"AWS": aws.ROOT}, action="kms:*", resource="*"))
    role = aws.role("ml-training", inline=(aws.policy(aws.idstmt(), aws.idstmt(action="kms:Decrypt", resource="*")),))
    ev = _ev(aws, aws.kms_key(key_policy=key_policy), roles=(role,), policy=aws.policy(aws.stmt()),
             encryption=encryption)  # fmt: skip
    return aws.audience(ev)


KEY_ARN = f"arn:aws:kms:eu-west-1:{ACCT}:key/{KEY_ID}"
KEY_REFS = [
    ("sse-kms-key-arn", _encryption("aws:kms", KEY_ARN)),
    ("sse-kms-key-id", _encryption("aws:kms", KEY_ID)),
    ("dsse-kms-key-arn", _encryption("aws:kms:dsse", KEY_ARN)),
    ("dsse-kms-key-id", _encryption("aws:kms:dsse", KEY_ID)),
    ("bucket-key-off", _encryption("aws:kms", KEY_ARN, bucket_key=False)),
    ("bucket-key-absent", _encryption("aws:kms", KEY_ARN, bucket_key=None)),
]


@pytest.mark.parametrize("encryption", [c[1] for c in KEY_REFS], ids=[c[0] for c in KEY_REFS])
def test_kms_key_reference_shapes(aws: Any, encryption: dict) -> None:
    """SSE-KMS and DSSE-KMS name their key by id or ARN alike; the key policy decides (ENCRYPTION): the
    public bucket policy reads nothing, the role enabled through the key's IAM statement reads."""
    assert _kms_run(aws, encryption) == {ROLE: "sure"}


@pytest.mark.parametrize("alias", ["alias/telemetry", f"arn:aws:kms:eu-west-1:{ACCT}:alias/telemetry"])
def test_kms_unresolvable_alias_keeps_grants_conditional(aws: Any, alias: str) -> None:
    """A key named by an alias seenby cannot resolve (ENCRYPTION allows alias name and alias ARN) is an unknown
    layer: the public policy's read stays for every signed caller, conditional, never "no access" (anonymous
    callers never read SSE-KMS objects: https://docs.aws.amazon.com/AmazonS3/latest/userguide/UsingKMSEncryption.html)."""
    audience = _kms_run(aws, _encryption("aws:kms", alias))
    assert (audience.get(aws.AUTH), aws.PUBLIC in audience) == ("conditional", False)


@pytest.mark.parametrize("ref", [None, "alias/aws/s3", f"arn:aws:kms:eu-west-1:{ACCT}:alias/aws/s3"])
def test_kms_aws_managed_key_shapes(aws: Any, ref: str | None) -> None:
    """No KMSMasterKeyID, ``alias/aws/s3`` and its alias ARN all name the AWS managed key: no public read
    (https://docs.aws.amazon.com/AmazonS3/latest/userguide/UsingKMSEncryption.html)."""
    assert aws.PUBLIC not in _kms_run(aws, _encryption("aws:kms", ref))


@pytest.mark.parametrize(("constraint", "region"), [(None, "us-east-1"), ("", "us-east-1"), ("EU", "eu-west-1"),
                                                    ("eu-central-1", "eu-central-1")])  # fmt: skip
def test_location_constraint_shapes(aws: Any, constraint: str | None, region: str) -> None:
    """GetBucketLocation returns null for us-east-1 and the legacy ``EU`` for eu-west-1 (LOCATION)."""
    bucket = aws.bucket()
    bucket.pop("region")
    bucket["reads"]["location"] = aws.read("s3:GetBucketLocation", {"LocationConstraint": constraint})
    ev = aws.evaluate(*aws.base(bucket))
    assert ev.datasets["arn:aws:s3:::b"].location == region


@pytest.mark.parametrize(
    ("tags", "expected"),
    [("absent", {}), ({"TagSet": []}, {}), ({"TagSet": [{"Key": "team", "Value": ""}]}, {"team": ""})],
    ids=["no-such-tag-set", "empty-tag-set", "empty-value"],
)
def test_tag_shapes(aws: Any, tags: Any, expected: dict) -> None:
    """NoSuchTagSet, an empty TagSet and an empty tag value are all valid (GetBucketTagging)."""
    ev = aws.evaluate(*aws.base(aws.bucket(tags=tags)))
    assert dict(ev.datasets["arn:aws:s3:::b"].tags) == expected


def test_bpa_document_with_some_settings_missing(aws: Any) -> None:
    """A PublicAccessBlockConfiguration naming only some settings leaves the others off
    (https://docs.aws.amazon.com/AmazonS3/latest/API/API_PublicAccessBlockConfiguration.html)."""
    bpa = {"PublicAccessBlockConfiguration": {"BlockPublicAcls": True}}
    ev = _ev(aws, policy=aws.policy(aws.stmt()), bpa=bpa)
    assert aws.audience(ev).get(aws.PUBLIC) == "sure"


def test_policy_status_read_is_accepted(aws: Any) -> None:
    """A GetBucketPolicyStatus read next to the policy changes nothing and breaks nothing
    (https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetBucketPolicyStatus.html)."""
    bucket = aws.bucket(policy=aws.policy(aws.stmt()))
    bucket["reads"]["policy_status"] = aws.read("s3:GetBucketPolicyStatus", {"PolicyStatus": {"IsPublic": True}})
    assert aws.audience(aws.evaluate(*aws.base(bucket))).get(aws.PUBLIC) == "sure"


def _gaad_reader(aws: Any, encode: bool) -> dict[str, str]:
    doc = aws.policy(aws.idstmt())
    raw = quote(json.dumps(doc)) if encode else doc
    managed_arn = f"arn:aws:iam::{ACCT}:policy/reader"
    users = (aws.user("alice", inline=(raw,)), aws.user("bob", attached=(managed_arn,)))
    managed = aws.managed(managed_arn, doc)
    if encode:
        for v in managed["PolicyVersionList"]:
            v["Document"] = quote(json.dumps(v["Document"]))
    bucket = aws.bucket()
    return aws.audience(aws.evaluate(*aws.base(bucket, users=users, policies=(managed,))))


def test_gaad_url_encoded_documents(aws: Any) -> None:
    """GetAccountAuthorizationDetails returns URL-encoded policy documents (GAAD): they grant what the
    decoded documents grant."""
    assert _gaad_reader(aws, True) == _gaad_reader(aws, False) != {}
