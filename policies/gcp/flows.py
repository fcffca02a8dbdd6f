"""Where Google Cloud data flows: BigQuery clones and snapshots, scheduled queries and transfers, Storage Transfer.

Documents (docs/snapshot.md, docs/flows.md):

- a table's ``metadata`` (bigquery.tables.get): ``cloneDefinition.baseTableReference`` or
  ``snapshotDefinition.baseTableReference`` names the table it copies, whole
  (https://cloud.google.com/bigquery/docs/reference/rest/v2/tables#CloneDefinition);
- a project's ``transfer_configs`` (bigquerydatatransfer.transferConfigs.list →
  ``{"transferConfigs": [...]}``,
  https://cloud.google.com/bigquery/docs/reference/datatransfer/rest/v1/projects.locations.transferConfigs):
  a ``scheduled_query`` writes what ``params.query`` selects from the tables it names into
  ``destinationDatasetId`` (part of the data: a query selects); without a destination
  dataset it is a DDL/DML script, which writes into the tables its ``INSERT``, ``MERGE``,
  ``UPDATE`` and ``CREATE TABLE`` statements name and the buckets its ``EXPORT DATA``
  statements name
  (https://cloud.google.com/bigquery/docs/scheduling-queries#destination_table); a script
  whose writes none of these name is a coverage gap on what it reads (``DestinationUnknown``);
  a ``cross_region_copy`` copies ``params.source_project_id``/``source_dataset_id`` whole
  (https://cloud.google.com/bigquery/docs/copying-datasets); a ``google_cloud_storage`` or
  ``amazon_s3`` transfer loads part of the bucket in ``params.data_path_template`` /
  ``params.data_path`` (https://cloud.google.com/bigquery/docs/cloud-storage-transfer,
  https://cloud.google.com/bigquery/docs/s3-transfer); a ``disabled`` config writes nothing;
- a project's ``transfer_jobs`` (storagetransfer.transferJobs.list → ``{"transferJobs": [...]}``):
  ``transferSpec`` or ``replicationSpec`` (cross-bucket replication) ``gcsDataSource`` (or
  ``awsS3DataSource``, an S3 bucket) into ``gcsDataSink.bucketName``, all of it or the part
  ``gcsDataSource.path`` / ``objectConditions.includePrefixes`` selects; only ``ENABLED`` jobs run
  (https://cloud.google.com/storage-transfer/docs/reference/rest/v1/transferJobs).

A query's sources are the ``project.dataset.table`` names it spells out after ``FROM``,
``JOIN`` and ``USING``; a name without a project is read in the config's own project.
Pure: documents in, flows (and gaps) out.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

from seenby.model import Carries, CoverageGap, Evidence, EvidenceKind, Flow, FlowKind, ReadOutcome
from seenby.registry import BigQueryTableRead, GcpNodeRead, TypeName
from seenby.snapshot import Resource, Snapshot

__all__ = [
    "DESTINATION_UNKNOWN",
    "TRANSFER_CONFIGS_API",
    "TRANSFER_JOBS_API",
    "gcp_flow_gaps",
    "gcp_flows",
    "query_tables",
    "query_writes",
]

TRANSFER_CONFIGS_API = "bigquerydatatransfer.projects.locations.transferConfigs.list"
TRANSFER_JOBS_API = "storagetransfer.transferJobs.list"
DESTINATION_UNKNOWN = "DestinationUnknown"
"""The error code of the gap a scheduled script opens when seenby cannot tell where it writes."""

_NAME = r"(`[^`]+`|[\w.$-]+)"
_FROM = re.compile(rf"\b(?:FROM|JOIN|USING)\s+{_NAME}", re.IGNORECASE)
_WRITE = re.compile(
    rf"\b(?:INSERT\s+(?:INTO\s+)?|MERGE\s+(?:INTO\s+)?|UPDATE\s+|"
    rf"CREATE\s+(?:OR\s+REPLACE\s+)?TABLE\s+(?:IF\s+NOT\s+EXISTS\s+)?){_NAME}",
    re.IGNORECASE,
)
_EXPORT = re.compile(r"\bEXPORT\s+DATA\b.*?\buri\s*=\s*[rR]?['\"]gs://([^/'\"]+)", re.IGNORECASE | re.DOTALL)
_BUCKET = re.compile(r"^(gs|s3)://([^/]+)")


def _table_ids(pattern: re.Pattern[str], query: str, project: str) -> list[str]:
    out: list[str] = []
    for match in pattern.finditer(query):
        parts = match.group(1).strip("`").split(".")
        if len(parts) == 2:
            parts = [project, *parts]
        if len(parts) != 3 or not all(parts):
            continue
        ident = f"bigquery://{'.'.join(parts)}"
        if ident not in out:
            out.append(ident)
    return out


def query_tables(query: str, project: str) -> list[str]:
    """The ``bigquery://project.dataset.table`` ids a query reads (after FROM / JOIN / USING), in order, once each."""
    return _table_ids(_FROM, query, project)


