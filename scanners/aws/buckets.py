"""S3 as one registered service scanner (:data:`S3`): the account's buckets, their reads, access points and object ACLs.

The reads themselves are in :mod:`seenby.scanners.aws.s3`; this module is their order
and fan-out in one account (issue 17's fewest calls a bucket, benchmarks/scan_buckets.py):

* ListBuckets once (the account-level read ``buckets``: its failure is the gap of every
  bucket of the account), each bucket's region from its ``BucketRegion``;
* one task a bucket: its reads (GetBucketLocation first only for a bucket listed without
  a region; GetBucketAcl not when its ownership controls say ``BucketOwnerEnforced``), then
  the KMS keys its default encryption names (read once by the scan);
* ListAccessPoints once per region of the account's buckets (a region found by
  GetBucketLocation included), each access point's two policy reads a task of their own;
* for a bucket whose ACLs are in force, ListObjectsV2, then GetObjectAcl in batches;
* once the account's IAM and the organisation's policies are read, GetBucketAbac for a tagged bucket
  some policy tests the tags of (:func:`seenby.scanners.aws.s3.abac_wanted`);
* when every task has ended, each bucket gets its ``access_points`` read (its share of
  its region's listing) and its ``object_acls`` read.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

from seenby.registry import AwsAccountRead
from seenby.scanners.aws import s3
from seenby.scanners.aws.service import AccountContext, ServiceScanner
from seenby.snapshot import Read, Resource

__all__ = ["S3", "UNIT"]

UNIT = "s3"
"""The progress unit: one advance per bucket."""
LISTING = AwsAccountRead.BUCKETS
_OBJECT_ACL_BATCH = 25  # GetObjectAcl reads per task: spread over the pool, without a task per object


@dataclass(kw_only=True, eq=False)
class _Buckets:
    """What has been read so far in one account; tasks add to it under ``lock``."""

    ctx: AccountContext
    lock: threading.Lock = field(default_factory=threading.Lock)
    buckets: list[Resource] = field(default_factory=list)
    listed: set[str] = field(default_factory=set)  # regions whose access points are (being) listed
    access_points: dict[str, s3.AccessPoints] = field(default_factory=dict)  # region -> the account's listing
    object_acls: dict[str, s3.ObjectAclScan] = field(default_factory=dict)  # bucket ARN -> its object ACL reads

    def add_bucket(self, bucket: Resource) -> None:
        with self.lock:
            self.buckets.append(bucket)

    def claim_region(self, region: str) -> bool:
        """True for the first caller only: that one lists the region's access points."""
        with self.lock:
            if region in self.listed:
                return False
            self.listed.add(region)
            return True

    def add_access_points(self, points: s3.AccessPoints) -> None:
        with self.lock:
            self.access_points[points.region] = points

    def add_access_point_parts(self, points: s3.AccessPoints, name: str, parts: tuple[Read, Read]) -> None:
        with self.lock:
            points.parts[name] = parts

    def add_object_acls(self, bucket: str, scan: s3.ObjectAclScan) -> None:
        with self.lock:
            self.object_acls[bucket] = scan

    def add_object_acl(self, scan: s3.ObjectAclScan, key: str, acl: Read) -> None:
        with self.lock:
            scan.acls[key] = acl

    def read_abac_where_wanted(self, documents: tuple[Any, ...]) -> None:
        """GetBucketAbac, a task each, for the buckets whose ABAC status can change a verdict (:func:`s3.abac_wanted`):
        ``documents`` are the account's IAM and the organisation's SCPs and RCPs, all read by now."""
        account_tests_tags = s3.bucket_tags_tested(documents)
        for index, bucket in enumerate(self.buckets):
            if s3.abac_wanted(bucket, account_tests_tags=account_tests_tags):
                self.ctx.spawn(self._read_abac, index)

    def _read_abac(self, index: int) -> None:
        bucket = s3.read_abac(self.ctx.clients, self.buckets[index])
        with self.lock:
            self.buckets[index] = bucket

    def finished(self) -> list[Resource]:
        """Every bucket with its ``access_points`` and ``object_acls`` reads (called once all tasks ended)."""
        return s3.with_object_acls(s3.with_access_points(self.buckets, self.access_points), self.object_acls)


def scan(ctx: AccountContext) -> None:
    """List the buckets, then read each bucket and each of its regions' access points, as tasks."""
    state = _Buckets(ctx=ctx)
    ctx.finish(state.finished)
    ctx.after_policies(state.read_abac_where_wanted)
    listing = s3.list_buckets(ctx.clients)
    ctx.put(LISTING, listing)
    regions = s3.listed_regions(listing)
    ctx.track(UNIT, len(regions))
    for region in sorted({r for r in regions.values() if r}):
        _list_access_points_once(state, region)
    owner = s3.listed_owner(listing)
    for name in sorted(regions):
        ctx.spawn(_read_bucket, state, name, regions[name], owner)


def _read_bucket(state: _Buckets, name: str, region: str | None, owner: str | None) -> None:
    ctx = state.ctx
    bucket = s3.read_bucket(
        ctx.clients, name, region=region, account=ctx.account, partition=ctx.partition, owner=owner
    )
    state.add_bucket(bucket)
    if region is None and bucket.region is not None:  # found by GetBucketLocation
        _list_access_points_once(state, bucket.region)
    if s3.object_acls_apply(bucket):
        ctx.spawn(_list_objects, state, bucket)
    for written in s3.kms_key_references(bucket):
        ctx.use_key(written, bucket.region)
    ctx.advance(UNIT)


def _list_access_points_once(state: _Buckets, region: str) -> None:
    if state.claim_region(region):
        state.ctx.spawn(_list_access_points, state, region)


def _list_access_points(state: _Buckets, region: str) -> None:
    """The account's access points in ``region``; each point's policy reads are tasks of their own."""
    ctx = state.ctx
    points = s3.list_access_points(ctx.clients, account=ctx.account, region=region)
    state.add_access_points(points)
    for entry in points.entries():
        ctx.spawn(_read_access_point, state, points, str(entry.get("Name")))


def _read_access_point(state: _Buckets, points: s3.AccessPoints, name: str) -> None:
    ctx = state.ctx
    state.add_access_point_parts(points, name, s3.read_access_point(ctx.clients, points, name, account=ctx.account))


def _list_objects(state: _Buckets, bucket: Resource) -> None:
    """The bucket's object keys; the chosen keys' GetObjectAcl reads are tasks of their own, a batch each."""
    ctx = state.ctx
    found = s3.list_objects(
        ctx.clients, bucket, limit=ctx.config.object_listing_limit, newest=ctx.config.object_acl_limit
    )
    state.add_object_acls(bucket.id, found)
    chosen = found.chosen
    for start in range(0, len(chosen), _OBJECT_ACL_BATCH):
        ctx.spawn(_read_object_acls, state, bucket, found, chosen[start : start + _OBJECT_ACL_BATCH])


def _read_object_acls(state: _Buckets, bucket: Resource, found: s3.ObjectAclScan, keys: tuple[str, ...]) -> None:
    for key in keys:
        state.add_object_acl(found, key, s3.read_object_acl(state.ctx.clients, bucket, key))


S3 = ServiceScanner(name="s3", account_reads={LISTING: s3.LIST_BUCKETS.api}, operations=s3.OPERATIONS, scan=scan)
