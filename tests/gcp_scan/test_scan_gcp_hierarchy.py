"""Resource Manager, Organization Policy and IAM (deny policies, custom roles) from recorded responses."""

from __future__ import annotations

from seenby.model import ReadOutcome
from seenby.scanners.gcp import scan_gcp
from tests.gcp_scan.helpers import FOLDER, ORG, PROJECT, fail, scan_config

CRM = "https://cloudresourcemanager.googleapis.com"


def _node(snapshot, node_id):
    return next(r for r in snapshot.resources if r.id == node_id)


def test_project_scan_reads_every_ancestor_with_its_parent(http, gcs):
    """A project scan reads its folder and organisation too (inheritance), each linked to its parent."""
    snapshot = scan_gcp(scan_config(http, gcs))

    chain = {r.id: r.parent for r in snapshot.resources if r.type in ("gcp.organization", "gcp.folder", "gcp.project")}
    assert chain == {f"projects/{PROJECT}": FOLDER, FOLDER: ORG, ORG: None}
    assert snapshot.scope["gcp_projects"] == [PROJECT] and snapshot.scope["gcp_organization"] == ORG
    assert _node(snapshot, f"projects/{PROJECT}").account == PROJECT


def test_every_node_records_allow_org_and_deny_policies(http, gcs):
    """Organisation, folder and project each carry iam_policy, org_policies and deny_policies reads, all ok."""
    snapshot = scan_gcp(scan_config(http, gcs))

    for node in (ORG, FOLDER, f"projects/{PROJECT}"):
        reads = _node(snapshot, node).reads
        assert {"metadata", "iam_policy", "org_policies", "deny_policies"} <= set(reads)
        assert all(reads[name].ok for name in ("metadata", "iam_policy", "org_policies", "deny_policies"))
    folder_policies = _node(snapshot, FOLDER).document("org_policies")["policies"]
    assert folder_policies[0]["name"] == f"{FOLDER}/policies/storage.publicAccessPrevention"


def test_deny_policies_are_fetched_with_their_rules(http, gcs):
    """listPolicies gives metadata only; each policy is then read with policies.get, so its rules are recorded."""
    snapshot = scan_gcp(scan_config(http, gcs))

    (policy,) = _node(snapshot, ORG).document("deny_policies")["policies"]
    rule = policy["rules"][0]["denyRule"]
    assert rule["deniedPrincipals"] == ["principalSet://goog/group/contractors@corp.example"]
    assert rule["exceptionPrincipals"] == ["principal://goog/subject/contractor-lead@corp.example"]
    assert _node(snapshot, FOLDER).document("deny_policies") == {"policies": []}


def test_failed_deny_policy_get_is_the_outcome_of_the_whole_read(http, gcs, transport):
    """A listed deny policy that cannot be read makes deny_policies denied: never an empty list."""
    name = (
        "policies/cloudresourcemanager.googleapis.com%2Forganizations%2F123456789012/denypolicies/no-contractor-reads"
    )
    fail(transport, "GET", f"https://iam.googleapis.com/v2/{name}", 403)

    read = _node(scan_gcp(scan_config(http, gcs)), ORG).read("deny_policies")

    assert read.outcome is ReadOutcome.DENIED and read.api == "iam.policies.get"


def test_custom_roles_are_read_for_the_project_and_organisation(http, gcs):
    """roles.list with view=FULL records custom role permissions for the evaluator's catalogue."""
    snapshot = scan_gcp(scan_config(http, gcs))

    roles = _node(snapshot, f"projects/{PROJECT}").document("custom_roles")["roles"]
    assert roles[0]["name"] == f"projects/{PROJECT}/roles/telemetryReader"
    assert roles[0]["includedPermissions"] == ["storage.objects.get", "storage.objects.list"]
    assert _node(snapshot, ORG).read("custom_roles").ok


def test_organisation_scan_walks_paged_folder_listings_to_the_projects(http, gcs):
    """--organization lists folders (following nextPageToken) and projects under each, and scans those projects."""
    snapshot = scan_gcp(scan_config(http, gcs, projects=(), organizations=("123456789012",)))

    assert snapshot.scope["gcp_projects"] == [PROJECT]
    children = _node(snapshot, ORG).document("children")
    assert [f["name"] for f in children["folders"]] == [FOLDER]
    assert _node(snapshot, FOLDER).document("children")["projects"][0]["projectId"] == PROJECT


def test_unreadable_folder_is_still_placed_in_the_chain_from_the_ancestry(http, gcs, transport):
    """folders.get denied: the folder is a denied read, and getAncestry still links project → folder → organisation."""
    fail(transport, "GET", f"{CRM}/v3/{FOLDER}", 403)

    snapshot = scan_gcp(scan_config(http, gcs))

    folder = _node(snapshot, FOLDER)
    assert folder.read("metadata").outcome is ReadOutcome.DENIED
    assert folder.parent == ORG
    assert _node(snapshot, f"projects/{PROJECT}").parent == FOLDER
