"""S3 buckets: ListBuckets, up to nine reads a bucket, and the account's access points once per region.

docs/snapshot.md, ``aws.s3.bucket``.  The bucket reads are one table, :data:`BUCKET_READS`:
read name, operation, and the error codes by which S3 says "there is none".  They go to a
client in the bucket's own region, so S3 never has to redirect us.

Fewest calls a bucket (issue 17):

* the region comes from ListBuckets' ``BucketRegion`` (returned when the request carries a
  parameter, so :func:`list_buckets` sends ``MaxBuckets``); GetBucketLocation is read only
  for a bucket listed without it (older endpoints, emulators), as the ``location`` read;
* GetBucketAcl is not read for a bucket whose Object Ownership, read just before, is
  ``BucketOwnerEnforced``: ACLs are disabled and the ACL is the owner's full control, recorded as
  such (:func:`derived_acl`), with the owner's canonical id from ListBuckets' ``Owner``;
* GetBucketPolicyStatus is not read: the evaluator decides from the policy itself who it
  opens the bucket to, which is what the status summarised;
* access points are listed once per account and region (ListAccessPoints without a bucket,
  every page), each access point's policy and policy status read once, and every bucket's
  ``access_points`` read is its share of that listing (:func:`access_points_of`), in the
  same document shape as before.  A failed listing is the gap of every bucket of that
  account and region; a failed policy read is the gap of the bucket the access point serves.

Object ACLs (issue 22): a bucket whose Object Ownership is not ``BucketOwnerEnforced`` (or
unknown: fail closed) has its object keys listed (ListObjectsV2: names and dates only, never
contents, at most ``AwsScanConfig.object_listing_limit`` keys) and GetObjectAcl read for the
``AwsScanConfig.object_acl_limit`` most recently modified of them, as the ``object_acls``
read (:class:`ObjectAclScan`, assembled by :func:`object_acls_read`).  A bucket with
``BucketOwnerEnforced`` costs no extra call: every ACL is disabled there.  IgnorePublicAcls
does not spare the reads: it ignores public grants only, and an object ACL granting another
account still applies (https://docs.aws.amazon.com/AmazonS3/latest/userguide/access-control-block-public-access.html).
"""

from __future__ import annotations

import fnmatch
import heapq
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from seenby.model import ReadOutcome
from seenby.registry import S3BucketRead, TypeName
from seenby.scanners.aws.calls import DENIED_CODES, describe_failure, jsonable, read
from seenby.scanners.aws.clients import Clients
from seenby.scanners.aws.operation import Operation
from seenby.scanners.reads import perform_read
from seenby.snapshot import Read, Resource

__all__ = [
    "ACL_DERIVED",
    "BUCKET_READS",
    "GET_BUCKET_LOCATION",
    "GET_OBJECT_ACL",
    "LIST_ACCESS_POINTS",
    "LIST_BUCKETS",
    "LIST_OBJECTS_V2",
    "OPERATIONS",
    "AccessPoints",
    "BucketRead",
    "ObjectAclScan",
    "abac_wanted",
    "access_points_of",
    "acls_disabled",
    "bucket_region",
    "bucket_tags_tested",
    "derived_acl",
    "kms_key_references",
    "list_access_points",
    "list_buckets",
    "list_inventory_configurations",
    "list_objects",
    "listed_owner",
    "listed_regions",
    "object_acls_apply",
    "object_acls_read",
    "read_abac",
    "read_access_point",
    "read_bucket",
    "read_object_acl",
    "with_access_points",
    "with_object_acls",
]

RESOURCE_TYPE = TypeName.AWS_S3_BUCKET
MAX_BUCKETS = 10000
"""ListBuckets' largest page (https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListBuckets.html);
any parameter also makes S3 return each bucket's ``BucketRegion``."""
MAX_ACCESS_POINTS = 1000
"""ListAccessPoints' largest page (https://docs.aws.amazon.com/AmazonS3/latest/API/API_control_ListAccessPoints.html)."""

LIST_BUCKETS = Operation(service="s3", name="ListBuckets", iam_action="s3:ListAllMyBuckets")


