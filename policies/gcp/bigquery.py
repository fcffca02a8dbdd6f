"""BigQuery datasets, tables and views: access entries, allow policies, authorized views.

Semantics, each with its Google page:

* A dataset's ``access`` entries grant roles to users, groups, domains, special groups
  and IAM members; READER/WRITER/OWNER are the legacy names of
  roles/bigquery.dataViewer/dataEditor/dataOwner
  (https://cloud.google.com/bigquery/docs/reference/rest/v2/datasets#Dataset.FIELDS.access).
  ``specialGroup`` projectReaders/Writers/Owners are the holders of the basic roles on
  the dataset's project (https://cloud.google.com/bigquery/docs/access-control-basic-roles).
* Project, folder and organisation allow policies are inherited by datasets and tables
  (https://cloud.google.com/bigquery/docs/access-control).
* A table or view is reachable by its dataset's audience plus its own allow policy
  (https://cloud.google.com/bigquery/docs/control-access-to-resources-iam).  seenby gives
  every table its **own grants** (dataset entries, inherited bindings, table bindings),
  so readers of a view are found on the view itself, with evidence that names where
  each grant is attached.
* An access entry ``view`` (authorized view), ``dataset`` (authorized dataset) or
  ``routine`` (authorized routine) lets that object read this dataset with its own
  authority: whoever can read the view reads this dataset's data through it
  (https://cloud.google.com/bigquery/docs/authorized-views,
  https://cloud.google.com/bigquery/docs/authorized-datasets,
  https://cloud.google.com/bigquery/docs/authorized-routines).  Each becomes a
  :class:`~seenby.model.Reexposure` from the view (or authorized dataset, or the
  routine's dataset) to this dataset, and to the tables of this dataset the view's SQL
  names (all of them when the SQL was not read).  Chains are left to the graph.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from seenby.model import (
    Condition,
    Dataset,
    DatasetKind,
    Evidence,
    EvidenceKind,
    FrozenJson,
    Provider,
    Reexposure,
    freeze_json,
)
from seenby.policies.gcp.access_levels import narrowed
from seenby.policies.gcp.bindings import iter_binding_members
from seenby.policies.gcp.conditions import Site, decide_levels, iam_condition
from seenby.policies.gcp.context import Context
from seenby.policies.gcp.members import bigquery_entry_member, member_principal
from seenby.policies.gcp.roles import Attachment, Target
from seenby.registry import BigQueryDatasetRead, BigQueryTableRead, TypeName
from seenby.snapshot import Resource, Snapshot

__all__ = ["dataset_id", "evaluate_bigquery", "table_id"]

_PREFIX = "bigquery://"


def dataset_id(project: str, dataset: str) -> str:
    return f"{_PREFIX}{project}.{dataset}"


def table_id(project: str, dataset: str, table: str) -> str:
    return f"{_PREFIX}{project}.{dataset}.{table}"


def _split(resource_id: str, parts: int) -> list[str]:
    """``bigquery://p.d.t`` → [p, d, t]; project ids may hold dots (``example.com:p``)."""
    return resource_id.removeprefix(_PREFIX).rsplit(".", parts - 1)


def _site(resource_id: str, target: Target) -> Site:
    """How IAM Conditions name a dataset or table (``projects/P/datasets/D[/tables/T]``)."""
    if target is Target.BQ_TABLE:
        project, dataset, table = _split(resource_id, 3)
        return Site.bq_table(project, dataset, table)
    project, dataset = _split(resource_id, 2)
    return Site.bq_dataset(project, dataset)


@dataclass(frozen=True, kw_only=True, slots=True)
class _Entry:
    """One member access entry of a dataset."""

    dataset: str
    index: int
    role: str
    member: str
    excerpt: FrozenJson
    condition: Condition | None

    def evidence(self, note: str | None = None) -> Evidence:
        return Evidence(
            kind=EvidenceKind.ACCESS_ENTRY,
            source=self.dataset,
            location=f"access[{self.index}]",
            excerpt=self.excerpt,
            note=note,
        )


