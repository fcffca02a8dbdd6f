"""BigQuery datasets and tables, and Cloud Identity groups, from recorded responses."""

from __future__ import annotations

from seenby.model import AccessLevel, ReadOutcome
from seenby.policies import evaluate
from seenby.scanners.gcp import scan_gcp
from tests.gcp_scan.helpers import PROJECT, fail, scan_config, seed_bucket

CI = "https://cloudidentity.googleapis.com/v1"


def _by_id(snapshot, type_):
    return {r.id: r for r in snapshot.of_type(type_)}


def test_datasets_are_read_with_access_policy_version_3_across_pages(http, gcs, transport):
    """datasets.list is followed across pages and each dataset is read with accessPolicyVersion=3."""
    snapshot = scan_gcp(scan_config(http, gcs))

    datasets = _by_id(snapshot, "gcp.bigquery.dataset")
    assert set(datasets) == {f"bigquery://{PROJECT}.ml_raw", f"bigquery://{PROJECT}.shared_reporting"}
    access = datasets[f"bigquery://{PROJECT}.shared_reporting"].document("metadata")["access"]
    assert {k: access[2][k] for k in ("role", "iamMember")} == {
        "role": "roles/bigquery.dataViewer",
        "iamMember": "allUsers",
    }
    assert any("accessPolicyVersion=3" in url for _, url in transport.sent if "/datasets/ml_raw?" in url)


def test_tables_and_views_are_read_with_their_policies(http, gcs):
    """tables.list, then tables.get and tables.getIamPolicy per table; a view keeps its SQL."""
    tables = _by_id(scan_gcp(scan_config(http, gcs)), "gcp.bigquery.table")

    view = tables[f"bigquery://{PROJECT}.shared_reporting.daily_activity"]
    assert view.parent == f"bigquery://{PROJECT}.shared_reporting"
    assert view.document("metadata")["type"] == "VIEW"
    assert "ml_raw.keystrokes" in view.document("metadata")["view"]["query"]
    assert view.document("iam_policy")["bindings"][0]["members"] == ["user:analyst@corp.example"]


def test_scanned_authorized_view_reexposes_the_raw_table_to_the_view_readers(http, gcs):
    """The scanned view entry of ml_raw becomes a re-exposure of the raw table through the view."""
    evaluation = evaluate(scan_gcp(scan_config(http, gcs)))

    pairs = {(r.via, r.dataset) for r in evaluation.reexposures}
    assert (f"bigquery://{PROJECT}.shared_reporting.daily_activity", f"bigquery://{PROJECT}.ml_raw.keystrokes") in pairs
    view_readers = {
        g.principal.id
        for g in evaluation.grants
        if g.dataset.endswith("daily_activity") and g.level is AccessLevel.READ
    }
    assert {"group:all-employees@corp.example", "user:analyst@corp.example"} <= view_readers


def test_groups_named_by_policies_are_read_and_nested_groups_follow(http, gcs):
    """Every group a binding, access entry or deny policy names is read; a GROUP member is read in turn."""
    snapshot = scan_gcp(scan_config(http, gcs))

    groups = _by_id(snapshot, "gcp.cloudidentity.group")
    assert {"ml-team@corp.example", "all-employees@corp.example", "contractors@corp.example"} <= set(groups)
    assert "ml-leads@corp.example" in groups  # only named as a member of ml-team
    members = [
        m["preferredMemberKey"]["id"] for m in groups["ml-leads@corp.example"].document("memberships")["memberships"]
    ]
    assert members == ["ml-lead@corp.example"]


def test_group_of_another_directory_is_absent_not_a_gap(http, gcs):
    """groups.lookup 404 (a group outside this directory): memberships is absent, the group stays a principal."""
    seed_bucket(
        gcs, "shared", bindings=[{"role": "roles/storage.objectViewer", "members": ["group:web-team@partner.example"]}]
    )

    snapshot = scan_gcp(scan_config(http, gcs))

    group = _by_id(snapshot, "gcp.cloudidentity.group")["web-team@partner.example"]
    assert group.read("memberships").outcome is ReadOutcome.ABSENT
    assert group.read("memberships").api == "cloudidentity.groups.lookup"


def test_group_lookup_denied_is_a_denied_read(http, gcs, transport):
    """403 on groups.lookup: memberships is denied, a coverage gap."""
    fail(transport, "GET", f"{CI}/groups:lookup", 403, **{"groupKey.id": "all-employees@corp.example"})

    group = _by_id(scan_gcp(scan_config(http, gcs)), "gcp.cloudidentity.group")["all-employees@corp.example"]

    assert group.read("memberships").outcome is ReadOutcome.DENIED


def test_no_groups_are_read_when_switched_off(http, gcs, transport):
    """read_groups=False sends nothing to Cloud Identity."""
    snapshot = scan_gcp(scan_config(http, gcs, read_groups=False))

    assert snapshot.of_type("gcp.cloudidentity.group") == []
    assert not any("cloudidentity" in url for _, url in transport.sent)