@dataclass(frozen=True, kw_only=True, slots=True)
class BucketRead:
    name: str
    op: Operation


def _s3(name: str, iam_action: str, *absent: str, label: str | None = None) -> Operation:
    return Operation(service="s3", name=name, iam_action=iam_action, absent=frozenset(absent), label=label)


FLOW_READS: tuple[BucketRead, ...] = (
    BucketRead(
        name=S3BucketRead.REPLICATION,
        op=_s3("GetBucketReplication", "s3:GetReplicationConfiguration", "ReplicationConfigurationNotFoundError"),
    ),
    BucketRead(
        name=S3BucketRead.INVENTORY,
        op=_s3(
            "ListBucketInventoryConfigurations",
            "s3:GetInventoryConfiguration",
            label="s3:ListBucketInventoryConfigurations",
        ),
    ),
    BucketRead(name=S3BucketRead.LOGGING, op=_s3("GetBucketLogging", "s3:GetBucketLogging")),
)
"""The reads that say where a bucket's data or metadata is copied (docs/flows.md): replication rules,
inventory reports, server access logs.  IAM actions per
https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetBucketReplication.html,
https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListBucketInventoryConfigurations.html and
https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetBucketLogging.html."""

INVENTORY = next(r for r in FLOW_READS if r.name == "inventory")
MAX_INVENTORY_PAGES = 10_000
"""A bound on ListBucketInventoryConfigurations pages (100 configurations each): a token that never ends is an
error, not a hang."""

GET_BUCKET_LOCATION = _s3("GetBucketLocation", "s3:GetBucketLocation")
LOCATION = BucketRead(name=S3BucketRead.LOCATION, op=GET_BUCKET_LOCATION)
BUCKET_READS: tuple[BucketRead, ...] = (
    BucketRead(name=S3BucketRead.POLICY, op=_s3("GetBucketPolicy", "s3:GetBucketPolicy", "NoSuchBucketPolicy")),
    # Object Ownership before the ACL: with BucketOwnerEnforced the ACL is not read (:func:`derived_acl`)
    BucketRead(
        name=S3BucketRead.OWNERSHIP_CONTROLS,
        op=_s3("GetBucketOwnershipControls", "s3:GetBucketOwnershipControls", "OwnershipControlsNotFoundError"),
    ),
    BucketRead(name=S3BucketRead.ACL, op=_s3("GetBucketAcl", "s3:GetBucketAcl")),
    BucketRead(
        name=S3BucketRead.PUBLIC_ACCESS_BLOCK,
        op=_s3(
            "GetPublicAccessBlock",
            "s3:GetBucketPublicAccessBlock",
            "NoSuchPublicAccessBlockConfiguration",
            label="s3:GetBucketPublicAccessBlock",
        ),
    ),
    BucketRead(
        name=S3BucketRead.ENCRYPTION,
        op=_s3(
            "GetBucketEncryption", "s3:GetEncryptionConfiguration", "ServerSideEncryptionConfigurationNotFoundError"
        ),
    ),
    BucketRead(name=S3BucketRead.TAGS, op=_s3("GetBucketTagging", "s3:GetBucketTagging", "NoSuchTagSet")),
    # where the data flows (issue 20, docs/flows.md)
    *FLOW_READS,
)
"""The reads of every bucket, in its own region, in this order (``acl`` may be derived instead, :func:`derived_acl`)."""
ACL = next(r for r in BUCKET_READS if r.name == S3BucketRead.ACL)
ACL_DERIVED = (
    "not read: ACLs disabled (BucketOwnerEnforced); the bucket owner's full control, which GetBucketAcl "
    "always returns then, with the owner's canonical id from ListBuckets"
)
"""The ``message`` of a derived ``acl`` read (docs/snapshot.md)."""

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
LIST_OBJECTS_V2 = _s3("ListObjectsV2", "s3:ListBucket")
GET_OBJECT_ACL = _s3("GetObjectAcl", "s3:GetObjectAcl")
OBJECT_ACL_OPERATIONS = (LIST_OBJECTS_V2, GET_OBJECT_ACL)
ABAC = BucketRead(name=S3BucketRead.ABAC, op=_s3("GetBucketAbac", "s3:GetBucketAbac"))
OPERATIONS = (
    LIST_BUCKETS, GET_BUCKET_LOCATION, *(r.op for r in BUCKET_READS), *ACCESS_POINT_OPERATIONS,
    *OBJECT_ACL_OPERATIONS, ABAC.op,
)  # fmt: skip
OBJECT_ACLS = S3BucketRead.OBJECT_ACLS
MAX_LIST_KEYS = 1000
"""ListObjectsV2's largest page (https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListObjectsV2.html)."""

