"""One snapshot's AWS world: what every AWS evaluation reads, built once per snapshot.

The audit (:func:`.provider.evaluate_snapshot`), ``why`` (:mod:`.explain`) and every
registered resource type (:mod:`.services`) read the same :class:`AwsWorld`: the
organisations, each account's IAM and Block Public Access, the candidate population, the KMS
keys and the one :class:`~.memo.AwsMemo`.  Building it twice the same way is what kept
``why`` and ``who-can-read`` in step before; now there is one way.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from seenby.errors import UsageError
from seenby.policies.aws.bpa import PublicAccessBlock
from seenby.policies.aws.document import ParseMemo
from seenby.policies.aws.iam import AccountIam, Entity, load_account_iam
from seenby.policies.aws.kms import KeyRing
from seenby.policies.aws.memo import AwsMemo
from seenby.policies.aws.networks import load_networks
from seenby.policies.aws.org import Directory, load_directory
from seenby.policies.aws.population import Population
from seenby.registry import AwsAccountRead, S3BucketRead, TypeName
from seenby.snapshot import Resource, Snapshot

__all__ = ["AwsWorld", "canonical_accounts", "load_iam"]


def load_iam(snapshot: Snapshot) -> tuple[dict[str, AccountIam], dict[str, PublicAccessBlock]]:
    """Each account's IAM (its GAAD) and account-level Block Public Access."""
    iams: dict[str, AccountIam] = {}
    bpa: dict[str, PublicAccessBlock] = {}
    parsed = ParseMemo()  # one inline statement is often every user's: parsed once
    for res in snapshot.of_type(TypeName.AWS_ACCOUNT):
        account = res.account or res.id
        gaad = res.document(AwsAccountRead.AUTHORIZATION_DETAILS)
        if isinstance(gaad, Mapping):
            iams[account] = load_account_iam(account, gaad, parsed)
        bpa[account] = PublicAccessBlock.from_read(
            res.read(AwsAccountRead.PUBLIC_ACCESS_BLOCK), source=account, level="account"
        )
    return iams, bpa


def canonical_accounts(snapshot: Snapshot) -> dict[str, str]:
    """Canonical user id → account: first each scanned account's ListBuckets ``Owner.ID`` (the account's
    canonical id, https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListBuckets.html), then the ACL
    owners of buckets whose account is known (imported snapshots, older scans)."""
    out: dict[str, str] = {}
    for res in snapshot.of_type(TypeName.AWS_ACCOUNT):
        listing = res.document(AwsAccountRead.BUCKETS)
        owner = listing.get("Owner") if isinstance(listing, Mapping) else None
        owner_id = owner.get("ID") if isinstance(owner, Mapping) else None
        if owner_id and (res.account or res.id):
            out.setdefault(str(owner_id), res.account or res.id)
    for res in snapshot.of_type(TypeName.AWS_S3_BUCKET):
        acl = res.document(S3BucketRead.ACL)
        owner = (acl.get("Owner") or {}).get("ID") if isinstance(acl, Mapping) else None
        if owner and res.account:
            out.setdefault(owner, res.account)
    return out


@dataclass(frozen=True, kw_only=True)
class AwsWorld:
    """The AWS evaluation's inputs for one snapshot."""

    snapshot: Snapshot
    directory: Directory
    iams: Mapping[str, AccountIam]
    account_bpa: Mapping[str, PublicAccessBlock]
    population: Population
    keys: KeyRing
    memo: AwsMemo

    @classmethod
    def build(cls, snapshot: Snapshot) -> AwsWorld:
        directory = load_directory(snapshot)
        iams, account_bpa = load_iam(snapshot)
        population = Population(
            directory, iams, canonical_accounts(snapshot), now=snapshot.collected_at_dt,
            networks=load_networks(snapshot),
        )  # fmt: skip
        return cls(
            snapshot=snapshot, directory=directory, iams=iams, account_bpa=account_bpa, population=population,
            keys=KeyRing(snapshot), memo=AwsMemo.of(directory),
        )  # fmt: skip

    def account_level_bpa(self, account: str | None) -> PublicAccessBlock:
        """The account-level Block Public Access of ``account`` (unknown when the snapshot lacks it)."""
        return self.account_bpa.get(account or "") or PublicAccessBlock.from_read(
            None, source=account or "unknown account", level="account"
        )

    def bucket_resource(self, arn: str) -> Resource:
        for res in self.snapshot.of_type(TypeName.AWS_S3_BUCKET):
            if res.id == arn:
                return res
        raise UsageError(f"no S3 bucket {arn!r} in the snapshot")

    def entity(self, arn: str) -> Entity | None:
        for iam in self.iams.values():
            e = iam.by_arn(arn)
            if e is not None:
                return e
        return None
