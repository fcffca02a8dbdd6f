"""QuickSight dashboards: viewers, link sharing, public sharing and lineage re-exposure.

Pages: permissions (https://docs.aws.amazon.com/quicksight/latest/APIReference/API_DescribeDashboardPermissions.html),
sharing with everyone in the account (https://docs.aws.amazon.com/quicksight/latest/user/share-a-dashboard-grant-access-everyone.html),
with anyone on the internet (https://docs.aws.amazon.com/quicksight/latest/user/share-a-dashboard-grant-access-anyone-api.html),
data sets and sources (https://docs.aws.amazon.com/quicksight/latest/APIReference/API_DataSet.html,
https://docs.aws.amazon.com/quicksight/latest/APIReference/API_DataSourceParameters.html).
"""

from __future__ import annotations

from typing import Any

import pytest

from seenby.graph.audience import audience
from seenby.graph.build import build_graph
from seenby.model import AccessLevel, EdgeKind, EvidenceKind
from seenby.policies import evaluate as evaluate_all

ACCT, R = "111122223333", "eu-west-1"
QS = f"arn:aws:quicksight:{R}:{ACCT}"
DASH = f"{QS}:dashboard/productivity"
NS = f"{QS}:namespace/default"
ANON = "arn:aws:quicksight:::publicAnonymousUser/*"
ALICE, BOB = f"{QS}:user/default/alice", f"{QS}:user/default/bob"
ANALYSTS = f"{QS}:group/default/analysts"
VIEW = ["quicksight:DescribeDashboard", "quicksight:ListDashboardVersions", "quicksight:QueryDashboard"]
OWNER = [*VIEW, "quicksight:UpdateDashboard", "quicksight:DeleteDashboard", "quicksight:UpdateDashboardPermissions"]
PERMS = "https://docs.aws.amazon.com/quicksight/latest/APIReference/API_DescribeDashboardPermissions.html"
ANYONE = "https://docs.aws.amazon.com/quicksight/latest/user/share-a-dashboard-grant-access-anyone-api.html"


def qs_account(aws, *, public_sharing: Any = False) -> dict:
    settings = public_sharing if isinstance(public_sharing, str) else {
        "AccountSettings": {"AccountName": "corp", "Edition": "ENTERPRISE", "PublicSharingEnabled": public_sharing}}
    return {
        "type": "aws.quicksight.account", "id": f"{QS}:account/{ACCT}", "account": ACCT, "region": R,
        "reads": {
            "users": aws.read("quicksight:ListUsers", {"UserList": [
                {"Arn": ALICE, "UserName": "alice", "Role": "READER"},
                {"Arn": BOB, "UserName": "bob", "Role": "AUTHOR"}]}),
            "groups": aws.read("quicksight:ListGroups", {"GroupList": [{"Arn": ANALYSTS, "GroupName": "analysts"}]}),
            "memberships": aws.read("quicksight:ListGroupMemberships", {"Groups": [
                {"GroupName": "analysts", "GroupMemberList": [{"Arn": ALICE, "MemberName": "alice"}]}]}),
            "account_settings": aws.read("quicksight:DescribeAccountSettings", settings),
        },
    }  # fmt: skip


def dashboard(aws, *, permissions=(), link=(), source: dict | None = None, table: dict | None = None) -> dict:
    source = source or {"Arn": f"{QS}:datasource/raw", "Type": "S3",
                        "DataSourceParameters": {"S3Parameters": {"ManifestFileLocation": {
                            "Bucket": "corp-employee-telemetry-raw", "Key": "manifest.json"}}}}
    table = table or {"S3Source": {"DataSourceArn": source["Arn"], "InputColumns": []}}
    perms: dict[str, Any] = {"DashboardId": "productivity", "DashboardArn": DASH,
                             "Permissions": [{"Principal": p, "Actions": a} for p, a in permissions]}
    if link:
        perms["LinkSharingConfiguration"] = {"Permissions": [{"Principal": p, "Actions": VIEW} for p in link]}
    return {
        "type": "aws.quicksight.dashboard", "id": DASH, "name": "Employee productivity", "account": ACCT, "region": R,
        "reads": {
            "dashboard": aws.read("quicksight:DescribeDashboard", {"Dashboard": {
                "DashboardId": "productivity", "Arn": DASH, "Name": "Employee productivity",
                "Version": {"DataSetArns": [f"{QS}:dataset/activity"]}}}),
            "permissions": aws.read("quicksight:DescribeDashboardPermissions", perms),
            "data_sets": aws.read("quicksight:DescribeDataSet", {"DataSets": [
                {"Arn": f"{QS}:dataset/activity", "DataSetId": "activity", "PhysicalTableMap": {"t1": table}}]}),
            "data_sources": aws.read("quicksight:DescribeDataSource", {"DataSources": [source]}),
        },
    }  # fmt: skip


def grants(ev, level=AccessLevel.READ) -> dict[str, str]:
    return {g.principal.id: ("conditional" if g.conditional else "sure")
            for g in ev.grants if g.dataset == DASH and g.level is level}  # fmt: skip


def test_viewer_permission_is_read(aws):
    """A user granted the viewer actions reads the dashboard (PERMS)."""
    ev = aws.evaluate(qs_account(aws), dashboard(aws, permissions=[(ALICE, VIEW)]))
    assert grants(ev) == {ALICE: "sure"}
    assert grants(ev, AccessLevel.ADMIN) == {}


