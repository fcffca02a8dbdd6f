"""QuickSight scanning: moto serves the directory, settings and the dashboard listing; what moto lacks
(DescribeDashboardPermissions, DescribeDataSet, DescribeDataSource, and a DescribeDashboard that names
its version's data sets) is answered with recorded responses shaped per the QuickSight API reference,
at the botocore layer."""

from __future__ import annotations

from botocore.awsrequest import AWSResponse

from seenby.model import ReadOutcome
from seenby.scanners.aws import scan_aws
from tests.scanners.helpers import ACCOUNT, REGION, scan_config

QS = f"arn:aws:quicksight:{REGION}:{ACCOUNT}"
DATA_SET = f"{QS}:dataset/activity"
SOURCE = f"{QS}:datasource/raw"
RECORDED = {
    "DescribeDashboard": {"Dashboard": {"DashboardId": "productivity", "Arn": f"{QS}:dashboard/productivity",
                                        "Name": "Employee productivity",
                                        "Version": {"VersionNumber": 1, "Status": "CREATION_SUCCESSFUL",
                                                    "DataSetArns": [DATA_SET]}},
                          "Status": 200, "RequestId": "r-0"},
    "DescribeDashboardPermissions": {
        "DashboardId": "productivity", "DashboardArn": f"{QS}:dashboard/productivity",
        "Permissions": [{"Principal": f"{QS}:user/default/alice", "Actions": ["quicksight:QueryDashboard"]}],
        "LinkSharingConfiguration": {"Permissions": [
            {"Principal": f"{QS}:namespace/default", "Actions": ["quicksight:QueryDashboard"]}]},
        "Status": 200, "RequestId": "r-1",
    },
    "DescribeDataSet": {"DataSet": {"Arn": DATA_SET, "DataSetId": "activity", "Name": "activity",
                                    "PhysicalTableMap": {"t1": {"S3Source": {"DataSourceArn": SOURCE,
                                                                             "InputColumns": []}}}},
                        "Status": 200, "RequestId": "r-2"},
    "DescribeDataSource": {"DataSource": {"Arn": SOURCE, "DataSourceId": "raw", "Name": "raw", "Type": "S3",
                                          "DataSourceParameters": {"S3Parameters": {"ManifestFileLocation": {
                                              "Bucket": "corp-employee-telemetry-raw", "Key": "manifest.json"}}}},
                           "Status": 200, "RequestId": "r-3"},
}  # fmt: skip


def _replay(session, operation, body=None, *, code=None):
    def answer(**_):
        if code is not None:
            return AWSResponse("", 403, {}, None), {
                "Error": {"Code": code, "Message": "injected"}, "ResponseMetadata": {"HTTPStatusCode": 403}}
        return AWSResponse("", 200, {}, None), {**body, "ResponseMetadata": {"HTTPStatusCode": 200}}

    session.events.register(f"before-call.quicksight.{operation}", answer)


def _seed(client):
    qs = client("quicksight")
    qs.register_user(AwsAccountId=ACCOUNT, Namespace="default", IdentityType="QUICKSIGHT", UserRole="READER",
                     Email="alice@corp.example", UserName="alice")  # fmt: skip
    qs.create_group(AwsAccountId=ACCOUNT, Namespace="default", GroupName="analysts")
    qs.create_group_membership(AwsAccountId=ACCOUNT, Namespace="default", GroupName="analysts", MemberName="alice")
    qs.create_dashboard(
        AwsAccountId=ACCOUNT, DashboardId="productivity", Name="Employee productivity",
        SourceEntity={"SourceTemplate": {"DataSetReferences": [
            {"DataSetPlaceholder": "activity", "DataSetArn": DATA_SET}], "Arn": f"{QS}:template/t"}},
    )  # fmt: skip


def test_dashboard_and_account_reads(session, endpoint, client):
    """Dashboards, their permissions and lineage, and the account's directory are read as documented."""
    _seed(client)
    for operation, body in RECORDED.items():
        _replay(session, operation, body)

    snapshot = scan_aws(scan_config(session, endpoint))

    (dash,) = snapshot.of_type("aws.quicksight.dashboard")
    assert dash.id == f"{QS}:dashboard/productivity"
    assert dash.document("permissions")["LinkSharingConfiguration"]["Permissions"][0]["Principal"].endswith(
        "namespace/default"
    )
    assert "Status" not in dash.document("permissions")
    assert [d["Arn"] for d in dash.document("data_sets")["DataSets"]] == [DATA_SET]
    assert [d["Arn"] for d in dash.document("data_sources")["DataSources"]] == [SOURCE]
    (account,) = snapshot.of_type("aws.quicksight.account")
    assert [u["UserName"] for u in account.document("users")["UserList"]] == ["alice"]
    assert account.document("memberships")["Groups"][0]["GroupMemberList"][0]["MemberName"] == "alice"
    assert "PublicSharingEnabled" in account.document("account_settings")["AccountSettings"]


def test_denied_permissions_is_a_gap_and_lineage_still_read(session, endpoint, client):
    """AccessDeniedException on DescribeDashboardPermissions: permissions denied; data sets and sources still read."""
    _seed(client)
    _replay(session, "DescribeDashboardPermissions", code="AccessDeniedException")
    for operation in ("DescribeDashboard", "DescribeDataSet", "DescribeDataSource"):
        _replay(session, operation, RECORDED[operation])

    (dash,) = scan_aws(scan_config(session, endpoint)).of_type("aws.quicksight.dashboard")

    assert dash.read("permissions").outcome is ReadOutcome.DENIED
    assert dash.read("data_sets").ok and dash.read("data_sources").ok