def query_writes(query: str, project: str) -> list[str]:
    """Where a DDL/DML script writes: the tables of its INSERT, MERGE, UPDATE and CREATE TABLE statements
    (``bigquery://…``) and the buckets of its EXPORT DATA statements (``gs://…``), once each."""
    out = _table_ids(_WRITE, query, project)
    for match in _EXPORT.finditer(query):
        bucket = f"gs://{match.group(1)}"
        if bucket not in out:
            out.append(bucket)
    return out


def _bucket_id(url: object) -> str | None:
    """``gs://b/…`` → ``gs://b``; ``s3://b/…`` → ``arn:aws:s3:::b``; anything else → None."""
    match = _BUCKET.match(str(url or ""))
    if match is None or "{" in match.group(2):
        return None  # a runtime parameter in the bucket name: not a bucket seenby can name
    return f"gs://{match.group(2)}" if match.group(1) == "gs" else f"arn:aws:s3:::{match.group(2)}"


def _project_id(res: Resource) -> str:
    return res.id.removeprefix("projects/")


def _table_copies(res: Resource) -> Iterator[Flow]:
    meta: Mapping[str, Any] = res.document(BigQueryTableRead.METADATA) or {}
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


def _config_routes(config: Mapping[str, Any], project: str) -> tuple[list[str], list[str], Carries]:
    """(sources, destinations, what flows) of one transfer config; no destinations: a script writing elsewhere."""
    params = config.get("params") or {}
    source_id = config.get("dataSourceId")
    dest = config.get("destinationDatasetId")
    destinations = [f"bigquery://{project}.{dest}"] if dest else []
    if source_id == "cross_region_copy":
        src_project = params.get("source_project_id") or project
        return [f"bigquery://{src_project}.{params.get('source_dataset_id')}"], destinations, Carries.ALL
    if source_id in ("google_cloud_storage", "amazon_s3"):
        bucket = _bucket_id(params.get("data_path_template") or params.get("data_path"))
        return ([bucket] if bucket else []), destinations, Carries.PART
    query = str(params.get("query") or "")
    sources = query_tables(query, project)
    if not dest:
        destinations = query_writes(query, project)
    return [s for s in sources if s not in destinations], destinations, Carries.PART


def _config_scope(config: Mapping[str, Any]) -> str | None:
    params = config.get("params") or {}
    if params.get("query"):
        return "what the query selects"
    path = params.get("data_path_template") or params.get("data_path")
    return f"objects matching {path}" if path else None


def _config_evidence(res: Resource, where: str, config: Mapping[str, Any]) -> Evidence:
    return Evidence(
        kind=EvidenceKind.FLOW_CONFIGURATION,
        source=str(config.get("name") or res.id),
        location=where,
        excerpt=config,
        note=config.get("displayName") or None,
    )


def _listed(res: Resource, read: str, key: str) -> Iterator[tuple[str, Mapping[str, Any]]]:
    """(evidence location, entry) of every entry under ``key`` of the read ``read`` and of ``read/ADDRESS``
    reads (a Terraform plan's own configs and jobs, beside a baseline's listing: docs/gate.md)."""
    for name in sorted(res.reads):
        if name != read and not name.startswith(f"{read}/"):
            continue
        doc = res.document(name)
        entries = doc.get(key) if isinstance(doc, Mapping) else None
        for i, entry in enumerate(entries or []):
            if isinstance(entry, Mapping):
                yield (f"{key}[{i}]" if name == read else f"{name}.{key}[{i}]"), entry


