"""S3 objects of a plan → their bucket's ``object_acls`` read, judged like a scanned object ACL.

``aws_s3_object`` (and ``aws_s3_bucket_object``, the provider's deprecated name for it) sets a
canned ``acl``; ``aws_s3_object_copy`` sets a canned ``acl`` or ``grant`` blocks
(https://registry.terraform.io/providers/hashicorp/aws/latest/docs/resources/s3_object,
…/s3_object_copy).  An object written without either gets the ``private`` canned ACL: its owner
alone (https://docs.aws.amazon.com/AmazonS3/latest/userguide/acl-overview.html#canned-acl).

Each planned object becomes one entry of the bucket's ``object_acls`` document, in the shape
the scanner stores (:func:`seenby.scanners.aws.s3.object_acls_read`): an entry per distinct ACL
with its keys.  The evaluator then applies it exactly as a live object ACL
(:mod:`seenby.policies.aws.object_acls`): not at all under Object Ownership ``BucketOwnerEnforced``
(the default for a new bucket) or ``IgnorePublicAcls``, otherwise as grants on the bucket's data.

Coverage (fail closed): an ``acl`` or ``grant`` known only after apply, or a canned name seenby
does not know, makes the read a gap.  On a bucket that exists (a baseline bucket) whose object
ACLs the baseline did not read, the planned objects are not all the objects: the read is marked
incomplete, so the evaluator reports the unread rest as a coverage gap.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from seenby.importers.terraform.aws import CANNED_ACLS, acl_document, owner_id, target_bucket
from seenby.importers.terraform.context import Builder, Context
from seenby.importers.terraform.plan import PlannedResource
from seenby.importers.terraform.resolve import UNKNOWN_AFTER_APPLY, Unknown, is_unknown
from seenby.importers.terraform.state import Draft, ok, unknown
from seenby.model import thaw_json
from seenby.registry import S3BucketRead

__all__ = ["OBJECT_BUILDERS", "OBJECT_DELETERS"]

_READ = S3BucketRead.OBJECT_ACLS
_API = "s3:GetObjectAcl"
_GRANTEE_FIELDS = (("id", "ID"), ("uri", "URI"), ("email", "EmailAddress"))


def _planned_grants(ctx: Context, res: PlannedResource, owner: str) -> list[dict[str, Any]] | Unknown:
    """The object's ACL grants (the owner's FULL_CONTROL first), or the unknown value that decides them."""
    blocks = ctx.get(res, "grant") if res.type == "aws_s3_object_copy" else None
    if is_unknown(blocks):
        return blocks
    if blocks:
        grants = acl_document(owner, [])["Grants"]
        for i, block in enumerate(blocks):
            permissions = ctx.get(res, "grant", i, "permissions")
            if is_unknown(permissions):
                return permissions
            grantee: dict[str, Any] = {"Type": block.get("type")}
            grantee.update({api: block[key] for key, api in _GRANTEE_FIELDS if block.get(key)})
            grants += [{"Grantee": dict(grantee), "Permission": p} for p in sorted(permissions or [])]
        return grants
    canned = ctx.get(res, "acl")
    if is_unknown(canned):
        return canned
    name = canned if isinstance(canned, str) and canned else "private"
    extra = CANNED_ACLS.get(name)
    if extra is None:
        return Unknown(address=res.address, attribute=f"acl ({name!r} is not a canned ACL seenby knows)",
                       where=res.place("acl"))
    return acl_document(owner, extra)["Grants"]


def _document(d: Draft) -> dict[str, Any]:
    """The bucket's ``object_acls`` document to add planned objects to: the baseline's, or a new one."""
    read = d.reads.get(_READ)
    if read is not None and read.ok and isinstance(read.document, Mapping):
        return thaw_json(read.document)
    # A bucket the plan creates holds only the plan's objects; an existing one also holds objects
    # whose ACLs nobody read (the baseline's read failed, or the baseline has none): incomplete.
    return {"Listed": 0, "ListingComplete": not d.in_baseline, "Chosen": 0, "Acls": [], "Failures": []}


def _without_key(doc: dict[str, Any], key: str) -> bool:
    """Remove ``key`` from the document's ACL entries; whether it was there."""
    found = False
    for entry in doc["Acls"]:
        if key in entry.get("Keys", ()):
            entry["Keys"] = [k for k in entry["Keys"] if k != key]
            found = True
    doc["Acls"] = [e for e in doc["Acls"] if e.get("Keys")]
    doc["Failures"] = [f for f in doc.get("Failures") or [] if f.get("Key") != key]
    return found


def _key(ctx: Context, res: PlannedResource) -> str:
    key = ctx.get(res, "key")
    return key if isinstance(key, str) and key else f"({res.address}: key known after apply)"


def s3_object(ctx: Context, res: PlannedResource) -> None:
    d = target_bucket(ctx, res)
    if d is None:
        return
    origin = ctx.origin(res)
    current = d.reads.get(_READ)
    if current is not None and current.error_code == UNKNOWN_AFTER_APPLY:
        return  # an earlier object of this plan has an ACL known only after apply: the read stays a gap
    owner = owner_id(ctx, d.account)
    grants = _planned_grants(ctx, res, owner)
    if is_unknown(grants):
        ctx.state.set_read(d, _READ, unknown(_API, grants), origin)
        return
    doc = _document(d)
    key = _key(ctx, res)
    if not _without_key(doc, key):
        doc["Listed"] = int(doc.get("Listed") or 0) + 1
        doc["Chosen"] = int(doc.get("Chosen") or 0) + 1
    acl = {"Owner": {"ID": owner}, "Grants": grants}
    entry = next((e for e in doc["Acls"] if e.get("Owner") == acl["Owner"] and e.get("Grants") == grants), None)
    if entry is None:
        doc["Acls"].append({**acl, "Keys": [key]})
    else:
        entry["Keys"].append(key)
    ctx.state.set_read(d, _READ, ok(_API, doc), origin)


def delete_s3_object(ctx: Context, res: PlannedResource) -> None:
    """A deleted object's ACL stops applying: its key leaves the bucket's ``object_acls`` document."""
    d = target_bucket(ctx, res)
    if d is None:
        return
    read = d.reads.get(_READ)
    if read is None or not read.ok or not isinstance(read.document, Mapping):
        return
    doc = thaw_json(read.document)
    if _without_key(doc, _key(ctx, res)):
        doc["Listed"] = max(0, int(doc.get("Listed") or 0) - 1)
        doc["Chosen"] = max(0, int(doc.get("Chosen") or 0) - 1)
        ctx.state.set_read(d, _READ, ok(_API, doc), ctx.origin(res))


_TYPES = ("aws_s3_object", "aws_s3_bucket_object", "aws_s3_object_copy")
OBJECT_BUILDERS: dict[str, Builder] = dict.fromkeys(_TYPES, s3_object)
OBJECT_DELETERS: dict[str, Builder] = dict.fromkeys(_TYPES, delete_s3_object)