_KMS_ALGORITHMS = frozenset({"aws:kms", "aws:kms:dsse"})


def list_buckets(clients: Clients) -> Read:
    """Every bucket of the account (all pages), each with its ``BucketRegion``. Its failure is a gap on the account."""
    return read(clients.get("s3"), LIST_BUCKETS, MaxBuckets=MAX_BUCKETS)


def listed_regions(listing: Read) -> dict[str, str | None]:
    """Bucket name -> the region ListBuckets gave for it (None when it gave none)."""
    if not listing.ok:
        return {}
    return {
        str(b["Name"]): (str(b["BucketRegion"]) if b.get("BucketRegion") else None)
        for b in listing.document.get("Buckets", [])
    }


def listed_owner(listing: Read) -> str | None:
    """The canonical user id of the account whose buckets ListBuckets listed (its ``Owner.ID``), if it gave one."""
    if not listing.ok or not isinstance(listing.document, Mapping):
        return None
    owner = listing.document.get("Owner")
    found = owner.get("ID") if isinstance(owner, Mapping) else None
    return str(found) if found else None


def acls_disabled(ownership: Read) -> bool:
    """Whether a read ownership control says ``BucketOwnerEnforced``: ACLs are disabled.  A failed read: unknown, no."""
    if not ownership.ok or not isinstance(ownership.document, Mapping):
        return False
    rules = (ownership.document.get("OwnershipControls") or {}).get("Rules") or []
    return any(isinstance(r, Mapping) and r.get("ObjectOwnership") == "BucketOwnerEnforced" for r in rules)


def derived_acl(owner: str) -> Read:
    """The ``acl`` read of a bucket whose ACLs are disabled, made without a call.

    With ``BucketOwnerEnforced`` "ACLs no longer affect permissions" and "requests to read ACLs
    always return a response that shows full control for the bucket owner"
    (https://docs.aws.amazon.com/AmazonS3/latest/userguide/about-object-ownership.html,
    https://docs.aws.amazon.com/AmazonS3/latest/userguide/object-ownership-error-responses.html).  So the
    read is ``ok`` with that document (``owner`` is ListBuckets' ``Owner.ID``, the same account's canonical
    id) and :data:`ACL_DERIVED` as its message: recorded, never silently absent.
    """
    grant = {"Grantee": {"ID": owner, "Type": "CanonicalUser"}, "Permission": "FULL_CONTROL"}
    return Read(outcome=ReadOutcome.OK, api=ACL.op.api, document={"Owner": {"ID": owner}, "Grants": [grant]},
                message=ACL_DERIVED)  # fmt: skip


def bucket_region(location: Read, default: str) -> str:
    """The region of a bucket from GetBucketLocation (null means us-east-1, ``EU`` means eu-west-1)."""
    if not location.ok or not isinstance(location.document, Mapping):
        return default
    constraint = location.document.get("LocationConstraint")
    if not constraint:
        return "us-east-1"
    return "eu-west-1" if constraint == "EU" else str(constraint)