class _BigQuery:
    def __init__(self, snapshot: Snapshot, ctx: Context) -> None:
        self.ctx = ctx
        self.datasets = {r.id: r for r in snapshot.of_type(TypeName.GCP_BIGQUERY_DATASET)}
        self.tables = {r.id: r for r in snapshot.of_type(TypeName.GCP_BIGQUERY_TABLE)}
        self.tables_of: dict[str, list[Resource]] = {}
        for table in self.tables.values():
            self.tables_of.setdefault(self._parent_dataset(table), []).append(table)
        self.entries: dict[str, list[_Entry]] = {}

    @staticmethod
    def _parent_dataset(table: Resource) -> str:
        if table.parent and table.parent.startswith(_PREFIX):
            return table.parent
        project, dataset, _ = _split(table.id, 3)
        return dataset_id(project, dataset)

    @staticmethod
    def _project(resource: Resource) -> str:
        return resource.account or _split(resource.id, 2)[0]

    # -- records ---------------------------------------------------------------

    def add_dataset(self, resource: Resource) -> None:
        meta = resource.document(BigQueryDatasetRead.METADATA)
        meta = meta if isinstance(meta, Mapping) else {}
        project, name = _split(resource.id, 2)
        self.ctx.out.datasets[resource.id] = Dataset(
            id=resource.id,
            kind=DatasetKind.BIGQUERY_DATASET,
            provider=Provider.GCP,
            name=resource.name or name,
            account=resource.account or project,
            location=str(meta["location"]) if meta.get("location") else resource.region,
            tags={str(k): str(v) for k, v in (meta.get("labels") or {}).items()},
        )

    def add_table(self, resource: Resource) -> None:
        meta = resource.document(BigQueryTableRead.METADATA)
        meta = meta if isinstance(meta, Mapping) else {}
        project, dataset, name = _split(resource.id, 3)
        parent = self.ctx.out.datasets.get(self._parent_dataset(resource))
        self.ctx.out.datasets[resource.id] = Dataset(
            id=resource.id,
            kind=DatasetKind.BIGQUERY_TABLE,
            provider=Provider.GCP,
            name=resource.name or f"{dataset}.{name}",
            account=resource.account or project,
            location=str(meta["location"]) if meta.get("location") else (parent.location if parent else None),
            tags={str(k): str(v) for k, v in (meta.get("labels") or {}).items()},
        )

    # -- access entries --------------------------------------------------------

    def read_entries(self, resource: Resource) -> None:
        meta = resource.document(BigQueryDatasetRead.METADATA)
        if not isinstance(meta, Mapping):
            return  # unread: the gap is reported; inherited bindings still apply
        project = self._project(resource)
        entries: list[_Entry] = []
        for index, entry in enumerate(meta.get("access") or ()):
            if not isinstance(entry, Mapping):
                continue
            member = bigquery_entry_member(entry, project)
            if member is None:
                self.reexpose(resource.id, index, entry)
                continue
            if not entry.get("role"):
                continue
            entries.append(
                _Entry(
                    dataset=resource.id,
                    index=index,
                    role=str(entry["role"]),
                    member=member,
                    excerpt=freeze_json(entry),  # frozen once: quoted on the dataset and on each of its tables
                    condition=iam_condition(entry.get("condition"), where=f"{resource.id} access[{index}]"),
                )
            )
        self.entries[resource.id] = entries

    def grant_entries(self, target_id: str, dataset: str, target: Target, attachment: Attachment) -> None:
        site = _site(target_id, target)
        for entry in self.entries.get(dataset, ()):
            result = self.ctx.role_levels(entry.role, target, attachment)
            note = None if target_id == dataset else f"dataset access of {dataset}, inherited by {target_id}"
            for decision in decide_levels(
                entry.condition, result.levels, site, at=self.ctx.at, checks=result.checks, memo=self.ctx.cel
            ):
                principal, evidence = narrowed(
                    member_principal(entry.member), decision.access_levels,
                    entry.evidence(note).with_decided(decision.decided),
                )  # fmt: skip
                self.ctx.grant(
                    principal=principal,
                    dataset=target_id,
                    levels=decision.levels,
                    evidence=evidence,
                    conditions=decision.conditions + result.conditions,
                )

    def grant_bindings(self, target_id: str, project: str, target: Target, own_policy: Any) -> None:
        own = [(m, Attachment.RESOURCE) for m in iter_binding_members(target_id, own_policy)]
        inherited = [(m, Attachment.HIERARCHY) for m in self.ctx.hierarchy.inherited_bindings(project)]
        site = _site(target_id, target)
        for member, attachment in own + inherited:
            result = self.ctx.role_levels(member.role, target, attachment)
            note = None if attachment is Attachment.RESOURCE else f"inherited by {target_id} from {member.source}"
            for decision in decide_levels(
                member.condition, result.levels, site, at=self.ctx.at, hierarchy_admin=result.hierarchy_admin,
                checks=result.checks, memo=self.ctx.cel,
            ):
                principal, evidence = narrowed(
                    member_principal(member.member), decision.access_levels,
                    member.evidence(note).with_decided(decision.decided),
                )  # fmt: skip
                self.ctx.grant(
                    principal=principal,
                    dataset=target_id,
                    levels=decision.levels,
                    evidence=evidence,
                    conditions=decision.conditions + result.conditions,
                )

    # -- authorized views, datasets, routines ----------------------------------

    def _views_reading(self, view: str, source_dataset: str) -> list[str]:
        """Tables of ``source_dataset`` the view's SQL names; all of them when the SQL is unknown."""
        tables = [t.id for t in self.tables_of.get(source_dataset, ())]
        resource = self.tables.get(view)
        meta = resource.document(BigQueryTableRead.METADATA) if resource is not None else None
        query = ((meta or {}).get("view") or {}).get("query") if isinstance(meta, Mapping) else None
        if not query:
            return tables
        text = str(query).replace("`", "")
        named = []
        for table in tables:
            _, dataset, name = _split(table, 3)
            if re.search(rf"(?<![\w-]){re.escape(dataset)}\.{re.escape(name)}(?![\w-])", text):
                named.append(table)
        return named

    def reexpose(self, dataset: str, index: int, entry: Mapping[str, Any]) -> None:
        vias: list[tuple[str, str]] = []  # (via, note)
        view = entry.get("view")
        wrapper = entry.get("dataset")
        auth_dataset = wrapper.get("dataset") if isinstance(wrapper, Mapping) else None
        routine = entry.get("routine")
        if isinstance(view, Mapping) and view.get("tableId"):
            via = table_id(str(view.get("projectId")), str(view.get("datasetId")), str(view["tableId"]))
            vias.append((via, f"authorized view {via}"))
            if via not in self.tables:
                vias.append(
                    (
                        dataset_id(str(view.get("projectId")), str(view.get("datasetId"))),
                        f"authorized view {via} was not scanned; its dataset's audience stands in for it",
                    )
                )
        elif isinstance(auth_dataset, Mapping) and auth_dataset.get("datasetId"):
            via_ds = dataset_id(str(auth_dataset.get("projectId")), str(auth_dataset["datasetId"]))
            vias.append((via_ds, f"authorized dataset {via_ds}: its views read {dataset}"))
            for table in self.tables_of.get(via_ds, ()):
                meta = table.document(BigQueryDatasetRead.METADATA)
                kind = str((meta or {}).get("type") or "") if isinstance(meta, Mapping) else ""
                if kind in ("VIEW", ""):
                    vias.append((table.id, f"view of authorized dataset {via_ds}"))
        elif isinstance(routine, Mapping) and routine.get("routineId"):
            via_ds = dataset_id(str(routine.get("projectId")), str(routine.get("datasetId")))
            name = f"{via_ds}.{routine['routineId']}"
            vias.append((via_ds, f"authorized routine {name}: whoever can call it in {via_ds} reads {dataset}"))
        for via, note in vias:
            if via == dataset:
                continue
            evidence = Evidence(
                kind=EvidenceKind.ACCESS_ENTRY, source=dataset, location=f"access[{index}]", excerpt=entry, note=note
            )
            self.ctx.out.reexposures.append(Reexposure(via=via, dataset=dataset, evidence=(evidence,)))
            if via in self.tables:
                for table in self._views_reading(via, dataset):
                    if table != via:
                        self.ctx.out.reexposures.append(Reexposure(via=via, dataset=table, evidence=(evidence,)))

    # -- driver ----------------------------------------------------------------

    def run(self) -> None:
        for resource in self.datasets.values():
            self.add_dataset(resource)
        for resource in self.tables.values():
            self.add_table(resource)
        for resource in self.datasets.values():
            self.read_entries(resource)
        for resource in self.datasets.values():
            project = self._project(resource)
            self.grant_entries(resource.id, resource.id, Target.BQ_DATASET, Attachment.RESOURCE)
            self.grant_bindings(resource.id, project, Target.BQ_DATASET, None)
        for resource in self.tables.values():
            parent = self._parent_dataset(resource)
            self.grant_entries(resource.id, parent, Target.BQ_TABLE, Attachment.PARENT_DATASET)
            policy = resource.document(BigQueryTableRead.IAM_POLICY)
            self.grant_bindings(resource.id, self._project(resource), Target.BQ_TABLE, policy)


def evaluate_bigquery(snapshot: Snapshot, ctx: Context) -> None:
    _BigQuery(snapshot, ctx).run()
