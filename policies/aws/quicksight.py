"""QuickSight dashboards (``aws.quicksight.dashboard``) and their account (``aws.quicksight.account``).

* Who can see a dashboard is its permission list
  (https://docs.aws.amazon.com/quicksight/latest/APIReference/API_DescribeDashboardPermissions.html):
  each entry names a QuickSight user, group or namespace ARN and actions, mapped to levels in
  ``data/quicksight.json``.  Users, groups and memberships of the account's directory become
  principals and MEMBER_OF edges, and every user of a namespace is a member of the
  namespace's principal (the namespace ARN, kind GROUP), so people are counted.
* Link sharing (``LinkSharingConfiguration``) to a namespace reaches every QuickSight user of
  it; to ``arn:aws:quicksight:::publicAnonymousUser/*`` anyone on the internet, but only while
  the account's ``PublicSharingEnabled`` is true
  (https://docs.aws.amazon.com/quicksight/latest/user/share-a-dashboard-grant-access-anyone-api.html).
  An unknown setting keeps the public grant, conditional.
* A dashboard queries its data sets' sources with the data source's own credentials, so
  whoever reads the dashboard reads (some of) the data behind it: a
  :class:`~seenby.model.Reexposure` from the dashboard to each S3 bucket (S3 data sources:
  the manifest's bucket) and Glue table (Athena data sources: ``Catalog``/``Schema``/``Name``)
  it reads, with DASHBOARD_LINEAGE evidence.  A data source with identity propagation on
  queries as the viewer, and re-exposes nothing.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from functools import cache
from importlib import resources
from typing import Any

from seenby.model import (
    AWS_PUBLIC,
    AccessLevel,
    Condition,
    Dataset,
    DatasetKind,
    Edge,
    EdgeKind,
    Evidence,
    EvidenceKind,
    Grant,
    Principal,
    PrincipalKind,
    Provider,
    Reexposure,
)
from seenby.policies.aws.services import ServiceContext
from seenby.registry import QuickSightAccountRead, QuickSightDashboardRead, TypeName
from seenby.snapshot import Resource

__all__ = ["evaluate_quicksight", "lineage_targets", "permission_levels"]

DASHBOARD_TYPE = TypeName.AWS_QUICKSIGHT_DASHBOARD
ACCOUNT_TYPE = TypeName.AWS_QUICKSIGHT_ACCOUNT


@cache
def _data() -> dict[str, Any]:
    return json.loads(resources.files("seenby.policies.aws").joinpath("data/quicksight.json").read_text())


def permission_levels(actions: list[str]) -> list[AccessLevel]:
    """The levels a permission entry's actions give (case-insensitive, as IAM actions)."""
    given = {a.lower() for a in actions}
    return [AccessLevel(level) for level, acts in _data()["levels"].items() if given & {a.lower() for a in acts}]


def _namespace_of(arn: str) -> str | None:
    """``arn:aws:quicksight:R:A:user/NS/name`` -> ``arn:aws:quicksight:R:A:namespace/NS``."""
    head, _, resource = arn.partition(":user/")
    if not resource or "/" not in resource:
        return None
    return f"{head}:namespace/{resource.split('/', 1)[0]}"


def _principal(arn: str, account: str | None) -> Principal:
    resource = arn.split(":", 5)[-1]
    kind = PrincipalKind.USER if resource.startswith("user/") else PrincipalKind.GROUP
    name = resource.rsplit("/", 1)[-1]
    if resource.startswith("namespace/"):
        name = f"every QuickSight user of namespace {name} in {account}"
    elif kind is PrincipalKind.GROUP:
        name = f"{name} (QuickSight group)"
    return Principal(id=arn, kind=kind, provider=Provider.AWS, account=account, name=name)