def read_bucket(
    clients: Clients, name: str, *, region: str | None, account: str, partition: str, owner: str | None = None
) -> Resource:
    """The reads of one bucket (``access_points`` is added later, from the region's listing).

    ``region`` is ListBuckets' ``BucketRegion``; without it, GetBucketLocation is read first
    (through the home-region client) and recorded as ``location``.  When that fails too, the
    resource has no region and the other reads go to the home region (S3 redirects them).

    ``owner`` is ListBuckets' ``Owner.ID``: when it is known and the ownership read (made before the
    ACL) is ok and says ``BucketOwnerEnforced``, GetBucketAcl is not called and ``acl`` is
    :func:`derived_acl`.  A failed ownership read, or no owner id, reads the ACL (fail closed).
    """
    reads: dict[str, Read] = {}
    if region is None:
        location = reads[LOCATION.name] = read(clients.get("s3"), LOCATION.op, Bucket=name)
        region = bucket_region(location, clients.home_region) if location.ok else None
    regional = clients.get("s3", region)
    for entry in BUCKET_READS:
        if entry.name == INVENTORY.name:
            reads[entry.name] = list_inventory_configurations(regional, name)
        elif entry.name == ACL.name and owner and acls_disabled(reads[S3BucketRead.OWNERSHIP_CONTROLS]):
            reads[entry.name] = derived_acl(owner)
        else:
            reads[entry.name] = read(regional, entry.op, Bucket=name)
    return Resource(
        type=RESOURCE_TYPE, id=f"arn:{partition}:s3:::{name}", name=name, account=account, region=region, reads=reads
    )


class TruncatedListing(Exception):
    """A listing said it was truncated but gave no token to go on with: the rest is unknown."""


def list_inventory_configurations(s3: Any, bucket: str) -> Read:
    """Every inventory configuration of ``bucket``, following the pages (botocore has no paginator for it).

    ListBucketInventoryConfigurations returns up to 100 configurations a page, ``IsTruncated`` and
    ``NextContinuationToken`` for the next request's ``ContinuationToken``
    (https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListBucketInventoryConfigurations.html).
    A failed page fails the read, and a truncated page without a token is an error
    (``TruncatedListing``): a partial listing is never ``ok``.
    """
    op = INVENTORY.op

    def call() -> dict[str, Any]:
        entries: list[Any] = []
        params: dict[str, Any] = {"Bucket": bucket}
        for _ in range(MAX_INVENTORY_PAGES):
            page = s3.list_bucket_inventory_configurations(**params)
            entries.extend(page.get("InventoryConfigurationList") or [])
            if not page.get("IsTruncated"):
                return {"InventoryConfigurationList": entries}
            token = page.get("NextContinuationToken")
            if not token:
                raise TruncatedListing(f"{op.api}: truncated after {len(entries)} configurations, no next token")
            params["ContinuationToken"] = token
        raise TruncatedListing(f"{op.api}: more than {MAX_INVENTORY_PAGES} pages")

    return perform_read(
        call, api=op.api, absent=op.absent, denied=DENIED_CODES, describe=describe_failure, document=jsonable
    )


# -- access points: one listing per account and region --------------------------------------------------------


@dataclass(kw_only=True, eq=False)
class AccessPoints:
    """One account's access points in one region: the listing, then each point's policy and status as read."""

    region: str
    listing: Read
    parts: dict[str, tuple[Read, Read]] = field(default_factory=dict)  # name -> (policy, policy status)

    def entries(self) -> list[Mapping[str, Any]]:
        return list(self.listing.document["AccessPointList"]) if self.listing.ok else []


def list_access_points(clients: Clients, *, account: str, region: str) -> AccessPoints:
    """ListAccessPoints for the whole account in ``region``, every page (botocore has no paginator for it)."""
    s3control = clients.get("s3control", region)

    def call() -> dict[str, Any]:
        entries: list[Any] = []
        params: dict[str, Any] = {"AccountId": account, "MaxResults": MAX_ACCESS_POINTS}
        for _ in range(100_000):  # bounded: a token that never ends is an error, not a hang
            page = s3control.list_access_points(**params)
            entries.extend(page.get("AccessPointList") or [])
            if not page.get("NextToken"):
                return {"AccessPointList": entries}
            params["NextToken"] = page["NextToken"]
        raise RuntimeError("ListAccessPoints: too many pages")

    op = LIST_ACCESS_POINTS
    listing = perform_read(
        call, api=op.api, absent=op.absent, denied=DENIED_CODES, describe=describe_failure, document=jsonable
    )
    return AccessPoints(region=region, listing=listing)


