"""Running an AWS scan: accounts, then their documents, on one bounded thread pool.

::

    GetCallerIdentity ─┬─ (org mode) DescribeOrganization, ListAccounts ─┬─ tree, policies
                       │                                                 └─ per member: AssumeRole
                       └─ per account: BPA, GAAD, and every registered service scanner (services.py):
                          S3 (scanners/aws/buckets.py): ListBuckets ─┬─ per bucket: 6 reads (+ its KMS keys;
                                                                     │   GetBucketAbac once the policies are read,
                                                                     │   where some policy tests its tags)
                                                                     │   ACLs in force: ListObjectsV2, then
                                                                     │   GetObjectAcl for the newest objects
                                                                     └─ per region of its buckets:
                                                                        ListAccessPoints (+ 2 reads a point)
                          DynamoDB, Identity Center, QuickSight, Glue, Lake Formation, EC2 networks

Every fan-out is a task on one ``ThreadPoolExecutor`` of ``max_workers`` threads;
tasks spawn tasks and never wait on one another.  Each account becomes one snapshot
shard; :func:`scan_aws` merges them.  A failed read is recorded and the scan goes on;
only an unknown caller (no credentials, no endpoint) stops it, as :class:`ScanError`.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from seenby.model import ReadOutcome
from seenby.registry import AwsAccountRead, OrganizationRead, TypeName
from seenby.scanners.aws import account as account_reads
from seenby.scanners.aws import organizations
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
ORG_UNIT = "organization"
_A = AwsAccountRead
_O = OrganizationRead
_READ_ORDER = {
    name: i
    for i, name in enumerate((_A.ASSUME_ROLE, _A.ORGANIZATION, _A.PUBLIC_ACCESS_BLOCK, _A.AUTHORIZATION_DETAILS,
                              _A.BUCKETS))
}  # fmt: skip
_TYPE_ORDER = {TypeName.AWS_S3_BUCKET: 0, TypeName.AWS_KMS_KEY: 1}
"""A shard lists buckets, then the keys they name, then every other type (the order snapshots always had)."""


@dataclass(kw_only=True, eq=False)
class _Account:
    """What has been read so far in one account; tasks add to it under ``lock``."""

    id: str
    scanned: bool
    clients: Clients | None = None
    identity: str | None = None
    reads: dict[str, Read] = field(default_factory=dict)
    keys: dict[str, Resource] = field(default_factory=dict)
    claimed: set[str] = field(default_factory=set)
    deferred: dict[str, KeyReference] = field(default_factory=dict)
    resources: list[Resource] = field(default_factory=list)  # of the registered service scanners
    finishers: list[Callable[[], Iterable[Resource]]] = field(default_factory=list)
    after_policies: list[Callable[[tuple[Any, ...]], None]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def put(self, name: str, read: Read) -> None:
        with self.lock:
            self.reads[name] = read

    def add_resource(self, resource: Resource) -> None:
        with self.lock:
            self.resources.append(resource)

    def add_finisher(self, finish: Callable[[], Iterable[Resource]]) -> None:
        with self.lock:
            self.finishers.append(finish)

    def add_after_policies(self, after: Callable[[tuple[Any, ...]], None]) -> None:
        with self.lock:
            self.after_policies.append(after)

    def finished_resources(self) -> list[Resource]:
        """The service scanners' resources, those assembled once every task has ended included."""
        return [*self.resources, *(r for finish in self.finishers for r in finish())]

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
                documents = self._policy_documents(state)
                for after in state.after_policies:
                    after(documents)
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
            self._state(caller.account, scanned=False).put(_A.ORGANIZATION, described)
            self.tracker.advance(scope, ORG_UNIT, 3)
            return self._plan_accounts(caller)
        self.org_id = str(described.document["Organization"]["Id"])
        listed = organizations.read_accounts(self.base)
        self.org_reads.update({_O.ORGANIZATION: described, _O.ACCOUNTS: listed})
        self.tracker.advance(scope, ORG_UNIT)
        group.spawn(self._org_read, _O.TREE, organizations.read_tree)
        group.spawn(self._org_read, _O.POLICIES, organizations.read_policies)
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
            _A.PUBLIC_ACCESS_BLOCK: account_reads.GET_PUBLIC_ACCESS_BLOCK.api,
            _A.AUTHORIZATION_DETAILS: account_reads.GET_ACCOUNT_AUTHORIZATION_DETAILS.api,
        }
        if not self.config.org_mode:
            names[_A.ORGANIZATION] = organizations.DESCRIBE_ORGANIZATION.api
        for service in SERVICE_SCANNERS:
            names.update(service.account_reads)
        return names

    def _open_member(self, group: TaskGroup, state: _Account) -> None:
        partition = self.caller.partition if self.caller else "aws"
        role_arn = f"arn:{partition}:iam::{state.id}:role/{self.config.member_role_name}"
        assumed, credentials = assume_role(self.base, role_arn)
        state.put(_A.ASSUME_ROLE, assumed)
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
        for service in SERVICE_SCANNERS:
            group.spawn(self._scan_service, group, state, service)

    def _scan_service(self, group: TaskGroup, state: _Account, service: ServiceScanner) -> None:
        assert state.clients is not None

        clients = state.clients
        partition = self.caller.partition if self.caller else "aws"

        def put(name: str, read: Read) -> None:
            state.put(name, read)
            self.tracker.advance(state.id, ACCOUNT_UNIT)

        def use_key(written: str, region: str | None) -> None:
            ref = reference(written, account=state.id, region=region or clients.home_region, partition=partition)
            if ref.account != state.id:
                state.defer(ref)
            elif state.claim(ref.arn):
                state.add_key(read_key(clients, ref, own_account=True))

        service.scan(
            AccountContext(
                account=state.id,
                partition=partition,
                regions=self.config.regions or (self.config.home_region,),
                clients=clients,
                config=self.config,
                put=put,
                add=state.add_resource,
                spawn=group.spawn,
                finish=state.add_finisher,
                after_policies=state.add_after_policies,
                use_key=use_key,
                track=lambda unit, total: self.tracker.start(state.id, unit, total),
                advance=lambda unit: self.tracker.advance(state.id, unit),
            )
        )

    def _read_account_settings(self, state: _Account) -> None:
        assert state.clients is not None
        state.put(_A.PUBLIC_ACCESS_BLOCK, account_reads.read_public_access_block(state.clients, state.id))
        self.tracker.advance(state.id, ACCOUNT_UNIT)
        if not self.config.org_mode:
            state.put(_A.ORGANIZATION, organizations.read_organization(state.clients))
            self.tracker.advance(state.id, ACCOUNT_UNIT)

    def _read_authorization_details(self, state: _Account) -> None:
        assert state.clients is not None
        state.put(_A.AUTHORIZATION_DETAILS, account_reads.read_authorization_details(state.clients))
        self.tracker.advance(state.id, ACCOUNT_UNIT)

    # -- keys named by other accounts' resources ---------------------------------------

    def _policy_documents(self, state: _Account) -> tuple[Any, ...]:
        """The account's IAM authorization details and the organisation's policies, those that were read."""
        reads = (state.reads.get(_A.AUTHORIZATION_DETAILS), self.org_reads.get(OrganizationRead.POLICIES))
        return tuple(r.document for r in reads if r is not None and r.ok)

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
        described = state.reads.get(_A.ORGANIZATION)
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
            found = state.finished_resources()
            resources.extend(
                sorted([*found, *state.keys.values()], key=lambda r: (_TYPE_ORDER.get(r.type, 2), r.type, r.id))
            )
            regions = {self.config.home_region, *self.config.regions, *(r.region for r in found if r.region)}
            scope = {
                "aws_accounts": [account_id] if state.scanned else [],
                "aws_organization": self._organization_of(state),
                "regions": sorted(regions),
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
