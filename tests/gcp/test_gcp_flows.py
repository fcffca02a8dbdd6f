"""Google Cloud flows from recorded API shapes (issue 20, docs/flows.md): clones, snapshots, transfers.

Shapes: tables.get ``cloneDefinition``/``snapshotDefinition``
(https://cloud.google.com/bigquery/docs/reference/rest/v2/tables), transferConfigs.list
(https://cloud.google.com/bigquery/docs/reference/datatransfer/rest/v1/projects.transferConfigs/list),
transferJobs.list (https://cloud.google.com/storage-transfer/docs/reference/rest/v1/transferJobs/list).
"""

from __future__ import annotations

from dataclasses import replace

from seenby.model import Carries, FlowKind, ReadOutcome
from seenby.policies import evaluate
from seenby.policies.gcp.flows import query_tables, query_writes
from seenby.snapshot import Read
from tests.gcp.builders import PROJECT, bq_dataset, bq_table, bucket, project, snapshot

RAW = f"bigquery://{PROJECT}.ml_raw.events"
CLONE = f"bigquery://{PROJECT}.sandbox.events_clone"


def _with(res, **docs):
    reads = {name: Read(outcome=ReadOutcome.OK, api=name, document=doc) for name, doc in docs.items()}
    return replace(res, reads={**res.reads, **reads})


def _clone(definition: str = "cloneDefinition"):
    table = bq_table("sandbox", "events_clone")
    meta = {**table.document("metadata"), definition: {
        "baseTableReference": {"projectId": PROJECT, "datasetId": "ml_raw", "tableId": "events"},
        "cloneTime": "2026-05-01T00:00:00Z"}}  # fmt: skip
    return _with(table, metadata=meta)


def _flows(*resources):
    return [(f.source, f.destination, f.kind, f.carries) for f in evaluate(snapshot(*resources)).flows]


def test_table_clone_is_a_flow_of_all_the_data_from_its_base():
    """A clone (cloneDefinition.baseTableReference) holds all its base table's data."""
    flows = _flows(bq_dataset("ml_raw"), bq_dataset("sandbox"), bq_table("ml_raw", "events"), _clone())

    assert flows == [(RAW, CLONE, FlowKind.BIGQUERY_CLONE, Carries.ALL)]


def test_table_snapshot_is_a_flow_of_all_the_data_from_its_base():
    """A table snapshot (snapshotDefinition.baseTableReference) holds all its base table's data."""
    base = bq_table("ml_raw", "events")
    resources = (bq_dataset("ml_raw"), bq_dataset("sandbox"), base, _clone("snapshotDefinition"))

    assert _flows(*resources) == [(RAW, CLONE, FlowKind.BIGQUERY_SNAPSHOT, Carries.ALL)]


def test_scheduled_query_flows_part_of_what_it_reads_into_its_destination_dataset():
    """A scheduled query writes what it selects from the tables it names into its destination dataset."""
    config = {"name": "projects/2001/locations/eu/transferConfigs/abc", "displayName": "daily",
              "dataSourceId": "scheduled_query", "destinationDatasetId": "reporting",
              "params": {"query": "SELECT user FROM `corp-telemetry.ml_raw.events` GROUP BY user"}}  # fmt: skip
    proj = _with(project(), transfer_configs={"transferConfigs": [config]})

    flows = _flows(proj, bq_dataset("ml_raw"), bq_dataset("reporting"), bq_table("ml_raw", "events"))

    assert flows == [(RAW, f"bigquery://{PROJECT}.reporting", FlowKind.BIGQUERY_TRANSFER, Carries.PART)]


def test_disabled_transfer_config_is_no_flow():
    """A disabled transfer config writes nothing."""
    config = {"dataSourceId": "scheduled_query", "destinationDatasetId": "reporting", "disabled": True,
              "params": {"query": "SELECT * FROM ml_raw.events"}}  # fmt: skip
    proj = _with(project(), transfer_configs={"transferConfigs": [config]})

    assert _flows(proj, bq_dataset("ml_raw"), bq_dataset("reporting"), bq_table("ml_raw", "events")) == []


def test_storage_transfer_job_with_prefixes_is_a_flow_of_part_of_the_bucket():
    """An enabled Storage Transfer job between buckets, limited by includePrefixes, carries part of the data."""
    job = {"name": "transferJobs/123", "projectId": PROJECT, "status": "ENABLED", "transferSpec": {
        "gcsDataSource": {"bucketName": "corp-keystrokes"}, "gcsDataSink": {"bucketName": "corp-keystrokes-copy"},
        "objectConditions": {"includePrefixes": ["2026/"]}}}  # fmt: skip
    proj = _with(project(), transfer_jobs={"transferJobs": [job]})

    flows = _flows(proj, bucket("corp-keystrokes"), bucket("corp-keystrokes-copy"))

    assert flows == [("gs://corp-keystrokes", "gs://corp-keystrokes-copy", FlowKind.STORAGE_TRANSFER, Carries.PART)]


