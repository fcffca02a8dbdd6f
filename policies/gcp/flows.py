"""Where Google Cloud data flows: BigQuery clones and snapshots, scheduled queries and transfers, Storage Transfer.

Documents (docs/snapshot.md, docs/flows.md):

- a table's ``metadata`` (bigquery.tables.get): ``cloneDefinition.baseTableReference`` or
  ``snapshotDefinition.baseTableReference`` names the table it copies, whole
  (https://cloud.google.com/bigquery/docs/reference/rest/v2/tables#CloneDefinition);
- a project's ``transfer_configs`` (bigquerydatatransfer.transferConfigs.list →
  ``{"transferConfigs": [...]}``): a ``scheduled_query`` writes what ``params.query`` selects
  from the tables it names into ``destinationDatasetId`` (part of the data: a query selects);
  a ``cross_region_copy`` copies ``params.source_project_id``/``source_dataset_id`` whole; a
  ``disabled`` config writes nothing
  (https://cloud.google.com/bigquery/docs/reference/datatransfer/rest/v1/projects.locations.transferConfigs);
- a project's ``transfer_jobs`` (storagetransfer.transferJobs.list → ``{"transferJobs": [...]}``):
  ``transferSpec.gcsDataSource.bucketName`` into ``gcsDataSink.bucketName``, all of it or the
  part ``objectConditions.includePrefixes`` selects; only ``ENABLED`` jobs run
  (https://cloud.google.com/storage-transfer/docs/reference/rest/v1/transferJobs).

A query's sources are the ``project.dataset.table`` names it spells out; a name without a
project is read in the config's own project.  Pure: documents in, flows out.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

from seenby.model import Carries, Evidence, EvidenceKind, Flow, FlowKind
from seenby.snapshot import Resource, Snapshot

__all__ = ["gcp_flows", "query_tables"]

_FROM = re.compile(r"\b(?:FROM|JOIN)\s+(`[^`]+`|[\w.$-]+)", re.IGNORECASE)


def query_tables(query: str, project: str) -> list[str]:
    """The ``bigquery://project.dataset[.table]`` ids a query reads (after FROM / JOIN), in order, once each."""
    out: list[str] = []
    for match in _FROM.finditer(query):
        name = match.group(1).strip("`")
        parts = name.split(".")
        if len(parts) == 2:
            parts = [project, *parts]
        if len(parts) != 3:
            continue
        ident = f"bigquery://{'.'.join(parts)}"
        if ident not in out:
            out.append(ident)
    return out


def _project_id(res: Resource) -> str:
    return res.id.removeprefix("projects/")


def _table_copies(res: Resource) -> Iterator[Flow]:
    meta: Mapping[str, Any] = res.document("metadata") or {}
    copies = (("cloneDefinition", FlowKind.BIGQUERY_CLONE), ("snapshotDefinition", FlowKind.BIGQUERY_SNAPSHOT))
    for key, kind in copies:
        base = (meta.get(key) or {}).get("baseTableReference") or {}
        if not all(base.get(k) for k in ("projectId", "datasetId", "tableId")):
            continue
        yield Flow(
            source=f"bigquery://{base['projectId']}.{base['datasetId']}.{base['tableId']}",
            destination=res.id,
            kind=kind,
            carries=Carries.ALL,
            destination_account=res.account,
            evidence=(Evidence(kind=EvidenceKind.FLOW_CONFIGURATION, source=res.id, location=key, excerpt=meta[key]),),
        )


def _transfer_configs(res: Resource) -> Iterator[Flow]:
    project = _project_id(res)
    for i, config in enumerate((res.document("transfer_configs") or {}).get("transferConfigs") or []):
        dest = config.get("destinationDatasetId")
        if config.get("disabled") or not dest:
            continue
        params = config.get("params") or {}
        destination = f"bigquery://{project}.{dest}"
        if config.get("dataSourceId") == "cross_region_copy":
            src_project = params.get("source_project_id") or project
            sources, carries = [f"bigquery://{src_project}.{params.get('source_dataset_id')}"], Carries.ALL
        else:
            sources, carries = query_tables(str(params.get("query") or ""), project), Carries.PART
        evidence = Evidence(
            kind=EvidenceKind.FLOW_CONFIGURATION,
            source=str(config.get("name") or res.id),
            location=f"transferConfigs[{i}]",
            excerpt=config,
            note=config.get("displayName") or None,
        )
        for source in sources:
            if source == destination:
                continue
            yield Flow(
                source=source,
                destination=destination,
                kind=FlowKind.BIGQUERY_TRANSFER,
                carries=carries,
                scope="what the query selects" if carries is Carries.PART else None,
                destination_account=project,
                evidence=(evidence,),
            )


def _transfer_jobs(res: Resource) -> Iterator[Flow]:
    for i, job in enumerate((res.document("transfer_jobs") or {}).get("transferJobs") or []):
        spec = job.get("transferSpec") or {}
        source = (spec.get("gcsDataSource") or {}).get("bucketName")
        sink = (spec.get("gcsDataSink") or {}).get("bucketName")
        if job.get("status") != "ENABLED" or not source or not sink:
            continue
        prefixes = (spec.get("objectConditions") or {}).get("includePrefixes") or []
        yield Flow(
            source=f"gs://{source}",
            destination=f"gs://{sink}",
            kind=FlowKind.STORAGE_TRANSFER,
            carries=Carries.PART if prefixes else Carries.ALL,
            scope=", ".join(f"prefix {p}" for p in prefixes) or None,
            destination_account=job.get("projectId") or _project_id(res),
            evidence=(
                Evidence(
                    kind=EvidenceKind.FLOW_CONFIGURATION,
                    source=str(job.get("name") or res.id),
                    location=f"transferJobs[{i}]",
                    excerpt=job,
                ),
            ),
        )


def gcp_flows(snapshot: Snapshot) -> list[Flow]:
    """Every flow the snapshot's BigQuery tables and projects configure."""
    out: list[Flow] = []
    for res in snapshot.of_type("gcp.bigquery.table"):
        out.extend(_table_copies(res))
    for res in snapshot.of_type("gcp.project"):
        out.extend(_transfer_configs(res))
        out.extend(_transfer_jobs(res))
    return out
