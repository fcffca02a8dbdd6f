"""QuickSight: the account's directory and sharing setting, and every dashboard with its permissions and lineage.

``quicksight_dashboards`` (on the account) is ListDashboards in every scanned region; an
account that never signed up answers ``ResourceNotFoundException`` (absent).  The account's
users, groups and public-sharing setting become one ``aws.quicksight.account`` resource
(identity region: the scan's home region; namespace ``default``); each dashboard an
``aws.quicksight.dashboard`` with four reads, the last two composite (every data set the
dashboard's version names, every data source those data sets name).  QuickSight's
``Status`` and ``RequestId`` body fields are response metadata and dropped.
"""

from __future__ import annotations

from typing import Any

from seenby.registry import AwsAccountRead, QuickSightAccountRead, QuickSightDashboardRead, TypeName
from seenby.scanners.aws.calls import read
from seenby.scanners.aws.operation import Operation
from seenby.scanners.aws.service import AccountContext, ServiceScanner, first_failure, ok_read
from seenby.scanners.reads import compose, require
from seenby.snapshot import Read, Resource

__all__ = ["OPERATIONS", "QUICKSIGHT", "account_id", "data_source_arns", "read_dashboard"]

DASHBOARD_TYPE = TypeName.AWS_QUICKSIGHT_DASHBOARD
ACCOUNT_TYPE = TypeName.AWS_QUICKSIGHT_ACCOUNT
LISTING = AwsAccountRead.QUICKSIGHT_DASHBOARDS
NAMESPACE = "default"
_NOT_SIGNED_UP = "ResourceNotFoundException"


def _qs(name: str, *absent: str) -> Operation:
    return Operation(service="quicksight", name=name, iam_action=f"quicksight:{name}", absent=frozenset(absent))


LIST_DASHBOARDS = _qs("ListDashboards", _NOT_SIGNED_UP)
DESCRIBE_DASHBOARD = _qs("DescribeDashboard")
DESCRIBE_DASHBOARD_PERMISSIONS = _qs("DescribeDashboardPermissions")
DESCRIBE_DATA_SET = _qs("DescribeDataSet")
DESCRIBE_DATA_SOURCE = _qs("DescribeDataSource")
LIST_USERS = _qs("ListUsers", _NOT_SIGNED_UP)
LIST_GROUPS = _qs("ListGroups", _NOT_SIGNED_UP)
LIST_GROUP_MEMBERSHIPS = _qs("ListGroupMemberships")
DESCRIBE_ACCOUNT_SETTINGS = _qs("DescribeAccountSettings", _NOT_SIGNED_UP)
OPERATIONS = (
    LIST_DASHBOARDS,
    DESCRIBE_DASHBOARD,
    DESCRIBE_DASHBOARD_PERMISSIONS,
    DESCRIBE_DATA_SET,
    DESCRIBE_DATA_SOURCE,
    LIST_USERS,
    LIST_GROUPS,
    LIST_GROUP_MEMBERSHIPS,
    DESCRIBE_ACCOUNT_SETTINGS,
)


def _drop_status(doc: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in doc.items() if k not in ("Status", "RequestId")}


def _read(client: Any, op: Operation, **params: Any) -> Read:
    return read(client, op, shape=_drop_status, **params)


def account_id(partition: str, region: str, account: str) -> str:
    """The seenby id of a QuickSight account (QuickSight has no ARN for it)."""
    return f"arn:{partition}:quicksight:{region}:{account}:account/{account}"


def _last(arn: str) -> str:
    return arn.rsplit("/", 1)[-1]


def data_source_arns(data_set: dict[str, Any]) -> list[str]:
    """The data sources a DescribeDataSet ``DataSet`` reads, in order, without repeats."""
    out: list[str] = []
    for table in (data_set.get("PhysicalTableMap") or {}).values():
        for kind in ("RelationalTable", "CustomSql", "S3Source"):
            arn = (table.get(kind) or {}).get("DataSourceArn")
            if arn and arn not in out:
                out.append(str(arn))
    return out