def _active_configs(res: Resource) -> Iterator[tuple[str, Mapping[str, Any]]]:
    for where, config in _listed(res, GcpNodeRead.TRANSFER_CONFIGS, "transferConfigs"):
        if not config.get("disabled"):
            yield where, config


def _transfer_configs(res: Resource) -> Iterator[Flow]:
    project = _project_id(res)
    for where, config in _active_configs(res):
        sources, destinations, carries = _config_routes(config, project)
        evidence = _config_evidence(res, where, config)
        for destination in destinations:
            for source in sources:
                if source == destination:
                    continue
                yield Flow(
                    source=source,
                    destination=destination,
                    kind=FlowKind.BIGQUERY_TRANSFER,
                    carries=carries,
                    scope=_config_scope(config),
                    destination_account=project if destination.startswith("bigquery://") else None,
                    evidence=(evidence,),
                )


def gcp_flow_gaps(snapshot: Snapshot) -> list[CoverageGap]:
    """A scheduled script that reads tables and writes where seenby cannot tell: a gap on each table it reads."""
    out: list[CoverageGap] = []
    for res in snapshot.of_type(TypeName.GCP_PROJECT):
        project = _project_id(res)
        for where, config in _active_configs(res):
            sources, destinations, _ = _config_routes(config, project)
            if destinations:
                continue
            for source in sources:
                out.append(
                    CoverageGap(
                        resource=source,
                        resource_type=TypeName.GCP_BIGQUERY_TABLE,
                        read=f"transfer_configs {where}",
                        api=TRANSFER_CONFIGS_API,
                        outcome=ReadOutcome.ERROR,
                        error_code=DESTINATION_UNKNOWN,
                        message=(
                            f"{config.get('displayName') or config.get('name') or 'a transfer config'} of {res.id} "
                            f"reads {source} and writes where its statements say, which seenby cannot tell: "
                            "whoever reads the copy is unknown"
                        ),
                        datasets=(source,),
                        account=project,
                    )
                )
    return out


def _job_source(spec: Mapping[str, Any]) -> str | None:
    gcs = (spec.get("gcsDataSource") or {}).get("bucketName")
    if gcs:
        return f"gs://{gcs}"
    s3 = (spec.get("awsS3DataSource") or {}).get("bucketName")
    return f"arn:aws:s3:::{s3}" if s3 else None


def _transfer_jobs(res: Resource) -> Iterator[Flow]:
    for where, job in _listed(res, GcpNodeRead.TRANSFER_JOBS, "transferJobs"):
        spec = job.get("transferSpec") or job.get("replicationSpec") or {}
        source = _job_source(spec)
        sink = (spec.get("gcsDataSink") or {}).get("bucketName")
        if job.get("status") != "ENABLED" or not source or not sink:
            continue
        path = (spec.get("gcsDataSource") or spec.get("awsS3DataSource") or {}).get("path")
        prefixes = [*([path] if path else []), *((spec.get("objectConditions") or {}).get("includePrefixes") or [])]
        yield Flow(
            source=source,
            destination=f"gs://{sink}",
            kind=FlowKind.STORAGE_TRANSFER,
            carries=Carries.PART if prefixes else Carries.ALL,
            scope=", ".join(f"prefix {p}" for p in prefixes) or None,
            destination_account=job.get("projectId") or _project_id(res),
            evidence=(
                Evidence(
                    kind=EvidenceKind.FLOW_CONFIGURATION,
                    source=str(job.get("name") or res.id),
                    location=where,
                    excerpt=job,
                ),
            ),
        )


def gcp_flows(snapshot: Snapshot) -> list[Flow]:
    """Every flow the snapshot's BigQuery tables and projects configure."""
    out: list[Flow] = []
    for res in snapshot.of_type(TypeName.GCP_BIGQUERY_TABLE):
        out.extend(_table_copies(res))
    for res in snapshot.of_type(TypeName.GCP_PROJECT):
        out.extend(_transfer_configs(res))
        out.extend(_transfer_jobs(res))
    return out
