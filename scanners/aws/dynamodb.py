"""DynamoDB tables: ListTables in every scanned region, then three reads a table (``aws.dynamodb.table``).

The account-level read ``dynamodb_tables`` is the listing of every region: a region whose
listing fails makes the read that failure (a gap for every table of the account), while the
tables of the regions that did answer are still read.  GetResourcePolicy says there is none
with ``PolicyNotFoundException``
(https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_GetResourcePolicy.html).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from seenby.registry import AwsAccountRead, DynamoDbTableRead, TypeName
from seenby.scanners.aws.calls import DENIED_CODES, describe_failure, jsonable, read
from seenby.scanners.aws.operation import Operation
from seenby.scanners.aws.service import AccountContext, ServiceScanner, first_failure, ok_read
from seenby.scanners.reads import perform_read
from seenby.snapshot import Read, Resource

__all__ = ["DYNAMODB", "OPERATIONS", "TABLE_READS", "read_exports", "read_table", "table_arn"]

RESOURCE_TYPE = TypeName.AWS_DYNAMODB_TABLE
LISTING = AwsAccountRead.DYNAMODB_TABLES


def _ddb(name: str, *absent: str) -> Operation:
    return Operation(service="dynamodb", name=name, iam_action=f"dynamodb:{name}", absent=frozenset(absent))


@dataclass(frozen=True, kw_only=True, slots=True)
class TableRead:
    name: str
    op: Operation


LIST_TABLES = _ddb("ListTables")
TABLE_READS: tuple[TableRead, ...] = (
    TableRead(name=DynamoDbTableRead.DESCRIPTION, op=_ddb("DescribeTable", "ResourceNotFoundException")),
    TableRead(name=DynamoDbTableRead.RESOURCE_POLICY, op=_ddb("GetResourcePolicy", "PolicyNotFoundException")),
    TableRead(name=DynamoDbTableRead.TAGS, op=_ddb("ListTagsOfResource")),
)
# where the data flows (issue 20, docs/flows.md): exports to S3; global-table replicas are in ``description``
LIST_EXPORTS = _ddb("ListExports")
DESCRIBE_EXPORT = _ddb("DescribeExport", "ExportNotFoundException")
EXPORTS = DynamoDbTableRead.EXPORTS
OPERATIONS = (LIST_TABLES, *(r.op for r in TABLE_READS), LIST_EXPORTS, DESCRIBE_EXPORT)


def read_exports(client: Any, arn: str) -> Read:
    """Every export of the table (ListExports, all pages) with its destination (DescribeExport each):
    ``{"ExportDescriptions": [...]}``.  One failed call makes the read that failure (a gap).

    https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_ListExports.html,
    https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_DescribeExport.html.
    """

    def call() -> dict[str, Any]:
        described: list[Any] = []
        params: dict[str, Any] = {"TableArn": arn}
        for _ in range(100_000):  # bounded: a token that never ends is an error, not a hang
            page = client.list_exports(**params)
            for summary in page.get("ExportSummaries") or []:
                described.append(client.describe_export(ExportArn=summary["ExportArn"])["ExportDescription"])
            if not page.get("NextToken"):
                return {"ExportDescriptions": described}
            params["NextToken"] = page["NextToken"]
        raise RuntimeError("ListExports: too many pages")

    return perform_read(call, api=LIST_EXPORTS.api, absent=frozenset(), denied=DENIED_CODES,
                        describe=describe_failure, document=jsonable)  # fmt: skip


def table_arn(partition: str, region: str, account: str, name: str) -> str:
    return f"arn:{partition}:dynamodb:{region}:{account}:table/{name}"


def read_table(ctx: AccountContext, region: str, name: str) -> Resource:
    """The three reads of one table; each failure is recorded and the others still made."""
    client = ctx.clients.get("dynamodb", region)
    described = read(client, TABLE_READS[0].op, TableName=name)
    arn = table_arn(ctx.partition, region, ctx.account, name)
    if described.ok:
        arn = str((described.document.get("Table") or {}).get("TableArn") or arn)
    reads = {TABLE_READS[0].name: described}
    for entry in TABLE_READS[1:]:
        reads[entry.name] = read(client, entry.op, ResourceArn=arn)
    reads[EXPORTS] = read_exports(client, arn)
    return Resource(type=RESOURCE_TYPE, id=arn, name=name, account=ctx.account, region=region, reads=reads)


def scan(ctx: AccountContext) -> None:
    """List the tables of every region, record the listing, read every table listed."""
    listings = {region: read(ctx.clients.get("dynamodb", region), LIST_TABLES) for region in ctx.regions}
    regions: dict[str, Any] = {region: r.document for region, r in listings.items() if r.ok}
    ctx.put(LISTING, first_failure(listings) or ok_read(LIST_TABLES.api, {"Regions": regions}))
    for region, doc in regions.items():
        for name in doc.get("TableNames") or []:
            ctx.spawn(lambda r=region, n=str(name): ctx.add(read_table(ctx, r, n)))


DYNAMODB = ServiceScanner(name="dynamodb", account_reads={LISTING: LIST_TABLES.api}, operations=OPERATIONS, scan=scan)
