"""S3 buckets and the KMS keys they name, scanned from a real moto server."""

from __future__ import annotations

import json

from botocore.stub import Stubber

from seenby.model import ReadOutcome
from seenby.scanners.aws import scan_aws
from seenby.scanners.aws.calls import read
from seenby.scanners.aws.s3 import BUCKET_READS, LIST_BUCKETS, listed_owner
from tests.scanners.helpers import ACCOUNT, http_fault, s3_error, scan_config
from tests.scanners.seeds import FULL, seed_full_bucket

BARE = "bare-bucket"


def _bucket(snapshot, name):
    return next(r for r in snapshot.of_type("aws.s3.bucket") if r.name == name)


def test_bucket_with_every_document_records_each_as_ok(session, endpoint, client):
    """A bucket with policy, ACL, BPA, ownership, encryption and tags has every read ok, as S3 returned them
    (the ACL derived: ownership is BucketOwnerEnforced)."""
    seed_full_bucket(client("s3"))

    bucket = _bucket(scan_aws(scan_config(session, endpoint)), FULL)

    # moto's ListBuckets gives no BucketRegion, so the region comes from GetBucketLocation (``location``)
    expected = {e.name: ReadOutcome.OK for e in BUCKET_READS} | {
        "location": ReadOutcome.OK,
        "access_points": ReadOutcome.OK,
        "replication": ReadOutcome.ABSENT,  # flows (issue 20) are seeded in test_scan_aws_flows.py
    }
    assert {name: r.outcome for name, r in bucket.reads.items()} == expected
    assert bucket.id == f"arn:aws:s3:::{FULL}"
    assert bucket.account == ACCOUNT
    assert bucket.region == "eu-west-1"
    assert json.loads(bucket.document("policy")["Policy"])["Statement"][0]["Principal"] == "*"
    # BucketOwnerEnforced: the ACL is not read but derived, the owner's full control (test_scan_aws_acl_skip.py)
    assert [g["Permission"] for g in bucket.document("acl")["Grants"]] == ["FULL_CONTROL"]
    assert bucket.document("public_access_block")["PublicAccessBlockConfiguration"]["BlockPublicAcls"] is True
    assert bucket.document("ownership_controls") == {
        "OwnershipControls": {"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]}
    }
    assert bucket.document("tags") == {"TagSet": [{"Key": "classification", "Value": "public"}]}
    assert bucket.read("public_access_block").api == "s3:GetBucketPublicAccessBlock"


def test_bucket_without_documents_records_absent_with_the_provider_code(session, endpoint, client):
    """A bare bucket: every optional document is absent with S3's own error code, never denied or error."""
    client("s3").create_bucket(Bucket=BARE)

    bucket = _bucket(scan_aws(scan_config(session, endpoint)), BARE)

    absent = {name: r.error_code for name, r in bucket.reads.items() if r.outcome is ReadOutcome.ABSENT}
    assert absent == {
        "policy": "NoSuchBucketPolicy",
        "public_access_block": "NoSuchPublicAccessBlockConfiguration",
        "ownership_controls": "OwnershipControlsNotFoundError",
        "encryption": "ServerSideEncryptionConfigurationNotFoundError",
        "tags": "NoSuchTagSet",
        "replication": "ReplicationConfigurationNotFoundError",
    }
    assert bucket.read("location").ok and bucket.read("acl").ok
    assert bucket.region == "us-east-1"


def test_kms_encrypted_bucket_pulls_its_key_by_alias(session, endpoint, client):
    """Default encryption naming an alias brings the key it resolves to: metadata and key policy."""
    key = client("kms").create_key(Description="telemetry")["KeyMetadata"]
    client("kms").create_alias(AliasName="alias/telemetry", TargetKeyId=key["KeyId"])
    s3 = client("s3")
    s3.create_bucket(Bucket="encrypted-bucket")
    s3.put_bucket_encryption(
        Bucket="encrypted-bucket",
        ServerSideEncryptionConfiguration={
            "Rules": [
                {"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": "alias/telemetry"}}
            ]
        },
    )

    keys = scan_aws(scan_config(session, endpoint)).of_type("aws.kms.key")

    assert [k.id for k in keys] == [key["Arn"]]
    assert keys[0].document("metadata")["KeyMetadata"]["KeyId"] == key["KeyId"]
    assert keys[0].read("policy").api == "kms:GetKeyPolicy"
    assert json.loads(keys[0].document("policy")["Policy"])["Statement"]


def test_buckets_naming_one_key_differently_yield_one_key(session, endpoint, client):
    """A key named by id in one bucket and by ARN in another is one aws.kms.key resource."""
    key = client("kms").create_key()["KeyMetadata"]
    s3 = client("s3")
    for name, written in (("by-id-bucket", key["KeyId"]), ("by-arn-bucket", key["Arn"])):
        s3.create_bucket(Bucket=name)
        s3.put_bucket_encryption(
            Bucket=name,
            ServerSideEncryptionConfiguration={
                "Rules": [
                    {"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": written}}
                ]
            },
        )

    keys = scan_aws(scan_config(session, endpoint)).of_type("aws.kms.key")

    assert [k.id for k in keys] == [key["Arn"]]
    assert keys[0].read("policy").ok


