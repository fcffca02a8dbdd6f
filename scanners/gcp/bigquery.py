"""BigQuery datasets and tables through the REST API (bigquery v2).

``datasets`` on the project: ``datasets.list`` (``all=true``, every page).  Per dataset,
``metadata``: ``datasets.get`` with ``accessPolicyVersion=3`` (the ``access`` entries,
conditions included) and ``tables``: ``tables.list``.  Per table, ``metadata``:
``tables.get`` (``type``, ``view.query``) and ``iam_policy``: ``tables.getIamPolicy``
(policy version 3).  Shapes: https://cloud.google.com/bigquery/docs/reference/rest/v2/datasets,
https://cloud.google.com/bigquery/docs/reference/rest/v2/tables.
"""

from __future__ import annotations

from urllib.parse import quote

from seenby.registry import BigQueryDatasetRead, BigQueryTableRead, TypeName
from seenby.scanners.gcp.calls import Caller, rest_read
from seenby.scanners.gcp.operation import HttpMethod, Operation
from seenby.snapshot import Read, Resource

__all__ = [
    "OPERATIONS",
    "dataset_names",
    "list_datasets",
    "read_dataset",
    "read_table",
    "table_names",
]

DATASET_TYPE = TypeName.GCP_BIGQUERY_DATASET
TABLE_TYPE = TypeName.GCP_BIGQUERY_TABLE
_BQ = "https://bigquery.googleapis.com/bigquery/v2/projects/{project}"

LIST_DATASETS = Operation(
    api="bigquery.datasets.list",
    method=HttpMethod.GET,
    url=f"{_BQ}/datasets",
    permissions=("bigquery.datasets.get",),
    pages="datasets",
)
GET_DATASET = Operation(
    api="bigquery.datasets.get",
    method=HttpMethod.GET,
    url=f"{_BQ}/datasets/{{dataset}}",
    permissions=("bigquery.datasets.get", "bigquery.datasets.getIamPolicy"),
)
LIST_TABLES = Operation(
    api="bigquery.tables.list",
    method=HttpMethod.GET,
    url=f"{_BQ}/datasets/{{dataset}}/tables",
    permissions=("bigquery.tables.list",),
    pages="tables",
)
GET_TABLE = Operation(
    api="bigquery.tables.get",
    method=HttpMethod.GET,
    url=f"{_BQ}/datasets/{{dataset}}/tables/{{table}}",
    permissions=("bigquery.tables.get",),
)
GET_TABLE_IAM_POLICY = Operation(
    api="bigquery.tables.getIamPolicy",
    method=HttpMethod.POST,
    url=f"{_BQ}/datasets/{{dataset}}/tables/{{table}}:getIamPolicy",
    permissions=("bigquery.tables.getIamPolicy",),
    body={"options": {"requestedPolicyVersion": 3}},
)
OPERATIONS = (LIST_DATASETS, GET_DATASET, LIST_TABLES, GET_TABLE, GET_TABLE_IAM_POLICY)


def _q(value: str) -> str:
    return quote(value, safe="")


def list_datasets(caller: Caller, project: str) -> Read:
    return rest_read(caller, LIST_DATASETS, project=_q(project), params={"all": "true"})


def dataset_names(listing: Read) -> list[str]:
    if not listing.ok:
        return []
    refs = (d.get("datasetReference") or {} for d in (listing.document or {}).get("datasets") or [])
    return sorted({str(r["datasetId"]) for r in refs if r.get("datasetId")})


def table_names(listing: Read) -> list[str]:
    if not listing.ok:
        return []
    refs = (t.get("tableReference") or {} for t in (listing.document or {}).get("tables") or [])
    return sorted({str(r["tableId"]) for r in refs if r.get("tableId")})


def read_dataset(caller: Caller, project: str, dataset: str) -> Resource:
    """``metadata`` and ``tables`` of one dataset."""
    meta = rest_read(caller, GET_DATASET, project=_q(project), dataset=_q(dataset), params={"accessPolicyVersion": "3"})
    tables = rest_read(caller, LIST_TABLES, project=_q(project), dataset=_q(dataset))
    location = (meta.document or {}).get("location") if meta.ok else None
    return Resource(
        type=DATASET_TYPE,
        id=f"bigquery://{project}.{dataset}",
        name=f"{project}.{dataset}",
        account=project,
        region=str(location) if location else None,
        parent=f"projects/{project}",
        reads={BigQueryDatasetRead.METADATA: meta, BigQueryDatasetRead.TABLES: tables},
    )


def read_table(caller: Caller, project: str, dataset: str, table: str, *, region: str | None) -> Resource:
    ids = {"project": _q(project), "dataset": _q(dataset), "table": _q(table)}
    return Resource(
        type=TABLE_TYPE,
        id=f"bigquery://{project}.{dataset}.{table}",
        name=f"{project}.{dataset}.{table}",
        account=project,
        region=region,
        parent=f"bigquery://{project}.{dataset}",
        reads={
            BigQueryTableRead.METADATA: rest_read(caller, GET_TABLE, **ids),
            BigQueryTableRead.IAM_POLICY: rest_read(caller, GET_TABLE_IAM_POLICY, **ids),
        },
    )
