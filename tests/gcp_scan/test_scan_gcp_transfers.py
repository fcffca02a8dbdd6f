"""Where a project's data is copied, from recorded responses: Data Transfer configs and Storage Transfer jobs.

No local server serves these APIs; responses follow the references:
https://cloud.google.com/bigquery/docs/reference/datatransfer/rest/v1/projects.locations/list,
https://cloud.google.com/bigquery/docs/reference/datatransfer/rest/v1/projects.locations.transferConfigs/list
(TransferConfig: …/projects.locations.transferConfigs), and
https://cloud.google.com/storage-transfer/docs/reference/rest/v1/transferJobs/list (TransferJob: …/transferJobs).
"""

from __future__ import annotations

from seenby.model import Carries, FlowKind, ReadOutcome
from seenby.policies import evaluate
from seenby.scanners.gcp import scan_gcp
from seenby.scanners.gcp.replay import Recording
from seenby.scanners.gcp.transfers import transfer_jobs_filters
from tests.gcp_scan.helpers import PROJECT, fail, scan_config, seed_bucket

DTS = f"https://bigquerydatatransfer.googleapis.com/v1/projects/{PROJECT}/locations"
STS = "https://storagetransfer.googleapis.com/v1/transferJobs"
PLAIN, REPLICATION = transfer_jobs_filters(PROJECT)
RAW = f"bigquery://{PROJECT}.ml_raw.keystrokes"
REPORTING = f"bigquery://{PROJECT}.shared_reporting"

SCHEDULED = {
    "name": f"projects/400000000001/locations/europe-west2/transferConfigs/{'6' * 8}-0000-0000-0000-{'1' * 12}",
    "displayName": "daily keystroke summary",
    "destinationDatasetId": "shared_reporting",
    "dataSourceId": "scheduled_query",
    "params": {
        "query": f"SELECT user, COUNT(*) AS n FROM `{PROJECT}.ml_raw.keystrokes` GROUP BY user",
        "destination_table_name_template": "keystroke_summary",
        "write_disposition": "WRITE_TRUNCATE",
    },
    "schedule": "every 24 hours",
    "state": "SUCCEEDED",
    "updateTime": "2026-11-02T08:00:00.000Z",
    "nextRunTime": "2026-12-08T08:00:00Z",
    "userId": "4242",
    "datasetRegion": "europe-west2",
    "ownerInfo": {"email": "analyst@corp.example"},
}


def _job(name: str, spec_key: str, source: str, sink: str) -> dict:
    """A TransferJob as transferJobs.list returns it."""
    return {
        "name": name,
        "projectId": PROJECT,
        "status": "ENABLED",
        spec_key: {"gcsDataSource": {"bucketName": source}, "gcsDataSink": {"bucketName": sink}},
        "creationTime": "2026-10-01T00:00:00Z",
        "lastModificationTime": "2026-10-01T00:00:00Z",
    }


def _project(snapshot):
    return next(r for r in snapshot.of_type("gcp.project") if r.id == f"projects/{PROJECT}")


def test_transfer_configs_are_listed_in_every_location_across_pages(http, gcs, transport):
    """locations.list is followed across pages and transferConfigs.list is read in each location, every page."""
    transport.add(
        Recording(method="GET", url=f"{DTS}/europe-west2/transferConfigs",
                  body={"transferConfigs": [SCHEDULED], "nextPageToken": "tc-2"}),
        Recording(method="GET", url=f"{DTS}/europe-west2/transferConfigs", query={"pageToken": "tc-2"},
                  body={"transferConfigs": [{**SCHEDULED, "name": "second", "disabled": True}]}),
    )  # fmt: skip

    read = _project(scan_gcp(scan_config(http, gcs))).read("transfer_configs")

    assert read.outcome is ReadOutcome.OK
    assert [c["name"] for c in read.document["transferConfigs"]] == [SCHEDULED["name"], "second"]
    assert any(url.startswith(f"{DTS}/us/transferConfigs") for _, url in transport.sent)


def test_scanned_scheduled_query_is_a_flow_into_its_destination_dataset(http, gcs, transport):
    """The scanned scheduled query flows part of the raw table into the dataset it writes."""
    transport.add(Recording(method="GET", url=f"{DTS}/europe-west2/transferConfigs",
                            body={"transferConfigs": [SCHEDULED]}))  # fmt: skip

    flows = evaluate(scan_gcp(scan_config(http, gcs))).flows

    assert [(f.source, f.destination, f.kind, f.carries) for f in flows] == [
        (RAW, REPORTING, FlowKind.BIGQUERY_TRANSFER, Carries.PART)
    ]


def test_denied_transfer_configs_in_one_location_are_a_gap_on_the_project_datasets(http, gcs, transport):
    """transferConfigs.list 403 in one location: the project's read is denied and its datasets carry the gap."""
    fail(transport, "GET", f"{DTS}/us/transferConfigs", 403)

    snapshot = scan_gcp(scan_config(http, gcs))
    evaluation = evaluate(snapshot)

    read = _project(snapshot).read("transfer_configs")
    assert (read.outcome, read.error_code) == (ReadOutcome.DENIED, "Forbidden")
    gap = next(g for g in evaluation.gaps if g.read == "transfer_configs")
    assert {f"bigquery://{PROJECT}.ml_raw", REPORTING} <= set(gap.datasets)


def test_failed_location_listing_is_a_gap_not_no_configs(http, gcs, transport):
    """locations.list failing (500, retried) leaves the configs unknown: an error, never an empty listing."""
    fail(transport, "GET", DTS, 500)

    read = _project(scan_gcp(scan_config(http, gcs))).read("transfer_configs")

    assert (read.outcome, read.error_code) == (ReadOutcome.ERROR, "InternalServerError")


def test_transfer_and_replication_jobs_are_both_listed_and_flow(http, gcs, transport):
    """transferJobs.list is read with the projectId filter, then again for replication jobs; both flow."""
    for name in ("corp-keystrokes", "corp-keystrokes-copy", "corp-keystrokes-replica"):
        seed_bucket(gcs, name)
    transport.add(
        Recording(method="GET", url=STS, query={"filter": PLAIN}, body={"transferJobs": [
            _job("transferJobs/1", "transferSpec", "corp-keystrokes", "corp-keystrokes-copy")]}),
        Recording(method="GET", url=STS, query={"filter": REPLICATION}, body={"transferJobs": [
            _job("transferJobs/2", "replicationSpec", "corp-keystrokes", "corp-keystrokes-replica")]}),
    )  # fmt: skip

    snapshot = scan_gcp(scan_config(http, gcs))
    flows = evaluate(snapshot).flows

    assert [j["name"] for j in _project(snapshot).document("transfer_jobs")["transferJobs"]] == [
        "transferJobs/1", "transferJobs/2"]  # fmt: skip
    assert sorted((f.source, f.destination, f.kind) for f in flows) == [
        ("gs://corp-keystrokes", "gs://corp-keystrokes-copy", FlowKind.STORAGE_TRANSFER),
        ("gs://corp-keystrokes", "gs://corp-keystrokes-replica", FlowKind.STORAGE_TRANSFER),
    ]


def test_failed_replication_listing_makes_the_jobs_a_gap(http, gcs, transport):
    """The replication listing denied: transfer_jobs is denied, though the plain listing succeeded."""
    fail(transport, "GET", STS, 403, filter=REPLICATION)

    read = _project(scan_gcp(scan_config(http, gcs))).read("transfer_jobs")

    assert (read.outcome, read.api) == (ReadOutcome.DENIED, "storagetransfer.transferJobs.list")