def read_dashboard(ctx: AccountContext, region: str, dashboard_id: str, arn: str) -> Resource:
    client = ctx.clients.get("quicksight", region)
    args = {"AwsAccountId": ctx.account}
    described = _read(client, DESCRIBE_DASHBOARD, DashboardId=dashboard_id, **args)
    reads: dict[str, Read] = {
        QuickSightDashboardRead.DASHBOARD: described,
        QuickSightDashboardRead.PERMISSIONS: _read(
            client, DESCRIBE_DASHBOARD_PERMISSIONS, DashboardId=dashboard_id, **args
        ),
    }
    if not described.ok:
        for name, op in ((QuickSightDashboardRead.DATA_SETS, DESCRIBE_DATA_SET),
                         (QuickSightDashboardRead.DATA_SOURCES, DESCRIBE_DATA_SOURCE)):
            reads[name] = Read(outcome=described.outcome, api=op.api, error_code=described.error_code,
                               message="not read: the dashboard could not be described")  # fmt: skip
        return Resource(type=DASHBOARD_TYPE, id=arn, account=ctx.account, region=region, reads=reads)
    version = (described.document.get("Dashboard") or {}).get("Version") or {}
    data_sets_arns = [str(a) for a in version.get("DataSetArns") or []]

    def data_sets() -> dict[str, Any]:
        return {"DataSets": [
            require(_read(client, DESCRIBE_DATA_SET, DataSetId=_last(a), **args))["DataSet"] for a in data_sets_arns
        ]}  # fmt: skip

    reads[QuickSightDashboardRead.DATA_SETS] = compose(DESCRIBE_DATA_SET.api, data_sets)

    def data_sources() -> dict[str, Any]:
        wanted: list[str] = []
        for data_set in require(reads[QuickSightDashboardRead.DATA_SETS])["DataSets"]:
            wanted.extend(a for a in data_source_arns(data_set) if a not in wanted)
        return {"DataSources": [
            require(_read(client, DESCRIBE_DATA_SOURCE, DataSourceId=_last(a), **args))["DataSource"] for a in wanted
        ]}  # fmt: skip

    reads[QuickSightDashboardRead.DATA_SOURCES] = compose(DESCRIBE_DATA_SOURCE.api, data_sources)
    name = (described.document.get("Dashboard") or {}).get("Name")
    return Resource(type=DASHBOARD_TYPE, id=arn, name=name, account=ctx.account, region=region, reads=reads)


def read_account(ctx: AccountContext, region: str) -> Resource:
    client = ctx.clients.get("quicksight", region)
    args = {"AwsAccountId": ctx.account, "Namespace": NAMESPACE}
    groups = _read(client, LIST_GROUPS, **args)

    def memberships() -> dict[str, Any]:
        out = []
        for group in require(groups)["GroupList"]:
            members = require(_read(client, LIST_GROUP_MEMBERSHIPS, GroupName=group["GroupName"], **args))
            out.append({"GroupName": group["GroupName"], "GroupMemberList": members["GroupMemberList"]})
        return {"Groups": out}

    reads = {
        QuickSightAccountRead.USERS: _read(client, LIST_USERS, **args),
        QuickSightAccountRead.GROUPS: groups,
        QuickSightAccountRead.MEMBERSHIPS: groups
        if not groups.ok
        else compose(LIST_GROUP_MEMBERSHIPS.api, memberships),
        QuickSightAccountRead.ACCOUNT_SETTINGS: _read(client, DESCRIBE_ACCOUNT_SETTINGS, AwsAccountId=ctx.account),
    }
    return Resource(
        type=ACCOUNT_TYPE, id=account_id(ctx.partition, region, ctx.account), name=f"QuickSight {ctx.account}",
        account=ctx.account, region=region, reads=reads,
    )  # fmt: skip


def scan(ctx: AccountContext) -> None:
    listings = {
        region: _read(ctx.clients.get("quicksight", region), LIST_DASHBOARDS, AwsAccountId=ctx.account)
        for region in ctx.regions
    }
    ctx.put(LISTING, first_failure(listings) or ok_read(LIST_DASHBOARDS.api, {
        "Regions": {region: r.document for region, r in listings.items() if r.ok}
    }))  # fmt: skip
    if all(r.outcome.value == "absent" for r in listings.values()):
        return  # QuickSight is not used in this account
    ctx.spawn(lambda: ctx.add(read_account(ctx, ctx.regions[0])))
    for region, listing in listings.items():
        summaries = (listing.document.get("DashboardSummaryList") or []) if listing.ok else []
        for summary in summaries:
            ctx.spawn(lambda r=region, s=summary: ctx.add(read_dashboard(ctx, r, str(s["DashboardId"]), str(s["Arn"]))))


QUICKSIGHT = ServiceScanner(name="quicksight", account_reads={LISTING: LIST_DASHBOARDS.api}, operations=OPERATIONS,
                            scan=scan)  # fmt: skip
