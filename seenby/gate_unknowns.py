"""Values known only after apply, judged at the broadest audience they could open (``seenby gate``).

A coverage gap of the planned state whose read is known only after apply (error code
``UnknownAfterApply``) gets the severity of the worst finding its broadest value adds: the
planned state is audited again with each unknown read replaced by its worst case
(:func:`judge_unknowns`, documented in docs/gate.md, "Values known only after apply").
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import replace
from datetime import date
from typing import Any

from seenby.audit import audit
from seenby.catalog import RuleId
from seenby.config import Rules
from seenby.findings import AuditResult, Finding, Severity
from seenby.importers.terraform import UNKNOWN_AFTER_APPLY, AddressIndex, Origin, PlannedImport
from seenby.model import CoverageGap, ReadOutcome
from seenby.registry import (
    AwsAccountRead,
    BigQueryDatasetRead,
    DynamoDbTableRead,
    GcpNodeRead,
    GcsBucketRead,
    GlueCatalogRead,
    KmsKeyRead,
    S3BucketRead,
    TypeName,
)
from seenby.snapshot import Read, Resource, Snapshot

__all__ = ["judge_unknowns"]

_FOREIGN_ACCOUNT = "999999999999"  # stands for "another AWS account" in the worst-case documents below
_PLAN_GAP_CODES = frozenset({UNKNOWN_AFTER_APPLY})
_IDENTITY_READS = frozenset({"name", "region"})  # which declaration applies, not who is let in
# Unknown settings the planned state already holds at their least protective value (docs/gate.md)
_AT_WORST_READS = frozenset({"uniform_bucket_level_access", "public_access_prevention"})
_PLAN_GAP_REMEDIATION = (
    "Make the value known at plan time (a literal name, a region, a policy from data.aws_iam_policy_document "
    "whose inputs are known), or apply the resource it depends on first and run the gate with a baseline "
    "snapshot that has it.")


# A resource policy's worst case is audited twice: open to anyone, and open to another account.
# One document with both would understate: Block Public Access refuses a public policy whole,
# its cross-account statement with it.
_VARIANTS = ("anyone", "other-account")
_RESOURCE_POLICY_READS = frozenset({
    (TypeName.AWS_S3_BUCKET, S3BucketRead.POLICY), (TypeName.AWS_DYNAMODB_TABLE, DynamoDbTableRead.RESOURCE_POLICY),
    (TypeName.AWS_KMS_KEY, KmsKeyRead.POLICY), (TypeName.AWS_GLUE_CATALOG, GlueCatalogRead.RESOURCE_POLICY),
})


def _aws_policy(resource: list[str], action: str, variant: str) -> str:
    principal: Any = "*" if variant == "anyone" else {"AWS": f"arn:aws:iam::{_FOREIGN_ACCOUNT}:root"}
    statement = {"Sid": f"seenby-worst-case-{variant}", "Effect": "Allow", "Principal": principal,
                 "Action": action, "Resource": resource}
    return json.dumps({"Version": "2012-10-17", "Statement": [statement]})


def _worst_case(res: Resource, read: str, variant: str = "anyone") -> Read | None:
    """The read with the broadest document it could hold; None when seenby has no worst case for it."""
    def ok(api: str, document: Any) -> Read:
        return Read(outcome=ReadOutcome.OK, api=api, document=document)

    key = (res.type, read)
    if key == (TypeName.AWS_S3_BUCKET, S3BucketRead.POLICY):
        return ok("s3:GetBucketPolicy", {"Policy": _aws_policy([res.id, f"{res.id}/*"], "s3:*", variant)})
    if key == (TypeName.AWS_S3_BUCKET, S3BucketRead.ACL):
        grants = [{"Grantee": {"Type": "Group", "URI": f"http://acs.amazonaws.com/groups/global/{g}"},
                   "Permission": "FULL_CONTROL"} for g in ("AllUsers", "AuthenticatedUsers")]
        return ok("s3:GetBucketAcl", {"Owner": {"ID": "terraform-planned-bucket-owner"}, "Grants": grants})
    if key in ((TypeName.AWS_S3_BUCKET, S3BucketRead.PUBLIC_ACCESS_BLOCK),
               (TypeName.AWS_ACCOUNT, AwsAccountRead.PUBLIC_ACCESS_BLOCK)):
        return Read(outcome=ReadOutcome.ABSENT, api="s3:GetBucketPublicAccessBlock",
                    error_code="NoSuchPublicAccessBlockConfiguration")
    if key == (TypeName.AWS_S3_BUCKET, S3BucketRead.OWNERSHIP_CONTROLS):
        return ok("s3:GetBucketOwnershipControls",
                  {"OwnershipControls": {"Rules": [{"ObjectOwnership": "ObjectWriter"}]}})
    if key == (TypeName.AWS_DYNAMODB_TABLE, DynamoDbTableRead.RESOURCE_POLICY):
        return ok("dynamodb:GetResourcePolicy",
                  {"Policy": _aws_policy([res.id, f"{res.id}/*"], "dynamodb:*", variant)})
    if key == (TypeName.AWS_KMS_KEY, KmsKeyRead.POLICY):
        return ok("kms:GetKeyPolicy", {"Policy": _aws_policy(["*"], "kms:*", variant), "PolicyName": "default"})
    if key == (TypeName.AWS_GLUE_CATALOG, GlueCatalogRead.RESOURCE_POLICY):
        return ok("glue:GetResourcePolicy",
                  {"PolicyInJson": _aws_policy([res.id.rsplit(":", 1)[0] + ":*"], "glue:*", variant)})
    if key == (TypeName.GCP_STORAGE_BUCKET, GcsBucketRead.IAM_POLICY):
        return ok("storage.buckets.getIamPolicy", {"version": 3, "bindings": [
            {"role": "roles/storage.admin", "members": ["allUsers", "allAuthenticatedUsers"]}]})
    if key == (TypeName.GCP_STORAGE_BUCKET, GcsBucketRead.METADATA):
        # fine-grained ACLs on, prevention inherited, anyone OWNER
        name = res.id.removeprefix("gs://")
        anyone = [{"entity": "allUsers", "role": "OWNER"}, {"entity": "allAuthenticatedUsers", "role": "OWNER"}]
        return ok("storage.buckets.get", {
            "kind": "storage#bucket", "id": name, "name": name, "labels": {}, "acl": anyone,
            "defaultObjectAcl": anyone, "iamConfiguration": {"uniformBucketLevelAccess": {"enabled": False},
                                                             "publicAccessPrevention": "inherited"}})
    if key == (TypeName.GCP_PROJECT, GcpNodeRead.IAM_POLICY):
        return ok("cloudresourcemanager.projects.getIamPolicy", {"version": 3, "bindings": [
            {"role": role, "members": ["allUsers", "allAuthenticatedUsers"]}
            for role in ("roles/storage.admin", "roles/bigquery.admin")]})
    return None


_BIGQUERY_ANYONE = ({"role": "OWNER", "specialGroup": "allAuthenticatedUsers"},
                    {"role": "OWNER", "iamMember": "allUsers"})


def _bigquery_worst_metadata(res: Resource) -> Read | None:
    """A dataset whose ``access`` entries are unknown: its metadata with entries for anyone added."""
    meta = res.reads.get(BigQueryDatasetRead.METADATA)
    if meta is None or not meta.ok or not isinstance(meta.document, dict):
        return None
    document = {**meta.document, "access": [*(meta.document.get("access") or []), *_BIGQUERY_ANYONE]}
    return Read(outcome=ReadOutcome.OK, api=meta.api, document=document)


_ALLOW_ALL = {"Version": "2012-10-17", "Statement": [{"Sid": "seenby-worst-case", "Effect": "Allow", "Action": "*",
                                                      "Resource": "*"}]}
_ANYONE_ASSUMES = {"Version": "2012-10-17", "Statement": [{"Sid": "seenby-worst-case", "Effect": "Allow",
                                                           "Principal": "*", "Action": "sts:AssumeRole"}]}


def _iam_worst_case(res: Resource, reads: set[str], index: AddressIndex) -> Read | None:
    """The account's GAAD with each unknown IAM value at its broadest; None when none is an IAM value.

    An unknown trust policy lets anyone assume its role; an unknown identity document (inline,
    managed, or an attachment's policy) allows everything to the entity that holds it; an
    unknown owner (an attachment's or inline policy's role, user or group, an entity's name)
    is a role anyone can assume that holds everything.
    """
    if res.type != TypeName.AWS_ACCOUNT:
        return None
    current = res.reads.get(AwsAccountRead.AUTHORIZATION_DETAILS)
    if current is not None and not current.ok:
        return None
    doc = json.loads(json.dumps(current.document if current is not None else {}))
    for key in ("UserDetailList", "GroupDetailList", "RoleDetailList", "Policies"):
        doc.setdefault(key, [])
    changed = False
    for read in sorted(reads):
        origin = index.reads.get((res.id, read))
        if origin is None or not origin.type.startswith("aws_iam_") or not read.startswith(origin.address + "."):
            continue
        attribute = read[len(origin.address) + 1:]
        if _iam_unbounded(origin, attribute):
            continue
        arns = {arn for arn, o in index.entities.items() if o.address == origin.address}
        arns |= {arn for (arn, _name), o in index.inline.items() if o.address == origin.address}
        entities = [e for key in ("UserDetailList", "GroupDetailList", "RoleDetailList") for e in doc[key]
                    if e.get("Arn") in arns]
        managed = [p for p in doc["Policies"] if p.get("Arn") in arns]
        owner_unknown = attribute.split(".", 1)[0].split("[", 1)[0] in (
            "role", "user", "group", "roles", "users", "groups")
        if attribute.startswith("assume_role_policy") and entities:
            for e in entities:
                e["AssumeRolePolicyDocument"] = _ANYONE_ASSUMES
        elif entities and not owner_unknown:
            for e in entities:
                key = ("RolePolicyList" if "RoleName" in e else "UserPolicyList" if "UserName" in e
                       else "GroupPolicyList")
                e[key] = [*(e.get(key) or []), {"PolicyName": "seenby-worst-case", "PolicyDocument": _ALLOW_ALL}]
        elif managed or (origin.type == "aws_iam_policy" and arns):
            for arn in arns:
                doc["Policies"] = [p for p in doc["Policies"] if p.get("Arn") != arn] + [{
                    "PolicyName": arn.rsplit("/", 1)[-1], "Arn": arn, "Path": "/", "DefaultVersionId": "v1",
                    "PolicyVersionList": [{"Document": _ALLOW_ALL, "VersionId": "v1", "IsDefaultVersion": True}]}]
        else:
            name = "seenby-worst-case-" + "".join(c if c.isalnum() else "-" for c in origin.address)[:40]
            doc["RoleDetailList"].append({
                "RoleName": name, "Path": "/", "Arn": f"arn:aws:iam::{res.id}:role/{name}", "RoleId": name,
                "AssumeRolePolicyDocument": _ANYONE_ASSUMES, "AttachedManagedPolicies": [], "Tags": [],
                "RolePolicyList": [{"PolicyName": "seenby-worst-case", "PolicyDocument": _ALLOW_ALL}]})
        changed = True
    if not changed:
        return None
    return Read(outcome=ReadOutcome.OK, api="iam:GetAccountAuthorizationDetails", document=doc)


def _worst_case_snapshot(snapshot: Snapshot, gaps: Iterable[CoverageGap], index: AddressIndex,
                         variant: str = "anyone") -> Snapshot | None:
    """``snapshot`` with each unknown read replaced by its worst case (None when none has one).

    Only what can matter is kept: the AWS accounts the gaps are in (with the organisation and
    account-less AWS resources), and Google Cloud whole when a gap is there.  The worst cases
    open their datasets to synthetic principals (anyone, another account, a role anyone can
    assume), so other accounts' resources cannot change what they add, and the extra audit
    grows with the accounts concerned, not with the organisation.
    """
    wanted: dict[tuple[str, str], set[str]] = {}
    gaps = list(gaps)
    for g in gaps:
        wanted.setdefault((g.resource_type, g.resource), set()).add(g.read)
    accounts = {g.account for g in gaps if g.resource_type.startswith("aws.")}
    accounts |= {r.account for r in snapshot.resources if r.type.startswith("aws.") and r.id in
                 {d for g in gaps if g.resource_type.startswith("aws.") for d in g.datasets}}
    keep_gcp = any(not g.resource_type.startswith("aws.") for g in gaps)

    def kept(res: Resource) -> bool:
        if res.type.startswith("aws."):
            return res.account in accounts or not res.account or res.type.startswith("aws.organizations.")
        return keep_gcp

    changed = False
    resources = []
    for res in snapshot.resources:
        if not kept(res):
            continue
        reads = wanted.get((res.type, res.id))
        if reads:
            new_reads = dict(res.reads)
            for name in reads:
                worst = _worst_case(res, name, variant)
                if worst is not None:
                    new_reads[name] = worst
                    changed = True
            if res.type == TypeName.GCP_BIGQUERY_DATASET and BigQueryDatasetRead.ACCESS in reads:
                worst_meta = _bigquery_worst_metadata(res)
                if worst_meta is not None:
                    new_reads[BigQueryDatasetRead.METADATA] = worst_meta
                    changed = True
            iam = _iam_worst_case(res, reads, index)
            if iam is not None:
                new_reads[AwsAccountRead.AUTHORIZATION_DETAILS] = iam
                changed = True
            res = replace(res, reads=new_reads)
        resources.append(res)
    return replace(snapshot, resources=tuple(resources)) if changed else None


_IAM_ENTITIES = frozenset({"aws_iam_role", "aws_iam_user", "aws_iam_group"})


def _iam_unbounded(origin: Origin, attribute: str) -> bool:
    """An entity whose own name is unknown (``name_prefix``): dropped from the GAAD, its trust and
    policies are not in the planned state to widen, so its gap keeps SB011's severity."""
    return origin.type in _IAM_ENTITIES and attribute.split("[", 1)[0] == "name"


def _has_worst_case(gap: CoverageGap, index: AddressIndex) -> bool:
    if _worst_case(_stub(gap), gap.read) is not None:
        return True
    if (gap.resource_type, gap.read) == (TypeName.GCP_BIGQUERY_DATASET, BigQueryDatasetRead.ACCESS):
        return True
    origin = index.reads.get((gap.resource, gap.read))
    return (gap.resource_type == TypeName.AWS_ACCOUNT and origin is not None and origin.type.startswith("aws_iam_")
            and gap.read.startswith(origin.address + ".")
            and not _iam_unbounded(origin, gap.read[len(origin.address) + 1:]))


_WHO = {"public": "anyone (public)", "any-authenticated": "any authenticated principal",
        "organization": "a whole organisation or domain", "other-account": "another account",
        "specific": "principals beyond its declaration"}


def _describe_worst(finding: Finding) -> str:
    classes = sorted({e.audience_class for e in finding.excess}, key=lambda c: c.rank)
    who = _WHO.get(classes[0].value, classes[0].value) if classes else "principals beyond its declaration"
    return f"{who} ({finding.rule_id}, {finding.severity.value})"


def judge_unknowns(result: AuditResult, planned: PlannedImport, rules: Rules, *, today: date | None) -> AuditResult:
    """Gaps of values known only after apply, at the severity of the broadest audience they could open.

    The planned state is audited once more with every unknown read replaced by the broadest
    document it could hold (a bucket policy allowing ``*`` and another account, an ACL granting
    AllUsers, Block Public Access off, …); the worst finding that run adds on a dataset gives the
    severity of the gaps on it, so Block Public Access, public access prevention and the
    declaration all still count.  A gap with no worst case (an IAM document, a name) keeps the
    severity rules.yaml gives coverage gaps, or the worst of the dataset's own findings when higher.
    A severity set for SB011 in rules.yaml wins.
    """
    plan_gaps = [f for f in result.findings if f.gap is not None and f.gap.error_code in _PLAN_GAP_CODES]
    if not plan_gaps:
        return result
    pinned = rules.setting(RuleId.COVERAGE_GAP).severity
    worst_by_dataset: dict[str, Finding] = {}
    snapshot = planned.snapshot
    seen = {f.fingerprint for f in result.findings}
    variants = _VARIANTS if any((f.gap.resource_type, f.gap.read) in _RESOURCE_POLICY_READS
                                for f in plan_gaps if f.gap is not None) else _VARIANTS[:1]
    for variant in variants:
        whatif = _worst_case_snapshot(snapshot, (f.gap for f in plan_gaps if f.gap is not None), planned.index,
                                      variant)
        if whatif is None:
            break
        for f in audit(whatif, rules, today=today).findings:
            if f.gap is None and f.fingerprint not in seen and f.rule_id != RuleId.UNDECLARED:
                best = worst_by_dataset.get(f.dataset.id)
                if best is None or f.severity.rank > best.severity.rank:
                    worst_by_dataset[f.dataset.id] = f
    own: dict[str, Finding] = {}
    for f in result.findings:
        if f.gap is None and f.rule_id != RuleId.UNDECLARED:
            best = own.get(f.dataset.id)
            if best is None or f.severity.rank > best.severity.rank:
                own[f.dataset.id] = f
    out = []
    for f in result.findings:
        if f.gap is None or f.gap.error_code not in _PLAN_GAP_CODES:
            out.append(f)
            continue
        has_worst_case = _has_worst_case(f.gap, planned.index)
        worst = worst_by_dataset.get(f.dataset.id) if has_worst_case else None
        if worst is not None:
            severity, why = worst.severity, f"could open it to {_describe_worst(worst)}"
        elif has_worst_case:
            severity, why = Severity.LOW, "its broadest value opens nothing beyond the declaration"
        elif f.gap.read in _IDENTITY_READS:
            mine = own.get(f.dataset.id)
            severity, why = (mine.severity, f"it decides which declaration applies to a dataset open to "
                                            f"{_describe_worst(mine)}") if mine is not None else \
                (Severity.LOW, "it decides which declaration applies; judged undeclared, nothing reaches it beyond "
                               "its owner")
        elif f.gap.read in _AT_WORST_READS:
            mine = own.get(f.dataset.id)
            severity, why = (mine.severity, f"at its least protective value the dataset is open to "
                                            f"{_describe_worst(mine)}") if mine is not None else \
                (Severity.LOW, "even at its least protective value it opens nothing beyond the declaration")
        else:
            severity, why = f.severity, "seenby cannot bound what it could open"
            mine = own.get(f.dataset.id)
            if mine is not None and mine.severity.rank > severity.rank:
                severity, why = mine.severity, f"the dataset is already open to {_describe_worst(mine)}"
        message = f"{f.message}; the value is known only after apply and {why}"
        out.append(replace(f, severity=pinned or severity, message=message, remediation=_PLAN_GAP_REMEDIATION))
    return replace(result, findings=tuple(out))


def _stub(gap: CoverageGap) -> Resource:
    return Resource(type=gap.resource_type, id=gap.resource, name=None, account=gap.account, region=None, parent=None,
                    reads={})