def test_owner_permission_is_admin(aws):
    """The owner's actions include UpdateDashboardPermissions: admin (PERMS)."""
    ev = aws.evaluate(qs_account(aws), dashboard(aws, permissions=[(BOB, OWNER)]))
    assert grants(ev, AccessLevel.ADMIN) == {BOB: "sure"} and grants(ev, AccessLevel.WRITE) == {BOB: "sure"}


def test_group_permission_reaches_its_members(aws):
    """A group grant reaches its members through MEMBER_OF (PERMS)."""
    ev = evaluate_all(aws.snapshot(qs_account(aws), dashboard(aws, permissions=[(ANALYSTS, VIEW)])))
    reach = {r.principal.id for r in audience(build_graph(ev), DASH, AccessLevel.READ)}
    assert reach == {ANALYSTS, ALICE}


def test_link_sharing_with_the_namespace_reaches_every_quicksight_user(aws):
    """Link sharing to namespace/default shares with every QuickSight user of the account, counted as people."""
    ev = evaluate_all(aws.snapshot(qs_account(aws), dashboard(aws, link=[NS])))
    reach = {r.principal.id for r in audience(build_graph(ev), DASH, AccessLevel.READ)}
    assert reach == {NS, ALICE, BOB}
    assert {(e.source.id, e.target.id) for e in ev.edges if e.kind is EdgeKind.MEMBER_OF} >= {(ALICE, NS), (BOB, NS)}


@pytest.mark.parametrize(
    "public_sharing,expected",
    [(True, {"aws:public": "sure"}), (False, {}), ("denied", {"aws:public": "conditional"})],
    ids=["enabled", "disabled", "setting-unknown"],
)
def test_anonymous_link_is_public_only_with_public_sharing(aws, public_sharing, expected):
    """publicAnonymousUser/* is anyone on the internet only while PublicSharingEnabled is on (ANYONE)."""
    ev = aws.evaluate(qs_account(aws, public_sharing=public_sharing), dashboard(aws, link=[ANON]))
    assert grants(ev) == expected


def test_s3_source_is_reexposed_through_the_dashboard(aws):
    """A dashboard over an S3 data source re-exposes the bucket, with lineage evidence (API_S3Parameters)."""
    ev = aws.evaluate(qs_account(aws), dashboard(aws, permissions=[(ALICE, VIEW)]))
    (rx,) = ev.reexposures
    assert (rx.via, rx.dataset) == (DASH, "arn:aws:s3:::corp-employee-telemetry-raw")
    assert rx.evidence[0].kind is EvidenceKind.DASHBOARD_LINEAGE


def test_dashboard_viewers_reach_the_source_bucket(aws):
    """Whoever reads the dashboard reaches the bucket's data through the re-exposure (API_DataSet)."""
    snap = aws.snapshot(*aws.base(aws.bucket("corp-employee-telemetry-raw")), qs_account(aws),
                        dashboard(aws, link=[NS]))  # fmt: skip
    rg = build_graph(evaluate_all(snap))
    reach = {r.principal.id for r in audience(rg, "arn:aws:s3:::corp-employee-telemetry-raw", AccessLevel.READ)}
    assert {ALICE, BOB, NS} <= reach


def test_athena_table_source_reexposes_the_glue_table(aws):
    """An Athena RelationalTable names the Glue table it reads (API_RelationalTable)."""
    source = {"Arn": f"{QS}:datasource/athena", "Type": "ATHENA",
              "DataSourceParameters": {"AthenaParameters": {"WorkGroup": "primary"}}}
    table = {"RelationalTable": {"DataSourceArn": source["Arn"], "Catalog": "AwsDataCatalog", "Schema": "telemetry",
                                 "Name": "keystrokes", "InputColumns": []}}  # fmt: skip
    ev = aws.evaluate(qs_account(aws), dashboard(aws, source=source, table=table))
    assert [rx.dataset for rx in ev.reexposures] == [f"arn:aws:glue:{R}:{ACCT}:table/telemetry/keystrokes"]


def test_identity_propagation_queries_as_the_viewer(aws):
    """With identity propagation the viewer's own identity queries Athena: no re-exposure (API_AthenaParameters)."""
    source = {"Arn": f"{QS}:datasource/athena", "Type": "ATHENA", "DataSourceParameters": {"AthenaParameters": {
        "WorkGroup": "primary", "IdentityCenterConfiguration": {"EnableIdentityPropagation": True}}}}
    table = {"RelationalTable": {"DataSourceArn": source["Arn"], "Schema": "telemetry", "Name": "keystrokes",
                                 "InputColumns": []}}  # fmt: skip
    ev = aws.evaluate(qs_account(aws), dashboard(aws, source=source, table=table))
    assert ev.reexposures == []


def test_denied_permissions_read_is_a_gap_and_grants_nothing(aws):
    """A denied DescribeDashboardPermissions is a coverage gap on the dashboard, not "nobody" (docs/snapshot.md)."""
    res = dashboard(aws)
    res["reads"]["permissions"] = aws.read("quicksight:DescribeDashboardPermissions", "denied")
    ev = evaluate_all(aws.snapshot(qs_account(aws), res))
    assert grants(ev) == {}
    assert [(g.resource, g.read, g.datasets) for g in ev.gaps] == [(DASH, "permissions", (DASH,))]
