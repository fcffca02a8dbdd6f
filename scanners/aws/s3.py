"""S3 buckets: ListBuckets, then eight reads a bucket and its access points (docs/snapshot.md, ``aws.s3.bucket``).

The reads are one table, :data:`BUCKET_READS`: read name, operation, and the error
codes by which S3 says "there is none".  GetBucketLocation goes first, through the
home-region client; the other seven go to a client in the bucket's own region, so S3
never has to redirect us.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from seenby.scanners.aws.calls import DENIED_CODES, describe_failure, jsonable, read
from seenby.scanners.aws.clients import Clients
from seenby.scanners.aws.operation import Operation
from seenby.scanners.reads import perform_read
from seenby.snapshot import Read, Resource

__all__ = [
    "BUCKET_READS",
    "LIST_BUCKETS",
    "OPERATIONS",
    "BucketRead",
    "bucket_region",
    "kms_key_references",
    "list_buckets",
    "read_bucket",
]

RESOURCE_TYPE = "aws.s3.bucket"

LIST_BUCKETS = Operation(service="s3", name="ListBuckets", iam_action="s3:ListAllMyBuckets")


@dataclass(frozen=True, kw_only=True, slots=True)
class BucketRead:
    name: str
    op: Operation


def _s3(name: str, iam_action: str, *absent: str, label: str | None = None) -> Operation:
    return Operation(service="s3", name=name, iam_action=iam_action, absent=frozenset(absent), label=label)


LOCATION = BucketRead(name="location", op=_s3("GetBucketLocation", "s3:GetBucketLocation"))
BUCKET_READS: tuple[BucketRead, ...] = (
    LOCATION,
    BucketRead(name="policy", op=_s3("GetBucketPolicy", "s3:GetBucketPolicy", "NoSuchBucketPolicy")),
    BucketRead(name="policy_status", op=_s3("GetBucketPolicyStatus", "s3:GetBucketPolicyStatus", "NoSuchBucketPolicy")),
    BucketRead(name="acl", op=_s3("GetBucketAcl", "s3:GetBucketAcl")),
    BucketRead(
        name="public_access_block",
        op=_s3(
            "GetPublicAccessBlock",
            "s3:GetBucketPublicAccessBlock",
            "NoSuchPublicAccessBlockConfiguration",
            label="s3:GetBucketPublicAccessBlock",
        ),
    ),
    BucketRead(
        name="ownership_controls",
        op=_s3("GetBucketOwnershipControls", "s3:GetBucketOwnershipControls", "OwnershipControlsNotFoundError"),
    ),
    BucketRead(
        name="encryption",
        op=_s3(
            "GetBucketEncryption", "s3:GetEncryptionConfiguration", "ServerSideEncryptionConfigurationNotFoundError"
        ),
    ),
    BucketRead(name="tags", op=_s3("GetBucketTagging", "s3:GetBucketTagging", "NoSuchTagSet")),
)
LIST_ACCESS_POINTS = Operation(service="s3control", name="ListAccessPoints", iam_action="s3:ListAccessPoints")
GET_ACCESS_POINT_POLICY = Operation(
    service="s3control",
    name="GetAccessPointPolicy",
    iam_action="s3:GetAccessPointPolicy",
    absent=frozenset({"NoSuchAccessPointPolicy"}),
)
GET_ACCESS_POINT_POLICY_STATUS = Operation(
    service="s3control",
    name="GetAccessPointPolicyStatus",
    iam_action="s3:GetAccessPointPolicyStatus",
    absent=frozenset({"NoSuchAccessPointPolicy"}),
)
ACCESS_POINT_OPERATIONS = (LIST_ACCESS_POINTS, GET_ACCESS_POINT_POLICY, GET_ACCESS_POINT_POLICY_STATUS)
OPERATIONS = (LIST_BUCKETS, *(r.op for r in BUCKET_READS), *ACCESS_POINT_OPERATIONS)

_KMS_ALGORITHMS = frozenset({"aws:kms", "aws:kms:dsse"})


def list_buckets(clients: Clients) -> Read:
    """Every bucket of the account (all pages). Its failure is a gap recorded on the account."""
    return read(clients.get("s3"), LIST_BUCKETS)


def bucket_region(location: Read, default: str) -> str:
    """The region of a bucket from GetBucketLocation (null means us-east-1, ``EU`` means eu-west-1)."""
    if not location.ok or not isinstance(location.document, Mapping):
        return default
    constraint = location.document.get("LocationConstraint")
    if not constraint:
        return "us-east-1"
    return "eu-west-1" if constraint == "EU" else str(constraint)


def read_bucket(clients: Clients, name: str, *, account: str, partition: str) -> Resource:
    """The eight reads of one bucket; each failure is recorded and the others still made."""
    location = read(clients.get("s3"), LOCATION.op, Bucket=name)
    region = bucket_region(location, clients.home_region)
    regional = clients.get("s3", region)
    reads = {LOCATION.name: location}
    for entry in BUCKET_READS[1:]:
        reads[entry.name] = read(regional, entry.op, Bucket=name)
    reads["access_points"] = read_access_points(clients.get("s3control", region), name, account=account)
    return Resource(
        type=RESOURCE_TYPE,
        id=f"arn:{partition}:s3:::{name}",
        name=name,
        account=account,
        region=region if location.ok else None,
        reads=reads,
    )


def _list_access_points(s3control: Any, bucket: str, account: str) -> Read:
    """ListAccessPoints for one bucket, every page (botocore has no paginator for it)."""

    def call() -> dict[str, Any]:
        entries: list[Any] = []
        params: dict[str, Any] = {"AccountId": account, "Bucket": bucket}
        while True:
            page = s3control.list_access_points(**params)
            entries.extend(page.get("AccessPointList") or [])
            if not page.get("NextToken"):
                return {"AccessPointList": entries}
            params["NextToken"] = page["NextToken"]

    op = LIST_ACCESS_POINTS
    return perform_read(
        call, api=op.api, absent=op.absent, denied=DENIED_CODES, describe=describe_failure, document=jsonable
    )


def read_access_points(s3control: Any, bucket: str, *, account: str) -> Read:
    """The composite ``access_points`` read (docs/snapshot.md): every access point of the bucket with its
    policy and policy status.  Any call that fails makes the whole read that call's failure (a gap)."""
    listing = _list_access_points(s3control, bucket, account)
    if not listing.ok:
        return listing
    points = []
    for point in listing.document["AccessPointList"]:
        entry = dict(point)
        name = str(point.get("Name"))
        policy = read(s3control, GET_ACCESS_POINT_POLICY, AccountId=account, Name=name)
        status = read(s3control, GET_ACCESS_POINT_POLICY_STATUS, AccountId=account, Name=name)
        for part in (policy, status):
            if part.outcome.is_gap:
                return part
        if policy.ok:
            entry["Policy"] = policy.document.get("Policy")
        if status.ok:
            entry["PolicyStatus"] = status.document.get("PolicyStatus")
        points.append(entry)
    return Read(outcome=listing.outcome, api=listing.api, document={"AccessPointList": points})


def kms_key_references(bucket: Resource) -> list[str]:
    """The KMS keys a bucket's default encryption names, as written (key id, key ARN, alias or alias ARN)."""
    doc: Any = bucket.document("encryption")
    rules = (doc or {}).get("ServerSideEncryptionConfiguration", {}).get("Rules") or []
    refs: list[str] = []
    for rule in rules:
        default = rule.get("ApplyServerSideEncryptionByDefault") or {}
        key = default.get("KMSMasterKeyID")
        if default.get("SSEAlgorithm") in _KMS_ALGORITHMS and key and key not in refs:
            refs.append(str(key))
    return refs
