"""Where a project's data is copied: BigQuery Data Transfer configs and Storage Transfer jobs (docs/flows.md).

Two reads on each project (``gcp.project``, docs/snapshot.md); the evaluator
(:mod:`seenby.policies.gcp.flows`) turns them into flows:

``transfer_configs``: ``bigquerydatatransfer.projects.locations.list`` (every page), then
``projects.locations.transferConfigs.list`` in each location (every page) →
``{"transferConfigs": [<TransferConfig>…]}``, scheduled queries included.  Configs are
regional, and the regionless ``projects.transferConfigs.list`` returns the US location
only (https://cloud.google.com/bigquery/docs/reference/datatransfer/rest/v1/projects.transferConfigs/list),
so every location the project sees is listed
(https://cloud.google.com/bigquery/docs/reference/datatransfer/rest/v1/projects.locations/list,
https://cloud.google.com/bigquery/docs/reference/datatransfer/rest/v1/projects.locations.transferConfigs/list).

``transfer_jobs``: ``storagetransfer.transferJobs.list`` with ``filter={"projectId": P}``
(every page), and again with ``"dataBackend": "QUERY_REPLICATION_CONFIGS"``, which the API
requires to list cross-bucket replication jobs →
``{"transferJobs": [<TransferJob>…]}``
(https://cloud.google.com/storage-transfer/docs/reference/rest/v1/transferJobs/list).

Both are composite reads: one failed call (a location, a page, the replication listing)
makes the whole read fail, so the project's flows are a coverage gap, never "none".
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote

from seenby.registry import GcpNodeRead
from seenby.scanners.gcp.calls import Caller, rest_read
from seenby.scanners.gcp.operation import HttpMethod, Operation
from seenby.scanners.reads import compose, require
from seenby.snapshot import Read

__all__ = [
    "LIST_TRANSFER_CONFIGS",
    "LIST_TRANSFER_JOBS",
    "LIST_TRANSFER_LOCATIONS",
    "OPERATIONS",
    "TRANSFER_CONFIGS_READ",
    "TRANSFER_JOBS_READ",
    "list_transfer_configs",
    "list_transfer_jobs",
    "transfer_jobs_filters",
]

TRANSFER_CONFIGS_READ = GcpNodeRead.TRANSFER_CONFIGS
TRANSFER_JOBS_READ = GcpNodeRead.TRANSFER_JOBS
_DTS = "https://bigquerydatatransfer.googleapis.com/v1/projects/{project}"

LIST_TRANSFER_LOCATIONS = Operation(
    api="bigquerydatatransfer.projects.locations.list",
    method=HttpMethod.GET,
    url=f"{_DTS}/locations",
    # The reference documents no IAM permission for locations.list: the OAuth scope suffices.
    permissions=(),
    pages="locations",
)
LIST_TRANSFER_CONFIGS = Operation(
    api="bigquerydatatransfer.projects.locations.transferConfigs.list",
    method=HttpMethod.GET,
    url=f"{_DTS}/locations/{{location}}/transferConfigs",
    permissions=("bigquery.transfers.get",),
    pages="transferConfigs",
)
LIST_TRANSFER_JOBS = Operation(
    api="storagetransfer.transferJobs.list",
    method=HttpMethod.GET,
    url="https://storagetransfer.googleapis.com/v1/transferJobs",
    permissions=("storagetransfer.jobs.list",),
    pages="transferJobs",
)
OPERATIONS: tuple[Operation, ...] = (LIST_TRANSFER_LOCATIONS, LIST_TRANSFER_CONFIGS, LIST_TRANSFER_JOBS)


def _q(value: str) -> str:
    return quote(value, safe="")


def list_transfer_configs(caller: Caller, project: str) -> Read:
    """Every Data Transfer config (scheduled queries included) of ``project``, in every location it sees."""

    def build() -> dict[str, Any]:
        locations = require(rest_read(caller, LIST_TRANSFER_LOCATIONS, project=_q(project)))
        ids = sorted({str(loc["locationId"]) for loc in locations.get("locations") or [] if loc.get("locationId")})
        configs: list[Any] = []
        for location in ids:
            listed = require(rest_read(caller, LIST_TRANSFER_CONFIGS, project=_q(project), location=_q(location)))
            configs.extend(listed.get("transferConfigs") or [])
        return {"transferConfigs": configs}

    return compose(LIST_TRANSFER_CONFIGS.api, build)


def transfer_jobs_filters(project: str) -> tuple[str, str]:
    """The two ``filter`` values listing ``project``'s transfer jobs: ordinary jobs, then replication jobs.

    JSON without spaces, as the reference asks.
    """
    plain = json.dumps({"projectId": project}, separators=(",", ":"))
    replication = json.dumps({"projectId": project, "dataBackend": "QUERY_REPLICATION_CONFIGS"}, separators=(",", ":"))
    return plain, replication


def list_transfer_jobs(caller: Caller, project: str) -> Read:
    """Every Storage Transfer job of ``project``: transfer jobs and cross-bucket replication jobs."""

    def build() -> dict[str, Any]:
        jobs: list[Any] = []
        seen: set[str] = set()
        for flt in transfer_jobs_filters(project):
            for job in require(rest_read(caller, LIST_TRANSFER_JOBS, params={"filter": flt})).get("transferJobs") or []:
                name = str(job.get("name") or "")
                if name and name in seen:
                    continue
                seen.add(name)
                jobs.append(job)
        return {"transferJobs": jobs}

    return compose(LIST_TRANSFER_JOBS.api, build)
