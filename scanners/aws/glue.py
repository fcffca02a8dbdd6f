"""The Glue Data Catalog of every scanned region: one ``aws.glue.catalog`` resource with three reads.

Each account has one Data Catalog per region, whose id is the account id
(https://docs.aws.amazon.com/glue/latest/dg/glue-specifying-resource-arns.html), so
there is no listing: the catalog of every scanned region is read.

* ``resource_policy``: glue:GetResourcePolicy; ``EntityNotFoundException`` says there is none
  (https://docs.aws.amazon.com/glue/latest/webapi/API_GetResourcePolicy.html);
* ``databases``: glue:GetDatabases, all pages → ``{"DatabaseList": [...]}``;
* ``tables``: glue:GetTables for every database listed, all pages →
  ``{"TableList": [...]}`` (each entry names its ``DatabaseName``; ``StorageDescriptor.Location``
  is the S3 location the table's data lives in).  Composite: one failed database makes the
  whole read that failure, never a partial list.  When ``databases`` failed, ``tables``
  records the same outcome.
"""

from __future__ import annotations

from typing import Any

from seenby.registry import GlueCatalogRead, TypeName
from seenby.scanners.aws.calls import read
from seenby.scanners.aws.operation import Operation
from seenby.scanners.aws.service import AccountContext, ServiceScanner
from seenby.scanners.reads import compose, require
from seenby.snapshot import Read, Resource

__all__ = ["GLUE", "OPERATIONS", "catalog_arn", "read_catalog", "table_arn"]

RESOURCE_TYPE = TypeName.AWS_GLUE_CATALOG


def _glue(name: str, *absent: str) -> Operation:
    return Operation(service="glue", name=name, iam_action=f"glue:{name}", absent=frozenset(absent))


GET_RESOURCE_POLICY = _glue("GetResourcePolicy", "EntityNotFoundException")
GET_DATABASES = _glue("GetDatabases")
GET_TABLES = _glue("GetTables")
OPERATIONS = (GET_RESOURCE_POLICY, GET_DATABASES, GET_TABLES)


def catalog_arn(partition: str, region: str, account: str) -> str:
    return f"arn:{partition}:glue:{region}:{account}:catalog"


def table_arn(partition: str, region: str, account: str, database: str, table: str) -> str:
    return f"arn:{partition}:glue:{region}:{account}:table/{database}/{table}"


def read_catalog(ctx: AccountContext, region: str) -> Resource:
    """The three reads of one region's catalog; each failure is recorded and the others still made."""
    client = ctx.clients.get("glue", region)
    databases = read(client, GET_DATABASES)

    def tables() -> dict[str, Any]:
        out: list[Any] = []
        for database in require(databases).get("DatabaseList") or []:
            out.extend(require(read(client, GET_TABLES, DatabaseName=database["Name"])).get("TableList") or [])
        return {"TableList": out}

    table_read = (
        compose(GET_TABLES.api, tables)
        if databases.ok
        else Read(outcome=databases.outcome, api=GET_TABLES.api, error_code=databases.error_code,
                  message="not read: the databases could not be listed")
    )  # fmt: skip
    reads = {
        GlueCatalogRead.RESOURCE_POLICY: read(client, GET_RESOURCE_POLICY),
        GlueCatalogRead.DATABASES: databases,
        GlueCatalogRead.TABLES: table_read,
    }
    arn = catalog_arn(ctx.partition, region, ctx.account)
    return Resource(type=RESOURCE_TYPE, id=arn, name=f"Glue Data Catalog {ctx.account} {region}",
                    account=ctx.account, region=region, reads=reads)  # fmt: skip


def scan(ctx: AccountContext) -> None:
    for region in ctx.regions:
        ctx.spawn(lambda r=region: ctx.add(read_catalog(ctx, r)))


GLUE = ServiceScanner(name="glue", account_reads={}, operations=OPERATIONS, scan=scan)
