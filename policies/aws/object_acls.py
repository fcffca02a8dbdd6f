"""Object ACLs: the ``object_acls`` read of a bucket → extra resource-side allows, and the coverage it lacks.

Semantics (https://docs.aws.amazon.com/AmazonS3/latest/userguide/acl-overview.html): an object ACL
grant gives its grantee, on that object, READ (s3:GetObject, s3:GetObjectVersion: the data),
READ_ACP (s3:GetObjectAcl: list), WRITE_ACP (s3:PutObjectAcl: admin, it can open the object to
anyone) or FULL_CONTROL (all three); object ACLs have no WRITE (``data/s3_access_levels.json``,
``object_acl_permissions``).  A public object makes that part of the dataset public whatever the
bucket ACL says, so the grant lands on the bucket's dataset, unconditional, its evidence naming
the objects (how many, and the first few keys).

They apply exactly as bucket ACLs do (:meth:`.s3.BucketEvaluator.acl_grant_outcome`): none under
Object Ownership ``BucketOwnerEnforced``
(https://docs.aws.amazon.com/AmazonS3/latest/userguide/about-object-ownership.html); AllUsers and
AuthenticatedUsers grants are ignored under ``IgnorePublicAcls`` at bucket or account level, and
conditional when that setting is unknown; grants to another account's canonical user stay under
``IgnorePublicAcls``, which ignores *public* ACLs only
(https://docs.aws.amazon.com/AmazonS3/latest/userguide/access-control-block-public-access.html).
A grant to the bucket owner's own canonical id delegates to its IAM and grants nothing by itself.
The other layers (bucket policy Deny, SCPs and RCPs, the SSE-KMS key) apply as to any request.

Coverage (fail closed): a denied or failed ListObjectsV2 is the read's own gap; a GetObjectAcl
that was denied or failed, and a bound that cut (``AwsScanConfig.object_acl_limit`` /
``object_listing_limit``), is one coverage gap of the bucket, "object ACLs read for N of M
objects" (:func:`object_acl_gap`); the unread objects are never taken as private.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING, Any

from seenby.model import CoverageGap, Evidence, EvidenceKind, ReadOutcome, freeze_json
from seenby.policies.aws.access import NOT_ALLOWED, Outcome, disjoin
from seenby.registry import S3BucketRead
from seenby.snapshot import Resource

if TYPE_CHECKING:
    from seenby.policies.aws.candidates import Candidate
    from seenby.policies.aws.s3 import Bucket, BucketEvaluator

__all__ = [
    "OBJECT_ACLS",
    "ObjectAclGrant",
    "ObjectAcls",
    "load_object_acls",
    "object_acl_gap",
    "object_acl_outcome",
    "object_acl_permissions",
]

OBJECT_ACLS = S3BucketRead.OBJECT_ACLS
SHOWN_KEYS = 5
"""How many object keys a grant's evidence names (the count says how many there are)."""


@cache
def object_acl_permissions() -> dict[str, frozenset[str]]:
    """ACL permission → the object actions it allows (``data/s3_access_levels.json``)."""
    from seenby.policies.aws.s3 import _data

    return {k: frozenset(v) for k, v in _data()["object_acl_permissions"].items()}


@dataclass(frozen=True, kw_only=True, slots=True)
class ObjectAclGrant:
    """One grant (grantee, permission) as it appears on one or more objects of the bucket."""

    grantee_type: str
    grantee: str  # canonical id, group URI or e-mail
    permission: str
    count: int  # objects carrying it
    keys: tuple[str, ...]  # the first SHOWN_KEYS of them
    location: str  # where its first occurrence is in the read: Acls[i].Grants[j]
    raw: Any

    def evidence(self, bucket: str) -> Evidence:
        shown = ", ".join(self.keys) + (", …" if self.count > len(self.keys) else "")
        return Evidence(
            kind=EvidenceKind.ACL_GRANT, source=bucket, location=f"{OBJECT_ACLS}.{self.location}",
            excerpt={"Grant": self.raw, "Objects": self.count, "Keys": list(self.keys)},
            note=f"object ACL: {self.permission} on {self.count} object(s): {shown}",
        )  # fmt: skip


