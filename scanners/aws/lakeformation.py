"""Lake Formation in every scanned region: one ``aws.lakeformation.settings`` resource with three reads.

* ``settings``: lakeformation:GetDataLakeSettings → ``{"DataLakeSettings": {"DataLakeAdmins",
  "CreateDatabaseDefaultPermissions", "CreateTableDefaultPermissions", …}}``
  (https://docs.aws.amazon.com/lake-formation/latest/APIReference/API_GetDataLakeSettings.html);
* ``permissions``: lakeformation:ListPermissions without a filter, all pages →
  ``{"PrincipalResourcePermissions": [{"Principal", "Resource", "Permissions",
  "PermissionsWithGrantOption"}]}``
  (https://docs.aws.amazon.com/lake-formation/latest/APIReference/API_ListPermissions.html);
* ``resources``: lakeformation:ListResources, all pages → ``{"ResourceInfoList": [{"ResourceArn",
  "RoleArn", "HybridAccessEnabled", …}]}``: the S3 locations registered with Lake Formation,
  and whether each is in hybrid access mode.
"""

from __future__ import annotations

from typing import Any

from seenby.registry import LakeFormationRead, TypeName
from seenby.scanners.aws.calls import DENIED_CODES, describe_failure, jsonable, merge_pages, read
from seenby.scanners.aws.operation import Operation
from seenby.scanners.aws.service import AccountContext, ServiceScanner
from seenby.scanners.reads import perform_read
from seenby.snapshot import Read, Resource

__all__ = ["LAKE_FORMATION", "OPERATIONS", "read_pages", "read_settings", "settings_arn"]

RESOURCE_TYPE = TypeName.AWS_LAKEFORMATION


def _lf(name: str) -> Operation:
    return Operation(service="lakeformation", name=name, iam_action=f"lakeformation:{name}")


GET_DATA_LAKE_SETTINGS = _lf("GetDataLakeSettings")
LIST_PERMISSIONS = _lf("ListPermissions")
LIST_RESOURCES = _lf("ListResources")
OPERATIONS = (GET_DATA_LAKE_SETTINGS, LIST_PERMISSIONS, LIST_RESOURCES)


def settings_arn(partition: str, region: str, account: str) -> str:
    """The seenby id of one region's Lake Formation settings (Lake Formation has no ARN for them)."""
    return f"arn:{partition}:lakeformation:{region}:{account}:settings"


def read_pages(client: Any, op: Operation, result_key: str) -> Read:
    """``op`` followed through every ``NextToken`` (botocore has no paginator for it); one failed page fails all."""

    def pages() -> Any:
        token: str | None = None
        while True:
            page = getattr(client, op.method)(**({"NextToken": token} if token else {}))
            yield page
            token = page.get("NextToken")
            if not token:
                return

    def document(merged: Any) -> Any:
        return {k: v for k, v in jsonable(merged).items() if k not in ("ResponseMetadata", "NextToken")}

    return perform_read(lambda: merge_pages(pages(), [result_key]), api=op.api, absent=op.absent,
                        denied=DENIED_CODES, describe=describe_failure, document=document)  # fmt: skip


def read_settings(ctx: AccountContext, region: str) -> Resource:
    client = ctx.clients.get("lakeformation", region)
    reads = {
        LakeFormationRead.SETTINGS: read(client, GET_DATA_LAKE_SETTINGS),
        LakeFormationRead.PERMISSIONS: read_pages(client, LIST_PERMISSIONS, "PrincipalResourcePermissions"),
        LakeFormationRead.RESOURCES: read_pages(client, LIST_RESOURCES, "ResourceInfoList"),
    }
    return Resource(type=RESOURCE_TYPE, id=settings_arn(ctx.partition, region, ctx.account),
                    name=f"Lake Formation {ctx.account} {region}", account=ctx.account, region=region,
                    reads=reads)  # fmt: skip


def scan(ctx: AccountContext) -> None:
    for region in ctx.regions:
        ctx.spawn(lambda r=region: ctx.add(read_settings(ctx, r)))


LAKE_FORMATION = ServiceScanner(name="lakeformation", account_reads={}, operations=OPERATIONS, scan=scan)