def read_access_point(clients: Clients, points: AccessPoints, name: str, *, account: str) -> tuple[Read, Read]:
    """The policy and policy status of one access point (the caller stores them in ``points.parts``)."""
    s3control = clients.get("s3control", points.region)
    policy = read(s3control, GET_ACCESS_POINT_POLICY, AccountId=account, Name=name)
    status = read(s3control, GET_ACCESS_POINT_POLICY_STATUS, AccountId=account, Name=name)
    return policy, status


def _not_read(cause: Read, why: str) -> Read:
    outcome = cause.outcome if cause.outcome.is_gap else ReadOutcome.ERROR
    return Read(outcome=outcome, api=cause.api, error_code=cause.error_code or "NotRead", message=f"not read: {why}")


def access_points_of(bucket: Resource, points: AccessPoints | None) -> Read:
    """The bucket's ``access_points`` read (docs/snapshot.md): the entries of its region's listing that serve it.

    Fail closed: a failed listing, a failed policy read of one of its access points, or a
    region that is unknown (its location read failed) is a gap for the bucket, never "no
    access points".
    """
    if points is None:
        cause = bucket.read(LOCATION.name) or Read(
            outcome=ReadOutcome.ERROR, api=LIST_ACCESS_POINTS.api, error_code="NotRead"
        )
        return _not_read(cause, "the bucket's region is unknown")
    if not points.listing.ok:
        return points.listing
    served = []
    for point in points.entries():
        if point.get("Bucket") != bucket.name:
            continue
        entry = dict(point)
        parts = points.parts.get(str(point.get("Name")))
        if parts is None:  # never read (cannot happen in a finished scan): a gap, not "no policy"
            return Read(outcome=ReadOutcome.ERROR, api=GET_ACCESS_POINT_POLICY.api, error_code="NotRead",
                        message=f"not read: access point {point.get('Name')}")  # fmt: skip
        policy, status = parts
        for part in (policy, status):
            if part.outcome.is_gap:
                return part
        if policy.ok:
            entry["Policy"] = policy.document.get("Policy")
        if status.ok:
            entry["PolicyStatus"] = status.document.get("PolicyStatus")
        served.append(entry)
    return Read(outcome=ReadOutcome.OK, api=LIST_ACCESS_POINTS.api, document={"AccessPointList": served})


def with_access_points(buckets: Iterable[Resource], points: Mapping[str, AccessPoints]) -> list[Resource]:
    """Each bucket with its ``access_points`` read added from its region's listing."""
    out = []
    for bucket in buckets:
        ap = access_points_of(bucket, points.get(bucket.region) if bucket.region else None)
        out.append(replace(bucket, reads={**bucket.reads, S3BucketRead.ACCESS_POINTS: ap}))
    return out


def kms_key_references(bucket: Resource) -> list[str]:
    """The KMS keys a bucket's default encryption names, as written (key id, key ARN, alias or alias ARN)."""
    doc: Any = bucket.document(S3BucketRead.ENCRYPTION)
    rules = (doc or {}).get("ServerSideEncryptionConfiguration", {}).get("Rules") or []
    refs: list[str] = []
    for rule in rules:
        default = rule.get("ApplyServerSideEncryptionByDefault") or {}
        key = default.get("KMSMasterKeyID")
        if default.get("SSEAlgorithm") in _KMS_ALGORITHMS and key and key not in refs:
            refs.append(str(key))
    return refs


# -- object ACLs: listed once per bucket, read newest first, up to a bound ----------------------------------


def object_acls_apply(bucket: Resource) -> bool:
    """Whether the bucket's object ACLs can grant anything: Object Ownership is not known to be
    ``BucketOwnerEnforced`` (https://docs.aws.amazon.com/AmazonS3/latest/userguide/about-object-ownership.html).

    An unreadable ownership read reads them (fail closed); absent controls mean ACLs are on.
    """
    own = bucket.read(S3BucketRead.OWNERSHIP_CONTROLS)
    return own is None or not acls_disabled(own)


