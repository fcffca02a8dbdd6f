"""Cloud Storage buckets: allow policies (own and inherited), legacy ACLs, prevention.

Semantics, each with its Google page:

* The bucket's effective allow policy is its own plus the project's, folders' and
  organisation's (https://cloud.google.com/storage/docs/access-control/iam).
* Bucket ACLs and IAM act in parallel, unless uniform bucket-level access is on, which
  disables ACLs (https://cloud.google.com/storage/docs/uniform-bucket-level-access).
  Bucket ACL READER lists objects, WRITER also creates/overwrites/deletes, OWNER also
  changes the ACL and policy (https://cloud.google.com/storage/docs/access-control/lists#permissions).
  Bucket ACLs do not open object data.
* The default object ACL is what new objects get when uploaded without one, so
  default-ACL READER/OWNER becomes a *conditional* READ (OWNER also a conditional ADMIN,
  it can change the object's ACL).
* Objects' own ACLs (the ``object_acls`` read, without uniform access): READER reads the
  object, OWNER also changes its ACL (https://cloud.google.com/storage/docs/access-control/lists#permissions).
  One grant per entity and role across the objects that carry it: unconditional, on *part*
  of the bucket, its evidence naming the objects (a count and the first few names, a
  DATA_PART decided condition).  Objects past the read's limit are a coverage gap
  ("object ACLs read for N of M objects").
* Public access prevention — the bucket's ``enforced``, or ``inherited`` plus an
  enforcing ``constraints/storage.publicAccessPrevention`` up the hierarchy — removes
  every ``allUsers``/``allAuthenticatedUsers`` grant, IAM and ACL alike
  (https://cloud.google.com/storage/docs/public-access-prevention).  When it cannot be
  known (metadata or an org policy unread) those grants stay, conditional.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from seenby.model import (
    AccessLevel,
    Condition,
    ConditionFamily,
    CoverageGap,
    Dataset,
    DatasetKind,
    DecidedCondition,
    Evidence,
    EvidenceKind,
    Principal,
    PrincipalKind,
    Provider,
    ReadOutcome,
)
from seenby.policies.gcp.access_levels import narrowed
from seenby.policies.gcp.bindings import iter_binding_members
from seenby.policies.gcp.conditions import Site, decide_levels
from seenby.policies.gcp.context import Context
from seenby.policies.gcp.hierarchy import Enforcement, PolicyDecision
from seenby.policies.gcp.members import acl_entity_member, member_principal
from seenby.policies.gcp.roles import Attachment, Target
from seenby.registry import GcsBucketRead
from seenby.snapshot import Resource

__all__ = ["evaluate_bucket"]

_PUBLIC_KINDS = frozenset({PrincipalKind.PUBLIC, PrincipalKind.ANY_AUTHENTICATED})
_BUCKET_ACL_LEVELS = {
    "READER": frozenset({AccessLevel.LIST}),
    "WRITER": frozenset({AccessLevel.LIST, AccessLevel.WRITE}),
    "OWNER": frozenset({AccessLevel.LIST, AccessLevel.WRITE, AccessLevel.ADMIN}),
}
_OBJECT_ACL_LEVELS = {
    "READER": frozenset({AccessLevel.READ}),
    "OWNER": frozenset({AccessLevel.READ, AccessLevel.ADMIN}),
}
_DEFAULT_ACL_CONDITION_REASON = (
    "default object ACL: applies to objects uploaded without an explicit ACL (objects' own ACLs are "
    "evaluated from the object_acls read)"
)
_OBJECTS_NAMED = 3  # object names an object-ACL grant's evidence shows; the rest are counted


def _default_acl_condition(field: str, index: int) -> Condition:
    return Condition(expression=f"{field}[{index}]", keys=("object ACL",), reason=_DEFAULT_ACL_CONDITION_REASON)


def _project_of(resource: Resource) -> str:
    if resource.account:
        return resource.account
    if resource.parent and resource.parent.startswith("projects/"):
        return resource.parent.removeprefix("projects/")
    return ""


def _uniform(meta: Mapping[str, Any]) -> bool:
    config = meta.get("iamConfiguration") or {}
    ubla = config.get("uniformBucketLevelAccess") or config.get("bucketPolicyOnly") or {}
    return bool(ubla.get("enabled"))


class _Bucket:
    """Evaluation state of one bucket."""

    def __init__(self, resource: Resource, ctx: Context) -> None:
        self.resource = resource
        self.ctx = ctx
        self.id = resource.id
        self.project = _project_of(resource)
        self.site = Site.bucket(self.id.removeprefix("gs://"))
        meta = resource.document(GcsBucketRead.METADATA)
        self.meta: Mapping[str, Any] | None = meta if isinstance(meta, Mapping) else None
        # None: unknown (metadata unread).
        self.uniform: bool | None = _uniform(self.meta) if self.meta is not None else None
        self.prevention = self._prevention()

    def dataset(self) -> Dataset:
        meta = self.meta or {}
        return Dataset(
            id=self.id,
            kind=DatasetKind.GCS_BUCKET,
            provider=Provider.GCP,
            name=self.resource.name or str(meta.get("name") or self.id.removeprefix("gs://")),
            account=self.project or None,
            location=str(meta["location"]) if meta.get("location") else self.resource.region,
            tags={str(k): str(v) for k, v in (meta.get("labels") or {}).items()},
        )

    def _prevention(self) -> PolicyDecision:
        if self.meta is None:
            read = self.resource.read(GcsBucketRead.METADATA)
            outcome = read.outcome.value if read is not None else "missing"
            return PolicyDecision(
                state=Enforcement.UNKNOWN,
                reason=f"bucket metadata read was {outcome}: public access prevention is unknown",
            )
        setting = str((self.meta.get("iamConfiguration") or {}).get("publicAccessPrevention") or "inherited")
        if setting.lower() == "enforced":
            return PolicyDecision(
                state=Enforcement.ENFORCED,
                reason="the bucket enforces public access prevention",
                evidence=Evidence(
                    kind=EvidenceKind.PUBLIC_ACCESS_PREVENTION,
                    source=self.id,
                    location="iamConfiguration.publicAccessPrevention",
                    excerpt=setting,
                ),
            )
        return self.ctx.hierarchy.public_access_prevention(self.project)

    def _public_gate(self, principal: Principal) -> tuple[bool, tuple[Condition, ...]]:
        """(keep, extra conditions) for a grant to ``principal`` under public access prevention."""
        if principal.kind not in _PUBLIC_KINDS:
            return True, ()
        state = self.prevention.state
        if state is Enforcement.ENFORCED:
            return False, ()
        if state is Enforcement.UNKNOWN:
            condition = self.prevention.condition or Condition(
                expression="publicAccessPrevention", keys=("publicAccessPrevention",), reason=self.prevention.reason
            )
            return True, (condition,)
        return True, ()

    def _emit(
        self,
        principal: Principal,
        levels: frozenset[AccessLevel],
        evidence: Evidence,
        conditions: tuple[Condition, ...],
        access_levels: tuple[str, ...] = (),
    ) -> None:
        """A grant to ``principal`` (to its callers from ``access_levels``), after public access prevention."""
        if not levels:
            return
        keep, extra = self._public_gate(principal)  # prevention acts on the member, whatever network it calls from
        if keep:
            shown, evidence = narrowed(principal, access_levels, evidence)
            self.ctx.grant(
                principal=shown, dataset=self.id, levels=levels, evidence=evidence, conditions=conditions + extra
            )

    def evaluate_iam(self) -> None:
        acls_active = self.uniform is not True
        own = iter_binding_members(self.id, self.resource.document(GcsBucketRead.IAM_POLICY))
        for member, attachment in [(m, Attachment.RESOURCE) for m in own] + [
            (m, Attachment.HIERARCHY) for m in self.ctx.hierarchy.inherited_bindings(self.project)
        ]:
            result = self.ctx.role_levels(member.role, Target.BUCKET, attachment, acls_active=acls_active)
            note = None if attachment is Attachment.RESOURCE else f"inherited by {self.id} from {member.source}"
            for decision in decide_levels(
                member.condition, result.levels, self.site, at=self.ctx.at, hierarchy_admin=result.hierarchy_admin,
                checks=result.checks, memo=self.ctx.cel,
            ):
                self._emit(
                    member_principal(member.member),
                    decision.levels,
                    member.evidence(note).with_decided(decision.decided),
                    decision.conditions + result.conditions,
                    decision.access_levels,
                )

    def evaluate_acls(self) -> None:
        if self.meta is None or self.uniform:
            return  # unknown (gap reported) or disabled by uniform bucket-level access
        numbers = self.ctx.hierarchy.project_ids
        for field, table, conditional in (
            ("acl", _BUCKET_ACL_LEVELS, False),
            ("defaultObjectAcl", _OBJECT_ACL_LEVELS, True),
        ):
            for index, entry in enumerate(self.meta.get(field) or ()):
                if not isinstance(entry, Mapping) or not entry.get("entity"):
                    continue
                levels = table.get(str(entry.get("role") or "").upper(), frozenset())
                evidence = Evidence(
                    kind=EvidenceKind.ACL_GRANT, source=self.id, location=f"{field}[{index}]", excerpt=entry
                )
                conditions = (
                    (_default_acl_condition(field, index),) if conditional else ()
                )
                principal = member_principal(acl_entity_member(str(entry["entity"]), numbers))
                self._emit(principal, levels, evidence, conditions)


    def evaluate_object_acls(self) -> None:
        """Objects' own ACLs: one grant per (entity, role), on the objects that carry it."""
        read = self.resource.read(GcsBucketRead.OBJECT_ACLS)
        doc = self.resource.document(GcsBucketRead.OBJECT_ACLS)
        if self.meta is None or self.uniform or read is None or not isinstance(doc, Mapping):
            return  # unknown (its gap is reported), disabled by uniform access, or not read at all
        items = [o for o in doc.get("items") or () if isinstance(o, Mapping)]
        carriers: dict[tuple[str, str], list[tuple[int, int, str]]] = {}
        for i, obj in enumerate(items):
            for j, entry in enumerate(obj.get("acl") or ()):
                if isinstance(entry, Mapping) and entry.get("entity"):
                    key = (str(entry["entity"]), str(entry.get("role") or "").upper())
                    carriers.setdefault(key, []).append((i, j, str(obj.get("name") or "")))
        numbers = self.ctx.hierarchy.project_ids
        for (entity, role), where in sorted(carriers.items()):
            levels = _OBJECT_ACL_LEVELS.get(role, frozenset())
            names = [name for _, _, name in where]
            shown = ", ".join(names[:_OBJECTS_NAMED])
            more = f" and {len(names) - _OBJECTS_NAMED} more" if len(names) > _OBJECTS_NAMED else ""
            part = f"{len(names)} object(s) with this ACL entry: {shown}{more}"
            first_object, first_entry, _ = where[0]
            evidence = Evidence(
                kind=EvidenceKind.ACL_GRANT,
                source=self.id,
                location=f"object_acls.items[{first_object}].acl[{first_entry}]",
                excerpt={"entity": entity, "role": role, "objects": names[:_OBJECTS_NAMED], "count": len(names)},
                note=f"object ACL entry on {len(names)} object(s)",
            ).with_decided((DecidedCondition(key="object ACL", family=ConditionFamily.DATA_PART, how=part),))
            principal = member_principal(acl_entity_member(entity, numbers))
            self._emit(principal, levels, evidence, ())
        total, limit = doc.get("total"), len(items)
        if isinstance(total, int) and total > limit:
            self.ctx.out.gaps.append(
                CoverageGap(
                    resource=self.id,
                    resource_type=self.resource.type,
                    read=GcsBucketRead.OBJECT_ACLS,
                    api=read.api,
                    outcome=ReadOutcome.ERROR,
                    error_code="Truncated",
                    message=f"object ACLs read for {limit} of {total} objects (the most recently updated; "
                    "scan gcp --object-acl-limit)",
                    datasets=(self.id,),
                    account=self.project or None,
                )
            )


def evaluate_bucket(resource: Resource, ctx: Context) -> None:
    bucket = _Bucket(resource, ctx)
    ctx.out.datasets[bucket.id] = bucket.dataset()
    bucket.evaluate_iam()
    bucket.evaluate_acls()
    bucket.evaluate_object_acls()
