"""Miniature GCP snapshots for the semantics tests: one call per resource, documents as the APIs return them."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from seenby.model import AccessLevel, Evaluation, Grant, ReadOutcome
from seenby.policies.gcp.provider import evaluate_snapshot
from seenby.snapshot import Read, Resource, Snapshot, new_snapshot

# Every miniature snapshot is collected at this instant: IAM Conditions on request.time are decided there.
COLLECTED_AT = datetime(2026, 6, 1, 12, 0, 0, tzinfo=UTC)
ORG = "organizations/100"
PROJECT = "corp-telemetry"
PROJECT_NUMBER = "2001"

DENIED = Read(outcome=ReadOutcome.DENIED, api="getIamPolicy", error_code="PERMISSION_DENIED", message="denied")
ERROR = Read(outcome=ReadOutcome.ERROR, api="get", error_code="UNAVAILABLE", message="503")
ABSENT = Read(outcome=ReadOutcome.ABSENT, api="list")


def _reads(**reads: Any) -> dict[str, Read]:
    out: dict[str, Read] = {}
    for name, value in reads.items():
        if value is None:
            continue
        out[name] = value if isinstance(value, Read) else Read(outcome=ReadOutcome.OK, api=name, document=value)
    return out


def _iam(iam: Any) -> Any:
    """An organisation's, folder's, bucket's or table's IAM policy: an empty one unless given (a required read,
    docs/snapshot.md).  A project keeps none unless given: its basic-role holders stay unknown."""
    return policy() if iam is None else iam


def binding(role: str, *members: str, condition: dict[str, str] | None = None) -> dict[str, Any]:
    b: dict[str, Any] = {"role": role, "members": list(members)}
    if condition is not None:
        b["condition"] = condition
    return b


def policy(*bindings: dict[str, Any]) -> dict[str, Any]:
    return {"version": 3, "bindings": list(bindings), "etag": "BwX"}


def pap_policy(node: str, *, enforce: bool | None = True, reset: bool = False, rules: list[Any] | None = None) -> dict:
    if reset:
        spec: dict[str, Any] = {"reset": True}
    else:
        spec = {"rules": rules if rules is not None else [{"enforce": enforce}]}
    return {"policies": [{"name": f"{node}/policies/storage.publicAccessPrevention", "spec": spec}]}


def org(*, iam: Any = None, org_policies: Any = None, id_: str = ORG) -> Resource:
    return Resource(
        type="gcp.organization",
        id=id_,
        reads=_reads(
            metadata={"name": id_, "displayName": "corp.example"}, iam_policy=_iam(iam), org_policies=org_policies
        ),
    )


def folder(id_: str, *, parent: str = ORG, iam: Any = None, org_policies: Any = None) -> Resource:
    return Resource(
        type="gcp.folder",
        id=id_,
        parent=parent,
        reads=_reads(metadata={"name": id_, "parent": parent}, iam_policy=_iam(iam), org_policies=org_policies),
    )


def project(
    project_id: str = PROJECT,
    *,
    parent: str = ORG,
    number: str = PROJECT_NUMBER,
    iam: Any = None,
    org_policies: Any = None,
) -> Resource:
    return Resource(
        type="gcp.project",
        id=f"projects/{project_id}",
        account=project_id,
        parent=parent,
        reads=_reads(
            metadata={"name": f"projects/{number}", "projectId": project_id, "parent": parent},
            iam_policy=iam,  # none unless given: basic-role holders unknown (convenience.py)
            org_policies=org_policies,
        ),
    )


def bucket(
    name: str,
    *,
    project_id: str = PROJECT,
    iam: Any = None,
    uniform: bool = True,
    pap: str | None = "inherited",
    acl: list[dict[str, str]] | None = None,
    default_acl: list[dict[str, str]] | None = None,
    labels: dict[str, str] | None = None,
    metadata: Any = "build",
    object_acls: Any = None,
) -> Resource:
    if metadata == "build":
        config: dict[str, Any] = {"uniformBucketLevelAccess": {"enabled": uniform}}
        if pap is not None:
            config["publicAccessPrevention"] = pap
        metadata = {"name": name, "location": "EU", "labels": labels or {}, "iamConfiguration": config}
        if acl is not None:
            metadata["acl"] = acl
        if default_acl is not None:
            metadata["defaultObjectAcl"] = default_acl
    return Resource(
        type="gcp.storage.bucket",
        id=f"gs://{name}",
        name=name,
        account=project_id,
        parent=f"projects/{project_id}",
        reads=_reads(metadata=metadata, iam_policy=_iam(iam), object_acls=object_acls),
    )


def objects(*acls: tuple[str, list[tuple[str, str]]], total: int | None = None) -> dict[str, Any]:
    """An ``object_acls`` document: (object name, [(entity, role)…]) newest first, as the scanner records it."""
    items = [{"name": name, "updated": f"2026-05-{30 - i:02d}T00:00:00Z",
              "acl": [{"entity": e, "role": r} for e, r in entries]} for i, (name, entries) in enumerate(acls)]
    return {"items": items, "total": len(items) if total is None else total, "limit": 1000}


def bq_dataset(dataset: str, *access: dict[str, Any], project_id: str = PROJECT, metadata: Any = "build") -> Resource:
    if metadata == "build":
        metadata = {
            "datasetReference": {"projectId": project_id, "datasetId": dataset},
            "location": "EU",
            "labels": {"team": "ml"},
            "access": list(access),
        }
    return Resource(
        type="gcp.bigquery.dataset",
        id=f"bigquery://{project_id}.{dataset}",
        account=project_id,
        parent=f"projects/{project_id}",
        reads=_reads(metadata=metadata),
    )


def bq_table(
    dataset: str,
    table: str,
    *,
    project_id: str = PROJECT,
    kind: str = "TABLE",
    query: str | None = None,
    iam: Any = None,
) -> Resource:
    metadata: dict[str, Any] = {
        "tableReference": {"projectId": project_id, "datasetId": dataset, "tableId": table},
        "type": kind,
    }
    if query is not None:
        metadata["view"] = {"query": query, "useLegacySql": False}
    return Resource(
        type="gcp.bigquery.table",
        id=f"bigquery://{project_id}.{dataset}.{table}",
        account=project_id,
        parent=f"bigquery://{project_id}.{dataset}",
        reads=_reads(metadata=metadata, iam_policy=_iam(iam)),
    )


def view_entry(dataset: str, table: str, project_id: str = PROJECT) -> dict[str, Any]:
    return {"view": {"projectId": project_id, "datasetId": dataset, "tableId": table}}


def group(email: str, *members: tuple[str, str], memberships: Any = "build") -> Resource:
    if memberships == "build":
        memberships = {
            "memberships": [
                {"preferredMemberKey": {"id": m}, "roles": [{"name": "MEMBER"}], "type": t} for t, m in members
            ]
        }
    return Resource(type="gcp.cloudidentity.group", id=email, reads=_reads(memberships=memberships))


def domain(name: str, people: int) -> Resource:
    users = {"users": [{"primaryEmail": f"u{i}@{name}"} for i in range(people)]}
    return Resource(type="gcp.directory.domain", id=name, reads=_reads(users=users))


def snapshot(*resources: Resource) -> Snapshot:
    return new_snapshot(resources, scope={"gcp_projects": [PROJECT]}, mode="test", collected_at=COLLECTED_AT)


def evaluate(*resources: Resource) -> Evaluation:
    return evaluate_snapshot(snapshot(*resources))


def grants(ev: Evaluation, dataset: str, level: AccessLevel, principal: str | None = None) -> list[Grant]:
    return [
        g
        for g in ev.grants
        if g.dataset == dataset and g.level is level and (principal is None or g.principal.id == principal)
    ]


def audience(ev: Evaluation, dataset: str, level: AccessLevel) -> set[str]:
    """Principals holding an unconditional grant."""
    return {g.principal.id for g in grants(ev, dataset, level) if not g.conditional}


def conditional_audience(ev: Evaluation, dataset: str, level: AccessLevel) -> set[str]:
    """Principals whose every grant at this level is conditional."""
    return {g.principal.id for g in grants(ev, dataset, level) if g.conditional} - audience(ev, dataset, level)