@dataclass(kw_only=True, eq=False)
class ObjectAclScan:
    """One bucket's object listing and the GetObjectAcl reads of the keys chosen from it (filled by tasks)."""

    listing: Read  # ok: {"Listed": int, "Complete": bool, "Newest": [key, ...]}
    chosen: tuple[str, ...] = ()
    acls: dict[str, Read] = field(default_factory=dict)  # key -> its GetObjectAcl read


def list_objects(clients: Clients, bucket: Resource, *, limit: int, newest: int) -> ObjectAclScan:
    """ListObjectsV2 of ``bucket`` (names and dates only, never contents) and the keys whose ACL to read.

    The listing stops past ``limit`` keys (``Complete`` false).  The chosen keys are the
    ``newest`` most recently modified (``LastModified`` descending, ties by key descending),
    kept in a bounded heap while paging: memory grows with ``newest``, not with the bucket.
    """
    regional = clients.get("s3", bucket.region)

    def call() -> dict[str, Any]:
        listed = 0
        heap: list[tuple[float, str]] = []  # the newest (modified, key) so far, oldest first
        params: dict[str, Any] = {"Bucket": bucket.name}
        while True:
            page = regional.list_objects_v2(**params, MaxKeys=min(MAX_LIST_KEYS, max(1, limit - listed)))
            for obj in page.get("Contents") or []:
                listed += 1
                modified = obj.get("LastModified")
                item = (modified.timestamp() if isinstance(modified, datetime) else 0.0, str(obj["Key"]))
                if len(heap) < newest:
                    heapq.heappush(heap, item)
                elif newest and item > heap[0]:
                    heapq.heapreplace(heap, item)
            token = page.get("NextContinuationToken")
            complete = not page.get("IsTruncated") or not token
            if complete or listed >= limit:
                return {"Listed": listed, "Complete": complete, "Newest": [k for _, k in sorted(heap, reverse=True)]}
            params["ContinuationToken"] = token

    op = LIST_OBJECTS_V2
    listing = perform_read(call, api=op.api, absent=op.absent, denied=DENIED_CODES, describe=describe_failure,
                           document=lambda doc: doc)  # fmt: skip
    chosen = tuple(listing.document["Newest"]) if listing.ok else ()
    return ObjectAclScan(listing=listing, chosen=chosen)


def read_object_acl(clients: Clients, bucket: Resource, key: str) -> Read:
    return read(clients.get("s3", bucket.region), GET_OBJECT_ACL, Bucket=bucket.name, Key=key)


def object_acls_read(scan: ObjectAclScan) -> Read:
    """The bucket's ``object_acls`` read (docs/snapshot.md): distinct ACLs with their keys, and the failed keys.

    A failed listing is the read's outcome (a gap: the objects are unknown).  A failed
    GetObjectAcl is kept under ``Failures`` with its outcome and code, never as "no grant";
    the evaluator reports it, and a bound that cut, as a coverage gap.
    """
    if not scan.listing.ok:
        return scan.listing
    groups: dict[str, dict[str, Any]] = {}
    failures: list[dict[str, Any]] = []
    for key in scan.chosen:
        acl = scan.acls.get(key) or Read(outcome=ReadOutcome.ERROR, api=GET_OBJECT_ACL.api, error_code="NotRead")
        if not acl.ok:
            failures.append({"Key": key, "outcome": acl.outcome.value, "error_code": acl.error_code})
            continue
        doc = {"Owner": acl.document.get("Owner"), "Grants": acl.document.get("Grants") or []}
        entry = groups.setdefault(json.dumps(doc, sort_keys=True), {**doc, "Keys": []})
        entry["Keys"].append(key)
    document = {
        "Listed": int(scan.listing.document["Listed"]),
        "ListingComplete": bool(scan.listing.document["Complete"]),
        "Chosen": len(scan.chosen),
        "Acls": list(groups.values()),
        "Failures": failures,
    }
    return Read(outcome=ReadOutcome.OK, api=GET_OBJECT_ACL.api, document=document)