def test_query_tables_reads_the_names_after_from_and_join():
    """Table names after FROM and JOIN, with or without a project and backquotes, become dataset ids."""
    query = "SELECT * FROM `p1.d1.t1` a JOIN d2.t2 b ON a.k = b.k"

    assert query_tables(query, "home") == ["bigquery://p1.d1.t1", "bigquery://home.d2.t2"]


def _config(**fields):
    config = {"name": "projects/2001/locations/eu/transferConfigs/x", **fields}
    return _with(project(), transfer_configs={"transferConfigs": [config]})


def test_scheduled_script_writes_into_the_table_its_insert_names():
    """A scheduled query without a destination dataset (a DML script) flows into the table its INSERT names.

    https://cloud.google.com/bigquery/docs/scheduling-queries#destination_table: DDL/DML queries set none.
    """
    proj = _config(dataSourceId="scheduled_query", params={
        "query": "INSERT INTO reporting.daily SELECT user, COUNT(*) FROM ml_raw.events GROUP BY user"})  # fmt: skip

    flows = _flows(proj, bq_dataset("ml_raw"), bq_dataset("reporting"), bq_table("ml_raw", "events"))

    assert flows == [(RAW, f"bigquery://{PROJECT}.reporting", FlowKind.BIGQUERY_TRANSFER, Carries.PART)]


def test_scheduled_script_whose_writes_cannot_be_told_is_a_gap_on_what_it_reads():
    """A scheduled script that names no table or bucket it writes is a DestinationUnknown gap on its sources."""
    proj = _config(
        dataSourceId="scheduled_query",
        params={
            "query": "DECLARE t STRING DEFAULT 'x'; EXECUTE IMMEDIATE CONCAT('SELECT 1'); SELECT * FROM ml_raw.events"
        },
    )

    evaluation = evaluate(snapshot(proj, bq_dataset("ml_raw"), bq_table("ml_raw", "events")))

    gaps = [(g.datasets, g.error_code) for g in evaluation.gaps if g.error_code == "DestinationUnknown"]
    assert gaps == [((RAW,), "DestinationUnknown")]


def test_cloud_storage_load_transfer_flows_part_of_the_bucket_into_the_dataset():
    """A google_cloud_storage transfer loads the objects of data_path_template into its destination dataset.

    https://cloud.google.com/bigquery/docs/cloud-storage-transfer
    """
    proj = _config(dataSourceId="google_cloud_storage", destinationDatasetId="reporting",
                   params={"data_path_template": "gs://corp-keystrokes/2026/*.csv"})  # fmt: skip

    flows = _flows(proj, bucket("corp-keystrokes"), bq_dataset("reporting"))

    assert flows == [("gs://corp-keystrokes", f"bigquery://{PROJECT}.reporting", FlowKind.BIGQUERY_TRANSFER,
                      Carries.PART)]  # fmt: skip


def test_cross_bucket_replication_job_is_a_flow_of_all_the_data():
    """A replication job (replicationSpec, listed with dataBackend QUERY_REPLICATION_CONFIGS) copies its source.

    https://cloud.google.com/storage-transfer/docs/reference/rest/v1/transferJobs#ReplicationSpec
    """
    job = {
        "name": "transferJobs/456",
        "projectId": PROJECT,
        "status": "ENABLED",
        "replicationSpec": {
            "gcsDataSource": {"bucketName": "corp-keystrokes"},
            "gcsDataSink": {"bucketName": "corp-keystrokes-copy"},
        },
    }
    proj = _with(project(), transfer_jobs={"transferJobs": [job]})

    flows = _flows(proj, bucket("corp-keystrokes"), bucket("corp-keystrokes-copy"))

    assert flows == [("gs://corp-keystrokes", "gs://corp-keystrokes-copy", FlowKind.STORAGE_TRANSFER, Carries.ALL)]


def test_disabled_storage_transfer_job_is_no_flow():
    """A DISABLED job does not run (TransferJob.status)."""
    job = {
        "name": "transferJobs/7",
        "projectId": PROJECT,
        "status": "DISABLED",
        "transferSpec": {
            "gcsDataSource": {"bucketName": "corp-keystrokes"},
            "gcsDataSink": {"bucketName": "corp-keystrokes-copy"},
        },
    }
    proj = _with(project(), transfer_jobs={"transferJobs": [job]})

    assert _flows(proj, bucket("corp-keystrokes"), bucket("corp-keystrokes-copy")) == []


def test_query_writes_names_dml_targets_and_export_buckets():
    """INSERT / MERGE / UPDATE / CREATE TABLE targets and EXPORT DATA buckets are where a script writes."""
    query = (
        "MERGE `p1.d1.t1` T USING d2.src S ON T.k = S.k WHEN MATCHED THEN UPDATE SET v = S.v;\n"
        "CREATE OR REPLACE TABLE d3.t3 AS SELECT 1;\n"
        "EXPORT DATA OPTIONS (uri = 'gs://corp-exports/x/*.csv', format = 'CSV') AS SELECT * FROM d2.src"
    )

    assert query_writes(query, "home") == ["bigquery://p1.d1.t1", "bigquery://home.d3.t3", "gs://corp-exports"]
    assert query_tables(query, "home") == ["bigquery://home.d2.src"]