@dataclass(frozen=True, kw_only=True, slots=True)
class ObjectAcls:
    """What the ``object_acls`` read says: how much was read, and the grants found beyond the bucket owner."""

    listed: int
    listing_complete: bool
    chosen: int
    failures: tuple[Mapping[str, Any], ...]
    grants: tuple[ObjectAclGrant, ...]

    @property
    def read(self) -> int:
        return self.chosen - len(self.failures)

    @property
    def complete(self) -> bool:
        return self.listing_complete and self.read == self.listed


def load_object_acls(res: Resource, bucket_owner: str | None) -> ObjectAcls | None:
    """The bucket's object ACLs; None when the read is not in the snapshot or is a gap (its own gap reports it)."""
    doc = res.document(OBJECT_ACLS)
    if not isinstance(doc, Mapping):
        return None
    merged: dict[tuple[str, str, str], dict[str, Any]] = {}
    for i, acl in enumerate(doc.get("Acls") or []):
        keys = [str(k) for k in acl.get("Keys") or []]
        for j, g in enumerate(acl.get("Grants") or []):
            grantee = g.get("Grantee") or {}
            gtype = str(grantee.get("Type", ""))
            value = str(grantee.get("ID") or grantee.get("URI") or grantee.get("EmailAddress") or "")
            if gtype == "CanonicalUser" and bucket_owner is not None and value == bucket_owner:
                continue  # the bucket owner's own grant delegates to its IAM
            entry = merged.setdefault(
                (gtype, value, str(g.get("Permission", ""))),
                {"count": 0, "keys": [], "location": f"Acls[{i}].Grants[{j}]", "raw": g},
            )
            entry["count"] += len(keys)
            entry["keys"].extend(keys[: max(0, SHOWN_KEYS - len(entry["keys"]))])
    grants = tuple(
        ObjectAclGrant(grantee_type=t, grantee=v, permission=p, count=e["count"], keys=tuple(e["keys"]),
                       location=e["location"], raw=freeze_json(e["raw"]))
        for (t, v, p), e in merged.items()
    )  # fmt: skip
    return ObjectAcls(
        listed=int(doc.get("Listed") or 0), listing_complete=bool(doc.get("ListingComplete", True)),
        chosen=int(doc.get("Chosen") or 0), failures=tuple(doc.get("Failures") or ()), grants=grants,
    )  # fmt: skip


def object_acl_outcome(ev: BucketEvaluator, bucket: Bucket, c: Candidate, action: str) -> Outcome:
    """The object ACL layer: grants on some of the bucket's objects giving ``c`` ``action``."""
    acls = bucket.object_acls
    if acls is None or not acls.grants or bucket.ownership == "BucketOwnerEnforced":
        return NOT_ALLOWED
    permissions = object_acl_permissions()
    results = []
    for g in acls.grants:
        if action not in permissions.get(g.permission, ()):
            continue
        outcome = ev.acl_grant_outcome(bucket, c, g.grantee_type, g.grantee, g.evidence(bucket.arn))
        if outcome is not None:
            results.append(outcome)
    return disjoin(*results) if results else NOT_ALLOWED


def object_acl_gap(res: Resource, acls: ObjectAcls | None) -> CoverageGap | None:
    """The coverage gap of objects whose ACL was not read (a bound that cut, a denied or failed GetObjectAcl)."""
    if acls is None or acls.complete:
        return None
    read = res.read(OBJECT_ACLS)
    of = f"{acls.listed}" if acls.listing_complete else f"at least {acls.listed}"
    message = f"object ACLs read for {acls.read} of {of} objects"
    outcome, code = ReadOutcome.ERROR, "ObjectAclLimit"
    if acls.failures:
        first = acls.failures[0]
        denied = [f for f in acls.failures if f.get("outcome") == ReadOutcome.DENIED.value]
        outcome = ReadOutcome.DENIED if denied else ReadOutcome.ERROR
        code = str((denied or [first])[0].get("error_code") or "NotRead")
        keys = ", ".join(str(f.get("Key")) for f in acls.failures[:SHOWN_KEYS])
        more = ", …" if len(acls.failures) > SHOWN_KEYS else ""
        message += f"; GetObjectAcl failed for {len(acls.failures)} ({keys}{more})"
    return CoverageGap(
        resource=res.id, resource_type=res.type, read=OBJECT_ACLS, api=read.api if read else "s3:GetObjectAcl",
        outcome=outcome, error_code=code, message=message, datasets=(res.id,), account=res.account,
    )  # fmt: skip