def with_object_acls(buckets: Iterable[Resource], scans: Mapping[str, ObjectAclScan]) -> list[Resource]:
    """Each bucket whose object ACLs were listed with its ``object_acls`` read added."""
    out = []
    for bucket in buckets:
        scan = scans.get(bucket.id)
        if scan is not None:
            bucket = replace(bucket, reads={**bucket.reads, OBJECT_ACLS: object_acls_read(scan)})
        out.append(bucket)
    return out


# -- ABAC status: read only where it can change a verdict ------------------------------------------------------

_BUCKET_TAG_KEYS = ("aws:resourcetag/", "s3:buckettag/")


def _statements(document: Any) -> Iterable[Mapping[str, Any]]:
    """Every statement of every policy document inside ``document`` (a policy, GAAD, the organisation's
    SCPs and RCPs), policy documents written as JSON text included."""
    if isinstance(document, str):
        try:
            document = json.loads(document)
        except ValueError:
            return
    if isinstance(document, Mapping):
        statements = document.get("Statement")
        if isinstance(statements, Mapping):
            yield statements
        elif isinstance(statements, list):
            yield from (s for s in statements if isinstance(s, Mapping))
        for key, value in document.items():
            if key != "Statement" and isinstance(value, Mapping | list | str):
                yield from _statements(value)
    elif isinstance(document, list):
        for item in document:
            yield from _statements(item)


def _may_cover_s3(statement: Mapping[str, Any]) -> bool:
    """The statement's actions may include an S3 action (a ``NotAction`` may, whatever it lists)."""
    if "NotAction" in statement:
        return True
    actions = statement.get("Action")
    patterns = [actions] if isinstance(actions, str) else actions if isinstance(actions, list) else []
    return any(fnmatch.fnmatchcase("s3", str(p).lower().partition(":")[0]) for p in patterns)


def _statement_tests_tags(statement: Mapping[str, Any]) -> bool:
    condition = statement.get("Condition")
    if not isinstance(condition, Mapping):
        return False
    return any(
        isinstance(block, Mapping) and any(str(key).lower().startswith(_BUCKET_TAG_KEYS) for key in block)
        for block in condition.values()
    )


def bucket_tags_tested(documents: Iterable[Any]) -> bool:
    """Whether some statement of ``documents`` that may cover an S3 action tests ``aws:ResourceTag/*`` or
    ``s3:BucketTag/*`` (the account's IAM authorization details, the organisation's SCPs and RCPs, a bucket
    policy).  Walks each document once: call it once per account, not per bucket."""
    return any(_may_cover_s3(s) and _statement_tests_tags(s) for s in _statements(list(documents)))


def abac_wanted(bucket: Resource, *, account_tests_tags: bool) -> bool:
    """Whether the bucket's ABAC status can change a verdict, so GetBucketAbac is worth its call.

    S3 puts a general purpose bucket's tags in the request context (``aws:ResourceTag/*``,
    ``s3:BucketTag/*``) only when ABAC is enabled on it
    (https://docs.aws.amazon.com/AmazonS3/latest/userguide/buckets-tagging-enable-abac.html): the status
    matters only for a bucket that carries tags (a tag it does not carry is absent either way) and only when
    some statement that may cover an S3 action tests those keys, in the bucket's own policy or in the
    account's and organisation's policies (``account_tests_tags``, from :func:`bucket_tags_tested`).  A bucket
    whose tags could not be read keeps the tag keys undecided whatever the status: not read.
    """
    tags = bucket.document(S3BucketRead.TAGS)
    if not isinstance(tags, Mapping) or not tags.get("TagSet"):
        return False
    return account_tests_tags or bucket_tags_tested((bucket.document(S3BucketRead.POLICY),))


def read_abac(clients: Clients, bucket: Resource) -> Resource:
    """The bucket with its ``abac`` read added (GetBucketAbac, in the bucket's region)."""
    abac = read(clients.get("s3", bucket.region), ABAC.op, Bucket=bucket.name)
    return replace(bucket, reads={**bucket.reads, ABAC.name: abac})