class _Directory:
    """One account's QuickSight users, groups and sharing setting."""

    def __init__(self, res: Resource | None) -> None:
        self.res = res
        settings_read = res.read(QuickSightAccountRead.ACCOUNT_SETTINGS) if res is not None else None
        self.public_sharing: bool | None = None
        self.public_sharing_reason = "the account's QuickSight settings are not in the snapshot"
        if settings_read is not None and settings_read.ok:
            settings = (settings_read.document or {}).get("AccountSettings") or {}
            self.public_sharing = bool(settings.get("PublicSharingEnabled"))
        elif settings_read is not None and not settings_read.outcome.is_gap:
            self.public_sharing = False
        elif settings_read is not None:
            self.public_sharing_reason = (
                f"{settings_read.api} was {settings_read.outcome.value} ({settings_read.error_code})"
            )


def _directory_edges(ctx: ServiceContext, res: Resource) -> None:
    users = (res.document(QuickSightAccountRead.USERS) or {}).get("UserList") or []
    groups = {g["GroupName"]: g for g in (res.document(QuickSightAccountRead.GROUPS) or {}).get("GroupList") or []}
    for i, u in enumerate(users):
        user = _principal(str(u["Arn"]), res.account)
        user = Principal(id=user.id, kind=user.kind, provider=user.provider, account=user.account,
                         name=str(u.get("UserName") or user.name))  # fmt: skip
        ctx.evaluation.add_principal(user)
        namespace = _namespace_of(user.id)
        if namespace:
            evidence = Evidence(kind=EvidenceKind.GROUP_MEMBERSHIP, source=res.id, location=f"UserList[{i}]",
                                excerpt={"Arn": u["Arn"]}, note="every user of a namespace belongs to it")  # fmt: skip
            ctx.evaluation.add_edge(
                Edge(source=user, target=_principal(namespace, res.account), kind=EdgeKind.MEMBER_OF,
                     evidence=(evidence,))
            )  # fmt: skip
    for i, entry in enumerate((res.document(QuickSightAccountRead.MEMBERSHIPS) or {}).get("Groups") or []):
        group = groups.get(entry.get("GroupName"))
        if group is None:
            continue
        target = _principal(str(group["Arn"]), res.account)
        for j, member in enumerate(entry.get("GroupMemberList") or []):
            evidence = Evidence(kind=EvidenceKind.GROUP_MEMBERSHIP, source=res.id,
                                location=f"Groups[{i}].GroupMemberList[{j}]", excerpt=member)  # fmt: skip
            source = _principal(str(member["Arn"]), res.account)
            ctx.evaluation.add_edge(Edge(source=source, target=target, kind=EdgeKind.MEMBER_OF, evidence=(evidence,)))


def lineage_targets(res: Resource) -> list[tuple[str, Evidence]]:
    """The datasets a dashboard reads through its data sets and data sources, each with its evidence."""
    listed = (res.document(QuickSightDashboardRead.DATA_SOURCES) or {}).get("DataSources") or []
    sources = {str(d["Arn"]): d for d in listed}
    out: list[tuple[str, Evidence]] = []
    for i, data_set in enumerate((res.document(QuickSightDashboardRead.DATA_SETS) or {}).get("DataSets") or []):
        for key, table in (data_set.get("PhysicalTableMap") or {}).items():
            for kind in ("RelationalTable", "CustomSql", "S3Source"):
                part = table.get(kind)
                if not part:
                    continue
                source = sources.get(str(part.get("DataSourceArn")))
                target = _target(source, part) if source is not None else None
                if target is None:
                    continue
                evidence = Evidence(
                    kind=EvidenceKind.DASHBOARD_LINEAGE, source=res.id,
                    location=f"DataSets[{i}].PhysicalTableMap.{key}.{kind}",
                    excerpt={"DataSet": data_set.get("Arn"), "DataSource": source.get("Arn"),
                             "DataSourceType": source.get("Type"), "Reads": target},
                    note="the dashboard queries with the data source's credentials, not the viewer's",
                )  # fmt: skip
                out.append((target, evidence))
    return out


