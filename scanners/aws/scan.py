"""Running an AWS scan: accounts, then their documents, on one bounded thread pool.

::

    GetCallerIdentity ─┬─ (org mode) DescribeOrganization, ListAccounts ─┬─ tree, policies
                       │                                                 └─ per member: AssumeRole
                       └─ per account: BPA, GAAD, ListBuckets ─┬─ per bucket: 6 reads (+ its KMS keys; GetBucketAbac
                                                              │   at the end where some policy tests its tags)
                                                              │   ACLs in force: ListObjectsV2, then GetObjectAcl
                                                              │   for the newest ``object_acl_limit`` objects
                                                              └─ per region of its buckets: ListAccessPoints
                                                                 (+ 2 reads per access point)

Every fan-out is a task on one ``ThreadPoolExecutor`` of ``max_workers`` threads;
tasks spawn tasks and never wait on one another.  Each account becomes one snapshot
shard; :func:`scan_aws` merges them.  A failed read is recorded and the scan goes on;
only an unknown caller (no credentials, no endpoint) stops it, as :class:`ScanError`.
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from seenby.model import ReadOutcome
from seenby.registry import TypeName
from seenby.scanners.aws import account as account_reads
from seenby.scanners.aws import organizations, s3
from seenby.scanners.aws.clients import Clients
from seenby.scanners.aws.config import AwsScanConfig
from seenby.scanners.aws.identity import Caller, assume_role, whoami
from seenby.scanners.aws.kms import KeyReference, read_key, reference
from seenby.scanners.aws.service import AccountContext, ServiceScanner
from seenby.scanners.aws.services import SERVICE_SCANNERS
from seenby.scanners.progress import ProgressSink, Tracker
from seenby.scanners.tasks import TaskGroup
from seenby.snapshot import Read, Resource, Snapshot, merge_snapshots, new_snapshot

__all__ = ["scan_aws", "scan_aws_shards"]

ACCOUNT_TYPE = TypeName.AWS_ACCOUNT
ACCOUNT_UNIT = "account"
BUCKET_UNIT = "s3"
ORG_UNIT = "organization"
_OBJECT_ACL_BATCH = 25  # GetObjectAcl reads per task: spread over the pool, without a task per object
_READ_ORDER = {
    name: i
    for i, name in enumerate(("assume_role", "organization", "public_access_block", "authorization_details", "buckets"))
}


@dataclass(kw_only=True, eq=False)
class _Account:
    """What has been read so far in one account; tasks add to it under ``lock``."""

    id: str
    scanned: bool
    clients: Clients | None = None
    identity: str | None = None
    reads: dict[str, Read] = field(default_factory=dict)
    buckets: list[Resource] = field(default_factory=list)
    keys: dict[str, Resource] = field(default_factory=dict)
    claimed: set[str] = field(default_factory=set)
    deferred: dict[str, KeyReference] = field(default_factory=dict)
    regions: set[str] = field(default_factory=set)
    access_points: dict[str, s3.AccessPoints] = field(default_factory=dict)  # region -> the account's listing
    object_acls: dict[str, s3.ObjectAclScan] = field(default_factory=dict)  # bucket ARN -> its object ACL reads
    resources: list[Resource] = field(default_factory=list)  # of the registered service scanners
    lock: threading.Lock = field(default_factory=threading.Lock)

    def put(self, name: str, read: Read) -> None:
        with self.lock:
            self.reads[name] = read

    def add_bucket(self, bucket: Resource) -> None:
        with self.lock:
            self.buckets.append(bucket)
            if bucket.region:
                self.regions.add(bucket.region)

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

    def add_resource(self, resource: Resource) -> None:
        with self.lock:
            self.resources.append(resource)

    def claim(self, key: str) -> bool:
        """True for the first caller only: that one reads the key."""
        with self.lock:
            if key in self.claimed:
                return False
            self.claimed.add(key)
            return True

    def add_key(self, key: Resource) -> None:
        with self.lock:
            self.keys.setdefault(key.id, key)

    def defer(self, ref: KeyReference) -> None:
        with self.lock:
            self.deferred.setdefault(ref.arn, ref)


class _Scan:
    def __init__(self, config: AwsScanConfig, progress: ProgressSink | None) -> None:
        self.config = config
        self.tracker = Tracker(progress)
        self.session_lock = threading.Lock()
        self.base = Clients(config, lock=self.session_lock)
        self.accounts: dict[str, _Account] = {}
        self.account_names: dict[str, str] = {}
        self.org_id: str | None = None
        self.org_reads: dict[str, Read] = {}
        self.org_lock = threading.Lock()
        self.caller: Caller | None = None

    # -- planning -----------------------------------------------------------------

    def run(self) -> tuple[Caller, list[Snapshot]]:
        caller = self.caller = whoami(self.base)
        with ThreadPoolExecutor(max_workers=self.config.max_workers, thread_name_prefix="seenby-aws") as pool:
            group = TaskGroup(pool)
            targets = self._plan_organization(group, caller) if self.config.org_mode else self._plan_accounts(caller)
            for account_id in targets:
                state = self._state(account_id, scanned=True)
                if account_id == caller.account:
                    state.clients, state.identity = self.base, caller.arn
                    group.spawn(self._scan_account, group, state)
                else:
                    group.spawn(self._open_member, group, state)
            group.wait()
            for state in list(self.accounts.values()):
                for ref in state.deferred.values():
                    group.spawn(self._read_foreign_key, state, ref)
                self._read_abac_where_wanted(group, state)
            group.wait()
        return caller, self._shards(caller)

    def _state(self, account_id: str, *, scanned: bool) -> _Account:
        state = self.accounts.get(account_id)
        if state is None:
            state = self.accounts[account_id] = _Account(id=account_id, scanned=scanned)
        state.scanned = state.scanned or scanned
        return state

    def _plan_accounts(self, caller: Caller) -> tuple[str, ...]:
        return self.config.accounts or (caller.account,)

    def _plan_organization(self, group: TaskGroup, caller: Caller) -> tuple[str, ...]:
        """Read the organisation from the caller's account; its account list decides what is scanned."""
        scope = caller.account
        self.tracker.start(scope, ORG_UNIT, 4)
        described = organizations.read_organization(self.base)
        self.tracker.advance(scope, ORG_UNIT)
        if not described.ok:
            # No organisation to hang the failure on: it is a gap of the caller's account.
            self._state(caller.account, scanned=False).put("organization", described)
            self.tracker.advance(scope, ORG_UNIT, 3)
            return self._plan_accounts(caller)
        self.org_id = str(described.document["Organization"]["Id"])
        listed = organizations.read_accounts(self.base)
        self.org_reads.update(organization=described, accounts=listed)
        self.tracker.advance(scope, ORG_UNIT)
        group.spawn(self._org_read, "tree", organizations.read_tree)
        group.spawn(self._org_read, "policies", organizations.read_policies)
        self._state(caller.account, scanned=False)  # the organisation lives in the caller's shard
        if not listed.ok:
            return self._plan_accounts(caller)
        for acct in listed.document.get("Accounts", []):
            if acct.get("Name"):
                self.account_names[str(acct["Id"])] = str(acct["Name"])
        return self.config.accounts or tuple(str(a["Id"]) for a in listed.document.get("Accounts", []))

    def _org_read(self, name: str, fetch: Any) -> None:
        result = fetch(self.base)
        with self.org_lock:
            self.org_reads[name] = result
        self.tracker.advance(self.caller.account if self.caller else "", ORG_UNIT)

    # -- accounts -----------------------------------------------------------------

    def _account_read_names(self) -> dict[str, str]:
        names = {
            "public_access_block": account_reads.GET_PUBLIC_ACCESS_BLOCK.api,
            "authorization_details": account_reads.GET_ACCOUNT_AUTHORIZATION_DETAILS.api,
            "buckets": s3.LIST_BUCKETS.api,
        }
        if not self.config.org_mode:
            names["organization"] = organizations.DESCRIBE_ORGANIZATION.api
        for service in SERVICE_SCANNERS:
            names.update(service.account_reads)
        return names

    def _open_member(self, group: TaskGroup, state: _Account) -> None:
        partition = self.caller.partition if self.caller else "aws"
        role_arn = f"arn:{partition}:iam::{state.id}:role/{self.config.member_role_name}"
        assumed, credentials = assume_role(self.base, role_arn)
        state.put("assume_role", assumed)
        if credentials is None:
            # Fail closed: every account-level document is a gap, not "nothing there".
            for name, api in self._account_read_names().items():
                state.put(
                    name,
                    Read(
                        outcome=assumed.outcome if assumed.outcome.is_gap else ReadOutcome.ERROR,
                        api=api,
                        error_code=assumed.error_code or "AssumeRoleFailed",
                        message=f"not read: could not assume {role_arn}",
                    ),
                )
            self.tracker.start(state.id, ACCOUNT_UNIT, 0)
            return
        state.clients = Clients(
            self.config, lock=self.session_lock, credentials=credentials,
            renew=lambda: assume_role(self.base, role_arn)[1],
        )  # fmt: skip
        state.identity = assumed.document.get("AssumedRoleUser", {}).get("Arn")
        self._scan_account(group, state)

    def _scan_account(self, group: TaskGroup, state: _Account) -> None:
        self.tracker.start(state.id, ACCOUNT_UNIT, len(self._account_read_names()))
        group.spawn(self._read_account_settings, state)
        group.spawn(self._read_authorization_details, state)
        group.spawn(self._list_buckets, group, state)
        for service in SERVICE_SCANNERS:
            group.spawn(self._scan_service, group, state, service)

    def _scan_service(self, group: TaskGroup, state: _Account, service: ServiceScanner) -> None:
        assert state.clients is not None

        def put(name: str, read: Read) -> None:
            state.put(name, read)
            self.tracker.advance(state.id, ACCOUNT_UNIT)

        service.scan(
            AccountContext(
                account=state.id,
                partition=self.caller.partition if self.caller else "aws",
                regions=self.config.regions or (self.config.home_region,),
                clients=state.clients,
                put=put,
                add=state.add_resource,
                spawn=group.spawn,
            )
        )

    def _read_account_settings(self, state: _Account) -> None:
        assert state.clients is not None
        state.put("public_access_block", account_reads.read_public_access_block(state.clients, state.id))
        self.tracker.advance(state.id, ACCOUNT_UNIT)
        if not self.config.org_mode:
            state.put("organization", organizations.read_organization(state.clients))
            self.tracker.advance(state.id, ACCOUNT_UNIT)

    def _read_authorization_details(self, state: _Account) -> None:
        assert state.clients is not None
        state.put("authorization_details", account_reads.read_authorization_details(state.clients))
        self.tracker.advance(state.id, ACCOUNT_UNIT)

    def _list_buckets(self, group: TaskGroup, state: _Account) -> None:
        assert state.clients is not None
        listing = s3.list_buckets(state.clients)
        state.put("buckets", listing)
        self.tracker.advance(state.id, ACCOUNT_UNIT)
        regions = s3.listed_regions(listing)
        self.tracker.start(state.id, BUCKET_UNIT, len(regions))
        for region in sorted({r for r in regions.values() if r}):
            self._list_access_points_once(group, state, region)
        for name in sorted(regions):
            group.spawn(self._read_bucket, group, state, name, regions[name])

    # -- buckets, access points and keys --------------------------------------------

    def _read_bucket(self, group: TaskGroup, state: _Account, name: str, region: str | None) -> None:
        assert state.clients is not None
        partition = self.caller.partition if self.caller else "aws"
        bucket = s3.read_bucket(state.clients, name, region=region, account=state.id, partition=partition)
        state.add_bucket(bucket)
        if region is None and bucket.region is not None:  # found by GetBucketLocation
            self._list_access_points_once(group, state, bucket.region)
        if s3.object_acls_apply(bucket):
            group.spawn(self._list_objects, group, state, bucket)
        for written in s3.kms_key_references(bucket):
            ref = reference(
                written, account=state.id, region=bucket.region or state.clients.home_region, partition=partition
            )
            if ref.account != state.id:
                state.defer(ref)
            elif state.claim(ref.arn):
                state.add_key(read_key(state.clients, ref, own_account=True))
        self.tracker.advance(state.id, BUCKET_UNIT)

    def _list_access_points_once(self, group: TaskGroup, state: _Account, region: str) -> None:
        if state.claim(f"access-points:{region}"):
            group.spawn(self._list_access_points, group, state, region)

    def _list_access_points(self, group: TaskGroup, state: _Account, region: str) -> None:
        """The account's access points in ``region``; each point's policy reads are tasks of their own."""
        assert state.clients is not None
        points = s3.list_access_points(state.clients, account=state.id, region=region)
        state.add_access_points(points)
        for entry in points.entries():
            group.spawn(self._read_access_point, state, points, str(entry.get("Name")))

    def _read_access_point(self, state: _Account, points: s3.AccessPoints, name: str) -> None:
        assert state.clients is not None
        state.add_access_point_parts(points, name, s3.read_access_point(state.clients, points, name, account=state.id))

    def _list_objects(self, group: TaskGroup, state: _Account, bucket: Resource) -> None:
        """The bucket's object keys; the chosen keys' GetObjectAcl reads are tasks of their own, a batch each."""
        assert state.clients is not None
        scan = s3.list_objects(
            state.clients, bucket, limit=self.config.object_listing_limit, newest=self.config.object_acl_limit
        )
        chosen = scan.chosen
        state.add_object_acls(bucket.id, scan)
        for start in range(0, len(chosen), _OBJECT_ACL_BATCH):
            group.spawn(self._read_object_acls, state, bucket, scan, chosen[start : start + _OBJECT_ACL_BATCH])

    def _read_object_acls(
        self, state: _Account, bucket: Resource, scan: s3.ObjectAclScan, keys: tuple[str, ...]
    ) -> None:
        assert state.clients is not None
        for key in keys:
            state.add_object_acl(scan, key, s3.read_object_acl(state.clients, bucket, key))

    def _read_abac_where_wanted(self, group: TaskGroup, state: _Account) -> None:
        """GetBucketAbac for each bucket whose ABAC status can change a verdict (:func:`s3.abac_wanted`).

        Run once every policy of the account (and the organisation's SCPs and RCPs) has been read.
        """
        if state.clients is None:
            return
        reads = (state.reads.get("authorization_details"), self.org_reads.get("policies"))
        account_tests_tags = s3.bucket_tags_tested(r.document for r in reads if r is not None and r.ok)
        for index, bucket in enumerate(state.buckets):
            if s3.abac_wanted(bucket, account_tests_tags=account_tests_tags):
                group.spawn(self._read_abac, state, index)

    def _read_abac(self, state: _Account, index: int) -> None:
        assert state.clients is not None
        bucket = s3.read_abac(state.clients, state.buckets[index])
        with state.lock:
            state.buckets[index] = bucket

    def _read_foreign_key(self, state: _Account, ref: KeyReference) -> None:
        """A key in another account: read by that account's credentials when this scan has them."""
        owner = self.accounts.get(ref.account)
        if owner is not None and owner.clients is not None:
            if owner.claim(ref.arn):
                owner.add_key(read_key(owner.clients, ref, own_account=True))
        elif state.clients is not None and state.claim(ref.arn):
            state.add_key(read_key(state.clients, ref, own_account=False))

    # -- shards -------------------------------------------------------------------

    def _organization_of(self, state: _Account) -> str | None:
        if self.org_id:
            return self.org_id
        described = state.reads.get("organization")
        if described is not None and described.ok:
            return str(described.document.get("Organization", {}).get("Id")) or None
        return None

    def _shards(self, caller: Caller) -> list[Snapshot]:
        shards = []
        for account_id in sorted(self.accounts):
            state = self.accounts[account_id]
            resources: list[Resource] = []
            if account_id == caller.account and self.org_id is not None:
                resources.append(
                    Resource(
                        type=organizations.RESOURCE_TYPE,
                        id=self.org_id,
                        account=caller.account,
                        reads=dict(self.org_reads),
                    )
                )
            if state.scanned or state.reads:
                resources.append(
                    Resource(
                        type=ACCOUNT_TYPE,
                        id=account_id,
                        name=self.account_names.get(account_id),
                        account=account_id,
                        reads=dict(sorted(state.reads.items(), key=lambda item: _READ_ORDER.get(item[0], 99))),
                    )
                )
            buckets = s3.with_object_acls(s3.with_access_points(state.buckets, state.access_points), state.object_acls)
            resources.extend(sorted(buckets, key=lambda r: r.id))
            resources.extend(sorted(state.keys.values(), key=lambda r: r.id))
            resources.extend(sorted(state.resources, key=lambda r: (r.type, r.id)))
            scope = {
                "aws_accounts": [account_id] if state.scanned else [],
                "aws_organization": self._organization_of(state),
                "regions": sorted({*self.config.regions, self.config.home_region, *state.regions}),
            }
            shards.append(new_snapshot(resources, scope=scope, mode="scan", identity=state.identity or caller.arn))
        return shards


def scan_aws_shards(config: AwsScanConfig, *, progress: ProgressSink | None = None) -> list[Snapshot]:
    """Scan and return one snapshot per account (the organisation is in the caller's shard)."""
    _, shards = _Scan(config, progress).run()
    return shards


def scan_aws(config: AwsScanConfig, *, progress: ProgressSink | None = None) -> Snapshot:
    """Scan and return one snapshot: the single account's, or every shard merged."""
    caller, shards = _Scan(config, progress).run()
    return merged_scan(shards, identity=caller.arn)


def merged_scan(shards: list[Snapshot], *, identity: str | None = None) -> Snapshot:
    """One view of a scan's shards (one per account), stamped as a scan by the scanning identity.

    Without ``identity``, the identity of the shard holding the organisation (the caller's) is used.
    """
    if len(shards) == 1:
        return shards[0]
    if identity is None:
        holder = next((s for s in shards if s.of_type(organizations.RESOURCE_TYPE)), shards[0])
        identity = holder.collector.get("identity")
    merged = merge_snapshots(shards)
    return new_snapshot(merged.resources, scope=merged.scope, mode="scan", identity=identity)