def test_missing_kms_key_is_absent_not_a_policy(session, endpoint, client):
    """A bucket naming a key that does not exist records the key as absent (KMS said so)."""
    s3 = client("s3")
    s3.create_bucket(Bucket="ghost-key-bucket")
    s3.put_bucket_encryption(
        Bucket="ghost-key-bucket",
        ServerSideEncryptionConfiguration={
            "Rules": [
                {"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": "alias/gone"}}
            ]
        },
    )

    (key,) = scan_aws(scan_config(session, endpoint)).of_type("aws.kms.key")

    assert key.id == f"arn:aws:kms:us-east-1:{ACCOUNT}:alias/gone"
    assert key.read("metadata").outcome is ReadOutcome.ABSENT
    assert key.read("policy").outcome is ReadOutcome.ABSENT


def test_every_bucket_is_scanned_and_listed_on_the_account(session, endpoint, client):
    """Thirty buckets: each is a resource, and the account records the listing it came from."""
    names = sorted(f"many-bucket-{i:02d}" for i in range(30))
    for name in names:
        client("s3").create_bucket(Bucket=name)

    snapshot = scan_aws(scan_config(session, endpoint, max_workers=8))

    assert sorted(b.name for b in snapshot.of_type("aws.s3.bucket")) == names
    (account,) = snapshot.of_type("aws.account")
    assert sorted(b["Name"] for b in account.document("buckets")["Buckets"]) == names


def test_list_buckets_follows_continuation_tokens():
    """ListBuckets pages (moto does not page it): every page is merged, Owner kept, tokens dropped."""
    import boto3

    s3 = boto3.Session(aws_access_key_id="x", aws_secret_access_key="y", region_name="us-east-1").client("s3")
    owner = {"DisplayName": "corp", "ID": "a" * 64}
    with Stubber(s3) as stub:
        stub.add_response(
            "list_buckets",
            {"Buckets": [{"Name": "page-one"}], "Owner": owner, "ContinuationToken": "t1"},
            {},
        )
        stub.add_response(
            "list_buckets", {"Buckets": [{"Name": "page-two"}], "Owner": owner}, {"ContinuationToken": "t1"}
        )
        result = read(s3, LIST_BUCKETS)

    assert result.ok
    assert result.document == {"Buckets": [{"Name": "page-one"}, {"Name": "page-two"}], "Owner": owner}
    assert listed_owner(result) == owner["ID"]  # the canonical id a skipped GetBucketAcl is derived with


def _list_buckets_xml(*buckets: tuple[str, str]) -> str:
    """A ListBuckets response body in the shape of https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListBuckets.html."""
    entries = "".join(
        f"<Bucket><BucketRegion>{region}</BucketRegion><CreationDate>2026-11-20T09:00:00.000Z</CreationDate>"
        f"<Name>{name}</Name></Bucket>"
        for name, region in buckets
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?><ListAllMyBucketsResult><Buckets>'
        f"{entries}</Buckets><Owner><DisplayName>corp</DisplayName><ID>{'a' * 64}</ID></Owner></ListAllMyBucketsResult>"
    )


def test_list_buckets_asks_for_bucket_regions(session, endpoint, client):
    """ListBuckets is sent with MaxBuckets: S3 returns BucketRegion only when the request has a parameter."""
    client("s3").create_bucket(Bucket=BARE)
    answered = http_fault(session, "before-send.s3.ListBuckets", status=200, body=_list_buckets_xml())

    scan_aws(scan_config(session, endpoint))

    assert answered and all("max-buckets=10000" in url for url in answered)


def test_bucket_region_from_list_buckets_needs_no_get_bucket_location(session, endpoint, client):
    """A bucket listed with BucketRegion is read in that region and GetBucketLocation is not sent."""
    client("s3").create_bucket(Bucket="west-bucket", CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
    http_fault(session, "before-send.s3.ListBuckets", status=200, body=_list_buckets_xml(("west-bucket", "eu-west-1")))
    sent: list[str] = []
    session.events.register("before-call.s3.*", lambda model, **_: sent.append(model.name))

    bucket = _bucket(scan_aws(scan_config(session, endpoint)), "west-bucket")

    assert "GetBucketLocation" not in sent
    assert bucket.region == "eu-west-1" and "location" not in bucket.reads
    assert {name: r.outcome.is_gap for name, r in bucket.reads.items()} == {
        name: False for name in (*(e.name for e in BUCKET_READS), "access_points", "object_acls")
    }


def test_unknown_region_makes_access_points_a_gap(session, endpoint, client):
    """GetBucketLocation denied and no BucketRegion: no region, and access_points is that denial, not an empty list."""
    client("s3").create_bucket(Bucket=BARE)
    http_fault(session, "before-send.s3.GetBucketLocation", status=403, body=s3_error("AccessDenied"))

    bucket = _bucket(scan_aws(scan_config(session, endpoint)), BARE)

    assert bucket.region is None
    ap = bucket.read("access_points")
    assert (ap.outcome, ap.api, ap.error_code) == (ReadOutcome.DENIED, "s3:GetBucketLocation", "AccessDenied")
    assert bucket.read("acl").ok