def _target(source: Mapping[str, Any], part: Mapping[str, Any]) -> str | None:
    params = source.get("DataSourceParameters") or {}
    athena = params.get("AthenaParameters")
    if athena is not None:
        if (athena.get("IdentityCenterConfiguration") or {}).get("EnableIdentityPropagation"):
            return None  # queries as the viewer
        schema, name = part.get("Schema"), part.get("Name")
        if not (schema and name):
            return None
        arn = str(source["Arn"]).split(":")
        return f"arn:{arn[1]}:glue:{arn[3]}:{arn[4]}:table/{schema}/{name}"
    s3 = params.get("S3Parameters")
    if s3 is not None:
        bucket = (s3.get("ManifestFileLocation") or {}).get("Bucket")
        return f"arn:aws:s3:::{bucket}" if bucket else None
    return None


def _grants(res: Resource, directory: _Directory) -> list[Grant]:
    doc = res.document(QuickSightDashboardRead.PERMISSIONS) or {}
    grants: list[Grant] = []
    for i, entry in enumerate(doc.get("Permissions") or []):
        evidence = Evidence(kind=EvidenceKind.DASHBOARD_PERMISSION, source=res.id, location=f"Permissions[{i}]",
                            excerpt=entry)  # fmt: skip
        principal = _principal(str(entry["Principal"]), res.account)
        for level in permission_levels(list(entry.get("Actions") or [])):
            grants.append(Grant(principal=principal, dataset=res.id, level=level, evidence=(evidence,)))
    link = (doc.get("LinkSharingConfiguration") or {}).get("Permissions") or []
    for i, entry in enumerate(link):
        evidence = Evidence(kind=EvidenceKind.DASHBOARD_PERMISSION, source=res.id,
                            location=f"LinkSharingConfiguration.Permissions[{i}]", excerpt=entry)  # fmt: skip
        levels = [lvl for lvl in permission_levels(list(entry.get("Actions") or [])) if lvl is AccessLevel.READ]
        if not levels:
            continue
        if entry["Principal"] == _data()["public_principal"]:
            if directory.public_sharing is False:
                continue
            conditions = ()
            if directory.public_sharing is None:
                conditions = (Condition(expression={"PublicSharingEnabled": "unknown"}, keys=("PublicSharingEnabled",),
                                        reason="anyone on the internet, if the account allows public sharing: "
                                        + directory.public_sharing_reason),)  # fmt: skip
            grants.append(Grant(principal=AWS_PUBLIC, dataset=res.id, level=AccessLevel.READ, evidence=(evidence,),
                                conditions=conditions))  # fmt: skip
        else:
            principal = _principal(str(entry["Principal"]), res.account)
            grants.append(Grant(principal=principal, dataset=res.id, level=AccessLevel.READ, evidence=(evidence,)))
    return grants


def evaluate_quicksight(ctx: ServiceContext) -> None:
    accounts = {res.account: res for res in ctx.snapshot.of_type(ACCOUNT_TYPE)}
    for res in accounts.values():
        _directory_edges(ctx, res)
    for res in ctx.snapshot.of_type(DASHBOARD_TYPE):
        dashboard = (res.document(QuickSightDashboardRead.DASHBOARD) or {}).get("Dashboard") or {}
        ctx.evaluation.datasets[res.id] = Dataset(
            id=res.id, kind=DatasetKind.DASHBOARD, provider=Provider.AWS, name=str(dashboard.get("Name") or res.name
            or res.id.rsplit("/", 1)[-1]), account=res.account, location=res.region,
        )  # fmt: skip
        for grant in _grants(res, _Directory(accounts.get(res.account))):
            ctx.evaluation.add_grant(grant)
        for target, evidence in lineage_targets(res):
            if target != res.id:
                ctx.evaluation.reexposures.append(Reexposure(via=res.id, dataset=target, evidence=(evidence,)))
